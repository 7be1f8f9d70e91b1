"""Helpers the benchmark scripts share (each script puts the repository root on sys.path first)."""

from __future__ import annotations

import csv
from pathlib import Path


def write_csv(path: Path, rows: list[dict]) -> Path:
    """Write result rows as CSV, columns in the first row's key order (then any key a later row adds,
    e.g. an error), so every script's files read alike. Returns the path."""
    keys: list[str] = []
    for r in rows:
        keys.extend(k for k in r if k not in keys)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=keys)
        w.writeheader()
        w.writerows(rows)
    return path
