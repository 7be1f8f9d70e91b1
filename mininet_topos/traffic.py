"""Feature-carrying traffic for the emulation: a paced sender and a label-counting receiver.

Each frame is Ethernet + the in-network inference header (``p4src.layout``: task id, version,
visit, label, flags, 64 x 16-bit features, coordination registers) + an 20-byte trailer that
the pipeline carries untouched::

    magic "OMNT" | seq u32 | sample u32 | sent_ns u64      (big-endian)

The sender writes the quantised features of dataset samples into the header and paces frames at
a fixed rate on an absolute schedule (a late frame goes out at once; no burst to catch up).
The receiver records, per sequence number, the label and flags the network wrote, so a test or
benchmark can compare every label with ``model.predict`` and count losses and duplicates across
a live reconfiguration. Both run inside Mininet hosts (``python -m mininet_topos.traffic``).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import socket
import struct
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from p4src import layout as L

TRAILER = struct.Struct("!4sIIQ")
MAGIC = b"OMNT"
ETH = struct.Struct("!6s6sH")
FIXED = struct.Struct("!HBHHB")  # task_id, version, visit, label, flags
FEATURES_BYTES = L.FEATURES_FIELD_BITS // 8
REGS_BYTES = L.REGS_BITS // 8
HEADER_BYTES = FIXED.size + FEATURES_BYTES + REGS_BYTES
assert HEADER_BYTES == L.INML_BYTES, "inference header layout changed; update the traffic codec"
PACKET_OUTGOING = 4


def mac_bytes(mac: str) -> bytes:
    parts = mac.split(":")
    if len(parts) != 6:
        raise ValueError(f"bad MAC address {mac!r}")
    return bytes(int(p, 16) for p in parts)


def encode_frame(dst_mac: str, src_mac: str, task_id: int, features: Sequence[int], seq: int, sample: int,
                 sent_ns: int | None = None) -> bytes:
    """One feature-carrying frame as it leaves a host (version/visit/label/flags/regs zero)."""
    eth = ETH.pack(mac_bytes(dst_mac), mac_bytes(src_mac), L.INML_ETHERTYPE)
    fixed = FIXED.pack(task_id, 0, 0, 0, 0)
    feats = L.pack_features(list(features)).to_bytes(FEATURES_BYTES, "big")
    regs = bytes(REGS_BYTES)
    trailer = TRAILER.pack(MAGIC, seq, sample, time.time_ns() if sent_ns is None else sent_ns)
    return eth + fixed + feats + regs + trailer


@dataclass(frozen=True)
class Decoded:
    task_id: int
    version: int
    visit: int
    label: int
    flags: int
    seq: int
    sample: int
    sent_ns: int


def decode_frame(frame: bytes) -> Decoded | None:
    """The header fields and trailer of a frame, or None if it is not one of ours."""
    if len(frame) < ETH.size + HEADER_BYTES + TRAILER.size:
        return None
    _, _, etype = ETH.unpack_from(frame, 0)
    if etype != L.INML_ETHERTYPE:
        return None
    task_id, version, visit, label, flags = FIXED.unpack_from(frame, ETH.size)
    magic, seq, sample, sent_ns = TRAILER.unpack_from(frame, ETH.size + HEADER_BYTES)
    if magic != MAGIC:
        return None
    return Decoded(task_id, version, visit, label, flags, seq, sample, sent_ns)


# ---------------------------------------------------------------------- samples

@dataclass
class Samples:
    """Quantised feature vectors to send, with the label sklearn predicts for each (for checking)."""

    task_id: int
    features: list[list[int]]
    expected: list[int] = field(default_factory=list)
    classes: list[Any] = field(default_factory=list)
    #: which dataset rows the samples are (so a checker can re-run the model on the raw features)
    rows: list[int] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"task_id": self.task_id, "features": self.features, "expected": self.expected, "classes": self.classes,
                "rows": self.rows}

    @classmethod
    def load(cls, path: str | Path) -> "Samples":
        d = json.loads(Path(path).read_text())
        for key in ("task_id", "features"):
            if key not in d:
                raise ValueError(f"{path}: missing {key!r}")
        return cls(int(d["task_id"]), [list(map(int, f)) for f in d["features"]], list(d.get("expected", [])),
                   list(d.get("classes", [])), list(d.get("rows", [])))

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.write_text(json.dumps(self.to_dict()))
        return path


# ---------------------------------------------------------------------- sender / receiver

def _raw_socket(iface: str, proto: int) -> socket.socket:
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(proto))
    sock.bind((iface, proto))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
    return sock


class _Stop:
    """SIGTERM/SIGINT set a flag so the loops end cleanly and write their report."""

    def __init__(self) -> None:
        self.flag = False
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._set)

    def _set(self, *_: Any) -> None:
        self.flag = True


def send(iface: str, src_mac: str, dst_mac: str, samples: Samples, rate_pps: float, count: int | None,
         duration_s: float | None, report: Path | None, progress_s: float = 0.0, seq_start: int = 0) -> dict[str, Any]:
    """Send samples round-robin at ``rate_pps`` until ``count`` frames, ``duration_s`` or SIGTERM.

    Sequence numbers start at ``seq_start`` so successive runs into the same receivers stay distinct.
    """
    if rate_pps <= 0:
        raise ValueError("rate must be > 0 packets/s")
    if not samples.features:
        raise ValueError("no samples to send")
    stop = _Stop()
    sock = _raw_socket(iface, L.INML_ETHERTYPE)
    interval = 1.0 / rate_pps
    n_samples = len(samples.features)
    t0 = time.monotonic()
    started_ns = time.time_ns()
    seq = 0
    late_max = 0.0
    next_progress = t0 + progress_s if progress_s else float("inf")
    if progress_s:
        # the schedule, so a reader can tell which sequence numbers were due after a given instant
        print(f"start {started_ns} {rate_pps:g} {seq_start}", flush=True)
    while not stop.flag:
        if count is not None and seq >= count:
            break
        due = t0 + seq * interval
        if duration_s is not None and due - t0 >= duration_s:
            break
        now = time.monotonic()
        if due > now:
            time.sleep(due - now)
        else:
            late_max = max(late_max, now - due)
        sample = (seq_start + seq) % n_samples
        sock.send(encode_frame(dst_mac, src_mac, samples.task_id, samples.features[sample], seq_start + seq, sample))
        seq += 1
        if time.monotonic() >= next_progress:
            print(f"sent {seq} {time.time_ns()}", flush=True)  # this many sent by this wall-clock instant
            next_progress += progress_s
    elapsed = time.monotonic() - t0
    sock.close()
    out = {"sent": seq, "seq_start": seq_start, "started_ns": started_ns, "elapsed_s": round(elapsed, 3),
           "rate_pps": round(seq / elapsed, 1) if elapsed > 0 else 0.0, "max_late_s": round(late_max, 4)}
    if report:
        report.write_text(json.dumps(out))
    return out


def receive(iface: str, report: Path, duration_s: float | None, progress_s: float = 1.0,
            ready_file: Path | None = None) -> dict[str, Any]:
    """Record label/flags/version per sequence number until ``duration_s`` or SIGTERM; write ``report``.

    The report is also rewritten every ``progress_s`` seconds so a reader can follow it live.
    """
    stop = _Stop()
    sock = _raw_socket(iface, L.INML_ETHERTYPE)
    sock.settimeout(0.1)
    if ready_file:
        ready_file.write_text("ready")
    labels: dict[int, list[int]] = {}  # seq -> [label, flags, version, sample, latency_us]
    duplicates = 0
    ignored = 0
    t0 = time.monotonic()
    next_progress = t0 + progress_s

    def write() -> dict[str, Any]:
        counts = Counter(v[0] for v in labels.values())
        out = {"received": len(labels), "duplicates": duplicates, "ignored": ignored,
               "label_counts": {str(k): c for k, c in sorted(counts.items())},
               "packets": {str(s): v for s, v in labels.items()}}
        tmp = report.with_suffix(".tmp")
        tmp.write_text(json.dumps(out))
        tmp.replace(report)
        return out

    while not stop.flag:
        if duration_s is not None and time.monotonic() - t0 >= duration_s:
            break
        try:
            frame, addr = sock.recvfrom(65535)
        except socket.timeout:
            frame, addr = b"", None
        except InterruptedError:
            continue
        now_ns = time.time_ns()
        if frame:
            if addr[2] == PACKET_OUTGOING:
                continue
            d = decode_frame(frame)
            if d is None:
                ignored += 1
            elif d.seq in labels:
                duplicates += 1
            else:
                labels[d.seq] = [d.label, d.flags, d.version, d.sample, round((now_ns - d.sent_ns) / 1000)]
        if progress_s and time.monotonic() >= next_progress:
            out = write()
            print(f"received {out['received']} labels {out['label_counts']}", flush=True)
            next_progress += progress_s
    sock.close()
    return write()


# ---------------------------------------------------------------------- analysis

@dataclass(frozen=True)
class SenderProgress:
    """What a running sender's ``--progress`` output says: its schedule and how many it had sent when.

    Example: ``SenderProgress.parse("start 1000000000 100 0\nsent 100 2000000000\n")``.
    """

    started_ns: int
    rate_pps: float
    seq_start: int
    sent_at: tuple[tuple[int, int], ...] = ()  # (packets sent so far, wall-clock ns)

    @classmethod
    def parse(cls, text: str) -> "SenderProgress | None":
        start, sent_at = None, []
        for line in text.splitlines():
            parts = line.split()
            try:
                if parts[:1] == ["start"] and len(parts) == 4:
                    start = (int(parts[1]), float(parts[2]), int(parts[3]))
                elif parts[:1] == ["sent"] and len(parts) == 3:
                    sent_at.append((int(parts[1]), int(parts[2])))
            except ValueError:
                continue  # a line cut short while being written
        return None if start is None else cls(*start, tuple(sent_at))

    @property
    def sent(self) -> int:
        return self.sent_at[-1][0] if self.sent_at else 0

    def first_seq_due_after(self, t_ns: float) -> int:
        """The first sequence number whose scheduled send time is at or after ``t_ns``.

        The sender paces on an absolute schedule and is never early, so every packet from this
        one on was sent after ``t_ns`` (a lagging sender may send a few earlier ones late too).
        """
        due = math.ceil(max(0.0, t_ns - self.started_ns) * self.rate_pps / 1e9)
        return self.seq_start + due

    def sent_before(self, t_ns: float) -> int:
        """Sequence numbers below the returned one had all been sent by ``t_ns`` (from the progress lines)."""
        done = [n for n, at in self.sent_at if at <= t_ns]
        return self.seq_start + (done[-1] if done else 0)


@dataclass(frozen=True)
class DeliveryReport:
    """Sent vs received per sequence number, and labels checked against the expected ones."""

    sent: int
    received: int
    lost: list[int]
    misclassified: list[int]
    not_done: list[int]
    duplicates: int

    @property
    def ok(self) -> bool:
        return not self.lost and not self.misclassified and not self.not_done and not self.duplicates

    def summary(self) -> str:
        return (f"sent {self.sent}, received {self.received}, lost {len(self.lost)}, "
                f"misclassified {len(self.misclassified)}, unlabelled {len(self.not_done)}, "
                f"duplicates {self.duplicates}")


def check_delivery(sent: int, rx: dict[str, Any], samples: Samples, seq_range: range | None = None) -> DeliveryReport:
    """Compare a receiver report with what was sent: sequence numbers ``0..sent-1``, or ``seq_range``."""
    packets = {int(s): v for s, v in rx["packets"].items()}
    seqs = seq_range if seq_range is not None else range(sent)
    lost, wrong, not_done = [], [], []
    for s in seqs:
        v = packets.get(s)
        if v is None:
            lost.append(s)
            continue
        label, flags, _version, sample = v[0], v[1], v[2], v[3]
        if not flags & L.FLAG_DONE:
            not_done.append(s)
        elif samples.expected and label != samples.expected[sample]:
            wrong.append(s)
    return DeliveryReport(len(seqs), sum(1 for s in seqs if s in packets), lost, wrong, not_done, int(rx["duplicates"]))


# ---------------------------------------------------------------------- CLI

def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m mininet_topos.traffic", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("send", help="send feature-carrying frames")
    s.add_argument("--iface", required=True)
    s.add_argument("--src-mac", required=True)
    s.add_argument("--dst-mac", default="ff:ff:ff:ff:ff:ff")
    s.add_argument("--samples", required=True, type=Path, help="JSON written by Samples.save")
    s.add_argument("--rate", type=float, default=500.0, help="packets per second (default 500)")
    s.add_argument("--count", type=int, help="stop after this many frames")
    s.add_argument("--duration", type=float, help="stop after this many seconds")
    s.add_argument("--report", type=Path, help="write a JSON summary here at the end")
    s.add_argument("--progress", type=float, default=0.0, help="print a line every N seconds (0: never)")
    s.add_argument("--seq-start", type=int, default=0, help="first sequence number (default 0)")
    r = sub.add_parser("recv", help="count labels of arriving frames")
    r.add_argument("--iface", required=True)
    r.add_argument("--report", required=True, type=Path)
    r.add_argument("--duration", type=float)
    r.add_argument("--progress", type=float, default=1.0)
    r.add_argument("--ready-file", type=Path, help="written once the socket is open")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.cmd == "send":
            out = send(args.iface, args.src_mac, args.dst_mac, Samples.load(args.samples), args.rate, args.count,
                       args.duration, args.report, args.progress, args.seq_start)
            print(json.dumps(out), flush=True)
        else:
            out = receive(args.iface, args.report, args.duration, args.progress, args.ready_file)
            print(f"received {out['received']} labels {out['label_counts']}", flush=True)
    except (OSError, ValueError) as exc:
        print(f"traffic: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
