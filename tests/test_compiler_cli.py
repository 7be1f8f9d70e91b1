"""`omniplan compile` and the safe model loader: skops allow-list, JSON, refusals, exit codes."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
import skops.io as sio
from sklearn.base import BaseEstimator, ClassifierMixin

from mlcompiler.datasets import trained_model
from mlcompiler.export import export_model
from mlcompiler.loader import load_model
from omniplan_cli.main import main
from omniplan.errors import InputError
from omniplan.workload import load_workload

warnings.filterwarnings("ignore")


class HomeMadeClassifier(ClassifierMixin, BaseEstimator):
    """A type skops does not know: loading it must be refused by name."""

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        return self


@pytest.mark.parametrize("kind", ["rf", "xgb", "nb"])
def test_skops_models_compile_to_a_loadable_workload(tmp_path, kind, capsys):
    """sklearn models as skops files; XGBoost as its own JSON model format (booster.save_model)."""
    model, (Xtr, *_ ) = trained_model("iris", kind)
    if kind == "xgb":
        src = tmp_path / f"{kind}.json"
        model.save_model(src)
    else:
        src = tmp_path / f"{kind}.skops"
        sio.dump(model, src)
    out = tmp_path / "task.yaml"
    assert main(["compile", str(src), "--out", str(out), "--name", f"{kind}-iris", "--ingress", "s1"]) == 0
    wl = load_workload(out)
    (task,) = wl.tasks
    assert task.name == f"{kind}-iris" and task.ingress == "s1" and task.kind == kind and task.program
    assert "MATs" in capsys.readouterr().out


def test_json_export_compiles_with_json_output(tmp_path):
    model, (Xtr, *_ ) = trained_model("wine", "svm")
    src = export_model(model, tmp_path / "svm.json", Xtr)
    out = tmp_path / "t.out"
    assert main(["compile", str(src), "--out", str(out), "--format", "json"]) == 0
    doc = json.loads(out.read_text())
    assert doc["format"] == "omniplan-workload/1" and doc["tasks"][0]["name"] == "svm"


def _fails(argv, capsys, *needles):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("omniplan: error:") and "Traceback" not in err
    for n in needles:
        assert n in err, err
    return err


def test_untrusted_skops_type_is_named_and_nothing_written(tmp_path, capsys):
    """A supported top-level model smuggling an unknown type inside, or an unknown top-level type,
    is refused by that type's name as untrusted."""
    tree = trained_model("iris", "dt")[0]
    tree.payload_ = HomeMadeClassifier().fit(np.zeros((2, 2)), [0, 1])
    src = tmp_path / "evil.skops"
    sio.dump(tree, src)
    out = tmp_path / "o.json"
    _fails(["compile", str(src), "--out", str(out)], capsys, "untrusted type", "HomeMadeClassifier")
    home = tmp_path / "home.skops"
    sio.dump(HomeMadeClassifier().fit(np.zeros((2, 2)), [0, 1]), home)
    _fails(["compile", str(home), "--out", str(out)], capsys, "untrusted type", "HomeMadeClassifier")
    assert not out.exists() and sorted(tmp_path.iterdir()) == sorted([src, home])


def test_bad_inputs_exit_2_with_clear_messages(tmp_path, capsys):
    out = str(tmp_path / "o.json")
    _fails(["compile", str(tmp_path / "missing.skops"), "--out", out], capsys, "no such file")
    pk = tmp_path / "m.pkl"
    pk.write_bytes(b"\x80\x04N.")
    _fails(["compile", str(pk), "--out", out], capsys, "pickle", "refused")
    from sklearn.preprocessing import StandardScaler

    sc = tmp_path / "scaler.skops"
    sio.dump(StandardScaler().fit(np.ones((3, 2))), sc)
    _fails(["compile", str(sc), "--out", out], capsys, "unsupported model type StandardScaler")
    svm = tmp_path / "svm.skops"
    sio.dump(trained_model("iris", "svm")[0], svm)
    _fails(["compile", str(svm), "--out", out], capsys, "needs feature ranges")
    garbage = tmp_path / "g.skops"
    garbage.write_bytes(b"not a zip")
    _fails(["compile", str(garbage), "--out", out], capsys, "not a readable skops file")
    bad_json = tmp_path / "b.json"
    bad_json.write_text('{"format": "omniplan-model/1",\n "kind": 3}')
    _fails(["compile", str(bad_json), "--out", out], capsys, "'kind'")
    _fails(["compile", str(svm), "--out", str(tmp_path / "nodir" / "o.json")], capsys, "does not exist")
    assert not (tmp_path / "o.json").exists()


def test_ranges_file_enables_linear_svm_from_skops(tmp_path):
    model, (Xtr, Xte, ytr, yte) = trained_model("iris", "svm")
    svm = tmp_path / "svm.skops"
    sio.dump(model, svm)
    from mlcompiler.compiler import ranges_from_data

    rng = tmp_path / "ranges.json"
    rng.write_text(json.dumps(ranges_from_data(Xtr)))
    out = tmp_path / "o.json"
    assert main(["compile", str(svm), "--out", str(out), "--ranges", str(rng)]) == 0
    from mlcompiler.replay import CompiledModel

    prog = load_workload(out).tasks[0].program
    assert np.mean(CompiledModel(prog).predict(Xte) == yte) >= np.mean(model.predict(Xte) == yte) - 0.01
    with pytest.raises(InputError, match="2 given, the model has 4"):
        load_model(svm, [[0, 1], [0, 1]])
