"""A permutation-invariant actor-critic for stable-baselines3: one shared MLP scores every device.

The observation is ``n_devices x N_FEATURES`` device rows (flattened, padded for training). The
actor embeds each row with the same MLP and emits one logit per row, rows whose ``fits`` flag is 0
get a -1e8 logit (so plain PPO never samples an infeasible device - no sb3-contrib needed); the
critic pools the embeddings of feasible rows. Because nothing depends on a row's position or on
the row count, the trained scorer runs unchanged on topologies of any size (``DeviceScorer``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from stable_baselines3.common.policies import ActorCriticPolicy
from torch import nn

from experts.placement_env import FIT, N_FEATURES

MASKED_LOGIT = -1e8


class DeviceExtractor(nn.Module):
    """(batch, n*F) -> (per-row logits (batch, n), pooled critic latent (batch, hidden))."""

    def __init__(self, n_rows: int, hidden: int = 64) -> None:
        super().__init__()
        self.n_rows = n_rows
        self.latent_dim_pi = n_rows
        self.latent_dim_vf = 2 * hidden
        self.embed = nn.Sequential(nn.Linear(N_FEATURES, hidden), nn.Tanh(), nn.Linear(hidden, hidden), nn.Tanh())
        self.score = nn.Linear(hidden, 1)

    def _rows(self, features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        rows = features.reshape(features.shape[0], -1, N_FEATURES)
        return rows, rows[..., FIT] > 0.5

    def forward_actor(self, features: torch.Tensor) -> torch.Tensor:
        rows, valid = self._rows(features)
        logits = self.score(self.embed(rows)).squeeze(-1)
        return logits.masked_fill(~valid, MASKED_LOGIT)

    def forward_critic(self, features: torch.Tensor) -> torch.Tensor:
        rows, valid = self._rows(features)
        emb = self.embed(rows)
        w = valid.float().unsqueeze(-1)
        mean = (emb * w).sum(1) / w.sum(1).clamp(min=1.0)
        mx = emb.masked_fill(~valid.unsqueeze(-1), -1.0).max(1).values
        return torch.cat([mean, mx], dim=-1)

    def forward(self, features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.forward_actor(features), self.forward_critic(features)


class DeviceScorerPolicy(ActorCriticPolicy):
    """ActorCriticPolicy whose action logits are the extractor's per-row scores (no extra Linear)."""

    def __init__(self, *args: Any, hidden: int = 64, **kwargs: Any) -> None:
        self._hidden = hidden
        super().__init__(*args, **kwargs)

    def _build_mlp_extractor(self) -> None:
        n_rows = int(np.prod(self.observation_space.shape)) // N_FEATURES
        self.mlp_extractor = DeviceExtractor(n_rows, self._hidden)

    def _build(self, lr_schedule) -> None:
        super()._build(lr_schedule)
        # The logits are already per device; a dense layer over positions would break invariance.
        self.action_net = nn.Identity()
        self.optimizer = self.optimizer_class(self.parameters(), lr=lr_schedule(1), **self.optimizer_kwargs)


class DeviceScorer:
    """NumPy copy of the trained actor for fast, size-agnostic inference (no torch per call)."""

    def __init__(self, extractor: DeviceExtractor) -> None:
        l1, l2 = extractor.embed[0], extractor.embed[2]
        self.w1 = l1.weight.detach().numpy().T.astype(np.float64)
        self.b1 = l1.bias.detach().numpy().astype(np.float64)
        self.w2 = l2.weight.detach().numpy().T.astype(np.float64)
        self.b2 = l2.bias.detach().numpy().astype(np.float64)
        self.w3 = extractor.score.weight.detach().numpy().T.astype(np.float64)[:, 0]
        self.b3 = float(extractor.score.bias.detach().numpy()[0])

    def scores(self, rows: np.ndarray) -> np.ndarray:
        """Logit per device row; infeasible rows get MASKED_LOGIT."""
        h = np.tanh(rows @ self.w1 + self.b1)
        h = np.tanh(h @ self.w2 + self.b2)
        s = h @ self.w3 + self.b3
        return np.where(rows[:, FIT] > 0.5, s, MASKED_LOGIT)
