"""The paper's intent curve (section 4, intent-aware scoring).

K anchor sentences run from "no demand" to "greatest demand". Their sentence-BERT embeddings are
joined by a cubic spline L(theta), theta in [0, K-1], with L(i) = p_i. Semantic gaps between
anchors are uneven, so each segment's arc length L_{i,i+1} gets weight phi = 1 / L_{i,i+1}; the
score of a text is the weighted arc length from 0 to its closest point on the curve, divided by
K-1, which puts every anchor i at exactly i / (K-1) and spaces scores uniformly in between.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
from scipy.interpolate import CubicSpline

#: The anchors S_0 .. S_4 (the paper's wording); "{subject}" is the objective's demand phrase.
ANCHOR_DEGREES: tuple[str, ...] = ("no", "a little", "a moderate", "a high", "the greatest")
ANCHOR_TEMPLATE = "The user has {degree} demand{subject}"

_SAMPLES_PER_SEGMENT = 200


@dataclass
class IntentCurve:
    """Spline through anchor embeddings with arc-length-normalised scoring."""

    spline: CubicSpline
    thetas: np.ndarray       # dense parameter grid over [0, K-1]
    points: np.ndarray       # L(theta) on the grid, one row per theta
    cumulative: np.ndarray   # arc length from 0 to each grid theta
    segment_lengths: np.ndarray  # L_{i,i+1}

    @classmethod
    def from_embeddings(cls, anchors: np.ndarray) -> "IntentCurve":
        k = len(anchors)
        if k < 2:
            raise ValueError("an intent curve needs at least two anchors")
        spline = CubicSpline(np.arange(k, dtype=float), np.asarray(anchors, dtype=float), axis=0)
        thetas = np.linspace(0.0, k - 1.0, _SAMPLES_PER_SEGMENT * (k - 1) + 1)
        speed = np.linalg.norm(spline(thetas, 1), axis=1)  # |dL/dtheta|
        steps = np.diff(thetas)
        cumulative = np.concatenate([[0.0], np.cumsum((speed[1:] + speed[:-1]) / 2.0 * steps)])
        knots = np.searchsorted(thetas, np.arange(k, dtype=float))
        segment_lengths = np.diff(cumulative[knots])
        return cls(spline, thetas, spline(thetas), cumulative, segment_lengths)

    @property
    def k(self) -> int:
        return len(self.segment_lengths) + 1

    def project(self, vectors: np.ndarray) -> np.ndarray:
        """theta* = argmin_theta ||L(theta) - p|| for each row p (grid search, then local refinement)."""
        vectors = np.atleast_2d(np.asarray(vectors, dtype=float))
        # squared distance = |L|^2 - 2 L.p + |p|^2; |p|^2 is constant per row
        if getattr(self, "_sq", None) is None:
            self._sq = (self.points ** 2).sum(axis=1)
        sq = self._sq[None, :] - 2.0 * vectors @ self.points.T
        best = sq.argmin(axis=1)
        step = self.thetas[1] - self.thetas[0]
        result = np.empty(len(vectors))
        for row, (index, vector) in enumerate(zip(best, vectors)):
            lo, hi = max(self.thetas[0], self.thetas[index] - step), min(self.thetas[-1], self.thetas[index] + step)
            fine = np.linspace(lo, hi, 21)
            d = ((self.spline(fine) - vector) ** 2).sum(axis=1)
            result[row] = fine[d.argmin()]
        return result

    def score_theta(self, thetas: Sequence[float] | np.ndarray) -> np.ndarray:
        """Eq. (2): (1/(K-1)) * integral_0^theta phi(t) |L'(t)| dt with phi constant per segment."""
        thetas = np.clip(np.asarray(thetas, dtype=float), 0.0, self.k - 1.0)
        arc = np.interp(thetas, self.thetas, self.cumulative)
        segment = np.minimum(np.floor(thetas).astype(int), self.k - 2)
        knots_arc = np.concatenate([[0.0], np.cumsum(self.segment_lengths)])
        within = (arc - knots_arc[segment]) / self.segment_lengths[segment]
        return np.clip((segment + within) / (self.k - 1.0), 0.0, 1.0)

    def score(self, vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(scores in [0, 1], theta*) for each embedding row."""
        thetas = self.project(vectors)
        return self.score_theta(thetas), thetas


def anchor_sentences(subject: str = "") -> list[str]:
    """S_0 .. S_{K-1} for one objective; subject like ' for low latency' (empty for the generic curve)."""
    return [ANCHOR_TEMPLATE.format(degree=d, subject=subject) for d in ANCHOR_DEGREES]
