"""Packet feature catalogue: the one definition of every feature a model may read from a packet.

WHY one module: the switch (inml.p4 and its twin), host-side extraction of training data and the
compiler must compute the *same integer* for a feature, or a model trained on host-side features
classifies live packets differently. Everything here is integer arithmetic that inml.p4 performs
in its parser and ingress (shifts, saturation, wrap-around), so host and switch agree bit for bit.

A feature has a *slot*: the index of the 16-bit feature word (``hdr.features[slot]``) the first
switch of a task writes it into. Header fields keep their real value (they fit 16 bits, so ports,
protocol, TTL and lengths are exact); per-flow features are kept in registers indexed by a hash of
the 5-tuple and reduced to 16 bits by a fixed right shift and saturation (monotone, so a tree's
threshold on the reduced value is a threshold on the real one).

Parsing rules (inml.p4's parser): Ethernet, then IPv4 if EtherType is 0x0800; TCP (protocol 6) or
UDP (17) only when the IPv4 header has no options (IHL 5) and is not a non-first fragment;
anything else leaves the L4 fields 0. Non-IPv4 frames have no packet features (not classified).

Flow state (per slot of ``FLOW_SLOTS``): the 5-tuple it holds, packet count, byte count (sum of
IPv4 total lengths), an exponentially weighted mean length in 1/16 bytes, first and last arrival
time (switch clock, microseconds). Index = CRC-32 (IEEE, as zlib and BMv2's ``crc32``) of
``src(4) dst(4) proto(1) sport(2) dport(2)`` modulo ``FLOW_SLOTS``. Collisions: a packet whose
5-tuple differs from the one stored in its slot evicts it and starts a fresh flow there, so two
colliding flows reset each other's state (they never mix); the full 5-tuple is stored, so no two
flows are ever confused. The state is updated only by packets that a ``task_select`` entry
assigns to a task (the packets that are classified), and as of the packet itself (its own length
is counted; the first packet of a flow has inter-arrival time 0).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Iterable, Sequence

#: Flow-state slots (register array size in inml.p4); a power of two so the index is a bit slice.
FLOW_SLOTS = 4096
#: EWMA weight 1/2^MEAN_SHIFT per packet for flow.mean_len (P4 has no division).
MEAN_SHIFT = 3
#: flow.mean_len keeps 4 fractional bits in its register.
MEAN_FRAC = 4
#: Right shifts that reduce wide flow state to a 16-bit feature (then saturate at 65535):
#: bytes in 64-byte units (up to 4 MiB), inter-arrival in 256 us units (up to 16.8 s),
#: duration in 1024 us units (up to 67 s). Chosen for IDS-scale flows; the widths are stated
#: in the catalogue so a model's thresholds are read in these units.
BYTES_SHIFT = 6
IAT_SHIFT = 8
DURATION_SHIFT = 10
FEATURE_MAX = 0xFFFF
U32 = (1 << 32) - 1
U48 = (1 << 48) - 1
ETHERTYPE_IPV4 = 0x0800
PROTO_TCP, PROTO_UDP = 6, 17


@dataclass(frozen=True)
class Feature:
    """One catalogue entry: its name (what models declare), slot, real width and meaning."""

    name: str
    slot: int
    bits: int
    meaning: str


CATALOGUE: tuple[Feature, ...] = (
    Feature("ip.len", 0, 16, "IPv4 total length (bytes)"),
    Feature("ip.proto", 1, 8, "IPv4 protocol"),
    Feature("ip.ttl", 2, 8, "IPv4 TTL"),
    Feature("ip.tos", 3, 8, "IPv4 type of service byte (DSCP and ECN)"),
    Feature("l4.sport", 4, 16, "TCP/UDP source port (0 if neither)"),
    Feature("l4.dport", 5, 16, "TCP/UDP destination port (0 if neither)"),
    Feature("tcp.flags", 6, 8, "TCP flags byte CWR..FIN (0 if not TCP)"),
    Feature("tcp.window", 7, 16, "TCP window (0 if not TCP)"),
    Feature("flow.pkts", 8, 16, "packets of the flow so far, this one included (saturates)"),
    Feature("flow.bytes", 9, 16, f"bytes of the flow so far >> {BYTES_SHIFT} (saturates)"),
    Feature("flow.mean_len", 10, 16, f"EWMA (weight 1/{1 << MEAN_SHIFT}) of the flow's IPv4 lengths, bytes"),
    Feature("flow.iat", 11, 16, f"microseconds since the flow's previous packet >> {IAT_SHIFT} (saturates; 0 on the first)"),
    Feature("flow.duration", 12, 16, f"microseconds since the flow's first packet >> {DURATION_SHIFT} (saturates)"),
)
BY_NAME = {f.name: f for f in CATALOGUE}
NAMES = tuple(f.name for f in CATALOGUE)
NUM_PACKET_FEATURES = len(CATALOGUE)


def slots_of(names: Sequence[str]) -> list[int]:
    """Feature slots for a model's declared feature names (ValueError names the unknown one)."""
    out = []
    for n in names:
        f = BY_NAME.get(n)
        if f is None:
            raise ValueError(f"unknown packet feature {n!r}; the catalogue has {', '.join(NAMES)}")
        out.append(f.slot)
    return out


# --------------------------------------------------------------------------- headers

@dataclass(frozen=True)
class Headers:
    """The header fields inml.p4's parser extracts from an IPv4 packet (L4 fields 0 if absent)."""

    src: int
    dst: int
    proto: int
    ttl: int
    tos: int
    ip_len: int
    sport: int = 0
    dport: int = 0
    tcp_flags: int = 0
    tcp_window: int = 0

    @property
    def five_tuple(self) -> tuple[int, int, int, int, int]:
        return (self.src, self.dst, self.proto, self.sport, self.dport)


def parse_headers(frame: bytes, offset: int = 0) -> Headers | None:
    """IPv4/TCP/UDP fields of an Ethernet frame by inml.p4's parse rules; None if not IPv4."""
    if len(frame) < offset + 14 or int.from_bytes(frame[offset + 12:offset + 14], "big") != ETHERTYPE_IPV4:
        return None
    ip = offset + 14
    if len(frame) < ip + 20:
        return None  # the parser cannot extract IPv4: the packet is not classified
    ihl = frame[ip] & 0x0F
    frag = int.from_bytes(frame[ip + 6:ip + 8], "big") & 0x1FFF
    h = dict(src=int.from_bytes(frame[ip + 12:ip + 16], "big"), dst=int.from_bytes(frame[ip + 16:ip + 20], "big"),
             proto=frame[ip + 9], ttl=frame[ip + 8], tos=frame[ip + 1], ip_len=int.from_bytes(frame[ip + 2:ip + 4], "big"))
    l4 = ip + 20
    if ihl == 5 and frag == 0:
        if h["proto"] == PROTO_TCP and len(frame) >= l4 + 20:
            h.update(sport=int.from_bytes(frame[l4:l4 + 2], "big"), dport=int.from_bytes(frame[l4 + 2:l4 + 4], "big"),
                     tcp_flags=frame[l4 + 13], tcp_window=int.from_bytes(frame[l4 + 14:l4 + 16], "big"))
        elif h["proto"] == PROTO_UDP and len(frame) >= l4 + 8:
            h.update(sport=int.from_bytes(frame[l4:l4 + 2], "big"), dport=int.from_bytes(frame[l4 + 2:l4 + 4], "big"))
    return Headers(**h)


def flow_index(five_tuple: tuple[int, int, int, int, int]) -> int:
    """Register index of a flow: CRC-32 of src dst proto sport dport, modulo FLOW_SLOTS."""
    src, dst, proto, sport, dport = five_tuple
    data = src.to_bytes(4, "big") + dst.to_bytes(4, "big") + bytes([proto]) + sport.to_bytes(2, "big") + dport.to_bytes(2, "big")
    return zlib.crc32(data) % FLOW_SLOTS


def _sat(v: int) -> int:
    return v if v <= FEATURE_MAX else FEATURE_MAX


class FlowTable:
    """The flow-state registers of one switch, with inml.p4's update rule (see module doc).

    Host-side extraction replays packets through one FlowTable in the order the switch sees them;
    the twin keeps one per switch. ``update`` returns the catalogue's feature vector (by slot)."""

    def __init__(self, slots: int = FLOW_SLOTS):
        self.slots = slots
        self.key = [(0, 0, 0, 0, 0)] * slots
        self.pkts = [0] * slots
        self.bytes = [0] * slots
        self.mean16 = [0] * slots
        self.first = [0] * slots
        self.last = [0] * slots

    def update(self, h: Headers, now_us: int) -> list[int]:
        now = now_us & U48
        i = flow_index(h.five_tuple) % self.slots
        ln = h.ip_len
        if self.pkts[i] != 0 and self.key[i] == h.five_tuple:
            pkts = (self.pkts[i] + 1) & U32
            nbytes = (self.bytes[i] + ln) & U32
            m = self.mean16[i]
            mean16 = (m - (m >> MEAN_SHIFT) + ((ln << MEAN_FRAC) >> MEAN_SHIFT)) & U32
            iat = (now - self.last[i]) & U48
            first = self.first[i]
        else:  # empty slot, or another flow's: evict and start fresh
            pkts, nbytes, mean16, iat, first = 1, ln, ln << MEAN_FRAC, 0, now
        self.key[i], self.pkts[i], self.bytes[i], self.mean16[i] = h.five_tuple, pkts, nbytes, mean16
        self.first[i], self.last[i] = first, now
        duration = (now - first) & U48
        return [
            h.ip_len, h.proto, h.ttl, h.tos, h.sport, h.dport, h.tcp_flags, h.tcp_window,
            _sat(pkts), _sat(nbytes >> BYTES_SHIFT), _sat(mean16 >> MEAN_FRAC),
            _sat(iat >> IAT_SHIFT), _sat(duration >> DURATION_SHIFT),
        ]


def extract(frames: Iterable[tuple[int, bytes]], slots: int = FLOW_SLOTS) -> list[list[int] | None]:
    """Host-side extraction: (time us, Ethernet frame) in switch order -> catalogue vector per
    frame (None for frames the switch would not classify: not IPv4)."""
    table = FlowTable(slots)
    out: list[list[int] | None] = []
    for t, frame in frames:
        h = parse_headers(frame)
        out.append(None if h is None else table.update(h, t))
    return out


def select(vectors: Sequence[Sequence[int]], names: Sequence[str]) -> list[list[int]]:
    """Columns of catalogue vectors for a model's declared features (its training matrix)."""
    slots = slots_of(names)
    return [[v[s] for s in slots] for v in vectors]
