"""controller.store: transactions, write-ahead push records and the committed (desired) state."""

from __future__ import annotations

import sqlite3

import pytest

from controller.entry_codec import entry_from_dict, entry_key, entry_to_dict
from controller.store import Store
from p4src.entries import Match, TableEntry


def _entry(task: int, version: int, label: int = 1) -> TableEntry:
    return TableEntry("MyIngress.stage0", (Match("hdr.inml.task_id", "exact", task), Match("hdr.inml.version", "exact", version),
                                           Match("meta.key", "range", 0, high=99)),
                      "MyIngress.set_label", (("label", label),), priority=5)


def test_entry_codec_round_trip_and_key_ignores_action():
    e = _entry(3, 7, label=2)
    assert entry_from_dict(entry_to_dict(e)) == e
    assert entry_key(e) == entry_key(_entry(3, 7, label=9))
    assert entry_key(e) != entry_key(_entry(3, 8))


def test_intent_lifecycle_persists_across_reopen(tmp_path):
    db = tmp_path / "s.db"
    s = Store(db)
    rec = s.create_intent({"text": "low latency"})
    assert rec.state == "queued" and rec.seq == 1
    s.update_intent(rec.id, state="translated", detail={"preference": {"latency": 1.0}, "timings_s": {"translate": 0.1}})
    s.update_intent(rec.id, state="failed", error="boom")
    s.close()
    s2 = Store(db)
    got = s2.get_intent(rec.id)
    assert got.state == "failed" and got.error == "boom"
    assert got.detail["preference"] == {"latency": 1.0}
    assert [a["action"] for a in s2.audit_log()] == ["intent.submit"]
    s2.close()


def test_push_commit_replaces_deployed_state_atomically(tmp_path):
    s = Store(tmp_path / "s.db")
    target = {"s1": [_entry(1, 1), _entry(2, 1)], "s2": [_entry(1, 1)]}
    pid = s.begin_push("i1", None, None, 1, {}, target)
    assert [p.id for p in s.open_pushes()] == [pid]
    assert s.deployed() == {}  # nothing is deployed before the commit
    s.commit_push(pid, target, 1, active_plan_id=None, active_intent_id="i1")
    assert s.open_pushes() == []
    assert sorted(map(entry_key, s.deployed()["s1"])) == sorted(map(entry_key, target["s1"]))
    assert s.deployed_counts() == {"s1": 2, "s2": 1}
    assert s.get_meta("active_version") == 1
    # second push: the previous state travels in the write-ahead record
    new = {"s1": [_entry(1, 2)]}
    pid2 = s.begin_push("i2", None, 1, 2, s.deployed(), new)
    rec = s.open_pushes()[0]
    assert rec.id == pid2 and rec.previous["s2"] == target["s2"] and rec.target == new
    s.end_push(pid2, "rolled_back", "write failed")
    assert s.open_pushes() == [] and s.deployed_counts() == {"s1": 2, "s2": 1}


def test_failed_transaction_leaves_nothing(tmp_path):
    s = Store(tmp_path / "s.db")
    pid = s.begin_push("i1", None, None, 1, {}, {"s1": [_entry(1, 1)]})
    bad = {"s1": [_entry(1, 1)], "s2": [object()]}  # not serialisable: the commit must roll back entirely
    with pytest.raises(Exception):
        s.commit_push(pid, bad, 1, active_plan_id=None, active_intent_id="i1")  # type: ignore[arg-type]
    assert s.deployed() == {}
    assert [p.id for p in s.open_pushes()] == [pid]
    assert s.get_meta("active_version") is None


def test_versions_are_monotonic_and_models_stored(tmp_path):
    s = Store(tmp_path / "s.db")
    assert [s.next_version() for _ in range(3)] == [1, 2, 3]
    s.put_model("m", {"name": "m", "mats": []}, "json")
    assert s.models() == {"m": {"name": "m", "mats": []}}
    # WAL + FULL sync are what makes a kill -9 safe
    conn = sqlite3.connect(tmp_path / "s.db")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
