"""Per-family view of a leave-one-set-out run (bench/intent_loso.py): one row per fold, the mean over folds.

usage: .venv/bin/python bench/intent_loso_families.py DIR [--family trap] [--suffix _loso]

WHY: the weak family (traps, since round 6) is ~25 intents per fold, so its figure on one fold moves by
0.04 per intent; the mean over the ten writer folds is the steadier number to compare two rounds by.
Reads DIR/summary.txt for the whole-fold scores (the shared scorer's) and runs bench/intent_families.py
(the shared scorer's rules per family) on each fold's predictions DIR/LABEL{suffix}.jsonl.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _gold(directory: Path, label: str) -> Path:
    pooled = directory / f"{label}_gold.jsonl"
    return pooled if pooled.is_file() else ROOT / "bench" / f"{label}.jsonl"


def family_scores(gold: Path, pred: Path) -> dict[str, tuple[int, float, float]]:
    """family -> (intents, translation, activation) by bench/intent_families.py."""
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "intent_families.py"), str(gold), str(pred)],
                         capture_output=True, text=True, check=True).stdout
    rows = [line.split(",") for line in out.splitlines()[1:] if line.count(",") == 3]
    return {name: (int(n), float(t), float(a)) for name, n, t, a in rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--family", default="trap")
    parser.add_argument("--suffix", default="_loso", help="prediction file suffix (_loso_no_effects: the ablation)")
    args = parser.parse_args()
    overall = {}
    for line in (args.directory / "summary.txt").read_text().splitlines():
        m = re.match(r"(\S+) .*?translation_acc=([\d.]+) activation_acc=([\d.]+)", line)
        if m:
            overall[m.group(1)] = (float(m.group(2)), float(m.group(3)))
    print(f"fold,translation,activation,{args.family}_intents,{args.family}_translation,{args.family}_activation")
    sums = [0.0, 0.0, 0.0, 0.0]
    for label, (t, a) in overall.items():
        fam = family_scores(_gold(args.directory, label), args.directory / f"{label}{args.suffix}.jsonl").get(args.family)
        n, ft, fa = fam if fam else (0, float("nan"), float("nan"))
        print(f"{label},{t:.3f},{a:.3f},{n},{ft:.3f},{fa:.3f}")
        sums = [s + v for s, v in zip(sums, (t, a, ft if n else 0.0, fa if n else 0.0))]
    k = len(overall)
    with_family = sum(1 for label in overall
                      if args.family in family_scores(_gold(args.directory, label), args.directory / f"{label}{args.suffix}.jsonl"))
    print(f"mean of {k} folds,{sums[0] / k:.3f},{sums[1] / k:.3f},,"
          f"{sums[2] / max(1, with_family):.3f},{sums[3] / max(1, with_family):.3f}")


if __name__ == "__main__":
    main()
