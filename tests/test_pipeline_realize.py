"""Compiled tables realised on switches classify exactly like the replay: a multi-switch
simulation (InferencePipeline per device, wired by a port map) on a 1-switch plan and on plans
that split each task over 2-3 switches, for every test sample of every dataset x model."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from mlcompiler.compiler import compile_model, ranges_from_data
from mlcompiler.datasets import DATASETS, trained_model
from mlcompiler.realize import realize, walk
from mlcompiler.replay import CompiledModel
from mlcompiler.spec import spec_from_estimator
from omniplan.errors import InputError
from omniplan.plan import complete_plan
from omniplan.topology import BMV2, line
from omniplan.workload import Workload, mat_id
from p4src import layout
from p4src.chain import SwitchChain
from p4src.pipeline import build_packet, parse_inml

warnings.filterwarnings("ignore")
# BMv2 profile (the software switch these tables run on): per-stage capacity is checked now, and a
# Tofino-like stage holds 24 TCAM blocks, too few for rf/digits' 64 range tables plus trees in 12 stages.
TOPO = line(3, profile=BMV2)
PORTS = {"s1": {"h1": 1, "s2": 2}, "s2": {"s1": 1, "s3": 2}, "s3": {"s2": 1, "h3": 3}}


def _task(ds, kind):
    model, (Xtr, Xte, ytr, yte) = trained_model(ds, kind)
    task = compile_model(spec_from_estimator(model), f"{kind}_{ds}", ranges_from_data(Xtr), ingress="s1")
    return task, Xte


def _placement(task, n_switches):
    """Consecutive chunks of the topological order on s1..sN (first chunk at the ingress)."""
    order = task.topological_order()
    return {mat_id(task.name, m): f"s{1 + (i * n_switches) // len(order)}" for i, m in enumerate(order)}


def _check(ds, kind, n_switches):
    task, Xte = _task(ds, kind)
    wl = Workload((task,))
    plan = complete_plan(wl, TOPO, _placement(task, n_switches), "test")
    entries = realize(wl, plan, TOPO, PORTS, {task.name: 42}, version=1, deliver_to={task.name: "h3"})
    used = {d for d in plan.placement.values()}
    assert len(used) == n_switches and used <= set(entries)
    chain = SwitchChain(entries, PORTS)
    cm = CompiledModel(task.program)
    q, ref = cm.quantize(Xte), cm.predict_index(Xte)
    labels = []
    for row in q:
        out = chain.send("s1", PORTS["s1"]["h1"], build_packet(42, [int(v) for v in row]))
        assert len(out) == 1 and out[0].host == "h3", out
        h = parse_inml(out[0].packet)
        assert h.flags & layout.FLAG_DONE and h.version == 1
        labels.append(h.label)
    assert np.array_equal(np.asarray(labels), ref), f"{ds}/{kind}: {np.mean(np.asarray(labels) == ref):.4f} agreement"


CASES = [(d, k) for d in DATASETS for k in ("dt", "rf", "xgb", "nb", "svm")] + [("iris", "svc"), ("wine", "svc")]
FAST = {"iris", "wine"}


@pytest.mark.parametrize("n_switches", [1, 3])
@pytest.mark.parametrize("ds,kind", [c for c in CASES if c[0] in FAST] +
                         [pytest.param(*c, marks=pytest.mark.slow) for c in CASES if c[0] not in FAST])
def test_switches_agree_with_replay(ds, kind, n_switches):
    _check(ds, kind, n_switches)


def test_two_switch_split_of_a_forest():
    _check("iris", "rf", 2)


def test_walk_revisits_devices_with_fresh_visits_and_follows_plan_routes():
    task, _ = _task("iris", "rf")
    order = task.topological_order()
    # alternate s1 / s3 so the packet crosses s2 repeatedly and comes back to devices
    placement = {mat_id(task.name, m): ("s1" if i % 2 == 0 else "s3") for i, m in enumerate(order)}
    wl = Workload((task,))
    plan = complete_plan(wl, TOPO, placement, "test")
    passes = walk(task, plan, TOPO)
    visits = [p.visit for p in passes]
    assert visits == list(range(1, len(passes) + 1))
    pairs = [(p.device, p.visit) for p in passes]
    assert len(set(pairs)) == len(pairs)
    assert sum(p.device == "s2" for p in passes) >= 2  # transit passes
    for a, b in zip(passes, passes[1:]):
        if a.exit[0] == "forward":
            assert a.exit[1] == b.device and TOPO.graph.has_edge(a.device, b.device)
    executed = [m for p in passes for m, _ in p.mats]
    assert sorted(executed) == sorted(order)
    pos = {m: i for i, m in enumerate(executed)}
    assert all(pos[d.src] < pos[d.dst] for d in task.deps)
    entries = realize(wl, plan, TOPO, PORTS, {task.name: 5}, version=2)
    chain = SwitchChain(entries, PORTS)
    cm = CompiledModel(task.program)
    _, Xte = _task("iris", "rf")
    q, ref = cm.quantize(Xte[:15]), cm.predict_index(Xte[:15])
    for row, r in zip(q, ref):
        (out,) = chain.send("s1", 1, build_packet(5, [int(v) for v in row]))
        assert parse_inml(out.packet).label == r


def test_two_versions_coexist_and_dispatch_selects():
    task, Xte = _task("iris", "dt")
    wl = Workload((task,))
    p1 = complete_plan(wl, TOPO, _placement(task, 1), "a")
    p2 = complete_plan(wl, TOPO, _placement(task, 3), "b")
    e1 = realize(wl, p1, TOPO, PORTS, {task.name: 3}, version=1, deliver_to={task.name: "h1"})
    e2 = realize(wl, p2, TOPO, PORTS, {task.name: 3}, version=2, deliver_to={task.name: "h3"})
    merged = {d: [e for e in e1.get(d, []) + e2.get(d, []) if e.table != "MyIngress.dispatch"] for d in PORTS}
    disp = lambda es: [e for e in es.get("s1", []) if e.table == "MyIngress.dispatch"]
    row = [int(v) for v in CompiledModel(task.program).quantize(Xte[:1])[0]]
    for disp_entries, host in ((disp(e1), "h1"), (disp(e2), "h3")):
        state = {d: list(v) for d, v in merged.items()}
        state["s1"] += disp_entries
        (out,) = SwitchChain(state, PORTS).send("s1", 1, build_packet(3, row))
        assert out.host == host


def test_realize_errors_are_clear():
    task, _ = _task("iris", "dt")
    wl = Workload((task,))
    plan = complete_plan(wl, TOPO, _placement(task, 3), "x")
    with pytest.raises(InputError, match="no task id"):
        realize(wl, plan, TOPO, PORTS, {}, 1)
    with pytest.raises(InputError, match="port map has no port on s1 towards s2"):
        realize(wl, plan, TOPO, {"s1": {"h1": 1}, "s2": {}, "s3": {}}, {task.name: 1}, 1)
    with pytest.raises(InputError, match="version 300"):
        realize(wl, plan, TOPO, PORTS, {task.name: 1}, 300)
    with pytest.raises(InputError, match="host 'h9'"):
        realize(wl, plan, TOPO, PORTS, {task.name: 1}, 1, deliver_to={task.name: "h9"})
