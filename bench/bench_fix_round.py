"""The relax-and-fix round's solver alone: HiGHS vs CP-SAT on the same fixed-set model and start.

WHY: the optimal channel's 30-s result on Abilene[8] / 60 tasks depends on the relax-and-fix
round (the powered switches fixed to the relaxation's best set, stage-window rows on them); this
isolates that round's solver from the rest of ``solve_mip`` (the background proof, the LNS), so
the two solvers see the same model, start and time. The instance, warm start and powered set are
those ``bench.bench_planning._mipscale_one`` / ``solve_mip`` use (uniform weights, resource-greedy
warm start); ``--windows-s`` is generous by default so the set chosen does not depend on load.

    .venv/bin/python bench/bench_fix_round.py --seed 4 --solver highs --limit 20
    .venv/bin/python bench/bench_fix_round.py --seed 4 --solver cpsat --limit 20

Prints the set, the start's and the solver's normalised objective (the model's), the solver's
bound for that set, and the evaluator's cost of the plan (None: it fails the stage schedule or
the checker).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def run(seed: int, solver: str, limit: float, windows_s: float, devices: int = 8, tasks: int = 60) -> dict:
    """One round on the best set of ``explore`` for Abilene[``devices``] / ``tasks`` tasks, ``seed``."""
    import experts.mip as mip
    from bench.bench_planning import generate_compiled_workload, load_topology
    from experts.milp_backends import solve_cpsat, solve_highs
    from experts.milp_paths import build_path_model, normalize_weights
    from experts.milp_powerset import best_set, explore
    from experts.registry import PlanRequest, get

    topo = load_topology("abilene").subset(devices)
    wl = generate_compiled_workload(tasks, seed, [d.name for d in topo.devices])
    fast = get("resource-greedy").solve(PlanRequest(wl, topo))
    req = PlanRequest(wl, topo, weights=[1.0] * 7, warm_start=fast)
    pm = build_path_model(wl, topo, normalize_weights(req.weights), extra_walks=mip._walks_of(fast, req))
    _bound, built, reports = explore(pm, mip.POWERSET_SHARE * 30.0, windows_s=windows_s)
    on = set(best_set(reports))
    hints = [h for h in (pm.hint_from_plan(p) for p in (fast, mip.greedy_seed(wl, topo), *built))
             if h is not None and not pm.model.violated(h)]
    inside = [h for h in hints if all(h.get(v, 0) == 0 for d, v in pm.used.items() if d not in on)]
    if not inside:
        return {"seed": seed, "powered": sorted(on), "error": "no start inside the set"}
    hint = min(inside, key=pm.model.objective_value)
    model = mip.fixed_model(pm, on, hint)[0]
    t0 = time.perf_counter()
    if solver == "highs":
        result = solve_highs(model, time_limit_s=limit, workers=1, seed=0)
    else:
        result = solve_cpsat(model, time_limit_s=limit, workers=2, seed=0, pool=mip.SOLUTION_POOL)
    wall = time.perf_counter() - t0
    norm = pm.normalized_objective
    out = {"seed": seed, "solver": solver, "limit_s": limit, "wall_s": round(wall, 2), "powered": sorted(on),
           "start": round(norm(model.objective_value(model.hint)), 6), "status": result.status,
           "objective": None if result.objective is None else round(norm(result.objective), 6),
           "set_bound": None if result.bound is None else round(norm(result.bound), 6), "cost": None}
    if result.has_solution:
        cost = mip._lns_price(pm)({i: v for i, v in result.values.items() if i < len(pm.model.vars)})
        out["cost"] = None if cost is None else round(cost, 6)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=4)
    ap.add_argument("--solver", choices=("highs", "cpsat"), default="highs")
    ap.add_argument("--limit", type=float, default=20.0, help="the solver's seconds")
    ap.add_argument("--windows-s", type=float, default=20.0, help="explore's windows share (s): room to finish W(S)")
    args = ap.parse_args(argv)
    if args.limit <= 0 or args.windows_s < 0:
        print("--limit must be > 0 and --windows-s >= 0", file=sys.stderr)
        return 2
    print(json.dumps(run(args.seed, args.solver, args.limit, args.windows_s)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
