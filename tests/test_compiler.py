"""The model compiler: specs match the libraries, compiled tables keep accuracy, costs follow the
documented formula, and the program/task are well-formed."""

from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pytest

from mlcompiler import cost
from mlcompiler.compiler import compile_model, compile_program, range_to_prefixes, ranges_from_data
from mlcompiler.datasets import DATASETS, NETFLOW_FEATURES, netflow, trained_model
from mlcompiler.replay import CompiledModel
from mlcompiler.spec import spec_from_dict, spec_from_estimator
from omniplan.errors import InputError
from omniplan.workload import Workload, parse_workload
from p4src import layout

warnings.filterwarnings("ignore")
KINDS = ("dt", "rf", "xgb", "nb", "svm")
CASES = [(d, k) for d in DATASETS for k in KINDS] + [(d, "svc") for d in ("iris", "wine", "breast_cancer")]


def _compiled(ds: str, kind: str):
    model, (Xtr, Xte, ytr, yte) = trained_model(ds, kind)
    task = compile_model(spec_from_estimator(model), f"{kind}-{ds}", ranges_from_data(Xtr))
    return model, task, Xte, yte


@pytest.mark.parametrize("ds,kind", [c for c in CASES if c[0] != "digits"] +
                         [pytest.param(*c, marks=pytest.mark.slow) for c in CASES if c[0] == "digits"])
def test_compiled_accuracy_within_one_point(ds, kind):
    model, task, Xte, yte = _compiled(ds, kind)
    float_acc = float(np.mean(model.predict(Xte) == yte))
    comp_acc = float(np.mean(CompiledModel(task.program).predict(Xte) == yte))
    assert float_acc - comp_acc <= 0.01 + 1e-9, (ds, kind, float_acc, comp_acc)


@pytest.mark.parametrize("kind", KINDS + ("svc",))
def test_spec_reproduces_library_predictions(kind):
    model, (Xtr, Xte, ytr, yte) = trained_model("wine", kind)
    spec = spec_from_estimator(model)
    assert np.array_equal(np.asarray(spec.classes)[spec.predict_index(Xte)], model.predict(Xte))


def test_json_export_round_trip_compiles_identically(tmp_path):
    from mlcompiler.export import export_model
    from mlcompiler.loader import load_model

    for kind in ("rf", "xgb", "svm"):
        model, (Xtr, Xte, _, _) = trained_model("iris", kind)
        path = export_model(model, tmp_path / f"{kind}.json", Xtr)
        spec = load_model(path)
        a = compile_program(spec_from_estimator(model), ranges_from_data(Xtr))
        b = compile_program(spec)
        assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def test_program_is_json_and_task_is_a_valid_workload_task():
    _, task, Xte, _ = _compiled("iris", "rf")
    prog = json.loads(json.dumps(task.program))
    assert prog["format"] == "omniplan-mlprogram/1" and prog["kind"] == "rf"
    doc = Workload((task,)).to_dict()
    back = parse_workload(json.dumps(doc)).tasks[0]
    assert [m.name for m in back.mats] == [m.name for m in task.mats]
    assert back.program == prog
    # the reloaded program classifies the same way
    assert np.array_equal(CompiledModel(back.program).predict(Xte), CompiledModel(task.program).predict(Xte))


def test_tree_task_structure_costs_and_dependency_bits():
    model, task, _, _ = _compiled("iris", "rf")
    prog = task.program
    widths = {c[0]: c[2] for c in prog["codes"]}
    names = [m.name for m in task.mats]
    assert names[-1] == "vote" and sum(n.startswith("tree") for n in names) == model.n_estimators
    for m in task.mats:
        pm = next(x for x in prog["mats"] if x["name"] == m.name)
        if pm["op"] == "code":
            assert m.match_kind == "range" and m.key_bits == 16 and m.entries == len(pm["entries"])
            action = widths[pm["feature"]]
        elif pm["op"] == "leaf":
            assert m.match_kind == "ternary"
            action = prog["lanes"] * layout.LANE_BITS
        else:
            action = 8
        assert m.sram_bits == cost.sram_bits(m.entries, m.key_bits, action, m.match_kind)
        assert m.tcam_bits == cost.tcam_bits(m.entries, m.key_bits, m.match_kind)
    for d in task.deps:
        if d.src.startswith("f"):
            assert d.dst.startswith("tree") and d.bits == widths[int(d.src[1:])]
        else:
            assert d.dst == "vote" and d.bits == prog["lanes"] * layout.LANE_BITS
    assert task.topological_order()[-1] == "vote"


def test_cost_formula_block_granularity():
    # 100 exact entries of 16-bit key + 8-bit action + 8 overhead = 32 bits -> 4 per word -> 25 words -> 1 block
    assert cost.sram_bits(100, 16, 8, "exact") == 1024 * 128
    # 5000 entries -> 1250 words -> 2 blocks
    assert cost.sram_bits(5000, 16, 8, "exact") == 2 * 1024 * 128
    # 300-bit action data: 3 words per entry
    assert cost.sram_bits(1000, 16, 300, "ternary") == math.ceil(3000 / 1024) * 1024 * 128
    # range keys count double in TCAM: 16-bit range -> 32 bits -> one 44-bit slice; 600 entries -> 2 deep
    assert cost.tcam_bits(600, 16, "range") == 1 * 2 * 512 * 44
    assert cost.tcam_bits(10, 50, "ternary") == 2 * 1 * 512 * 44
    assert cost.tcam_bits(10, 50, "exact") == 0 and cost.sram_bits(0, 8, 8, "exact") == 0


@pytest.mark.parametrize("width", [1, 3, 5])
def test_range_to_prefixes_covers_exactly(width):
    for a in range(1 << width):
        for b in range(a, 1 << width):
            pref = range_to_prefixes(a, b, width)
            covered = {v for v in range(1 << width) if any(v & m == p for p, m in pref)}
            assert covered == set(range(a, b + 1))
            assert len(pref) <= max(1, 2 * width - 2)


def test_lookup_lanes_never_overflow_and_are_non_negative():
    for kind in ("nb", "svm", "svc"):
        _, task, _, _ = _compiled("wine", kind)
        prog = task.program
        worst = [0] * prog["lanes"]
        for m in prog["mats"]:
            if m["op"] == "add_feature":
                vals = np.asarray([e[2] for e in m["entries"]], dtype=object)
                assert all(v >= 0 for row in vals for v in row)
                worst = [w + max(int(r[k]) for r in vals) for k, w in enumerate(worst)]
        assert max(worst) <= layout.LANE_MAX


def test_netflow_generator_is_seeded_and_shaped():
    X1, y1 = netflow(50, seed=3)
    X2, y2 = netflow(50, seed=3)
    assert X1.shape == (250, len(NETFLOW_FEATURES)) and np.array_equal(X1, X2) and np.array_equal(y1, y2)
    assert set(X1[y1 == 2, NETFLOW_FEATURES.index("dst_port")]) == {53.0}  # dns
    assert np.all(X1[y1 == 4, NETFLOW_FEATURES.index("packets")] >= 40)  # dos floods


def test_unsupported_models_are_named():
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression
    from sklearn.svm import SVC

    X, y = load_iris(return_X_y=True)
    with pytest.raises(InputError, match="LogisticRegression"):
        spec_from_estimator(LogisticRegression(max_iter=500).fit(X, y))
    with pytest.raises(InputError, match="kernel='rbf'"):
        spec_from_estimator(SVC().fit(X, y))
    model, (Xtr, *_ ) = trained_model("digits", "svm")
    svc = SVC(kernel="linear").fit(Xtr[:300], trained_model("digits", "svm")[1][2][:300])
    with pytest.raises(InputError, match="45 one-vs-one"):
        compile_program(spec_from_estimator(svc), ranges_from_data(Xtr))


def test_too_many_features_and_missing_ranges_are_clear():
    from sklearn.svm import LinearSVC
    from sklearn.tree import DecisionTreeClassifier

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(60, 70)), np.arange(60) % 2
    with pytest.raises(InputError, match="70 features; the inml header carries 64"):
        compile_program(spec_from_estimator(DecisionTreeClassifier(max_depth=2).fit(X, y)))
    with pytest.raises(InputError, match="needs feature ranges"):
        compile_program(spec_from_estimator(LinearSVC().fit(X[:, :4], y)))
    # trees can fall back to the thresholds' own range
    prog = compile_program(spec_from_estimator(DecisionTreeClassifier(max_depth=3).fit(X[:, :4], y)))
    assert prog["mats"]


def test_spec_json_validation_names_the_field():
    good = spec_from_estimator(trained_model("iris", "nb")[0]).to_dict()
    bad = dict(good, var=[[1.0, 2.0]])
    with pytest.raises(InputError, match="'var'"):
        spec_from_dict(bad, "m.json")
    with pytest.raises(InputError, match="'kind'"):
        spec_from_dict(dict(good, kind="knn"), "m.json")
    tree = spec_from_estimator(trained_model("iris", "dt")[0]).to_dict()
    tree["trees"][0]["feature"][0] = 99
    with pytest.raises(InputError, match=r"trees\[0\].*feature 99"):
        spec_from_dict(tree, "m.json")


def test_json_workload_fast_path_keeps_line_numbered_errors():
    """Compiled programs make workload files big; JSON takes a fast path, errors still name lines."""
    _, task, _, _ = _compiled("iris", "rf")
    text = json.dumps(Workload((task,)).to_dict(), indent=1)
    back = parse_workload(text, "w.json").tasks[0]
    assert back.program == json.loads(json.dumps(task.program)) and back.mats == task.mats
    bad = text.replace('"rate_mpps": 1.0', '"rate_mpps": -1', 1)
    line = bad[: bad.index('"rate_mpps": -1')].count("\n") + 1
    with pytest.raises(InputError, match=rf"w.json:line {line} field 'tasks\[0\].rate_mpps': must be > 0"):
        parse_workload(bad, "w.json")
    dup = '{"tasks": [{"name": "a", "name": "b", "mats": [{"name": "m", "sram_bits": 1}]}]}'
    with pytest.raises(InputError, match="appears twice"):
        parse_workload(dup, "d.json")
    with pytest.raises(InputError):
        parse_workload('{"tasks": [{"name": "a", "rate_mpps": NaN, "mats": [{"name": "m", "sram_bits": 1}]}]}')
