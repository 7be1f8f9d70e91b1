"""Hostile model files: each one is refused by `omniplan compile` with one line, exit 2, in < 5 s,
and nothing is written. Plus a seeded fuzz over mutated JSON exports, XGBoost JSON models and
skops schemas (< 60 s): every mutant compiles or is refused with an InputError, never a traceback
or a hang.

The files are built here from real fitted models (sklearn / XGBoost are the references) and then
damaged the way an attacker or a broken exporter would.
"""

from __future__ import annotations

import copy
import json
import random
import time
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest
import skops.io as sio
from sklearn.ensemble import IsolationForest
from sklearn.neural_network import MLPClassifier
from sklearn.tree import DecisionTreeClassifier

from mlcompiler.compiler import compile_program
from mlcompiler.datasets import trained_model
from mlcompiler.export import export_spec
from mlcompiler.loader import load_model
from omniplan.errors import InputError
from omniplan_cli.main import main

warnings.filterwarnings("ignore")

#: The issue's bound for every refusal.
REFUSE_S = 5.0


def _refused(tmp_path: Path, src: Path, capsys, *needles: str) -> str:
    out = tmp_path / "out.json"
    t0 = time.perf_counter()
    rc = main(["compile", str(src), "--out", str(out)])
    took = time.perf_counter() - t0
    err = capsys.readouterr().err
    assert rc == 2, err
    assert took < REFUSE_S, f"{src.name}: refused after {took:.1f} s"
    assert err.startswith("omniplan: error:") and err.count("\n") == 1 and "Traceback" not in err, err
    for n in needles:
        assert n in err, err
    assert not out.exists() and not [p for p in tmp_path.iterdir() if p.name.startswith(".out")]
    return err


def _dt_json() -> dict:
    return export_spec(trained_model("iris", "dt")[0]).to_dict()


def _write(tmp_path: Path, name: str, doc: object) -> Path:
    p = tmp_path / name
    p.write_text(json.dumps(doc) if not isinstance(doc, str) else doc)
    return p


# ------------------------------------------------------------------ JSON trees

def test_cycle_in_a_json_tree_is_refused_not_hung(tmp_path, capsys):
    """The issue's 266-byte hang: a child pointing back at its ancestor."""
    doc = {"format": "omniplan-model/1", "kind": "dt", "n_features": 1, "classes": [0, 1],
           "trees": [{"left": [1, 0, -1, -1], "right": [3, 2, -1, -1], "feature": [0, 0, 0, 0],
                      "threshold": [0.5, 0.5, 0, 0], "value": [[], [], [1, 0], [0, 1]]}]}
    _refused(tmp_path, _write(tmp_path, "cycle.json", doc), capsys, "children come after their parent")


def test_self_loop_and_shared_child_are_refused(tmp_path, capsys):
    doc = _dt_json()
    doc["trees"][0]["left"][0] = 0
    _refused(tmp_path, _write(tmp_path, "self.json", doc), capsys, "node 0 has children 0")
    doc = _dt_json()
    t = doc["trees"][0]
    n = len(t["left"])
    j = next(i for i in range(1, n) if t["left"][i] != -1 and n - 1 not in (t["left"][i], t["right"][i]))
    t["left"][j] = n - 1  # the last node gets a second parent
    _refused(tmp_path, _write(tmp_path, "dag.json", doc), capsys, "parents; a tree node has one")


@pytest.mark.parametrize("child", [99999, -7, 1.5, "3", None])
def test_bad_child_index_is_refused(tmp_path, capsys, child):
    doc = _dt_json()
    doc["trees"][0]["right"][0] = child
    _refused(tmp_path, _write(tmp_path, "child.json", doc), capsys, "trees[0]")


@pytest.mark.parametrize("feature", [4, -1, 2.0, "0", True])
def test_bad_feature_index_is_refused(tmp_path, capsys, feature):
    doc = _dt_json()
    doc["trees"][0]["feature"][0] = feature
    _refused(tmp_path, _write(tmp_path, "feat.json", doc), capsys, "outside 0..3")


def test_nan_deep_nesting_and_wrong_leaf_width_are_refused(tmp_path, capsys):
    text = json.dumps(_dt_json()).replace('"threshold": [', '"threshold": [NaN, ', 1)
    _refused(tmp_path, _write(tmp_path, "nan.json", text), capsys, "NaN is not a JSON number")
    _refused(tmp_path, _write(tmp_path, "deep.json", "[" * 200000 + "]" * 200000), capsys, "nested too deeply")
    doc = _dt_json()
    leaf = doc["trees"][0]["left"].index(-1)
    doc["trees"][0]["value"][leaf] = [1.0, 2.0]
    _refused(tmp_path, _write(tmp_path, "width.json", doc), capsys, f"leaf {leaf}: value must be 3")


# ------------------------------------------------------------------ multi-output

def test_multi_output_models_are_refused(tmp_path, capsys):
    """A 2-output DecisionTree used to compile with exit 0 into nonsense classes."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 3))
    Y = np.c_[X[:, 0] > 0, X[:, 1] > 0].astype(int)
    dt = DecisionTreeClassifier(max_depth=3, random_state=0).fit(X, Y)
    src = tmp_path / "multi.skops"
    sio.dump(dt, src)
    _refused(tmp_path, src, capsys, "2 outputs; multi-output models are not supported")
    doc = _dt_json()
    doc["classes"] = [[0, 1], [0, 1, 2]]
    _refused(tmp_path, _write(tmp_path, "multi.json", doc), capsys, "multi-output models are not supported")


# ------------------------------------------------------------------ skops

def _skops_with_schema(tmp_path: Path, name: str, mutate) -> Path:
    """A real RF skops file whose schema.json is replaced by ``mutate(schema)`` (a str or object)."""
    src = tmp_path / "good.skops"
    if not src.exists():
        sio.dump(trained_model("iris", "rf")[0], src)
    dst = tmp_path / name
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item)
            if item.filename == "schema.json":
                new = mutate(json.loads(data))
                data = (new if isinstance(new, str) else json.dumps(new)).encode()
            zout.writestr(item, data)
    src.unlink()
    return dst


def test_corrupt_skops_schemas_are_refused(tmp_path, capsys):
    """The issue's two tracebacks came from skops walking a malformed schema."""
    cases = {
        "notjson.skops": lambda s: "{not json",
        "noclass.skops": lambda s: {k: v for k, v in s.items() if k != "__class__"},
        "badloader.skops": lambda s: {**s, "__loader__": "NoSuchNode"},
        "content_list.skops": lambda s: {**s, "content": [1, 2, 3]},
        "content_str.skops": lambda s: {**s, "content": {**s["content"], "content": "x"}},
        "array.skops": lambda s: [s],
    }
    for name, mutate in cases.items():
        _refused(tmp_path, _skops_with_schema(tmp_path, name, mutate), capsys, name)
    nozip = tmp_path / "noschema.skops"
    with zipfile.ZipFile(nozip, "w") as z:
        z.writestr("x.npy", b"\x93NUMPY")
    _refused(tmp_path, nozip, capsys, "not a readable skops file")


def test_skops_xgboost_is_refused_before_libxgboost_sees_it(tmp_path, capsys):
    """A skops'd Booster is restored by libxgboost from file bytes (the filesystem-touching
    constructor of the issue); XGBoost must come as its own JSON model format instead."""
    src = tmp_path / "xgb.skops"
    sio.dump(trained_model("iris", "xgb")[0], src)
    _refused(tmp_path, src, capsys, "XGBoost models in skops files are refused", "save_model")
    # the same Booster smuggled under a supported top-level type is an untrusted type
    tree = trained_model("iris", "dt")[0]
    tree.booster_ = trained_model("iris", "xgb")[0].get_booster()
    smuggled = tmp_path / "smuggled.skops"
    sio.dump(tree, smuggled)
    _refused(tmp_path, smuggled, capsys, "untrusted type", "xgboost.core.Booster")


def test_unsupported_kind_is_named_as_unsupported(tmp_path, capsys):
    """The issue's MLPClassifier was reported as an "untrusted type"; a kind we cannot compile
    must be named as unsupported (an MLP: by what keeps it from compiling)."""
    X, y = np.random.default_rng(0).normal(size=(40, 3)), np.arange(40) % 2
    src = tmp_path / "mlp.skops"
    sio.dump(MLPClassifier(hidden_layer_sizes=(4,), max_iter=20).fit(X, y), src)  # relu, adam
    err = _refused(tmp_path, src, capsys, "MLPClassifier(activation='relu') cannot be binarised")
    assert "untrusted" not in err
    deep = tmp_path / "deep.skops"
    sio.dump(MLPClassifier(hidden_layer_sizes=(4, 4), activation="tanh", max_iter=20).fit(X, y), deep)
    _refused(tmp_path, deep, capsys, "2 hidden layers is not supported")
    from sklearn.neighbors import KNeighborsClassifier

    knn = tmp_path / "knn.skops"
    sio.dump(KNeighborsClassifier(3).fit(X, y), knn)
    err = _refused(tmp_path, knn, capsys, "unsupported model type KNeighborsClassifier")
    assert "untrusted" not in err


# ------------------------------------------------------------------ XGBoost JSON

def _xgb_json(tmp_path: Path) -> dict:
    p = tmp_path / "x.json"
    trained_model("iris", "xgb")[0].save_model(p)
    return json.loads(p.read_text())


def test_xgboost_json_matches_xgboost_margins(tmp_path):
    """Our parser of XGBoost's JSON format (no libxgboost) reproduces its output margins."""
    import xgboost as xgb

    for ds in ("iris", "breast_cancer"):
        model, (Xtr, Xte, _, _) = trained_model(ds, "xgb")
        p = tmp_path / f"{ds}.json"
        model.save_model(p)
        spec = load_model(p)
        want = np.atleast_2d(model.get_booster().predict(xgb.DMatrix(Xte), output_margin=True).T).T
        got = []
        for x in Xte.astype(np.float32):
            acc = np.array(spec.base, dtype=float)
            for t in spec.trees:
                acc[t.lane] += t.value[t.leaf(x, "lt")][0]
            got.append(acc)
        assert np.allclose(np.asarray(got).reshape(want.shape), want, atol=1e-4)
        assert np.array_equal(spec.predict_index(Xte), model.predict(Xte))


def test_hostile_xgboost_json_is_refused(tmp_path, capsys):
    base = _xgb_json(tmp_path)
    d = copy.deepcopy(base)
    tree0 = max(d["learner"]["gradient_booster"]["model"]["trees"], key=lambda t: len(t["left_children"]))
    j = next(i for i, c in enumerate(tree0["left_children"]) if i > 0 and c != -1)
    tree0["left_children"][j] = 0
    _refused(tmp_path, _write(tmp_path, "xcycle.json", d), capsys, "children come after their parent")
    d = copy.deepcopy(base)
    d["learner"]["gradient_booster"]["model"]["trees"][0]["split_type"][0] = 1
    _refused(tmp_path, _write(tmp_path, "xcat.json", d), capsys, "categorical splits")
    d = copy.deepcopy(base)
    d["learner"]["objective"]["name"] = "reg:squarederror"
    _refused(tmp_path, _write(tmp_path, "xobj.json", d), capsys, "objective 'reg:squarederror' is not supported")
    d = copy.deepcopy(base)
    d["learner"]["learner_model_param"]["num_target"] = "2"
    _refused(tmp_path, _write(tmp_path, "xmulti.json", d), capsys, "multi-output")
    d = copy.deepcopy(base)
    del d["learner"]["gradient_booster"]["model"]
    _refused(tmp_path, _write(tmp_path, "xmissing.json", d), capsys, "missing or malformed field")


# ------------------------------------------------------------------ fuzz

_JUNK = [-1, 0, 1, 2, 3, 7, 10 ** 9, -10 ** 12, 0.5, -2.5, 1e308, "x", "", None, True, [], {}, [0], [[1]], {"a": 1}]


def _mutate(doc: object, rng: random.Random) -> object:
    """One random structural edit somewhere in a JSON document (replace, delete, append, swap)."""
    doc = copy.deepcopy(doc)
    path = []
    node = doc
    while isinstance(node, (dict, list)) and node and rng.random() < 0.85:
        key = rng.choice(list(node.keys())) if isinstance(node, dict) else rng.randrange(len(node))
        path.append((node, key))
        node = node[key]
    if not path:
        return rng.choice(_JUNK)
    parent, key = path[-1]
    r = rng.random()
    if r < 0.6:
        parent[key] = copy.deepcopy(rng.choice(_JUNK))
    elif r < 0.75:
        del parent[key]
    elif r < 0.9 and isinstance(parent, list):
        parent.append(copy.deepcopy(parent[rng.randrange(len(parent))]) if parent else 0)
    elif isinstance(parent, list) and len(parent) > 1:
        i = rng.randrange(len(parent))
        parent[key], parent[i] = parent[i], parent[key]
    else:
        parent[key] = copy.deepcopy(rng.choice(_JUNK))
    return doc


def test_fuzz_mutated_model_files(tmp_path):
    """Seeded: 6 x 500 mutants of real exports; each must compile or raise InputError, fast."""
    rng = random.Random(1234)
    seeds = {
        "rf": export_spec(trained_model("iris", "rf")[0], trained_model("iris", "rf")[1][0]).to_dict(),
        "nb": export_spec(trained_model("iris", "nb")[0]).to_dict(),
        "svm": export_spec(trained_model("iris", "svm")[0], trained_model("iris", "svm")[1][0]).to_dict(),
        "xgb": _xgb_json(tmp_path),
        "iforest": export_spec(IsolationForest(n_estimators=5, random_state=0).fit(trained_model("iris", "rf")[1][0]),
                               trained_model("iris", "rf")[1][0]).to_dict(),
        "bmlp": export_spec(MLPClassifier((4,), activation="tanh", solver="lbfgs", max_iter=500, random_state=0)
                            .fit(trained_model("iris", "rf")[1][0], trained_model("iris", "rf")[1][2]),
                            trained_model("iris", "rf")[1][0]).to_dict(),
    }
    t_start = time.perf_counter()
    outcomes = {"compiled": 0, "refused": 0}
    for name, seed in seeds.items():
        for i in range(500):
            mutant = seed
            for _ in range(rng.randint(1, 3)):
                mutant = _mutate(mutant, rng)
            p = tmp_path / f"{name}{i}.json"
            p.write_text(json.dumps(mutant))
            t0 = time.perf_counter()
            try:
                compile_program(load_model(p))
                outcomes["compiled"] += 1
            except InputError as exc:
                assert "\n" not in str(exc)
                outcomes["refused"] += 1
            assert time.perf_counter() - t0 < REFUSE_S, p.read_text()[:300]
            p.unlink()
    assert outcomes["refused"] > 600 and outcomes["compiled"] > 150, outcomes
    assert time.perf_counter() - t_start < 60


def test_fuzz_mutated_skops_schemas(tmp_path):
    """Seeded: 150 mutants of a real RF skops schema through the CLI loader."""
    rng = random.Random(99)
    sio.dump(trained_model("iris", "rf")[0], tmp_path / "seed.skops")
    with zipfile.ZipFile(tmp_path / "seed.skops") as z:
        schema = json.loads(z.read("schema.json"))
    t_start = time.perf_counter()
    for i in range(150):
        mutant = _mutate(_mutate(schema, rng), rng)
        dst = tmp_path / f"m{i}.skops"
        with zipfile.ZipFile(tmp_path / "seed.skops") as zin, zipfile.ZipFile(dst, "w") as zout:
            for item in zin.infolist():
                zout.writestr(item, json.dumps(mutant).encode() if item.filename == "schema.json" else zin.read(item))
        t0 = time.perf_counter()
        try:
            compile_program(load_model(dst))
        except InputError as exc:
            assert "\n" not in str(exc)
        assert time.perf_counter() - t0 < REFUSE_S
    assert time.perf_counter() - t_start < 60


def test_overflowing_parameters_are_refused(tmp_path, capsys):
    """Finite JSON numbers whose products overflow float64 must not compile into garbage lanes."""
    model, (Xtr, *_) = trained_model("iris", "svm")
    doc = export_spec(model, Xtr).to_dict()
    doc["coef"][0][0] = 1e308
    _refused(tmp_path, _write(tmp_path, "svm_inf.json", doc), capsys, "a class score is not finite")
    doc = export_spec(trained_model("iris", "rf")[0]).to_dict()
    tree = doc["trees"][0]
    tree["value"][tree["left"].index(-1)] = [1e308, 1e308, 1.0]
    _refused(tmp_path, _write(tmp_path, "rf_inf.json", doc), capsys, "value magnitude over 1e+30")
