"""Reward of the DRL expert configuration (paper section 6, eqs. 6-8) and the intent-aware score.

eq. 6  Delta_i = d_i * (Perf_t,i - Perf_t-1,i) / |Perf_t-1,i|       per-objective normalised improvement
eq. 7  W_i     = s_i * Delta_i                                       weighted by the intent score
       mu      = Hodges-Lehmann median of pairwise averages of W     the overall trend gate
                 (over the objectives the intent names, see configuration_reward)
eq. 8  r       = sum_i W_i * [mu > 0] - beta * #violated constraints

Checked against the paper word by word; where the text leaves a choice, ours and why:

* eq. 6, d_i: +1 for throughput and coverage, -1 for the rest (``omniplan.objectives.DIRECTION``), so
  a positive Delta is always an improvement. Perf_t-1 is the previous epoch's plan (the last one
  that was solved). The paper leaves |Perf_t-1| = 0 undefined; ``ZERO_FLOOR`` replaces it.
* eq. 7: the formula writes the configured weight omega_t,i, the prose "weight each objective's
  improvement by its corresponding intent score" and the symbol list "intent-weighted improvement
  sample". We use the intent score s (the user's normalised preference, eq. 3): weighting by the
  weights being tuned would let the agent earn reward by moving weight onto whatever objective
  happened to improve, regardless of the intent.
* The HL gate: the paper takes the median over all M = 7 samples. The objectives the intent does
  not name have weight 0 (Table 13: "the weights of the other optimization objectives equal 0"), so
  their samples are 0, and with k named objectives (M - k zeros) the median of the 28 Walsh averages
  is 0 whenever k <= 2, and for k = 3 whenever any named objective does not strictly improve (at most
  13 of the 28 averages are then positive): the literal gate pays only for Pareto improvements and
  never for a 1- or 2-objective intent. We take mu over the named objectives, which keeps the
  paper's stated purpose ("whether performance improves or degrades", robustly) for every intent
  (tests/test_configure.py::test_reward_on_a_hand_computed_trade_off shows both on one example).
* eq. 8 as written; beta = 1; a re-plan that finds no plan counts as one violation.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from omniplan.objectives import DIRECTION, OBJECTIVES

#: Denominator floor of eq. 6 for objectives whose previous value is 0 (e.g. coordination 0 %),
#: in the objective's own unit, so that a move away from zero is a finite, comparable step.
ZERO_FLOOR: Mapping[str, float] = {
    "power": 1.0,
    "resources": 0.1,
    "throughput": 1.0,
    "latency": 1.0,
    "coordination": 1.0,
    "hops": 0.1,
    "coverage": 1.0,
}


def hodges_lehmann(samples: Sequence[float]) -> float:
    """Median of the Walsh averages ``(x_i + x_j) / 2`` over all ``i <= j``."""
    x = np.asarray(samples, dtype=float)
    if x.size == 0:
        raise ValueError("Hodges-Lehmann estimator of an empty sample")
    i, j = np.triu_indices(x.size)
    return float(np.median((x[i] + x[j]) / 2.0))


def improvements(prev: Mapping[str, float], cur: Mapping[str, float]) -> np.ndarray:
    """Eq. 6 for every objective, in OBJECTIVES order (positive = better)."""
    out = np.zeros(len(OBJECTIVES))
    for k, name in enumerate(OBJECTIVES):
        denom = max(abs(float(prev[name])), ZERO_FLOOR[name])
        out[k] = DIRECTION[name] * (float(cur[name]) - float(prev[name])) / denom
    return out


def configuration_reward(
    prev: Mapping[str, float],
    cur: Mapping[str, float],
    intent: Sequence[float],
    violations: int,
    beta: float = 1.0,
) -> tuple[float, float, np.ndarray]:
    """Eq. 8. Returns ``(reward, mu, W)``; ``intent`` is the score vector in OBJECTIVES order."""
    s = np.asarray(intent, dtype=float)
    weighted = s * improvements(prev, cur)
    # The trend is taken over the objectives the intent names: the others are 0 by construction
    # and would pull the median to 0 for one- or two-objective intents, closing the gate forever.
    mu = hodges_lehmann(weighted[s > 0] if np.any(s > 0) else weighted)
    reward = float(weighted.sum()) * (1.0 if mu > 0 else 0.0) - beta * int(violations)
    return reward, mu, weighted


def intent_score(base: Mapping[str, float], cur: Mapping[str, float], intent: Sequence[float]) -> float:
    """Intent-weighted improvement of ``cur`` over a fixed reference ``base`` (0 for the reference).

    Used to rank configurations across epochs: the configuration step returns the best-scoring
    weights it has seen, so it is never worse than the weights it started from.
    """
    return float(np.dot(np.asarray(intent, dtype=float), improvements(base, cur)))
