"""The learned clause scorer: two small MLPs on MiniLM clause embeddings.

* the objective head reads a clause and predicts, per objective, one of CLASSES (absent, negated,
  level 1..4): it finds objectives named in wording the lexicon has no pattern for (slang, typos,
  paraphrase) and objectives a clause dismisses;
* the degree head reads the clause with its objective words replaced by MASK ("it trumps
  everything", "forget about it") and predicts one of DEGREES (negated, level 1..4): how strongly
  the clause asks, independent of which objective it names;
* the relevance head (round 10) reads a clause the lexicon named an objective in and says whether it
  asks something of the network placement at all ("our power users want a dashboard" does not): it
  vetoes lexicon hits on an objective's word used in another sense (intent/lookalikes.py).

WHY heads under the lexicon: the lexicon reads jargon and grammar it was written for; the heads,
trained on a generated corpus (intent/corpus.py) of many wordings plus clause rows of the burned
hand-written sets (intent/handwritten.py, round 4), read emphasis, hedges, negations
and slang the lexicon has no rule for. The translator (intent/embedded.py) fuses the readings and
still scores the fused level on the paper's anchor curve, so the output scale stays calibrated.

Weights ship in intent/data/clause_head.npz (float16, ~0.3 MB); `python -m intent.train` rebuilds them.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from intent.corpus import CLASSES, DEGREES
from intent.errors import BackendError
from intent.tuned import KEY_PREFIX, TunedTop
from omniplan.objectives import OBJECTIVES

WEIGHTS = Path(__file__).resolve().parent / "data" / "clause_head.npz"


@dataclass(frozen=True)
class Perceptron:
    """embedding -> hidden (ReLU) -> groups x classes logits -> softmax per group.

    Example: Perceptron(w1, b1, w2, b2, groups=7).probabilities(vectors) has shape (rows, 7, classes).
    """

    w1: np.ndarray
    b1: np.ndarray
    w2: np.ndarray
    b2: np.ndarray
    groups: int

    def probabilities(self, vectors: np.ndarray) -> np.ndarray:
        hidden = np.maximum(np.asarray(vectors, dtype=np.float32) @ self.w1 + self.b1, 0.0)
        logits = (hidden @ self.w2 + self.b2).reshape(len(vectors), self.groups, -1)
        logits -= logits.max(axis=2, keepdims=True)
        exp = np.exp(logits)
        return exp / exp.sum(axis=2, keepdims=True)


@dataclass(frozen=True)
class ClauseHeads:
    """The objective head and the degree head, loaded together from one weights file."""

    objective: Perceptron
    degree: Perceptron
    relevance: Perceptron | None = None  # round 10; None in a weights file written before it (no veto then)
    top: TunedTop | None = None  # round 13: MiniLM's top layer tuned with the heads (intent/tuned.py); None: frozen

    @classmethod
    def load(cls, path: Path = WEIGHTS, original: dict | None = None) -> "ClauseHeads":
        """The heads in `path`; `original`: the bundled MiniLM's tensors by name, which a tuned top layer is stored
        as a difference from (default: the process encoder's, loaded only when the file holds a tuned layer)."""
        try:
            data = np.load(path)
            top_arrays = {k: data[k] for k in data.files if k.startswith(KEY_PREFIX)}
            # (the relevance head is optional: a weights file written before round 10 has none)
            parts = {name: [data[f"{name}_{k}"].astype(np.float32) for k in ("w1", "b1", "w2", "b2")]
                     for name in ("objective", "degree", "relevance") if name != "relevance" or "relevance_w1" in data}
        except (OSError, KeyError, ValueError) as exc:
            raise BackendError(f"cannot load the clause scorer weights {path}: {exc}; rebuild them with "
                               "`python -m intent.train`") from None
        relevance = Perceptron(*parts["relevance"], groups=1) if "relevance" in parts else None
        top = None
        if top_arrays:
            from intent.encoder import get_encoder

            model = get_encoder().model if original is None else None
            if original is None and not hasattr(model, "w"):
                raise BackendError(f"{path} holds a tuned MiniLM layer, which needs the direct encoder engine "
                                   "(OMNIPLAN_INTENT_ENCODER unset)")
            try:
                top = TunedTop.from_arrays(top_arrays, model.w if original is None else original)
            except ValueError as exc:
                raise BackendError(f"{path}: {exc}; rebuild with `python -m intent.train`") from None
        heads = cls(Perceptron(*parts["objective"], groups=len(OBJECTIVES)), Perceptron(*parts["degree"], groups=1),
                    relevance, top)
        if heads.objective.w2.shape[1] != len(OBJECTIVES) * len(CLASSES) or heads.degree.w2.shape[1] != len(DEGREES):
            raise BackendError(f"{path}: weights are for another label set; rebuild with `python -m intent.train`")
        return heads

    def objectives(self, vectors: np.ndarray) -> np.ndarray:
        """Per-objective class probabilities, shape (rows, 7, len(CLASSES))."""
        return self.objective.probabilities(vectors)

    def degrees(self, masked_vectors: np.ndarray) -> np.ndarray:
        """Degree probabilities of masked clauses, shape (rows, len(DEGREES))."""
        return self.degree.probabilities(masked_vectors)[:, 0, :]

    def off_topic(self, vectors: np.ndarray) -> np.ndarray:
        """Per clause, the probability that it asks nothing of the network placement (zeros without the head)."""
        if self.relevance is None:
            return np.zeros(len(vectors), dtype=np.float32)
        return self.relevance.probabilities(vectors)[:, 0, 1]


@functools.lru_cache(maxsize=1)
def clause_heads() -> ClauseHeads:
    """The shipped heads, loaded once per process."""
    return ClauseHeads.load()
