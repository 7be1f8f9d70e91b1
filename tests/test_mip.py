"""The candidate-walk MIP expert against brute force, the independent checker, HiGHS and the evaluator.

Brute force enumerates every placement of every MAT, completes it with the first-fit stage
schedule and the default walk (omniplan.walk), drops infeasible ones (omniplan.feasibility) and
scores the rest with omniplan.evaluate and the MIP's normalisation. On these topologies every
walk a placement can take is either one of the MIP's candidates or worse on every objective, so
the enumeration's minimum is the optimum the MIP must reach.
"""

from __future__ import annotations

import itertools

import pytest

from experts.milp_paths import build_path_model, candidate_walks, path_scales
from experts.mip import SPD_O_WEIGHTS, solve_mip
from experts.registry import PlanRequest, get
from omniplan.errors import InfeasibleError
from omniplan.evaluate import evaluate
from omniplan.feasibility import check_plan
from omniplan.objectives import OBJECTIVES
from omniplan.plan import StageOverflow, complete_plan
from omniplan.topology import Device, DeviceProfile, Link, Topology, line
from omniplan.workload import MAT, Dependency, Task, Workload

#: A toy switch: 4 stages of 1000 SRAM bits, 256 PHV bits - small enough that tasks must split.
SMALL = DeviceProfile(name="small", stages=4, sram_bits_per_stage=1000, tcam_bits_per_stage=1000, phv_bits=256,
                      stage_latency_ns=40, hop_latency_ns=400, idle_power_w=10.0, power_per_stage_w=1.5)


def _w(**kw: float) -> list[float]:
    return [kw.get(o, 0.0) for o in OBJECTIVES]


WEIGHT_VECTORS = [
    [1.0] * 7,
    SPD_O_WEIGHTS,
    _w(latency=1, hops=1),
    _w(coordination=1, throughput=1),
    _w(resources=1, latency=0.2),
    _w(power=1),
]


def _line3() -> Topology:
    return line(3, profile=SMALL)


def _star() -> Topology:
    devices = tuple(Device(n, SMALL, n) for n in ("hub", "l1", "l2"))
    links = (Link("hub", "l1", 10.0, 2.0), Link("hub", "l2", 10.0, 7.0))
    return Topology("star", devices, links)


def _two_tasks() -> Workload:
    t1 = Task("t1", "rf", (MAT("a", 1500, phv_bits=24, stages=2), MAT("b", 1200, phv_bits=24, stages=2),
                           MAT("c", 800, phv_bits=8, stages=2)),
              (Dependency("a", "c", 16), Dependency("b", "c", 8)), ingress="s1", egress="s3", rate_mpps=2.0,
              packet_bytes=200, dispatch_sram_bits=200)
    t2 = Task("t2", "nb", (MAT("p", 1800, phv_bits=32, stages=2), MAT("q", 1000, phv_bits=8)), (Dependency("p", "q", 32),),
              ingress="s3", egress="s2", rate_mpps=4.0, packet_bytes=100, dispatch_sram_bits=200)
    return Workload((t1, t2))


def _three_tasks_star() -> Workload:
    t1 = Task("t1", "dt", (MAT("f", 2500, phv_bits=16, stages=3), MAT("g", 900, phv_bits=8)), (Dependency("f", "g", 8),),
              ingress="l1", egress="l2", rate_mpps=1.0, packet_bytes=500, dispatch_sram_bits=100)
    t2 = Task("t2", "nb", (MAT("p", 1500, phv_bits=32, stages=2), MAT("q", 900, phv_bits=8)), (Dependency("p", "q", 24),),
              ingress="l2", rate_mpps=3.0, packet_bytes=100, dispatch_sram_bits=100)
    t3 = Task("t3", "svm", (MAT("u", 2000, phv_bits=16, stages=2), MAT("v", 600, phv_bits=8)), (Dependency("u", "v", 16),),
              ingress="hub", egress="l1", rate_mpps=1.5, packet_bytes=300, dispatch_sram_bits=100)
    return Workload((t1, t2, t3))


def _feasible_plans(wl: Workload, topo: Topology):
    """Every feasible full placement (default walks, first-fit stages) as a plan."""
    mids = wl.mat_ids()
    devs = [d.name for d in topo.devices]
    for combo in itertools.product(devs, repeat=len(mids)):
        try:
            plan = complete_plan(wl, topo, dict(zip(mids, combo)), "brute-force")
        except StageOverflow:
            continue
        if not check_plan(plan, wl, topo, require_all=True):
            yield plan


def _enumerate(wl: Workload, topo: Topology) -> list[dict[str, float]]:
    """Objectives of every feasible full placement."""
    return [evaluate(plan, wl, topo).objectives for plan in _feasible_plans(wl, topo)]


@pytest.fixture(scope="module")
def line_case():
    wl, topo = _two_tasks(), _line3()
    return wl, topo, _enumerate(wl, topo)


@pytest.fixture(scope="module")
def star_case():
    wl, topo = _three_tasks_star(), _star()
    return wl, topo, _enumerate(wl, topo)


def _scales(wl, topo):
    return path_scales(wl, topo, {t.name: candidate_walks(t, topo) for t in wl.tasks})


def _check_optimal(wl, topo, feasible, weights, backend="cpsat"):
    scales = _scales(wl, topo)
    best = min(scales.cost(o, weights) for o in feasible)
    plan = solve_mip(PlanRequest(wl, topo, weights=weights, time_limit_s=20, workers=1), backend=backend)
    assert plan.info["status"] == "OPTIMAL"
    assert check_plan(plan, wl, topo, require_all=True) == []
    got = scales.cost(evaluate(plan, wl, topo).objectives, weights)
    # integer objective coefficients are rounded to 1e-6 of a normalised unit
    assert got == pytest.approx(best, abs=1e-4)
    return plan, got


@pytest.mark.parametrize("weights", WEIGHT_VECTORS[:5], ids=lambda w: ",".join(f"{x:g}" for x in w))
def test_cpsat_matches_brute_force_on_a_line(line_case, weights):
    wl, topo, feasible = line_case
    plan, got = _check_optimal(wl, topo, feasible, weights)
    if weights[OBJECTIVES.index("power")] == 0:
        # the solver's objective is the evaluator's number; power's stage term is the one
        # approximation (each MAT's ASAP end in its task), so it is left out of this identity
        assert plan.info["objective"] == pytest.approx(got, abs=1e-4)


@pytest.mark.parametrize("weights", WEIGHT_VECTORS[:5], ids=lambda w: ",".join(f"{x:g}" for x in w))
def test_cpsat_matches_brute_force_on_a_star(star_case, weights):
    wl, topo, feasible = star_case
    _check_optimal(wl, topo, feasible, weights)


def test_power_weight_reaches_the_brute_force_optimum(line_case):
    # The MIP's stage-end term is each MAT's ASAP end in its task: exact here, where no stage is full.
    wl, topo, feasible = line_case
    _check_optimal(wl, topo, feasible, _w(power=1))


def test_capacity_forces_a_split(line_case):
    wl, topo, _ = line_case
    # t1 needs 3500 SRAM bits + dispatch: more than one 4000-bit device with t2 around; min SRAM still fits
    plan = solve_mip(PlanRequest(wl, topo, weights=_w(latency=1), time_limit_s=20, workers=1))
    ev = evaluate(plan, wl, topo)
    assert ev.split_pct > 0
    # a split on the flow path costs no latency: every task's walk is its shortest path
    assert [ev.walks[t].devices for t in ("t1", "t2")] == [["s1", "s2", "s3"], ["s3", "s2"]]


@pytest.mark.parametrize("weights", [[1.0] * 7, _w(latency=1, hops=1), SPD_O_WEIGHTS])
def test_cpsat_and_highs_reach_the_same_optimum(line_case, weights):
    wl, topo, feasible = line_case
    _, a = _check_optimal(wl, topo, feasible, weights, backend="cpsat")
    _, b = _check_optimal(wl, topo, feasible, weights, backend="highs")
    assert a == pytest.approx(b, abs=1e-4)


def test_warm_start_is_checked_and_used(line_case):
    wl, topo, _ = line_case
    warm = get("latency-greedy").solve(PlanRequest(wl, topo))
    plan = solve_mip(PlanRequest(wl, topo, weights=[1.0] * 7, time_limit_s=10, workers=1, warm_start=warm))
    reports = plan.info["warm_start"]
    assert reports[0]["expert"] == "latency-greedy" and reports[0]["feasible"]
    # the MIP never returns worse than its feasible start (normalised objective)
    assert plan.info["objective"] <= reports[0]["objective"] + 1e-9


def test_short_of_sram_without_partial_names_sram():
    topo = line(2, profile=SMALL)
    big = tuple(Task(f"t{i}", "dt", (MAT("m", 3000, stages=3),), ingress="s1", dispatch_sram_bits=100) for i in range(3))
    with pytest.raises(InfeasibleError, match="SRAM"):
        solve_mip(PlanRequest(Workload(big), topo, time_limit_s=5, workers=1))
    plan = solve_mip(PlanRequest(Workload(big), topo, weights=_w(coverage=1), time_limit_s=5, workers=1,
                                 allow_partial=True))
    assert evaluate(plan, Workload(big), topo).placed_tasks == 2


def test_infeasible_bandwidth_is_named():
    topo = line(2, profile=SMALL, bandwidth_gbps=1.0)
    # 2 Mpps x 1000 bytes = 16 Gbit/s on a 1 Gbit/s link: no walk from s1 to s2 carries it
    t = Task("t", "dt", (MAT("m", 500),), ingress="s1", egress="s2", rate_mpps=2.0, packet_bytes=1000, dispatch_sram_bits=100)
    with pytest.raises(InfeasibleError, match="bandwidth"):
        solve_mip(PlanRequest(Workload((t,)), topo, time_limit_s=5, workers=1))


def test_per_stage_capacity_holds_in_mip_plans(line_case):
    wl, topo, _ = line_case
    plan = solve_mip(PlanRequest(wl, topo, weights=_w(resources=1), time_limit_s=10, workers=1))
    assert not [v for v in check_plan(plan, wl, topo) if v.constraint == "stage-capacity"]


def test_model_size_does_not_grow_with_arcs_times_deps():
    # Doubling the topology's links leaves the per-task candidate count (hence the model) bounded.
    from omniplan.topology import load_topology
    from omniplan.workload import generate_compiled_workload

    topo = load_topology("abilene")
    wl = generate_compiled_workload(10, 1, [d.name for d in topo.devices])
    pm = build_path_model(wl, topo, [1.0] * 7)
    assert all(len(c) <= 5 for c in pm.cands.values())
    assert pm.model.stats()["variables"] < 20 * len(wl.mat_ids()) * 5


def test_registered_experts():
    assert get("cpsat").kind == "mip" and get("spd-o").kind == "mip"
    assert get("spd-o").capability == tuple(SPD_O_WEIGHTS) or sum(get("spd-o").capability) == 1.0


def test_spd_o_ignores_request_weights(line_case):
    wl, topo, feasible = line_case
    plan = get("spd-o").solve(PlanRequest(wl, topo, weights=_w(power=1), time_limit_s=20, workers=1))
    assert plan.info["weights"]["resources"] == 0.5 and plan.info["weights"]["latency"] == 0.5
    scales = _scales(wl, topo)
    best = min(scales.cost(o, SPD_O_WEIGHTS) for o in feasible)
    assert scales.cost(evaluate(plan, wl, topo).objectives, SPD_O_WEIGHTS) == pytest.approx(best, abs=1e-4)


def test_stage_count_rows_cut_off_no_packable_plan():
    # The per-device stage-count rows (se[d] x per-stage capacity >= load) are valid inequalities:
    # every packable placement (first-fit stages, default walk among the candidates) stays a
    # solution of the model, with power weighted so the rows are live.
    wl, topo = _two_tasks(), _line3()
    pm = build_path_model(wl, topo, [1.0] * 7)
    assert any(c.name.startswith("stage sram") for c in pm.model.constraints)
    checked = 0
    for plan in _feasible_plans(wl, topo):
        hint = pm.hint_from_plan(plan)
        if hint is None:
            continue
        assert pm.model.violated(hint) == [], plan.placement
        checked += 1
    assert checked > 10


@pytest.mark.parametrize("weights", WEIGHT_VECTORS, ids=lambda w: ",".join(f"{x:g}" for x in w))
@pytest.mark.parametrize("case", ["line_case", "star_case"])
def test_powered_set_bound_is_below_every_plan(case, weights, request):
    # The powered-set relaxation's bound is valid (up to the 1e-6 rounding of each objective
    # coefficient): no feasible placement (brute force, first-fit
    # stages, default walks) costs less, neither by the evaluator nor by the full model's objective.
    from experts.milp_powerset import PoweredSetRelaxation

    wl, topo, _ = request.getfixturevalue(case)
    pm = build_path_model(wl, topo, weights)
    bound = PoweredSetRelaxation(pm).solve(10.0).bound
    scales = _scales(wl, topo)
    checked = 0
    for plan in _feasible_plans(wl, topo):
        assert bound <= scales.cost(evaluate(plan, wl, topo).objectives, weights) + 1e-5, plan.placement
        hint = pm.hint_from_plan(plan)
        if hint is not None and not pm.model.violated(hint):
            assert bound <= pm.normalized_objective(pm.model.objective_value(hint)) + 1e-5, plan.placement
            checked += 1
    assert checked > 5


def test_powered_set_bound_is_not_trivial_for_power_alone(line_case):
    # With power alone the relaxation keeps what decides it (switches powered, stage counts from
    # capacity) integral; here tasks must split (which it relaxes), and it still proves more than
    # half the brute-force optimum (0.52 of 0.88 normalised).
    from experts.milp_powerset import PoweredSetRelaxation

    wl, topo, feasible = line_case
    weights = _w(power=1)
    pm = build_path_model(wl, topo, weights)
    bound = PoweredSetRelaxation(pm).solve(10.0).bound
    best = min(_scales(wl, topo).cost(o, weights) for o in feasible)
    assert bound <= best + 1e-6
    assert bound >= 0.5 * best


def test_plans_built_from_powered_sets_pass_the_checker(star_case):
    from experts.milp_powerset import explore

    wl, topo, _ = star_case
    pm = build_path_model(wl, topo, [1.0] * 7)
    bound, plans, reports = explore(pm, 5.0)
    assert reports and bound is not None
    assert plans
    for plan in plans:
        assert check_plan(plan, wl, topo, require_all=True) == []
        hint = pm.hint_from_plan(plan)
        assert hint is not None and pm.model.violated(hint) == []


def test_repair_keeps_what_packs_and_replaces_the_rest(star_case):
    # construct_plan with a placement hint (how the MIP repairs a solver plan whose stages do not
    # pack): a packable placement comes back unchanged; one that overfills a switch comes back
    # valid, with the tasks that fit where the hint put them.
    from experts.milp_powerset import construct_plan
    from omniplan.walk import task_walk
    from omniplan.workload import mat_id

    wl, topo, _ = star_case
    pm = build_path_model(wl, topo, [1.0] * 7)
    paths = topo.shortest_paths
    checked = 0
    for plan in _feasible_plans(wl, topo):
        walks = {t.name: task_walk(t, plan.placement, plan.routes, lambda a, b: paths[a][b]).devices for t in wl.tasks}
        if any(w not in pm.cands[t] for t, w in walks.items()):
            continue
        again = construct_plan(pm, set(plan.placement.values()), walks, placement_hint=plan.placement)
        assert again is not None and again.placement == plan.placement
        checked += 1
        if checked >= 5:
            break
    assert checked
    # everything on the hub overfills its 4 stages; the repair moves what does not fit
    crowded = {mat_id(t.name, m.name): "hub" for t in wl.tasks for m in t.mats}
    walks = {t.name: pm.cands[t.name][0] for t in wl.tasks}
    with pytest.raises(StageOverflow):
        complete_plan(wl, topo, crowded, "crowded")
    fixed = construct_plan(pm, {d.name for d in topo.devices}, walks, placement_hint=crowded)
    assert fixed is not None and check_plan(fixed, wl, topo, require_all=True) == []
    assert any(d == "hub" for d in fixed.placement.values())


def _min_end_schedule(wl: Workload, topo: Topology, device: str, mids: tuple[str, ...]) -> dict[str, int] | None:
    """Every stage start for ``mids`` on ``device`` tried (tiny instances only): the valid
    schedule (span inside the pipeline, per-stage SRAM/TCAM/entries, same-device dependencies in
    order) whose pipeline ends earliest, or None. Independent of any scheduler under test."""
    prof = topo.device(device).profile
    mats = wl.mats()
    deps = [(f"{t.name}/{d.src}", f"{t.name}/{d.dst}") for t in wl.tasks for d in t.deps]
    best = None
    for starts in itertools.product(*(range(prof.stages - mats[m].stages + 1) for m in mids)):
        at = dict(zip(mids, starts))
        if any(a in at and b in at and at[b] < at[a] + mats[a].stages for a, b in deps):
            continue
        use: dict[int, list[int]] = {}
        ok = True
        for m, s in at.items():
            for k in range(s, s + mats[m].stages):
                u = use.setdefault(k, [0, 0, 0])
                for i, need in enumerate(mats[m].per_stage):
                    u[i] += need
                if u[0] > prof.sram_bits_per_stage or u[1] > prof.tcam_bits_per_stage or u[2] > prof.entries_per_stage:
                    ok = False
        end = max(s + mats[m].stages for m, s in at.items())
        if ok and (best is None or end < best[0]):
            best = (end, at)
    return None if best is None else best[1]


def _packable_plans(wl: Workload, topo: Topology):
    """Every full placement that *some* stage schedule packs (not only first-fit), with its
    earliest-ending schedule per device, default walks, accepted by the checker."""
    from omniplan.plan import Plan, shortest_routes

    mids = wl.mat_ids()
    devs = [d.name for d in topo.devices]
    cache: dict[tuple[str, tuple[str, ...]], dict[str, int] | None] = {}
    for combo in itertools.product(devs, repeat=len(mids)):
        placement = dict(zip(mids, combo))
        stages: dict[str, int] = {}
        for d in set(combo):
            key = (d, tuple(m for m in mids if placement[m] == d))
            if key not in cache:
                cache[key] = _min_end_schedule(wl, topo, *key)
            if cache[key] is None:
                break
            stages.update(cache[key])
        else:
            plan = Plan(placement, stages, shortest_routes(wl, topo, placement), "brute-force")
            if not check_plan(plan, wl, topo, require_all=True):
                yield plan


@pytest.mark.parametrize("case", ["line_case", "star_case"])
def test_window_rows_cut_off_no_packable_plan(case, request):
    # The stage-window rows of the relax-and-fix round (PathModel.add_window_cuts, on every device
    # here) are valid: every placement that any stage schedule packs - enumerated exhaustively,
    # not by the schedulers under test - stays a solution once its chain booleans are completed.
    from experts.milp_model import MilpModel
    from experts.mip import _complete_hint

    wl, topo, _ = request.getfixturevalue(case)
    pm = build_path_model(wl, topo, [1.0] * 7)
    checked = 0
    for plan in _packable_plans(wl, topo):
        hint = pm.hint_from_plan(plan)
        if hint is None:
            continue
        model = MilpModel(vars=list(pm.model.vars), constraints=list(pm.model.constraints),
                          objective=dict(pm.model.objective), hint=dict(hint))
        first_var, first_row = len(model.vars), len(model.constraints)
        assert pm.add_window_cuts(model, [d.name for d in topo.devices]) > 0
        _complete_hint(model, first_var, first_row)
        assert model.violated(model.hint) == [], plan.placement
        checked += 1
    assert checked > 5


def test_window_rows_reject_a_pooled_fit_no_schedule_packs():
    # A 3-stage switch with two TCAM slots per stage holds four feature tables feeding a vote:
    # the pooled rows accept a 2-stage pipeline (4 slots for 4 tables); the window rows know the
    # vote needs a stage after the features and reject it.
    from experts.milp_model import MilpModel
    from experts.mip import _complete_hint

    prof = DeviceProfile(name="two-slot", stages=3, sram_bits_per_stage=1000, tcam_bits_per_stage=2, phv_bits=256,
                         stage_latency_ns=40, hop_latency_ns=400, idle_power_w=10.0, power_per_stage_w=1.5)
    topo = line(1, profile=prof)
    feats = tuple(MAT(f"f{i}", 10, tcam_bits=1, phv_bits=8) for i in range(4))
    task = Task("t", "rf", feats + (MAT("vote", 10, phv_bits=8),), tuple(Dependency(f.name, "vote", 8) for f in feats),
                ingress="s1", dispatch_sram_bits=10)
    wl = Workload((task,))
    placement = {mid: "s1" for mid in wl.mat_ids()}
    from omniplan.plan import Plan, shortest_routes

    # 4 features in 2 stages (2 slots each) and the vote in the third: this one packs
    ok = Plan(placement, {"t/f0": 0, "t/f1": 0, "t/f2": 1, "t/f3": 1, "t/vote": 2}, shortest_routes(wl, topo, placement))
    assert check_plan(ok, wl, topo, require_all=True) == []
    pm = build_path_model(wl, topo, _w(power=1))
    hint = pm.hint_from_plan(ok)
    # the same placement claiming a 2-stage pipeline: the pooled rows (4 TCAM bits <= 2 x 2)
    # accept it, the window row (features feed the vote: 4 <= 2 x (2 - 1) fails) does not
    hint[pm.se["s1"]] = 2
    assert not [c for c in pm.model.violated(hint) if c.name.startswith("stage tcam")]
    model = MilpModel(vars=list(pm.model.vars), constraints=list(pm.model.constraints), objective=dict(pm.model.objective),
                      hint=dict(hint))
    first_var, first_row = len(model.vars), len(model.constraints)
    pm.add_window_cuts(model, ["s1"])
    _complete_hint(model, first_var, first_row)
    assert any(c.name.startswith("window e1 1") for c in model.violated(model.hint))


def _vote_task_case():
    """Two 3-stage switches with two TCAM slots per stage; one task of four feature tables feeding
    a vote. Whole on a switch it needs 3 stages (the vote after the features), though the pooled
    stage rows see 4 TCAM slots' worth in 2 stages."""
    prof = DeviceProfile(name="two-slot", stages=3, sram_bits_per_stage=1000, tcam_bits_per_stage=2, phv_bits=256,
                         stage_latency_ns=40, hop_latency_ns=400, idle_power_w=10.0, power_per_stage_w=6.0)
    topo = line(2, profile=prof)
    feats = tuple(MAT(f"f{i}", 10, tcam_bits=1, phv_bits=8) for i in range(4))
    task = Task("t", "rf", feats + (MAT("vote", 10, phv_bits=8),), tuple(Dependency(f.name, "vote", 8) for f in feats),
                ingress="s1", egress="s2", dispatch_sram_bits=10, packet_bytes=100)
    return Workload((task,)), topo


@pytest.mark.parametrize("weights", WEIGHT_VECTORS, ids=lambda w: ",".join(f"{x:g}" for x in w))
@pytest.mark.parametrize("case", ["line_case", "star_case", "vote"])
def test_windowed_relaxation_bound_is_below_every_packable_plan(case, weights, request):
    # The relaxation with stage-window rows stays a valid bound against every placement that any
    # stage schedule packs (exhaustive, not the schedulers under test), priced by the evaluator.
    from experts.milp_powerset import PoweredSetRelaxation

    wl, topo = _vote_task_case() if case == "vote" else request.getfixturevalue(case)[:2]
    pm = build_path_model(wl, topo, weights)
    bound = PoweredSetRelaxation(pm, windows=True).solve(10.0).bound
    scales = _scales(wl, topo)
    costs = [scales.cost(evaluate(plan, wl, topo).objectives, weights) for plan in _packable_plans(wl, topo)]
    assert costs and bound <= min(costs) + 1e-5


def test_windowed_relaxation_sees_the_vote_stage():
    # Power alone: the plain relaxation powers one switch for 2 stages (4 TCAM slots for 4 tables);
    # with the window rows it knows the vote takes a third stage (or a second switch), which is
    # what the best packable plan pays - the bound rises to the brute-force optimum.
    from experts.milp_powerset import PoweredSetRelaxation

    wl, topo = _vote_task_case()
    weights = _w(power=1)
    pm = build_path_model(wl, topo, weights)
    plain = PoweredSetRelaxation(pm).solve(10.0).bound
    windowed = PoweredSetRelaxation(pm, windows=True).solve(10.0).bound
    best = min(_scales(wl, topo).cost(evaluate(p, wl, topo).objectives, weights) for p in _packable_plans(wl, topo))
    assert plain < windowed - 1e-4
    assert windowed == pytest.approx(best, abs=1e-5)


@pytest.mark.parametrize("weights", WEIGHT_VECTORS, ids=lambda w: ",".join(f"{x:g}" for x in w))
@pytest.mark.parametrize("case", ["line_case", "star_case", "vote"])
def test_windowed_bound_set_by_set_is_below_every_packable_plan(case, weights, request):
    # explore's windowed bound is assembled set by set: W(S) (windowed rows, switches fixed to S)
    # for each powered set S tried, and the plain relaxation with those sets excluded for the rest.
    # Each W(S) must stay below every packable plan that powers exactly S (exhaustive placements,
    # any stage schedule, not the schedulers under test), the assembled bound below every packable
    # plan, and once proven it equals the windowed relaxation's optimum over all sets.
    from experts.milp_powerset import PoweredSetRelaxation, explore

    wl, topo = _vote_task_case() if case == "vote" else request.getfixturevalue(case)[:2]
    pm = build_path_model(wl, topo, weights)
    scales = _scales(wl, topo)
    by_set: dict[frozenset[str], float] = {}
    for plan in _packable_plans(wl, topo):
        key = frozenset(plan.placement.values())
        by_set[key] = min(by_set.get(key, float("inf")), scales.cost(evaluate(plan, wl, topo).objectives, weights))
    assert by_set  # (line_case packs only on all three switches; the others on several sets)
    fixed = PoweredSetRelaxation(pm, windows=True)
    for powered, cost in by_set.items():
        assert fixed.solve_set(powered, 10.0).bound <= cost + 1e-5, sorted(powered)
    bound, _plans, reports = explore(pm, 5.0, windows_s=5.0)
    assert bound <= min(by_set.values()) + 1e-5
    assert reports[-1].get("proven")
    whole = PoweredSetRelaxation(pm, windows=True).solve(10.0)
    assert bound == pytest.approx(whole.bound, abs=1e-4)


@pytest.mark.parametrize("case", ["star_case", "vote"])
def test_windowed_bound_finished_in_the_background_is_the_same(case, request):
    # One enumeration step in the caller's thread, the rest in SetwiseBound's thread (how the MIP
    # finishes a proof explore's time did not cover): the bound read back is still below every
    # packable plan and, once the thread proves it, the windowed relaxation's optimum.
    from experts.milp_powerset import PoweredSetRelaxation, SetwiseBound

    wl, topo = _vote_task_case() if case == "vote" else request.getfixturevalue(case)[:2]
    weights = [1.0] * 7
    pm = build_path_model(wl, topo, weights)
    proof = SetwiseBound(pm, windows=True)
    proof.step(5.0, lambda: 5.0)
    assert not proof.done or proof.reports[-1]["proven"]
    proof.continue_in_background(10.0)
    bound = proof.result(10.0)
    assert proof.done and proof.reports[-1]["proven"]
    scales = _scales(wl, topo)
    best = min(scales.cost(evaluate(p, wl, topo).objectives, weights) for p in _packable_plans(wl, topo))
    assert bound <= best + 1e-5
    assert bound == pytest.approx(PoweredSetRelaxation(pm, windows=True).solve(10.0).bound, abs=1e-4)


@pytest.mark.parametrize("case", ["star_case", "vote"])
def test_w_solve_stopped_at_the_best_w_is_still_a_bound(case, request):
    # A W(S) solve stops once its dual bound reaches the best W of the other sets (it can then not
    # lower the assembled bound): what it reports must stay a valid bound for S (at most the
    # finished W(S), itself below every packable plan powering S, checked above), and such a set
    # is not re-solved (not "short") unless its W holds the bound down.
    from experts.milp_powerset import SetwiseBound

    wl, topo = _vote_task_case() if case == "vote" else request.getfixturevalue(case)[:2]
    pm = build_path_model(wl, topo, [1.0] * 7)
    proof = SetwiseBound(pm, windows=True)
    sets = sorted({frozenset(p.placement.values()) for p in _packable_plans(wl, topo)}, key=sorted)
    for powered in sets:
        exact = proof.fixed.solve_set(powered, 10.0)
        assert exact.status == "Optimal"
        other = frozenset({"elsewhere"})
        for target in (-1.0, exact.bound - 1e-3, exact.bound + 1.0):
            proof.w_of, proof.exact = {other: target}, {other}
            early = proof._solve_w(powered, 10.0)
            assert early.bound <= exact.bound + 1e-9
            assert early.status == "Optimal" or early.bound >= target
            proof._record_w(powered, early)
            assert proof.best_w == min(target, early.bound)
            assert (powered in proof.short) == (powered not in proof.exact and early.bound <= proof.best_w)
        assert proof._w_enough == float("inf")  # (reset after each solve)


def test_relax_and_fix_solver_by_network_size():
    # HiGHS takes the round on small networks (where its LP-based search was measured), CP-SAT
    # beyond; a HiGHS caller keeps HiGHS.
    from experts import mip

    assert mip.fix_backend("cpsat", 8) == mip.FIX_BACKEND == "highs"
    assert mip.fix_backend("cpsat", mip.FIX_HIGHS_DEVICES + 1) == "cpsat"
    assert mip.fix_backend("highs", 143) == "highs"


@pytest.mark.parametrize("case", ["line_case", "star_case"])
def test_highs_relax_and_fix_round_returns_a_checked_plan(case, request, monkeypatch):
    # The relax-and-fix round on HiGHS, each powered set some packable plan uses, started from
    # that set's best packable plan (brute force over every placement and stage schedule): its plan
    # passes the checker, powers no switch outside the set, costs no more than its start and no
    # less than the brute-force optimum; CP-SAT's round on the same set reaches the same model
    # objective (both finish on these instances).
    from experts import mip

    wl, topo, _ = request.getfixturevalue(case)
    weights = [1.0] * 7
    scales = _scales(wl, topo)
    best_of: dict[frozenset[str], tuple[float, object]] = {}
    for plan in _packable_plans(wl, topo):
        key = frozenset(plan.placement.values())
        cost = scales.cost(evaluate(plan, wl, topo).objectives, weights)
        if key not in best_of or cost < best_of[key][0]:
            best_of[key] = (cost, plan)
    optimum = min(c for c, _p in best_of.values())
    req = PlanRequest(wl, topo, weights=weights, time_limit_s=10, workers=1)
    checked = 0
    for powered, (start_cost, start) in sorted(best_of.items(), key=lambda kv: sorted(kv[0])):
        pm = build_path_model(wl, topo, weights)
        hint = pm.hint_from_plan(start)
        if hint is None or pm.model.violated(hint):
            continue  # (a walk outside the candidates, or a stage row the model draws tighter)
        objectives = {}
        for solver in ("highs", "cpsat"):
            monkeypatch.setattr(mip, "FIX_BACKEND", solver)
            pm = build_path_model(wl, topo, weights)
            result, rep = mip._relax_and_fix(pm, sorted(powered), 2.0, req, "cpsat", True, [hint])
            assert rep["solver"] == solver and result is not None
            plan = pm.to_plan(result.values, "rf")
            assert check_plan(plan, wl, topo, require_all=True) == []
            assert set(plan.placement.values()) <= powered
            cost = scales.cost(evaluate(plan, wl, topo).objectives, weights)
            assert optimum - 1e-6 <= cost <= start_cost + 1e-6
            objectives[solver] = result.objective
        assert objectives["highs"] == pytest.approx(objectives["cpsat"], abs=2)  # (integer units: 1e-8)
        checked += 1
    assert checked
