"""The data plane walks exactly the planner's walk: realised entries, run on the twin (p4src.chain),
take every packet through the devices ``omniplan.walk`` costed, and classify like the replay.

Instance: a 5-switch line where s1/s2 hold no tables and s3/s4 hold about 16 MATs each, so the
planners must move tasks off their ingress (detour walks that turn back, e.g. the MIP's
s1 s2 s3 s2 for a task from s1 to s2) and split a task (latency-greedy puts ``c`` on s3 + s4).
Plans come from the experts themselves (MIP, heuristics, DRL), not from this test.
"""

from __future__ import annotations

import warnings
from dataclasses import replace
from functools import lru_cache

import numpy as np
import pytest

from controller.twin import planned_walk, validate
from experts.registry import PlanRequest, get
from mlcompiler.compiler import compile_model, ranges_from_data
from mlcompiler.datasets import trained_model
from mlcompiler.realize import devices_visited, realize, walk
from mlcompiler.replay import CompiledModel
from mlcompiler.spec import spec_from_estimator
from omniplan.feasibility import check_plan
from omniplan.plan import complete_plan
from omniplan.topology import BMV2, Device, Link, Topology
from omniplan.workload import Workload, mat_id, walk_id
from p4src import layout
from p4src.chain import SwitchChain
from p4src.pipeline import build_packet, parse_inml

warnings.filterwarnings("ignore")
NONE = replace(BMV2, name="no-tables", sram_bits_per_stage=1000, tcam_bits_per_stage=1000)
HALF = replace(BMV2, name="half", stages=8, sram_bits_per_stage=2 * 131072, tcam_bits_per_stage=2 * 22528)
TOPO = Topology("line5-mixed", tuple(Device(f"s{i}", {1: NONE, 2: NONE, 3: HALF, 4: HALF}.get(i, BMV2), f"s{i}")
                                    for i in range(1, 6)),
                tuple(Link(f"s{i}", f"s{i + 1}", 10.0, 5.0) for i in range(1, 5)))
# h<i> on port 1 of s<i>; port 2 faces s<i-1>, port 3 faces s<i+1>
PORTS = {f"s{i}": {f"h{i}": 1, **({f"s{i - 1}": 2} if i > 1 else {}), **({f"s{i + 1}": 3} if i < 5 else {})}
         for i in range(1, 6)}
TIDS = {"a": 1, "b": 2, "c": 3}
EXPERTS = ("cpsat", "latency-greedy", "consolidate", "coordination-greedy", "resource-greedy", "drl-latency")


@lru_cache(maxsize=None)
def _workload():
    out, tests = [], {}
    for name, ds, kind, ing, egr in (("a", "iris", "dt", "s1", "s2"), ("b", "iris", "rf", "s1", "s4"),
                                     ("c", "wine", "nb", "s4", "s2")):
        model, (Xtr, Xte, _, _) = trained_model(ds, kind)
        t = compile_model(spec_from_estimator(model), name, ranges_from_data(Xtr), ingress=ing, egress=egr)
        out.append(t)
        tests[name] = Xte[:20]
    return Workload(tuple(out)), tests


@lru_cache(maxsize=None)
def _plan(expert: str):
    wl, _ = _workload()
    return get(expert).solve(PlanRequest(wl, TOPO, time_limit_s=5.0))


def _check_twin(wl, tests, plan):
    assert check_plan(plan, wl, TOPO) == [], plan.expert
    entries = realize(wl, plan, TOPO, PORTS, TIDS, version=1)
    chain = SwitchChain(entries, PORTS)
    for task in wl.tasks:
        expected_walk = planned_walk(task, plan, TOPO)
        assert devices_visited(walk(task, plan, TOPO)) == expected_walk
        cm = CompiledModel(task.program)
        q = cm.quantize(tests[task.name])
        labels = []
        for row in q:
            out = chain.send(task.ingress, 1, build_packet(TIDS[task.name], [int(v) for v in row]))
            assert len(out) == 1, out
            egress_host = "h" + task.exit[1:]
            assert out[0].host == egress_host, (plan.expert, task.name, out[0])
            assert out[0].hops == expected_walk, (plan.expert, task.name, out[0].hops, expected_walk)
            h = parse_inml(out[0].packet)
            assert h.flags & layout.FLAG_DONE
            labels.append(h.label)
        assert np.array_equal(labels, cm.predict_index(tests[task.name])), (plan.expert, task.name)


@pytest.mark.parametrize("expert", EXPERTS)
def test_twin_walks_the_planners_walk(expert):
    wl, tests = _workload()
    _check_twin(wl, tests, _plan(expert))


def test_the_instance_has_detours_and_splits():
    """The premise of the test above: the MIP's plan holds an explicit detour walk, and some
    expert splits a task over two switches."""
    wl, _ = _workload()
    mip = _plan("cpsat")
    a = wl.tasks[0]
    assert mip.routes[walk_id("a")][:2] == ["s1", "s2"] and {mip.placement[mat_id("a", m.name)] for m in a.mats} <= {"s3", "s4", "s5"}
    split = [(e, t.name) for e in EXPERTS for t in wl.tasks
             if len({_plan(e).placement[mat_id(t.name, m.name)] for m in t.mats}) > 1]
    assert split, "no expert split a task: the instance no longer exercises split walks"


def test_task_held_on_its_ingress_still_reaches_its_egress():
    """All of a task's MATs on its ingress s5, egress s3: the packet is classified on s5, crosses s4
    as a transit pass and is delivered at s3."""
    wl, tests = _workload()
    c = replace(wl.tasks[2], ingress="s5", egress="s3")
    one = Workload((c,))
    plan = complete_plan(one, TOPO, {mat_id("c", m.name): "s5" for m in c.mats}, "test")
    passes = walk(c, plan, TOPO)
    assert devices_visited(passes) == ["s5", "s4", "s3"]
    assert [p.mats for p in passes[-2:]] == [[], []]
    _check_twin(one, tests, plan)


def test_controller_twin_refuses_entries_that_leave_the_planned_walk():
    """Injected fault: entries realised for the MIP's detour walk of ``a`` (s1 s2 s3 s2), checked
    against the same placement with a longer (feasible) walk written instead: the controller's
    twin names the task and both walks; the plan the entries came from passes."""
    wl, _ = _workload()
    plan = _plan("cpsat")
    target = realize(wl, plan, TOPO, PORTS, TIDS, version=1)
    assert validate(wl, plan, TOPO, PORTS, target, TIDS, vectors_per_task=4).ok
    a = wl.tasks[0]
    longer = ["s1", "s2", "s3", "s4", "s3", "s2"]
    other = replace(plan, routes={**plan.routes, walk_id("a"): longer})
    assert check_plan(other, wl, TOPO) == []  # a feasible plan, just not the one realised
    report = validate(wl, other, TOPO, PORTS, target, TIDS, vectors_per_task=4)
    assert report.problems == [f"task a: packets cross ['s1', 's2', 's3', 's2'], the plan's walk is {longer}"]
