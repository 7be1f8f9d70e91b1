"""What keeping the /events history in the store costs: publish latency, and reload time on start.

Side by side in one run, on the same disk: ``EventBus()`` (memory only, as before), ``EventBus(store=...)``
(every event written to SQLite as ``controller.store.Store.append_event`` does, without waiting for
the disk), and the same row written with ``synchronous=FULL`` (waiting for the disk, as the intent
records are), so the choice in ``append_event`` is visible as a ratio. Then the time a restarted
controller spends reloading a full history (``controller.events.DEFAULT_HISTORY`` events).

Usage: ``nice -n 5 .venv/bin/python bench/bench_event_store.py [--events 2000]``
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

#: One lifecycle event as the intent manager publishes it (the usual size on the stream).
SAMPLE = {"intent": "6db0461ca31b", "state": "planned",
          "timings_s": {"translate": 0.0121, "plan": 0.4312, "check": 0.0008}}


def _percentiles(samples: list[float]) -> tuple[float, float]:
    samples = sorted(samples)
    return samples[len(samples) // 2] * 1e3, samples[int(len(samples) * 0.99)] * 1e3


def main(argv: list[str] | None = None) -> int:
    from controller.events import DEFAULT_HISTORY, EventBus
    from controller.store import Store

    p = argparse.ArgumentParser(prog="bench_event_store", description=__doc__.splitlines()[0])
    p.add_argument("--events", type=int, default=2000, help="events published per variant (default 2000)")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        rows: dict[str, tuple[float, float]] = {}
        bus = EventBus()
        rows["memory only"] = _percentiles([_timed(lambda: bus.publish("intent", **SAMPLE)) for _ in range(args.events)])
        store = Store(Path(tmp) / "c.db")
        bus = EventBus(store=store)
        rows["store (append_event)"] = _percentiles([_timed(lambda: bus.publish("intent", **SAMPLE))
                                                    for _ in range(args.events)])
        db = sqlite3.connect(Path(tmp) / "full.db", isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        db.execute("CREATE TABLE events (seq INTEGER PRIMARY KEY AUTOINCREMENT, id INTEGER, event TEXT)")
        text = json.dumps(SAMPLE)

        def full_write() -> None:
            db.execute("BEGIN IMMEDIATE")
            db.execute("INSERT INTO events(id, event) VALUES (?, ?)", (1, text))
            db.execute("COMMIT")
        rows["same row, synchronous=FULL"] = _percentiles([_timed(full_write) for _ in range(args.events)])
        print(f"publish latency, {args.events} events each (ms):")
        for name, (p50, p99) in rows.items():
            print(f"  {name:28s} p50 {p50:7.3f}  p99 {p99:7.3f}  p50 / store's: {p50 / rows['store (append_event)'][0]:7.2f}x")
        for _ in range(DEFAULT_HISTORY):
            bus.publish("intent", **SAMPLE)
        store.close()
        t0 = time.perf_counter()
        store = Store(Path(tmp) / "c.db")
        reloaded = EventBus(store=store)
        took = time.perf_counter() - t0
        print(f"restart: reloading {len(reloaded.recent())} stored events took {took * 1e3:.1f} ms; "
              f"database {sum(f.stat().st_size for f in Path(tmp).glob('c.db*')) / 1e6:.1f} MB")
        store.close()
        db.close()
    return 0


def _timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


if __name__ == "__main__":
    raise SystemExit(main())
