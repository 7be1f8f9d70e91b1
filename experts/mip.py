"""MIP experts: the paper's offloading MIP (appendix 11.5) on candidate walks, solved by CP-SAT (or HiGHS).

* ``cpsat``  - weights from the request (the OmniPlan MIP expert, configured by the intent);
* ``spd-o``  - SPEED-OPT, the paper's MIP baseline: fixed 0.5 resources + 0.5 latency.

The model lives in ``experts.milp_paths`` (solver-neutral; see its docstring for why candidate
walks), the solver adapters in ``experts.milp_backends``. This module adds what an expert needs:

* warm start: the request's plan and a greedy seed become complete hints when their walks are
  candidates; the better feasible one seeds CP-SAT (whose LNS workers improve on it);
* honest reporting in ``plan.info``: status (OPTIMAL only when the solver proved it), the
  normalised objective sum_i w_i (C_i - lo_i)/span_i, its best bound and the gap between the two
  in those units, solve time;
* the stage schedule is first-fit and the plan is checked; a plan failing a per-stage capacity is
  never returned (the best feasible start is, with the reason);
* an operator-facing explanation naming the binding constraint group when infeasible.
"""

from __future__ import annotations

import time
from typing import Iterable, Mapping

from experts.milp_backends import BACKENDS, solve_cpsat
from experts.milp_model import MilpModel, MilpResult
from experts.milp_paths import CONSTRAINT_GROUPS, RESOLUTION, PathModel, build_path_model, normalize_weights
from experts.milp_powerset import SetwiseBound, best_set as powered_best_set, construct_plan, explore
from experts.registry import Expert, PlanRequest, capability, register
from omniplan.errors import InfeasibleError, OmniPlanError
from omniplan.evaluate import evaluate
from omniplan.objectives import OBJECTIVES
from omniplan.feasibility import check_plan
from experts.stage_schedule import schedule_stages, tighten_stages
from omniplan.plan import Plan, StageOverflow, pipeline_ends
from omniplan.topology import Topology
from omniplan.workload import Workload, mat_id

#: Capacity groups tried one at a time when explaining infeasibility.
EXPLAIN_GROUPS = ("sram", "tcam", "entries", "phv", "bandwidth", "stages")
#: A normalised objective at or below this is at the instance's lower bound (every n_i >= 0).
AT_BOUND = 1e-9
#: The evaluator's cost and the integer model's objective differ by the rounding of the objective
#: coefficients to 1 / RESOLUTION (a few 1e-8 on the tests' instances): a plan priced within this of
#: the bound by the evaluator is at the bound.
ROUNDING_TOL = 1e-6
#: Share of the time left that one solver round gets, and the shortest round worth starting.
ROUND_SHARE = 0.6
MIN_ROUND_S = 0.5
#: Wall time kept back from the limit for building, hint checks and the plan's stage schedule
#: (0.6 s let Abilene[8] / 60 tasks end at 30.9 s for a 30 s limit at load ~5).
OVERHEAD_S = 1.0
#: Share of the time limit given to the powered-set relaxation (experts.milp_powerset): its bound
#: and the plans built from its powered sets. About a second per solve on Abilene[8] / 60 tasks.
POWERSET_SHARE = 0.2
#: Share of the time limit added to ``explore``'s only to finish proving the windowed bound (the
#: relaxation with stage-window rows, solved set by set, see ``experts.milp_powerset.explore``);
#: it stops once proven (Abilene[8] / 60 tasks: after ~10 s on seed 0, 1.6-3 s on seeds 1 and 2).
WINDOWS_SHARE = 0.15
#: Share of the time left (after the relaxation) for the relax-and-fix round: CP-SAT with the
#: powered switches fixed to the relaxation's best set and stage-window rows on them. Measured on
#: Abilene[8] / 60 tasks seed 1: without the rows that round reached the pooled optimum (0.0960 =
#: the relaxation's bound) whose repaired plans cost 0.106-0.127; with them its plans pack as they
#: are (0.098-0.100 in 15-20 s), and the full model's rounds after it found nothing: so most of
#: the time goes here.
FIX_SHARE = 0.9
#: Stage-window rows (``PathModel.add_window_cuts``) on the relax-and-fix round's switches; all
#: three kinds beat the last-stage rows alone (seed 1, 20 s: 0.1014 vs 0.1029).
WINDOW_CUTS: tuple[str, ...] = ("e1", "e2", "b")
#: The relax-and-fix round's solver on networks of up to ``FIX_HIGHS_DEVICES`` switches (CP-SAT
#: beyond): with the powered set fixed the round's LP is tight (its optimum within 0.3 % of the
#: windowed bound at 300 s on Abilene[8] / 60 tasks seeds 3 and 4), so HiGHS's LP-based search
#: (one thread; RINS from the LP) reaches it where CP-SAT's two workers wander (seed 4, the same
#: model and start, 20 s, load ~1.6: HiGHS 0.0913, CP-SAT 0.0930; README round i13o). Beyond that
#: size its presolve (3-4 s on Abilene's 100k rows) was not measured; CP-SAT stays there.
FIX_BACKEND = "highs"
FIX_HIGHS_DEVICES = 16
#: Solver solutions of the relax-and-fix round repaired (the best one kept).
FIX_REPAIRS = 4
#: Share of the relax-and-fix round given, after CP-SAT, to the task LNS on small sub-models
#: (``experts.milp_lns``) started from CP-SAT's best valid plan; 0 turns it off.
LNS_SHARE = 0.2
#: Other CP-SAT solutions kept per round: when the best one does not pack into stages, one of
#: these often does (the lazy stage cuts would otherwise throw the round's search away).
SOLUTION_POOL = 8

#: SPD-O, the paper's section 7.1 baseline: "minimizes the weighted sum of hardware device resource
#: overhead and end-to-end latency"; section 4 gives the weights ("min 0.5 C_res + 0.5 C_lat"). SPEED's
#: own exact solver (as reimplemented in ZJU-NGNI/NetEmbd SpeedExact.py) is two-phase instead - fewest
#: one-big-switch stages, then least latency between consecutive switches; we follow the paper's text.
SPD_O_WEIGHTS = [0.5 if o in ("resources", "latency") else 0.0 for o in OBJECTIVES]


def solve_mip(
    request: PlanRequest,
    *,
    weights: Iterable[float] | None = None,
    expert: str = "cpsat",
    backend: str = "cpsat",
) -> Plan:
    """Build and solve the candidate-walk MIP for ``request``; raise InfeasibleError naming what binds."""
    t_start = time.perf_counter()
    weights = normalize_weights(request.weights if weights is None else weights)
    _fail_fast(request)
    seed_plan = greedy_seed(request.workload, request.topology)
    extra = _walks_of(request.warm_start, request) if request.warm_start is not None else {}
    pm = build_path_model(request.workload, request.topology, weights, allow_partial=request.allow_partial,
                          extra_walks=extra)
    build_s = time.perf_counter() - t_start
    info: dict = {"backend": backend, "weights": dict(zip(OBJECTIVES, weights)), "model": pm.model.stats(),
                  "build_s": round(build_s, 3), "scales": pm.scales.as_dict(), "method": "candidate walks"}
    starts: list[tuple[float, Plan, dict]] = []
    reports = []
    built: list[Plan] = []
    # the set-by-set windowed bound, when explore leaves its proof running in the background
    background: list[SetwiseBound] = []
    ps_bound = None
    best_set: list[str] = []
    if not request.allow_partial and request.work_limit is None:
        # (skipped under a work limit: HiGHS's wall-clock limit would make re-plans load-dependent)
        ps_bound, built, ps_reports = explore(pm, POWERSET_SHARE * request.time_limit_s,
                                              windows_s=WINDOWS_SHARE * request.time_limit_s,
                                              background_s=request.time_limit_s - OVERHEAD_S - (time.perf_counter() - t_start),
                                              search=background)
        info["powered_set"] = {"bound": ps_bound, "solves": ps_reports}
        best_set = powered_best_set(ps_reports)
    for cand in (request.warm_start, seed_plan, *built):
        if cand is None:
            continue
        hint = pm.hint_from_plan(cand)
        rep: dict = {"expert": cand.expert, "feasible": False}
        if hint is None:
            rep["why"] = "a walk is not among the candidates"
        else:
            broken = pm.model.violated(hint)
            rep["feasible"] = not broken
            if broken:
                rep["why"] = sorted({c.group for c in broken})[:3]
            else:
                rep["objective"] = pm.normalized_objective(pm.model.objective_value(hint))
                starts.append((rep["objective"], cand, hint))
        reports.append(rep)
    info["warm_start"] = reports
    if starts:
        starts.sort(key=lambda s: s[0])
        pm.model.hint = starts[0][2]
        if starts[0][0] <= AT_BOUND and not request.allow_partial:
            # Every weighted objective already sits at its instance lower bound (lo_i): provably
            # optimal, no solver call needed.
            plan = _copy(starts[0][1], expert)
            info.update({"status": "OPTIMAL", "objective": starts[0][0], "best_bound": 0.0, "gap_normalised": 0.0,
                         "gap": 0.0, "solve_time_s": 0.0, "proof": "start at the instance lower bound"})
            ev = evaluate(plan, request.workload, request.topology)
            info["evaluated_objective"] = pm.scales.cost(ev.objectives, weights)
            info["total_s"] = round(time.perf_counter() - t_start, 3)
            plan.info = info
            return plan
    # Rounds: each solve gets a share of the time left, so a solution the first-fit stage schedule
    # cannot pack (per-stage capacity is pooled per device in the model) still leaves time to
    # solve again with a no-good cut; a packable one seeds the next round (lazy constraints + LNS).
    cuts = repairs = load_caps = 0
    unpackable: dict[str, int] = {}
    power_on = weights[OBJECTIVES.index("power")] > 0
    rounds: list[dict] = []
    best_ok: MilpResult | None = None
    last: MilpResult | None = None
    # Every round solves the same objective over a feasible set that the cuts only shrink, so each
    # round's bound is valid for the final model: keep the best one (a later round restarts the
    # LP search and often ends with a weaker bound than an earlier, longer round).
    round_bounds: list[float] = []
    ps_units = None  # the powered-set bound in the solver's units
    if ps_bound is not None and ps_bound != float("inf"):
        ps_units = (ps_bound + pm.norm_offset) * RESOLUTION
        round_bounds.append(ps_units)
    if best_set and len(best_set) < len(pm.used):
        left = request.time_limit_s - (time.perf_counter() - t_start) - OVERHEAD_S
        if left >= 2 * MIN_ROUND_S:
            fixed, rep = _relax_and_fix(pm, best_set, FIX_SHARE * left, request, backend, power_on,
                                        [h for _o, _c, h in starts])
            info["relax_and_fix"] = rep
            if fixed is not None and (not starts or fixed.objective < pm.model.objective_value(pm.model.hint)):
                best_ok = fixed
                pm.model.hint = dict(fixed.values)
    # With a work limit, rounds share deterministic time the same way (reproducible plans); the
    # wall-clock limit is then only a cap.
    work_left = request.work_limit
    wall_capped = False
    while True:
        left = request.time_limit_s - (time.perf_counter() - t_start) - OVERHEAD_S
        # (a plan from the relax-and-fix round is enough: no round is forced on a spent limit)
        if (last is not None or best_ok is not None) and (left < MIN_ROUND_S or (work_left is not None and work_left < MIN_ROUND_S)):
            wall_capped = wall_capped or (work_left is not None and work_left >= MIN_ROUND_S)
            break
        kw = {"pool": SOLUTION_POOL} if backend == "cpsat" else {}
        if work_left is not None and backend == "cpsat":
            kw["work_limit"] = max(MIN_ROUND_S, min(work_left, max(MIN_ROUND_S, ROUND_SHARE * work_left)))
        result = BACKENDS[backend](pm.model, time_limit_s=max(MIN_ROUND_S, min(left, max(MIN_ROUND_S, ROUND_SHARE * left)))
                                   if "work_limit" not in kw else max(MIN_ROUND_S, left), workers=request.workers,
                                   seed=request.seed, **kw)
        if "work_limit" in kw:
            work_left -= max(result.extra.get("work", 0.0), MIN_ROUND_S)
            wall_capped = wall_capped or bool(result.extra.get("wall_capped"))
        last = result
        rounds.append({"status": result.status, "s": round(result.solve_time_s, 2),
                       "objective": None if result.objective is None else round(pm.normalized_objective(result.objective), 6)})
        if result.bound is not None and not load_caps:
            round_bounds.append(result.bound)  # valid while every cut in the model is
        if result.status == "INFEASIBLE":
            if cuts or best_ok is not None:
                break  # every packable placement was cut away: keep what we have
            for proof in background:
                proof.stop()  # (no plan to bound: its CPU goes to explaining)
            raise InfeasibleError(explain_infeasible(pm, request))
        if not result.has_solution:
            break
        main = result
        bad, short = _stage_verdict(pm, main.values, power_on)
        found: list[MilpResult] = []
        if bad is not None:
            pm.forbid_together(*bad)
            cuts += 1
            unpackable[bad[0]] = unpackable.get(bad[0], 0) + 1
            if unpackable[bad[0]] > 1 and main.status != "OPTIMAL" and _relaxation_dominates(main, ps_units):
                # the same switch unpackable again: the no-good cut let a near twin through (another
                # task's alike tables), so cap the switch's load
                pm.cap_device_load(*bad)
                load_caps += 1
            rounds[-1]["unpackable"] = bad[0]
            # keep what packs of the solver's plan and re-place the rest on its powered switches:
            # a valid plan near the solver's, so the round's search is not lost
            fixed = _repaired(pm, main)
            if fixed is not None:
                repairs += 1
                rounds[-1]["repaired"] = round(pm.normalized_objective(fixed.objective), 6)
                found.append(fixed)
        else:
            # With power weighted: where first-fit runs a pipeline deeper than the model's stage end
            # (a full stage pushed a table later), tighten that device's stage end and solve again.
            hint = dict(main.values)
            for device, mats, end in short:
                pm.stage_end_cut(device, mats, end)
                hint[pm.se[device]] = max(hint[pm.se[device]], end)  # the same plan, its true stage end
            cuts += len(short)
            # a valid plan whose power the model underrated is kept at its corrected objective
            found.append(main if not short else _feasible(pm, main, hint, main.bound))
        if bad is not None or short:
            # the solver's other solutions: the best one the stage schedule accepts as modelled
            for alt in main.alternatives:
                if _stage_verdict(pm, alt, power_on) == (None, []):
                    found.append(_feasible(pm, main, alt, main.bound))
                    rounds[-1]["alternative"] = round(pm.normalized_objective(found[-1].objective), 6)
                    break
        if not found:
            continue
        result = min(found, key=lambda r: r.objective)
        hint = dict(result.values)
        if best_ok is None or result.objective <= best_ok.objective:
            best_ok = result
        if result.status == "OPTIMAL":
            break  # (with load caps: optimal for the capped model only, so reported FEASIBLE)
        pm.model.hint = hint
    for proof in background:
        # (a proven optimum needs no more bound: stop the enumeration now, its bound so far holds)
        proven = best_ok is not None and best_ok.status == "OPTIMAL" and not load_caps
        late = proof.result(0.0 if proven else request.time_limit_s - (time.perf_counter() - t_start) - OVERHEAD_S)
        if late is not None and late != float("inf") and late > (ps_bound if ps_bound is not None else -float("inf")):
            info["powered_set"]["bound"] = ps_bound = late
            round_bounds.append((late + pm.norm_offset) * RESOLUTION)
    if best_ok is not None:
        bounds = round_bounds
        status = best_ok.status if best_ok is last and not load_caps else "FEASIBLE"
        result = MilpResult(backend=best_ok.backend, status=status, values=best_ok.values, objective=best_ok.objective,
                            bound=max(bounds) if bounds else None, solve_time_s=best_ok.solve_time_s, extra=best_ok.extra)
    else:
        result = MilpResult(backend=last.backend, status="UNKNOWN", values={}, objective=None,
                            bound=max(round_bounds) if round_bounds else None,
                            solve_time_s=last.solve_time_s, extra={**last.extra, "solver_status": last.status})
    info["stage_cuts"] = cuts
    info["repairs"] = repairs
    info["load_caps"] = load_caps
    info["rounds"] = rounds
    if request.work_limit is not None:
        info["work_limit"] = request.work_limit
        info["reproducible"] = not wall_capped
    if not result.has_solution and starts:
        result = _feasible(pm, result, starts[0][2], result.bound,
                           extra={**result.extra, "solver_status": result.status})
    if not result.has_solution:
        raise OmniPlanError(
            f"{expert}: no plan found within {request.time_limit_s:g} s (solver status {result.status}); "
            "the instance is not proven infeasible - give more time or a warm start")
    info.update(_result_info(pm, result))
    from_start = starts and result.values == starts[0][2]
    try:
        plan = _tight_copy(starts[0][1], expert, request) if from_start else pm.to_plan(result.values, expert)
        broken = check_plan(plan, request.workload, request.topology, require_all=not request.allow_partial)
    except StageOverflow as exc:
        plan, broken = None, [str(exc)]
    if broken:
        # The time ran out before the stage cuts made the solver's plan packable.
        if not starts:
            raise OmniPlanError(f"{expert}: the solver's plan fails the stage schedule ({broken[0]}) and no start is feasible")
        plan = _tight_copy(starts[0][1], expert, request)
        info.update({"status": "FEASIBLE", "objective": starts[0][0], "rejected": str(broken[0]),
                     "gap_normalised": (None if info["best_bound"] is None else max(0.0, starts[0][0] - info["best_bound"]))})
    cost = pm.scales.cost(evaluate(plan, request.workload, request.topology).objectives, weights)
    for _obj, cand, _hint in starts:
        # the model's power term can underrate a plan (ASAP stage ends): compare evaluated costs, so
        # the MIP never returns a plan worse than a feasible start
        if check_plan(cand, request.workload, request.topology, require_all=not request.allow_partial):
            continue
        cand = _tight_copy(cand, expert, request)
        c = pm.scales.cost(evaluate(cand, request.workload, request.topology).objectives, weights)
        if c < cost - 1e-12:
            plan, cost = cand, c
            info.update({"status": "FEASIBLE", "objective": c, "kept_start": cand.expert,
                         "gap_normalised": None if info.get("best_bound") is None else max(0.0, c - info["best_bound"])})
    info["evaluated_objective"] = cost
    if info.get("best_bound") is not None and info.get("gap_normalised") is not None:
        # the gap of the plan returned, as the evaluator prices it (the bound holds for that cost too)
        gap = max(0.0, cost - info["best_bound"], info["gap_normalised"])
        if gap <= ROUNDING_TOL:
            gap = 0.0 if info["status"] == "OPTIMAL" else gap
        elif info["status"] == "OPTIMAL":
            info["status"] = "FEASIBLE"  # optimal for the model, but the evaluator prices the plan above the bound
        info["gap_normalised"] = info["gap"] = gap
    info["total_s"] = round(time.perf_counter() - t_start, 3)
    plan.info = info
    return plan


def _walks_of(plan: Plan, request: PlanRequest) -> dict[str, list[str]]:
    """Each fully placed task's walk in ``plan`` (explicit or default)."""
    from omniplan.walk import task_walk

    paths = request.topology.shortest_paths
    out = {}
    for t in request.workload.tasks:
        if all(mat_id(t.name, m.name) in plan.placement for m in t.mats):
            out[t.name] = task_walk(t, plan.placement, plan.routes, lambda a, b: paths[a][b]).devices
    return out


def _tight_copy(plan: Plan, expert: str, request: PlanRequest) -> Plan:
    """A copy of ``plan`` whose stages are re-packed where that ends a device's pipeline earlier."""
    out = _copy(plan, expert)
    out.stages = tighten_stages(request.workload, request.topology, out.placement, out.stages)
    return out


def _copy(plan: Plan, expert: str) -> Plan:
    return Plan(placement=dict(plan.placement), stages=dict(plan.stages),
                routes={k: list(v) for k, v in plan.routes.items()}, expert=expert, info={"start": plan.expert})


def fixed_model(pm: PathModel, on: set[str], hint: dict[int, int]) -> tuple[MilpModel, int, int, int]:
    """The relax-and-fix round's model: ``pm``'s with exactly ``on`` powered and stage-window rows
    on those switches, hinted with ``hint`` (completed for the rows' booleans); with the index of
    its first own variable and row, and the number of window rows."""
    model = MilpModel(vars=list(pm.model.vars), constraints=list(pm.model.constraints), objective=dict(pm.model.objective),
                      objective_offset=pm.model.objective_offset, hint=dict(hint))
    for d, v in pm.used.items():
        model.add({v: 1}, int(d in on), int(d in on), group="assignment", name=f"relax-and-fix {d}")
    first_var, first_row = len(model.vars), len(model.constraints)
    windows = pm.add_window_cuts(model, sorted(on), WINDOW_CUTS) if WINDOW_CUTS else 0
    _complete_hint(model, first_var, first_row)
    return model, first_var, first_row, windows


def _relax_and_fix(pm: PathModel, powered: list[str], time_limit_s: float, request: PlanRequest, backend: str,
                   power_on: bool, hints: list[dict[int, int]] = ()) -> tuple[MilpResult | None, dict]:
    """One solver round with exactly ``powered`` switched on (the powered-set relaxation's best
    set), its plans made packable (as they are, else repaired): a plan, not a bound.

    WHY: with the switches fixed, the rest of the model is small for CP-SAT, which then reaches
    the pooled model's optimum for that set within seconds; the pooled capacity is what first-fit
    cannot always pack, so the round's solutions are repaired and the cheapest valid one kept.
    """
    on = set(powered)
    # start from the cheapest start that powers no switch outside the set (the plans built from
    # this very set, usually): with the window rows CP-SAT finds no first solution on its own
    inside = [h for h in hints if all(h.get(v, 0) == 0 for d, v in pm.used.items() if d not in on)]
    hint = min(inside, key=pm.model.objective_value) if inside else pm.model.hint
    model, first_var, first_row, windows = fixed_model(pm, on, hint)
    t0 = time.perf_counter()
    lns_s = LNS_SHARE * time_limit_s if backend == "cpsat" else 0.0
    # the LNS's row index, built from the round's start while the solver runs (it released the GIL)
    prepared = _PreparedLNS(pm, model, request.seed) if lns_s > 0 and model.hint else None
    # (HiGHS needs the start: with none inside the set it found no solution in 12 s on Abilene[8]
    # seed 4 where CP-SAT finds its own)
    solver = fix_backend(backend, len(pm.used)) if inside else backend
    if solver == "cpsat":
        result = solve_cpsat(model, time_limit_s=max(MIN_ROUND_S, time_limit_s - lns_s), workers=request.workers,
                             seed=request.seed, pool=SOLUTION_POOL)
    else:
        # one thread: the other core is left to the background proof and the LNS's index
        result = BACKENDS[solver](model, time_limit_s=max(MIN_ROUND_S, time_limit_s - lns_s), workers=1, seed=request.seed)
    rep: dict = {"powered": sorted(on), "window_rows": windows, "solver": solver, "status": result.status,
                 "s": round(result.solve_time_s, 2),
                 "objective": None if result.objective is None else round(pm.normalized_objective(result.objective), 6)}
    if not result.has_solution:
        if lns_s > 0 and model.hint:
            return _lns_round(pm, model, first_var, first_row, [], result,
                              time_limit_s - (time.perf_counter() - t0), request.seed, rep, prepared)
        return None, rep
    best: MilpResult | None = None
    n = len(pm.model.vars)  # the window rows' booleans are this round's own
    for values in [result.values] + result.alternatives[:FIX_REPAIRS]:
        values = {i: v for i, v in values.items() if i < n}
        cand = _feasible(pm, result, values, None)
        if _stage_verdict(pm, values, power_on) != (None, []):
            cand = _repaired(pm, cand)
        if cand is not None and (best is None or cand.objective < best.objective):
            best = cand
    rep["kept"] = None if best is None else round(pm.normalized_objective(best.objective), 6)
    if lns_s > 0:
        starts = [best.values] if best is not None else []
        if prepared is None and model.hint:
            starts.append(dict(model.hint))
        return _lns_round(pm, model, first_var, first_row, starts, result,
                          time_limit_s - (time.perf_counter() - t0), request.seed, rep, prepared)
    return best, rep


def fix_backend(backend: str, n_devices: int) -> str:
    """The relax-and-fix round's solver: the caller's ``backend``, except that a CP-SAT caller's
    round on at most ``FIX_HIGHS_DEVICES`` switches is solved by ``FIX_BACKEND``."""
    return FIX_BACKEND if backend == "cpsat" and n_devices <= FIX_HIGHS_DEVICES else backend


def _lns_price(pm: PathModel):
    """The task LNS's judge: the evaluator's cost of the plan ``values`` (the model's variables, or
    more) describe, or None when it fails the stage schedule or the checker."""
    n = len(pm.model.vars)

    def price(values: dict[int, int]) -> float | None:
        try:
            plan = pm.to_plan({i: v for i, v in values.items() if i < n}, "lns")
        except StageOverflow:
            return None
        if check_plan(plan, pm.workload, pm.topology, require_all=True):
            return None
        return pm.scales.cost(evaluate(plan, pm.workload, pm.topology).objectives, pm.weights)

    return price


class _PreparedLNS:
    """A ``TaskLNS`` on the relax-and-fix ``model`` built in a thread from the model's (completed)
    hint while CP-SAT solves the round; ``get`` waits for it.

    WHY: the LNS's set-up (the row index over ~100k rows, the start's checks) took 1-3 s of the
    round's 3-4 s LNS share on Abilene[8] / 60 tasks under load (2 steps in some runs); built
    beside CP-SAT (which holds no GIL while it solves), the share goes to steps."""

    def __init__(self, pm: PathModel, model: MilpModel, seed: int):
        import threading

        from experts.milp_lns import LnsOptions

        self.lns = None
        self.why = "not built"
        self.s = 0.0
        self._args = (pm, model, dict(model.hint), LnsOptions(seed=seed))
        self._thread = threading.Thread(target=self._build, daemon=True, name="lns-index")
        self._thread.start()

    def _build(self) -> None:
        from experts.milp_lns import TaskLNS

        t0 = time.perf_counter()
        pm, model, hint, options = self._args
        try:
            if not _valid_start(model, hint):
                self.why = "the round's start breaks a row"
            else:
                self.lns = TaskLNS(pm, model, hint, _lns_price(pm), options)
        except ValueError as exc:  # an invalid start (the checker or the stage schedule)
            self.why = str(exc)
        finally:
            self.s = time.perf_counter() - t0

    def get(self, wait_s: float):
        """The search (from the hint), or None when it could not be built within ``wait_s``."""
        self._thread.join(max(0.0, wait_s))
        return None if self._thread.is_alive() else self.lns


def _valid_start(model: MilpModel, values: Mapping[int, int]) -> bool:
    """Whether ``values`` can start the task LNS on ``model``: every variable set and no row broken
    (``TaskLNS`` reads a complete assignment; the price it checks next is the evaluator's)."""
    return len(values) >= len(model.vars) and not model.violated(values)


def _lns_round(pm: PathModel, model: MilpModel, first_var: int, first_row: int, starts: list[dict[int, int]],
               like: MilpResult, time_limit_s: float, seed: int, rep: dict,
               prepared: _PreparedLNS | None = None) -> tuple[MilpResult | None, dict]:
    """The task LNS (``experts.milp_lns``) on the relax-and-fix ``model`` from the cheapest valid
    of ``starts`` (the model's variables, completed for the window rows' booleans) and the
    ``prepared`` search's start, for ``time_limit_s``; every plan it keeps passed the stage
    schedule, the checker and the evaluator."""
    from experts.milp_lns import LnsOptions, TaskLNS

    t0 = time.perf_counter()
    n = len(pm.model.vars)
    price = _lns_price(pm)
    best: tuple[float, dict[int, int]] | None = None
    for values in starts:
        full = _completed(model, first_var, first_row, {i: v for i, v in values.items() if i < n})
        if not _valid_start(model, full):
            continue
        cost = price(full)
        if cost is not None and (best is None or cost < best[0]):
            best = (cost, full)
    lns = prepared.get(time_limit_s - (time.perf_counter() - t0) - MIN_ROUND_S) if prepared is not None else None
    if lns is not None:
        if best is not None and best[0] < lns.cost:
            lns.restart(best[1])
    elif best is not None:
        lns = TaskLNS(pm, model, best[1], price, LnsOptions(seed=seed))
    if lns is None or time_limit_s - (time.perf_counter() - t0) < MIN_ROUND_S:
        rep["lns"] = {"skipped": "no valid start" if lns is None else "no time"}
        return None, rep
    # (the checks above count against the round's time; the prepared index was built beside CP-SAT)
    setup_s = time.perf_counter() - t0
    rep["lns"] = lns.run(time_limit_s - setup_s)
    rep["lns"]["setup_s"] = round(setup_s, 2)
    if prepared is not None:
        rep["lns"]["index_s"] = round(prepared.s, 2)
    values = _true_stage_ends(pm, {i: v for i, v in lns.values.items() if i < n})
    out = _feasible(pm, like, values, None)
    rep["kept"] = round(pm.normalized_objective(out.objective), 6)
    return out, rep


def _true_stage_ends(pm: PathModel, values: dict[int, int]) -> dict[int, int]:
    """``values`` with each powered device's stage end raised to where its schedule really ends
    (the model's stage end may sit at the ASAP bound below it): the model then prices the plan
    as the evaluator does."""
    placement = pm.placement_from(values)
    ends = pipeline_ends(pm.workload.tasks, placement, schedule_stages(pm.workload, pm.topology, placement))
    out = dict(values)
    for d, end in ends.items():
        out[pm.se[d]] = max(out[pm.se[d]], end)
    return out


def _complete_hint(model: MilpModel, first_var: int, first_row: int) -> None:
    """Give the variables added from ``first_var`` on (the window cuts' chain booleans, each
    forced up by rows ``var - ... >= lo`` added from ``first_row`` on) the least values the
    hint's placement forces, in the order the rows were added."""
    if model.hint:
        model.hint = _completed(model, first_var, first_row, model.hint)


def _completed(model: MilpModel, first_var: int, first_row: int, values: dict[int, int]) -> dict[int, int]:
    """``values`` with the variables from ``first_var`` on set as ``_complete_hint`` sets them
    (a new dict: the model is left as it is, e.g. while CP-SAT reads its hint)."""
    hint = {i: v for i, v in values.items() if i < first_var}
    for v in range(first_var, len(model.vars)):
        hint[v] = 0
    for c in model.constraints[first_row:]:
        new = [v for v, k in c.terms.items() if v >= first_var and k == 1 and c.lo is not None and c.hi is None]
        if len(new) != 1:
            continue
        rest = sum(k * hint.get(v, 0) for v, k in c.terms.items() if v != new[0])
        hint[new[0]] = max(hint[new[0]], min(1, c.lo - rest))
    return hint


def _relaxation_dominates(result: MilpResult, ps_units: float | None) -> bool:
    """True when the powered-set bound beats the solver's own: the solver's proofs then add
    nothing, and a search cut that voids them costs nothing."""
    return ps_units is not None and result.bound is not None and result.bound < ps_units


def _repaired(pm: PathModel, result: MilpResult) -> MilpResult | None:
    """The solver's plan with the tasks that do not pack re-placed (``construct_plan``), or None.

    Two ways, the cheaper result kept: re-placed on the switches the plan already powers (other
    candidate walks when those are full), or on any switch of the task's walk (powering one more).
    """
    values = result.values
    placement = pm.placement_from(values)
    walks = {t: list(pm.cands[t][k]) for (t, k), v in pm.p.items() if values.get(v, 0) == 1}
    best: MilpResult | None = None
    for powered in (set(placement.values()), set(pm.used)):
        plan = construct_plan(pm, powered, walks, expert="repair", placement_hint=placement)
        hint = pm.hint_from_plan(plan) if plan is not None else None
        if hint is None or pm.model.violated(hint):
            continue
        cand = _feasible(pm, result, hint, result.bound)
        if best is None or cand.objective < best.objective:
            best = cand
    return best


def _feasible(pm: PathModel, like: MilpResult, values: dict[int, int], bound: float | None,
              extra: dict | None = None) -> MilpResult:
    """A FEASIBLE result for ``values`` (a plan other than the solver's own answer: repaired, an
    alternative, a corrected stage end, a start) priced by the model, with ``like``'s solver
    fields: every such plan is reported the same way."""
    return MilpResult(backend=like.backend, status="FEASIBLE", values=values,
                      objective=float(pm.model.objective_value(values)), bound=bound,
                      solve_time_s=like.solve_time_s, extra=like.extra if extra is None else extra)


def _stage_verdict(pm: PathModel, values, power_on: bool) -> tuple[tuple[str, list[str]] | None, list[tuple[str, list[str], int]]]:
    """What the stage schedule (``schedule_stages``, run once) says of the solver's plan ``values``:
    the device none of its schedules packs, with that device's MATs (else None); and, when it
    packs and power is weighted, each device whose pipeline ends deeper than the model's stage end
    (device, its MATs, the true end) - a full stage pushed a table later."""
    placement = pm.placement_from(values)
    try:
        stages = schedule_stages(pm.workload, pm.topology, placement)
    except StageOverflow as exc:
        return (exc.device, sorted(m for m, d in placement.items() if d == exc.device)), []
    if not power_on:
        return None, []
    ends = pipeline_ends(pm.workload.tasks, placement, stages)
    return None, [(d, sorted(m for m, dd in placement.items() if dd == d), e) for d, e in ends.items()
                  if e > values[pm.se[d]]]


def _result_info(pm: PathModel, result: MilpResult) -> dict:
    obj = pm.normalized_objective(result.objective) if result.objective is not None else None
    # every normalised term is >= 0 (lo_i are lower bounds), so 0 is always a valid bound
    bound = max(0.0, pm.normalized_objective(result.bound)) if result.bound is not None else 0.0
    status = result.status
    if status == "FEASIBLE" and obj is not None and bound is not None and obj - bound <= 1e-9:
        status = "OPTIMAL"  # the bound meets the plan: proven optimal whatever the solver's label
    gap = None
    if obj is not None and bound is not None:
        gap = 0.0 if status == "OPTIMAL" else max(0.0, obj - bound)
    return {
        "status": status,
        # normalised weighted cost sum_i w_i (C_i - lo_i) / span_i, comparable with Scales.cost(evaluate(...))
        "objective": obj,
        "best_bound": bound,
        # distance to the bound in normalised units (1.0 = one objective's whole range at weight 1)
        "gap_normalised": gap,
        "gap": gap,
        "solve_time_s": round(result.solve_time_s, 3),
        "solver": result.extra,
    }


def greedy_seed(workload: Workload, topology: Topology) -> Plan | None:
    """A quick full placement to start the solver from when no fast expert's plan is given.

    WHY: without an incumbent CP-SAT may find no plan at all within a short limit on 60+ tasks.
    The latency-greedy expert's plan (every task on or near its flow path) is that start; None
    when it cannot place everything (the MIP then starts cold).
    """
    from experts.heuristics.latency import solve as nearest_solve
    from experts.registry import PlanRequest as _Req

    try:
        plan = nearest_solve(_Req(workload, topology))
    except OmniPlanError:
        return None
    plan.expert = "mip-greedy-seed"
    return plan


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


def explain_infeasible(om: PathModel, request: PlanRequest) -> str:
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
