#!/usr/bin/env python3
"""Convert handwritten.txt (family^^p,r,t,l,c,h,v^^out_of_scope^^text) to OUT.jsonl; validate; print counts.

usage: python3 to_json.py OUT.jsonl ID_PREFIX
"""
import collections
import json
import sys

OBJ = ["power", "resources", "throughput", "latency", "coordination", "hops", "coverage"]
FAMILIES = ["ticket", "chat", "long", "nonnative", "typo", "negation", "emphasis", "trap", "hedge", "none"]
DEV = "/work/shared/bench/intents_dev.jsonl"


def main() -> int:
    out, prefix = sys.argv[1], sys.argv[2]
    dev = {json.loads(l)["text"].strip().lower() for l in open(DEV) if l.strip()}
    rows, seen, errors = [], set(), []
    for n, line in enumerate(open("handwritten.txt", encoding="utf-8"), 1):
        if not line.strip():
            continue
        parts = line.rstrip("\n").split("^^")
        if len(parts) != 4:
            errors.append(f"line {n}: expected 4 fields separated by ^^")
            continue
        fam, lv, oos, text = (p.strip() for p in parts)
        levels = lv.split(",")
        if fam not in FAMILIES:
            errors.append(f"line {n}: unknown family {fam!r}")
        if len(levels) != 7 or not all(x.strip() in "01234" and x.strip() for x in levels):
            errors.append(f"line {n}: levels must be 7 ints 0..4")
            continue
        if not text:
            errors.append(f"line {n}: empty text")
        if text.lower() in seen or text.lower() in dev:
            errors.append(f"line {n}: duplicate text")
        seen.add(text.lower())
        rows.append({"text": text, "levels": dict(zip(OBJ, map(int, levels))),
                     "out_of_scope": [o.strip() for o in oos.split(",") if o.strip()], "family": fam})
    for e in errors:
        print(e)
    if errors:
        return 1
    with open(out, "w", encoding="utf-8") as f:
        for i, r in enumerate(rows):
            f.write(json.dumps({"id": f"{prefix}{i}", **r}) + "\n")
    fams = collections.Counter(r["family"] for r in rows)
    four = collections.Counter(r["family"] for r in rows if sum(v == 4 for v in r["levels"].values()) == 1)
    for fam in FAMILIES:
        print(f"{fam:10s} {fams[fam]:4d} one-level-4 {four[fam]:4d}")
    print("total", len(rows), "oos", sum(bool(r["out_of_scope"]) for r in rows),
          "all-zero", sum(not any(r["levels"].values()) for r in rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
