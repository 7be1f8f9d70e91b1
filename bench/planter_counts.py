"""Planter's table-entry counts for a fitted model, derived from Planter's own mapping rules.

WHY derived: Planter publishes no per-model entry counts for our exact models, so we apply the
rules its table generators implement (github.com/In-Network-Machine-Learning/Planter, read at
the fetched snapshot) to the same fitted model and the same 16-bit feature domain our switch
matches on (features travel as q in 0..65535; a tree's thresholds are the same q-space cuts our
compiler uses), counting entries without building them:

* RF / XGB, encode-based (src/models/RF/Type_EB, src/models/XGB/Type_EB table_generator.py):
  - one feature table per feature: value -> every tree's interval code, converted to ternary by
    Table_to_TCAM: one prefix cover per run of equal code vectors, i.e. per interval between the
    union of all trees' cuts on that feature;
  - one code table per tree, exact on all features' codes: a leaf enumerates the product over
    ALL features of the tree's intervals its path allows (a feature the path does not constrain
    contributes all of the tree's intervals on it); entries whose leaf equals the most common
    leaf vote over all trees ("default vote") are dropped;
  - one decision table enumerating every combination of tree outputs: classes^trees for RF
    (votes), the product of each tree's distinct leaf values for XGB. Planter drops the
    combinations that decide the most common class; we report the full enumeration (so the
    decision count is an upper bound by at most that one class's share).
* GaussianNB, lookup-based (src/models/Bayes/Type_LB): one exact table per feature with one entry
  per input value (feature_max + 1 = 65,536 here), plus one per-class prior entry.
"""

from __future__ import annotations

import math
from typing import Any

from mlcompiler.compiler import make_quantizer, tree_cut_fn
from mlcompiler.spec import ModelSpec
from mlcompiler.treemap import QMAX, _tree_cuts, _tree_leaves, range_to_prefixes

#: Planter's feature width here: our 16-bit feature codes.
FEATURE_BITS = 16


def planter_tree_counts(spec: ModelSpec, ranges: Any = None) -> dict[str, int]:
    """{"feature", "code", "decision", "total"} entries of Planter's EB mapping of ``spec``."""
    quant = make_quantizer(spec, ranges if ranges is not None else spec.feature_ranges)
    cut = tree_cut_fn(spec, quant)
    per_tree = _tree_cuts(spec.trees, cut)
    union: dict[int, set[int]] = {}
    for c in per_tree:
        for f, v in c.items():
            union.setdefault(f, set()).update(v)
    feature = spec.n_features - len(union)  # a feature no tree tests: one all-wildcard entry
    for f, v in union.items():
        edges = [-1] + sorted(v) + [QMAX]
        feature += sum(len(range_to_prefixes(edges[j] + 1, edges[j + 1], FEATURE_BITS)) for j in range(len(edges) - 1))
    # per tree: (leaf vote, entries), then the default-vote elimination. RF votes are classes;
    # XGB "votes" are the index of the leaf's value among the tree's distinct rounded values.
    leaf_rows: list[tuple[Any, int]] = []
    decision = 1
    for k, t in enumerate(spec.trees):
        cuts = {f: sorted(v) for f, v in per_tree[k].items()}
        index = {f: {T: j for j, T in enumerate(c)} for f, c in cuts.items()}
        rows = []
        for leaf, cons in _tree_leaves(t, k, cut, cuts, index):
            n = 1
            for f, c in cuts.items():
                a, b = cons.get(f, (0, len(c)))
                n *= b - a + 1
            v = t.value[leaf]
            rows.append((max(range(len(v)), key=v.__getitem__) if spec.kind != "xgb" else round(v[0], 1), n))
        if spec.kind == "xgb":
            codes = sorted({v for v, _ in rows})
            rows = [(codes.index(v), n) for v, n in rows]
            decision *= len(codes)
        else:
            decision *= spec.n_classes
        leaf_rows.extend(rows)
    totals: dict[Any, int] = {}
    for vote, n in leaf_rows:
        totals[vote] = totals.get(vote, 0) + n
    default = max(totals, key=totals.get)
    code = sum(n for vote, n in leaf_rows if vote != default)
    if spec.kind == "dt":
        decision = 0  # a single tree's code table sets the class
    return {"feature": feature, "code": code, "decision": decision, "total": feature + code + decision}


def planter_nb_counts(spec: ModelSpec) -> dict[str, int]:
    """Planter's GaussianNB lookup mapping: 2^16 exact entries per feature + class priors."""
    feature = spec.n_features * (1 << FEATURE_BITS)
    return {"feature": feature, "code": 0, "decision": spec.n_classes, "total": feature + spec.n_classes}


def planter_counts(spec: ModelSpec, ranges: Any = None) -> dict[str, int]:
    if spec.kind in ("dt", "rf", "xgb"):
        return planter_tree_counts(spec, ranges)
    if spec.kind == "nb":
        return planter_nb_counts(spec)
    raise ValueError(f"no Planter derivation for kind {spec.kind}")


def fmt_count(n: int) -> str:
    """Exact below 10^9, else a power of ten (decision tables reach 10^20 and beyond)."""
    return f"{n:,}" if n < 10 ** 9 else f"{n / 10 ** int(math.log10(n)):.1f}e{int(math.log10(n))}"
