"""Planning quality and time: SPD-O vs our fast experts resource-greedy and coordination-greedy (section 5,
not the SPD-H and HMS baselines: those are in bench_paper.py) vs OmniPlan (the paper's Exp#2-#4, #6).

Sections (one run, methods side by side, ratios against SPD-O):

* ``quality`` - SRAM %, PHV %, mean latency, coverage and solve time on each topology x task
  count (paper Tables 2-4: Abilene/Internet2, Abvt/Abovenet, FatTree k=4; 20..100 tasks).
* ``scale``   - execution time vs device count (Table 6; GEANT2012 subsets of 8/16/24/32
  devices): the fast path (fast experts, incl. 100 tasks on 32 devices) and the optimal path
  (SPD-O and OmniPlan's MIP with the fast plan as warm start): time, status, gap.
* ``optimal`` - 8 devices / 60 tasks: CP-SAT time and gap to the proven optimum for SPD-O's
  weights; how far the fast experts' SRAM and PHV are from CP-SAT's optimum (SRAM: weights
  resources=1; PHV: weights resources=1, coordination=1, hops=1, the objectives PHV consists of).
* ``highs``   - CP-SAT vs HiGHS on the same integer model: time to the (same) optimum, ratio.
* ``mipscale`` - the optimal channel at scale (issue 13's targets): Abilene[8]/60 tasks 30 s,
  GEANT/100 tasks 60 s, TataNld/200 tasks 60 s; wall time, peak RSS (child process), objective vs
  bound and vs the warm start. Not in the default sections (about 3.5 minutes).

    .venv/bin/python bench/bench_planning.py --quick      # a few minutes
    .venv/bin/python bench/bench_planning.py              # full grid (long: MIP limit 60 s each)

OmniPlan = experts.activation.activate with the preference given by --prefer (default
"resources=0.8,latency=0.6": two objectives, so Algorithm 1 runs a fast expert plus the MIP).
Writes bench/results/planning_*.csv and planning.png.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.progress import Progress  # noqa: E402
from rich.table import Table  # noqa: E402

from bench.common import write_csv as common_write_csv  # noqa: E402
from experts.registry import PlanRequest, get  # noqa: E402
from omniplan.errors import OmniPlanError  # noqa: E402
from omniplan.evaluate import evaluate  # noqa: E402
from omniplan.feasibility import check_plan  # noqa: E402
from omniplan.objectives import OBJECTIVES, Preference  # noqa: E402
from omniplan.topology import Topology, load_topology  # noqa: E402
from omniplan.workload import Workload, generate_compiled_workload  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
console = Console(width=200)
FAST = ("resource-greedy", "coordination-greedy")


def _w(**kw: float) -> list[float]:
    return [kw.get(o, 0.0) for o in OBJECTIVES]


#: Table size multiplier passed to generate_compiled_workload (--scale); 1 = as compiled.
SCALE = 1.0


def instance(topo_name: str, n_tasks: int, n_devices: int | None = None, seed: int = 0) -> tuple[Workload, Topology]:
    topo = load_topology(topo_name)
    if n_devices is not None:
        topo = topo.subset(n_devices)
    names = [d.name for d in topo.devices]
    if topo.kind == "datacenter":
        names = [n for n in names if n.startswith("e")] or names  # traffic enters and leaves at edge switches
    return generate_compiled_workload(n_tasks, seed, names, scale=SCALE), topo


def run_method(method: str, wl: Workload, topo: Topology, args) -> dict:
    """One method on one instance -> metrics row (errors recorded, not raised)."""
    row: dict = {"method": method}
    t0 = time.perf_counter()
    info: dict = {}
    try:
        if method == "omniplan":
            from experts.activation import activate

            res = activate(Preference.parse(args.prefer), wl, topo, time_limit_s=args.mip_time, workers=args.workers)
            plan = res.plan
            info = {"chosen": res.chosen, "activated": "+".join(res.activated)}
            mip = next((r for r in res.runs if r.role == "mip" and r.plan is not None), None)
            if mip is not None:
                info.update({k: mip.plan.info.get(k) for k in ("status", "gap")})
        else:
            expert = get(method)
            req = PlanRequest(wl, topo, time_limit_s=args.mip_time, workers=args.workers)
            plan = expert.solve(req)
            info = {k: plan.info.get(k) for k in ("status", "gap")} if expert.kind == "mip" else {}
    except (OmniPlanError, KeyError) as exc:
        row.update(error=str(exc)[:120], time_s=time.perf_counter() - t0)
        return row
    row["time_s"] = time.perf_counter() - t0
    ev = evaluate(plan, wl, topo)
    row.update(
        sram_pct=ev.objectives["resources"],
        phv_pct=ev.phv_pct,
        latency_us=ev.objectives["latency"],
        coverage_pct=ev.objectives["coverage"],
        violations=len(check_plan(plan, wl, topo)),
        **info,
    )
    return row


def available(methods: list[str]) -> list[str]:
    out = []
    for m in methods:
        if m == "omniplan":
            try:
                import experts.activation  # noqa: F401
            except ImportError:
                console.print("[yellow]experts.activation missing: OmniPlan column skipped")
                continue
        else:
            try:
                get(m)
            except KeyError:
                console.print(f"[yellow]expert {m!r} not registered: skipped")
                continue
        out.append(m)
    return out


def _fmt(v, spec=".2f") -> str:
    if v is None or v == "":
        return "-"
    if isinstance(v, float):
        return format(v, spec)
    return str(v)


def _ratio(row: dict, base: dict | None, key: str) -> str:
    if not base or key not in row or key not in base or not base[key]:
        return "-"
    return f"{row[key] / base[key]:.2f}x"


def write_csv(name: str, rows: list[dict]) -> Path:
    return common_write_csv(RESULTS / name, rows)


# --------------------------------------------------------------------------- sections

def section_quality(args, methods: list[str]) -> list[dict]:
    rows: list[dict] = []
    cases = [(t, n) for t in args.topologies for n in args.tasks]
    with Progress(console=console) as progress:
        task = progress.add_task("quality", total=len(cases) * len(methods))
        for topo_name, n in cases:
            wl, topo = instance(topo_name, n, seed=args.seed)
            for m in methods:
                progress.update(task, description=f"{topo.name} {n} tasks: {m}")
                row = run_method(m, wl, topo, args)
                row.update(topology=topo.name, devices=len(topo.devices), tasks=n)
                rows.append(row)
                progress.advance(task)
    table = Table(title="Quality (ratios vs SPD-O; lower is better for SRAM, PHV, latency, time)")
    for col in ("topology", "tasks", "method", "SRAM %", "PHV %", "latency us", "cover %", "time s",
                "SRAM x", "PHV x", "lat x", "time x", "MIP status/gap", "note"):
        table.add_column(col)
    for topo_name in dict.fromkeys(r["topology"] for r in rows):
        for n in args.tasks:
            group = [r for r in rows if r["topology"] == topo_name and r["tasks"] == n]
            base = next((r for r in group if r["method"] == "spd-o" and "error" not in r), None)
            for r in group:
                status = r.get("status")
                gap = r.get("gap")
                table.add_row(topo_name, str(n), r["method"], _fmt(r.get("sram_pct"), ".3f"), _fmt(r.get("phv_pct"), ".3f"),
                              _fmt(r.get("latency_us"), ".1f"), _fmt(r.get("coverage_pct"), ".0f"), _fmt(r.get("time_s"), ".3f"),
                              _ratio(r, base, "sram_pct"), _ratio(r, base, "phv_pct"), _ratio(r, base, "latency_us"),
                              _ratio(r, base, "time_s"),
                              f"{status}/{gap:.3%}" if status and gap is not None else (status or "-"),
                              r.get("error", r.get("chosen", ""))[:40])
    console.print(table)
    return rows


def section_scale(args, methods: list[str]) -> list[dict]:
    rows: list[dict] = []
    fast = [m for m in methods if m in FAST]
    with Progress(console=console) as progress:
        task = progress.add_task("scale", total=len(args.devices) * (len(fast) * 2 + 2))
        for nd in args.devices:
            for n_tasks, label in ((args.scale_tasks, "fast"), (args.fast_tasks, "fast-large")):
                wl, topo = instance(args.scale_topology, n_tasks, nd, seed=args.seed)
                for m in fast:
                    progress.update(task, description=f"{nd} devices, {n_tasks} tasks: {m}")
                    row = run_method(m, wl, topo, args)
                    row.update(devices=len(topo.devices), tasks=n_tasks, path=label)
                    rows.append(row)
                    progress.advance(task)
            wl, topo = instance(args.scale_topology, args.scale_tasks, nd, seed=args.seed)
            for m in ("spd-o", "omniplan"):
                if m not in methods:
                    progress.advance(task)
                    continue
                progress.update(task, description=f"{nd} devices, {args.scale_tasks} tasks: {m}")
                row = run_method(m, wl, topo, args)
                row.update(devices=len(topo.devices), tasks=args.scale_tasks, path="optimal")
                rows.append(row)
                progress.advance(task)
    table = Table(title=f"Execution time vs devices ({args.scale_topology} subsets; MIP limit {args.mip_time:g} s)")
    for col in ("devices", "tasks", "path", "method", "time s", "SRAM %", "MIP status", "gap", "note"):
        table.add_column(col)
    for r in rows:
        table.add_row(str(r["devices"]), str(r["tasks"]), r["path"], r["method"], _fmt(r.get("time_s"), ".3f"),
                      _fmt(r.get("sram_pct"), ".3f"), str(r.get("status") or "-"),
                      _fmt(r.get("gap"), ".3%") if r.get("gap") is not None else "-", r.get("error", r.get("chosen", ""))[:40])
    console.print(table)
    return rows


def section_optimal(args, methods: list[str]) -> list[dict]:
    from experts.mip import SPD_O_WEIGHTS, solve_mip

    wl, topo = instance(args.opt_topology, args.opt_tasks, args.opt_devices, seed=args.seed)
    rows: list[dict] = []
    fast_plans = {}
    for m in [m for m in methods if m in FAST]:
        t0 = time.perf_counter()
        try:
            fast_plans[m] = (get(m).solve(PlanRequest(wl, topo, workers=args.workers)), time.perf_counter() - t0)
        except OmniPlanError as exc:
            console.print(f"[yellow]{m}: {exc}")
    # (label, weights, warm starts to try); the quick mode skips the cold runs of the SRAM/PHV optima
    warm_runs = ("resource-greedy",) if args.quick else (None, "resource-greedy")
    configs = [("spd-o weights", SPD_O_WEIGHTS, (None, "resource-greedy")), ("uniform weights", [1.0] * 7, (None, "resource-greedy")),
               ("SRAM optimum", _w(resources=1), warm_runs),
               ("PHV proxy optimum", _w(resources=1, coordination=1, hops=1), warm_runs)]
    with Progress(console=console) as progress:
        task = progress.add_task("optimal", total=sum(len(c[2]) for c in configs))
        for label, weights, warms in configs:
            for warm_name in warms:
                progress.update(task, description=f"{label} warm={warm_name}")
                warm = fast_plans.get(warm_name, (None, 0))[0] if warm_name else None
                req = PlanRequest(wl, topo, weights=weights, time_limit_s=args.opt_time, workers=args.workers, warm_start=warm)
                t0 = time.perf_counter()
                plan = solve_mip(req)
                ev = evaluate(plan, wl, topo)
                starts = plan.info.get("warm_start") or []
                rows.append({"config": label, "warm_start": warm_name or "-", "time_s": time.perf_counter() - t0,
                             "status": plan.info["status"], "gap": plan.info.get("gap_normalised"),
                             "objective": plan.info.get("objective"), "bound": plan.info.get("best_bound"),
                             "solve_s": plan.info.get("solve_time_s"), "sram_pct": ev.objectives["resources"],
                             "phv_pct": ev.phv_pct, "latency_us": ev.objectives["latency"],
                             "warm_feasible": any(r.get("feasible") for r in starts)})
                progress.advance(task)
    sram_opt = min(r["sram_pct"] for r in rows if r["config"] == "SRAM optimum")
    phv_opt = min(r["phv_pct"] for r in rows if r["config"] == "PHV proxy optimum")
    table = Table(title=f"Optimal path: {topo.name}, {args.opt_tasks} tasks, CP-SAT {args.workers} workers, limit {args.opt_time:g} s")
    for col in ("config", "warm start", "time s", "status", "gap", "SRAM %", "PHV %", "latency us"):
        table.add_column(col)
    for r in rows:
        table.add_row(r["config"], r["warm_start"], f"{r['time_s']:.2f}", r["status"], _fmt(r["gap"], ".4f"),
                      f"{r['sram_pct']:.3f}", f"{r['phv_pct']:.3f}", f"{r['latency_us']:.1f}")
    console.print(table)
    t2 = Table(title="Fast experts vs CP-SAT optimum (relative excess)")
    for col in ("expert", "time s", "SRAM %", "SRAM vs opt", "PHV %", "PHV vs opt"):
        t2.add_column(col)
    for m, (plan, secs) in fast_plans.items():
        ev = evaluate(plan, wl, topo)
        s, p = ev.objectives["resources"], ev.phv_pct
        rows.append({"config": f"fast:{m}", "time_s": secs, "sram_pct": s, "phv_pct": p,
                     "sram_excess": s / sram_opt - 1, "phv_excess": p / phv_opt - 1})
        t2.add_row(m, f"{secs:.3f}", f"{s:.3f}", f"{s / sram_opt - 1:+.2%}", f"{p:.3f}", f"{p / phv_opt - 1:+.2%}")
    console.print(t2)
    return rows


def section_highs(args) -> list[dict]:
    from experts.milp_backends import solve_cpsat, solve_highs
    from experts.milp_paths import build_path_model as build_model
    from experts.mip import SPD_O_WEIGHTS

    rows = []
    with Progress(console=console) as progress:
        task = progress.add_task("cpsat vs highs", total=len(args.highs_cases) * 2)
        for nd, nt in args.highs_cases:
            wl, topo = instance(args.opt_topology, nt, nd, seed=args.seed)
            for label, weights in (("spd-o", SPD_O_WEIGHTS),):
                om = build_model(wl, topo, weights)
                res = {}
                for backend, fn in (("cpsat", solve_cpsat), ("highs", solve_highs)):
                    progress.update(task, description=f"{nd} dev / {nt} tasks: {backend}")
                    r = fn(om.model, time_limit_s=args.highs_time, workers=args.workers)
                    res[backend] = r
                    progress.advance(task)
                a, b = res["cpsat"], res["highs"]
                rows.append({"devices": nd, "tasks": nt, "weights": label, **om.model.stats(),
                             "cpsat_status": a.status, "cpsat_s": a.solve_time_s, "cpsat_obj": om.normalized_objective(a.objective) if a.objective is not None else None,
                             "highs_status": b.status, "highs_s": b.solve_time_s, "highs_obj": om.normalized_objective(b.objective) if b.objective is not None else None,
                             "same_optimum": a.status == b.status == "OPTIMAL"
                             and abs(a.objective - b.objective) <= 2e-6 * max(abs(a.objective), 1.0),
                             "highs_over_cpsat": b.solve_time_s / a.solve_time_s if a.solve_time_s else None})
    table = Table(title=f"CP-SAT vs HiGHS on the same integer model ({args.workers} threads, limit {args.highs_time:g} s)")
    for col in ("devices", "tasks", "vars", "rows", "CP-SAT", "s", "HiGHS", "s", "same optimum", "HiGHS/CP-SAT time"):
        table.add_column(col)
    for r in rows:
        table.add_row(str(r["devices"]), str(r["tasks"]), str(r["variables"]), str(r["constraints"]), r["cpsat_status"],
                      f"{r['cpsat_s']:.2f}", r["highs_status"], f"{r['highs_s']:.2f}", str(r["same_optimum"]),
                      _fmt(r["highs_over_cpsat"], ".2f"))
    console.print(table)
    return rows


MIPSCALE_CASES = (("abilene", 8, 60, 30.0), ("geant2012", None, 100, 60.0), ("TataNld", None, 200, 60.0))


def _mipscale_one(topo_name: str, n_devices: int | None, n_tasks: int, limit: float, seed: int) -> dict:
    """One optimal-channel run (uniform weights, resource-greedy warm start); called in a child process so
    its peak RSS is its own."""
    import resource

    from experts.mip import solve_mip

    topo = load_topology(topo_name)
    if n_devices:
        topo = topo.subset(n_devices)
    wl = generate_compiled_workload(n_tasks, seed, [d.name for d in topo.devices])
    fast = get("resource-greedy").solve(PlanRequest(wl, topo))
    t0 = time.perf_counter()
    plan = solve_mip(PlanRequest(wl, topo, weights=[1.0] * 7, time_limit_s=limit, warm_start=fast))
    wall = time.perf_counter() - t0
    from experts.milp_paths import candidate_walks, path_scales
    from experts.mip import greedy_seed

    # evaluated costs on the MIP's normalisation (the model's power term can differ from the evaluator's)
    scales = path_scales(wl, topo, {t.name: candidate_walks(t, topo) for t in wl.tasks})
    cost = lambda p: scales.cost(evaluate(p, wl, topo).objectives, [1.0] * 7)  # noqa: E731
    starts = [cost(p) for p in (fast, greedy_seed(wl, topo)) if p is not None and not check_plan(p, wl, topo)]
    return {"topology": topo.name, "devices": len(topo.devices), "tasks": n_tasks, "limit_s": limit, "wall_s": wall,
            "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "status": plan.info["status"],
            "objective": cost(plan), "bound": plan.info["best_bound"],
            "gap_normalised": plan.info["gap_normalised"], "best_start": min(starts) if starts else None,
            "variables": plan.info["model"]["variables"], "violations": len(check_plan(plan, wl, topo, require_all=True)),
            # which objective the gap sits in: the plan's normalised terms at weight 1/7 beside those of
            # the powered-set relaxation's optimum (the bound), when it was solved
            "terms": {o: round(v / 7.0, 4) for o, v in scales.normalized(evaluate(plan, wl, topo).objectives).items() if v},
            "bound_terms": ((plan.info.get("powered_set") or {}).get("solves") or [{}])[0].get("terms")}


def section_mipscale(args) -> list[dict]:
    import json
    import subprocess

    rows = []
    for topo_name, nd, nt, limit in MIPSCALE_CASES:
        code = ("import json,sys; sys.path.insert(0, %r); from bench.bench_planning import _mipscale_one; "
                "print(json.dumps(_mipscale_one(%r, %r, %d, %r, %d)))") % (str(RESULTS.parents[1]), topo_name, nd, nt,
                                                                           limit, args.seed)
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=limit * 4 + 120)
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]) if out.returncode == 0 else
                    {"topology": topo_name, "tasks": nt, "error": out.stderr[-200:]})
    table = Table(title="Optimal channel at scale (uniform weights, resource-greedy warm start, CP-SAT 2 workers)")
    for col in ("topology", "devices", "tasks", "limit s", "wall s", "RSS MB", "status", "objective", "bound",
                "best start", "vs start", "variables"):
        table.add_column(col)
    for r in rows:
        better = (1 - r["objective"] / r["best_start"]) if r.get("best_start") else None
        table.add_row(r["topology"], str(r.get("devices", "-")), str(r["tasks"]), _fmt(r.get("limit_s"), ".0f"),
                      _fmt(r.get("wall_s"), ".1f"), _fmt(r.get("rss_mb"), ".0f"), str(r.get("status", r.get("error", ""))[:30]),
                      _fmt(r.get("objective"), ".4f"), _fmt(r.get("bound"), ".4f"), _fmt(r.get("best_start"), ".4f"),
                      _fmt(better, ".1%"), str(r.get("variables", "-")))
    console.print(table)
    return rows


def plot(quality: list[dict], scale: list[dict], path: Path) -> None:
    """Only panels that have data (a run of one section used to leave two empty panels)."""
    topo0 = quality[0]["topology"] if quality else None
    panels = []
    for key, title in (("sram_pct", "SRAM %"), ("phv_pct", "PHV %")):
        series = {m: [(r["tasks"], r[key]) for r in quality if r["method"] == m and r["topology"] == topo0 and r.get(key) is not None]
                  for m in dict.fromkeys(r["method"] for r in quality)}
        series = {m: pts for m, pts in series.items() if pts}
        if series:
            panels.append((f"{title} ({topo0})", "tasks", series, "linear"))
    series = {}
    for m in dict.fromkeys(r["method"] for r in scale):
        for p in ("fast", "optimal"):
            pts = [(r["devices"], r["time_s"]) for r in scale if r["method"] == m and r["path"] == p and "error" not in r]
            if pts:
                series[f"{m} ({p})"] = pts
    if series:
        panels.append(("execution time (s)", "devices", series, "log"))
    if not panels:
        return
    fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 4), squeeze=False)
    for ax, (title, xlabel, series, yscale) in zip(axes[0], panels):
        for label, pts in series.items():
            ax.plot(*zip(*sorted(pts)), marker="o", label=label)
        ax.set(title=title, xlabel=xlabel, yscale=yscale)
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small grid that finishes in a few minutes")
    ap.add_argument("--sections", default="quality,scale,optimal,highs")
    ap.add_argument("--prefer", default="resources=0.8,latency=0.6", help="OmniPlan's preference vector")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--scale", type=float, default=1.0,
                    help="table size multiplier of the compiled-model workloads (1 = as compiled)")
    args = ap.parse_args(argv)
    global SCALE
    SCALE = args.scale
    tag = "" if args.scale == 1.0 else f"_s{args.scale:g}"
    if args.quick:
        args.topologies, args.tasks = ["abilene", "fattree4"], [20, 60]
        args.devices, args.scale_topology, args.scale_tasks, args.fast_tasks = [8, 32], "geant2012", 60, 100
        args.mip_time, args.opt_time, args.opt_topology, args.opt_tasks, args.opt_devices = 20.0, 30.0, "abilene", 60, 8
        args.highs_cases, args.highs_time = [(4, 10), (8, 20)], 60.0
    else:
        args.topologies, args.tasks = ["abilene", "Abvt", "fattree4"], [20, 40, 60, 80, 100]
        args.devices, args.scale_topology, args.scale_tasks, args.fast_tasks = [8, 16, 24, 32], "geant2012", 60, 100
        args.mip_time, args.opt_time, args.opt_topology, args.opt_tasks, args.opt_devices = 60.0, 30.0, "abilene", 60, 8
        args.highs_cases, args.highs_time = [(4, 10), (8, 20), (8, 60)], 300.0
    methods = available(["spd-o", "resource-greedy", "coordination-greedy", "omniplan"])
    sections = set(args.sections.split(","))
    console.print(f"methods: {', '.join(methods)}; CP-SAT/HiGHS workers={args.workers}; mode={'quick' if args.quick else 'full'}; "
                  f"workload scale {args.scale:g}")
    t0 = time.perf_counter()
    quality = scale = []
    if "quality" in sections:
        quality = section_quality(args, methods)
        console.print(f"wrote {write_csv(f'planning_quality{tag}.csv', quality)}")
    if "scale" in sections:
        scale = section_scale(args, methods)
        console.print(f"wrote {write_csv(f'planning_scale{tag}.csv', scale)}")
    if "optimal" in sections:
        console.print(f"wrote {write_csv(f'planning_optimal{tag}.csv', section_optimal(args, methods))}")
    if "highs" in sections:
        console.print(f"wrote {write_csv(f'planning_highs{tag}.csv', section_highs(args))}")
    if "mipscale" in sections:
        console.print(f"wrote {write_csv(f'planning_mipscale{tag}.csv', section_mipscale(args))}")
    if quality or scale:
        png = RESULTS / f"planning{tag}.png"
        plot(quality, scale, png)
        console.print(f"wrote {png}")
    console.print(f"total {time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
