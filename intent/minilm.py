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

    def _ln(self, x: torch.Tensor, name: str) -> torch.Tensor:
        return F.layer_norm(x, (self.hidden,), self.w[f"{name}.weight"], self.w[f"{name}.bias"], self.eps)

    def _dense(self, x: torch.Tensor, name: str) -> torch.Tensor:
        return F.linear(x, self.w[f"{name}.weight"], self.w[f"{name}.bias"])

    @torch.inference_mode()
    def embed(self, ids: torch.Tensor, mask: torch.Tensor, types: torch.Tensor) -> torch.Tensor:
        """Unit-length sentence vectors for a padded batch of token ids."""
        x = self.states(ids, mask, types)
        weights = mask.unsqueeze(-1).to(x.dtype)
        pooled = (x * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
        return F.normalize(pooled, p=2, dim=1)

    @torch.inference_mode()
    def states(self, ids: torch.Tensor, mask: torch.Tensor, types: torch.Tensor) -> torch.Tensor:
        """The last layer's token states, shape (batch, length, hidden); the intent reader (intent/reader.py)
        pools them itself, per objective, instead of the sentence vector's one mean."""
        w = self.w
        batch, length = ids.shape
        positions = torch.arange(length).unsqueeze(0)
        x = (F.embedding(ids, w["embeddings.word_embeddings.weight"])
             + F.embedding(positions, w["embeddings.position_embeddings.weight"])
             + F.embedding(types, w["embeddings.token_type_embeddings.weight"]))
        x = self._ln(x, "embeddings.LayerNorm")
        head_dim = self.hidden // self.heads
        bias = torch.zeros(batch, 1, 1, length)
        bias.masked_fill_(mask[:, None, None, :] == 0, torch.finfo(torch.float32).min)

        def split(t: torch.Tensor) -> torch.Tensor:
            return t.view(batch, length, self.heads, head_dim).transpose(1, 2)

        for i in range(self.layers):
            p = f"encoder.layer.{i}."
            q = split(self._dense(x, p + "attention.self.query"))
            k = split(self._dense(x, p + "attention.self.key"))
            v = split(self._dense(x, p + "attention.self.value"))
            scores = q @ k.transpose(-1, -2) / math.sqrt(head_dim) + bias
            context = (scores.softmax(-1) @ v).transpose(1, 2).reshape(batch, length, self.hidden)
            x = self._ln(self._dense(context, p + "attention.output.dense") + x, p + "attention.output.LayerNorm")
            inner = F.gelu(self._dense(x, p + "intermediate.dense"))
            x = self._ln(self._dense(inner, p + "output.dense") + x, p + "output.LayerNorm")
        return x
