"""The bandwidth-aware expert's min-max walk choice (experts/heuristics/walks.py): it maximises the
evaluator's throughput (bottleneck headroom under the walk model), every plan passes the
independent feasibility checker, and a hand-checkable case splits flows over parallel paths."""

from __future__ import annotations

import pytest

from experts import registry
from experts.heuristics import FAST_EXPERTS
from experts.registry import PlanRequest
from omniplan.evaluate import evaluate
from omniplan.feasibility import check_plan
from omniplan.topology import Device, Link, Topology, load_topology
from omniplan.workload import MAT, Task, Workload, generate_compiled_workload, walk_id


def square() -> Topology:
    """a-b-d and a-c-d: two equal-latency 10 Gbps paths from a to d."""
    links = (Link("a", "b", 10.0, 5.0), Link("b", "d", 10.0, 5.0), Link("a", "c", 10.0, 5.0), Link("c", "d", 10.0, 5.0))
    return Topology(name="square", devices=tuple(Device(n) for n in "abcd"), links=links, kind="custom")


def test_two_flows_split_over_two_parallel_paths():
    # Each task: 1 Mpps x 500 B = 4000 Mbit/s from a to d. Both on one path load its links to
    # 8000/10000 = 80 %; one per path leaves every loaded link at 40 %: headroom 60 %.
    topo = square()
    tasks = tuple(Task(f"t{i}", "other", (MAT("m0", sram_bits=1024),), ingress="a", egress="d",
                       rate_mpps=1.0, packet_bytes=500) for i in range(2))
    w = Workload(tasks)
    plan = registry.get("bandwidth-aware").solve(PlanRequest(w, topo))
    assert check_plan(plan, w, topo, require_all=True) == []
    walks = {tuple(plan.routes[walk_id(t.name)]) for t in tasks}
    assert walks == {("a", "b", "d"), ("a", "c", "d")}
    ev = evaluate(plan, w, topo)
    assert ev.max_link_util_pct == pytest.approx(40.0)
    assert ev.objectives["throughput"] == pytest.approx(60.0)
    # The lowest-latency walks (what every other fast expert uses) share one path: 80 %.
    greedy = evaluate(registry.get("latency-greedy").solve(PlanRequest(w, topo)), w, topo)
    assert greedy.max_link_util_pct == pytest.approx(80.0)


def test_beats_every_fast_expert_on_spare_bandwidth_on_the_table1_instance():
    # The paper's Table 1 instance as bench/bench_paper.py builds it: Abilene, 60 compiled tasks,
    # seed 1, scale 2. Lowest-latency walks leave 6.65 Gbps spare on the bottleneck link.
    topo = load_topology("abilene")
    w = generate_compiled_workload(60, 1, [d.name for d in topo.devices], scale=2.0)
    thpt = {}
    for name in FAST_EXPERTS:
        plan = registry.get(name).solve(PlanRequest(w, topo))
        assert check_plan(plan, w, topo, require_all=True) == [], name
        thpt[name] = evaluate(plan, w, topo).objectives["throughput"]
    ours = thpt.pop("bandwidth-aware")
    assert ours >= max(thpt.values())
    # strictly better than the lowest-latency walks of its own placement (33.5 % -> 20.5 % measured)
    plan = registry.get("bandwidth-aware").solve(PlanRequest(w, topo))
    assert plan.info["bottleneck_util_pct"] < plan.info["shortest_bottleneck_util_pct"] - 5.0
    assert plan.info["rerouted_tasks"] > 0
