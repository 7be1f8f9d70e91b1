"""ModelSpec -> compiled program (logical table entries) + omniplan Task (MAT DAG with costs).

Encodings (after Planter):

* Quantisation: feature ``i`` travels as ``q = clip(floor(interp(x, kx_i, kq_i) + 0.5), 0, 65535)``;
  the program stores the knots ``kx``/``kq`` (see Quantizer): training-data quantiles (or
  model-derived ranges) plus a 5% margin on each side map onto 0..65535.
* Trees (DT / RF / XGBoost), encode-based: per-feature RANGE tables map ``q`` to a code word for
  the index of its interval among the model's thresholds on that feature (thermometer code, ``m``
  bits for ``m`` thresholds, while the header's code region has room: one ternary pattern per
  interval; else binary, ``bit_length(m)`` bits, intervals split into prefixes); per-tree TERNARY
  leaf tables match the code words (a leaf = the cross product of its features' patterns); a
  vote table takes
  the argmax of per-class lanes (RF: quantised leaf probabilities; XGBoost: quantised leaf margins).
  A single decision tree's leaves set the label directly.
* GaussianNB / linear SVM, lookup-based: per-feature RANGE tables add, per class lane, the
  quantised log-likelihood / ``w_k * x`` at the centre of the bin holding ``q``; an argmax table
  decides (SVC one-vs-one: a ternary table on the lanes' sign bits replays libsvm's vote).

Lanes are unsigned 64-bit: per-table minima are subtracted and the leftover constants folded into
one table (argmax is shift-invariant; sign lanes get a 2^63-1 bias), and the score scale is chosen
so no lane can overflow. Everything is exact integer arithmetic, so replay, twin and switch agree.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np

from mlcompiler import cost
from mlcompiler.spec import TREE_KINDS, ModelSpec, _jsonable_classes, ovo_vote
from mlcompiler.treemap import TreePlan, choose, code_fields, emit_trees, plan_trees, range_to_prefixes  # noqa: F401
from omniplan.errors import InputError
from omniplan.workload import MAT, Dependency, Task
from p4src import features as pktfeat
from p4src import layout

PROGRAM_FORMAT = "omniplan-mlprogram/1"
QMAX = layout.FEATURE_MAX
#: Lookup models: at most this many bins per feature table (integer features: one per value).
DEFAULT_BINS = 256
#: Score scale targets: every lane total stays below 2^63 (sign lanes: |d| < 2^62).
SCORE_BOUND = 2 ** 61
#: Entries one stage table of inml.p4 holds (its STAGE_TABLE_SIZE; a test checks the P4Info):
#: a MAT is one stage table, so a bigger one cannot be placed anywhere.
STAGE_TABLE_ENTRIES = 65536
#: Default cap on a program's total entries. WHY 10^6: ~50 bytes of workload JSON and ~1 kB of
#: compiler/twin memory per entry, so a million entries is ~50 MB on disk and ~1 GB in memory,
#: and it is already 15 full stage tables; beyond it a model should be shrunk, not deployed.
DEFAULT_MAX_ENTRIES = 1_000_000
#: Workload task kind of the model kinds the workload format predates (its TASK_KINDS): the
#: planner sizes them by their MATs alone; the kind only labels the family.
TASK_KIND = {"bnb": "nb", "kmeans": "other", "iforest": "rf", "bmlp": "other"}
SIGN_BIAS = 2 ** 63 - 1
MAX_OVO_PAIRS = 10


@dataclass(frozen=True)
class Quantizer:
    """Per feature a monotone piecewise-linear map from x to 0..65535 through knots (kx -> kq).

    With data, the knots are training quantiles, each quantile segment getting an equal share of
    the 16-bit code space, so heavy-tailed features (bytes, timings) keep resolution where the
    data is; without, two knots (linear). Hosts quantise with the same knots (np.interp)."""

    kx: tuple[tuple[float, ...], ...]
    kq: tuple[tuple[float, ...], ...]
    integer: tuple[bool, ...]
    #: per feature: q = x exactly (packet features, already 16-bit integers); thresholds cut at
    #: floor(t) so integer inputs split exactly as in the float model
    exact: tuple[bool, ...] = ()

    def qf(self, x: float, i: int) -> float:
        return float(np.interp(x, self.kx[i], self.kq[i]))

    def q(self, X: np.ndarray) -> np.ndarray:
        X = np.atleast_2d(np.asarray(X, dtype=float))
        out = np.empty(X.shape, dtype=np.int64)
        for i in range(X.shape[1]):
            out[:, i] = np.clip(np.floor(np.interp(X[:, i], self.kx[i], self.kq[i]) + 0.5), 0, QMAX)
        return out

    def x(self, q: float, i: int) -> float:
        return float(np.interp(q, self.kq[i], self.kx[i]))

    def to_dict(self) -> dict[str, Any]:
        return {"bits": layout.FEATURE_BITS, "kx": [list(k) for k in self.kx], "kq": [list(k) for k in self.kq]}


#: Interior quantile knots ranges_from_data records per feature.
N_QUANTILES = 32


def ranges_from_data(X: np.ndarray) -> list[list[float]]:
    """Per column of the training data: [lo, hi, is_integer, interior quantile knots...]."""
    X = np.asarray(X, dtype=float)
    out = []
    for col in X.T:
        inner = np.quantile(col, np.linspace(0, 1, N_QUANTILES + 1)[1:-1]).tolist()
        out.append([float(col.min()), float(col.max()), float(bool(np.all(col == np.round(col)))), *inner])
    return out


def exact_quantizer(n_features: int) -> Quantizer:
    """Identity quantisation for features that already are 16-bit integers (packet features):
    the switch matches the field's own value, so nothing is lost and nothing needs ranges."""
    k = (0.0, float(QMAX))
    return Quantizer((k,) * n_features, (k,) * n_features, (True,) * n_features, (True,) * n_features)


def make_quantizer(spec: ModelSpec, ranges: Sequence[Sequence[float]] | None = None) -> Quantizer:
    """Knots per feature from ``[lo, hi]`` or ``[lo, hi, is_integer, interior knots...]``.

    * Float features: a 5% margin beyond lo/hi; with interior knots (training quantiles, as
      ranges_from_data writes them) each quantile segment gets an equal share of the 16-bit code
      space, else the map is linear.
    * Values that fit the field exactly are never merged: when the feature is flagged integer, or
      a plain ``[lo, hi]`` pair has integer bounds, and ``hi - lo <= 65535``, the margin shrinks
      so that every segment's slope is >= 1 code per unit: distinct integers get distinct codes
      (ports 80 and 81 stay apart; a 16-bit field over [0, 65535] maps onto itself). Integer
      features with interior knots spread the codes left over by quantile, keeping slope >= 1.
    * Integer features spanning at most DEFAULT_BINS values stay linear (one lookup bin per value).
    """
    ranges = ranges if ranges is not None else spec.feature_ranges
    if ranges is None:
        ranges = _model_ranges(spec)
    if len(ranges) != spec.n_features:
        raise InputError(f"feature ranges: got {len(ranges)}, the model has {spec.n_features} features")
    kxs, kqs, integer = [], [], []
    for i, r in enumerate(ranges):
        lo, hi = float(r[0]), float(r[1])
        if not (math.isfinite(lo) and math.isfinite(hi)) or lo > hi:
            raise InputError(f"feature {i}: range [{lo}, {hi}] is not a finite interval")
        is_int = bool(r[2]) if len(r) > 2 else False
        exact = (is_int or (len(r) == 2 and lo.is_integer() and hi.is_integer())) and hi - lo <= QMAX
        span = hi - lo if hi > lo else max(1.0, abs(lo))
        margin = 0.05 * span
        if exact:
            margin = min(margin, (QMAX - (hi - lo)) / 2)
        lo2, hi2 = lo - margin, hi + margin
        inner = [float(v) for v in r[3:]] if not (is_int and hi - lo + 1 <= DEFAULT_BINS) else []
        pts = sorted({lo, hi, *[v for v in inner if lo < v < hi and math.isfinite(v)]})
        kx = [lo2, hi2] if len(pts) <= 2 else [lo2, *pts, hi2]
        kx = [v for j, v in enumerate(kx) if j == 0 or v > kx[j - 1]] if len(kx) > 2 else kx
        if exact and len(kx) > 2:
            # each segment: its own width in codes (slope 1) plus an equal share of the rest
            dx = np.diff(kx)
            extra = (QMAX - (kx[-1] - kx[0])) / len(dx)
            kq = np.concatenate([[0.0], np.cumsum(dx + extra)])
            kq[-1] = QMAX
        else:
            kq = np.linspace(0, QMAX, len(kx))
        kxs.append(tuple(kx))
        kqs.append(tuple(float(v) for v in kq))
        integer.append(is_int)
    return Quantizer(tuple(kxs), tuple(kqs), tuple(integer))


def _model_ranges(spec: ModelSpec) -> list[list[float]]:
    """Ranges the model itself implies, when no data ranges were given (trees, NB)."""
    if spec.kind in TREE_KINDS:
        lo = [math.inf] * spec.n_features
        hi = [-math.inf] * spec.n_features
        for t in spec.trees:
            for f, th, l in zip(t.feature, t.threshold, t.left):
                if l != -1:
                    lo[f], hi[f] = min(lo[f], th), max(hi[f], th)
        return [[a, b] if a <= b else [0.0, 1.0] for a, b in zip(lo, hi)]
    if spec.kind == "nb":
        th, sd = np.asarray(spec.theta), np.sqrt(np.asarray(spec.var))
        return [[float(v), float(w)] for v, w in zip((th - 4 * sd).min(0), (th + 4 * sd).max(0))]
    if spec.kind == "bnb":
        return [[spec.binarize - 1.0, spec.binarize + 1.0]] * spec.n_features
    raise InputError(f"{spec.model} needs feature ranges for quantisation (pass --ranges or export with data ranges)")


# ---------------------------------------------------------------------- helpers

def _cut(th: float, f: int, cmp: str, quant: Quantizer, *, on_value: bool = False) -> int:
    """Largest q that goes left. The threshold is quantised like a feature value, ``u = qf(t)``,
    and falls into code ``c = round(u)``, whose bin [c - 0.5, c + 0.5) holds values of both sides.

    * XGBoost (``x < t``; it splits on data values): ``T = c - 1``, so a value equal to the
      threshold always goes right;
    * sklearn (``x <= t``; thresholds are midpoints between data values): the bin goes to the
      side holding more of it (``T = c`` if ``u >= c`` else ``c - 1``), so two values one or more
      codes apart always land on their own sides (integer fields compile exactly: 80 and 81
      around t = 80.5 stay apart even when u = 80.5 rounds up).

    * ``on_value`` (``x <= t`` where t is itself a data value, e.g. BernoulliNB's binarize):
      ``T = c``, so the value equal to the threshold goes left.

    * exact features (packet fields: q = x, integers): ``x <= t`` iff ``q <= floor(t)``,
      ``x < t`` iff ``q <= ceil(t) - 1``.

    Rounding is monotone, so only values within one quantisation step of ``t`` can flip."""
    if quant.exact and quant.exact[f]:
        T = math.floor(th) if cmp == "le" else math.ceil(th) - 1
        return max(-1, min(QMAX, T))
    u = quant.qf(th, f)
    c = math.floor(u + 0.5)
    if cmp == "le":
        T = c if (on_value or u >= c) else c - 1
    else:
        T = c - 1
    return max(-1, min(QMAX, T))


# ---------------------------------------------------------------------- trees

def tree_cut_fn(spec: ModelSpec, quant: Quantizer) -> Callable[[int, int], int]:
    """cut(tree, node) -> the node's q-space cut (see _cut), precomputed for every split node."""
    cuts = [[_cut(th, f, spec.cmp, quant) if l != -1 else 0 for f, th, l in zip(t.feature, t.threshold, t.left)]
            for t in spec.trees]
    return lambda k, node: cuts[k][node]


def plan_tree_mappings(spec: ModelSpec, quant: Quantizer) -> dict[str, TreePlan]:
    """Both tree mappings of ``spec`` (see mlcompiler.treemap), sized but not built."""
    return plan_trees(spec.trees, tree_cut_fn(spec, quant), voted=spec.kind != "dt")


def _tree_lanes(spec: ModelSpec) -> int:
    n_cls = spec.n_classes
    lanes = 0 if spec.kind == "dt" else n_cls if spec.kind in ("rf", "iforest") else (2 if n_cls == 2 else n_cls)
    if lanes > layout.NUM_LANES:
        raise InputError(f"{spec.model}: {lanes} classes need {lanes} lanes, the inml header carries {layout.NUM_LANES}")
    return lanes


# ---------------------------------------------------------------------- lookup models

def _bins(quant: Quantizer, f: int, lo: float, hi: float, n_bins: int) -> list[tuple[int, int, float]]:
    """(q_lo, q_hi, representative x) bins covering 0..QMAX for feature ``f``: one per integer
    value for small-range integer features, else ``n_bins`` equal slices of the code space
    (equal-mass-ish bins, as the knots are data quantiles) represented by their centre."""
    out = []
    if quant.integer[f] and hi - lo + 1 <= n_bins:
        centers = np.arange(math.floor(lo), math.ceil(hi) + 1, dtype=float)
        qedges = [0] + [_cut(c + 0.5, f, "le", quant) + 1 for c in centers[:-1]] + [QMAX + 1]
        for i, c in enumerate(centers):
            if qedges[i] <= qedges[i + 1] - 1:
                out.append((qedges[i], qedges[i + 1] - 1, float(c)))
        return out
    qedges = np.linspace(0, QMAX + 1, n_bins + 1).round().astype(int)
    for i in range(n_bins):
        qlo, qhi = int(qedges[i]), int(qedges[i + 1]) - 1
        if qlo <= qhi:
            out.append((qlo, qhi, quant.x((qlo + qhi) / 2, f)))
    return out


def _compile_lookup(spec: ModelSpec, quant: Quantizer, ranges: Sequence[Sequence[float]], n_bins: int) -> dict[str, Any]:
    n_cls, F = spec.n_classes, spec.n_features
    if spec.kind == "nb":
        th, va = np.asarray(spec.theta, dtype=float), np.asarray(spec.var, dtype=float)
        lanes, sign = n_cls, False
        const = np.asarray(spec.log_prior, dtype=float) - 0.5 * np.sum(np.log(2 * np.pi * va), axis=1)

        def contrib(f: int, x: float) -> np.ndarray:
            return -0.5 * (x - th[:, f]) ** 2 / va[:, f]
    elif spec.kind == "bnb":  # x_f binarised at the table's one cut: log P(x_f = bit | c)
        lp, ln = np.asarray(spec.log_prob, dtype=float), np.asarray(spec.log_prob_neg, dtype=float)
        lanes, sign, const = n_cls, False, np.asarray(spec.log_prior, dtype=float)

        def contrib(f: int, bit: float) -> np.ndarray:
            return lp[:, f] if bit else ln[:, f]
    elif spec.kind == "bmlp":  # hidden pre-activations in sign lanes, the output layer in the vote table
        W, lanes, sign, const = np.asarray(spec.coef, dtype=float), len(spec.coef), True, np.asarray(spec.intercept)

        def contrib(f: int, x: float) -> np.ndarray:
            return W[:, f] * x
    elif spec.kind == "kmeans":  # nearest centre = argmax of minus the squared distance
        centers = np.asarray(spec.centers, dtype=float)
        lanes, sign, const = len(centers), False, np.zeros(len(centers))

        def contrib(f: int, x: float) -> np.ndarray:
            return -((x - centers[:, f]) ** 2)
    else:
        W, b = np.asarray(spec.coef, dtype=float), np.asarray(spec.intercept, dtype=float)
        if spec.scheme == "binary":  # lane 0: constant 0 score; lane 1: the decision value
            W, b = np.vstack([np.zeros(F), W]), np.concatenate([[0.0], b])
        lanes, sign = W.shape[0], spec.scheme == "ovo"
        if sign and lanes > MAX_OVO_PAIRS:
            raise InputError(
                f"SVC(kernel='linear') with {n_cls} classes needs {lanes} one-vs-one sign lanes; "
                f"at most {MAX_OVO_PAIRS} compile (use LinearSVC, one-vs-rest)"
            )
        const = b

        def contrib(f: int, x: float) -> np.ndarray:
            return W[:, f] * x
    if lanes > layout.NUM_LANES:
        raise InputError(f"{spec.model}: {lanes} lanes needed, the inml header carries {layout.NUM_LANES}")

    with np.errstate(over="ignore", invalid="ignore"):  # overflow is caught as a non-finite bound
        rng = [(float(r[0]), float(r[1])) for r in ranges]
        tables = []
        for f in range(F):
            if spec.kind == "bnb":
                T = _cut(spec.binarize, f, "le", quant, on_value=True)  # x <= binarize reads as 0
                bins = [b for b in ((0, T, 0.0), (T + 1, QMAX, 1.0)) if 0 <= b[0] <= b[1] <= QMAX]
            else:
                bins = _bins(quant, f, rng[f][0], rng[f][1], n_bins)
            tables.append([(qlo, qhi, contrib(f, x)) for qlo, qhi, x in bins])
        bound = np.abs(const) + sum(np.max([np.abs(c) for _, _, c in tab], axis=0) for tab in tables)
    if not np.all(np.isfinite(bound)):
        raise InputError(f"{spec.model}: a class score is not finite over the feature ranges "
                         "(parameters too large or variances too small to quantise)")
    S = SCORE_BOUND / max(float(np.max(bound)), 1e-12)
    total_const = np.round(const * S).astype(np.int64)
    qtables = []
    for tab in tables:
        qv = [(qlo, qhi, np.round(c * S).astype(np.int64)) for qlo, qhi, c in tab]
        mn = np.min([v for _, _, v in qv], axis=0)
        total_const = total_const + mn
        qtables.append([(qlo, qhi, v - mn) for qlo, qhi, v in qv])
    # Python ints: a positive constant plus the 2^63 - 1 sign bias does not fit int64.
    fold = [int(c) + SIGN_BIAS for c in total_const] if sign else [int(c - total_const.min()) for c in total_const]
    mats = []
    for f, tab in enumerate(qtables):
        entries: list[list[Any]] = []
        for qlo, qhi, v in tab:
            vec = [int(a) + b for a, b in zip(v, fold)] if f == 0 else [int(a) for a in v]
            if entries and entries[-1][2] == vec and entries[-1][1] + 1 == qlo:
                entries[-1][1] = qhi  # merge equal neighbours
            else:
                entries.append([qlo, qhi, vec])
        mats.append({"name": f"f{f}", "op": "add_feature", "feature": f, "entries": entries})
    if sign:
        votes = []
        for pattern in range(1 << lanes):
            positive = [bool(pattern >> p & 1) for p in range(lanes)]
            label = spec.mlp_decide(positive) if spec.kind == "bmlp" else ovo_vote(positive, n_cls)
            votes.append([pattern, (1 << lanes) - 1, label])
        mats.append({"name": "vote", "op": "sign_vote", "pairs": lanes, "entries": votes})
    else:
        mats.append({"name": "argmax", "op": "argmax", "lanes": lanes})
    return {"codes": [], "lanes": lanes, "mats": mats}


# ---------------------------------------------------------------------- program + task

def _size_error(model: str, entries: int, largest: int, max_entries: int, how: str) -> str | None:
    """Why a program of this size cannot be deployed (None if it can)."""
    if largest > STAGE_TABLE_ENTRIES:
        return (f"{model}: one table of the {how} needs {largest:,} entries; inml.p4's stage tables hold "
                f"{STAGE_TABLE_ENTRIES:,} (use fewer/shallower trees)")
    if entries > max_entries:
        return (f"{model}: the {how} needs {entries:,} table entries, over the limit of {max_entries:,} "
                "(--max-entries; use fewer/shallower trees)")
    return None


def compile_program(spec: ModelSpec, ranges: Sequence[Sequence[float]] | None = None, *, n_bins: int = DEFAULT_BINS,
                    mapping: str = "auto", max_entries: int = DEFAULT_MAX_ENTRIES,
                    packet_features: Sequence[str] | None = None) -> dict[str, Any]:
    """The logical table entries of ``spec`` (JSON-serialisable), with quantisation and layout.

    Tree models: both mappings (mlcompiler.treemap) are sized first; ``mapping="auto"`` picks
    among those that fit (treemap.choose: shared unless it needs > 4x the entries); a model whose mapping
    exceeds ``max_entries`` or a stage table (STAGE_TABLE_ENTRIES) is refused before any entry
    is built. ``program["mapping"]`` names the mapping used, ``program["mappings"]`` sizes both.

    ``packet_features``: the model's features by catalogue name (p4src/features.py), in column
    order; the switch then computes them from the packet's headers and flow state (no host-side
    quantisation: the 16-bit values are matched exactly) and the program records their slots.
    """
    if spec.n_features > layout.NUM_FEATURES:
        raise InputError(f"{spec.model} has {spec.n_features} features; the inml header carries {layout.NUM_FEATURES}")
    extra: dict[str, Any] = {}
    if packet_features is not None:
        if len(packet_features) != spec.n_features:
            raise InputError(f"{spec.model} has {spec.n_features} features; {len(packet_features)} packet feature names given")
        try:
            extra = {"packet_features": list(packet_features), "slots": pktfeat.slots_of(packet_features)}
        except ValueError as exc:
            raise InputError(str(exc)) from None
        quant = exact_quantizer(spec.n_features)
        ranges = [[0.0, float(QMAX), 1.0]] * spec.n_features
    else:
        ranges = ranges if ranges is not None else (spec.feature_ranges or _model_ranges(spec))
        quant = make_quantizer(spec, ranges)
    if spec.kind in TREE_KINDS:
        lanes = _tree_lanes(spec)
        plans = plan_tree_mappings(spec, quant)
        candidates = plans if mapping == "auto" else {mapping: choose(plans, mapping)}
        fits = {k: p for k, p in candidates.items()
                if _size_error(spec.model, p.entries, p.largest_table, max_entries, "") is None}
        plan = choose(fits or candidates, "auto")
        why = _size_error(spec.model, plan.entries, plan.largest_table, max_entries, f"{plan.mapping} mapping")
        if why:
            raise InputError(why)
        body = emit_trees(spec, plan, lanes)
        mapping_info = {"mapping": plan.mapping, "mappings": {k: p.summary() for k, p in plans.items()}}
    else:
        body = _compile_lookup(spec, quant, ranges, n_bins)
        sizes = [len(m.get("entries", ())) or 1 for m in body["mats"]]
        why = _size_error(spec.model, sum(sizes), max(sizes), max_entries, "lookup mapping")
        if why:
            raise InputError(why)
        mapping_info = {"mapping": "lookup"}
    return {
        "format": PROGRAM_FORMAT,
        "model": spec.model,
        "kind": spec.kind,
        "n_features": spec.n_features,
        "classes": _jsonable_classes(spec.classes),
        "quant": quant.to_dict(),
        **extra,
        **body,
        **mapping_info,
    }


def task_from_program(program: dict[str, Any], name: str, **task_kw: Any) -> Task:
    """The planner's view of a compiled program: MAT costs and dependency bits (see mlcompiler.cost).

    Grouped tree mappings re-use the code region: every code table of group g+1 also depends
    (0 bits, ordering only) on every leaf table of group g, which must read the region first."""
    fields = code_fields(program)
    lanes = program["lanes"]
    lane_bits = lanes * layout.LANE_BITS
    mats: list[MAT] = []
    deps: list[Dependency] = []
    code_mats: dict[tuple[int, int], str] = {}
    leaf_mats: dict[int, list[str]] = {}
    names = [m["name"] for m in program["mats"]]
    for m in program["mats"]:
        op, n, g = m["op"], m["name"], int(m.get("group", 0))
        if op == "code":
            w = fields[(g, m["feature"])][1]
            mats.append(_mat(n, len(m["entries"]), layout.FEATURE_BITS, w, "range", phv=layout.FEATURE_BITS + w))
            code_mats[(g, m["feature"])] = n
            deps.extend(Dependency(leaf, n, 0) for leaf in leaf_mats.get(g - 1, ()))
        elif op == "add_feature":
            mats.append(_mat(n, len(m["entries"]), layout.FEATURE_BITS, lane_bits, "range", phv=layout.FEATURE_BITS + lane_bits))
        elif op == "leaf":
            feats = sorted({p[0] for e in m["entries"] for p in e[0]})
            key = sum(fields[(g, f)][1] for f in feats)
            out_bits = layout.LABEL_BITS if (m["entries"] and m["entries"][0][1] == "label") else lane_bits
            mats.append(_mat(n, len(m["entries"]), key, out_bits, "ternary" if key else "exact", phv=key + out_bits))
            for f in feats:
                deps.append(Dependency(code_mats[(g, f)], n, fields[(g, f)][1]))
            leaf_mats.setdefault(g, []).append(n)
        elif op == "argmax":
            st = max(1, math.ceil(math.log2(max(2, m["lanes"]))))
            mats.append(_mat(n, 1, 0, 8, "exact", phv=lane_bits + layout.LABEL_BITS, stages=st))
            for other in names:
                if other != n:
                    deps.append(Dependency(other, n, lane_bits))
        elif op == "sign_vote":
            mats.append(_mat(n, len(m["entries"]), m["pairs"], layout.LABEL_BITS, "ternary", phv=lane_bits + layout.LABEL_BITS))
            for other in names:
                if other != n:
                    deps.append(Dependency(other, n, lane_bits))
        else:
            raise InputError(f"program MAT {n}: unknown op {op!r}")
    if program["kind"] in ("rf", "xgb", "iforest"):  # only trees feed the vote
        code_names = set(code_mats.values())
        deps = [d for d in deps if not (d.dst == "vote" and d.src in code_names)]
    kind = TASK_KIND.get(program["kind"], program["kind"])
    return Task(name=name, kind=kind, mats=tuple(mats), deps=tuple(deps), program=program, **task_kw)


def _mat(name: str, entries: int, key_bits: int, action_bits: int, kind: str, *, phv: int, stages: int = 1) -> MAT:
    return MAT(name=name, sram_bits=cost.sram_bits(entries, key_bits, action_bits, kind),
               tcam_bits=cost.tcam_bits(entries, key_bits, kind), stages=stages, phv_bits=phv,
               entries=entries, key_bits=key_bits, match_kind=kind)


def compile_model(spec: ModelSpec, name: str, ranges: Sequence[Sequence[float]] | None = None, *,
                  n_bins: int = DEFAULT_BINS, mapping: str = "auto", max_entries: int = DEFAULT_MAX_ENTRIES,
                  packet_features: Sequence[str] | None = None, **task_kw: Any) -> Task:
    """ModelSpec -> Task carrying its program: the one call the CLI and benchmarks use."""
    program = compile_program(spec, ranges, n_bins=n_bins, mapping=mapping, max_entries=max_entries,
                              packet_features=packet_features)
    return task_from_program(program, name, **task_kw)
