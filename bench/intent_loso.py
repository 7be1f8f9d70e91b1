"""Leave-one-set-out validation of the clause heads trained with hand-written data.

usage: .venv/bin/python bench/intent_loso.py [--folds intents_holdout_new,...] [--hand-repeat 3]
       [--score PATH/score_intents.py] [--out bench/results/intent_loso] [--ablate-effects] [--keep-heads DIR]
       [--also-exclude SET,...]

A fold is a set name, or several joined by "+" (one writer's sets left out together: the default's
last fold is the four small older sets, written here by one session).

For each fold (a hand-written set): retrain both heads (`intent.train.train`) on the generated corpus
plus every other hand-written set (intent/handwritten.py HAND_SETS minus the fold), rebuild the effect
prototypes (intent/effects.py) from the same rows, translate the fold
with those heads, write the predictions as `omniplan translate --batch` does and score them with the
shared scorer (a separate process, the same one every held-out figure in README.md comes from).
The shipped weights and prototypes are not touched. WHY per set and not per intent: the large sets come from
different writers, so a fold measures wording the heads never saw from that writer.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from intent.effects import EffectPrototypes  # noqa: E402
from intent.embedded import EmbeddedTranslator  # noqa: E402
from intent.encoder import get_encoder  # noqa: E402
from intent.handwritten import BENCH, load_set  # noqa: E402
from intent.head import ClauseHeads  # noqa: E402
from intent.train import HAND_REPEAT, TUNE_EPOCHS, train  # noqa: E402

#: the burned hand-written sets, one fold per writer (round 22: thirty-four folds, sets 30-33 their own).
FOLDS = ("intents_holdout_new", "intents_holdout_new2", "intents_holdout_new3", "intents_holdout_new4",
         "intents_holdout_new5", "intents_holdout_new6", "intents_holdout_new7", "intents_holdout_new8",
         "intents_holdout_new9", "intents_holdout_new10", "intents_holdout_new11", "intents_holdout_new12",
         "intents_holdout_new13", "intents_holdout_new14", "intents_holdout_new15", "intents_holdout_new16",
         "intents_holdout_new17", "intents_holdout_new18", "intents_holdout_new19", "intents_holdout_new20",
         "intents_holdout_new21", "intents_holdout_new22", "intents_holdout_new23", "intents_holdout_new24",
         "intents_holdout_new25", "intents_holdout_new26", "intents_holdout_new27", "intents_holdout_new28",
         "intents_holdout_new29", "intents_holdout_new30", "intents_holdout_new31", "intents_holdout_new32",
         "intents_holdout_new33",
         "intents_holdout+intents_holdout2+intents_holdout3+intents_holdout4")


def default_scorer() -> Path:
    for candidate in (ROOT.parent / "shared" / "bench" / "score_intents.py", ROOT.parents[1] / "shared" / "bench" / "score_intents.py"):
        if candidate.is_file():
            return candidate
    raise SystemExit("score_intents.py not found; pass --score")


def predict(translator: EmbeddedTranslator, items: list[dict], out: Path) -> None:
    results = translator.translate_many([r["text"] for r in items])
    with open(out, "w", encoding="utf-8") as f:
        for item, t in zip(items, results):
            f.write(json.dumps({"id": item["id"], "preference": t.preference.as_dict(),
                                "out_of_scope": [a.ask for a in t.out_of_scope]}) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", default=",".join(FOLDS))
    parser.add_argument("--hand-repeat", type=int, default=HAND_REPEAT)
    parser.add_argument("--score", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "intent_loso")
    parser.add_argument("--keep-heads", type=Path, default=None,
                        help="also keep each fold's heads and prototypes here (LABEL.npz, LABEL_prototypes.npz)")
    parser.add_argument("--also-exclude", default="",
                        help="sets (comma-separated) left out of every fold's training too: the LOSO of a round "
                             "before those sets were burned (round 11: without set 10)")
    parser.add_argument("--tune-epochs", type=int, default=TUNE_EPOCHS,
                        help="epochs of the joint MiniLM top-layer stage per fold (round 13; 0: frozen MiniLM)")
    parser.add_argument("--ablate-effects", action="store_true",
                        help="also score each fold without the effect prototypes (same fold heads)")
    args = parser.parse_args()
    scorer = args.score or default_scorer()
    args.out.mkdir(parents=True, exist_ok=True)
    translator = EmbeddedTranslator(get_encoder())
    shipped = translator.heads, translator.effects
    lines = []
    for fold in args.folds.split(","):
        started = time.perf_counter()
        members = fold.split("+")
        label = members[0] if len(members) == 1 else "older_sets"
        with tempfile.TemporaryDirectory() as tmp:  # a fold's heads are not kept: the shipped ones are never touched
            weights, prototypes = Path(tmp) / "heads.npz", Path(tmp) / "prototypes.npz"
            also = [name for name in args.also_exclude.split(",") if name]
            stats = train(out=weights, exclude=members + also, hand_repeat=args.hand_repeat, prototypes=prototypes,
                          tune_epochs=args.tune_epochs)
            translator.heads = ClauseHeads.load(weights)
            translator.effects = EffectPrototypes.load(prototypes)
            if args.keep_heads is not None:  # round 10: to try fusion thresholds on the same fold heads later
                args.keep_heads.mkdir(parents=True, exist_ok=True)
                shutil.copy(weights, args.keep_heads / f"{label}.npz")
                shutil.copy(prototypes, args.keep_heads / f"{label}_prototypes.npz")
        items = [r for name in members for r in load_set(name)]
        gold = BENCH / f"{label}.jsonl"
        if len(members) > 1:  # the pooled fold's gold file, written next to its predictions
            gold = args.out / f"{label}_gold.jsonl"
            gold.write_text("".join(json.dumps(r) + "\n" for r in items))
        pred = args.out / f"{label}_loso.jsonl"
        predict(translator, items, pred)
        score = _score(scorer, gold, pred)
        line = f"{label} hand_rows={stats['hand_rows']} {score} ({time.perf_counter() - started:.0f} s)"
        if args.ablate_effects:  # the same fold heads without the effect prototypes (round 7's mechanism off)
            translator.effects = None
            predict(translator, items, args.out / f"{label}_loso_no_effects.jsonl")
            line += f" | no effect prototypes: {_score(scorer, gold, args.out / f'{label}_loso_no_effects.jsonl')}"
        print(line, flush=True)
        lines.append(line)
    translator.heads, translator.effects = shipped
    (args.out / "summary.txt").write_text("\n".join(lines) + "\n")


def _score(scorer: Path, gold: Path, pred: Path) -> str:
    """The shared scorer's summary line, run in its own process."""
    return subprocess.run([sys.executable, str(scorer), str(gold), str(pred)],
                          capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]


if __name__ == "__main__":
    main()
