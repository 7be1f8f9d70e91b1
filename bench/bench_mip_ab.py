"""The optimal channel, base tree vs this tree, run alternately on the same instances and seeds.

WHY alternately: the machine is shared and its load moves by a factor of two within minutes, and
the MIP's result depends on the CPU time it gets within its wall-clock limit; running base and
branch back to back per case (each in its own process, so each peak RSS is its own) keeps them
under the same load. Each run is ``bench.bench_planning._mipscale_one`` of its own tree (uniform
weights, warm start from the tree's SPD-H / resource-greedy expert); costs are evaluated normalised
costs, the gap is plan cost minus the reported bound, both normalised.

    .venv/bin/python bench/bench_mip_ab.py --base /tmp/main-tree            # Abilene seeds 0-2, GEANT, TataNld
    .venv/bin/python bench/bench_mip_ab.py --base /tmp/main-tree --cases abilene
    .venv/bin/python bench/bench_mip_ab.py --base /tmp/main-tree --cases abilene --seeds 3,4   # beyond the targets' seeds

``--base`` is a checkout of the base commit (e.g. ``git archive main | tar -x -C /tmp/main-tree``).
Writes ``bench/results/mip_ab.csv``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import write_csv  # noqa: E402

#: (topology, devices or None for all, tasks, time limit s, seeds): the issue's three targets.
CASES = {
    "abilene": ("abilene", 8, 60, 30.0, (0, 1, 2)),
    "geant": ("geant2012", None, 100, 60.0, (0,)),
    "tata": ("TataNld", None, 200, 60.0, (0,)),
}


def run_one(tree: Path, topo: str, devices: int | None, tasks: int, limit: float, seed: int) -> dict:
    """``_mipscale_one`` of ``tree`` in a child process (its own peak RSS), with the load average."""
    # (solve_mip wrapped to keep its plan.info: the relax-and-fix round's powered set and LNS counts)
    code = ("import json,sys; sys.path.insert(0, %r); import experts.mip as m; seen = {}; solve = m.solve_mip\n"
            "def keep(*a, **k):\n    plan = solve(*a, **k); seen.update(plan.info); return plan\n"
            "m.solve_mip = keep\nfrom bench.bench_planning import _mipscale_one\n"
            "out = _mipscale_one(%r, %r, %d, %r, %d); rf = seen.get('relax_and_fix') or {}\n"
            "out['fixed_set'] = rf.get('powered'); out['lns'] = rf.get('lns'); out['fix_solver'] = rf.get('solver')\n"
            "out['fix_objective'] = rf.get('objective'); print(json.dumps(out))"
            ) % (str(tree), topo, devices, tasks, limit, seed)
    load = os.getloadavg()[0]
    env = {**os.environ, "PYTHONPATH": str(tree)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=limit * 4 + 180,
                         cwd=tree, env=env)
    row = {"load_1min": round(load, 2)}
    if out.returncode != 0:
        return {**row, "error": out.stderr.strip().splitlines()[-1][:200] if out.stderr.strip() else f"rc {out.returncode}"}
    res = json.loads(out.stdout.strip().splitlines()[-1])
    gap = res["objective"] - res["bound"] if res.get("bound") is not None else None
    return {**row, "wall_s": round(res["wall_s"], 2), "rss_mb": round(res["rss_mb"]), "status": res["status"],
            "start": res.get("best_start"), "objective": res["objective"], "bound": res.get("bound"), "gap": gap,
            "gap_pct_of_plan": None if gap is None else 100.0 * gap / res["objective"],
            "better_than_start_pct": None if not res.get("best_start") else 100.0 * (1 - res["objective"] / res["best_start"]),
            "violations": res["violations"], "fixed_set": "+".join(res.get("fixed_set") or []) or None,
            # the round's solver (None: a tree that does not say, i.e. CP-SAT) and its plan before the LNS
            "fix_solver": res.get("fix_solver"), "fix_objective": res.get("fix_objective"),
            **_lns_counts(res.get("lns"))}


def _lns_counts(lns: dict | None) -> dict:
    """The task LNS's steps / solved / accepted counts and its cost before and after (None: not run,
    with ``lns_skipped`` saying why when the round said)."""
    keys = ("steps", "solved", "accepted", "cost_before", "cost_after", "skipped")
    return {f"lns_{k}": (lns or {}).get(k) for k in keys}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base", required=True, type=Path, help="a checkout of the base commit")
    ap.add_argument("--cases", default="abilene,geant,tata")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "mip_ab.csv"))
    ap.add_argument("--seeds", default=None, help="comma-separated seeds instead of each case's own (e.g. 3,4)")
    args = ap.parse_args(argv)
    if not (args.base / "bench" / "bench_planning.py").exists():
        print(f"--base {args.base}: not a checkout (no bench/bench_planning.py)", file=sys.stderr)
        return 2
    rows = []
    for name in args.cases.split(","):
        if name not in CASES:
            print(f"--cases: unknown case {name!r} (known: {', '.join(CASES)})", file=sys.stderr)
            return 2
        topo, devices, tasks, limit, seeds = CASES[name]
        if args.seeds:
            try:
                seeds = tuple(int(x) for x in args.seeds.split(","))
            except ValueError:
                print(f"--seeds: not a comma-separated list of integers: {args.seeds!r}", file=sys.stderr)
                return 2
        for seed in seeds:
            for label, tree in (("base", args.base.resolve()), ("branch", ROOT)):
                r = {"case": name, "seed": seed, "tree": label, **run_one(tree, topo, devices, tasks, limit, seed)}
                rows.append(r)
                print(json.dumps(r), flush=True)
    print(f"wrote {write_csv(Path(args.out), rows)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
