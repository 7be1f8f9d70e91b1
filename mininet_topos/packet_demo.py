"""Packet-feature IDS on Mininet: live plain-IPv4 traffic classified by the switches, checked
against sklearn.

WHY: the operator-visible proof that a model reads its features from the packets themselves.
A decision tree is trained on host-side features of one generated IDS trace; its tables are
split over a line of three ``omniplan-switch`` nodes; h1 replays another trace (plain
Ethernet/IPv4/TCP|UDP, no inference header) and h3 captures what arrives. The last switch keeps
the inml header (a monitor), so every delivered packet shows the feature vector the switches
computed from its headers and their flow registers, and the label they gave it.

    sudo .venv/bin/python -m mininet_topos.packet_demo [--packets 1100] [--rate PPS] [--depth 8]

h1 sends at the trace's own timing (about 11 s for 1,100 packets) unless ``--rate`` paces it:
timing features (flow.iat, flow.duration) are then unlike the training trace's, and the accuracy
against the trace's classes drops, while the labels still equal sklearn's on what the switches saw.

Prints one line per check and exits 1 if any fails. Takes the emulation lock like ``make run``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
#: a 1500-byte IPv4 packet plus the inml header does not fit the default 1500-byte MTU
MTU = 9000
TASK_ID = 11


@dataclass
class DemoReport:
    """What the demo measured; ``ok`` when every delivered packet checks out."""

    sent: int = 0
    received: int = 0
    intact: int = 0  # the IPv4 packet behind the inml header is the one h1 sent
    labels_equal_sklearn: int = 0  # on the feature vector the switches computed
    features_equal_host: int = 0  # time-free features equal host-side extraction
    accuracy: float = 0.0  # the switches' labels against the trace's ground truth
    label_counts: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        n = self.sent
        return n > 0 and self.received == self.intact == self.labels_equal_sklearn == self.features_equal_host == n

    def lines(self) -> list[str]:
        n = self.sent
        return [f"sent {n} plain IPv4 packets from h1, received {self.received} on h3",
                f"inner packet intact: {self.intact}/{n}",
                f"labels equal sklearn on the switches' feature vectors: {self.labels_equal_sklearn}/{n}",
                f"time-free features equal host-side extraction: {self.features_equal_host}/{n}",
                f"accuracy against the trace's classes: {self.accuracy:.4f}; labels {self.label_counts}"]


def _set_mtu(emu) -> None:
    for node in emu.net.hosts + emu.net.switches:
        for intf in node.intfList():
            if intf.name != "lo":
                node.cmd(f"ip link set dev {intf.name} mtu {MTU}")


def run_demo(workdir: Path, *, packets: int = 1100, rate_pps: float | None = None, depth: int = 8,
             grpc_base_port: int = 51950) -> DemoReport:
    """Train, compile, emulate, replay, capture and check (see module doc)."""
    from sklearn.tree import DecisionTreeClassifier

    from mininet_topos.emulation import Emulation
    from mininet_topos.layout import build_layout
    from mlcompiler.compiler import compile_model
    from mlcompiler.packet_traces import CLASSES, IDS_FEATURES, generate_trace, packet_dataset, read_pcap, write_pcap
    from mlcompiler.realize import realize
    from mlcompiler.spec import spec_from_estimator
    from omniplan.plan import complete_plan
    from omniplan.workload import Workload, mat_id
    from p4src import features as pf
    from p4src import layout as L
    from p4src.p4info import load_p4info
    from p4src.pipeline import parse_inml
    from softswitch.client import P4RuntimeClient, install

    train, test = generate_trace(120, seed=1), generate_trace(max(60, packets // 25), seed=2)[:packets]
    Xtr, ytr = packet_dataset(train)
    est = DecisionTreeClassifier(max_depth=depth, random_state=0).fit(np.asarray(Xtr), ytr)

    lay = build_layout("line3", grpc_base_port=grpc_base_port)
    devs = [s.device for s in lay.switches]
    port_map = {s.device: {**dict(s.neighbor_ports), **dict(s.host_ports)} for s in lay.switches}
    h1, h3 = lay.hosts_of(devs[0])[0], lay.hosts_of(devs[-1])[0]
    task = compile_model(spec_from_estimator(est), "ids", packet_features=IDS_FEATURES, ingress=devs[0])
    order = task.topological_order()
    placement = {mat_id(task.name, m): devs[(i * len(devs)) // len(order)] for i, m in enumerate(order)}
    wl = Workload((task,))
    plan = complete_plan(wl, lay.topology, placement, "demo")
    entries = realize(wl, plan, lay.topology, port_map, {task.name: TASK_ID}, version=1,
                      deliver_to={task.name: h3.name}, keep_header=True)
    workdir.mkdir(parents=True, exist_ok=True)
    pcap, got_pcap, ready = workdir / "trace.pcap", workdir / "got.pcap", workdir / "capture.ready"
    ready.unlink(missing_ok=True)
    write_pcap(pcap, test)
    info = load_p4info()
    tool = [sys.executable, "-m", "mininet_topos.pcap_replay"]
    span_s = (test[-1].time_us - test[0].time_us) / 1e6 if rate_pps is None else len(test) / rate_pps
    with Emulation(lay, "omni", link_delay=False) as emu:
        _set_mtu(emu)
        for s in lay.switches:
            with P4RuntimeClient(s.grpc_address, device_id=s.device_id) as c:
                c.open_stream()
                c.arbitrate()
                install(c, info, entries.get(s.device, []))
        rx = emu.popen(h3.name, [*tool, "capture", f"{h3.name}-eth0", str(got_pcap), "--count", str(len(test)),
                                 "--timeout", str(30 + 2 * span_s), "--ready", str(ready)],
                       cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while not ready.exists() and time.monotonic() < deadline and rx.poll() is None:
            time.sleep(0.1)
        if not ready.exists():
            raise RuntimeError(f"the capture on {h3.name} did not start: {rx.communicate(timeout=5)[0].decode()}")
        pace = ["--rate", str(rate_pps)] if rate_pps else []
        tx = emu.popen(h1.name, [*tool, "send", f"{h1.name}-eth0", str(pcap), *pace], cwd=REPO,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        tx_out = tx.communicate(timeout=60 + 2 * span_s)[0].decode()
        rx.communicate(timeout=60 + 2 * span_s)
    if tx.returncode != 0:
        raise RuntimeError(f"the sender on {h1.name} failed: {tx_out}")
    got = read_pcap(got_pcap)
    rep = DemoReport(sent=len(test), received=len(got))
    slots = pf.slots_of(IDS_FEATURES)
    X, y = packet_dataset(test)
    timed = {IDS_FEATURES.index("flow.iat"), IDS_FEATURES.index("flow.duration")}
    feats, labels, truth = [], [], []
    for sent, p, host_x, cls in zip(test, got, X, y):
        try:
            h = parse_inml(p.frame)
        except ValueError:
            continue
        rep.intact += p.frame[L.ETH_BYTES + L.INML_BYTES:] == sent.frame[L.ETH_BYTES:] and h.task_id == TASK_ID
        v = [(h.features >> L.feature_shift(s)) & L.FEATURE_MAX for s in slots]
        rep.features_equal_host += all(a == b for j, (a, b) in enumerate(zip(v, host_x)) if j not in timed)
        feats.append(v)
        labels.append(h.label)
        truth.append(cls)
    if feats:
        pred = est.predict(np.asarray(feats))
        mine = np.asarray(est.classes_)[labels]
        rep.labels_equal_sklearn = int(np.sum(mine == pred))
        rep.accuracy = float(np.mean(mine == np.asarray(truth)))
        rep.label_counts = {CLASSES[k]: v for k, v in sorted(Counter(mine.tolist()).items())}
    return rep


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m mininet_topos.packet_demo", description=__doc__.splitlines()[0])
    ap.add_argument("--packets", type=int, default=1100, help="held-out packets h1 sends (default 1100)")
    ap.add_argument("--rate", type=float, help="packets per second (default: the trace's own timing)")
    ap.add_argument("--depth", type=int, default=8, help="decision tree depth (default 8)")
    ap.add_argument("--workdir", type=Path, help="where the pcaps go (default: a temporary directory)")
    args = ap.parse_args(argv)
    if args.packets < 1 or (args.rate is not None and args.rate <= 0) or args.depth < 1:
        print("packet_demo: --packets, --rate and --depth must be positive", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="omniplan-packet-demo-") as tmp:
        rep = run_demo(args.workdir or Path(tmp), packets=args.packets, rate_pps=args.rate, depth=args.depth)
    for line in rep.lines():
        print(line)
    print("OK" if rep.ok else "FAILED")
    return 0 if rep.ok else 1


if __name__ == "__main__":
    sys.exit(main())
