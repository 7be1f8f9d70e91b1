"""The CP-SAT MIP expert against brute force, the independent checker, HiGHS and the evaluator.

Brute force enumerates every placement of every MAT, completes it with the ASAP schedule and
lowest-latency routes, drops infeasible ones (omniplan.feasibility) and scores the rest with
omniplan.evaluate and the same normalisation the MIP uses. The topologies are trees (or have a
route that is best in both latency and hops), so "lowest-latency route" loses nothing and the
enumeration is a true optimum to compare with.
"""

from __future__ import annotations

import itertools
import math

import pytest

from experts.milp_backends import solve_cpsat, solve_highs
from experts.milp_offload import build_model, objective_scales, pareto_paths
from experts.mip import SPD_O_WEIGHTS, solve_mip
from experts.registry import PlanRequest, get
from omniplan.errors import InfeasibleError
from omniplan.evaluate import evaluate
from omniplan.feasibility import check_plan
from omniplan.objectives import OBJECTIVES
from omniplan.plan import StageOverflow, complete_plan
from omniplan.topology import Device, DeviceProfile, Link, Topology, line
from omniplan.workload import MAT, Dependency, Task, Workload

#: A toy switch: 4 stages, 4000 bits of SRAM, 256 PHV bits - small enough that tasks must split.
SMALL = DeviceProfile(name="small", stages=4, sram_bits_per_stage=1000, tcam_bits_per_stage=1000, phv_bits=256,
                      stage_latency_ns=40, hop_latency_ns=400, idle_power_w=10.0, power_per_stage_w=1.5)


def _w(**kw: float) -> list[float]:
    return [kw.get(o, 0.0) for o in OBJECTIVES]


WEIGHT_VECTORS = [
    [1.0] * 7,
    SPD_O_WEIGHTS,
    _w(power=1),
    _w(latency=1, hops=1),
    _w(coordination=1, throughput=1),
    _w(resources=1, power=0.5, latency=0.2),
]


def _line3() -> Topology:
    return line(3, profile=SMALL)


def _star() -> Topology:
    devices = tuple(Device(n, SMALL, n) for n in ("hub", "l1", "l2"))
    links = (Link("hub", "l1", 10.0, 2.0), Link("hub", "l2", 10.0, 7.0))
    return Topology("star", devices, links)


def _two_tasks() -> Workload:
    t1 = Task("t1", "rf", (MAT("a", 1500, phv_bits=24), MAT("b", 1200, phv_bits=24), MAT("c", 800, phv_bits=8, stages=2)),
              (Dependency("a", "c", 16), Dependency("b", "c", 8)), ingress="s1", rate_mpps=20.0, dispatch_sram_bits=200)
    t2 = Task("t2", "nb", (MAT("p", 1800, phv_bits=32), MAT("q", 1000, phv_bits=8)), (Dependency("p", "q", 32),),
              ingress="s3", rate_mpps=40.0, dispatch_sram_bits=200)
    return Workload((t1, t2))


def _three_tasks_star() -> Workload:
    t1 = Task("t1", "dt", (MAT("f", 2500, phv_bits=16), MAT("g", 1200, phv_bits=8)), (Dependency("f", "g", 8),),
              ingress="l1", rate_mpps=10.0, dispatch_sram_bits=100)
    t2 = Task("t2", "nb", (MAT("p", 1500, phv_bits=32), MAT("q", 900, phv_bits=8)), (Dependency("p", "q", 24),),
              ingress="l2", rate_mpps=30.0, dispatch_sram_bits=100)
    t3 = Task("t3", "svm", (MAT("u", 2000, phv_bits=16), MAT("v", 600, phv_bits=8)), (Dependency("u", "v", 16),),
              ingress="hub", rate_mpps=15.0, dispatch_sram_bits=100)
    return Workload((t1, t2, t3))


def _enumerate(wl: Workload, topo: Topology) -> list[dict[str, float]]:
    """Objectives of every feasible full placement."""
    mids = wl.mat_ids()
    devs = [d.name for d in topo.devices]
    out = []
    for combo in itertools.product(devs, repeat=len(mids)):
        try:
            plan = complete_plan(wl, topo, dict(zip(mids, combo)), "brute-force")
        except StageOverflow:
            continue
        if check_plan(plan, wl, topo, require_all=True):
            continue
        out.append(evaluate(plan, wl, topo).objectives)
    return out


@pytest.fixture(scope="module")
def line_case():
    wl, topo = _two_tasks(), _line3()
    return wl, topo, _enumerate(wl, topo)


@pytest.fixture(scope="module")
def star_case():
    wl, topo = _three_tasks_star(), _star()
    return wl, topo, _enumerate(wl, topo)


def _check_optimal(wl, topo, feasible, weights):
    scales = objective_scales(wl, topo)
    best = min(scales.cost(o, weights) for o in feasible)
    plan = solve_mip(PlanRequest(wl, topo, weights=weights, time_limit_s=20, workers=1))
    assert plan.info["status"] == "OPTIMAL"
    assert check_plan(plan, wl, topo, require_all=True) == []
    got = scales.cost(evaluate(plan, wl, topo).objectives, weights)
    # weights are rounded to integers with relative precision 1/2000
    assert got == pytest.approx(best, abs=1e-3 * (1 + abs(best)))
    # the solver's own objective is the evaluator's number
    assert plan.info["objective"] == pytest.approx(got, abs=1e-3 * (1 + abs(got)))
    return plan


@pytest.mark.parametrize("weights", WEIGHT_VECTORS, ids=lambda w: ",".join(f"{x:g}" for x in w))
def test_cpsat_matches_brute_force_on_a_line(line_case, weights):
    wl, topo, feasible = line_case
    assert len(feasible) > 10  # the instance leaves real choices
    _check_optimal(wl, topo, feasible, weights)


@pytest.mark.parametrize("weights", WEIGHT_VECTORS[:4], ids=lambda w: ",".join(f"{x:g}" for x in w))
def test_cpsat_matches_brute_force_on_a_star(star_case, weights):
    wl, topo, feasible = star_case
    _check_optimal(wl, topo, feasible, weights)


def test_capacity_forces_a_split(line_case):
    wl, topo, _ = line_case
    # 6300 bits of MATs + dispatch cannot sit on one 4000-bit device, whatever the weights say
    plan = solve_mip(PlanRequest(wl, topo, weights=_w(power=1), time_limit_s=20, workers=1))
    assert len(set(plan.placement.values())) >= 2
    ev = evaluate(plan, wl, topo)
    assert all(bits <= SMALL.sram_bits for bits in ev.device_sram_bits.values())


@pytest.mark.parametrize("weights", [[1.0] * 7, _w(latency=1, hops=1), SPD_O_WEIGHTS])
def test_cpsat_and_highs_reach_the_same_optimum(line_case, weights):
    wl, topo, _ = line_case
    om = build_model(wl, topo, weights)
    a = solve_cpsat(om.model, time_limit_s=20, workers=1, rel_gap=0.0)
    b = solve_highs(om.model, time_limit_s=20, workers=1, rel_gap=0.0)
    assert a.status == b.status == "OPTIMAL"
    # the same integer objective on the same integer model
    assert a.objective == b.objective
    plan_b = om.to_plan(b.values, "highs")
    assert check_plan(plan_b, wl, topo, require_all=True) == []


def test_highs_backend_through_the_expert(star_case):
    wl, topo, feasible = star_case
    weights = SPD_O_WEIGHTS
    scales = objective_scales(wl, topo)
    plan = solve_mip(PlanRequest(wl, topo, weights=weights, time_limit_s=20, workers=1), weights=weights, backend="highs")
    assert plan.info["status"] == "OPTIMAL"
    best = min(scales.cost(o, weights) for o in feasible)
    assert scales.cost(evaluate(plan, wl, topo).objectives, weights) == pytest.approx(best, abs=1e-3)


def test_warm_start_is_checked_and_used(line_case):
    wl, topo, feasible = line_case
    weights = [1.0] * 7
    scales = objective_scales(wl, topo)
    warm = complete_plan(wl, topo, {"t1/a": "s1", "t1/b": "s2", "t1/c": "s1", "t2/p": "s3", "t2/q": "s2"}, "handmade")
    assert check_plan(warm, wl, topo, require_all=True) == []
    plan = solve_mip(PlanRequest(wl, topo, weights=weights, time_limit_s=20, workers=1, warm_start=warm))
    ws = plan.info["warm_start"]
    # the given plan and the MIP's own greedy seed are both checked; the better one is the start
    tried = {c["expert"]: c for c in ws["candidates"]}
    assert tried["handmade"]["feasible"] is True and "mip-greedy-seed" in tried
    warm_cost = scales.cost(evaluate(warm, wl, topo).objectives, weights)
    # the completed hint's objective is the evaluator's cost of the warm-start plan
    assert tried["handmade"]["objective"] == pytest.approx(warm_cost, abs=1e-3)
    assert ws["objective"] == min(c["objective"] for c in ws["candidates"])
    assert plan.info["objective"] <= warm_cost + 1e-6
    assert plan.info["status"] == "OPTIMAL"


def test_infeasible_warm_start_is_reported_not_fatal(line_case):
    wl, topo, _ = line_case
    everything_on_s1 = {mid: "s1" for mid in wl.mat_ids()}
    bad = complete_plan(wl, topo, everything_on_s1, "greedy")
    assert check_plan(bad, wl, topo)  # overflows s1's SRAM
    plan = solve_mip(PlanRequest(wl, topo, time_limit_s=20, workers=1, warm_start=bad))
    tried = {c["expert"]: c for c in plan.info["warm_start"]["candidates"]}
    assert tried["greedy"]["feasible"] is False
    assert check_plan(plan, wl, topo, require_all=True) == []


def _short_of_sram() -> tuple[Workload, Topology]:
    topo = line(2, profile=SMALL)  # 8000 bits in all
    tasks = tuple(
        Task(f"t{i}", "nb", (MAT("p", 1500, phv_bits=16), MAT("q", 1000, phv_bits=8)), (Dependency("p", "q", 8),),
             ingress="s1", rate_mpps=5.0, dispatch_sram_bits=200)
        for i in range(4)
    )  # 4 * (2500 + 200) = 10_800 bits
    return Workload(tasks), topo


def test_allow_partial_places_what_fits():
    wl, topo = _short_of_sram()
    weights = _w(coverage=1, latency=0.3, hops=0.2)
    plan = solve_mip(PlanRequest(wl, topo, weights=weights, time_limit_s=20, workers=1, allow_partial=True))
    ev = evaluate(plan, wl, topo)
    assert 0 < ev.objectives["coverage"] < 100
    assert ev.placed_tasks == 2  # 3 tasks would need 8100 bits even unsplit
    assert check_plan(plan, wl, topo) == []
    # the mean-over-placed-tasks terms are modelled exactly, so solver and evaluator agree
    got = objective_scales(wl, topo).cost(ev.objectives, weights)
    assert plan.info["objective"] == pytest.approx(got, abs=1e-3)


def test_short_of_sram_without_partial_names_sram():
    wl, topo = _short_of_sram()
    with pytest.raises(InfeasibleError, match="SRAM"):
        solve_mip(PlanRequest(wl, topo, time_limit_s=10, workers=1))


def _forced_split(bits: int, rate: float, phv: int) -> tuple[Workload, Topology]:
    # Each MAT needs 3000 + 200 bits: two never share a 4000-bit device, so the dependency crosses.
    task = Task("big", "nb", (MAT("p", 3000, phv_bits=phv), MAT("q", 3000, phv_bits=phv)), (Dependency("p", "q", bits),),
                ingress="s1", rate_mpps=rate, dispatch_sram_bits=200)
    return Workload((task,)), line(3, profile=SMALL)


def test_infeasible_bandwidth_is_named():
    wl, topo = _forced_split(bits=64, rate=200.0, phv=8)  # 12.8 Gbit/s over 10 Gbit/s links
    with pytest.raises(InfeasibleError, match="bandwidth"):
        solve_mip(PlanRequest(wl, topo, time_limit_s=10, workers=1))


def test_infeasible_phv_is_named():
    wl, topo = _forced_split(bits=100, rate=1.0, phv=200)  # 200 + 100 entering bits > 256
    with pytest.raises(InfeasibleError, match="phv"):
        solve_mip(PlanRequest(wl, topo, time_limit_s=10, workers=1))


def _triangle() -> Topology:
    devices = tuple(Device(n, SMALL, n) for n in ("s1", "s2", "s3"))
    # s1-s2 direct is one hop but slow; via s3 is two hops but faster: two Pareto routes
    links = (Link("s1", "s2", 10.0, 50.0), Link("s1", "s3", 10.0, 5.0), Link("s3", "s2", 10.0, 5.0))
    return Topology("triangle", devices, links)


def test_pareto_paths_keep_both_trade_offs():
    paths = pareto_paths(_triangle(), "s1")
    assert paths["s2"] == [["s1", "s2"], ["s1", "s3", "s2"]]
    assert pareto_paths(_triangle(), "s1", "latency")["s2"] == [["s1", "s3", "s2"]]
    assert pareto_paths(_triangle(), "s1", "hops")["s2"] == [["s1", "s2"]]


@pytest.mark.parametrize("weights", [_w(latency=1, hops=1), _w(hops=1, power=1), _w(latency=1, power=1)])
def test_pareto_ingress_legs_equal_full_flow_legs(weights):
    topo = _triangle()
    t = Task("t", "nb", (MAT("p", 3000, phv_bits=8), MAT("q", 3000, phv_bits=8)), (Dependency("p", "q", 8),),
             ingress="s1", rate_mpps=1.0, dispatch_sram_bits=200)
    wl = Workload((t,))
    req = PlanRequest(wl, topo, weights=weights, time_limit_s=20, workers=1)
    a = solve_mip(req)
    b = solve_mip(req, ingress_flow=True)
    assert a.info["status"] == b.info["status"] == "OPTIMAL"
    assert a.info["objective"] == pytest.approx(b.info["objective"], abs=1e-6)
    for plan in (a, b):
        assert check_plan(plan, wl, topo, require_all=True) == []


def test_registered_experts():
    cpsat, spd_o = get("cpsat"), get("spd-o")
    assert cpsat.kind == spd_o.kind == "mip"
    assert cpsat.capability == (1.0,) * 7
    assert spd_o.capability_dict() == {o: (0.5 if o in ("resources", "latency") else 0.0) for o in OBJECTIVES}


def test_spd_o_ignores_request_weights(line_case):
    wl, topo, feasible = line_case
    plan = get("spd-o").solve(PlanRequest(wl, topo, weights=_w(power=1), time_limit_s=20, workers=1))
    scales = objective_scales(wl, topo)
    best = min(scales.cost(o, SPD_O_WEIGHTS) for o in feasible)
    assert scales.cost(evaluate(plan, wl, topo).objectives, SPD_O_WEIGHTS) == pytest.approx(best, abs=1e-3)
    assert plan.expert == "spd-o"
    assert math.isclose(sum(plan.info["weights"].values()), 1.0)


def test_cold_start_is_seeded_by_a_greedy_plan(line_case):
    wl, topo, _ = line_case
    plan = solve_mip(PlanRequest(wl, topo, time_limit_s=20, workers=1))
    ws = plan.info["warm_start"]
    assert ws["expert"] == "mip-greedy-seed" and ws["feasible"] is True
    assert plan.info["objective"] <= ws["objective"] + 1e-9


@pytest.mark.parametrize("weights", [SPD_O_WEIGHTS, _w(latency=1, hops=1), _w(power=1, coordination=1), _w(hops=1)])
def test_relax_and_verify_equals_the_full_flow_model(line_case, weights):
    wl, topo, _ = line_case
    req = PlanRequest(wl, topo, weights=weights, time_limit_s=20, workers=1)
    fast = solve_mip(req)
    full = solve_mip(req, relax_first=False)
    assert fast.info["method"] == "relax-and-verify" and full.info["method"] == "full"
    assert fast.info["status"] == full.info["status"] == "OPTIMAL"
    scales = objective_scales(wl, topo)
    assert scales.cost(evaluate(fast, wl, topo).objectives, weights) == pytest.approx(
        scales.cost(evaluate(full, wl, topo).objectives, weights), abs=1e-3)


def test_relaxation_that_is_not_exact_falls_back_to_the_full_model():
    # s1 - s2 - s3 where s2 has a tiny PHV: the forced split p@s1 -> q@s3 cannot transit s2,
    # and q cannot sit on s2 (3000 + 200 bits leave no room next to p either) - R's shortest
    # route is infeasible, so the full model (which must find another placement) decides.
    tiny = DeviceProfile(name="tiny", stages=4, sram_bits_per_stage=1000, tcam_bits_per_stage=1000, phv_bits=40,
                         stage_latency_ns=40, hop_latency_ns=400, idle_power_w=10.0, power_per_stage_w=1.5)
    devices = (Device("s1", SMALL, "s1"), Device("s2", tiny, "s2"), Device("s3", SMALL, "s3"), Device("s4", SMALL, "s4"))
    links = (Link("s1", "s2", 10.0, 1.0), Link("s2", "s3", 10.0, 1.0), Link("s1", "s4", 10.0, 20.0), Link("s4", "s3", 10.0, 20.0))
    topo = Topology("ring4", devices, links)
    task = Task("big", "nb", (MAT("p", 3000, phv_bits=8), MAT("q", 3000, phv_bits=8)), (Dependency("p", "q", 64),),
                ingress="s1", rate_mpps=1.0, dispatch_sram_bits=200)
    wl = Workload((task,))
    plan = solve_mip(PlanRequest(wl, topo, weights=_w(latency=1), time_limit_s=20, workers=1))
    assert check_plan(plan, wl, topo, require_all=True) == []
    assert plan.info["status"] == "OPTIMAL"
    assert plan.info["method"] == "full" and "violates" in plan.info["relaxation"]["verified"]
    # the fallback's answer, the answer equals the full model solved directly
    full = solve_mip(PlanRequest(wl, topo, weights=_w(latency=1), time_limit_s=20, workers=1), relax_first=False)
    assert plan.info["objective"] == pytest.approx(full.info["objective"], abs=1e-6)
