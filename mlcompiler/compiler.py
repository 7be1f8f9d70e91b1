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

import itertools
import math
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from mlcompiler import cost
from mlcompiler.spec import ModelSpec, TreeSpec, _jsonable_classes, ovo_vote
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
    """Knots from [lo, hi, is_integer?, interior knots...] per feature; 5% margin beyond lo/hi.
    Integer features spanning at most DEFAULT_BINS values stay linear (one lookup bin per value)."""
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
        span = hi - lo if hi > lo else max(1.0, abs(lo))
        lo2, hi2 = lo - 0.05 * span, hi + 0.05 * span
        inner = [float(v) for v in r[3:]] if not (is_int and hi - lo + 1 <= DEFAULT_BINS) else []
        pts = sorted({lo, hi, *[v for v in inner if lo < v < hi and math.isfinite(v)]})
        if len(pts) <= 2:
            kx = [lo2, hi2]
        else:
            kx = [lo2, *pts, hi2]
        kxs.append(tuple(kx))
        kqs.append(tuple(np.linspace(0, QMAX, len(kx)).tolist()))
        integer.append(is_int)
    return Quantizer(tuple(kxs), tuple(kqs), tuple(integer))


def _model_ranges(spec: ModelSpec) -> list[list[float]]:
    """Ranges the model itself implies, when no data ranges were given (trees, NB)."""
    if spec.kind in ("dt", "rf", "xgb"):
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
    raise InputError(f"{spec.model} needs feature ranges for quantisation (pass --ranges or export with data ranges)")


# ---------------------------------------------------------------------- helpers

def range_to_prefixes(a: int, b: int, width: int) -> list[tuple[int, int]]:
    """Minimal (value, mask) prefix cover of the integer interval [a, b] in ``width`` bits."""
    out = []
    full = (1 << width) - 1
    while a <= b:
        size = a & -a if a else 1 << width
        while a + size - 1 > b:
            size >>= 1
        out.append((a, full & ~(size - 1)))
        a += size
    return out


def _thresholds_q(spec: ModelSpec, quant: Quantizer) -> dict[int, list[int]]:
    """Per feature: sorted distinct q-space cut points T (left iff q <= T) in 0..QMAX-1."""
    cuts: dict[int, set[int]] = {}
    for t in spec.trees:
        for f, th, l in zip(t.feature, t.threshold, t.left):
            if l == -1:
                continue
            T = _cut(th, f, spec.cmp, quant)
            if 0 <= T < QMAX:
                cuts.setdefault(f, set()).add(T)
    return {f: sorted(v) for f, v in cuts.items()}


def _cut(th: float, f: int, cmp: str, quant: Quantizer) -> int:
    """Largest q that goes left. The threshold is quantised like a feature value, ``qt = q(t)``;
    sklearn (``x <= t``) goes left iff ``q(x) <= qt``, XGBoost (``x < t``) iff ``q(x) <= qt - 1``.
    Rounding is monotone, so only values within one quantisation step of ``t`` can flip, and a
    value equal to the threshold (XGBoost splits on data values) always goes the right way."""
    if quant.exact and quant.exact[f]:  # integer q: x <= t iff q <= floor(t); x < t iff q <= ceil(t) - 1
        T = math.floor(th) if cmp == "le" else math.ceil(th) - 1
        return max(-1, min(QMAX, T))
    qt = math.floor(quant.qf(th, f) + 0.5)
    T = qt if cmp == "le" else qt - 1
    return max(-1, min(QMAX, T))


# ---------------------------------------------------------------------- trees

def _compile_trees(spec: ModelSpec, quant: Quantizer) -> dict[str, Any]:
    cuts = _thresholds_q(spec, quant)
    # Binary interval codes by default; upgrade features to thermometer codes (bit j set iff the
    # value lies above cut j) while the header's code region has room: a thermometer-coded
    # interval is one ternary pattern, a binary one splits into prefixes (entries multiply).
    leaves = [list(_tree_leaves(t, spec.cmp, quant, cuts)) for t in spec.trees]
    widths = {f: len(c).bit_length() for f, c in cuts.items()}
    # Which features to thermometer-code: the ones whose binary prefixes would multiply entries
    # most per extra header bit (sum over leaves of log #prefixes, a leaf's entry count being the
    # product of its features' prefix counts), while the code region has room.
    gain = {f: 0.0 for f in cuts}
    for per_tree in leaves:
        for _, cons in per_tree:
            for f, (a, b) in cons.items():
                m, w = len(cuts[f]), widths[f]
                if not (a == 0 and b == m):
                    gain[f] += math.log(len(range_to_prefixes(a, (1 << w) - 1 if b == m else b, w)))
    enc = {f: ("therm" if len(cuts[f]) == widths[f] else "bin") for f in cuts}
    budget = layout.CODE_BITS - sum(widths.values())
    for f in sorted(cuts, key=lambda f: (-gain[f] / max(1, len(cuts[f]) - widths[f]), f)):
        extra = len(cuts[f]) - widths[f]
        if enc[f] == "bin" and 0 < extra <= budget and gain[f] > 0:
            enc[f], widths[f] = "therm", len(cuts[f])
            budget -= extra
    codes, bit = [], 0
    for f in sorted(cuts):
        codes.append([f, bit, widths[f], enc[f]])
        bit += widths[f]
    if bit > layout.CODE_BITS:
        raise InputError(
            f"{spec.model}: the code words need {bit} bits, the inml header carries {layout.CODE_BITS}; "
            "use fewer/shallower trees or fewer features"
        )
    mats: list[dict[str, Any]] = []
    for f in sorted(cuts):
        c = cuts[f]
        edges = [-1] + c + [QMAX]
        word = (lambda j: (1 << j) - 1) if enc[f] == "therm" else (lambda j: j)
        mats.append({"name": f"f{f}", "op": "code", "feature": f,
                     "entries": [[edges[j] + 1, edges[j + 1], word(j)] for j in range(len(c) + 1)]})

    n_cls = spec.n_classes
    if spec.kind == "dt":
        lanes, payload_kind = 0, "label"
    elif spec.kind == "rf":
        lanes, payload_kind = n_cls, "add"
    else:
        lanes, payload_kind = (2 if n_cls == 2 else n_cls), "add"
    if lanes > layout.NUM_LANES:
        raise InputError(f"{spec.model}: {lanes} classes need {lanes} lanes, the inml header carries {layout.NUM_LANES}")

    # Leaf payloads, quantised to integers.
    payloads = _tree_payloads(spec, lanes)
    for k, t in enumerate(spec.trees):
        entries = []
        for leaf, cons in leaves[k]:
            pieces = []
            for f, (a, b) in sorted(cons.items()):
                m, w = len(cuts[f]), widths[f]
                if a == 0 and b == m:
                    continue
                if enc[f] == "therm":
                    v = msk = 0
                    if a > 0:
                        v, msk = v | 1 << (a - 1), msk | 1 << (a - 1)
                    if b < m:
                        msk |= 1 << b
                    pieces.append([(f, v, msk)])
                    continue
                hi = (1 << w) - 1 if b == m else b
                pieces.append([(f, v, msk) for v, msk in range_to_prefixes(a, hi, w)])
            for combo in itertools.product(*pieces):
                entries.append([[list(p) for p in combo], payload_kind, payloads[k][leaf]])
        mats.append({"name": f"tree{k}", "op": "leaf", "entries": entries})
    if spec.kind != "dt":
        mats.append({"name": "vote", "op": "argmax", "lanes": lanes})
    return {"codes": codes, "lanes": lanes, "mats": mats}


def _tree_leaves(t: TreeSpec, cmp: str, quant: Quantizer, cuts: dict[int, list[int]]):
    """(leaf node, {feature: (code lo, code hi)}) for every reachable leaf."""
    index = {f: {T: j for j, T in enumerate(c)} for f, c in cuts.items()}
    stack = [(0, {})]
    while stack:
        node, cons = stack.pop()
        if t.left[node] == -1:
            yield node, cons
            continue
        f = t.feature[node]
        T = _cut(t.threshold[node], f, cmp, quant)
        if T < 0:  # nothing goes left
            stack.append((t.right[node], cons))
            continue
        if T >= QMAX:  # everything goes left
            stack.append((t.left[node], cons))
            continue
        j = index[f][T]
        a, b = cons.get(f, (0, len(cuts[f])))
        if a <= min(b, j):
            stack.append((t.left[node], {**cons, f: (a, min(b, j))}))
        if max(a, j + 1) <= b:
            stack.append((t.right[node], {**cons, f: (max(a, j + 1), b)}))


def _tree_payloads(spec: ModelSpec, lanes: int) -> list[dict[int, Any]]:
    out: list[dict[int, Any]] = []
    if spec.kind == "dt":
        t = spec.trees[0]
        return [{i: int(np.argmax(t.value[i])) for i in range(len(t.left)) if t.left[i] == -1}]
    if spec.kind == "rf":
        Q = min(2 ** 40, (2 ** 62) // len(spec.trees))
        for t in spec.trees:
            d = {}
            for i in range(len(t.left)):
                if t.left[i] == -1:
                    v = np.asarray(t.value[i], dtype=float)
                    d[i] = [int(round(p * Q)) for p in v / v.sum()]
            out.append(d)
        return out
    # XGBoost: lane of each tree (binary: lane 1 holds the margin, lane 0 a constant 0 score).
    lane_of = [(1 if lanes == 2 else t.lane) for t in spec.trees]
    base = [0.0, spec.base[0]] if lanes == 2 else list(spec.base)
    bound = [abs(b) for b in base]
    for t, ln in zip(spec.trees, lane_of):
        bound[ln] += max(abs(t.value[i][0]) for i in range(len(t.left)) if t.left[i] == -1)
    S = SCORE_BOUND / max(max(bound), 1e-12)
    const = [int(round(b * S)) for b in base]
    for t, ln in zip(spec.trees, lane_of):
        qv = {i: int(round(t.value[i][0] * S)) for i in range(len(t.left)) if t.left[i] == -1}
        mn = min(qv.values())
        const[ln] += mn
        out.append({i: _onehot(lanes, ln, v - mn) for i, v in qv.items()})
    fold = [c - min(const) for c in const]
    for i, vec in out[0].items():
        out[0][i] = [a + b for a, b in zip(vec, fold)]
    return out


def _onehot(n: int, k: int, v: int) -> list[int]:
    vec = [0] * n
    vec[k] = v
    return vec


# ---------------------------------------------------------------------- lookup models

def _bins(quant: Quantizer, f: int, lo: float, hi: float, n_bins: int) -> list[tuple[int, int, float]]:
    """(q_lo, q_hi, representative x) bins covering 0..QMAX for feature ``f``: one per integer
    value for small-range integer features, else ``n_bins`` equal slices of the code space
    (equal-mass-ish bins, as the knots are data quantiles) represented by their centre."""
    out = []
    if quant.integer[f] and hi - lo + 1 <= n_bins:
        centers = np.arange(math.floor(lo), math.ceil(hi) + 1, dtype=float)
        qedges = [0] + [int(math.floor(quant.qf(c + 0.5, f) + 0.5)) for c in centers[:-1]] + [QMAX + 1]
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

    rng = [(float(r[0]), float(r[1])) for r in ranges]
    tables = []
    for f in range(F):
        bins = _bins(quant, f, rng[f][0], rng[f][1], n_bins)
        tables.append([(qlo, qhi, contrib(f, x)) for qlo, qhi, x in bins])
    bound = np.abs(const) + sum(np.max([np.abs(c) for _, _, c in tab], axis=0) for tab in tables)
    S = SCORE_BOUND / max(float(np.max(bound)), 1e-12)
    total_const = np.round(const * S).astype(np.int64)
    qtables = []
    for tab in tables:
        qv = [(qlo, qhi, np.round(c * S).astype(np.int64)) for qlo, qhi, c in tab]
        mn = np.min([v for _, _, v in qv], axis=0)
        total_const = total_const + mn
        qtables.append([(qlo, qhi, v - mn) for qlo, qhi, v in qv])
    fold = total_const + SIGN_BIAS if sign else total_const - total_const.min()
    mats = []
    for f, tab in enumerate(qtables):
        entries: list[list[Any]] = []
        for qlo, qhi, v in tab:
            vec = [int(a) for a in (v + fold if f == 0 else v)]
            if entries and entries[-1][2] == vec and entries[-1][1] + 1 == qlo:
                entries[-1][1] = qhi  # merge equal neighbours
            else:
                entries.append([qlo, qhi, vec])
        mats.append({"name": f"f{f}", "op": "add_feature", "feature": f, "entries": entries})
    if sign:
        votes = []
        for pattern in range(1 << lanes):
            positive = [bool(pattern >> p & 1) for p in range(lanes)]
            votes.append([pattern, (1 << lanes) - 1, ovo_vote(positive, n_cls)])
        mats.append({"name": "vote", "op": "sign_vote", "pairs": lanes, "entries": votes})
    else:
        mats.append({"name": "argmax", "op": "argmax", "lanes": lanes})
    return {"codes": [], "lanes": lanes, "mats": mats}


# ---------------------------------------------------------------------- program + task

def compile_program(spec: ModelSpec, ranges: Sequence[Sequence[float]] | None = None, *, n_bins: int = DEFAULT_BINS,
                    packet_features: Sequence[str] | None = None) -> dict[str, Any]:
    """The logical table entries of ``spec`` (JSON-serialisable), with quantisation and layout.

    ``packet_features``: the model's features by catalogue name (p4src/features.py), in column
    order; the switch then computes them from the packet's headers and flow state (no host-side
    quantisation: the 16-bit values are matched exactly) and the program records their slots."""
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
    if spec.kind in ("dt", "rf", "xgb"):
        body = _compile_trees(spec, quant)
    else:
        body = _compile_lookup(spec, quant, ranges, n_bins)
    return {
        "format": PROGRAM_FORMAT,
        "model": spec.model,
        "kind": spec.kind,
        "n_features": spec.n_features,
        "classes": _jsonable_classes(spec.classes),
        "quant": quant.to_dict(),
        **extra,
        **body,
    }


def _code_widths(program: dict[str, Any]) -> dict[int, int]:
    return {c[0]: c[2] for c in program["codes"]}


def task_from_program(program: dict[str, Any], name: str, **task_kw: Any) -> Task:
    """The planner's view of a compiled program: MAT costs and dependency bits (see mlcompiler.cost)."""
    widths = _code_widths(program)
    lanes = program["lanes"]
    lane_bits = lanes * layout.LANE_BITS
    mats: list[MAT] = []
    deps: list[Dependency] = []
    code_mats = {}
    names = [m["name"] for m in program["mats"]]
    for m in program["mats"]:
        op, n = m["op"], m["name"]
        if op == "code":
            w = widths[m["feature"]]
            mats.append(_mat(n, len(m["entries"]), layout.FEATURE_BITS, w, "range", phv=layout.FEATURE_BITS + w))
            code_mats[m["feature"]] = n
        elif op == "add_feature":
            mats.append(_mat(n, len(m["entries"]), layout.FEATURE_BITS, lane_bits, "range", phv=layout.FEATURE_BITS + lane_bits))
        elif op == "leaf":
            feats = sorted({p[0] for e in m["entries"] for p in e[0]})
            key = sum(widths[f] for f in feats)
            out_bits = layout.LABEL_BITS if (m["entries"] and m["entries"][0][1] == "label") else lane_bits
            mats.append(_mat(n, len(m["entries"]), key, out_bits, "ternary" if key else "exact", phv=key + out_bits))
            for f in feats:
                deps.append(Dependency(code_mats[f], n, widths[f]))
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
    if program["kind"] in ("rf", "xgb"):  # only trees feed the vote
        deps = [d for d in deps if not (d.dst == "vote" and d.src in code_mats.values())]
    return Task(name=name, kind=program["kind"], mats=tuple(mats), deps=tuple(deps), program=program, **task_kw)


def _mat(name: str, entries: int, key_bits: int, action_bits: int, kind: str, *, phv: int, stages: int = 1) -> MAT:
    return MAT(name=name, sram_bits=cost.sram_bits(entries, key_bits, action_bits, kind),
               tcam_bits=cost.tcam_bits(entries, key_bits, kind), stages=stages, phv_bits=phv,
               entries=entries, key_bits=key_bits, match_kind=kind)


def compile_model(spec: ModelSpec, name: str, ranges: Sequence[Sequence[float]] | None = None, *,
                  n_bins: int = DEFAULT_BINS, packet_features: Sequence[str] | None = None, **task_kw: Any) -> Task:
    """ModelSpec -> Task carrying its program: the one call the CLI and benchmarks use."""
    return task_from_program(compile_program(spec, ranges, n_bins=n_bins, packet_features=packet_features), name, **task_kw)
