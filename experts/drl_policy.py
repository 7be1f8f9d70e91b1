"""A permutation-invariant actor-critic for stable-baselines3: one shared MLP scores every device.

The observation is ``n_devices x N_FEATURES`` device rows (flattened, padded for training). The
actor embeds each row with the same MLP and emits one logit per row, rows whose ``fits`` flag is 0
get a -1e8 logit (so plain PPO never samples an infeasible device - no sb3-contrib needed); the
critic pools the embeddings of feasible rows. Because nothing depends on a row's position or on
the row count, the trained scorer runs unchanged on topologies of any size; ``export_scorer``
copies it to the NumPy ``DeviceScorer`` used at planning time.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from stable_baselines3.common.policies import ActorCriticPolicy
from torch import nn

from experts.drl_scorer import MASKED_LOGIT, DeviceScorer
from experts.placement_env import FIT, N_FEATURES

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


def export_scorer(model, path) -> DeviceScorer:
    """Write the actor of a trained PPO model (DeviceScorerPolicy) as a NumPy ``.npz`` scorer."""
    ext = model.policy.mlp_extractor
    l1, l2 = ext.embed[0], ext.embed[2]
    scorer = DeviceScorer(
        l1.weight.detach().numpy().T, l1.bias.detach().numpy(),
        l2.weight.detach().numpy().T, l2.bias.detach().numpy(),
        ext.score.weight.detach().numpy().T[:, 0], float(ext.score.bias.detach().numpy()[0]),
    )
    scorer.save(path)
    return scorer
