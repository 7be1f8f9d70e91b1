"""The controller's durable state in SQLite: intents, plans, deployed entries, pushes, audit log.

Why SQLite: one file, transactional, survives ``kill -9`` (WAL journal, ``synchronous=FULL``).
Every multi-row change happens inside one transaction, so a reader never sees half of it.

Tables
------
``intents``    one row per submitted intent: its lifecycle state, the request, the translated
               preference, the activated experts and why, objective values, per-step timings, the
               reason it failed or is pending.
``plans``      every plan the controller decided to deploy, with the workload it places, its
               evaluation and the version tag its entries carry.
``deployed``   the entries the controller has committed on each switch (switch, key) -> entry,
               with the version they belong to. This is the *desired* state reconciliation
               drives every switch towards.
``pushes``     the write-ahead record of every push: written (state ``started``) BEFORE the first
               P4Runtime write, with the entries it goes from and to. A push still ``started``
               when the controller starts was interrupted (crash, kill -9): recovery undoes it
               by reconciling every switch back to the ``from`` state, then marks it
               ``interrupted``.
``audit``      append-only log of every state-changing call (who, what, when).
``models``     compiled tasks registered through POST /models.
``events``     the newest events of the ``/events`` stream (``controller.events`` decides how
               many), so a restarted controller still replays what a client missed and
               ``--wait`` resumes across the restart instead of reporting a gap.
``meta``       small key/values: the active plan, the next version tag, the first event id.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

from controller.entry_codec import entry_from_dict, entry_key, entry_to_dict
from p4src.entries import TableEntry

SCHEMA = """
CREATE TABLE IF NOT EXISTS intents (
    id TEXT PRIMARY KEY,
    seq INTEGER NOT NULL,
    created REAL NOT NULL,
    updated REAL NOT NULL,
    state TEXT NOT NULL,
    request TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '{}',
    error TEXT,
    pending TEXT,
    plan_id INTEGER
);
CREATE TABLE IF NOT EXISTS plans (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    intent_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    created REAL NOT NULL,
    plan TEXT NOT NULL,
    workload TEXT NOT NULL,
    evaluation TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS deployed (
    switch TEXT NOT NULL,
    key TEXT NOT NULL,
    version INTEGER NOT NULL,
    entry TEXT NOT NULL,
    PRIMARY KEY (switch, key)
);
CREATE TABLE IF NOT EXISTS pushes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    intent_id TEXT,
    plan_id INTEGER,
    from_version INTEGER,
    to_version INTEGER NOT NULL,
    state TEXT NOT NULL,
    started REAL NOT NULL,
    finished REAL,
    detail TEXT,
    target TEXT NOT NULL,
    previous TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ts REAL NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS models (
    name TEXT PRIMARY KEY,
    created REAL NOT NULL,
    task TEXT NOT NULL,
    source TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id INTEGER NOT NULL,
    event TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""

#: Lifecycle states an intent moves through, in order; ``failed``/``withdrawn``/``superseded`` end it.
LIFECYCLE = ("queued", "translated", "experts_activated", "planned", "validated", "deploying", "deployed")
FINAL_STATES = ("deployed", "failed", "withdrawn", "superseded")

DesiredState = dict[str, list[TableEntry]]


@dataclass
class IntentRecord:
    id: str
    seq: int
    created: float
    updated: float
    state: str
    request: dict[str, Any]
    detail: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    pending: str | None = None
    plan_id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "seq": self.seq,
            "created": self.created,
            "updated": self.updated,
            "state": self.state,
            "request": self.request,
            "error": self.error,
            "pending": self.pending,
            "plan_id": self.plan_id,
            **self.detail,
        }


@dataclass
class PushRecord:
    id: int
    intent_id: str | None
    plan_id: int | None
    from_version: int | None
    to_version: int
    state: str
    started: float
    target: DesiredState
    previous: DesiredState
    detail: str | None = None


class Store:
    """Thread-safe (one lock) access to the controller database; each method is one transaction."""

    def __init__(self, path: str | Path = ":memory:"):
        self.path = str(path)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        if self.path != ":memory:":
            self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # ------------------------------------------------------------------ transactions
    def _tx(self):
        return _Transaction(self)

    # ------------------------------------------------------------------ meta
    def get_meta(self, key: str, default: Any = None) -> Any:
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return json.loads(row["value"]) if row else default

    def set_meta(self, key: str, value: Any) -> None:
        with self._tx() as db:
            db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, json.dumps(value)))

    # ------------------------------------------------------------------ audit
    def audit(self, actor: str, action: str, detail: Mapping[str, Any] | None = None) -> None:
        with self._tx() as db:
            db.execute("INSERT INTO audit(ts, actor, action, detail) VALUES (?, ?, ?, ?)",
                       (time.time(), actor, action, json.dumps(dict(detail or {}), default=str)))

    def audit_log(self, limit: int = 100) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute("SELECT * FROM audit ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
        return [{"id": r["id"], "ts": r["ts"], "actor": r["actor"], "action": r["action"],
                 "detail": json.loads(r["detail"])} for r in rows]

    # ------------------------------------------------------------------ intents
    def create_intent(self, request: Mapping[str, Any], actor: str = "api") -> IntentRecord:
        now = time.time()
        intent_id = uuid.uuid4().hex[:12]
        with self._tx() as db:
            seq = db.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM intents").fetchone()[0]
            db.execute(
                "INSERT INTO intents(id, seq, created, updated, state, request) VALUES (?, ?, ?, ?, 'queued', ?)",
                (intent_id, seq, now, now, json.dumps(dict(request))),
            )
            db.execute("INSERT INTO audit(ts, actor, action, detail) VALUES (?, ?, ?, ?)",
                       (now, actor, "intent.submit", json.dumps({"id": intent_id})))
        return self.get_intent(intent_id)  # type: ignore[return-value]

    def get_intent(self, intent_id: str) -> IntentRecord | None:
        with self._lock:
            row = self._db.execute("SELECT * FROM intents WHERE id=?", (intent_id,)).fetchone()
        return _intent(row) if row else None

    def intent_state(self, intent_id: str) -> tuple[str, dict[str, Any]] | None:
        """(state, detail) without decoding the request, which may carry a whole workload."""
        with self._lock:
            row = self._db.execute("SELECT state, detail FROM intents WHERE id=?", (intent_id,)).fetchone()
        return (row["state"], json.loads(row["detail"])) if row else None

    def list_intents(self, states: Iterable[str] | None = None) -> list[IntentRecord]:
        with self._lock:
            rows = self._db.execute("SELECT * FROM intents ORDER BY seq").fetchall()
        out = [_intent(r) for r in rows]
        if states is not None:
            wanted = set(states)
            out = [i for i in out if i.state in wanted]
        return out

    def update_intent(self, intent_id: str, *, state: str | None = None, detail: Mapping[str, Any] | None = None,
                      error: str | None = None, pending: str | None | bool = False, plan_id: int | None = None,
                      fetch: bool = True) -> IntentRecord | None:
        """Change state and merge ``detail`` keys; ``pending=None`` clears the pending note.

        ``fetch=False`` skips reading the record back (its request may hold a large workload).
        """
        with self._tx() as db:
            row = db.execute("SELECT detail FROM intents WHERE id=?", (intent_id,)).fetchone()
            if row is None:
                raise KeyError(intent_id)
            merged = json.loads(row["detail"])
            merged.update(dict(detail or {}))
            sets = {"updated": time.time(), "detail": json.dumps(merged, default=str)}
            if state is not None:
                sets["state"] = state
            if error is not None:
                sets["error"] = error
            if pending is not False:
                sets["pending"] = pending
            if plan_id is not None:
                sets["plan_id"] = plan_id
            cols = ", ".join(f"{k}=?" for k in sets)
            db.execute(f"UPDATE intents SET {cols} WHERE id=?", (*sets.values(), intent_id))
        return self.get_intent(intent_id) if fetch else None

    # ------------------------------------------------------------------ plans
    def add_plan(self, intent_id: str, version: int, plan: Mapping[str, Any], workload: Mapping[str, Any],
                 evaluation: Mapping[str, Any]) -> int:
        with self._tx() as db:
            cur = db.execute(
                "INSERT INTO plans(intent_id, version, created, plan, workload, evaluation) VALUES (?, ?, ?, ?, ?, ?)",
                (intent_id, version, time.time(), json.dumps(plan), json.dumps(workload), json.dumps(evaluation, default=str)),
            )
            return int(cur.lastrowid)

    def get_plan(self, plan_id: int) -> dict[str, Any] | None:
        with self._lock:
            row = self._db.execute("SELECT * FROM plans WHERE id=?", (plan_id,)).fetchone()
        if row is None:
            return None
        return {"id": row["id"], "intent_id": row["intent_id"], "version": row["version"], "created": row["created"],
                "plan": json.loads(row["plan"]), "workload": json.loads(row["workload"]),
                "evaluation": json.loads(row["evaluation"])}

    # ------------------------------------------------------------------ versions
    def next_version(self) -> int:
        """A fresh version tag (monotonic; the realizer maps it onto the field width it has)."""
        with self._tx() as db:
            row = db.execute("SELECT value FROM meta WHERE key='next_version'").fetchone()
            version = json.loads(row["value"]) if row else 1
            db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('next_version', ?)", (json.dumps(version + 1),))
        return version

    # ------------------------------------------------------------------ deployed (desired) state
    def deployed(self) -> DesiredState:
        with self._lock:
            rows = self._db.execute("SELECT switch, entry FROM deployed ORDER BY switch, key").fetchall()
        out: DesiredState = {}
        for r in rows:
            out.setdefault(r["switch"], []).append(entry_from_dict(json.loads(r["entry"])))
        return out

    def deployed_counts(self) -> dict[str, int]:
        with self._lock:
            rows = self._db.execute("SELECT switch, COUNT(*) AS n FROM deployed GROUP BY switch").fetchall()
        return {r["switch"]: r["n"] for r in rows}

    # ------------------------------------------------------------------ pushes (write-ahead)
    def begin_push(self, intent_id: str | None, plan_id: int | None, from_version: int | None, to_version: int,
                   previous: DesiredState, target: DesiredState) -> int:
        """Record a push BEFORE its first write, so a crash can be undone on restart."""
        with self._tx() as db:
            cur = db.execute(
                "INSERT INTO pushes(intent_id, plan_id, from_version, to_version, state, started, target, previous) "
                "VALUES (?, ?, ?, ?, 'started', ?, ?, ?)",
                (intent_id, plan_id, from_version, to_version, time.time(), _dump_state(target), _dump_state(previous)),
            )
            return int(cur.lastrowid)

    def commit_push(self, push_id: int, target: DesiredState, version: int, *, active_plan_id: int | None,
                    active_intent_id: str | None) -> None:
        """The push finished: the target becomes the deployed state, atomically with the push record."""
        with self._tx() as db:
            db.execute("DELETE FROM deployed")
            for switch, entries in target.items():
                for e in entries:
                    db.execute("INSERT OR REPLACE INTO deployed(switch, key, version, entry) VALUES (?, ?, ?, ?)",
                               (switch, entry_key(e), version, json.dumps(entry_to_dict(e))))
            db.execute("UPDATE pushes SET state='committed', finished=? WHERE id=?", (time.time(), push_id))
            for key, value in (("active_plan_id", active_plan_id), ("active_intent_id", active_intent_id),
                               ("active_version", version)):
                db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, json.dumps(value)))

    def end_push(self, push_id: int, state: str, detail: str) -> None:
        """A push that did not commit: ``rolled_back`` (undone at once) or ``interrupted`` (undone on restart)."""
        with self._tx() as db:
            db.execute("UPDATE pushes SET state=?, finished=?, detail=? WHERE id=?", (state, time.time(), detail, push_id))

    def open_pushes(self) -> list[PushRecord]:
        with self._lock:
            rows = self._db.execute("SELECT * FROM pushes WHERE state='started' ORDER BY id").fetchall()
        return [_push(r) for r in rows]

    def pushes(self, limit: int = 50) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT id, intent_id, plan_id, from_version, to_version, state, started, finished, detail "
                "FROM pushes ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
        return [dict(r) for r in rows]

    # ------------------------------------------------------------------ events (the /events history)
    def append_event(self, event: Mapping[str, Any], keep: int) -> None:
        """Store one published event and drop all but the newest ``keep``, in one transaction.

        The id of the first event ever stored is kept in ``meta`` (``events_first_id``), so after
        the oldest are dropped a replay "from the beginning" can still tell that some are missing.

        Written without waiting for the disk (``synchronous=NORMAL`` for this transaction only):
        a commit is then in the WAL, which survives the process being killed, and reaches the
        disk with the next ``FULL`` commit (the intent step that follows). Waiting for the disk
        cost ~4 ms per event on the event loop here; what a power cut can lose is events whose
        state is already in the intent records, so the stream is only a view of durable state.
        """
        with self._lock:
            self._db.execute("PRAGMA synchronous=NORMAL")
            try:
                with self._tx() as db:
                    cur = db.execute("INSERT INTO events(id, event) VALUES (?, ?)",
                                     (int(event["id"]), json.dumps(dict(event), default=str)))
                    db.execute("DELETE FROM events WHERE seq <= ?", (int(cur.lastrowid) - max(keep, 1),))
                    db.execute("INSERT OR IGNORE INTO meta(key, value) VALUES ('events_first_id', ?)",
                               (json.dumps(int(event["id"])),))
            finally:
                self._db.execute("PRAGMA synchronous=FULL")

    def recent_events(self, limit: int) -> list[dict[str, Any]]:
        """The newest ``limit`` stored events, oldest first."""
        with self._lock:
            rows = self._db.execute("SELECT event FROM events ORDER BY seq DESC LIMIT ?", (max(limit, 0),)).fetchall()
        return [json.loads(r["event"]) for r in reversed(rows)]

    # ------------------------------------------------------------------ models
    def put_model(self, name: str, task: Mapping[str, Any], source: str) -> None:
        with self._tx() as db:
            db.execute("INSERT OR REPLACE INTO models(name, created, task, source) VALUES (?, ?, ?, ?)",
                       (name, time.time(), json.dumps(dict(task)), source))

    def models(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            rows = self._db.execute("SELECT name, task FROM models ORDER BY created").fetchall()
        return {r["name"]: json.loads(r["task"]) for r in rows}


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT under the store lock; ROLLBACK on any exception."""

    def __init__(self, store: Store):
        self.store = store

    def __enter__(self) -> sqlite3.Connection:
        self.store._lock.acquire()
        self.store._db.execute("BEGIN IMMEDIATE")
        return self.store._db

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            self.store._db.execute("COMMIT" if exc_type is None else "ROLLBACK")
        finally:
            self.store._lock.release()


def _dump_state(state: DesiredState) -> str:
    return json.dumps({sw: [entry_to_dict(e) for e in entries] for sw, entries in state.items()})


def _load_state(text: str) -> DesiredState:
    return {sw: [entry_from_dict(d) for d in entries] for sw, entries in json.loads(text).items()}


def _intent(row: sqlite3.Row) -> IntentRecord:
    return IntentRecord(
        id=row["id"], seq=row["seq"], created=row["created"], updated=row["updated"], state=row["state"],
        request=json.loads(row["request"]), detail=json.loads(row["detail"]), error=row["error"],
        pending=row["pending"], plan_id=row["plan_id"],
    )


def _push(row: sqlite3.Row) -> PushRecord:
    return PushRecord(
        id=row["id"], intent_id=row["intent_id"], plan_id=row["plan_id"], from_version=row["from_version"],
        to_version=row["to_version"], state=row["state"], started=row["started"],
        target=_load_state(row["target"]), previous=_load_state(row["previous"]), detail=row["detail"],
    )
