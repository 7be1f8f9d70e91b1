"""omniplan-switch vs BMv2 side by side: start, pipeline push, write rate, pkt/s, reconfiguration loss.

Both kinds run the same way, so the ratios compare the switches and not the harness: a 3-switch
line (h1-s1-s2-s3-h3) in a private network namespace, one switch process per device on veth
pairs (omniplan-switch: ``python -m softswitch.main``; BMv2: ``simple_switch_grpc`` running the
p4c-compiled inml.p4), programmed through the controller's southbound (finsy over unix sockets).
Per kind:

* start: processes up and serving P4Runtime; pipeline: connect + arbitration +
  SetForwardingPipelineConfig (P4Info + BMv2 JSON) on all three;
* write: entries/s inserting a realised workload (netflow SVM, ~3.9k entries with 1536-bit
  values; batches of 500, the controller's southbound);
* pkt/s: quantised netflow flows in at h1, classified packets out at h3, 16 in flight (the
  burst size that BMv2 takes without loss), for a DT placed on 1 switch and on all 3;
* reconfiguration: while packets flow, a new southbound connection moves the DT from 1 to 3
  switches make-before-break (insert version 2, re-point the dispatch entry, delete version 1):
  packets lost, labels that differ from the compiled model's replay, how many packets each
  version carried, and the time of the writes alone and with connecting (arbitration, pipeline
  cookie check) while the data plane is busy.

Run (root, toolchain from `make setup`): ``.venv/bin/python -m bench.bench_switch_kinds``
(``--quick``: 300 packets). Writes ``bench/results/switch_kinds.csv``.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import write_csv  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
PORTS = {"s1": {"h1": 1, "s2": 2}, "s2": {"s1": 1, "s3": 2}, "s3": {"s2": 1, "h3": 3}}
KINDS = ("omni", "bmv2")
#: upper bound on packets sent across the reconfiguration (the sender stops 0.3 s after the flip;
#: the on_v1 / on_v2 columns show both versions carried traffic)
RECONFIG_MAX_PACKETS = 200_000


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench.bench_switch_kinds", description=__doc__.splitlines()[0])
    p.add_argument("--packets", type=int, default=2000, help="packets per pkt/s measurement (default 2000)")
    p.add_argument("--quick", action="store_true", help="300 packets (smoke run)")
    p.add_argument("--out", type=Path, default=RESULTS / "switch_kinds.csv")
    return p


def _task(kind: str, name: str, ingress: str = "s1"):
    from mlcompiler.compiler import compile_model, ranges_from_data
    from mlcompiler.datasets import trained_model
    from mlcompiler.replay import CompiledModel
    from mlcompiler.spec import spec_from_estimator

    model, (Xtr, Xte, _, _) = trained_model("netflow", kind)
    task = compile_model(spec_from_estimator(model), name, ranges_from_data(Xtr), ingress=ingress)
    return task, CompiledModel(task.program), Xtr


def _entries(task, n_switches: int, tid: int, version: int):
    from mlcompiler.realize import realize
    from omniplan.plan import complete_plan
    from omniplan.topology import line
    from omniplan.workload import Workload, mat_id

    topo = line(3)
    order = task.topological_order()
    placement = {mat_id(task.name, m): f"s{1 + (i * n_switches) // len(order)}" for i, m in enumerate(order)}
    wl = Workload((task,))
    plan = complete_plan(wl, topo, placement, "bench")
    return realize(wl, plan, topo, PORTS, {task.name: tid}, version=version, deliver_to={task.name: "h3"})


def _packets(cm, X, tid: int, n: int):
    from p4src.pipeline import build_packet

    q = cm.quantize(X)
    rows = [q[i % len(q)] for i in range(n)]
    ref = cm.predict_index(X)
    expect = [int(ref[i % len(q)]) for i in range(n)]
    pkts = [("s1", "h1", build_packet(tid, [int(v) for v in r], payload=i.to_bytes(4, "big"))) for i, r in enumerate(rows)]
    return pkts, expect


def _score(out, expect):
    """(delivered distinct packets, wrong labels, packets per config version) of an exchange's output."""
    from p4src.pipeline import parse_inml

    seen, wrong, versions = set(), 0, {}
    for _, _, frame in out:
        seq = int.from_bytes(frame[-4:], "big")
        if seq in seen:
            continue
        seen.add(seq)
        h = parse_inml(frame)
        wrong += h.label != expect[seq]
        versions[h.version] = versions.get(h.version, 0) + 1
    return len(seen), wrong, versions


async def _reconfigure(configs, new_entries, old_entries, dispatch_new) -> float:
    """Make-before-break through the southbound: insert v2, modify dispatch, delete v1 (seconds)."""
    from controller.deploy import DELETE, INSERT, MODIFY
    from controller.southbound import Southbound

    sb = Southbound(configs)
    ready: set[str] = set()

    async def on_ready(dev):
        ready.add(dev)

    sb.on_ready = on_ready
    await sb.start()
    try:
        while len(ready) < len(configs):
            await asyncio.sleep(0.01)
        t0 = time.perf_counter()
        for dev, ents in new_entries.items():
            await sb.drivers[dev].write([(INSERT, e) for e in ents if e.table != "MyIngress.dispatch"])
        await sb.drivers["s1"].write([(MODIFY, dispatch_new)])
        for dev, ents in old_entries.items():
            await sb.drivers[dev].write([(DELETE, e) for e in ents if e.table != "MyIngress.dispatch"])
        return time.perf_counter() - t0
    finally:
        await sb.stop()


def measure(kind: str, n_packets: int) -> list[dict]:
    from controller.switch_networks import NamespaceSwitchNetwork, push

    rows: list[dict] = []
    t0 = time.perf_counter()
    net = NamespaceSwitchNetwork(PORTS, kind=kind)
    start_s = time.perf_counter() - t0
    label = "BMv2" if kind == "bmv2" else "omniplan-switch"
    try:
        svm, _, _ = _task("svm", "svm_write")
        res = push(net, _entries(svm, 1, tid=1, version=1))
        rows += [dict(switch=label, metric="start_s", value=round(start_s, 3)),
                 dict(switch=label, metric="pipeline_push_s", value=round(res.pipeline_s, 3)),
                 dict(switch=label, metric="write_entries_per_s", value=round(res.write_rate, 1), entries=res.entries)]
        dt, cm, X = _task("dt", "dt_pps")
        for n_sw, tid in ((1, 2), (3, 3)):
            push(net, _entries(dt, n_sw, tid=tid, version=1))
            pkts, expect = _packets(cm, X, tid, n_packets)
            t = time.perf_counter()
            out = net.exchange(pkts)
            secs = time.perf_counter() - t
            got, wrong, _ = _score(out, expect)
            rows.append(dict(switch=label, metric=f"pkt_per_s_dt_{n_sw}sw", value=round(got / secs, 1),
                             packets=n_packets, delivered=got, wrong_labels=wrong))
        # reconfiguration: task 4 on 1 switch (v1), moved to 3 switches (v2) while packets flow
        tid = 4
        v1, v2 = _entries(dt, 1, tid, 1), _entries(dt, 3, tid, 2)
        push(net, v1)
        # the sender keeps sending 200-packet chunks until 0.3 s after the flip, so it spans it
        pkts, expect = _packets(cm, X, tid, RECONFIG_MAX_PACKETS)
        box: dict = {"out": [], "sent": 0}
        flipped = threading.Event()

        def send():
            for i in range(0, len(pkts), 200):
                box["out"] += net.exchange(pkts[i:i + 200])
                box["sent"] = i + 200
                if flipped.is_set() and time.perf_counter() > box["flip_done"] + 0.3:
                    return

        sender = threading.Thread(target=send)
        sender.start()
        time.sleep(0.2)  # traffic is flowing on v1
        dispatch_v2 = next(e for e in v2["s1"] if e.table == "MyIngress.dispatch")
        t_call = time.perf_counter()
        flip_s = asyncio.run(_reconfigure(net.configs(), v2, v1, dispatch_v2))
        total_s = time.perf_counter() - t_call
        box["flip_done"] = time.perf_counter()
        flipped.set()
        sender.join()
        n_reconf = min(box["sent"], len(pkts))
        got, wrong, versions = _score(box["out"], expect)
        rows.append(dict(switch=label, metric="reconfig_lost_packets", value=n_reconf - got, packets=n_reconf,
                         delivered=got, wrong_labels=wrong, reconfig_s=round(flip_s, 3),
                         reconfig_with_connect_s=round(total_s, 3),
                         on_v1=versions.get(1, 0), on_v2=versions.get(2, 0)))
    finally:
        net.close()
    return rows


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from p4src.toolchain import HOW_TO_GET, built_json, compile_inml, find_toolchain
    from softswitch.netns_network import netns_available

    if find_toolchain().bmv2 is None or netns_available():
        print(f"bench_switch_kinds: needs root and BMv2 ({netns_available() or HOW_TO_GET})", file=sys.stderr)
        return 2
    if built_json() is None and compile_inml().returncode != 0:
        print("bench_switch_kinds: p4c failed on inml.p4 (run `make p4`)", file=sys.stderr)
        return 1
    n = 300 if args.quick else args.packets
    rows = []
    for kind in KINDS:
        rows += measure(kind, n)
    omni = {r["metric"]: r["value"] for r in rows if r["switch"] == "omniplan-switch"}
    for r in rows:
        if r["switch"] == "BMv2" and omni.get(r["metric"]):
            r["bmv2_over_omni"] = round(r["value"] / omni[r["metric"]], 3)
    cols = ["switch", "metric", "value", "bmv2_over_omni", "entries", "packets", "delivered", "wrong_labels", "reconfig_s",
            "reconfig_with_connect_s", "on_v1", "on_v2"]
    rows = [{c: r.get(c, "") for c in cols} for r in rows]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    write_csv(args.out, rows)
    width = max(len(r["metric"]) for r in rows)
    for r in rows:
        extra = ", ".join(f"{c}={r[c]}" for c in cols[3:] if r[c] != "")
        print(f"{r['switch']:16s} {r['metric']:{width}s} {r['value']:>10}  {extra}")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
