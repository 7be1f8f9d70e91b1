"""MiniLM's top layer (its feed-forward half) fine-tuned jointly with the clause heads (round 13), and its training
on cached states.

WHY: the clause heads (intent/head.py) read frozen MiniLM sentence vectors, and a frozen mean-pooled vector
blurs what the heads need most (which word is negated, which one is a symptom, whether "power" means watts or a
"power user"). Fine-tuning every layer is out of reach on 2 shared CPU cores, and so is the whole top layer: a
forward and backward pass through it costs about 10 MFLOP per token, 2 minutes per epoch of the hand rows on the
shared box (measured), times twelve leave-one-set-out folds. Its feed-forward half is not: the states *entering*
it (five layers plus the last attention) are computed once per text and cached, the feed-forward half works per
token so a batch is one flat matrix of real tokens (no padding), and only its output projection and LayerNorm
(TUNED, 0.6 M weights) are trained, jointly with the three heads. At inference the shared part runs once per
clause and feeds both the original feed-forward half (whose sentence vectors the anchor curves and effect
prototypes were built on) and the tuned one (which the heads read).

The tuned layer ships as a float16 *difference* from the original layer inside the heads' weights file
(keys "top.<tensor name>", intent/data/clause_head.npz), so an untouched tensor costs almost nothing once
compressed and the original layer stays the package's own. A weights file without those keys has no tuned
layer: the heads then read the original vectors, exactly as before round 13.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

#: prefix of the tuned layer's tensors in the heads' weights file.
KEY_PREFIX = "top."
#: learning rate of the tuned layer's weights: small, so the layer moves only as far as the heads need (a larger
#: rate overwrites what the pre-training knew about words the training rows never show).
TOP_LR = 3e-5
#: learning rate of the heads during the joint stage (they start from their frozen-vector training).
HEAD_LR = 3e-4
#: the tensors of the last layer that are tuned: the feed-forward output projection and its LayerNorm. WHY not the
#: intermediate projection too: it would need a backward pass through the 1536-wide activation (about twice the cost).
TUNED = ("output.dense.weight", "output.dense.bias", "output.LayerNorm.weight", "output.LayerNorm.bias")
#: rows per task per step of the joint stage (objective, degree and relevance rows are stepped together).
BATCH = 64


@dataclass
class TunedTop:
    """The tuned copy of MiniLM layer `index` (its tensors by the model's own names), with a per-sentence cache.

    Example: TunedTop(5, {"encoder.layer.5.output.dense.weight": tensor, ...}); `Encoder.encode_pair(texts, top)`
    gives the original and the tuned sentence vectors of each text from one pass through layers 0-4.
    """

    index: int
    weights: dict
    cache: dict = field(default_factory=dict, repr=False)

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], original: dict) -> "TunedTop | None":
        """The tuned layer from a weights file's "top.*" arrays (differences from `original`, the bundled MiniLM's
        tensors by name), or None without any. Only the last layer can be tuned: its original output is the
        sentence vector the rest of the translator reads."""
        import torch

        deltas = {k[len(KEY_PREFIX):]: v for k, v in arrays.items() if k.startswith(KEY_PREFIX)}
        if not deltas:
            return None
        indices = {int(name.split(".")[2]) for name in deltas}
        layers = 1 + max(int(name.split(".")[2]) for name in original if name.startswith("encoder.layer."))
        if indices != {layers - 1} or any(name.split(".", 3)[3] not in TUNED or name not in original or original[name].shape != tuple(v.shape)
                                    for name, v in deltas.items()):
            raise ValueError("the tuned layer's tensors do not match the bundled MiniLM")
        weights = {name: original[name] + torch.from_numpy(v.astype(np.float32)) for name, v in deltas.items()}
        return cls(indices.pop(), weights)


def layer_names(index: int) -> list[str]:
    """The full names of the tuned tensors of MiniLM layer `index` (what the joint stage trains)."""
    return [f"encoder.layer.{index}.{name}" for name in TUNED]


def deltas(top: dict, original: dict) -> dict[str, np.ndarray]:
    """The weights-file arrays of a tuned layer: float16 differences from the original tensors."""
    return {KEY_PREFIX + name: (t.detach() - original[name]).numpy().astype(np.float16) for name, t in top.items()}


class StateCache:
    """The last layer's attention-half output per token, per text, computed once per process (fold trainings share it).

    WHY a cache: the leave-one-set-out bench trains twelve times on nearly the same texts; everything below the
    tuned feed-forward half is the expensive part of a pass and never changes.
    """

    def __init__(self, encoder):
        self.encoder = encoder
        self.states: dict[str, np.ndarray] = {}

    def fill(self, texts: Sequence[str]) -> None:
        missing = [t for t in dict.fromkeys(texts) if t not in self.states]
        for text, state in zip(missing, self.encoder.token_states(missing, batch_size=128, top_attention=True)):
            self.states[text] = state.astype(np.float16)

    def tokens(self, texts: Sequence[str]):
        """(tokens, segment, counts): every real token of the texts as one flat (T, hidden) tensor, the text each
        token belongs to, and each text's token count."""
        import torch

        rows = [self.states[t] for t in texts]
        counts = torch.tensor([len(r) for r in rows], dtype=torch.float32)
        segment = torch.repeat_interleave(torch.arange(len(rows)), counts.long())
        return torch.from_numpy(np.concatenate(rows).astype(np.float32)), segment, counts


def pooled(model, index: int, weights: dict, tokens, segment, counts):
    """Unit sentence vectors of flat token rows through layer `index`'s feed-forward half with `weights`."""
    import torch

    out = model.feed_forward(tokens, index, weights)
    sums = torch.zeros(len(counts), out.shape[1], dtype=out.dtype).index_add(0, segment, out)
    return torch.nn.functional.normalize(sums / counts[:, None], p=2, dim=1)


_CACHES: dict[int, StateCache] = {}


def state_cache(encoder) -> StateCache:
    """The process's cache of attention-half states for this encoder."""
    if id(encoder) not in _CACHES:
        _CACHES[id(encoder)] = StateCache(encoder)
    return _CACHES[id(encoder)]


def fit_top(encoder, tasks: Sequence[tuple[object, Sequence[str], np.ndarray, int, int]], seed: int, epochs: int,
            label_smoothing: float) -> dict:
    """Train the last layer's TUNED tensors jointly with already-trained heads; returns them by full name.

    tasks: (head model, texts, labels (rows, groups), groups, classes) per head; the heads (torch modules from
    intent.train._fit) are trained in place. One step takes BATCH rows of every task, so a step's loss is the
    sum of the heads' losses through the same layer; an epoch is as many steps as the largest task needs.
    """
    import torch

    model = encoder.model
    index = model.layers - 1
    cache = state_cache(encoder)
    cache.fill([t for _, texts, *_ in tasks for t in texts])
    torch.manual_seed(seed)
    top = {name: torch.nn.Parameter(model.w[name].clone()) for name in layer_names(index)}
    heads = [task[0] for task in tasks]
    optimiser = torch.optim.AdamW([{"params": list(top.values()), "lr": TOP_LR, "weight_decay": 0.0}]
                                  + [{"params": list(h.parameters()), "lr": HEAD_LR, "weight_decay": 1e-3}
                                     for h in heads])
    generator = torch.Generator().manual_seed(seed)
    steps = -(-max(len(texts) for _, texts, *_ in tasks) // BATCH)
    for _ in range(epochs):
        for h in heads:
            h.train()
        # each task's rows in a random order, repeated until the largest task's epoch is covered
        orders = [torch.cat([torch.randperm(len(texts), generator=generator)
                             for _ in range(-(-steps * BATCH // len(texts)))]) for _, texts, *_ in tasks]
        for step in range(steps):
            loss = 0.0
            for (head, texts, labels, groups, classes), order in zip(tasks, orders):
                rows = order[step * BATCH:(step + 1) * BATCH].tolist()
                vectors = pooled(model, index, top, *cache.tokens([texts[r] for r in rows]))
                logits = head(vectors).view(-1, classes)
                target = torch.from_numpy(labels[rows].reshape(-1))
                loss = loss + torch.nn.functional.cross_entropy(logits, target, ignore_index=-1,
                                                                label_smoothing=label_smoothing)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
    for h in heads:
        h.eval()
    return {name: p.detach().clone() for name, p in top.items()}


def tuned_vectors(encoder, top: dict, texts: Sequence[str]) -> np.ndarray:
    """Sentence vectors of texts through the tuned tensors `top` (by full name), from the state cache."""
    import torch

    model = encoder.model
    cache = state_cache(encoder)
    cache.fill(texts)
    out = [np.zeros((0, model.hidden), dtype=np.float32)]
    with torch.inference_mode():
        for start in range(0, len(texts), 256):
            out.append(pooled(model, model.layers - 1, top, *cache.tokens(texts[start:start + 256])).numpy())
    return np.concatenate(out)
