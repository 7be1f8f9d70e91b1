"""MIP experts: the paper's offloading MIP (appendix 11.5) solved by CP-SAT (or HiGHS).

* ``cpsat``  - weights from the request (the OmniPlan MIP expert, configured by the intent);
* ``spd-o``  - SPEED-OPT, the paper's MIP baseline: fixed 0.5 resources + 0.5 latency.

The model itself lives in ``experts.milp_offload`` (solver-neutral), the solver adapters in
``experts.milp_backends``. This module adds what an expert needs around them: warm start from a
fast expert's plan (checked for feasibility by fixing it in CP-SAT, which also completes the
auxiliary variables so the hint is a full solution), reporting (status, objective, bound, gap,
time) in ``plan.info``, and an operator-facing explanation when the instance is infeasible.
"""

from __future__ import annotations

import time
from typing import Iterable

from experts.milp_backends import BACKENDS, solve_cpsat
from experts.milp_model import MilpResult
from experts.milp_offload import CONSTRAINT_GROUPS, OffloadModel, build_model, complete_hint, normalize_weights
from experts.registry import Expert, PlanRequest, capability, register
from omniplan.errors import InfeasibleError, OmniPlanError
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
) -> Plan:
    """Build and solve the MIP for ``request``; raise InfeasibleError naming what binds."""
    t_start = time.perf_counter()
    weights = normalize_weights(request.weights if weights is None else weights)
    _fail_fast(request)
    om = build_model(request.workload, request.topology, weights, allow_partial=request.allow_partial,
                     ingress_flow=ingress_flow)
    build_s = time.perf_counter() - t_start
    info: dict = {"backend": backend, "weights": dict(zip(OBJECTIVES, weights)), "model": om.model.stats(),
                  "build_s": round(build_s, 3), "scales": om.scales.as_dict(), "warm_start": None}

    # Start from the better (under this model's objective) of the given warm start and the greedy
    # seed: a fast expert tuned for one objective can be a poor start for another weighting.
    candidates = [p for p in (request.warm_start, greedy_seed(request.workload, request.topology)) if p is not None]
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
    info["total_s"] = round(time.perf_counter() - t_start, 3)
    plan.info = info
    return plan


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
