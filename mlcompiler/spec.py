"""A plain, library-free description of a trained classifier: what the compiler consumes.

WHY: the compiler should not poke at scikit-learn / XGBoost internals in many places. One
function per library turns a fitted estimator into a ModelSpec; the JSON exporter writes a
ModelSpec, and the JSON loader reads it back with field-by-field validation. Trees keep the
comparison their library uses (sklearn: ``x <= t`` goes left; XGBoost: ``x < t`` goes left).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from omniplan.errors import InputError

SPEC_FORMAT = "omniplan-model/1"
KINDS = ("dt", "rf", "xgb", "nb", "svm")


@dataclass
class TreeSpec:
    """Array form of a binary tree; ``left[i] == -1`` marks a leaf whose score vector is ``value[i]``."""

    left: list[int]
    right: list[int]
    feature: list[int]
    threshold: list[float]
    value: list[list[float]]
    #: lane the leaf value goes to (XGBoost multi-class: the tree's class); None = whole vector
    lane: int | None = None

    def leaf(self, x: Sequence[float], cmp: str) -> int:
        i = 0
        while self.left[i] != -1:
            v, t = x[self.feature[i]], self.threshold[i]
            go_left = v <= t if cmp == "le" else v < t
            i = self.left[i] if go_left else self.right[i]
        return i


@dataclass
class ModelSpec:
    kind: str
    model: str
    n_features: int
    classes: list[Any]
    #: tree models
    trees: list[TreeSpec] = field(default_factory=list)
    cmp: str = "le"
    #: per-lane constant added to the tree scores (XGBoost base margin)
    base: list[float] = field(default_factory=list)
    #: GaussianNB
    theta: list[list[float]] = field(default_factory=list)
    var: list[list[float]] = field(default_factory=list)
    log_prior: list[float] = field(default_factory=list)
    #: linear SVM: rows of coef_/intercept_; scheme binary | ovr | ovo
    coef: list[list[float]] = field(default_factory=list)
    intercept: list[float] = field(default_factory=list)
    scheme: str = ""
    #: optional [lo, hi] per feature for quantisation
    feature_ranges: list[list[float]] | None = None

    @property
    def n_classes(self) -> int:
        return len(self.classes)

    # ------------------------------------------------------------------ float reference
    def predict_index(self, X: np.ndarray) -> np.ndarray:
        """Float prediction (class index) computed from the spec alone, for self-checks."""
        X = np.asarray(X, dtype=float)
        if self.kind == "dt":
            return np.array([int(np.argmax(self.trees[0].value[self.trees[0].leaf(x, "le")])) for x in X])
        if self.kind == "rf":
            out = []
            for x in X:
                acc = np.zeros(self.n_classes)
                for t in self.trees:
                    v = np.asarray(t.value[t.leaf(x, "le")], dtype=float)
                    acc += v / v.sum()
                out.append(int(np.argmax(acc)))
            return np.array(out)
        if self.kind == "xgb":
            lanes = len(self.base)
            X32 = X.astype(np.float32)
            out = []
            for x in X32:
                acc = np.array(self.base, dtype=float)
                for t in self.trees:
                    acc[t.lane] += t.value[t.leaf(x, "lt")][0]
                out.append(_xgb_decide(acc, self.n_classes))
            return np.array(out)
        if self.kind == "nb":
            th, va = np.asarray(self.theta), np.asarray(self.var)
            jll = np.asarray(self.log_prior) - 0.5 * np.sum(np.log(2 * np.pi * va), axis=1)
            jll = jll[None, :] - 0.5 * np.sum((X[:, None, :] - th[None]) ** 2 / va[None], axis=2)
            return np.argmax(jll, axis=1)
        if self.kind == "svm":
            d = X @ np.asarray(self.coef).T + np.asarray(self.intercept)
            if self.scheme == "binary":
                return (d[:, 0] > 0).astype(int)
            if self.scheme == "ovr":
                return np.argmax(d, axis=1)
            return np.array([ovo_vote(row > 0, self.n_classes) for row in d])
        raise InputError(f"unknown model kind {self.kind!r}")

    # ------------------------------------------------------------------ JSON export
    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"format": SPEC_FORMAT, "kind": self.kind, "model": self.model,
                             "n_features": self.n_features, "classes": _jsonable_classes(self.classes)}
        if self.trees:
            d["cmp"] = self.cmp
            d["trees"] = [
                {"left": t.left, "right": t.right, "feature": t.feature, "threshold": t.threshold,
                 "value": t.value, **({"lane": t.lane} if t.lane is not None else {})}
                for t in self.trees
            ]
        if self.base:
            d["base"] = self.base
        if self.kind == "nb":
            d.update(theta=self.theta, var=self.var, log_prior=self.log_prior)
        if self.kind == "svm":
            d.update(coef=self.coef, intercept=self.intercept, scheme=self.scheme)
        if self.feature_ranges is not None:
            d["feature_ranges"] = self.feature_ranges
        return d


def _xgb_decide(margins: np.ndarray, n_classes: int) -> int:
    if n_classes == 2 and len(margins) == 1:
        return int(margins[0] > 0)
    return int(np.argmax(margins))


def ovo_vote(positive: Sequence[bool], n_classes: int) -> int:
    """libsvm's one-vs-one vote: pair (i, j), i < j in order; d > 0 votes i, else j; first max wins."""
    votes = [0] * n_classes
    p = 0
    for i in range(n_classes):
        for j in range(i + 1, n_classes):
            votes[i if positive[p] else j] += 1
            p += 1
    return int(np.argmax(votes))


def _jsonable_classes(classes: Sequence[Any]) -> list[Any]:
    out = []
    for c in classes:
        if isinstance(c, (np.integer,)):
            out.append(int(c))
        elif isinstance(c, (np.floating,)):
            out.append(float(c))
        elif isinstance(c, (np.str_, str)):
            out.append(str(c))
        elif isinstance(c, (bool, np.bool_)):
            out.append(bool(c))
        else:
            out.append(c if isinstance(c, (int, float)) else str(c))
    return out


# ---------------------------------------------------------------------- from estimators

SUPPORTED = ("DecisionTreeClassifier", "RandomForestClassifier", "GaussianNB", "LinearSVC", "SVC", "XGBClassifier")


def spec_from_estimator(est: Any, feature_ranges: list[list[float]] | None = None) -> ModelSpec:
    """Fitted sklearn / XGBoost classifier -> ModelSpec. Unsupported types raise InputError naming them."""
    name = type(est).__name__
    if name not in SUPPORTED:
        raise InputError(f"unsupported model type {name}; supported: {', '.join(SUPPORTED)}")
    if not hasattr(est, "classes_"):
        raise InputError(f"{name} is not fitted (no classes_)")
    if name == "DecisionTreeClassifier":
        spec = ModelSpec("dt", name, int(est.n_features_in_), list(est.classes_), trees=[_sk_tree(est)], cmp="le")
    elif name == "RandomForestClassifier":
        spec = ModelSpec("rf", name, int(est.n_features_in_), list(est.classes_),
                         trees=[_sk_tree(t) for t in est.estimators_], cmp="le")
    elif name == "GaussianNB":
        spec = ModelSpec("nb", name, int(est.n_features_in_), list(est.classes_),
                         theta=est.theta_.tolist(), var=est.var_.tolist(), log_prior=np.log(est.class_prior_).tolist())
    elif name == "LinearSVC":
        coef, icpt = np.atleast_2d(est.coef_), np.atleast_1d(est.intercept_)
        scheme = "binary" if len(est.classes_) == 2 else "ovr"
        spec = ModelSpec("svm", name, int(est.n_features_in_), list(est.classes_),
                         coef=coef.tolist(), intercept=icpt.tolist(), scheme=scheme)
    elif name == "SVC":
        if est.kernel != "linear":
            raise InputError(f"SVC with kernel={est.kernel!r} is not supported; only kernel='linear' compiles to tables")
        if getattr(est, "break_ties", False):
            raise InputError("SVC(break_ties=True) is not supported (its decision is not a table lookup)")
        # Multi-class: coef_/intercept_ keep libsvm's one-vs-one convention (pair (i, j): d > 0
        # votes i). Binary: sklearn negates them so that d > 0 means classes_[1].
        coef, icpt = np.atleast_2d(est.coef_), np.atleast_1d(est.intercept_)
        scheme = "binary" if len(est.classes_) == 2 else "ovo"
        spec = ModelSpec("svm", name, int(est.n_features_in_), list(est.classes_),
                         coef=coef.tolist(), intercept=icpt.tolist(), scheme=scheme)
    elif name == "XGBClassifier":
        spec = _xgb_spec(est)
    else:
        raise InputError(f"unsupported model type {name}; supported: {', '.join(SUPPORTED)}")
    spec.classes = _jsonable_classes(spec.classes)
    spec.feature_ranges = feature_ranges
    return spec


def _sk_tree(est: Any) -> TreeSpec:
    t = est.tree_
    left = t.children_left.tolist()
    value = []
    for i in range(t.node_count):
        value.append(t.value[i][0].tolist() if left[i] == -1 else [])
    return TreeSpec(left=left, right=t.children_right.tolist(), feature=[int(f) if f >= 0 else -1 for f in t.feature],
                    threshold=[float(v) for v in t.threshold], value=value)


def _xgb_spec(est: Any) -> ModelSpec:
    import xgboost as xgb

    booster = est.get_booster()
    model = json.loads(booster.save_raw("json"))
    gb = model["learner"]["gradient_booster"]
    if gb.get("name") != "gbtree":
        raise InputError(f"XGBoost booster {gb.get('name')!r} is not supported; only gbtree compiles to tables")
    objective = model["learner"]["objective"]["name"]
    n_classes = int(len(est.classes_))
    n_features = int(model["learner"]["learner_model_param"]["num_feature"])
    if objective not in ("binary:logistic", "multi:softprob", "multi:softmax", "binary:logitraw"):
        raise InputError(f"XGBoost objective {objective!r} is not supported")
    lanes = 1 if n_classes == 2 else n_classes
    trees = []
    info = gb["model"]["tree_info"]
    for k, tj in enumerate(gb["model"]["trees"]):
        left = [int(v) for v in tj["left_children"]]
        value = [[float(tj["split_conditions"][i])] if left[i] == -1 else [] for i in range(len(left))]
        trees.append(TreeSpec(left=left, right=[int(v) for v in tj["right_children"]],
                              feature=[int(f) if left[i] != -1 else -1 for i, f in enumerate(tj["split_indices"])],
                              threshold=[float(np.float32(c)) if left[i] != -1 else 0.0
                                         for i, c in enumerate(tj["split_conditions"])],
                              value=value, lane=int(info[k]) if lanes > 1 else 0))
    # Base margin measured rather than parsed: the stored base_score's meaning varies by version.
    x0 = np.zeros((1, n_features), dtype=np.float32)
    margin = np.atleast_1d(booster.predict(xgb.DMatrix(x0), output_margin=True)[0]).astype(float)
    base = margin.copy()
    for t in trees:
        base[t.lane] -= t.value[t.leaf(x0[0], "lt")][0]
    return ModelSpec("xgb", "XGBClassifier", n_features, list(est.classes_), trees=trees, cmp="lt",
                     base=base.tolist())


# ---------------------------------------------------------------------- from JSON

def spec_from_dict(d: Any, source: str = "<model>") -> ModelSpec:
    """Validate our JSON export; every error names the file and field."""

    def fail(msg: str, fld: str | None = None) -> InputError:
        return InputError(f"{source}: {'field ' + repr(fld) + ': ' if fld else ''}{msg}")

    if not isinstance(d, dict):
        raise fail("expected a JSON object")
    if d.get("format") != SPEC_FORMAT:
        raise fail(f"expected {SPEC_FORMAT!r}, got {d.get('format')!r}", "format")
    kind = d.get("kind")
    if kind not in KINDS:
        raise fail(f"unsupported model kind {kind!r}; expected one of {', '.join(KINDS)}", "kind")
    nf = d.get("n_features")
    if not isinstance(nf, int) or isinstance(nf, bool) or nf < 1:
        raise fail("must be a positive integer", "n_features")
    classes = d.get("classes")
    if not isinstance(classes, list) or len(classes) < 2:
        raise fail("must be a list of at least 2 classes", "classes")
    spec = ModelSpec(kind, str(d.get("model", kind)), nf, classes, cmp=d.get("cmp", "le"))
    if spec.cmp not in ("le", "lt"):
        raise fail("must be 'le' or 'lt'", "cmp")
    if kind in ("dt", "rf", "xgb"):
        trees = d.get("trees")
        if not isinstance(trees, list) or not trees:
            raise fail("must be a non-empty list", "trees")
        for i, t in enumerate(trees):
            fld = f"trees[{i}]"
            if not isinstance(t, dict):
                raise fail("must be an object", fld)
            try:
                arrs = [list(t[k]) for k in ("left", "right", "feature", "threshold", "value")]
            except (KeyError, TypeError) as exc:
                raise fail(f"missing or not a list: {exc}", fld) from None
            n = len(arrs[0])
            if any(len(a) != n for a in arrs) or n == 0:
                raise fail("left/right/feature/threshold/value must have the same non-zero length", fld)
            for j in range(n):
                lj, rj = arrs[0][j], arrs[1][j]
                if lj == -1:
                    if not isinstance(arrs[4][j], list) or not arrs[4][j]:
                        raise fail(f"leaf {j} needs a non-empty value list", fld)
                else:
                    if not (0 < lj < n and 0 < rj < n):
                        raise fail(f"node {j} has children outside 0..{n - 1}", fld)
                    if not (0 <= arrs[2][j] < nf):
                        raise fail(f"node {j} tests feature {arrs[2][j]} outside 0..{nf - 1}", fld)
                    if not isinstance(arrs[3][j], (int, float)) or not math.isfinite(arrs[3][j]):
                        raise fail(f"node {j} threshold must be a finite number", fld)
            spec.trees.append(TreeSpec(*arrs, lane=t.get("lane")))
        if kind == "xgb":
            base = d.get("base")
            if not isinstance(base, list) or not base:
                raise fail("XGBoost specs need the per-lane base margin", "base")
            spec.base = [float(v) for v in base]
    elif kind == "nb":
        for k in ("theta", "var"):
            m = np.asarray(d.get(k), dtype=float) if isinstance(d.get(k), list) else None
            if m is None or m.shape != (len(classes), nf):
                raise fail(f"must be a {len(classes)} x {nf} matrix", k)
        if np.any(np.asarray(d["var"]) <= 0):
            raise fail("variances must be > 0", "var")
        lp = d.get("log_prior")
        if not isinstance(lp, list) or len(lp) != len(classes):
            raise fail(f"must be a list of {len(classes)} numbers", "log_prior")
        spec.theta, spec.var, spec.log_prior = d["theta"], d["var"], [float(v) for v in lp]
    else:
        scheme = d.get("scheme")
        rows = {"binary": 1, "ovr": len(classes), "ovo": len(classes) * (len(classes) - 1) // 2}
        if scheme not in rows:
            raise fail("must be binary, ovr or ovo", "scheme")
        coef = d.get("coef")
        if not isinstance(coef, list) or np.asarray(coef, dtype=float).shape != (rows[scheme], nf):
            raise fail(f"must be a {rows[scheme]} x {nf} matrix", "coef")
        icpt = d.get("intercept")
        if not isinstance(icpt, list) or len(icpt) != rows[scheme]:
            raise fail(f"must be a list of {rows[scheme]} numbers", "intercept")
        spec.coef, spec.intercept, spec.scheme = coef, [float(v) for v in icpt], scheme
    fr = d.get("feature_ranges")
    if fr is not None:
        if not isinstance(fr, list) or len(fr) != nf or any(
            not isinstance(r, list) or len(r) < 2
            or not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in r)
            or not (r[0] <= r[1]) for r in fr
        ):
            raise fail(f"must be {nf} lists [lo, hi, is_integer?, knots...] with lo <= hi", "feature_ranges")
        spec.feature_ranges = [[float(v) for v in r] for r in fr]
    return spec
