"""Leave-one-set-out grid for the effect prototypes (intent/effects.py): which prototype sources and thresholds.

usage: .venv/bin/python bench/intent_effects_grid.py train DIR
       .venv/bin/python bench/intent_effects_grid.py eval DIR [--off] [--sources written+hand|written|hand]
              [--similarity 0.5 --margin 0.03 --agreement 0.4] [--misses FILE]

`train` fits the clause heads once per writer fold (bench/intent_loso.py FOLDS: the corpus plus every other
hand-written set) into DIR, plus heads on everything for the dev set; `eval` translates each fold with its heads
and one prototype setting and prints per-fold translation / activation accuracy, their mean over the seven folds,
the mean of the three newest folds and the dev set. The hand-written prototype rows of a fold are always built
without that fold's set. WHY a separate tool: bench/intent_loso.py retrains for every run; here one set of fold heads
serves every setting, so a grid costs one translation pass per setting. Scoring uses the shared scorer's own rules
(imported from ../shared/bench/score_intents.py), in-process.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT.parents[1] / "shared" / "bench"))  # /work/shared/bench from /work/wt/BRANCH
sys.path.insert(0, str(ROOT.parent / "shared" / "bench"))  # ../shared/bench from /work/main

from score_intents import OBJECTIVES, activation, dominant  # noqa: E402

from intent import effects  # noqa: E402
from intent.encoder import get_encoder  # noqa: E402
from intent.handwritten import load_set, rows as hand_rows  # noqa: E402
from intent.head import ClauseHeads  # noqa: E402

sys.path.insert(0, str(ROOT / "bench"))
from intent_loso import FOLDS  # noqa: E402


def _judge(gold: dict, preference: dict) -> tuple[bool, bool]:
    pl = {o: int(round(4 * max(0.0, min(1.0, float(preference.get(o, 0.0)))))) for o in OBJECTIVES}
    gl = {o: int(gold["levels"].get(o, 0)) for o in OBJECTIVES}
    translated = ({o for o in OBJECTIVES if pl[o]} == {o for o in OBJECTIVES if gl[o]}
                  and all(abs(pl[o] - gl[o]) <= 1 for o in OBJECTIVES) and dominant(pl) == dominant(gl))
    return translated, activation(pl) == activation(gl)


def _label(fold: str) -> str:
    return fold if "+" not in fold else "older_sets"


def train_folds(directory: Path) -> None:
    from intent.train import train

    directory.mkdir(parents=True, exist_ok=True)
    for fold in FOLDS:
        stats = train(out=directory / f"{_label(fold)}.npz", exclude=fold.split("+"), prototypes=None)
        print(_label(fold), f"hand_rows={stats['hand_rows']}", flush=True)
    train(out=directory / "all.npz", prototypes=None)


def prototypes_for(fold_members: list[str], sources: str) -> effects.EffectPrototypes:
    encoder = get_encoder()
    rows = hand_rows(exclude=fold_members) if "hand" in sources else []
    built = effects.EffectPrototypes.build(encoder, rows)
    if "written" not in sources:  # drop the written prototypes (they come first)
        written = len(effects.prototype_texts()[0])
        built = effects.EffectPrototypes(built.vectors[written:], built.labels[written:])
    return built


def evaluate(directory: Path, args: argparse.Namespace) -> None:
    from intent.embedded import EmbeddedTranslator

    effects.EFFECT_SIMILARITY, effects.EFFECT_MARGIN, effects.EFFECT_AGREEMENT = args.similarity, args.margin, args.agreement
    translator = EmbeddedTranslator(get_encoder())
    out = open(args.misses, "w", encoding="utf-8") if args.misses else None
    scores = []
    for fold in FOLDS:
        members = fold.split("+")
        translator.heads = ClauseHeads.load(directory / f"{_label(fold)}.npz")
        translator.effects = None if args.off else prototypes_for(members, args.sources)
        items = [r for name in members for r in load_set(name)]
        judged = [_judge(g, t.preference.as_dict()) for g, t in zip(items, translator.translate_many([r["text"] for r in items]))]
        if out:
            out.writelines(f"{_label(fold)} {g['id']} {'T' if t else '-'}{'A' if a else '-'} {g['text']!r}\n"
                           for g, (t, a) in zip(items, judged) if not (t and a))
        scores.append((_label(fold), sum(t for t, _ in judged) / len(items), sum(a for _, a in judged) / len(items)))
    translator.heads = ClauseHeads.load(directory / "all.npz")
    translator.effects = None if args.off else prototypes_for([], args.sources)
    dev = [json.loads(line) for line in open(ROOT.parents[1] / "shared" / "bench" / "intents_dev.jsonl")]
    dev_judged = [_judge(g, t.preference.as_dict()) for g, t in zip(dev, translator.translate_many([r["text"] for r in dev]))]
    mean = lambda rows, k: sum(r[k] for r in rows) / len(rows)  # noqa: E731
    newest = scores[3:6]
    print(" ".join(f"{name}={t:.3f}/{a:.3f}" for name, t, a in scores),
          f"| mean={mean(scores, 1):.4f}/{mean(scores, 2):.4f} newest3={mean(newest, 1):.4f}/{mean(newest, 2):.4f}",
          f"dev={sum(t for t, _ in dev_judged) / len(dev):.3f}/{sum(a for _, a in dev_judged) / len(dev):.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("train", "eval"))
    parser.add_argument("directory", type=Path)
    parser.add_argument("--off", action="store_true", help="no effect prototypes")
    parser.add_argument("--sources", default="written+hand")
    parser.add_argument("--similarity", type=float, default=effects.EFFECT_SIMILARITY)
    parser.add_argument("--margin", type=float, default=effects.EFFECT_MARGIN)
    parser.add_argument("--agreement", type=float, default=effects.EFFECT_AGREEMENT)
    parser.add_argument("--misses", default=None)
    args = parser.parse_args()
    if args.command == "train":
        train_folds(args.directory)
    else:
        evaluate(args.directory, args)


if __name__ == "__main__":
    main()
