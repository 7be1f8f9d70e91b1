"""Helpers the benchmark scripts share (each script puts the repository root on sys.path first)."""

from __future__ import annotations

import csv
from pathlib import Path


def write_csv(path: Path, rows: list[dict]) -> None:
    """Write result rows as CSV, columns in the first row's key order, so every script's files read alike."""
    with path.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
