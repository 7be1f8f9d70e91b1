"""Weight-update primitives of the DRL expert configuration (paper section 6, appendix 11.2).

Kept apart from the agent so that the maths the paper defines (eq. 5 shift-softmax, eq. 9 initial
perturbation, the sub-space update used by recursive refinement) can be checked on its own.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np


def shift_softmax(x: Sequence[float], h: float) -> np.ndarray:
    """Eq. 5: ``x`` if ``h == 0`` else ``(exp(h x) - 1) * sum(x) / sum(exp(h x) - 1)``.

    Why this form: subtracting 1 keeps zero weights at exactly zero (an objective the intent did
    not ask for never gains weight), the ``sum(x)`` factor preserves the total mass, ``h > 0``
    sharpens the distribution towards its largest entries and ``h < 0`` flattens it.
    """
    x = np.asarray(x, dtype=float)
    if h == 0 or x.size == 0:
        return x.copy()
    total = float(x.sum())
    shifted = np.expm1(h * x)
    denom = float(shifted.sum())
    if total == 0.0 or denom == 0.0 or not np.isfinite(denom):
        return x.copy()
    out = shifted * total / denom
    # expm1 keeps signs consistent (both numerator and denominator share the sign of h for x >= 0);
    # clamp float noise so weights stay a valid non-negative distribution.
    return np.clip(out, 0.0, None)


def shift_softmax_subspace(w: Sequence[float], h: float, active: Sequence[bool]) -> np.ndarray:
    """Apply eq. 5 to the entries marked ``active`` only; the fixed entries keep their value.

    Recursive refinement fixes the dominant weight and keeps optimising the rest; the active
    sub-vector's sum is preserved by eq. 5, so the whole vector still sums to the same total.
    """
    w = np.asarray(w, dtype=float).copy()
    mask = np.asarray(active, dtype=bool)
    if mask.sum() >= 2:
        w[mask] = shift_softmax(w[mask], h)
    return w


def perturb(w: Sequence[float], rng: np.random.Generator, active: Sequence[bool] | None = None, scale: float = 0.05) -> np.ndarray:
    """Eq. 9: ``w + eps``, ``eps ~ U(-scale, scale)``, on the active non-zero entries, renormalised.

    Equal scores for conjoined objectives ("maximise bandwidth and minimise latency") are a fixed
    point of eq. 5, so the symmetry is broken with a small seeded noise. Zero entries stay zero
    (they are objectives the intent did not name), and the active sub-space keeps its total mass.
    """
    w = np.asarray(w, dtype=float).copy()
    mask = np.ones(w.size, dtype=bool) if active is None else np.asarray(active, dtype=bool).copy()
    mask &= w > 0
    if mask.sum() == 0:
        return w
    total = w[mask].sum()
    noisy = w[mask] + rng.uniform(-scale, scale, size=int(mask.sum()))
    noisy = np.clip(noisy, 1e-3 * total, None)
    w[mask] = noisy * total / noisy.sum()
    return w
