"""The paper's comparison methods (experts/baselines, spd-o, drl-latency for DP): every plan passes
the independent checker at 20/60/100 tasks on three topologies; FFLS and NodeRank match their
published definitions (NodeRank checked against networkx's PageRank, which we did not write);
activation never picks a baseline."""

from __future__ import annotations

import networkx as nx
import pytest

from experts import registry
from experts.activation import activate, run_single
from experts.baselines import BASELINES
from experts.baselines.hermes_heu import PartFit, cut_bits, split_tdg
from experts.baselines.noderank import P_FORWARD, node_rank
from experts.baselines.speed_heu import ffls_keys, ffls_order, obs_chain
from experts.heuristics.engine import Placer
from experts.registry import PlanRequest
from omniplan.evaluate import evaluate
from omniplan.feasibility import check_plan
from omniplan.objectives import Preference
from omniplan.topology import line, load_topology
from omniplan.workload import MAT, Dependency, Task, Workload, generate_compiled_workload

TOPOLOGIES = ("abilene", "Abvt", "fattree4")


@pytest.fixture(scope="module")
def topologies():
    return {name: load_topology(name) for name in TOPOLOGIES}


@pytest.mark.parametrize("topo_name", TOPOLOGIES)
@pytest.mark.parametrize("n", [20, 60, 100])
@pytest.mark.parametrize("expert", [*BASELINES, "drl-latency", pytest.param("spd-o", marks=pytest.mark.slow)])
def test_baseline_plans_pass_the_checker(topologies, topo_name, n, expert):
    topo = topologies[topo_name]
    w = generate_compiled_workload(n, 1, [d.name for d in topo.devices])
    plan = registry.get(expert).solve(PlanRequest(w, topo, time_limit_s=2.0))
    assert check_plan(plan, w, topo, require_all=True) == []
    assert evaluate(plan, w, topo).placed_tasks == n


def test_baselines_are_never_activated_but_run_when_named(topologies):
    fast = {e.name for e in registry.fast_experts()}
    assert not fast & set(BASELINES)
    assert all(registry.get(b).kind == "baseline" and registry.get(b).fast for b in BASELINES)
    topo = topologies["abilene"]
    w = generate_compiled_workload(20, 2, [d.name for d in topo.devices])
    for name in BASELINES:
        res = run_single(name, Preference.parse("resources=1"), w, topo)
        assert res.selection.rule == "forced" and res.chosen == name
        assert check_plan(res.plan, w, topo, require_all=True) == []
        assert activate(Preference.parse("resources=1"), w, topo).chosen not in BASELINES


def chain_task() -> Task:
    """a -> b -> c and d -> c; stages 1, 2, 1, 3 (hand-computed FFLS keys below)."""
    mats = (MAT("a", sram_bits=1024, stages=1), MAT("b", sram_bits=1024, stages=2),
            MAT("c", sram_bits=1024, stages=1), MAT("d", sram_bits=4096, stages=3))
    deps = (Dependency("a", "b", 8), Dependency("b", "c", 8), Dependency("d", "c", 16))
    return Task("t", "other", mats, deps, ingress="s1")


def test_ffls_is_weighted_distance_from_the_end():
    # Jose et al.'s FFLS: key = own stages + max over successors (1 per dependency + successor's key).
    topo = line(3)
    placer = Placer(PlanRequest(Workload((chain_task(),)), topo), "t")
    (prof,) = placer.profiles
    assert ffls_keys(prof) == {"c": 1, "b": 2 + 1 + 1, "a": 1 + 1 + 4, "d": 3 + 1 + 1}
    assert ffls_order(prof) == ["a", "d", "b", "c"]


def test_noderank_is_pagerank_with_resource_weights():
    # Cheng et al.'s walk = PageRank whose jumps follow H(v) and whose moves u -> v follow H(v).
    topo = load_topology("abilene")
    g = topo.graph
    cap = {d.name: float(1 + i) for i, d in enumerate(topo.devices)}
    bw = {}
    for i, link in enumerate(topo.links):
        bw[(link.a, link.b)] = bw[(link.b, link.a)] = 10.0 + i
    rank = node_rank(g, cap, bw)
    h = {u: cap[u] * sum(bw[(u, v)] for v in g.neighbors(u)) for u in g.nodes}
    walk = nx.DiGraph()
    walk.add_weighted_edges_from((u, v, h[v]) for u in g.nodes for v in g.neighbors(u))
    ref = nx.pagerank(walk, alpha=P_FORWARD, personalization=h, weight="weight", tol=1e-10, max_iter=1000)
    assert rank == pytest.approx(ref, abs=1e-4)
    assert abs(sum(rank.values()) - 1.0) < 1e-6


def test_obs_chain_starts_at_the_top_ranked_switch_and_walks_breadth_first():
    topo = line(5)  # s1 - s2 - s3 - s4 - s5: s3 is the most central
    placer = Placer(PlanRequest(Workload(()), topo), "t")
    chain, _ = obs_chain(placer)
    assert sorted(chain) == sorted(placer.devices)
    assert chain[0] == "s3" and set(chain[1:3]) == {"s2", "s4"} and set(chain[3:]) == {"s1", "s5"}


def test_speed_heu_fills_the_obs_in_order_and_splits_at_switch_boundaries():
    topo = line(3)  # OBS: s2 (most central) first
    per_stage = int(0.06 * topo.devices[0].profile.sram_bits)  # one MAT-stage per pipeline stage

    def table(name: str, stages: int) -> MAT:
        return MAT(name, sram_bits=per_stage * stages, phv_bits=8, stages=stages)

    def chain(tname: str, *tables: MAT) -> Task:
        deps = tuple(Dependency(a.name, b.name, 8) for a, b in zip(tables, tables[1:]))
        return Task(tname, "other", tables, deps, ingress="s1")

    # FFLS keys: a0 = p(1)->q(1)->r(1): 5; b* = x(1)->y(3): 5. Ties by name: a0 takes stages 0-2 of
    # s2, b1 3-6, b2 7-10; b3's x fits stage 11 but its 3-stage y does not: it goes to the next
    # OBS switch, so b3 is split at the boundary; b4 starts on that switch.
    w = Workload((chain("a0", table("p", 1), table("q", 1), table("r", 1)),)
                 + tuple(chain(f"b{i}", table("x", 1), table("y", 3)) for i in range(1, 5)))
    plan = registry.get("speed-heu").solve(PlanRequest(w, topo))
    assert check_plan(plan, w, topo, require_all=True) == []
    obs = plan.info["obs"]
    assert obs[0] == "s2"
    assert plan.stages["a0/r"] == 2 and plan.stages["b2/y"] == 8
    assert (plan.placement["b3/x"], plan.stages["b3/x"]) == ("s2", 11)
    assert plan.placement["b3/y"] == obs[1]
    assert plan.info["split_tasks"] == ["b3"]
    assert plan.devices_of(w, "b4") == {obs[1]}


def test_hermes_parts_fit_one_switch_and_cut_the_lightest_edges():
    topo = line(3)
    cap = topo.devices[0].profile.sram_bits
    # a -> b (64 bits) -> c (8 bits) -> d (64 bits); each 40 % of a switch (5 of its 12 stages):
    # two per switch at most.
    mats = tuple(MAT(n, sram_bits=int(0.4 * cap), phv_bits=8, stages=5) for n in "abcd")
    deps = (Dependency("a", "b", 64), Dependency("b", "c", 8), Dependency("c", "d", 64))
    w = Workload((Task("t", "other", mats, deps, ingress="s1"),))
    placer = Placer(PlanRequest(w, topo), "t")
    (prof,) = placer.profiles
    parts = split_tdg(prof, list(prof.topo), PartFit(placer))
    assert parts == [["a", "b"], ["c", "d"]]
    assert cut_bits(prof, {"a", "b"}) == 8
    plan = registry.get("hermes-heu").solve(PlanRequest(w, topo))
    assert check_plan(plan, w, topo, require_all=True) == []
    ev = evaluate(plan, w, topo)
    assert ev.coordination_bits == 8
    # the anchor is the network's first switch, the second part its nearest neighbour
    assert plan.placement["t/a"] == plan.placement["t/b"] == "s1"
    assert plan.placement["t/c"] == plan.placement["t/d"] == "s2"
