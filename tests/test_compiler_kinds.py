"""Model kinds after Planter's: BernoulliNB, k-means (nearest centre via per-feature distance
tables), isolation forest (anomaly threshold on summed path lengths, for IDS) and a binarised
one-hidden-layer MLP (sign of each hidden unit, decision table on the sign pattern).

Each: accuracy loss against sklearn's own predictions (the reference), agreement of the inml.p4
twin executing realised entries with the program's replay, and the skops / JSON routes.
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
import skops.io as sio
from sklearn.cluster import KMeans
from sklearn.datasets import load_digits
from sklearn.ensemble import IsolationForest
from sklearn.model_selection import train_test_split
from sklearn.naive_bayes import BernoulliNB

from mlcompiler.compiler import compile_model, compile_program, ranges_from_data
from mlcompiler.datasets import load_split
from mlcompiler.export import export_model
from mlcompiler.loader import load_model
from mlcompiler.realize import realize, single_device_plan
from mlcompiler.replay import CompiledModel
from mlcompiler.spec import spec_from_dict, spec_from_estimator
from omniplan.errors import InputError
from omniplan.topology import line
from omniplan.workload import Workload, load_workload
from omniplan_cli.main import main
from p4src import layout
from p4src.chain import SwitchChain
from p4src.pipeline import build_packet, parse_inml

warnings.filterwarnings("ignore")


def _bnb():
    X, y = load_digits(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)
    return BernoulliNB(binarize=7.0).fit(Xtr, ytr), (Xtr, Xte, ytr, yte)


def _kmeans():
    Xtr, Xte, ytr, yte = load_split("wine")
    return KMeans(3, n_init=10, random_state=0).fit(Xtr), (Xtr, Xte, ytr, yte)


def _iforest():
    """IDS-style: fitted on the netflow training flows, flags the rare ones as anomalies."""
    Xtr, Xte, ytr, yte = load_split("netflow")
    return IsolationForest(n_estimators=20, random_state=0).fit(Xtr), (Xtr, Xte, ytr, yte)


def _bmlp():
    from sklearn.neural_network import MLPClassifier

    Xtr, Xte, ytr, yte = load_split("breast_cancer")
    return MLPClassifier((8,), activation="tanh", solver="lbfgs", max_iter=3000, random_state=0).fit(Xtr, ytr), \
        (Xtr, Xte, ytr, yte)


MODELS = {"bnb": _bnb, "kmeans": _kmeans, "iforest": _iforest, "bmlp": _bmlp}
_CACHE: dict = {}


def _fitted(kind):
    if kind not in _CACHE:
        _CACHE[kind] = MODELS[kind]()
    return _CACHE[kind]


@pytest.mark.parametrize("kind", MODELS)
def test_compiled_model_matches_sklearn(kind):
    model, (Xtr, Xte, ytr, yte) = _fitted(kind)
    spec = spec_from_estimator(model, ranges_from_data(Xtr))
    ref = model.predict(Xte)
    ours = CompiledModel(compile_program(spec)).predict(Xte)
    if kind == "bmlp":  # binarised hidden units approximate sklearn's tanh: compare to both
        binarised = np.asarray(spec.classes)[spec.predict_index(Xte)]
        # a hidden unit whose pre-activation sits within one quantisation step of zero flips sign in the tables; how many
        # test rows that touches depends on the weights lbfgs finds, which differ between BLAS/CPU builds: 1 of 171 where
        # this bound was set, 2 of 171 on the 1 December 2026 CI image (accuracy equal to sklearn's on both)
        assert np.mean(ours == binarised) >= 0.985
        assert np.mean(ref == yte) - np.mean(ours == yte) <= 0.02, (np.mean(ref == yte), np.mean(ours == yte))
        return
    assert np.array_equal(np.asarray(spec.classes)[spec.predict_index(Xte)], ref)  # float spec
    agreement = float(np.mean(ours == ref))
    assert agreement >= (1.0 if kind == "bnb" else 0.99), agreement  # bnb: one exact cut per feature
    if kind == "bnb":
        assert np.mean(ref == yte) - np.mean(ours == yte) <= 0.01


def test_iforest_flags_anomalies_like_sklearn_on_injected_outliers():
    """Flows far outside the training distribution (fault injection) are outliers for both."""
    model, (Xtr, Xte, _, _) = _fitted("iforest")
    rng = np.random.default_rng(5)
    outliers = Xte[:50] * rng.uniform(20, 50, size=(50, Xte.shape[1]))
    prog = compile_program(spec_from_estimator(model, ranges_from_data(Xtr)))
    assert np.array_equal(CompiledModel(prog).predict(outliers), model.predict(outliers))
    assert np.mean(model.predict(outliers) == -1) >= 0.9


@pytest.mark.parametrize("kind", MODELS)
def test_twin_agrees_with_replay(kind):
    model, (Xtr, Xte, _, _) = _fitted(kind)
    task = compile_model(spec_from_estimator(model, ranges_from_data(Xtr)), kind, ingress="s1")
    ports = {"s1": {"h1": 1}}
    entries = realize(Workload((task,)), single_device_plan(task, "s1"), line(1), ports, {kind: 3}, version=1,
                      deliver_to={kind: "h1"})
    chain = SwitchChain(entries, ports)
    cm = CompiledModel(task.program)
    rows = Xte[:200]
    got = []
    for q in cm.quantize(rows):
        (out,) = chain.send("s1", 1, build_packet(3, [int(v) for v in q]))
        h = parse_inml(out.packet)
        assert h.flags & layout.FLAG_DONE
        got.append(h.label)
    assert np.array_equal(np.asarray(got), cm.predict_index(rows))


@pytest.mark.parametrize("kind", MODELS)
def test_skops_and_json_routes(tmp_path, kind, capsys):
    model, (Xtr, Xte, _, _) = _fitted(kind)
    sk = tmp_path / f"{kind}.skops"
    sio.dump(model, sk)
    rng = tmp_path / "ranges.json"
    rng.write_text(json.dumps(ranges_from_data(Xtr)))
    out = tmp_path / "o.json"
    assert main(["compile", str(sk), "--out", str(out), "--ranges", str(rng)]) == 0, capsys.readouterr().err
    prog = load_workload(out).tasks[0].program
    js = export_model(model, tmp_path / f"{kind}.json", Xtr)
    assert compile_program(load_model(js)) == json.loads(json.dumps(prog))


def test_hostile_fields_of_new_kinds_are_refused():
    bnb = spec_from_estimator(_fitted("bnb")[0]).to_dict()
    bad = json.loads(json.dumps(bnb))
    bad["log_prob"][0][0] = 0.5
    with pytest.raises(InputError, match="'log_prob'.*log-probabilities"):
        spec_from_dict(bad, "b.json")
    ifo = spec_from_estimator(_fitted("iforest")[0]).to_dict()
    with pytest.raises(InputError, match=r"classes are \[1, -1\]"):
        spec_from_dict(dict(ifo, classes=[0, 1]), "i.json")
    km = spec_from_estimator(_fitted("kmeans")[0]).to_dict()
    with pytest.raises(InputError, match="'centers'"):
        spec_from_dict(dict(km, centers=[[1.0]]), "k.json")
