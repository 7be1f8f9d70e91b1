"""IDS-style packet traces: benign and attack flows as real Ethernet/IPv4/TCP/UDP frames.

WHY: a model that the switch feeds from packet headers and flow state must be trained on those
same features of real packets. This writes the packets (checksummed IPv4, TCP or UDP, sizes and
timings per traffic class), optionally as a pcap, and ``packet_dataset`` extracts the catalogue's
features host-side with p4src.features, packet by packet in arrival order, exactly as the switch
computes them when it sees the packets at those times.

Classes (label = the class of the packet's flow):

0 web    TCP to 80/443/8080: SYN, 3-12 packets of 52-700 bytes (30 %: 40-1500), FIN; 5-60 ms apart
1 dns    UDP to 53: 1-2 queries of 60-300 bytes
2 bulk   TCP to 22/873/8080: 30-120 packets, mostly 1500 bytes, 0.2-3 ms apart
3 scan   one source SYNs many ports (common ones included) of a victim: one 40-44-byte packet per port, 0.5-5 ms apart
4 flood  SYN flood to port 80/443 from spoofed sources: one 40-60-byte SYN each, 30-300 us apart
5 udpflood  UDP to 53, 443 or a random high port from a few sources: 512-1400 bytes, 80-400 us apart
"""

from __future__ import annotations

import random
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

from p4src import features as pktfeat

CLASSES = ("web", "dns", "bulk", "scan", "flood", "udpflood")
#: Features a packet-feature IDS model reads by default (catalogue names).
IDS_FEATURES = ("ip.len", "ip.proto", "ip.ttl", "l4.dport", "tcp.flags", "tcp.window",
                "flow.pkts", "flow.bytes", "flow.mean_len", "flow.iat", "flow.duration")
TCP_SYN, TCP_ACK, TCP_PSH, TCP_FIN = 0x02, 0x10, 0x08, 0x01
MAC_SRC, MAC_DST = 0x02_00_00_00_00_01, 0x02_00_00_00_00_02


@dataclass(frozen=True)
class TracePacket:
    time_us: int
    frame: bytes
    label: int


def _csum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ipv4_frame(src: int, dst: int, proto: int, ip_len: int, *, ttl: int = 64, tos: int = 0, sport: int = 0,
               dport: int = 0, flags: int = 0, window: int = 0, ident: int = 0) -> bytes:
    """An Ethernet/IPv4/(TCP|UDP) frame with valid checksums and IPv4 total length ``ip_len``."""
    l4_len = max(ip_len - 20, 0)
    if proto == pktfeat.PROTO_TCP:
        l4_len = max(l4_len, 20)
        hdr = struct.pack("!HHIIBBHHH", sport, dport, 1, 0, 5 << 4, flags, window, 0, 0)
    elif proto == pktfeat.PROTO_UDP:
        l4_len = max(l4_len, 8)
        hdr = struct.pack("!HHHH", sport, dport, l4_len, 0)
    else:
        hdr = b""
    l4 = hdr + bytes(l4_len - len(hdr))
    ip_len = 20 + len(l4)
    if proto in (pktfeat.PROTO_TCP, pktfeat.PROTO_UDP):
        pseudo = struct.pack("!IIBBH", src, dst, 0, proto, len(l4))
        c = _csum(pseudo + l4)
        pos = 16 if proto == pktfeat.PROTO_TCP else 6
        l4 = l4[:pos] + struct.pack("!H", c if c else 0xFFFF) + l4[pos + 2:]
    ip = struct.pack("!BBHHHBBHII", 0x45, tos, ip_len, ident & 0xFFFF, 0, ttl, proto, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", _csum(ip)) + ip[12:]
    return MAC_DST.to_bytes(6, "big") + MAC_SRC.to_bytes(6, "big") + b"\x08\x00" + ip + l4


def _ip(a: int, b: int, c: int, d: int) -> int:
    return (a << 24) | (b << 16) | (c << 8) | d


def _flow(rng: random.Random, cls: int, t0: int) -> list[TracePacket]:
    """One flow (or one burst of single-packet flows for scan/flood) of class ``cls`` from ``t0``."""
    out: list[TracePacket] = []
    T, U = pktfeat.PROTO_TCP, pktfeat.PROTO_UDP

    def add(t: int, *a, **k) -> None:
        out.append(TracePacket(t, ipv4_frame(*a, **k), cls))

    client = _ip(10, 0, rng.randrange(1, 4), rng.randrange(2, 250))
    t = t0
    if cls == 0:
        srv, sp, dp = _ip(10, 1, 0, rng.randrange(2, 20)), rng.randrange(32768, 61000), rng.choice((80, 443, 443, 8080))
        ttl, win = rng.choice((64, 128)), rng.choice((29200, 64240, 65535))
        n = rng.randrange(3, 13)
        add(t, client, srv, T, 60, ttl=ttl, sport=sp, dport=dp, flags=TCP_SYN, window=win)
        for _ in range(n):
            t += rng.randrange(5_000, 60_000)
            add(t, client, srv, T, rng.randrange(40, 1500) if rng.random() < 0.3 else rng.randrange(52, 700), ttl=ttl, sport=sp, dport=dp, flags=TCP_ACK | TCP_PSH, window=win)
        t += rng.randrange(5_000, 60_000)
        add(t, client, srv, T, 52, ttl=ttl, sport=sp, dport=dp, flags=TCP_FIN | TCP_ACK, window=win)
    elif cls == 1:
        srv, sp = _ip(10, 1, 1, rng.choice((53, 54))), rng.randrange(1024, 65535)
        for _ in range(rng.randrange(1, 3)):
            add(t, client, srv, U, rng.randrange(60, 300), ttl=64, sport=sp, dport=53)
            t += rng.randrange(20_000, 400_000)
    elif cls == 2:
        srv, sp, dp = _ip(10, 1, 2, rng.randrange(2, 10)), rng.randrange(32768, 61000), rng.choice((22, 873, 8080))
        win = rng.choice((64240, 65535))
        for i in range(rng.randrange(30, 121)):
            ln = 1500 if rng.random() < 0.85 else rng.randrange(52, 1500)
            add(t, client, srv, T, ln, ttl=64, sport=sp, dport=dp, flags=(TCP_SYN if i == 0 else TCP_ACK | TCP_PSH), window=win)
            t += rng.randrange(200, 3_000)
    elif cls == 3:
        scanner, victim = _ip(172, 16, rng.randrange(0, 4), rng.randrange(2, 250)), _ip(10, 1, 0, rng.randrange(2, 20))
        sp, ttl = rng.randrange(40000, 60000), rng.choice((37, 45, 52, 64))
        for port in rng.sample([*range(1, 10000), 80, 443, 22, 8080] * 1, rng.randrange(20, 80)):
            add(t, scanner, victim, T, rng.choice((40, 44)), ttl=ttl, sport=sp, dport=port, flags=TCP_SYN, window=1024)
            t += rng.randrange(500, 5_000)
    elif cls == 4:
        victim = _ip(10, 1, 0, rng.randrange(2, 20))
        for _ in range(rng.randrange(50, 150)):
            spoof = rng.getrandbits(32) | (1 << 31)
            add(t, spoof, victim, T, rng.randrange(40, 61), ttl=rng.randrange(30, 255), sport=rng.randrange(1024, 65535),
                dport=rng.choice((80, 443)), flags=TCP_SYN, window=rng.choice((512, 1024, 5840, 29200, 64240)))
            t += rng.randrange(30, 300)
    else:
        src, victim = _ip(172, 17, 0, rng.randrange(2, 8)), _ip(10, 1, 0, rng.randrange(2, 20))
        sp, dp = rng.randrange(1024, 65535), rng.choice((53, 443, rng.randrange(10000, 65535)))
        for _ in range(rng.randrange(40, 120)):
            add(t, src, victim, U, rng.randrange(512, 1401), ttl=64, sport=sp, dport=dp)
            t += rng.randrange(80, 400)
    return out


def generate_trace(n_flows: int = 120, *, seed: int = 0, span_us: int = 20_000_000,
                   weights: Sequence[float] = (0.35, 0.25, 0.1, 0.1, 0.1, 0.1)) -> list[TracePacket]:
    """``n_flows`` flows of mixed classes starting uniformly over ``span_us``, merged by time.
    Simultaneous packets keep their generation order (a stable sort), as one capture would."""
    rng = random.Random(seed)
    pkts: list[TracePacket] = []
    for _ in range(n_flows):
        cls = rng.choices(range(len(CLASSES)), weights=weights)[0]
        pkts.extend(_flow(rng, cls, rng.randrange(0, span_us)))
    pkts.sort(key=lambda p: p.time_us)
    return pkts


def packet_dataset(trace: Sequence[TracePacket], names: Sequence[str] = IDS_FEATURES) -> tuple[list[list[int]], list[int]]:
    """Host-side features (the switch's definitions, flow state as of each packet) and labels."""
    vecs = pktfeat.extract((p.time_us, p.frame) for p in trace)
    rows = [v for v in vecs if v is not None]
    labels = [p.label for p, v in zip(trace, vecs) if v is not None]
    return pktfeat.select(rows, names), labels


# --------------------------------------------------------------------------- pcap

_PCAP_MAGIC_US = 0xA1B2C3D4
_LINKTYPE_ETHERNET = 1


def write_pcap(path: str | Path, packets: Iterable[TracePacket]) -> None:
    """Classic libpcap file (microsecond timestamps, Ethernet), readable by tcpdump/Wireshark."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", _PCAP_MAGIC_US, 2, 4, 0, 0, 65535, _LINKTYPE_ETHERNET))
        for p in packets:
            f.write(struct.pack("<IIII", p.time_us // 1_000_000, p.time_us % 1_000_000, len(p.frame), len(p.frame)))
            f.write(p.frame)


def read_pcap(path: str | Path, label: int = -1) -> list[TracePacket]:
    """Frames and microsecond times of a classic little- or big-endian Ethernet pcap."""
    data = Path(path).read_bytes()
    if len(data) < 24:
        raise ValueError(f"{path}: not a pcap file (too short)")
    magic = struct.unpack("<I", data[:4])[0]
    if magic == _PCAP_MAGIC_US:
        e = "<"
    elif magic == 0xD4C3B2A1:
        e = ">"
    else:
        raise ValueError(f"{path}: not a microsecond pcap file (magic {magic:#x})")
    if struct.unpack(e + "I", data[20:24])[0] != _LINKTYPE_ETHERNET:
        raise ValueError(f"{path}: link type is not Ethernet")
    out, off = [], 24
    while off + 16 <= len(data):
        sec, usec, incl, _ = struct.unpack(e + "IIII", data[off:off + 16])
        off += 16
        if off + incl > len(data):
            raise ValueError(f"{path}: truncated packet record at byte {off - 16}")
        out.append(TracePacket(sec * 1_000_000 + usec, data[off:off + incl], label))
        off += incl
    return out
