"""The model the emulation classifies with: a scikit-learn classifier on iris, compiled to tables.

``make run``, the end-to-end tests and the reconfiguration benchmark all need the same three
things: a compiled task for the controller's workload (its MATs are what the planner places),
the quantised feature vectors the hosts put in packets, and the label index scikit-learn
predicts for each of them (what the network must write back). Iris ships with scikit-learn, so
nothing is downloaded.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from mininet_topos.traffic import Samples
from omniplan.errors import InputError
from omniplan.workload import FORMAT as WORKLOAD_FORMAT, Task, task_to_dict

MODEL_KINDS = ("dt", "rf", "nb", "svm")


def train(kind: str = "rf", seed: int = 0) -> tuple[Any, np.ndarray, np.ndarray]:
    """A fitted classifier of ``kind`` on iris, with the feature matrix and labels."""
    from sklearn.datasets import load_iris

    X, y = load_iris(return_X_y=True)
    if kind == "dt":
        from sklearn.tree import DecisionTreeClassifier

        model = DecisionTreeClassifier(max_depth=4, random_state=seed)
    elif kind == "rf":
        from sklearn.ensemble import RandomForestClassifier

        model = RandomForestClassifier(n_estimators=4, max_depth=3, random_state=seed)
    elif kind == "nb":
        from sklearn.naive_bayes import GaussianNB

        model = GaussianNB()
    elif kind == "svm":
        from sklearn.svm import LinearSVC

        model = LinearSVC(random_state=seed, max_iter=5000)
    else:
        raise InputError(f"model kind {kind!r}: choose one of {', '.join(MODEL_KINDS)}")
    model.fit(X, y)
    return model, X, y


def build(kind: str = "rf", *, name: str | None = None, ingress: str | None = None, task_id: int = 1,
          n_samples: int | None = None, seed: int = 0) -> tuple[Task, Samples]:
    """The compiled task (placeable by the planner) and the samples to send, with sklearn's labels.

    ``task_id`` must be the id the controller gives the task (its first task gets 1).
    """
    from mlcompiler.compiler import compile_model, ranges_from_data
    from mlcompiler.replay import CompiledModel
    from mlcompiler.spec import spec_from_estimator

    model, X, _ = train(kind, seed)
    spec = spec_from_estimator(model)
    task = compile_model(spec, name or f"iris-{kind}", ranges_from_data(X), **({"ingress": ingress} if ingress else {}))
    rng = np.random.default_rng(seed)
    idx = rng.permutation(len(X))[: n_samples or len(X)]
    Xs = X[idx]
    compiled = CompiledModel(task.program)
    q = compiled.quantize(Xs)
    classes = list(model.classes_)
    expected = [classes.index(c) for c in model.predict(Xs)]
    samples = Samples(task_id=task_id, features=q.tolist(), expected=expected, classes=[int(c) for c in classes],
                      rows=[int(i) for i in idx])
    return task, samples


def write_workload(tasks: list[Task], path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = {"format": WORKLOAD_FORMAT, "tasks": [task_to_dict(t) for t in tasks]}
    path.write_text(json.dumps(doc, default=_plain_number))
    return path


def _plain_number(value: Any) -> Any:
    """numpy scalars (a compiled program's class labels can be np.int64) as JSON numbers."""
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")
