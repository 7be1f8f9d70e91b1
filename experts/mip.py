"""MIP experts: the paper's offloading MIP (appendix 11.5) solved by CP-SAT (or HiGHS).

* ``cpsat``  - weights from the request (the OmniPlan MIP expert, configured by the intent);
* ``spd-o``  - SPEED-OPT, the paper's MIP baseline: fixed 0.5 resources + 0.5 latency.

The model itself lives in ``experts.milp_offload`` (solver-neutral), the solver adapters in
``experts.milp_backends``. This module adds what an expert needs around them:

* solve order: the routing relaxation R first (no flow variables; exact-or-fallback, see
  ``solve_mip``), then the full flow model if R's answer cannot be certified;
* warm start: the request's plan and a greedy seed are both turned into complete hints
  (auxiliaries completed exactly by ``complete_hint``, every row checked - no solver call), the
  better one is the start, and ``plan.info["warm_start"]`` says which and whether each was feasible;
* reporting in ``plan.info``: status, normalised objective, best bound, gap, solve time, method;
* an operator-facing explanation naming the binding constraint group when infeasible.
"""

from __future__ import annotations

import time
from typing import Iterable

from experts.milp_backends import BACKENDS, solve_cpsat
from experts.milp_model import MilpResult
from experts.milp_offload import CONSTRAINT_GROUPS, OffloadModel, build_model, complete_hint, normalize_weights
from experts.registry import Expert, PlanRequest, capability, register
from omniplan.errors import InfeasibleError, OmniPlanError
from omniplan.evaluate import evaluate
from omniplan.objectives import OBJECTIVES
from omniplan.feasibility import check_plan
from omniplan.plan import Plan, StageOverflow, complete_plan
from omniplan.topology import Topology
from omniplan.workload import Workload, mat_id

#: Capacity groups tried one at a time when explaining infeasibility.
EXPLAIN_GROUPS = ("sram", "tcam", "phv", "bandwidth", "stages")

SPD_O_WEIGHTS = [0.5 if o in ("resources", "latency") else 0.0 for o in OBJECTIVES]


def solve_mip(
    request: PlanRequest,
    *,
    weights: Iterable[float] | None = None,
    expert: str = "cpsat",
    backend: str = "cpsat",
    ingress_flow: bool = False,
    relax_first: bool = True,
) -> Plan:
    """Build and solve the MIP for ``request``; raise InfeasibleError naming what binds.

    With ``relax_first`` (and no throughput weight) the routing relaxation R is solved first
    (``build_model(relaxed=True)``, far smaller: no flow variables). If R's optimum, routed on
    shortest paths, passes every full constraint and R's latency / hop figures are exactly the
    evaluated ones, that plan is optimal for the full model and is returned ("relax-and-verify").
    Otherwise R's bound still bounds the full model, its plan (if feasible) joins the warm
    starts, and the full flow model runs in the remaining time.
    """
    t_start = time.perf_counter()
    weights = normalize_weights(request.weights if weights is None else weights)
    _fail_fast(request)
    relax_info: dict | None = None
    extra_starts: list[Plan] = []
    relax_bound: float | None = None
    if relax_first and not ingress_flow and weights[OBJECTIVES.index("throughput")] == 0:
        verified, relax_info, relax_plan = _relax_and_verify(request, weights, expert, backend)
        if verified is not None:
            verified.info["total_s"] = round(time.perf_counter() - t_start, 3)
            return verified
        if relax_plan is not None:
            extra_starts.append(relax_plan)
        relax_bound = relax_info.get("best_bound") if relax_info else None
        left = request.time_limit_s - (time.perf_counter() - t_start)
        if left < FULL_MIN_SHARE * request.time_limit_s:
            # Too little time for the (much larger) flow model to load, let alone improve: answer
            # with the best feasible start, scored by the evaluator, against R's valid bound.
            plan = _best_start(request, weights, expert, extra_starts)
            if plan is not None:
                plan.info.update({"backend": backend, "weights": dict(zip(OBJECTIVES, weights)), "method": "relax-bound",
                                  "relaxation": relax_info, "status": "FEASIBLE", "best_bound": relax_bound,
                                  "gap": None, "gap_normalised": (None if relax_bound is None
                                                                  else max(0.0, plan.info["objective"] - relax_bound)),
                                  "total_s": round(time.perf_counter() - t_start, 3)})
                return plan
    om = build_model(request.workload, request.topology, weights, allow_partial=request.allow_partial,
                     ingress_flow=ingress_flow)
    build_s = time.perf_counter() - t_start
    info: dict = {"backend": backend, "weights": dict(zip(OBJECTIVES, weights)), "model": om.model.stats(),
                  "build_s": round(build_s, 3), "scales": om.scales.as_dict(), "warm_start": None,
                  "method": "full", "relaxation": relax_info}

    # Start from the better (under this model's objective) of the given warm start and the greedy
    # seed: a fast expert tuned for one objective can be a poor start for another weighting.
    candidates = [p for p in (request.warm_start, greedy_seed(request.workload, request.topology), *extra_starts)
                  if p is not None]
    tried: list[tuple[dict, dict[int, int]]] = []
    for cand in candidates:
        report = _apply_warm_start(om, cand)
        tried.append((report, om.model.hint))
    best_report: dict | None = None
    if tried:
        feasible = [t for t in tried if t[0]["feasible"]]
        best_report, om.model.hint = min(feasible, key=lambda t: t[0]["objective"]) if feasible else tried[0]
        best_report = dict(best_report)
        best_report["candidates"] = [{k: r.get(k) for k in ("expert", "feasible", "objective")} for r, _h in tried]
        info["warm_start"] = best_report
        if backend == "highs" and not best_report["feasible"]:
            om.model.hint = {}  # HiGHS takes complete solutions only
    incumbent = dict(om.model.hint) if best_report is not None and best_report["feasible"] else None

    remaining = max(0.5, request.time_limit_s - (time.perf_counter() - t_start))
    solver = BACKENDS[backend]
    result = solver(om.model, time_limit_s=remaining, workers=request.workers, seed=request.seed)
    if result.status == "INFEASIBLE":
        raise InfeasibleError(explain_infeasible(om, request))
    if not result.has_solution and incumbent is not None:
        # The solver ran out of time before improving on (or even loading) the start: the start is
        # still a complete feasible solution of this model, so it is the answer, with no bound.
        result = MilpResult(backend=result.backend, status="FEASIBLE", values=incumbent,
                            objective=float(om.model.objective_value(incumbent)), bound=None,
                            solve_time_s=result.solve_time_s, extra={**result.extra, "solver_status": result.status})
    if not result.has_solution:
        raise OmniPlanError(
            f"{expert}: no plan found within {request.time_limit_s:g} s (solver status {result.status}); "
            "the instance is not proven infeasible - give more time or a warm start")
    plan = om.to_plan(result.values, expert)
    info.update(_result_info(om, result))
    if relax_bound is not None and info["best_bound"] is not None and relax_bound > info["best_bound"]:
        # R is a relaxation of this model: its proven bound holds here too
        info["best_bound"] = relax_bound
        info["gap_normalised"] = max(0.0, info["objective"] - relax_bound)
    elif relax_bound is not None and info["best_bound"] is None:
        info["best_bound"] = relax_bound
        info["gap_normalised"] = max(0.0, info["objective"] - relax_bound)
    info["total_s"] = round(time.perf_counter() - t_start, 3)
    plan.info = info
    return plan


#: The full flow model only runs when at least this share of the time limit is left after R.
FULL_MIN_SHARE = 0.25
#: Share of the time limit the relaxation may use before the full model takes over.
RELAX_SHARE = 0.7
#: An exact relaxed plan within this relative gap of R's bound is returned as is (status FEASIBLE):
#: the full flow model is much larger and would not close such a gap in the remaining time.
ACCEPT_GAP = 1e-3


def _best_start(request: PlanRequest, weights: list[float], expert: str, extra: list[Plan]) -> Plan | None:
    """The cheapest feasible plan among the warm start, the greedy seed and R's routed plan."""
    from experts.milp_offload import objective_scales

    scales = objective_scales(request.workload, request.topology)
    best: tuple[float, Plan] | None = None
    for cand in (request.warm_start, greedy_seed(request.workload, request.topology), *extra):
        if cand is None or check_plan(cand, request.workload, request.topology, require_all=not request.allow_partial):
            continue
        cost = scales.cost(evaluate(cand, request.workload, request.topology).objectives, weights)
        if best is None or cost < best[0]:
            best = (cost, cand)
    if best is None:
        return None
    cost, cand = best
    return Plan(placement=dict(cand.placement), stages=dict(cand.stages), routes={k: list(v) for k, v in cand.routes.items()},
                expert=expert, info={"objective": cost, "start": cand.expert})


def _relax_and_verify(request: PlanRequest, weights: list[float], expert: str, backend: str):
    """Solve R; return (optimal plan or None, R's report, R's feasible routed plan or None)."""
    t0 = time.perf_counter()
    rom = build_model(request.workload, request.topology, weights, allow_partial=request.allow_partial, relaxed=True)
    starts = [p for p in (request.warm_start, greedy_seed(request.workload, request.topology)) if p is not None]
    tried = [(_apply_warm_start(rom, p), rom.model.hint) for p in starts]
    feasible = [t for t in tried if t[0]["feasible"]]
    if feasible:
        rom.model.hint = min(feasible, key=lambda t: t[0]["objective"])[1]
    elif tried:
        rom.model.hint = tried[0][1]
    limit = max(0.5, RELAX_SHARE * request.time_limit_s - (time.perf_counter() - t0))
    r = BACKENDS[backend](rom.model, time_limit_s=limit, workers=request.workers, seed=request.seed)
    report: dict = {"status": r.status, "model": rom.model.stats(), "solve_time_s": round(r.solve_time_s, 3)}
    if not r.has_solution:
        return None, report, None
    report.update(_result_info(rom, r))
    plan = rom.to_plan(r.values, expert)
    if check_plan(plan, request.workload, request.topology, require_all=not request.allow_partial):
        report["verified"] = "routed plan violates transit PHV or bandwidth"
        return None, report, None
    ev = evaluate(plan, request.workload, request.topology)
    least = complete_hint(rom, rom.hint_from_plan(plan))
    exact = True
    if rom.latency_vars:
        model_ns = sum(least[v] for v in rom.latency_vars.values())
        exact &= abs(model_ns - 1000.0 * ev.total_latency_us) <= 0.5 * len(rom.latency_vars)
    if rom.hop_terms:
        exact &= sum(c * least[v] for v, c in rom.hop_terms.items()) == ev.total_hops
    good_enough = r.status == "FEASIBLE" and r.gap is not None and r.gap <= ACCEPT_GAP
    if exact and (r.status == "OPTIMAL" or good_enough):
        # The plan's full-model cost equals its R cost, and R's bound bounds the full model, so
        # R's status and gap hold for the full model as they are.
        report["verified"] = ("optimal" if r.status == "OPTIMAL" else f"within {r.gap:.2e} of the optimum") + \
            ": R's plan is feasible and exact for the full model"
        plan.info = {"backend": backend, "weights": dict(zip(OBJECTIVES, weights)), "method": "relax-and-verify",
                     "model": rom.model.stats(), "scales": rom.scales.as_dict(), "relaxation": report,
                     "warm_start": tried[0][0] if tried else None, **_result_info(rom, r),
                     "build_s": round(time.perf_counter() - t0 - r.solve_time_s, 3)}
        if tried:
            plan.info["warm_start"] = dict(min(feasible, key=lambda t: t[0]["objective"])[0]) if feasible else tried[0][0]
        return plan, report, plan
    report["verified"] = "not exact (routes cost more than R assumed)" if not exact else f"R not proven optimal ({r.status})"
    # R's bound (proven optimum or not) bounds the full model too: R is a relaxation of it.
    return None, report, plan


def _result_info(om: OffloadModel, result: MilpResult) -> dict:
    obj = om.normalized_objective(result.objective) if result.objective is not None else None
    bound = om.normalized_objective(result.bound) if result.bound is not None else None
    gap_norm = None
    if obj is not None and bound is not None:
        gap_norm = 0.0 if result.status == "OPTIMAL" else max(0.0, obj - bound)
    return {
        "status": result.status,
        # normalised weighted cost sum_i w_i (C_i - lo_i) / span_i, comparable with Scales.cost(evaluate(...))
        "objective": obj,
        "best_bound": bound,
        # solver-style relative gap on the integer objective (sum_i w_i C_i / span_i, scaled)
        "gap": result.gap,
        # absolute gap in normalised units (1.0 = one objective's whole range at weight 1)
        "gap_normalised": gap_norm,
        "solve_time_s": round(result.solve_time_s, 3),
        "integer_objective": result.objective,
        "integer_bound": result.bound,
        "k_scale": om.k_scale,
        "solver": result.extra,
    }


def _apply_warm_start(om: OffloadModel, plan: Plan) -> dict:
    """Turn a plan into a complete hint; report whether it satisfies every row of this model."""
    t0 = time.perf_counter()
    full = complete_hint(om, om.hint_from_plan(plan))
    broken = om.model.violated(full)
    report: dict = {"expert": plan.expert, "feasible": not broken, "check_s": round(time.perf_counter() - t0, 3)}
    if not broken:
        om.model.hint = full  # a complete solution: CP-SAT and HiGHS both start from it
        report["objective"] = om.normalized_objective(om.model.objective_value(full))
    else:
        report["violated"] = sorted({f"{c.group}:{c.name}" for c in broken})[:5]
        # Keep only the placement: it may still guide the search even if routes or stages clash.
        om.model.hint = {v: full[v] for v in om.x.values()}
    return report


def greedy_seed(workload: Workload, topology: Topology) -> Plan | None:
    """A quick full placement to start the solver from when no fast expert's plan is given.

    WHY: without any incumbent CP-SAT spends its LP-heavy workers on the bound and may find no
    plan at all within a short limit on 60+ tasks. Largest tasks first, each whole on the
    device closest to its ingress that still has room, else split MAT by MAT (first fit in
    distance order). Returns None when the result violates anything (the MIP then starts cold).
    """
    devs = [d.name for d in topology.devices]
    prof = {d.name: d.profile for d in topology.devices}
    sram = {d: 0 for d in devs}
    tcam = {d: 0 for d in devs}
    phv = {d: 0 for d in devs}
    dist = topology.path_latency_us
    placement: dict[str, str] = {}
    for t in sorted(workload.tasks, key=lambda t: -t.sram_bits):
        order = sorted(devs, key=lambda d: (dist[t.ingress][d] if t.ingress in dist else 0.0, d))
        need_s = t.sram_bits + t.dispatch_sram_bits
        need_t = sum(m.tcam_bits for m in t.mats)
        need_p = sum(m.phv_bits for m in t.mats)
        whole = next((d for d in order if sram[d] + need_s <= prof[d].sram_bits and tcam[d] + need_t <= prof[d].tcam_bits
                      and phv[d] + need_p <= prof[d].phv_bits), None)
        if whole is not None:
            for m in t.mats:
                placement[mat_id(t.name, m.name)] = whole
            sram[whole] += need_s
            tcam[whole] += need_t
            phv[whole] += need_p
            continue
        hosts: set[str] = set()
        for name in t.topological_order():
            m = t.mat(name)
            for d in order:
                extra = m.sram_bits + (0 if d in hosts else t.dispatch_sram_bits)
                if (sram[d] + extra <= prof[d].sram_bits and tcam[d] + m.tcam_bits <= prof[d].tcam_bits
                        and phv[d] + m.phv_bits + 64 <= prof[d].phv_bits):
                    placement[mat_id(t.name, m.name)] = d
                    sram[d] += extra
                    tcam[d] += m.tcam_bits
                    phv[d] += m.phv_bits
                    hosts.add(d)
                    break
            else:
                return None
    try:
        plan = complete_plan(workload, topology, placement, "mip-greedy-seed")
    except StageOverflow:
        return None
    return plan if not check_plan(plan, workload, topology, require_all=True) else None


def _fail_fast(request: PlanRequest) -> None:
    """Aggregate demand checks before building anything (only when every task must be placed)."""
    if request.allow_partial:
        return
    reasons = _aggregate_reasons(request)
    if reasons:
        raise InfeasibleError("infeasible: " + "; ".join(reasons))


def _aggregate_reasons(request: PlanRequest) -> list[str]:
    try:
        from omniplan.diagnose import diagnose
    except ImportError:
        return _own_aggregate(request)
    return list(diagnose(request.workload, request.topology))


def _own_aggregate(request: PlanRequest) -> list[str]:
    w, topo = request.workload, request.topology
    out = []
    for label, need, cap in (
        ("SRAM", sum(m.sram_bits for m in w.mats().values()) + sum(t.dispatch_sram_bits for t in w.tasks),
         sum(d.profile.sram_bits for d in topo.devices)),
        ("TCAM", sum(m.tcam_bits for m in w.mats().values()), sum(d.profile.tcam_bits for d in topo.devices)),
        ("PHV", sum(m.phv_bits for m in w.mats().values()), sum(d.profile.phv_bits for d in topo.devices)),
    ):
        if need > cap:
            out.append(f"{label} demand is {100.0 * need / cap:.0f}% of capacity")
    return out


def explain_infeasible(om: OffloadModel, request: PlanRequest) -> str:
    """Name the constraint group whose removal makes the instance feasible, plus aggregate figures."""
    present = [g for g in EXPLAIN_GROUPS if g in om.model.groups()]
    per_check = max(0.5, min(10.0, request.time_limit_s / max(1, len(present) + 1)))
    binding: list[str] = []
    for group in present:
        r = solve_cpsat(om.model.without_groups([group]), time_limit_s=per_check, workers=request.workers,
                        seed=request.seed, use_hint=False)
        if r.has_solution:
            binding.append(group)
    reasons = _aggregate_reasons(request)
    if binding:
        head = "infeasible: the " + " / ".join(binding) + (" constraint binds" if len(binding) == 1 else " constraints bind")
        head += " (dropping " + ("it" if len(binding) == 1 else "any one of them") + " makes a plan possible)"
    else:
        r = solve_cpsat(om.model.without_groups(present), time_limit_s=per_check, workers=request.workers,
                        seed=request.seed, use_hint=False)
        if present and r.has_solution:
            head = "infeasible: the " + ", ".join(present) + " constraints bind together (no single one is enough to drop)"
        else:
            head = "infeasible: MAT assignment/routing cannot be satisfied (a MAT fits no device or a device is unreachable)"
    if reasons:
        head += "; " + "; ".join(reasons)
    return head


def _solve_cpsat_expert(request: PlanRequest) -> Plan:
    return solve_mip(request, expert="cpsat")


def _solve_spd_o(request: PlanRequest) -> Plan:
    return solve_mip(request, weights=SPD_O_WEIGHTS, expert="spd-o")


CPSAT = register(Expert(
    name="cpsat",
    kind="mip",
    capability=capability(**{o: 1.0 for o in OBJECTIVES}),
    solve=_solve_cpsat_expert,
    description="CP-SAT on the full offloading MIP, objective = intent-weighted normalised sum of all 7 objectives",
))

SPD_O = register(Expert(
    name="spd-o",
    kind="mip",
    capability=capability(resources=0.5, latency=0.5),
    solve=_solve_spd_o,
    description="SPEED-OPT baseline: the same MIP with fixed weights 0.5 resources + 0.5 latency",
))

__all__ = ["solve_mip", "explain_infeasible", "SPD_O_WEIGHTS", "CONSTRAINT_GROUPS"]
