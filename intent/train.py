"""Retrain the learned clause scorer: `python -m intent.train [--rows 9000] [--seed 11] [--epochs 30]
[--exclude SET] [--no-hand] [--hand-repeat 3]`.

Generates the corpus (intent/corpus.py, templates), adds the clause rows of the burned hand-written
labelled sets (intent/handwritten.py, round 4; `--exclude` leaves a set out, `--no-hand` trains on
the corpus alone), embeds both with the bundled MiniLM, trains the two heads (objective and degree,
intent/head.py) with a fixed seed and writes intent/data/clause_head.npz; writes the effect prototypes
(intent/effects.py: the written ones plus the hand rows' blank clauses) to intent/data/effect_prototypes.npz.
Round 10: a third head in the same weights file, the relevance head (on-topic / off-topic clause), trained on
the generated look-alikes (intent/lookalikes.py), the hand sets' relevance rows and the corpus's objective rows.
Prints accuracy on a 15 % slice of the generated corpus kept out of training (a sanity check of
fit, not of generalisation: bench/intent_loso.py and the held-out intent sets in bench/ measure that).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Sequence

import numpy as np

from intent.corpus import ABSENT, CLASSES, DEGREES, SEED, generate_corpus
from intent.effects import PROTOTYPES, EffectPrototypes
from intent.handwritten import HAND_SETS
from intent.head import WEIGHTS
from omniplan.objectives import OBJECTIVES

#: hidden width: large enough to separate six classes per objective, small enough to ship (~0.3 MB for both heads in fp16).
HIDDEN = 256
#: label smoothing keeps the heads from saturating at p = 1.00 on template wording, so the fusion
#: thresholds (intent/fusion.py) still separate confident readings from guesses on new wording.
LABEL_SMOOTHING = 0.1
#: generated asks the relevance head sees as on-topic examples (round 10): all ~7000 would outnumber the few hundred
#: off-topic look-alikes 14 to 1 and keep its off-topic probability low on new look-alikes; chosen by the veto's
#: leave-one-set-out count (good / wrong vetoes at 0.8: 10 / 0 with 3000, 8 / 0 with all, 11 / 1 with 1500).
RELEVANCE_ASKS = 3000
#: epochs of the joint top-layer stage the command line runs (round 13, intent/tuned.py); 0 = MiniLM stays frozen.
TUNE_EPOCHS = 0
#: each hand-written clause row is seen this many times per epoch: a few hundred rows next to 7650
#: generated ones would otherwise barely move the heads.
HAND_REPEAT = 3


def _fit(x: np.ndarray, y: np.ndarray, groups: int, classes: int, seed: int, epochs: int):
    """Train one two-layer perceptron (cross-entropy per group, label -1 ignored); returns the torch model."""
    import torch

    torch.manual_seed(seed)
    torch.set_num_threads(2)
    model = torch.nn.Sequential(torch.nn.Linear(x.shape[1], HIDDEN), torch.nn.ReLU(), torch.nn.Dropout(0.2),
                                torch.nn.Linear(HIDDEN, groups * classes))
    optimiser = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=1e-3)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y.reshape(len(y), groups))
    generator = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        model.train()
        for batch in torch.randperm(len(xt), generator=generator).split(128):
            logits = model(xt[batch]).view(-1, classes)
            loss = torch.nn.functional.cross_entropy(logits, yt[batch].reshape(-1), ignore_index=-1,
                                                   label_smoothing=LABEL_SMOOTHING)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
    model.eval()
    return model


def _predict(model, x: np.ndarray, groups: int, classes: int) -> np.ndarray:
    import torch

    with torch.no_grad():
        return model(torch.from_numpy(x)).view(len(x), groups, classes).argmax(-1).numpy()


def _arrays(prefix: str, model) -> dict[str, np.ndarray]:
    first, second = model[0], model[3]
    return {f"{prefix}_w1": first.weight.detach().numpy().T.astype(np.float16),
            f"{prefix}_b1": first.bias.detach().numpy().astype(np.float16),
            f"{prefix}_w2": second.weight.detach().numpy().T.astype(np.float16),
            f"{prefix}_b2": second.bias.detach().numpy().astype(np.float16)}


def train(rows: int = 9000, seed: int = SEED, epochs: int = 30, out: Path = WEIGHTS,
          hand_sets: Sequence[str] = HAND_SETS, exclude: Sequence[str] = (),
          hand_repeat: int = HAND_REPEAT, prototypes: Path | None = None, tune_epochs: int = TUNE_EPOCHS) -> dict[str, float]:
    """Train and save both heads; returns fit statistics on the kept-out slice of the generated corpus.

    hand_sets: hand-written labelled sets (intent/handwritten.py) whose clause rows join the training
    rows, `hand_repeat` times each; `exclude` leaves sets out (leave-one-set-out validation).
    prototypes: where to write the effect prototypes built from the same hand rows (None: not written; the
    command line writes the shipped intent/data/effect_prototypes.npz, a library call only where it is told to).
    tune_epochs: round 13: epochs of a second stage that fine-tunes MiniLM's top layer jointly with the three heads
    on the same rows (intent/tuned.py); 0 keeps MiniLM frozen, as before round 13.
    """
    from intent.encoder import get_encoder
    from intent.handwritten import relevance_rows, rows as hand_rows
    from intent.lookalikes import ON_TOPIC, generate_lookalikes

    started = time.perf_counter()
    corpus = generate_corpus(rows, seed)
    hand = hand_rows(hand_sets, exclude) if hand_sets else []
    everything = corpus + hand
    encoder = get_encoder()
    x = encoder.encode([r.text for r in everything])
    xm = encoder.encode([r.masked for r in everything])
    y = np.array([[r.labels[o] for o in OBJECTIVES] for r in everything], dtype=np.int64)
    yd = np.array([r.degree for r in everything], dtype=np.int64)
    embedded = time.perf_counter()
    order = np.random.default_rng(seed).permutation(len(corpus))
    cut = int(0.85 * len(order))
    fit, kept = order[:cut], order[cut:]
    fit = np.concatenate([fit] + [np.arange(len(corpus), len(everything))] * hand_repeat)
    objective = _fit(x[fit], y[fit], len(OBJECTIVES), len(CLASSES), seed, epochs)
    degree = _fit(xm[fit], yd[fit], 1, len(DEGREES), seed, epochs)
    # round 10: the relevance head; on-topic examples are the corpus rows that ask for an objective (already
    # embedded), the look-alikes and the hand sets' relevance rows (repeated like the other hand rows)
    generated = generate_lookalikes(seed)
    hand_relevance = relevance_rows(hand_sets, exclude) if hand_sets else []
    extra = generated + hand_relevance * hand_repeat
    asks = [i for i in fit if i < len(corpus) and any(v > ABSENT for v in corpus[i].labels.values())]
    asks = sorted(np.random.default_rng(seed).permutation(asks)[:RELEVANCE_ASKS])
    xr = np.concatenate([x[asks], encoder.encode([t for t, _ in extra])])
    yr = np.array([ON_TOPIC] * len(asks) + [label for _, label in extra], dtype=np.int64)
    relevance = _fit(xr, yr, 1, 2, seed, epochs)
    top_arrays = {}
    if tune_epochs > 0:  # round 13: the top layer and the three heads together, on the same rows
        from intent import tuned

        relevance_texts = [corpus[i].text for i in asks] + [t for t, _ in extra]
        top = tuned.fit_top(encoder, [(objective, [everything[i].text for i in fit], y[fit], len(OBJECTIVES), len(CLASSES)),
                                      (degree, [everything[i].masked for i in fit], yd[fit].reshape(-1, 1), 1, len(DEGREES)),
                                      (relevance, relevance_texts, yr.reshape(-1, 1), 1, 2)],
                            seed, tune_epochs, LABEL_SMOOTHING)
        top_arrays = tuned.deltas(top, encoder.model.w)
        x = x.copy()
        x[kept] = tuned.tuned_vectors(encoder, top, [everything[i].text for i in kept])
        xm = xm.copy()
        xm[kept] = tuned.tuned_vectors(encoder, top, [everything[i].masked for i in kept])
    pred = _predict(objective, x[kept], len(OBJECTIVES), len(CLASSES))
    has_degree = kept[yd[kept] >= 0]
    pred_degree = _predict(degree, xm[has_degree], 1, len(DEGREES))[:, 0]
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out, **_arrays("objective", objective), **_arrays("degree", degree),
                        **_arrays("relevance", relevance), **top_arrays)
    if prototypes is not None:  # round 7: the effect prototypes, from the same hand rows (intent/effects.py)
        EffectPrototypes.build(encoder, hand).save(prototypes)
    return {"rows": len(corpus), "hand_rows": len(hand), "relevance_rows": len(yr), "off_topic_rows": int(yr.sum()), "objective_label_acc": float((pred == y[kept]).mean()),
            "objective_row_exact": float((pred == y[kept]).all(axis=1).mean()),
            "degree_acc": float((pred_degree == yd[has_degree]).mean()),
            "embed_s": embedded - started, "train_s": time.perf_counter() - embedded}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=9000)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--out", type=Path, default=WEIGHTS)
    parser.add_argument("--exclude", action="append", default=[], help="leave out a hand-written set (file stem)")
    parser.add_argument("--no-hand", action="store_true", help="train on the generated corpus alone")
    parser.add_argument("--hand-repeat", type=int, default=HAND_REPEAT)
    parser.add_argument("--prototypes", type=Path, default=PROTOTYPES)
    parser.add_argument("--tune-epochs", type=int, default=TUNE_EPOCHS,
                        help="epochs fine-tuning MiniLM's top layer with the heads (round 13; 0: frozen)")
    args = parser.parse_args()
    stats = train(args.rows, args.seed, args.epochs, args.out, () if args.no_hand else HAND_SETS, args.exclude,
                  args.hand_repeat, args.prototypes, args.tune_epochs)
    print(" ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in stats.items()),
          f"-> {args.out} ({args.out.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
