"""NumPy inference of the trained device scorer (the actor of ``experts.drl_policy``).

Planning with a learned expert must be fast and must not pay for importing torch and sb3 (seconds
on a busy machine), so the actor's three layers are exported to ``.npz`` after training and
evaluated here with two matrix products per placement step.
"""

from __future__ import annotations

import numpy as np

from experts.placement_env import FIT, N_FEATURES

MASKED_LOGIT = -1e8


class DeviceScorer:
    """NumPy copy of the trained actor for fast, size-agnostic inference.

    Exported next to the sb3 file as ``.npz`` so that planning needs neither torch nor sb3 (their
    import alone takes seconds); ``experts.drl_policy.export_scorer`` writes it from a policy trained with sb3.
    """

    KEYS = ("w1", "b1", "w2", "b2", "w3", "b3")

    def __init__(self, w1: np.ndarray, b1: np.ndarray, w2: np.ndarray, b2: np.ndarray, w3: np.ndarray, b3: float) -> None:
        self.w1, self.b1, self.w2, self.b2, self.w3 = (np.asarray(a, dtype=np.float64) for a in (w1, b1, w2, b2, w3))
        self.b3 = float(b3)
        if self.w1.shape[0] != N_FEATURES:
            raise ValueError(f"scorer expects {self.w1.shape[0]} features per device, the environment has {N_FEATURES}")

    def save(self, path) -> None:
        np.savez(path, w1=self.w1, b1=self.b1, w2=self.w2, b2=self.b2, w3=self.w3, b3=np.array(self.b3))

    @classmethod
    def load(cls, path) -> "DeviceScorer":
        with np.load(path, allow_pickle=False) as data:
            missing = [k for k in cls.KEYS if k not in data]
            if missing:
                raise ValueError(f"{path}: not a device-scorer file (missing {', '.join(missing)})")
            return cls(*(data[k] for k in cls.KEYS[:5]), float(data["b3"]))

    def scores(self, rows: np.ndarray) -> np.ndarray:
        """Logit per device row; infeasible rows get MASKED_LOGIT."""
        h = np.tanh(rows @ self.w1 + self.b1)
        h = np.tanh(h @ self.w2 + self.b2)
        s = h @ self.w3 + self.b3
        return np.where(rows[:, FIT] > 0.5, s, MASKED_LOGIT)
