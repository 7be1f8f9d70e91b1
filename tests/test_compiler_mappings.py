"""Tree mappings that scale, the size guard, stage-table capacity, and exact integer quantisation.

References: sklearn's own predictions (accuracy, agreement), the P4Info of inml.p4 (table sizes),
the pipeline twin executing realised entries (agreement with the replay of the program).
"""

from __future__ import annotations

import json
import time
import warnings

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import train_test_split
from sklearn.tree import DecisionTreeClassifier
from xgboost import XGBClassifier

from mlcompiler.compiler import (STAGE_TABLE_ENTRIES, compile_model, compile_program, make_quantizer,
                                 ranges_from_data, task_from_program)
from mlcompiler.datasets import trained_model
from mlcompiler.export import export_model
from mlcompiler.realize import realize, single_device_plan
from mlcompiler.replay import CompiledModel
from mlcompiler.spec import spec_from_estimator
from omniplan.errors import InputError
from omniplan.plan import Plan
from omniplan.topology import line
from omniplan.workload import Workload, mat_id
from omniplan_cli.main import main
from p4src import layout
from p4src.chain import SwitchChain
from p4src.p4info import inml_schema
from p4src.pipeline import InferencePipeline, PipelineError, build_packet, parse_inml

warnings.filterwarnings("ignore")

#: The issue's bound: 100 trees x depth 8 on 16 features must compile into fewer entries.
ENTRY_BOUND = 200_000


@pytest.fixture(scope="module")
def hard16():
    """16 features, 5 noisy classes: trees grow to full depth (netflow is too easy for that)."""
    X, y = make_classification(n_samples=8000, n_features=16, n_informative=10, n_classes=5, flip_y=0.1,
                               random_state=0)
    return train_test_split(X, y, test_size=0.3, random_state=0)


@pytest.fixture(scope="module")
def forest100(hard16):
    Xtr, Xte, ytr, yte = hard16
    return RandomForestClassifier(100, max_depth=8, random_state=0, n_jobs=1).fit(Xtr, ytr)


@pytest.mark.slow
def test_100_trees_depth_8_compile_grouped_under_200k_entries(hard16, forest100):
    Xtr, Xte, ytr, yte = hard16
    spec = spec_from_estimator(forest100, ranges_from_data(Xtr))
    t0 = time.perf_counter()
    prog = compile_program(spec)
    took = time.perf_counter() - t0
    entries = sum(len(m.get("entries", [None])) for m in prog["mats"])
    sizes = prog["mappings"]
    assert prog["mapping"] == "grouped" and entries == sizes["grouped"]["entries"] < ENTRY_BOUND, sizes
    # the shared mapping would not fit a stage table, let alone the limit
    assert sizes["shared"]["entries"] > 10 ** 8 and sizes["shared"]["largest_table"] > STAGE_TABLE_ENTRIES
    # linear in nodes: one code entry per distinct cut (+1 per feature and group), one per leaf
    leaves = sum(t.left.count(-1) for t in spec.trees)
    assert entries <= leaves + sum(len(t.left) - t.left.count(-1) for t in spec.trees) + 16 * sizes["grouped"]["groups"] + 1
    sk = forest100.predict(Xte)
    cm = CompiledModel(prog)
    ours = cm.predict(Xte)
    assert np.mean(ours == sk) >= 0.99 and np.mean(sk == yte) - np.mean(ours == yte) <= 0.01
    assert took < 60, took
    # deployable: 901 MATs on one switch (57 recirculating passes), the twin agrees with the replay
    task = task_from_program(prog, "rf100x8", ingress="s1")
    ports = {"s1": {"h1": 1}}
    entries = realize(Workload((task,)), single_device_plan(task, "s1"), line(1), ports, {task.name: 5}, version=1,
                      deliver_to={task.name: "h1"})
    chain = SwitchChain(entries, ports)
    rows = Xte[:60]
    got = [parse_inml(chain.send("s1", 1, build_packet(5, [int(v) for v in q]))[0].packet).label for q in cm.quantize(rows)]
    assert got == cm.predict_index(rows).tolist()


def test_grouped_mapping_reproduces_shared_exactly_where_both_fit():
    """Same cuts, same payloads: the two mappings must classify identically."""
    model, (Xtr, Xte, _, _) = trained_model("wine", "rf")
    spec = spec_from_estimator(model, ranges_from_data(Xtr))
    a = CompiledModel(compile_program(spec, mapping="shared")).predict_index(Xte)
    b = CompiledModel(compile_program(spec, mapping="grouped")).predict_index(Xte)
    assert np.array_equal(a, b)


def test_auto_keeps_shared_for_small_forests():
    model, (Xtr, *_) = trained_model("iris", "rf")
    prog = compile_program(spec_from_estimator(model, ranges_from_data(Xtr)))
    assert prog["mapping"] == "shared" and set(prog["mappings"]) == {"shared", "grouped"}


def test_size_guard_refuses_fast_with_the_reason_and_writes_nothing(tmp_path, hard16, forest100, capsys):
    Xtr = hard16[0]
    src = export_model(forest100, tmp_path / "rf100x8.json", Xtr)
    out = tmp_path / "o.json"
    for argv, needle in ((["--mapping", "shared"], "inml.p4's stage tables hold 65,536"),
                         (["--max-entries", "10000"], "over the limit of 10,000")):
        t0 = time.perf_counter()
        assert main(["compile", str(src), "--out", str(out), *argv]) == 2
        took = time.perf_counter() - t0
        err = capsys.readouterr().err
        assert needle in err and err.count("\n") == 1, err
        assert took < 5.0, took
        assert not out.exists()


def test_cli_reports_the_mapping_and_the_other_size(tmp_path, capsys):
    model, (Xtr, *_) = trained_model("iris", "rf")
    src = export_model(model, tmp_path / "rf.json", Xtr)
    assert main(["compile", str(src), "--out", str(tmp_path / "o.json")]) == 0
    line_ = capsys.readouterr().out
    assert "shared mapping" in line_ and "not chosen: grouped:" in line_


def _one_switch_plan(task):
    return single_device_plan(task, "s1")


def test_grouped_program_on_the_twin_agrees_with_replay(hard16):
    """10 trees x depth 8 (shared: > 10^6 entries) through realize and the inml.p4 twin."""
    Xtr, Xte, ytr, yte = hard16
    rf = RandomForestClassifier(10, max_depth=8, random_state=1, n_jobs=1).fit(Xtr, ytr)
    task = compile_model(spec_from_estimator(rf, ranges_from_data(Xtr)), "rf10x8", ingress="s1")
    assert task.program["mapping"] == "grouped" and task.program["mappings"]["shared"]["entries"] > 10 ** 6
    ports = {"s1": {"h1": 1}}
    wl = Workload((task,))
    entries = realize(wl, _one_switch_plan(task), line(1), ports, {task.name: 7}, version=1, deliver_to={task.name: "h1"})
    chain = SwitchChain(entries, ports)
    cm = CompiledModel(task.program)
    q, ref = cm.quantize(Xte[:300]), cm.predict_index(Xte[:300])
    got = []
    for row in q:
        (out,) = chain.send("s1", 1, build_packet(7, [int(v) for v in row]))
        h = parse_inml(out.packet)
        assert h.flags & layout.FLAG_DONE
        got.append(h.label)
    assert np.array_equal(np.asarray(got), ref)
    assert np.mean(cm.predict(Xte[:300]) == rf.predict(Xte[:300])) >= 0.99


# ------------------------------------------------------------------ capacity

def test_stage_table_size_matches_the_p4info():
    sizes = {t.size for n, t in inml_schema().tables.items() if ".stage" in n}
    assert sizes == {STAGE_TABLE_ENTRIES}


def _wide_nb_task():
    """GaussianNB on 2 float features with 40,000 bins: two ~40k-entry feature tables."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 2))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    from sklearn.naive_bayes import GaussianNB

    spec = spec_from_estimator(GaussianNB().fit(X, y), ranges_from_data(X))
    return compile_model(spec, "wide", n_bins=40_000, ingress="s1")


def test_realize_refuses_a_stage_table_over_capacity():
    task = _wide_nb_task()
    sizes = [m.entries for m in task.mats]
    assert sum(sorted(sizes)[-2:]) > STAGE_TABLE_ENTRIES > max(sizes)
    # both feature tables in stage0 of s1 (two passes): 2 x ~40k entries in one 65,536-entry table
    plan = Plan(placement={mat_id(task.name, m.name): "s1" for m in task.mats},
                stages={mat_id(task.name, m.name): 0 for m in task.mats}, routes={}, expert="test")
    with pytest.raises(InputError, match=r"device s1: .* entries for MyIngress.stage0, which holds 65,536"):
        realize(Workload((task,)), plan, line(1), {"s1": {"h1": 1}}, {task.name: 1}, version=1)
    # spread over stages it fits
    ok = _one_switch_plan(task)
    realize(Workload((task,)), ok, line(1), {"s1": {"h1": 1}}, {task.name: 1}, version=1)


def test_twin_refuses_more_entries_than_a_table_holds():
    task = _wide_nb_task()
    plan = _one_switch_plan(task)
    entries = realize(Workload((task,)), plan, line(1), {"s1": {"h1": 1}}, {task.name: 1}, version=1)["s1"]
    tables: dict[str, list] = {}
    for e in entries:
        tables.setdefault(e.table, []).append(e)
    big = max((n for n in tables if ".stage" in n), key=lambda n: len(tables[n]))
    # the same entries again under a second task id: twice the table's contents
    from dataclasses import replace

    from p4src.entries import Match

    extra = [replace(e, matches=tuple(Match(m.field, m.kind, 2, m.mask, m.prefix_len, m.high)
                                      if m.field == "hdr.inml.task_id" else m for m in e.matches))
             for e in tables[big]]
    InferencePipeline().load(tables)  # fits
    with pytest.raises(PipelineError, match=f"{big}: .* entries; the table holds 65536"):
        InferencePipeline().load({**tables, big: tables[big] + extra})


# ------------------------------------------------------------------ quantisation

def _ports_data(n=6000, seed=0):
    """Packet-field features at their real widths: dst port, protocol, length. The label hangs
    on exact port values (80 vs 81, 443 vs 444), which a lossy quantiser merges."""
    rng = np.random.default_rng(seed)
    port = rng.choice([80, 81, 443, 444, 53, 8080, 8081], size=n).astype(float)
    noise = rng.random(n) < 0.3
    port[noise] = rng.integers(0, 65536, size=int(noise.sum()))
    proto = rng.choice([6, 17], size=n).astype(float)
    length = rng.integers(40, 1501, size=n).astype(float)
    y = ((port == 81) | (port == 444) | ((port == 8081) & (proto == 17)) | (length > 1400)).astype(int)
    return np.c_[port, proto, length], y


@pytest.mark.parametrize("make", [lambda: XGBClassifier(n_estimators=20, max_depth=4, n_jobs=1),
                                  lambda: DecisionTreeClassifier(max_depth=8, random_state=0),
                                  lambda: RandomForestClassifier(10, max_depth=8, random_state=0, n_jobs=1)],
                         ids=["xgb", "dt", "rf"])
def test_lo_hi_ranges_keep_integer_fields_exact(tmp_path, make):
    """The issue's case: `--ranges` with [lo, hi] pairs merged ports 80 and 81 (-6.3 points)."""
    X, y = _ports_data()
    Xtest, _ = _ports_data(seed=1)
    model = make().fit(X, y)
    ranges = [[0, 65535], [0, 255], [0, 1500]]
    for r in (ranges, ranges_from_data(X)):
        prog = compile_program(spec_from_estimator(model), r)
        assert np.array_equal(CompiledModel(prog).predict(Xtest), model.predict(Xtest))
    rng_file = tmp_path / "ranges.json"
    rng_file.write_text(json.dumps(ranges))
    q = make_quantizer(spec_from_estimator(model), ranges).q(np.array([[80, 6, 40], [81, 17, 41]]))
    assert q[:, 0].tolist() == [80, 81] and np.all(q[0] != q[1])  # a 16-bit port maps onto itself


def test_integer_codes_are_distinct_for_every_value_that_fits():
    model, (Xtr, *_) = trained_model("iris", "dt")
    spec = spec_from_estimator(model)
    for r in ([[0, 1000]] * 4, [[0.0, 1000.0, 1.0, 10, 20, 400]] * 4):
        q = make_quantizer(spec, r).q(np.repeat(np.arange(0, 1001, dtype=float)[:, None], 4, axis=1))[:, 0]
        assert np.all(np.diff(q) >= 1), r
