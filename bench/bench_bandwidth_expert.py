"""Spare bandwidth of the fast experts vs CP-SAT with throughput-heavy static weights, side by side.

Issue 13 item 7: intent U#2 ("Offload some tasks with higher throughput") activates the
``bandwidth-aware`` fast expert, so its plan must come within 1 % of the best spare bandwidth on
the paper's Table 1 instance (Abilene, 60 compiled tasks, ``bench_paper``'s seed and scale).
Spare bandwidth is bench_paper's ``thpt_gbps``: the slowest link's Gbps x the evaluator's
throughput headroom. Fast experts: best of 5 timed runs after one warm-up.

    PYTHONPATH=$PWD nice -n 5 .venv/bin/python bench/bench_bandwidth_expert.py [--mip-time 10]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_paper import STATIC, instance, metrics  # noqa: E402
from bench.common import write_csv  # noqa: E402
from experts.registry import PlanRequest, get  # noqa: E402
from omniplan.topology import load_topology  # noqa: E402

#: The fast experts to compare: every heuristic activation may pick, plus the DRL latency expert
#: (the U#3 plan) whose lowest-latency walks set the "before" bottleneck.
FAST = ("bandwidth-aware", "latency-greedy", "resource-greedy", "coordination-greedy", "consolidate", "coverage-greedy", "drl-latency")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--scale", type=float, default=2.0)
    ap.add_argument("--tasks", type=int, default=60)
    ap.add_argument("--mip-time", type=float, default=10.0)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args(argv)
    topo = load_topology("abilene")
    wl = instance(topo, args.tasks, SimpleNamespace(seed=args.seed, scale=args.scale))
    rows = []
    for name in FAST:
        get(name).solve(PlanRequest(wl, topo))
        times = []
        for _ in range(5):
            t0 = time.perf_counter()
            plan = get(name).solve(PlanRequest(wl, topo))
            times.append(time.perf_counter() - t0)
        rows.append({"method": name, "time_s": min(times), **metrics(plan, wl, topo)})
    from experts.mip import solve_mip

    t0 = time.perf_counter()
    plan = solve_mip(PlanRequest(wl, topo, weights=STATIC["Throughput"], time_limit_s=args.mip_time,
                                 workers=args.workers, warm_start=get("resource-greedy").solve(PlanRequest(wl, topo))))
    rows.append({"method": "cpsat (Throughput weights)", "time_s": time.perf_counter() - t0, **metrics(plan, wl, topo)})
    best = max(r["thpt_gbps"] for r in rows)
    for r in rows:
        r["vs_best"] = r["thpt_gbps"] / best
        print(f"{r['method']:28s} thpt {r['thpt_gbps']:.3f} Gbps ({r['vs_best']:.4f} of best)  "
              f"latency {r['latency_ms']:.3f} ms  violations {r['violations']}  {1000 * r['time_s']:.1f} ms")
    write_csv(Path(__file__).parent / "results" / "bandwidth_expert.csv", rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
