"""Tree ensembles (DT / RF / XGBoost) -> code, leaf and vote tables, by one of two mappings.

Both mappings are encode-based (after Planter): per-feature RANGE tables write an interval code
word into the header's code region, per-tree TERNARY leaf tables match the code words, a vote
table takes the argmax of the lanes. They differ in how many trees share one code region:

* ``shared``: every tree's thresholds on a feature share one code word (the original mapping).
  Fewest lookups (one code table per feature), but once the union of all thresholds no longer
  fits the 512-bit code region as thermometer codes, features fall back to binary codes and a
  leaf becomes the product of its features' prefix counts: entries can explode (10 trees x depth
  8 on 16 features: ~5e5; 100 x 8: ~1.7e9).
* ``grouped``: trees are packed greedily into groups whose thresholds all fit the code region
  as thermometer codes (bit j of a feature's word is set iff the value lies above its j-th cut).
  Each group writes its own code words (re-using the region after the previous group's leaf
  tables have read it) and every leaf is ONE ternary entry. Entries grow linearly with nodes:
  one code entry per distinct threshold (+1 per feature and group) and one leaf entry per leaf.
  The price is lookups: one code table per (group, feature) instead of per feature.

WHY not SwitchTree's per-level node-id walk: inml.p4's stage tables key on one feature chosen per
pass (key_select), not per node, so a level table cannot test a different feature per node
without a new action; a thermometer bit per threshold gives the same one-entry-per-node
property inside the existing table/action vocabulary.

``plan_trees`` sizes both mappings exactly (entry counts are computed as products, never
enumerated), so the compiler can pick one and refuse an oversized model in milliseconds before
building anything; ``emit_trees`` builds the chosen one.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np

from omniplan.errors import InputError
from p4src import layout

QMAX = layout.FEATURE_MAX
#: Mapping names accepted by compile_program / `omniplan compile --mapping`.
MAPPINGS = ("auto", "shared", "grouped")
#: Score scale target of XGBoost lanes: every lane total stays below 2^63.
SCORE_BOUND = 2 ** 61

#: cut(tree index, node) -> largest quantised value that goes left (-1: none, QMAX: all)
CutFn = Callable[[int, int], int]


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


def _n_prefixes(a: int, b: int, width: int) -> int:
    """len(range_to_prefixes(a, b, width)) without building the list."""
    n = 0
    while a <= b:
        size = a & -a if a else 1 << width
        while a + size - 1 > b:
            size >>= 1
        n += 1
        a += size
    return n


@dataclass
class Group:
    """Trees sharing one code region, with their cuts, encodings and reachable leaves."""

    trees: list[int]
    cuts: dict[int, list[int]]
    enc: dict[int, str]
    widths: dict[int, int]
    #: per tree of the group: [(leaf node, {feature: (code lo, code hi)})]
    leaves: dict[int, list[tuple[int, dict[int, tuple[int, int]]]]]
    #: per tree: exact leaf-table entry count (a leaf's count = product of its prefix counts)
    leaf_entries: dict[int, int]

    @property
    def code_bits(self) -> int:
        return sum(self.widths.values())

    @property
    def code_entries(self) -> int:
        return sum(len(c) + 1 for c in self.cuts.values())


@dataclass
class TreePlan:
    """One mapping of a tree model, sized: what the compiler reports and the guard checks."""

    mapping: str
    groups: list[Group]
    voted: bool

    @property
    def entries(self) -> int:
        return sum(g.code_entries + sum(g.leaf_entries.values()) for g in self.groups) + (1 if self.voted else 0)

    @property
    def lookups(self) -> int:
        """Stage-table lookups per packet (MATs): code tables + leaf tables + vote."""
        return sum(len(g.cuts) + len(g.trees) for g in self.groups) + (1 if self.voted else 0)

    @property
    def largest_table(self) -> int:
        return max([len(c) + 1 for g in self.groups for c in g.cuts.values()]
                   + [n for g in self.groups for n in g.leaf_entries.values()] + [1])

    def summary(self) -> dict[str, int]:
        return {"entries": self.entries, "lookups": self.lookups, "largest_table": self.largest_table,
                "groups": len(self.groups)}


def _tree_cuts(trees: Sequence[Any], cut: CutFn) -> list[dict[int, set[int]]]:
    """Per tree: feature -> q-space cut points strictly inside 0..QMAX-1 (left iff q <= T)."""
    out = []
    for k, t in enumerate(trees):
        cuts: dict[int, set[int]] = {}
        for node, (f, l) in enumerate(zip(t.feature, t.left)):
            if l == -1:
                continue
            T = cut(k, node)
            if 0 <= T < QMAX:
                cuts.setdefault(f, set()).add(T)
        out.append(cuts)
    return out


def _tree_leaves(t: Any, k: int, cut: CutFn, cuts: dict[int, list[int]], index: dict[int, dict[int, int]]):
    """(leaf node, {feature: (code lo, code hi)}) for every reachable leaf of tree ``k``;
    ``index[f][T]`` is the position of cut ``T`` in ``cuts[f]``."""
    stack: list[tuple[int, dict[int, tuple[int, int]]]] = [(0, {})]
    while stack:
        node, cons = stack.pop()
        if t.left[node] == -1:
            yield node, cons
            continue
        f = t.feature[node]
        T = cut(k, node)
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


def _plan_group(trees: Sequence[Any], ids: list[int], per_tree_cuts: list[dict[int, set[int]]], cut: CutFn,
                thermometer: bool = False) -> Group:
    """Cuts, encodings and sizes of one code region. ``thermometer``: every feature gets a
    thermometer code when they all fit (the grouped mapping); otherwise binary codes upgraded
    feature by feature while the region has room (the shared mapping's original heuristic, which
    keeps unconstrained features narrow)."""
    union: dict[int, set[int]] = {}
    for k in ids:
        for f, c in per_tree_cuts[k].items():
            union.setdefault(f, set()).update(c)
    cuts = {f: sorted(v) for f, v in sorted(union.items())}
    index = {f: {T: j for j, T in enumerate(c)} for f, c in cuts.items()}
    leaves = {k: list(_tree_leaves(trees[k], k, cut, cuts, index)) for k in ids}
    memo: dict[tuple[int, int, int], int] = {}

    def n_prefixes(a: int, b: int, w: int) -> int:
        n = memo.get((a, b, w))
        if n is None:
            n = memo[(a, b, w)] = _n_prefixes(a, b, w)
        return n

    widths = {f: len(c).bit_length() for f, c in cuts.items()}
    # Binary interval codes by default; upgrade features to thermometer codes while the code
    # region has room, the ones whose binary prefixes multiply entries most per extra bit first
    # (sum over leaves of log #prefixes: a leaf's entry count is the product of its features'
    # prefix counts).
    if thermometer and sum(map(len, cuts.values())) <= layout.CODE_BITS:  # one entry per leaf
        return Group(list(ids), cuts, {f: "therm" for f in cuts}, {f: len(c) for f, c in cuts.items()}, leaves,
                     {k: len(v) for k, v in leaves.items()})
    gain = {f: 0.0 for f in cuts}
    for per_tree in leaves.values():
        for _, cons in per_tree:
            for f, (a, b) in cons.items():
                m, w = len(cuts[f]), widths[f]
                if not (a == 0 and b == m):
                    gain[f] += math.log(n_prefixes(a, (1 << w) - 1 if b == m else b, w))
    enc = {f: ("therm" if len(cuts[f]) == widths[f] else "bin") for f in cuts}
    budget = layout.CODE_BITS - sum(widths.values())
    for f in sorted(cuts, key=lambda f: (-gain[f] / max(1, len(cuts[f]) - widths[f]), f)):
        extra = len(cuts[f]) - widths[f]
        if enc[f] == "bin" and 0 < extra <= budget and gain[f] > 0:
            enc[f], widths[f] = "therm", len(cuts[f])
            budget -= extra
    counts = {}
    for k, per_tree in leaves.items():
        total = 0
        for _, cons in per_tree:
            n = 1
            for f, (a, b) in cons.items():
                m, w = len(cuts[f]), widths[f]
                if enc[f] == "bin" and not (a == 0 and b == m):
                    n *= n_prefixes(a, (1 << w) - 1 if b == m else b, w)
            total += n
        counts[k] = total
    return Group(list(ids), cuts, enc, widths, leaves, counts)


def plan_trees(trees: Sequence[Any], cut: CutFn, voted: bool) -> dict[str, TreePlan]:
    """Both mappings of ``trees``, sized without enumerating a single entry."""
    per_tree = _tree_cuts(trees, cut)
    shared = TreePlan("shared", [_plan_group(trees, list(range(len(trees))), per_tree, cut)], voted)
    # Greedy packing in tree order: a tree joins the open group while the union of the group's
    # thresholds still fits the code region as thermometer codes (one bit per threshold).
    packs: list[list[int]] = []
    union: dict[int, set[int]] = {}
    for k, c in enumerate(per_tree):
        merged = {f: union.get(f, set()) | c.get(f, set()) for f in set(union) | set(c)}
        if packs and sum(map(len, merged.values())) <= layout.CODE_BITS:
            packs[-1].append(k)
            union = merged
        else:
            packs.append([k])
            union = {f: set(v) for f, v in c.items()}
    grouped = TreePlan("grouped", [_plan_group(trees, ids, per_tree, cut, thermometer=True) for ids in packs], voted)
    return {"shared": shared, "grouped": grouped}


#: ``auto`` keeps the shared mapping while it needs at most this many times the grouped
#: mapping's entries. WHY favour shared: stages are the scarce resource (12-16 per switch; every
#: pass beyond them is a recirculation that halves throughput, and the planner places no task
#: with more MATs than its devices have stages), entries are plentiful (65,536 per stage table).
SHARED_ENTRY_RATIO = 4


def choose(plans: dict[str, TreePlan], mapping: str = "auto") -> TreePlan:
    """``auto``: shared while it needs <= SHARED_ENTRY_RATIO x grouped's entries (fewer lookups),
    else the one with fewer entries (then fewer lookups)."""
    if mapping not in MAPPINGS:
        raise InputError(f"mapping {mapping!r}: expected one of {', '.join(MAPPINGS)}")
    if mapping != "auto":
        return plans[mapping]
    shared, grouped = plans.get("shared"), plans.get("grouped")
    if shared and grouped and shared.entries <= SHARED_ENTRY_RATIO * grouped.entries:
        return shared
    return min(plans.values(), key=lambda p: (p.entries, p.lookups, p.mapping != "shared"))


# ---------------------------------------------------------------------- emission

def emit_trees(spec: Any, plan: TreePlan, lanes: int) -> dict[str, Any]:
    """The program body (codes, lanes, mats) of ``plan``; MAT order = execution order."""
    payload_kind = "label" if spec.kind == "dt" else "add"
    payloads = tree_payloads(spec, lanes)
    grouped = len(plan.groups) > 1
    codes: list[list[Any]] = []
    mats: list[dict[str, Any]] = []
    for g, grp in enumerate(plan.groups):
        pos, bit = {}, 0
        for f in grp.cuts:
            pos[f] = bit
            codes.append([f, bit, grp.widths[f], grp.enc[f]] + ([g] if grouped else []))
            bit += grp.widths[f]
        if bit > layout.CODE_BITS:
            raise InputError(
                f"{spec.model}: the code words need {bit} bits, the inml header carries {layout.CODE_BITS}; "
                "use fewer/shallower trees or fewer features"
            )
        tag = {"group": g} if grouped else {}
        prefix = f"g{g}_" if grouped else ""
        for f, c in grp.cuts.items():
            edges = [-1] + c + [QMAX]
            therm = grp.enc[f] == "therm"
            mats.append({"name": f"{prefix}f{f}", "op": "code", "feature": f, **tag,
                         "entries": [[edges[j] + 1, edges[j + 1], (1 << j) - 1 if therm else j]
                                     for j in range(len(c) + 1)]})
        for k in grp.trees:
            entries = []
            for leaf, cons in grp.leaves[k]:
                pieces = []
                for f, (a, b) in sorted(cons.items()):
                    m, w = len(grp.cuts[f]), grp.widths[f]
                    if a == 0 and b == m:
                        continue
                    if grp.enc[f] == "therm":
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
            mats.append({"name": f"tree{k}", "op": "leaf", **tag, "entries": entries})
    if plan.voted:
        mats.append({"name": "vote", "op": "argmax", "lanes": lanes})
    return {"codes": codes, "lanes": lanes, "mats": mats}


def tree_payloads(spec: Any, lanes: int) -> list[dict[int, Any]]:
    """Per tree: leaf node -> label (DT) or lane vector (RF: quantised probabilities; XGBoost:
    quantised margins, per-tree minima folded into tree 0 so every value is >= 0)."""
    out: list[dict[int, Any]] = []
    if spec.kind == "dt":
        t = spec.trees[0]
        return [{i: int(np.argmax(t.value[i])) for i in range(len(t.left)) if t.left[i] == -1}]
    if spec.kind == "iforest":
        # lane 0 (inlier): sum of path lengths; lane 1 (outlier): the constant threshold, carried
        # by tree 0's leaves. argmax picks lane 0 on a tie: inlier iff sum h >= threshold.
        hmax = sum(max(t.value[i][0] for i in range(len(t.left)) if t.left[i] == -1) for t in spec.trees)
        S = SCORE_BOUND / max(hmax, abs(spec.path_threshold), 1e-12)
        K = max(0, int(round(spec.path_threshold * S)))
        for k, t in enumerate(spec.trees):
            out.append({i: [int(round(t.value[i][0] * S)), K if k == 0 else 0]
                        for i in range(len(t.left)) if t.left[i] == -1})
        return out
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


def code_fields(program: dict[str, Any]) -> dict[tuple[int, int], tuple[int, int]]:
    """(group, feature) -> (bit offset in the code region, width) of a compiled program; group 0
    for the shared mapping and for programs written before groups existed."""
    return {(int(c[4]) if len(c) > 4 else 0, int(c[0])): (int(c[1]), int(c[2])) for c in program["codes"]}
