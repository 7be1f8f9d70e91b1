"""Packet-feature IDS models: held-out accuracy, switch-vs-sklearn agreement, entries, twin speed.

Trains on host-side features of one generated trace (mlcompiler.packet_traces, seed 1), tests on
another (seed 2): for each model, sklearn's accuracy on the held-out packets, the share of
packets on which the in-process twin (one switch, plain IPv4 in, flow state in its registers)
labels as sklearn does on the same feature vectors, the table entries, and the twin's packets/s
on plain IPv4 (data-plane feature extraction) side by side with the same tables fed inml packets
whose features a host filled in (the old path), as a ratio.

    .venv/bin/python bench/bench_packet_features.py [--quick]
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
warnings.filterwarnings("ignore")

import numpy as np  # noqa: E402
from sklearn.ensemble import RandomForestClassifier  # noqa: E402
from sklearn.tree import DecisionTreeClassifier  # noqa: E402

from bench.common import write_csv  # noqa: E402
from mlcompiler.compiler import compile_model  # noqa: E402
from mlcompiler.packet_traces import IDS_FEATURES, generate_trace, packet_dataset  # noqa: E402
from mlcompiler.realize import realize  # noqa: E402
from mlcompiler.spec import spec_from_estimator  # noqa: E402
from omniplan.plan import complete_plan  # noqa: E402
from omniplan.topology import line  # noqa: E402
from omniplan.workload import Workload, mat_id  # noqa: E402
from p4src import features as pf  # noqa: E402
from p4src.chain import SwitchChain  # noqa: E402
from p4src.pipeline import build_packet, parse_inml  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
TOPO = line(3)
PORTS = {"s1": {"h1": 1, "h3": 2, "s2": 3}, "s2": {"s1": 1, "s3": 2}, "s3": {"s2": 1}}
TID = 5


def _models(quick: bool):
    out = [("DT depth 8", DecisionTreeClassifier(max_depth=8, random_state=0)),
           ("RF 8 x depth 6", RandomForestClassifier(8, max_depth=6, random_state=0))]
    if not quick:
        out.append(("RF 32 x depth 8", RandomForestClassifier(32, max_depth=8, random_state=0)))
        try:
            from xgboost import XGBClassifier

            out.append(("XGB 20 x depth 4", XGBClassifier(n_estimators=20, max_depth=4, random_state=0)))
        except ImportError:
            pass
    return out


def _chain(est) -> tuple[SwitchChain, int]:
    task = compile_model(spec_from_estimator(est), "ids", packet_features=IDS_FEATURES, ingress="s1")
    wl = Workload((task,))
    plan = complete_plan(wl, TOPO, {mat_id(task.name, m.name): "s1" for m in task.mats}, "bench")
    entries = realize(wl, plan, TOPO, PORTS, {task.name: TID}, version=1, deliver_to={task.name: "h3"}, keep_header=True)
    return SwitchChain(entries, PORTS), sum(m.entries for m in task.mats)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="two models, a shorter training trace")
    args = ap.parse_args(argv)
    train, test = generate_trace(80 if args.quick else 200, seed=1), generate_trace(60, seed=2)
    Xtr, ytr = packet_dataset(train)
    Xte, yte = packet_dataset(test)
    # the old path: a host puts the same feature words into the inml header itself
    host_filled = []
    for v in pf.extract((p.time_us, p.frame) for p in test):
        host_filled.append(build_packet(TID, v + [0] * (64 - len(v))))
    rows = []
    print(f"train {len(Xtr)} packets, held-out {len(Xte)} packets, features {', '.join(IDS_FEATURES)}")
    for name, est in _models(args.quick):
        est.fit(np.asarray(Xtr), np.asarray(ytr))
        ref = est.predict(np.asarray(Xte))
        chain, entries = _chain(est)
        t0 = time.perf_counter()
        labels = []
        for p in test:
            (d,) = chain.send("s1", 1, p.frame, now_us=p.time_us)
            labels.append(parse_inml(d.packet).label)
        plain_s = time.perf_counter() - t0
        chain2, _ = _chain(est)
        t0 = time.perf_counter()
        for pkt in host_filled:
            chain2.send("s1", 1, pkt)
        hdr_s = time.perf_counter() - t0
        agree = float(np.mean(np.asarray(est.classes_)[labels] == ref))
        row = {"model": name, "train_packets": len(Xtr), "test_packets": len(Xte), "entries": entries,
               "sklearn_acc": round(float(np.mean(ref == np.asarray(yte))), 4), "switch_eq_sklearn": round(agree, 4),
               "pps_plain_ipv4": round(len(test) / plain_s), "pps_host_filled_header": round(len(test) / hdr_s),
               "plain_over_header": round(hdr_s / plain_s, 2)}
        rows.append(row)
        print("  ".join(f"{k}={v}" for k, v in row.items()))
    RESULTS.mkdir(parents=True, exist_ok=True)
    write_csv(RESULTS / "packet_features.csv", rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
