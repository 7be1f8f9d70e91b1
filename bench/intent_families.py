"""Per-family accuracy of intent predictions, by the same rules as ../shared/bench/score_intents.py.

usage: intent_families.py GOLD.jsonl PRED.jsonl [-v]

WHY: the held-out sets tag each intent with a writing style ("family": ticket, chat, long, typo, ...);
the shared scorer reports only totals, and the weak styles are what to work on. The rules (same set
of non-zero objectives, every level within 1, same dominant objective; activation by the dual-channel
rule) are imported from the shared scorer, not re-implemented.
"""
from __future__ import annotations

import collections
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "shared" / "bench"))  # /work/shared/bench
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "shared" / "bench"))  # ../shared/bench from /work/main
from score_intents import OBJECTIVES, activation, dominant  # noqa: E402


def _levels(values: dict, scale: int) -> dict[str, int]:
    return {o: int(round(scale * max(0.0, min(1.0, float(values.get(o, 0.0)))))) if scale else int(values.get(o, 0))
            for o in OBJECTIVES}


def judge(pl: dict[str, int], gl: dict[str, int]) -> tuple[bool, bool]:
    """(translated, activated) for predicted and gold levels, by the shared scorer's rules."""
    translated = ({o for o in OBJECTIVES if pl[o]} == {o for o in OBJECTIVES if gl[o]}
                  and all(abs(pl[o] - gl[o]) <= 1 for o in OBJECTIVES) and dominant(pl) == dominant(gl))
    return translated, activation(pl) == activation(gl)


def main(argv: list[str]) -> None:
    gold = {str(r["id"]): r for r in map(json.loads, filter(str.strip, open(argv[0])))}
    pred = {str(r["id"]): r for r in map(json.loads, filter(str.strip, open(argv[1])))}
    verbose = "-v" in argv
    families: dict[str, list[int]] = collections.defaultdict(lambda: [0, 0, 0])
    for key, g in gold.items():
        pl = _levels(pred.get(key, {}).get("preference") or {}, 4)
        gl = _levels(g["levels"], 0)
        translated, activated = judge(pl, gl)
        row = families[g.get("family", "?")]
        row[0] += 1
        row[1] += translated
        row[2] += activated
        if verbose and not (translated and activated):
            print(f"{key} [{g.get('family')}] {'T' if translated else '-'}{'A' if activated else '-'} {g['text']!r}\n"
                  f"   gold {{{', '.join(f'{o}:{v}' for o, v in gl.items() if v)}}}\n"
                  f"   pred {{{', '.join(f'{o}:{v}' for o, v in pl.items() if v)}}}")
    print("family,intents,translation_acc,activation_acc")
    for name, (n, t, a) in sorted(families.items()):
        print(f"{name},{n},{t / n:.3f},{a / n:.3f}")


if __name__ == "__main__":
    main(sys.argv[1:])
