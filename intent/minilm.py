"""A plain-torch forward pass of the bundled MiniLM-L6 (BERT) sentence encoder.

WHY not transformers.BertModel: importing transformers costs several CPU-seconds before a single
sentence is embedded, which alone breaks the 5 s start-up budget of `omniplan translate` on a
2-core box. The network is six standard BERT layers; this module runs exactly those (weights read
from the package's model.safetensors, config from its config.json) and the sentence-transformers
head of the package (mean pooling over real tokens, then L2 normalisation). A test checks the
vectors against SentenceTransformer(path, device="cpu").
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import torch
import torch.nn.functional as F


class MiniLM:
    """BERT encoder (eval mode, no dropout) with mean pooling and normalisation."""

    def __init__(self, path: Path):
        from safetensors.torch import load_file

        config = json.loads((path / "config.json").read_text())
        if config.get("model_type") != "bert" or config.get("hidden_act") != "gelu":
            raise ValueError(f"{path}: expected a BERT model with gelu activation")
        self.heads = int(config["num_attention_heads"])
        self.layers = int(config["num_hidden_layers"])
        self.eps = float(config["layer_norm_eps"])
        self.hidden = int(config["hidden_size"])
        self.w = load_file(str(path / "model.safetensors"))
        prefix = "bert." if "bert.embeddings.word_embeddings.weight" in self.w else ""
        self.w = {k[len(prefix):]: v.float() for k, v in self.w.items() if k.startswith(prefix)}

    @torch.inference_mode()
    def embed(self, ids: torch.Tensor, mask: torch.Tensor, types: torch.Tensor) -> torch.Tensor:
        """Unit-length sentence vectors for a padded batch of token ids."""
        return self.pool(self.states(ids, mask, types), mask)

    @staticmethod
    def pool(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """The sentence-transformers head: mean over real tokens, then L2 normalisation."""
        weights = mask.unsqueeze(-1).to(x.dtype)
        pooled = (x * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
        return F.normalize(pooled, p=2, dim=1)

    @torch.inference_mode()
    def states(self, ids: torch.Tensor, mask: torch.Tensor, types: torch.Tensor) -> torch.Tensor:
        """The last layer's token states, shape (batch, length, hidden); the intent reader (intent/reader.py)
        pools them itself, per objective, instead of the sentence vector's one mean."""
        return self.states_below(ids, mask, types, self.layers)

    @torch.inference_mode()
    def states_below(self, ids: torch.Tensor, mask: torch.Tensor, types: torch.Tensor, top: int) -> torch.Tensor:
        """Token states after layers 0 .. top-1 (the input of layer `top`); top = self.layers gives `states`.

        WHY (round 13): the tuned top layer (intent/tuned.py) reads the same lower layers as the original one, so
        both are run once on these states instead of two full passes.
        """
        w = self.w
        batch, length = ids.shape
        positions = torch.arange(length).unsqueeze(0)
        x = (F.embedding(ids, w["embeddings.word_embeddings.weight"])
             + F.embedding(positions, w["embeddings.position_embeddings.weight"])
             + F.embedding(types, w["embeddings.token_type_embeddings.weight"]))
        x = self._norm(x, self.w, "embeddings.LayerNorm")
        for i in range(top):
            x = self.layer(x, mask, i)
        return x

    def attention_output(self, ids: torch.Tensor, mask: torch.Tensor, types: torch.Tensor, i: int) -> torch.Tensor:
        """Token states after layer `i`'s attention half (the input of its feed-forward half): what the tuned
        top layer's training caches and what its inference shares with the original feed-forward half."""
        return self.attention(self.states_below(ids, mask, types, i), mask, i)

    def layer(self, x: torch.Tensor, mask: torch.Tensor, i: int, weights: dict[str, torch.Tensor] | None = None) -> torch.Tensor:
        """BERT layer `i` on token states x (batch, length, hidden); `weights` replaces the layer's own tensors
        (same names, e.g. "encoder.layer.5.output.dense.weight"): the tuned top layer, trainable or not."""
        return self.feed_forward(self.attention(x, mask, i, weights), i, weights)

    def _weights(self, weights: dict[str, torch.Tensor] | None):
        return self.w if not weights else {**self.w, **weights}

    def attention(self, x: torch.Tensor, mask: torch.Tensor, i: int, weights: dict[str, torch.Tensor] | None = None) -> torch.Tensor:
        """The self-attention half of layer `i` (with its residual and LayerNorm)."""
        w = self._weights(weights)
        batch, length, _ = x.shape
        head_dim = self.hidden // self.heads
        bias = torch.zeros(batch, 1, 1, length, dtype=x.dtype)
        bias.masked_fill_(mask[:, None, None, :] == 0, torch.finfo(x.dtype).min)

        def split(t: torch.Tensor) -> torch.Tensor:
            return t.view(batch, length, self.heads, head_dim).transpose(1, 2)

        p = f"encoder.layer.{i}."
        q = split(_dense(x, w, p + "attention.self.query"))
        k = split(_dense(x, w, p + "attention.self.key"))
        v = split(_dense(x, w, p + "attention.self.value"))
        scores = q @ k.transpose(-1, -2) / math.sqrt(head_dim) + bias
        context = (scores.softmax(-1) @ v).transpose(1, 2).reshape(batch, length, self.hidden)
        return self._norm(_dense(context, w, p + "attention.output.dense") + x, w, p + "attention.output.LayerNorm")

    def feed_forward(self, a: torch.Tensor, i: int, weights: dict[str, torch.Tensor] | None = None) -> torch.Tensor:
        """The feed-forward half of layer `i` on the attention half's output `a` (any leading shape: it works per
        token, which lets the tuned top layer's training run on flat, unpadded token rows)."""
        w = self._weights(weights)
        p = f"encoder.layer.{i}."
        inner = F.gelu(_dense(a, w, p + "intermediate.dense"))
        return self._norm(_dense(inner, w, p + "output.dense") + a, w, p + "output.LayerNorm")

    def _norm(self, x: torch.Tensor, w: dict, name: str) -> torch.Tensor:
        return F.layer_norm(x, (self.hidden,), w[f"{name}.weight"], w[f"{name}.bias"], self.eps)


def _dense(x: torch.Tensor, w: dict, name: str) -> torch.Tensor:
    return F.linear(x, w[f"{name}.weight"], w[f"{name}.bias"])
