"""Reference evaluator of a compiled program: executes its logical table entries in pure Python.

WHY: it is the oracle between the float model and the switches. Float-vs-replay accuracy shows
what quantisation and table encoding cost; replay-vs-pipeline agreement (tests) shows that the
P4 twin and the realised per-switch entries execute exactly these tables. It reads only the
program dict (no sklearn), with integer semantics identical to inml.p4: code words are OR-ed into
a code region, lanes are unsigned 64-bit sums (overflow is a compiler bug and raises), argmax
takes the first maximum, ternary/range entries are disjoint within a table.
"""

from __future__ import annotations

import bisect
from typing import Any, Mapping, Sequence

import numpy as np

from mlcompiler.treemap import code_fields
from p4src import layout


class ReplayError(RuntimeError):
    """The program violated an invariant the compiler promises (lane overflow, uncovered value)."""


class CompiledModel:
    """A compiled program ready to classify quantised feature vectors."""

    def __init__(self, program: Mapping[str, Any]):
        self.program = program
        q = program["quant"]
        self.kx = [np.asarray(k, dtype=float) for k in q["kx"]]
        self.kq = [np.asarray(k, dtype=float) for k in q["kq"]]
        self.lanes = int(program["lanes"])
        self.code_pos = code_fields(program)  # (group, feature) -> (bit, width)
        self.steps = [self._prepare(m) for m in program["mats"]]

    # ------------------------------------------------------------------ preparation
    def _prepare(self, m: Mapping[str, Any]):
        op = m["op"]
        if op in ("code", "add_feature"):
            los = [e[0] for e in m["entries"]]
            his = [e[1] for e in m["entries"]]
            vals = [e[2] for e in m["entries"]]
            bit, width = self.code_pos[(int(m.get("group", 0)), int(m["feature"]))] if op == "code" else (0, 0)
            return (op, int(m["feature"]), los, his, vals, bit, ((1 << width) - 1) << bit)
        if op == "leaf":
            groups: dict[int, dict[int, tuple[str, Any]]] = {}
            g = int(m.get("group", 0))
            for pieces, kind, payload in m["entries"]:
                value = mask = 0
                for f, v, msk in pieces:
                    bit = self.code_pos[(g, f)][0]
                    value |= v << bit
                    mask |= msk << bit
                groups.setdefault(mask, {}).setdefault(value, (kind, payload))
            return (op, list(groups.items()))
        if op == "argmax":
            return (op, int(m["lanes"]))
        if op == "sign_vote":
            return (op, int(m["pairs"]), [(v, msk, lab) for v, msk, lab in m["entries"]])
        raise ReplayError(f"unknown op {op!r} in MAT {m.get('name')}")

    # ------------------------------------------------------------------ execution
    def quantize(self, X: np.ndarray) -> np.ndarray:
        """What a host puts in the packet: round(interp(x, knots)) clipped to 16 bits."""
        X = np.atleast_2d(np.asarray(X, dtype=float))
        out = np.empty(X.shape, dtype=np.int64)
        for i in range(X.shape[1]):
            out[:, i] = np.clip(np.floor(np.interp(X[:, i], self.kx[i], self.kq[i]) + 0.5), 0, layout.FEATURE_MAX)
        return out

    def classify_q(self, q: Sequence[int]) -> int:
        """Label index for one quantised feature vector (-1 if no table set a label)."""
        code = 0
        lanes = [0] * self.lanes
        label = -1
        for step in self.steps:
            op = step[0]
            if op == "code" or op == "add_feature":
                _, f, los, his, vals, shift, field = step
                v = int(q[f])
                i = bisect.bisect_right(los, v) - 1
                if i < 0 or v > his[i]:
                    raise ReplayError(f"feature {f} value {v} hits no entry")
                if op == "code":  # set_bits: the field is overwritten (grouped mappings re-use it)
                    code = (code & ~field) | (vals[i] << shift)
                else:
                    for k, a in enumerate(vals[i]):
                        lanes[k] += a
            elif op == "leaf":
                for mask, table in step[1]:
                    hit = table.get(code & mask)
                    if hit is not None:
                        kind, payload = hit
                        if kind == "label":
                            label = payload
                        else:
                            for k, a in enumerate(payload):
                                lanes[k] += a
                        break
            elif op == "argmax":
                n = step[1]
                best = 0
                for k in range(1, n):
                    if lanes[k] > lanes[best]:
                        best = k
                label = best
            else:  # sign_vote
                n, entries = step[1], step[2]
                pattern = sum(((lanes[p] >> (layout.LANE_BITS - 1)) & 1) << p for p in range(n))
                for v, msk, lab in entries:
                    if pattern & msk == v & msk:
                        label = lab
                        break
            if any(a > layout.LANE_MAX for a in lanes):
                raise ReplayError("a lane overflowed 64 bits")
        return label

    def predict_index(self, X: np.ndarray) -> np.ndarray:
        return np.array([self.classify_q(row) for row in self.quantize(X)], dtype=int)

    def predict(self, X: np.ndarray) -> np.ndarray:
        classes = np.asarray(self.program["classes"])
        return classes[self.predict_index(X)]
