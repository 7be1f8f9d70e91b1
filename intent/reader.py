"""The intent reader: a learned second opinion that reads the whole intent at once (round 11).

WHY: the clause heads (intent/head.py) read one clause at a time and only where the lexicon lets them;
ten rounds of new held-out writers showed that what they miss is spread over clauses (long multi-clause
requests; a need told only by its symptom; an objective's word used in another sense). This reader
sees every token of the intent: per objective it pools MiniLM's last-layer token states with its own
attention (which tokens speak about that objective), joins the pool with the intent's mean state, and
predicts the objective's level 0-4. It is trained on the burned hand-written sets (intent/handwritten.py),
whose labels are per intent, so every labelled intent is a training row (the clause heads can use only
the clauses whose label is deducible).

How its reading is combined with the rule reading (`combine`) was chosen by leave-one-set-out with the
reader retrained without the left-out set in every fold (bench/intent_reader_loso.py); the translator
uses it only when switched on (README, "intent reader").

Weights ship in intent/data/intent_reader.npz (float16); `python -m intent.train_reader` rebuilds them.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from intent.errors import BackendError
from omniplan.objectives import OBJECTIVES

READER_WEIGHTS = Path(__file__).resolve().parent / "data" / "intent_reader.npz"
#: levels the reader predicts per objective (0 = not asked for, or dismissed).
LEVELS = 5
#: the arrays of a weights file and their shapes in terms of (hidden size D, key width K, layer width H);
#: a file whose arrays disagree is refused with one line (a reader trained for another encoder or label set).
_SHAPES = {"key_w": ("D", "K"), "key_b": ("K",), "queries": (len(OBJECTIVES), "K"), "w1": ("2D", "H"), "b1": ("H",),
           "objective_bias": (len(OBJECTIVES), "H"), "w2": (len(OBJECTIVES), "H", LEVELS), "b2": (len(OBJECTIVES), LEVELS)}
#: the optional arrays of a reader that also reads the rule reading's levels (trained with `--rule-feature`):
#: every objective's rule level (one-hot, 7 x 5) into the hidden layer, and the objective's own rule level.
_RULE_SHAPES = {"rule_w": (len(OBJECTIVES) * LEVELS, "H"), "rule_own": (LEVELS, "H")}


@dataclass(frozen=True)
class IntentReader:
    """Attention pooling per objective over token states, then a small layer and a level per objective.

    Example: IntentReader.load().probabilities([states]) has shape (1, 7, 5) for one intent's
    (tokens, 384) token states (intent/encoder.py `Encoder.token_states`).
    """

    key_w: np.ndarray           # (D, K) token state -> attention key
    key_b: np.ndarray           # (K,)
    queries: np.ndarray         # (7, K) one attention query per objective
    w1: np.ndarray              # (2D, H) [objective pool, intent mean] -> hidden
    b1: np.ndarray              # (H,)
    objective_bias: np.ndarray  # (7, H) which objective the hidden layer is reading for
    w2: np.ndarray              # (7, H, 5) hidden -> level logits, per objective
    b2: np.ndarray              # (7, 5)
    rule_w: np.ndarray | None = None    # (35, H) every objective's rule level, one-hot -> hidden
    rule_own: np.ndarray | None = None  # (5, H) the objective's own rule level -> hidden

    @property
    def reads_rules(self) -> bool:
        """Whether this reader needs the rule reading's levels as an input."""
        return self.rule_w is not None

    @classmethod
    def load(cls, path: Path = READER_WEIGHTS) -> "IntentReader":
        try:
            data = np.load(path)
            arrays = {name: data[name].astype(np.float32) for name in _SHAPES}
            arrays.update({name: data[name].astype(np.float32) for name in _RULE_SHAPES if "rule_w" in data})
        except (OSError, KeyError, ValueError) as exc:
            raise BackendError(f"cannot load the intent reader weights {path}: {exc}; rebuild them with "
                               "`python -m intent.train_reader`") from None
        d, k, h = arrays["key_w"].shape + arrays["b1"].shape
        sizes = {"D": d, "2D": 2 * d, "K": k, "H": h}
        for name, shape in {**_SHAPES, **_RULE_SHAPES}.items():
            if name not in arrays:
                continue
            want = tuple(sizes.get(s, s) for s in shape)
            if arrays[name].shape != want:
                raise BackendError(f"{path}: {name} has shape {arrays[name].shape}, expected {want}; "
                                   "rebuild with `python -m intent.train_reader`")
        return cls(**arrays)

    def probabilities(self, states: Sequence[np.ndarray], rules: np.ndarray | None = None) -> np.ndarray:
        """Level probabilities per intent and objective, shape (intents, 7, 5); `rules` (intents, 7): the rule
        reading's levels, required by a reader that reads them (`reads_rules`), ignored by one that does not."""
        out = np.zeros((len(states), len(OBJECTIVES), LEVELS), dtype=np.float32)
        if self.reads_rules and rules is None:
            raise ValueError("this intent reader reads the rule levels: pass rules")
        for i, x in enumerate(states):
            x = np.asarray(x, dtype=np.float32)
            keys = np.tanh(x @ self.key_w + self.key_b)            # (L, K)
            scores = keys @ self.queries.T                          # (L, 7)
            scores -= scores.max(axis=0, keepdims=True)
            attention = np.exp(scores)
            attention /= attention.sum(axis=0, keepdims=True)
            pooled = attention.T @ x                                # (7, D)
            features = np.concatenate([pooled, np.broadcast_to(x.mean(axis=0), pooled.shape)], axis=1)
            before = features @ self.w1 + self.b1 + self.objective_bias      # (7, H)
            if self.reads_rules:
                onehot = np.eye(LEVELS, dtype=np.float32)[np.asarray(rules[i], dtype=np.int64)]  # (7, 5)
                before = before + onehot.reshape(-1) @ self.rule_w + onehot @ self.rule_own
            hidden = np.maximum(before, 0.0)
            logits = np.einsum("oh,ohl->ol", hidden, self.w2) + self.b2
            logits -= logits.max(axis=1, keepdims=True)
            p = np.exp(logits)
            out[i] = p / p.sum(axis=1, keepdims=True)
        return out


@dataclass(frozen=True)
class Combination:
    """How the reader's levels override the rule reading's, per objective.

    threshold: the reader overrides an objective only where its most likely level has at least this
    probability and differs from the rule level; `presence_only`: it may only switch an objective on
    (rule 0 -> its level) or off (rule > 0 -> 0), never regrade one both readings ask for.

    The defaults are the best of bench/intent_reader_loso.py's grid (sweep.csv, text-alone reader, 11 folds):
    0.918 / 0.933 against the rule reading's 0.917 / 0.931, i.e. no real gain; the reader is therefore off by
    default (README, "intent reader").

    Example: Combination(threshold=0.9, presence_only=False).
    """

    threshold: float = 0.95
    presence_only: bool = True


def combine(rule: Mapping[str, int], probabilities: np.ndarray, how: Combination) -> dict[str, int]:
    """The rule levels with the reader's confident disagreements applied (probabilities: (7, 5) for one intent)."""
    out = {o: int(rule.get(o, 0)) for o in OBJECTIVES}
    for j, o in enumerate(OBJECTIVES):
        level = int(probabilities[j].argmax())
        if probabilities[j, level] < how.threshold or level == out[o]:
            continue
        if how.presence_only and (level > 0) == (out[o] > 0):
            continue
        out[o] = level
    return out


@functools.lru_cache(maxsize=1)
def intent_reader() -> IntentReader:
    """The shipped reader, loaded once per process."""
    return IntentReader.load()
