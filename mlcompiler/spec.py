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
KINDS = ("dt", "rf", "xgb", "nb", "svm", "bnb", "kmeans", "iforest", "bmlp")
#: Binarised MLP: at most this many hidden units (the decision table has 2^units entries).
MAX_HIDDEN_UNITS = 10
#: Hidden activations whose sign is a binary unit: value of a unit whose pre-activation is <= 0.
BINARY_LOW = {"tanh": -1.0, "logistic": 0.0}
#: Largest leaf value magnitude accepted: real models stay far below, and sums of up to 10^4 such
#: values must stay finite in float64 before they are scaled to the 64-bit lanes.
MAX_LEAF_VALUE = 1e30
#: Kinds compiled as tree ensembles (code + leaf + vote tables, mlcompiler.treemap).
TREE_KINDS = ("dt", "rf", "xgb", "iforest")


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
    #: BernoulliNB: log P(x_f = 1 | c) and log P(x_f = 0 | c) (rows: classes), the binarize threshold
    log_prob: list[list[float]] = field(default_factory=list)
    log_prob_neg: list[list[float]] = field(default_factory=list)
    binarize: float = 0.0
    #: k-means: cluster centres (rows: clusters = classes 0..k-1)
    centers: list[list[float]] = field(default_factory=list)
    #: isolation forest: leaves hold the path length h(x); inlier (class index 0) iff sum h >= this
    path_threshold: float = 0.0
    #: binarised MLP: hidden layer in coef/intercept (units x features), each unit reads as 1 when
    #: its pre-activation is > 0 else BINARY_LOW[hidden_act]; output layer rows = outputs x units
    out_coef: list[list[float]] = field(default_factory=list)
    out_intercept: list[float] = field(default_factory=list)
    hidden_act: str = "tanh"
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
        if self.kind == "bnb":
            xb = (X > self.binarize).astype(float)
            lp, ln = np.asarray(self.log_prob), np.asarray(self.log_prob_neg)
            return np.argmax(np.asarray(self.log_prior) + xb @ lp.T + (1 - xb) @ ln.T, axis=1)
        if self.kind == "kmeans":
            c = np.asarray(self.centers)
            return np.argmin(((X[:, None, :] - c[None]) ** 2).sum(axis=2), axis=1)
        if self.kind == "iforest":
            h = np.array([sum(t.value[t.leaf(x, "le")][0] for t in self.trees) for x in X])
            return np.where(h >= self.path_threshold, 0, 1)
        if self.kind == "bmlp":
            z = X @ np.asarray(self.coef).T + np.asarray(self.intercept)
            return np.array([self.mlp_decide(row > 0) for row in z])
        raise InputError(f"unknown model kind {self.kind!r}")

    def mlp_decide(self, positive: Sequence[bool]) -> int:
        """Binarised MLP: class index for one pattern of hidden-unit signs."""
        h = np.where(np.asarray(positive, dtype=bool), 1.0, BINARY_LOW[self.hidden_act])
        out = np.asarray(self.out_coef) @ h + np.asarray(self.out_intercept)
        return int(out[0] > 0) if len(out) == 1 else int(np.argmax(out))

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
        if self.kind == "bnb":
            d.update(log_prob=self.log_prob, log_prob_neg=self.log_prob_neg, log_prior=self.log_prior,
                     binarize=self.binarize)
        if self.kind == "kmeans":
            d["centers"] = self.centers
        if self.kind == "iforest":
            d["path_threshold"] = self.path_threshold
        if self.kind == "bmlp":
            d.update(coef=self.coef, intercept=self.intercept, out_coef=self.out_coef,
                     out_intercept=self.out_intercept, hidden_act=self.hidden_act)
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

SUPPORTED = ("DecisionTreeClassifier", "RandomForestClassifier", "GaussianNB", "LinearSVC", "SVC", "XGBClassifier",
             "BernoulliNB", "KMeans", "IsolationForest", "MLPClassifier")


def spec_from_estimator(est: Any, feature_ranges: list[list[float]] | None = None) -> ModelSpec:
    """Fitted sklearn / XGBoost classifier -> ModelSpec. Unsupported types raise InputError naming them."""
    name = type(est).__name__
    if name not in SUPPORTED:
        raise InputError(f"unsupported model type {name}; supported: {', '.join(SUPPORTED)}")
    if not hasattr(est, "classes_" if name not in ("KMeans", "IsolationForest") else "n_features_in_"):
        raise InputError(f"{name} is not fitted")
    if name != "MLPClassifier" and int(getattr(est, "n_outputs_", 1)) != 1:  # an MLP's = its output units
        raise InputError(f"{name} has {est.n_outputs_} outputs; multi-output models are not supported")
    try:
        spec = _spec_of(est, name)
    except (AttributeError, TypeError, ValueError, IndexError, KeyError) as exc:
        raise InputError(f"{name}: inconsistent fitted state ({type(exc).__name__}: {str(exc)[:120]})") from None
    spec.feature_ranges = feature_ranges
    # The same field-by-field checks as a JSON file: a tampered skops state gets no shortcut.
    return spec_from_dict(spec.to_dict(), source=name)


def _spec_of(est: Any, name: str) -> ModelSpec:
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
    elif name == "BernoulliNB":
        lp = np.asarray(est.feature_log_prob_, dtype=float)
        spec = ModelSpec("bnb", name, int(est.n_features_in_), list(est.classes_), log_prob=lp.tolist(),
                         log_prob_neg=np.log1p(-np.exp(lp)).tolist(), log_prior=est.class_log_prior_.tolist(),
                         # binarize=None: inputs are already 0/1, so any cut in (0, 1) reads them
                         binarize=0.5 if est.binarize is None else float(est.binarize))
    elif name == "KMeans":
        c = np.asarray(est.cluster_centers_, dtype=float)
        spec = ModelSpec("kmeans", name, int(est.n_features_in_), list(range(len(c))), centers=c.tolist())
    elif name == "IsolationForest":
        spec = _iforest_spec(est)
    elif name == "MLPClassifier":
        spec = _mlp_spec(est)
    else:
        raise InputError(f"unsupported model type {name}; supported: {', '.join(SUPPORTED)}")
    spec.classes = _jsonable_classes(spec.classes)
    return spec


def _mlp_spec(est: Any) -> ModelSpec:
    """MLPClassifier with one hidden layer, compiled with binary hidden units (sign of tanh, or
    step of logistic), as binarised networks in N3IC / Planter: per-feature tables add the hidden
    pre-activations, a ternary table on their signs holds the output layer's decision. This is an
    approximation of sklearn's real-valued activations; the accuracy loss is measured in tests."""
    if len(est.coefs_) != 2:
        raise InputError(f"MLPClassifier with {len(est.coefs_) - 1} hidden layers is not supported; "
                         "one hidden layer compiles (binarised)")
    if est.activation not in BINARY_LOW:
        raise InputError(f"MLPClassifier(activation={est.activation!r}) cannot be binarised; "
                         f"train with activation in {sorted(BINARY_LOW)}")
    if est.out_activation_ == "logistic" and len(est.classes_) > 2:
        raise InputError(f"MLPClassifier has {len(est.classes_)} outputs; multi-label models are not supported")
    W1, b1 = np.asarray(est.coefs_[0], dtype=float), np.asarray(est.intercepts_[0], dtype=float)
    W2, b2 = np.asarray(est.coefs_[1], dtype=float), np.asarray(est.intercepts_[1], dtype=float)
    if W1.shape[1] > MAX_HIDDEN_UNITS:
        raise InputError(f"MLPClassifier has {W1.shape[1]} hidden units; at most {MAX_HIDDEN_UNITS} compile "
                         f"(the sign-pattern table has 2^units entries)")
    return ModelSpec("bmlp", "MLPClassifier", int(est.n_features_in_), list(est.classes_), coef=W1.T.tolist(),
                     intercept=b1.tolist(), out_coef=W2.T.tolist(), out_intercept=b2.tolist(),
                     hidden_act=est.activation)


def _iforest_spec(est: Any) -> ModelSpec:
    """IsolationForest as a tree ensemble whose leaves hold sklearn's path length.

    sklearn: h(x) per tree = depth of x's leaf + c(n_samples of that leaf) (c = average path
    length of an unsuccessful BST search), score = -2^(-mean h / c(max_samples)), inlier iff
    score >= offset_. Equivalently inlier iff sum over trees of h >= T * -c(max_samples) *
    log2(-offset_): a sum of per-leaf values against a constant, which is what the vote lanes do.
    Classes: [1, -1] (inlier first, so a tie is an inlier, as in sklearn's ``>= 0``)."""
    from sklearn.ensemble._iforest import _average_path_length

    if est.offset_ >= 0:
        raise InputError(f"IsolationForest offset_ {est.offset_} must be < 0")
    trees = []
    for tree_est, feats in zip(est.estimators_, est.estimators_features_):
        t = tree_est.tree_
        left, right = t.children_left.tolist(), t.children_right.tolist()
        depth = [0] * t.node_count
        for i in range(t.node_count):
            for c in (left[i], right[i]):
                if c != -1:
                    depth[c] = depth[i] + 1
        h = (np.asarray(depth, dtype=float) + _average_path_length(t.n_node_samples)).tolist()
        trees.append(TreeSpec(left=left, right=right,
                              feature=[int(feats[f]) if left[i] != -1 else -1 for i, f in enumerate(t.feature)],
                              threshold=[float(v) for v in t.threshold],
                              value=[[h[i]] if left[i] == -1 else [] for i in range(t.node_count)]))
    c_psi = float(_average_path_length([est.max_samples_])[0])
    threshold = len(trees) * -c_psi * math.log2(-est.offset_)
    return ModelSpec("iforest", "IsolationForest", int(est.n_features_in_), [1, -1], trees=trees, cmp="le",
                     path_threshold=threshold)


def _sk_tree(est: Any) -> TreeSpec:
    t = est.tree_
    left = t.children_left.tolist()
    value = []
    for i in range(t.node_count):
        value.append(t.value[i][0].tolist() if left[i] == -1 else [])
    return TreeSpec(left=left, right=t.children_right.tolist(), feature=[int(f) if f >= 0 else -1 for f in t.feature],
                    threshold=[float(v) for v in t.threshold], value=value)


def _xgb_spec(est: Any) -> ModelSpec:
    """A fitted XGBClassifier through the same parser as XGBoost's JSON model files (one route)."""
    model = json.loads(est.get_booster().save_raw("json"))
    return spec_from_xgb_json(model, "XGBClassifier", classes=_jsonable_classes(list(est.classes_)))


#: XGBoost objectives whose decision is argmax / sign of the summed tree margins.
XGB_OBJECTIVES = ("binary:logistic", "binary:logitraw", "multi:softprob", "multi:softmax")


def spec_from_xgb_json(model: Any, source: str = "<xgboost model>", classes: list[Any] | None = None) -> ModelSpec:
    """XGBoost's own JSON model format (``booster.save_model("m.json")``) -> ModelSpec.

    WHY parse it ourselves: the alternative (a pickled / skops'd Booster) hands file content to
    libxgboost's loader; this is plain JSON read field by field, and the base margin comes from
    ``base_score`` (logit for binary:logistic, as XGBoost's ProbToMargin does; the stored value
    otherwise). Trees are validated like our own export (spec_from_dict), so cycles, bad child or
    feature indices and categorical splits are refused with the field named."""

    def fail(msg: str) -> InputError:
        return InputError(f"{source}: XGBoost model: {msg}")

    try:
        learner = model["learner"]
        gb = learner["gradient_booster"]
        name = gb.get("name")
        objective = learner["objective"]["name"]
        lmp = learner["learner_model_param"]
        n_features = int(lmp["num_feature"])
        num_class = int(lmp.get("num_class", "0"))
        num_target = int(lmp.get("num_target", "1"))
        raw_base = lmp.get("base_score", "0.5")
        trees_json = gb["model"]["trees"]
        info = gb["model"]["tree_info"]
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise fail(f"missing or malformed field ({type(exc).__name__}: {exc})") from None
    if name != "gbtree":
        raise fail(f"booster {name!r} is not supported; only gbtree compiles to tables")
    if objective not in XGB_OBJECTIVES:
        raise fail(f"objective {objective!r} is not supported; expected one of {', '.join(XGB_OBJECTIVES)}")
    if num_target != 1:
        raise fail(f"multi-output models (num_target={num_target}) are not supported")
    n_classes = num_class if num_class >= 2 else 2
    if objective.startswith("binary") and num_class > 1:
        raise fail(f"objective {objective} with num_class={num_class}")
    if objective.startswith("multi") and num_class < 2:
        raise fail(f"objective {objective} needs num_class >= 2")
    lanes = 1 if n_classes == 2 else n_classes
    try:
        base_vals = [float(v) for v in str(raw_base).strip("[]").split(",")]
    except ValueError:
        raise fail(f"base_score {raw_base!r} is not a number list") from None
    if len(base_vals) == 1:
        base_vals = base_vals * lanes
    if len(base_vals) != lanes or not all(math.isfinite(v) for v in base_vals):
        raise fail(f"base_score {raw_base!r}: expected {lanes} finite value(s)")
    if objective == "binary:logistic":
        if not all(0.0 < v < 1.0 for v in base_vals):
            raise fail(f"base_score {raw_base!r} must be a probability in (0, 1) for binary:logistic")
        base_vals = [math.log(v / (1.0 - v)) for v in base_vals]
    if not isinstance(trees_json, list) or not isinstance(info, list) or len(info) != len(trees_json) or not trees_json:
        raise fail("'trees' and 'tree_info' must be non-empty lists of the same length")
    trees = []
    for k, tj in enumerate(trees_json):
        try:
            left = tj["left_children"]
            if any(int(st) != 0 for st in tj.get("split_type", [])):
                raise fail(f"tree {k} has categorical splits; only numerical splits compile")
            n = len(left)
            leaf = [left[i] == -1 for i in range(n)]
            cond = tj["split_conditions"]
            trees.append({
                "left": left, "right": tj["right_children"],
                "feature": [tj["split_indices"][i] if not leaf[i] else -1 for i in range(n)],
                "threshold": [float(np.float32(cond[i])) if not leaf[i] else 0.0 for i in range(n)],
                "value": [[cond[i]] if leaf[i] else [] for i in range(n)],
                "lane": int(info[k]) if lanes > 1 else 0,
            })
        except InputError:
            raise
        except (KeyError, TypeError, ValueError, IndexError, OverflowError, AttributeError) as exc:
            raise fail(f"tree {k}: missing or malformed field ({type(exc).__name__}: {exc})") from None
    doc = {"format": SPEC_FORMAT, "kind": "xgb", "model": "XGBClassifier", "n_features": n_features,
           "classes": classes if classes is not None else list(range(n_classes)), "cmp": "lt",
           "trees": trees, "base": base_vals}
    return spec_from_dict(doc, source)


# ---------------------------------------------------------------------- from JSON

def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _matrix(v: Any, rows: int, cols: int) -> np.ndarray | None:
    """``v`` as a finite rows x cols float matrix, or None (ragged, wrong shape, non-numbers)."""
    if not isinstance(v, list) or len(v) != rows or not all(
            isinstance(r, list) and len(r) == cols and all(_is_num(x) for x in r) for r in v):
        return None
    return np.asarray(v, dtype=float).reshape(rows, cols)


def _check_tree(t: Any, nf: int, n_values: int, n_lanes: int, fail: Any, fld: str, weights: bool = True) -> TreeSpec:
    """One tree's arrays, checked so that every walk from the root ends at a leaf.

    WHY children must have larger indices than their parent and exactly one parent: that makes
    the node graph a tree (no cycle can hang the compiler, no shared subtree can multiply the
    leaf enumeration); sklearn and XGBoost both number nodes this way."""
    if not isinstance(t, dict):
        raise fail("must be an object", fld)
    arrs = [t.get(k) for k in ("left", "right", "feature", "threshold", "value")]
    if not all(isinstance(a, list) for a in arrs):
        raise fail("left/right/feature/threshold/value must all be lists", fld)
    left, right, feature, threshold, value = arrs
    n = len(left)
    if n == 0 or any(len(a) != n for a in arrs):
        raise fail("left/right/feature/threshold/value must have the same non-zero length", fld)
    parents = [0] * n
    feats, ths, vals = [-1] * n, [0.0] * n, [[] for _ in range(n)]
    for j in range(n):
        lj, rj = left[j], right[j]
        if not (_is_int(lj) and _is_int(rj)):
            raise fail(f"node {j}: children must be integers", fld)
        if lj == -1 or rj == -1:
            if lj != rj:
                raise fail(f"node {j}: a leaf has left == right == -1 (got {lj}, {rj})", fld)
            v = value[j]
            if not isinstance(v, list) or len(v) != n_values or not all(_is_num(x) for x in v):
                raise fail(f"leaf {j}: value must be {n_values} finite number(s)"
                           + (" (multi-output trees are not supported)" if isinstance(v, list) and v
                              and isinstance(v[0], list) else ""), fld)
            if any(abs(x) > MAX_LEAF_VALUE for x in v):
                raise fail(f"leaf {j}: value magnitude over {MAX_LEAF_VALUE:g}", fld)
            if weights and (any(x < 0 for x in v) or sum(v) <= 0):
                raise fail(f"leaf {j}: class weights must be >= 0 with a positive sum", fld)
            vals[j] = [float(x) for x in v]
            continue
        if not (j < lj < n and j < rj < n and lj != rj):
            raise fail(f"node {j} has children {lj}, {rj}: each must be a distinct index in {j + 1}..{n - 1} "
                       "(children come after their parent)", fld)
        parents[lj] += 1
        parents[rj] += 1
        if not _is_int(feature[j]) or not 0 <= feature[j] < nf:
            raise fail(f"node {j} tests feature {feature[j]!r} outside 0..{nf - 1}", fld)
        if not _is_num(threshold[j]):
            raise fail(f"node {j} threshold must be a finite number", fld)
        feats[j], ths[j] = feature[j], float(threshold[j])
    shared = [j for j in range(1, n) if parents[j] > 1]
    if shared:
        raise fail(f"node {shared[0]} has {parents[shared[0]]} parents; a tree node has one", fld)
    lane = t.get("lane")
    if n_lanes:
        if not _is_int(lane) or not 0 <= lane < n_lanes:
            raise fail(f"'lane' must be an integer in 0..{n_lanes - 1}", fld)
    elif lane is not None:
        raise fail("'lane' is only meaningful for XGBoost trees", fld)
    return TreeSpec(left=list(left), right=list(right), feature=feats, threshold=ths, value=vals, lane=lane)


def spec_from_dict(d: Any, source: str = "<model>") -> ModelSpec:
    """Validate our JSON export; every error names the file and field (one line, no traceback)."""

    def fail(msg: str, fld: str | None = None) -> InputError:
        return InputError(f"{source}: {'field ' + repr(fld) + ': ' if fld else ''}{msg}")

    if not isinstance(d, dict):
        raise fail("expected a JSON object")
    if d.get("format") != SPEC_FORMAT:
        raise fail(f"expected {SPEC_FORMAT!r}, got {str(d.get('format'))[:40]!r}", "format")
    kind = d.get("kind")
    if kind not in KINDS:
        raise fail(f"unsupported model kind {str(kind)[:40]!r}; expected one of {', '.join(KINDS)}", "kind")
    nf = d.get("n_features")
    if not _is_int(nf) or nf < 1:
        raise fail("must be a positive integer", "n_features")
    classes = d.get("classes")
    if not isinstance(classes, list) or len(classes) < 2:
        raise fail("must be a list of at least 2 classes", "classes")
    if not all(isinstance(c, (str, int, float, bool)) for c in classes):
        raise fail("classes must be strings or numbers (multi-output models are not supported)", "classes")
    if len({json.dumps(c) for c in classes}) != len(classes):
        raise fail("classes must be distinct", "classes")
    model_name = d.get("model", kind)
    spec = ModelSpec(kind, str(model_name)[:80], nf, classes, cmp=d.get("cmp", "le"))
    if spec.cmp not in ("le", "lt"):
        raise fail("must be 'le' or 'lt'", "cmp")
    nc = len(classes)
    if kind in TREE_KINDS:
        trees = d.get("trees")
        if not isinstance(trees, list) or not trees:
            raise fail("must be a non-empty list", "trees")
        if kind == "dt" and len(trees) != 1:
            raise fail("a decision tree has exactly one tree", "trees")
        lanes = (1 if nc == 2 else nc) if kind == "xgb" else 0
        width = 1 if kind in ("xgb", "iforest") else nc
        for i, t in enumerate(trees):
            spec.trees.append(_check_tree(t, nf, width, lanes, fail, f"trees[{i}]", weights=kind in ("dt", "rf")))
        if kind == "iforest":
            if classes != [1, -1]:
                raise fail("an isolation forest's classes are [1, -1] (inlier, outlier)", "classes")
            if not _is_num(d.get("path_threshold")):
                raise fail("must be a finite number", "path_threshold")
            spec.path_threshold = float(d["path_threshold"])
        if kind == "xgb":
            base = d.get("base")
            if not isinstance(base, list) or len(base) != lanes or not all(_is_num(v) for v in base):
                raise fail(f"XGBoost specs need the per-lane base margin ({lanes} finite numbers)", "base")
            spec.base = [float(v) for v in base]
    elif kind == "nb":
        for k in ("theta", "var"):
            if _matrix(d.get(k), nc, nf) is None:
                raise fail(f"must be a {nc} x {nf} matrix of finite numbers", k)
        if np.any(np.asarray(d["var"], dtype=float) <= 0):
            raise fail("variances must be > 0", "var")
        lp = d.get("log_prior")
        if not isinstance(lp, list) or len(lp) != nc or not all(_is_num(v) for v in lp):
            raise fail(f"must be a list of {nc} finite numbers", "log_prior")
        spec.theta, spec.var, spec.log_prior = d["theta"], d["var"], [float(v) for v in lp]
    elif kind == "bnb":
        for k in ("log_prob", "log_prob_neg"):
            m = _matrix(d.get(k), nc, nf)
            if m is None or np.any(m > 0):
                raise fail(f"must be a {nc} x {nf} matrix of log-probabilities (finite, <= 0)", k)
        lp = d.get("log_prior")
        if not isinstance(lp, list) or len(lp) != nc or not all(_is_num(v) for v in lp):
            raise fail(f"must be a list of {nc} finite numbers", "log_prior")
        if not _is_num(d.get("binarize")):
            raise fail("must be a finite number", "binarize")
        spec.log_prob, spec.log_prob_neg = d["log_prob"], d["log_prob_neg"]
        spec.log_prior, spec.binarize = [float(v) for v in lp], float(d["binarize"])
    elif kind == "bmlp":
        hidden = d.get("coef")
        units = len(hidden) if isinstance(hidden, list) else 0
        if not 1 <= units <= MAX_HIDDEN_UNITS or _matrix(hidden, units, nf) is None:
            raise fail(f"must be a units x {nf} matrix of finite numbers, 1..{MAX_HIDDEN_UNITS} units", "coef")
        icpt = d.get("intercept")
        if not isinstance(icpt, list) or len(icpt) != units or not all(_is_num(v) for v in icpt):
            raise fail(f"must be a list of {units} finite numbers", "intercept")
        outs = 1 if nc == 2 else nc
        if _matrix(d.get("out_coef"), outs, units) is None:
            raise fail(f"must be a {outs} x {units} matrix of finite numbers", "out_coef")
        oi = d.get("out_intercept")
        if not isinstance(oi, list) or len(oi) != outs or not all(_is_num(v) for v in oi):
            raise fail(f"must be a list of {outs} finite numbers", "out_intercept")
        if not isinstance(d.get("hidden_act"), str) or d["hidden_act"] not in BINARY_LOW:
            raise fail(f"must be one of {', '.join(sorted(BINARY_LOW))}", "hidden_act")
        spec.coef, spec.intercept, spec.out_coef = hidden, [float(v) for v in icpt], d["out_coef"]
        spec.out_intercept, spec.hidden_act = [float(v) for v in oi], d["hidden_act"]
    elif kind == "kmeans":
        if _matrix(d.get("centers"), nc, nf) is None:
            raise fail(f"must be a {nc} x {nf} matrix of finite numbers (one row per cluster = class)", "centers")
        spec.centers = d["centers"]
    else:
        scheme = d.get("scheme")
        rows = {"binary": 1, "ovr": nc, "ovo": nc * (nc - 1) // 2}
        if not isinstance(scheme, str) or scheme not in rows:
            raise fail("must be binary, ovr or ovo", "scheme")
        if (scheme == "binary") != (nc == 2):
            raise fail(f"scheme {scheme!r} does not fit {nc} classes", "scheme")
        if _matrix(d.get("coef"), rows[scheme], nf) is None:
            raise fail(f"must be a {rows[scheme]} x {nf} matrix of finite numbers", "coef")
        icpt = d.get("intercept")
        if not isinstance(icpt, list) or len(icpt) != rows[scheme] or not all(_is_num(v) for v in icpt):
            raise fail(f"must be a list of {rows[scheme]} finite numbers", "intercept")
        spec.coef, spec.intercept, spec.scheme = d["coef"], [float(v) for v in icpt], scheme
    fr = d.get("feature_ranges")
    if fr is not None:
        if not isinstance(fr, list) or len(fr) != nf or any(
            not isinstance(r, list) or len(r) < 2 or not all(_is_num(v) for v in r) or not (r[0] <= r[1]) for r in fr
        ):
            raise fail(f"must be {nf} lists [lo, hi, is_integer?, knots...] with lo <= hi", "feature_ranges")
        spec.feature_ranges = [[float(v) for v in r] for r in fr]
    return spec
