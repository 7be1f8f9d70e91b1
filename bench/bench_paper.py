"""The paper's planning experiments, reproduced on our model: Tables 1, 2-3, 6, 7 and 9 beside the
paper's figures, with the ratio ours / paper per cell.

* Table 1 - latency and SRAM on Internet2 (Abilene), 60 tasks, under the intents U#1-U#3;
* Tables 2-3 - SRAM and PHV vs task count (intent "offloading more ML inference tasks");
* Table 6 - execution time of the fast and the optimal channel vs device count (GEANT subsets);
* Table 7 - DRL weight configuration epoch by epoch for "I want to maximize the bandwidth with the
  highest priority, and then minimize the latency and SRAM usage as possible" (Internet2, 60 tasks);
* Table 9 - static MIP weights (Equal / 50 % on one of latency, throughput, SRAM) vs OmniPlan on U#1.

Methods: SPD-O (``spd-o``: the MIP with SPEED's 0.5 SRAM + 0.5 latency), SPD-H (``speed-heu``: FFLS
on SPEED's one big switch in NodeRank order), HMS (``hermes-heu``: Hermes' greedy TDG split + an
anchor's nearest switches), DP (stand-in: our PPO latency placement policy ``drl-latency``; the
paper adapts Dapper, a DRL SFC placer, "to minimize latency", and Dapper's rule is a trained
policy we cannot recover), OmniPlan (intent -> Algorithm 1 -> experts). Sources and adaptations:
``experts/baselines`` and docs/design.md, "Baselines".
Workloads: ``generate_compiled_workload`` (tasks sized by our compiler), ``--scale`` times the
compiled tables. Absolute numbers are not the paper's testbed's (its tasks fill 42 % of Internet2's
SRAM at 60 tasks); the ratios say how far, and the rankings are what to compare.

    .venv/bin/python bench/bench_paper.py --quick      # < 10 min on 2 cores
Writes bench/results/paper_*.csv and paper.png.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from bench.common import write_csv  # noqa: E402
from experts.registry import PlanRequest, get  # noqa: E402
from omniplan.errors import OmniPlanError  # noqa: E402
from omniplan.evaluate import evaluate  # noqa: E402
from omniplan.feasibility import check_plan  # noqa: E402
from omniplan.objectives import OBJECTIVES, Preference  # noqa: E402
from omniplan.topology import Topology, load_topology  # noqa: E402
from omniplan.workload import Workload, generate_compiled_workload  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
console = Console(width=180)
METHODS = ("SPD-O", "SPD-H", "HMS", "DP", "OmniPlan")
EXPERT_OF = {"SPD-O": "spd-o", "SPD-H": "speed-heu", "HMS": "hermes-heu", "DP": "drl-latency"}
INTENTS = {
    "U#1": "Offload some ML inference tasks with high service performance",
    "U#2": "Offload some tasks with higher throughput",
    "U#3": "In a data center, offload multiple ML tasks with low latency.",
}
MORE_TASKS = "offloading more ML inference tasks"
BANDWIDTH_INTENT = ("I want to maximize the bandwidth with the highest priority, and then minimize the latency "
                    "and SRAM usage as possible")

# --------------------------------------------------------------------------- the paper's figures
PAPER_T1 = {  # method -> (latency ms, SRAM %); the baselines are the same under all three intents
    "SPD-O": (327.0, 42.701), "SPD-H": (4420.8, 43.376), "HMS": (13495.0, 46.401), "DP": (949.0, 43.100),
    "OmniPlan@U#1": (294.4, 42.547), "OmniPlan@U#2": (420.6, 42.512), "OmniPlan@U#3": (382.0, 42.490),
}
PAPER_TASKS = (20, 40, 60, 80, 100)
PAPER_T2 = {"SPD-O": (14.1, 21.4, 42.7, 60.9, 71.9), "SPD-H": (14.3, 21.9, 43.4, 61.9, 71.6),
            "HMS": (15.3, 23.8, 46.4, 66.0, 76.3), "DP": (14.1, 23.0, 43.1, 62.3, 79.2),
            "OmniPlan": (13.9, 21.3, 42.6, 61.0, 74.0)}
PAPER_T3 = {"SPD-O": (13.2, 25.0, 40.9, 53.2, 68.9), "SPD-H": (13.6, 26.0, 42.0, 54.8, 69.3),
            "HMS": (14.9, 28.6, 46.1, 60.0, 75.6), "DP": (13.8, 25.2, 41.6, 53.9, 72.7),
            "OmniPlan": (13.1, 25.0, 40.7, 53.1, 72.4)}
PAPER_DEVICES = (8, 16, 24, 32)
PAPER_T6 = {"fast:SPD-H": (0.026, 0.028, 0.029, 0.039), "fast:HMS": (0.013, 0.022, 0.028, 0.038),
            "fast:DP": (4.519, 4.957, 4.633, 4.435), "fast:OmniPlan": (0.013, 0.022, 0.028, 0.038),
            "opt:SPD-O": (170.4, 601.6, 602.5, 602.9), "opt:OmniPlan": (78.3, 245.7, 379.0, 435.0)}
#: Table 7's task count: the paper's. (It was 20 while the 60-task re-plans could not leave their warm
#: start within a work limit: CP-SAT's presolve spent the whole budget; see experts/milp_backends.py.)
T7_TASKS = 60
PAPER_T7 = {"SRAM %": (42.6, 42.4, 42.6, 42.5, 42.4, 42.8, 42.4), "latency ms": (691, 310, 310, 509, 255, 314, 258),
            "thpt Gbps": (3.0, 9.0, 9.0, 6.0, 7.0, 9.0, 9.0)}
#: CP-SAT deterministic work per Table 7 re-plan (quick / full). On Abilene / 60 tasks from the
#: bandwidth-aware start, work 1 and 3 gave the same metrics for 3 of 5 weight vectors (3-10 s each on
#: the shared 2 cores); a 30-unit solve (about 70 s) finds better plans for some weights (README).
T7_WORK_QUICK = 2.0
T7_WORK_FULL = 6.0
#: Table 13 epochs also solved under eq. 10's raw objective (the first, the first move, the optimum).
T7_RAW_EPOCHS = (0, 1, 6)
#: The paper's appendix Table 13: the weights its agent set in epochs 0-10 (the other objectives 0).
PAPER_T13 = {"throughput": (0.6450, 0.4762, 0.3959, 0.3617, 0.3727, 0.3882, 0.3882, 0.3882, 0.3882, 0.3882, 0.3882),
             "latency": (0.1775, 0.2619, 0.3020, 0.3191, 0.3136, 0.3059, 0.3907, 0.3907, 0.3907, 0.3907, 0.3907),
             "resources": (0.1775, 0.2619, 0.3020, 0.3191, 0.3136, 0.3059, 0.2210, 0.2210, 0.2210, 0.2210, 0.2210)}
PAPER_T9 = {"Equal": (883.5, 42.568, 2.1), "Latency": (319.2, 42.478, 3.0), "Throughput": (361.8, 42.437, 4.0),
            "Resource": (502.8, 42.591, 6.0), "OmniPlan": (310.0, 42.534, 6.0)}


def _w(**kw: float) -> list[float]:
    return [kw.get(o, 0.0) for o in OBJECTIVES]


STATIC = {"Equal": _w(latency=1, throughput=1, resources=1), "Latency": _w(latency=0.5, throughput=0.25, resources=0.25),
          "Throughput": _w(latency=0.25, throughput=0.5, resources=0.25),
          "Resource": _w(latency=0.25, throughput=0.25, resources=0.5)}


# --------------------------------------------------------------------------- helpers

def translate_all(texts: list[str]) -> dict[str, Preference]:
    """Our intent translator on the paper's intents (the real pipeline, embedded backend)."""
    from intent.translate import translate_batch

    return {t: tr.preference for t, tr in zip(texts, translate_batch(texts))}


def instance(topo: Topology, n: int, args) -> Workload:
    return generate_compiled_workload(n, args.seed, [d.name for d in topo.devices], scale=args.scale)


def metrics(plan, wl: Workload, topo: Topology) -> dict:
    ev = evaluate(plan, wl, topo)
    bw = min((l.bandwidth_gbps for l in topo.links), default=10.0)
    return {"latency_ms": ev.objectives["latency"] / 1000.0, "sram_pct": ev.objectives["resources"],
            "phv_pct": ev.phv_pct, "thpt_gbps": bw * ev.objectives["throughput"] / 100.0,
            "coverage_pct": ev.objectives["coverage"], "split_pct": ev.split_pct, "off_path_pct": ev.off_path_pct,
            "violations": len(check_plan(plan, wl, topo, require_all=True))}


def run(method: str, wl: Workload, topo: Topology, args, pref: Preference | None = None, **kw) -> dict:
    """One method on one instance: metrics + wall time (an error is recorded, not raised)."""
    t0 = time.perf_counter()
    try:
        if method == "OmniPlan":
            from experts.activation import activate

            res = activate(pref or Preference({}), wl, topo, time_limit_s=args.mip_time, workers=args.workers, **kw)
            plan = res.plan
            extra = {"chosen": res.chosen, "rule": res.selection.rule,
                     "fast_s": next((r.solve_time_s for r in res.runs if r.role == "fast" and r.ok), None),
                     "mip_s": next((r.solve_time_s for r in res.runs if r.role == "mip"), None)}
        else:
            plan = get(EXPERT_OF[method]).solve(PlanRequest(wl, topo, time_limit_s=args.mip_time, workers=args.workers))
            extra = {"chosen": EXPERT_OF[method], "status": plan.info.get("status")}
    except OmniPlanError as exc:
        return {"method": method, "error": str(exc)[:100], "time_s": time.perf_counter() - t0}
    return {"method": method, "time_s": time.perf_counter() - t0, **metrics(plan, wl, topo), **extra}


def ratio(ours, paper) -> str:
    if ours is None or paper in (None, 0):
        return "-"
    return f"{ours / paper:.2f}x"


def fmt(v, spec=".2f") -> str:
    return "-" if v is None else format(v, spec)


# --------------------------------------------------------------------------- tables

def table1(args, prefs) -> list[dict]:
    topo = load_topology("abilene")
    wl = instance(topo, 60, args)
    rows = [dict(run(m, wl, topo, args), intent="all") for m in METHODS if m != "OmniPlan"]
    for u, text in INTENTS.items():
        rows.append(dict(run("OmniPlan", wl, topo, args, prefs[text]), intent=u,
                         preference=",".join(f"{k}={v:g}" for k, v in prefs[text].as_dict().items() if v)))
    t = Table(title=f"Table 1: Internet2 (Abilene), 60 tasks, scale {args.scale:g}")
    for c in ("intent", "method", "latency ms", "paper", "ratio", "SRAM %", "paper", "ratio", "split %", "off-path %", "note"):
        t.add_column(c)
    for r in rows:
        key = r["method"] if r["method"] != "OmniPlan" else f"OmniPlan@{r['intent']}"
        pl, ps = PAPER_T1.get(key, (None, None))
        t.add_row(r["intent"], r["method"], fmt(r.get("latency_ms"), ".1f"), fmt(pl, ".1f"), ratio(r.get("latency_ms"), pl),
                  fmt(r.get("sram_pct"), ".3f"), fmt(ps, ".3f"), ratio(r.get("sram_pct"), ps),
                  fmt(r.get("split_pct"), ".1f"), fmt(r.get("off_path_pct"), ".1f"),
                  (r.get("error") or f"{r.get('chosen')} {r.get('preference', '')}")[:50])
    console.print(t)
    return rows


def table23(args, prefs) -> list[dict]:
    topo = load_topology("abilene")
    rows = []
    for n in args.tasks:
        wl = instance(topo, n, args)
        for m in METHODS:
            rows.append(dict(run(m, wl, topo, args, prefs[MORE_TASKS]), tasks=n))
    for label, key, paper in (("Table 2: SRAM %", "sram_pct", PAPER_T2), ("Table 3: PHV %", "phv_pct", PAPER_T3)):
        grid_table(f"{label} vs tasks, Internet2 (Abilene), intent {MORE_TASKS!r}", rows, key,
                   [(m, lambda r, m=m: r["method"] == m) for m in METHODS], "tasks", args.tasks,
                   lambda m, n, paper=paper: paper[m][PAPER_TASKS.index(n)] if n in PAPER_TASKS else None, ".2f")
    return rows


def grid_table(title: str, rows: list[dict], key: str, lines: list, col: str, cols: list, paper, spec: str) -> None:
    """One row per (label, row filter), per column value: ours, the paper's figure, the ratio."""
    t = Table(title=title)
    t.add_column("method")
    for c in cols:
        t.add_column(f"{c}")
        t.add_column("paper")
        t.add_column("ratio")
    for label, keep in lines:
        cells = []
        for c in cols:
            r = next((x for x in rows if keep(x) and x[col] == c), {})
            p = paper(label, c)
            cells += [fmt(r.get(key), spec) if "error" not in r else "fail", fmt(p, spec), ratio(r.get(key), p)]
        t.add_row(label, *cells)
    console.print(t)


def table6(args) -> list[dict]:
    base = load_topology("geant2012")
    rows = []
    dominant = Preference({"resources": 1.0})
    for nd in args.devices:
        topo = base.subset(nd)
        wl = instance(topo, args.t6_tasks, args)
        for m in ("SPD-H", "HMS", "DP"):
            r = run(m, wl, topo, args)
            rows.append(dict(r, devices=nd, channel="fast"))
        r = run("OmniPlan", wl, topo, args, dominant)
        rows.append(dict(r, devices=nd, channel="fast", time_s=r.get("fast_s") or r["time_s"]))
        rows.append(dict(run("SPD-O", wl, topo, args), devices=nd, channel="opt"))
        r = run("OmniPlan", wl, topo, args, Preference.parse("resources=0.5,latency=0.5"), skip_mip_at_bound=False)
        rows.append(dict(r, devices=nd, channel="opt", time_s=r.get("mip_s") or r["time_s"]))
    grid_table(f"Table 6: execution time (s) vs devices, GEANT subsets, {args.t6_tasks} tasks, "
               f"MIP limit {args.mip_time:g} s (paper: Gurobi, limit ~600 s)", rows, "time_s",
               [(key, lambda r, key=key: f"{r['channel']}:{r['method']}" == key) for key in PAPER_T6], "devices",
               args.devices, lambda key, nd: PAPER_T6[key][PAPER_DEVICES.index(nd)] if nd in PAPER_DEVICES else None,
               ".3f")
    return rows


def table7(args, prefs) -> list[dict]:
    """Table 7 three ways on the paper's instance size (Internet2, 60 tasks), every re-plan a
    deterministic CP-SAT solve (``work_limit``) from Algorithm 1's warm start for the intent:

    1. the paper's own per-epoch weights (Table 13, epochs 0-6) solved on our model, no agent: what
       our model and solver make of exactly the weights the paper's agent chose; then epochs 0, 1
       and 6 again under eq. 10 literally (raw metrics in the paper's units, not our normalised ones);
    2. the agent from the translated intent's weights;
    3. the agent from the paper's epoch-0 weights (0.6450 / 0.1775 / 0.1775).
    Runs 2-3 are replayed (each epoch's weights solved again from scratch) to show that the plan of
    an epoch is its weights' doing. Each metric is printed beside the paper's Table 7 with the ratio.
    """
    from experts.configure import activated_warm_start, intent_vector

    topo = load_topology("abilene")
    wl = instance(topo, args.t7_tasks, args)
    pref = prefs[BANDWIDTH_INTENT]
    s = intent_vector(pref)
    req = PlanRequest(wl, topo, time_limit_s=args.t7_cap, workers=args.workers, work_limit=args.t7_work)
    req = replace(req, warm_start=activated_warm_start(req, s))
    console.print(f"Table 7: {args.t7_tasks} tasks, warm start {req.warm_start.expert if req.warm_start else None} "
                  f"(Algorithm 1's fast expert for {pref.as_dict()}), CP-SAT work {args.t7_work:g} per re-plan")
    rows = _t7_fixed(req, s, "paper weights", range(len(PAPER_T7["thpt Gbps"])), lambda i, _spans: _paper_w(i),
                     "Table 13 weights, no agent")
    _t7_print(args, rows, "the paper's Table 13 weights (no agent)", "")
    # eq. 10 literally: the same weights on the raw metrics in the paper's units (ms, Gbps, SRAM %).
    # sum_i w_i C_i = sum_i (w_i span_i) n_i + const with n_i our normalised objectives, so the raw
    # objective is our expert's with weights w_i * span_i (spans from the MIP's own path_scales).
    spans = {k: rows[0][f"span_{k}"] for k in ("latency_ms", "thpt_gbps", "sram_pct")} if "span_sram_pct" in rows[0] else None
    if spans:
        raw = _t7_fixed(req, s, "eq. 10 raw", T7_RAW_EPOCHS, lambda i, sp: _raw_w(_paper_w(i), sp),
                        "Table 13 weights on raw ms / Gbps / SRAM % (eq. 10)", spans)
        _t7_print(args, raw, "the paper's Table 13 weights on raw metrics, eq. 10 (no agent)",
                  f"; spans {spans['latency_ms']:.3f} ms, {spans['thpt_gbps']:.3f} Gbps, {spans['sram_pct']:.3f} % SRAM")
        rows += raw
    for start_label, start in (("intent", None), ("paper T13", _w(**{k: v[0] for k, v in PAPER_T13.items()}))):
        # --quick replays the first run only (a replay costs as much as the run; tests cover the rest)
        rows += _t7_configure(args, req, pref, start_label, start, replayed=not args.quick or start is None)
    return rows


def _paper_w(epoch: int) -> list[float]:
    return _w(**{k: v[epoch] for k, v in PAPER_T13.items()})


def _raw_w(w: list[float], spans: dict) -> list[float]:
    """Our expert's weights equivalent to eq. 10's raw sum_i w_i C_i in the paper's units."""
    unit = {"latency": spans["latency_ms"], "throughput": spans["thpt_gbps"], "resources": spans["sram_pct"]}
    return [v * unit.get(o, 0.0) for o, v in zip(OBJECTIVES, w)]


def _t7_fixed(req: PlanRequest, s, label: str, epochs, weights_of, note: str, spans: dict | None = None) -> list[dict]:
    """Fixed per-epoch weights (no agent) solved like the agent's epochs; rows with the paper's weights
    shown, the score against the first row, and (first row) the MIP's objective spans in paper units."""
    from experts.config_reward import intent_score

    rows: list[dict] = []
    base = None
    bw = min(l.bandwidth_gbps for l in req.topology.links)
    for i in epochs:
        w = weights_of(i, spans)
        t0 = time.perf_counter()
        try:
            plan = get("cpsat").solve(replace(req, weights=w))
        except OmniPlanError as exc:
            rows.append({"start": label, "epoch": i, "error": str(exc)[:80]})
            continue
        objectives = evaluate(plan, req.workload, req.topology).objectives
        base = base or dict(objectives)
        span = plan.info["scales"]["span"]
        total = sum(w)
        rows.append({"start": label, "epoch": i, **{f"w_{k}": PAPER_T13[k][i] for k in PAPER_T13},
                     **{f"solver_w_{k}": w[OBJECTIVES.index(k)] / total for k in PAPER_T13},
                     "lr": None, **metrics(plan, req.workload, req.topology), "score": intent_score(base, objectives, s),
                     "status": plan.info.get("status"), "gap": plan.info.get("gap_normalised"),
                     "solve_s": time.perf_counter() - t0, "note": note,
                     "span_latency_ms": span["latency"] / 1000.0, "span_thpt_gbps": bw * span["throughput"] / 100.0,
                     "span_sram_pct": span["resources"]})
    return rows


def _t7_configure(args, req: PlanRequest, pref: Preference, label: str, start, replayed: bool = True) -> list[dict]:
    """One configuration run (and its replay), printed beside the paper's Table 7."""
    from experts.configure import configure_weights, replay

    res = configure_weights(pref, req, epochs=args.t7_epochs, start_weights=start)
    again = replay(res, req) if replayed else [None] * len(res.history)
    bw = min(l.bandwidth_gbps for l in req.topology.links)
    rows = []
    for rec, rep in zip(res.history, again):
        same = None if rep is None else bool(rep) and all(abs(rep[k] - rec.objectives.get(k, float("nan"))) <= 1e-9
                                                          for k in OBJECTIVES)
        rows.append({"start": label, "epoch": rec.epoch, **{f"w_{k}": rec.weights[OBJECTIVES.index(k)] for k in PAPER_T13},
                     "lr": rec.lr, "score": rec.score, "sram_pct": rec.objectives.get("resources"),
                     "latency_ms": (rec.objectives.get("latency") or 0) / 1000.0,
                     "thpt_gbps": bw * (rec.objectives.get("throughput") or 0) / 100.0, "violations": rec.violations,
                     "status": rec.status, "gap": rec.gap, "replay_same": same,
                     "replay_thpt_gbps": bw * rep["throughput"] / 100.0 if rep else None,
                     "solve_s": rec.solve_time_s, "note": rec.note})
    _t7_print(args, rows, f"the agent from the {label} weights",
              f"; stop: {res.stop_reason}, best epoch {res.best_epoch}")
    return rows


def _t7_print(args, rows: list[dict], what: str, tail: str) -> None:
    """Our epochs beside the paper's (Table 7 metrics, Table 13 weights), ratio ours / paper.
    Our epoch -1 (the start weights) sits beside the paper's epoch 0, like our epoch 0."""
    t = Table(title=f"Table 7, {what}: Internet2, {args.t7_tasks} tasks, CP-SAT work {args.t7_work:g} per re-plan{tail}")
    # (the solver's status - FEASIBLE or OPTIMAL - and each solve's seconds are in the CSV)
    for c in ("epoch", "w thpt/lat/SRAM", "paper T13", "lr", "SRAM %", "paper", "ratio", "latency ms", "paper", "ratio",
              "thpt Gbps", "paper", "ratio", "score", "gap", "replay"):
        t.add_column(c, no_wrap=True)
    for r in rows:
        i = max(0, min(r["epoch"], len(PAPER_T7["thpt Gbps"]) - 1))  # the paper's 6 & 7 share a column
        paper = {k: v[i] for k, v in PAPER_T7.items()}
        ours_w = "/".join(fmt(r.get(f"w_{k}"), ".3f") for k in PAPER_T13)
        paper_w = "/".join(f"{PAPER_T13[k][min(max(r['epoch'], 0), 10)]:.3f}" for k in PAPER_T13)
        replay = "-" if r.get("replay_same") is None else ("same" if r["replay_same"] else
                                                      f"DIFFERS ({fmt(r['replay_thpt_gbps'], '.3f')})")
        t.add_row(str(r["epoch"]), ours_w, paper_w, fmt(r.get("lr"), "+.2f"),
                  fmt(r.get("sram_pct"), ".3f"), fmt(paper["SRAM %"], ".1f"), ratio(r.get("sram_pct"), paper["SRAM %"]),
                  fmt(r.get("latency_ms"), ".3f"), fmt(paper["latency ms"], ".0f"), ratio(r.get("latency_ms"), paper["latency ms"]),
                  fmt(r.get("thpt_gbps"), ".3f"), fmt(paper["thpt Gbps"], ".1f"), ratio(r.get("thpt_gbps"), paper["thpt Gbps"]),
                  fmt(r.get("score"), "+.4f") if "error" not in r else r["error"][:30], fmt(r.get("gap"), ".4f"), replay)
    console.print(t)


def table9(args, prefs) -> list[dict]:
    from experts.mip import solve_mip

    topo = load_topology("abilene")
    wl = instance(topo, 60, args)
    rows = []
    for label, w in STATIC.items():
        t0 = time.perf_counter()
        try:
            plan = solve_mip(PlanRequest(wl, topo, weights=w, time_limit_s=args.mip_time, workers=args.workers,
                                         warm_start=get("spd-h").solve(PlanRequest(wl, topo))))
            rows.append({"method": label, "time_s": time.perf_counter() - t0, **metrics(plan, wl, topo),
                         "status": plan.info.get("status")})
        except OmniPlanError as exc:
            rows.append({"method": label, "error": str(exc)[:100]})
    rows.append(run("OmniPlan", wl, topo, args, prefs[INTENTS["U#1"]]))
    t = Table(title="Table 9: static weights vs OmniPlan (U#1), Internet2, 60 tasks")
    for c in ("method", "latency ms", "paper", "ratio", "SRAM %", "paper", "ratio", "thpt Gbps", "paper", "ratio", "note"):
        t.add_column(c)
    for r in rows:
        pl, ps, pt = PAPER_T9[r["method"]]
        t.add_row(r["method"], fmt(r.get("latency_ms"), ".1f"), fmt(pl, ".1f"), ratio(r.get("latency_ms"), pl),
                  fmt(r.get("sram_pct"), ".3f"), fmt(ps, ".3f"), ratio(r.get("sram_pct"), ps),
                  fmt(r.get("thpt_gbps"), ".2f"), fmt(pt, ".1f"), ratio(r.get("thpt_gbps"), pt),
                  (r.get("error") or r.get("status") or r.get("chosen") or "")[:40])
    console.print(t)
    return rows


# --------------------------------------------------------------------------- plot

def plot(t1, t23, t6, t7, t9, path: Path) -> None:
    panels = []
    if t1:
        panels.append(("Table 1: latency (ms), Abilene 60 tasks", lambda ax: _bars(ax, t1, "latency_ms", "intent")))
    if t23:
        panels.append(("Table 2: SRAM % vs tasks", lambda ax: _lines(ax, t23, "tasks", "sram_pct")))
        panels.append(("Table 3: PHV % vs tasks", lambda ax: _lines(ax, t23, "tasks", "phv_pct")))
    if t6:
        panels.append(("Table 6: time (s) vs devices", lambda ax: _t6(ax, t6)))
    if t7:
        panels.append(("Table 7: per epoch (paper: thpt +200 %, latency -63 %)", lambda ax: _t7(ax, t7)))
    if t9:
        panels.append(("Table 9: latency (ms)", lambda ax: _bars(ax, t9, "latency_ms", None)))
    if not panels:
        return
    fig, axes = plt.subplots(1, len(panels), figsize=(4.6 * len(panels), 4))
    for ax, (title, draw) in zip(axes if len(panels) > 1 else [axes], panels):
        draw(ax)
        ax.set_title(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def _bars(ax, rows, key, tag):
    ok = [r for r in rows if r.get(key) is not None]
    labels = [r["method"] + (f"\n{r[tag]}" if tag and r.get(tag) not in (None, "all") else "") for r in ok]
    ax.bar(range(len(ok)), [r[key] for r in ok])
    ax.set_xticks(range(len(ok)), labels, fontsize=7, rotation=30)
    ax.set_yscale("log")


def _lines(ax, rows, x, y):
    for m in dict.fromkeys(r["method"] for r in rows):
        pts = [(r[x], r[y]) for r in rows if r["method"] == m and r.get(y) is not None]
        if pts:
            ax.plot(*zip(*pts), marker="o", label=m)
    ax.set_xlabel(x)
    ax.legend(fontsize=7)


def _t6(ax, rows):
    for ch in ("fast", "opt"):
        for m in dict.fromkeys(r["method"] for r in rows if r["channel"] == ch):
            pts = [(r["devices"], r["time_s"]) for r in rows if r["channel"] == ch and r["method"] == m and r.get("time_s")]
            if pts:
                ax.plot(*zip(*pts), marker="o", label=f"{ch}:{m}")
    ax.set_yscale("log")
    ax.set_xlabel("devices")
    ax.legend(fontsize=6)


def _t7(ax, rows):
    """Change of each series' plan against its own first row, in %: the series start at different
    plans, so absolute curves on twin axes hide each other (the paper's own Table 7 moves +200 % in
    throughput and -63 % in latency from epoch 0 to 6 and is quoted in the title instead)."""
    for label, style in (("paper weights", ":"), ("intent", "-"), ("paper T13", "--")):
        pts = [r for r in rows if r.get("start") == label and r.get("thpt_gbps") is not None]
        if not pts:
            continue
        xs = [r["epoch"] for r in pts]
        for key, name, color, marker in (("thpt_gbps", "thpt", "tab:blue", "o"), ("latency_ms", "latency", "tab:red", "s")):
            ref = pts[0][key] or float("nan")
            ax.plot(xs, [100.0 * (r[key] - ref) / ref for r in pts], style, marker=marker, color=color,
                    label=f"{name}, {label}", alpha=0.8)
    ax.axhline(0.0, color="grey", lw=0.5)
    ax.set_xlabel("epoch (-1 = start weights)")
    ax.set_ylabel("change vs first epoch (%)")
    ax.legend(fontsize=6)


# --------------------------------------------------------------------------- main

def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="fewer task counts, 10 s MIP limits (< 10 min)")
    ap.add_argument("--tables", default="1,23,6,7,9")
    ap.add_argument("--scale", type=float, default=2.0, help="compiled table size multiplier (see module doc)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--t7-tasks", type=int, default=T7_TASKS,
                    help=f"Table 7's task count (default {T7_TASKS}; the paper's is 60, see T7_TASKS)")
    args = ap.parse_args(argv)
    if args.quick:
        args.tasks, args.devices, args.mip_time, args.t6_tasks = [20, 60, 100], [8, 16, 24, 32], 10.0, 60
        args.t7_epochs, args.t7_work = 6, T7_WORK_QUICK
    else:
        args.tasks, args.devices, args.mip_time, args.t6_tasks = list(PAPER_TASKS), list(PAPER_DEVICES), 60.0, 60
        args.t7_epochs, args.t7_work = 10, T7_WORK_FULL
    # wall-clock cap per re-plan (the work limit decides; the cap only guards a stalled machine)
    args.t7_cap = 30.0 + 20.0 * args.t7_work
    tables = set(args.tables.split(","))
    t0 = time.perf_counter()
    prefs = translate_all([*INTENTS.values(), MORE_TASKS, BANDWIDTH_INTENT])
    console.print("intents: " + "; ".join(f"{t[:40]!r} -> {p.as_dict()}" for t, p in prefs.items()))
    tag = "" if args.scale == 2.0 else f"_s{args.scale:g}"
    tag += "" if args.t7_tasks == T7_TASKS else f"_t7n{args.t7_tasks}"
    out = {}
    for key, fn in (("1", lambda: table1(args, prefs)), ("23", lambda: table23(args, prefs)), ("6", lambda: table6(args)),
                    ("7", lambda: table7(args, prefs)), ("9", lambda: table9(args, prefs))):
        if key in tables:
            out[key] = fn()
            console.print(f"wrote {write_csv(RESULTS / f'paper_table{key}{tag}.csv', out[key])}  "
                          f"[{time.perf_counter() - t0:.0f} s]")
    png = RESULTS / f"paper{tag}.png"
    plot(out.get("1"), out.get("23"), out.get("6"), out.get("7"), out.get("9"), png)
    console.print(f"wrote {png}; total {time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
