"""Replay a pcap's frames out of a host interface, and capture what arrives on one into a pcap.

WHY: packet-feature models classify the hosts' own IPv4 traffic (no inference header from the
hosts). To test that in Mininet, a host sends a generated trace as-is, paced, and the receiving
host records every frame the network delivers, for the test to compare with sklearn.

    python -m mininet_topos.pcap_replay send h1-eth0 trace.pcap            # at the pcap's own timing
    python -m mininet_topos.pcap_replay send h1-eth0 trace.pcap --rate 300 # or paced
    python -m mininet_topos.pcap_replay capture h3-eth0 got.pcap --count 1100 --timeout 60

Both run inside a Mininet host's namespace; ``capture`` writes ``--ready`` once its socket is
bound, so a test starts the sender only when nothing can be missed.
"""

from __future__ import annotations

import argparse
import select
import socket
import sys
import time
from pathlib import Path

from mlcompiler.packet_traces import TracePacket, read_pcap, write_pcap

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
#: socket buffers large enough for a paced burst while the receiver is descheduled
SOCKET_BUFFER = 8 << 20


def replay(iface: str, pcap: Path, rate_pps: float | None = None) -> int:
    """Send every frame of ``pcap`` in file order, at ``rate_pps`` or (None) at the gaps between
    the pcap's timestamps, so flow timing features see the trace's timing; returns how many."""
    if rate_pps is not None and rate_pps <= 0:
        raise ValueError("rate must be > 0 packets/s")
    frames = read_pcap(pcap)
    start_us = frames[0].time_us if frames else 0
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SOCKET_BUFFER)
    sock.bind((iface, 0))
    t0 = time.monotonic()
    for k, p in enumerate(frames):
        due = t0 + (k / rate_pps if rate_pps else (p.time_us - start_us) / 1e6)
        now = time.monotonic()
        if due > now:
            time.sleep(due - now)
        sock.send(p.frame)
    sock.close()
    return len(frames)


def capture(iface: str, out: Path, count: int, timeout_s: float, ready: Path | None = None) -> int:
    """Record frames arriving on ``iface`` (not the ones it sends) until ``count`` or timeout."""
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, SOCKET_BUFFER)
    sock.bind((iface, 0))
    if ready is not None:
        ready.write_text("ready\n")
    got: list[TracePacket] = []
    deadline = time.monotonic() + timeout_s
    while len(got) < count:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([sock], [], [], left)[0]:
            break
        frame, addr = sock.recvfrom(65535)
        if addr[2] != PACKET_OUTGOING:
            got.append(TracePacket(time.time_ns() // 1000, frame, -1))
    sock.close()
    write_pcap(out, got)
    return len(got)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m mininet_topos.pcap_replay", description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("send", help="replay a pcap out of an interface")
    s.add_argument("iface")
    s.add_argument("pcap", type=Path)
    s.add_argument("--rate", type=float, help="packets per second (default: the pcap's own timing)")
    c = sub.add_parser("capture", help="write the frames arriving on an interface to a pcap")
    c.add_argument("iface")
    c.add_argument("out", type=Path)
    c.add_argument("--count", type=int, required=True)
    c.add_argument("--timeout", type=float, default=60.0)
    c.add_argument("--ready", type=Path, help="file written once the socket listens")
    args = ap.parse_args(argv)
    try:
        if args.cmd == "send":
            print(f"sent {replay(args.iface, args.pcap, args.rate)}", flush=True)
        else:
            print(f"captured {capture(args.iface, args.out, args.count, args.timeout, args.ready)}", flush=True)
    except (OSError, ValueError) as exc:
        print(f"pcap_replay: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
