"""Retrain the intent reader (intent/reader.py): `python -m intent.train_reader [--seed 11] [--epochs 40]
[--exclude SET] [--out intent/data/intent_reader.npz] [--rules bench/results/intent_loso_round11]`.

Reads every labelled intent of the burned hand-written sets (intent/handwritten.py HAND_SETS; `--exclude`
leaves a set out, as the leave-one-set-out bench does per fold), runs MiniLM once per intent for its
token states, and trains the reader with a fixed seed. Writes float16 weights (~0.3 MB).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Sequence

import numpy as np

from intent.corpus import SEED
from intent.handwritten import HAND_SETS, load_set
from intent.reader import LEVELS, READER_WEIGHTS, IntentReader
from omniplan.objectives import OBJECTIVES

#: attention key width and hidden width: the smallest that fit the ~2,400 hand intents (larger ones
#: only memorise them; the weights stay ~0.3 MB in float16).
KEY_WIDTH, HIDDEN = 64, 128
#: label smoothing and dropout: ~2,400 intents is little data for 7 x 5 outputs; both keep the reader's
#: probabilities from saturating, so the combination's confidence threshold still means something.
LABEL_SMOOTHING, DROPOUT = 0.1, 0.2
EPOCHS, BATCH, LEARNING_RATE, WEIGHT_DECAY = 40, 32, 2e-3, 1e-2


def labelled_intents(sets: Sequence[str] = HAND_SETS, exclude: Sequence[str] = ()) -> list[dict]:
    """The labelled intents of `sets` but those in `exclude` (each with its set name under "set")."""
    return [dict(r, set=name) for name in sets if name not in set(exclude) for r in load_set(name)]


def level_matrix(items: Sequence[dict]) -> np.ndarray:
    """Gold levels, shape (intents, 7)."""
    return np.array([[int(r["levels"].get(o, 0)) for o in OBJECTIVES] for r in items], dtype=np.int64)


def loso_rule_levels(directory: Path, items: Sequence[dict]) -> np.ndarray:
    """The rule reading's levels (intents, 7) of labelled intents (from `labelled_intents`), read from a
    bench/intent_loso.py output directory: each set's reading by the clause heads of its own fold, i.e. heads
    that never saw it. WHY not the shipped translator's reading: that one was trained on these very sets and is
    right more often on them than on a new writer's intents, and a reader trained on it learns to trust it too much.
    A set without its own file is read from the pooled fold's file (older_sets_loso.jsonl)."""
    files: dict[Path, dict[str, dict]] = {}
    out = np.zeros((len(items), len(OBJECTIVES)), dtype=np.int64)
    for i, r in enumerate(items):
        path = directory / f"{r['set']}_loso.jsonl"
        if not path.is_file():
            path = directory / "older_sets_loso.jsonl"
        if path not in files:
            with open(path, encoding="utf-8") as f:
                files[path] = {str(p["id"]): p for p in map(json.loads, filter(str.strip, f))}
        preference = files[path][str(r["id"])]["preference"]
        out[i] = [int(round(4 * max(0.0, min(1.0, float(preference.get(o, 0.0)))))) for o in OBJECTIVES]
    return out


def _padded(states: Sequence[np.ndarray]):
    import torch

    length = max(len(s) for s in states)
    x = np.zeros((len(states), length, states[0].shape[1]), dtype=np.float32)
    mask = np.zeros((len(states), length), dtype=bool)
    for i, s in enumerate(states):
        x[i, :len(s)] = s
        mask[i, :len(s)] = True
    return torch.from_numpy(x), torch.from_numpy(mask)


def _model(dim: int, rules: bool):
    import torch

    class Reader(torch.nn.Module):
        """The torch twin of intent/reader.py IntentReader (same arrays, same forward pass, plus dropout)."""

        def __init__(self, rules: bool) -> None:
            super().__init__()
            n = len(OBJECTIVES)
            self.key = torch.nn.Linear(dim, KEY_WIDTH)
            self.queries = torch.nn.Parameter(torch.randn(n, KEY_WIDTH) * 0.1)
            self.layer = torch.nn.Linear(2 * dim, HIDDEN)
            self.objective_bias = torch.nn.Parameter(torch.zeros(n, HIDDEN))
            self.w2 = torch.nn.Parameter(torch.randn(n, HIDDEN, LEVELS) * (1 / HIDDEN ** 0.5))
            self.b2 = torch.nn.Parameter(torch.zeros(n, LEVELS))
            self.drop = torch.nn.Dropout(DROPOUT)
            self.rule_w = torch.nn.Linear(n * LEVELS, HIDDEN, bias=False) if rules else None
            self.rule_own = torch.nn.Linear(LEVELS, HIDDEN, bias=False) if rules else None

        def forward(self, x, mask, rules=None):
            scores = torch.tanh(self.key(x)) @ self.queries.T                     # (B, L, 7)
            scores = scores.masked_fill(~mask[:, :, None], float("-inf"))
            attention = scores.softmax(dim=1)
            pooled = torch.einsum("blo,bld->bod", attention, x)                   # (B, 7, D)
            weights = mask[:, :, None].float()
            mean = (x * weights).sum(1) / weights.sum(1)
            features = torch.cat([pooled, mean[:, None, :].expand_as(pooled)], dim=2)
            before = self.layer(self.drop(features)) + self.objective_bias
            if self.rule_w is not None:
                onehot = torch.nn.functional.one_hot(rules, LEVELS).float()         # (B, 7, 5)
                before = before + self.rule_w(onehot.reshape(len(x), -1))[:, None, :] + self.rule_own(onehot)
            hidden = torch.relu(before)
            return torch.einsum("boh,bohl->bol", self.drop(hidden), self.w2.expand(len(x), -1, -1, -1)) + self.b2

    return Reader(rules)


def fit(states: Sequence[np.ndarray], levels: np.ndarray, seed: int = SEED, epochs: int = EPOCHS,
        rules: np.ndarray | None = None) -> IntentReader:
    """Train a reader on token states and gold levels (intents, 7); returns it with float16-rounded weights.
    rules (intents, 7): the rule reading's levels, read as an input (None: a reader of the text alone)."""
    import torch

    torch.manual_seed(seed)
    # one thread: the batches are small, and on a busy 2-core box a second thread mostly spin-waits
    torch.set_num_threads(1)
    model = _model(states[0].shape[1], rules is not None)
    optimiser = torch.optim.AdamW(model.parameters(), lr=LEARNING_RATE, weight_decay=WEIGHT_DECAY)
    generator = torch.Generator().manual_seed(seed)
    y = torch.from_numpy(levels)
    # batches of similar length: little padding, and each batch is padded once, not every epoch
    order = sorted(range(len(states)), key=lambda i: len(states[i]))
    batches = [order[i:i + BATCH] for i in range(0, len(order), BATCH)]
    padded = [_padded([states[i] for i in b]) for b in batches]
    model.train()
    for _ in range(epochs):
        for k in torch.randperm(len(batches), generator=generator).tolist():
            x, mask = padded[k]
            logits = model(x, mask, None if rules is None else torch.from_numpy(rules[batches[k]]))
            loss = torch.nn.functional.cross_entropy(logits.reshape(-1, LEVELS), y[batches[k]].reshape(-1),
                                                     label_smoothing=LABEL_SMOOTHING)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
    model.eval()
    arrays = {"key_w": model.key.weight.T, "key_b": model.key.bias, "queries": model.queries,
              "w1": model.layer.weight.T, "b1": model.layer.bias, "objective_bias": model.objective_bias,
              "w2": model.w2, "b2": model.b2}
    if rules is not None:
        arrays.update(rule_w=model.rule_w.weight.T, rule_own=model.rule_own.weight.T)
    return IntentReader(**{k: v.detach().numpy().astype(np.float16).astype(np.float32) for k, v in arrays.items()})


def save(reader: IntentReader, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    names = ("key_w", "key_b", "queries", "w1", "b1", "objective_bias", "w2", "b2", "rule_w", "rule_own")
    np.savez_compressed(out, **{k: getattr(reader, k).astype(np.float16) for k in names
                                if getattr(reader, k) is not None})


def train_reader(out: Path = READER_WEIGHTS, seed: int = SEED, epochs: int = EPOCHS,
                 sets: Sequence[str] = HAND_SETS, exclude: Sequence[str] = (),
                 rules_dir: Path | None = None) -> dict[str, float]:
    """Embed, train and save; returns the training fit (a sanity check, not generalisation).
    rules_dir: a bench/intent_loso.py output directory; the reader then also reads the rule levels
    (`loso_rule_levels`), None trains a reader of the text alone."""
    from intent.encoder import get_encoder

    started = time.perf_counter()
    items = labelled_intents(sets, exclude)
    states = get_encoder().token_states([r["text"] for r in items])
    embedded = time.perf_counter()
    levels = level_matrix(items)
    rules = loso_rule_levels(rules_dir, items) if rules_dir is not None else None
    reader = fit(states, levels, seed, epochs, rules)
    save(reader, out)
    predicted = reader.probabilities(states, rules).argmax(-1)
    return {"intents": len(items), "train_level_acc": float((predicted == levels).mean()),
            "train_intent_exact": float((predicted == levels).all(axis=1).mean()),
            "embed_s": embedded - started, "train_s": time.perf_counter() - embedded}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument("--out", type=Path, default=READER_WEIGHTS)
    parser.add_argument("--exclude", action="append", default=[], help="leave out a hand-written set (file stem)")
    parser.add_argument("--rules", type=Path, default=None,
                        help="read the rule levels too, from this bench/intent_loso.py output directory")
    args = parser.parse_args()
    stats = train_reader(args.out, args.seed, args.epochs, HAND_SETS, args.exclude, args.rules)
    print(" ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in stats.items()),
          f"-> {args.out} ({args.out.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
