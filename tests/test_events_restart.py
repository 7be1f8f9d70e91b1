"""The /events history survives a restart of the controller: kept in its store, bounded, reloaded on start.

Runs for real: ``omniplan serve`` as a subprocess (plan-only, as ``bench/bench_events.py`` starts
it) is killed with SIGKILL after an intent finished and started again on the same database; a
client that resumes with an id from before the crash must get exactly the events it missed, with
the same ids and contents, and no ``gap``. The bound is checked on the real store and bus.
"""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request

import pytest

from controller.events import EventBus
from controller.store import Store


def _replay(url: str, token: str, after: int, intent: str | None = None, timeout: float = 30.0) -> list[dict]:
    """The events the server replays after ``after``: everything before its first keep-alive (= idle)."""
    query = f"?intent={intent}" if intent else ""
    req = urllib.request.Request(f"{url}/events{query}",
                                 headers={"Authorization": f"Bearer {token}", "Last-Event-ID": str(after)})
    events: list[dict] = []
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        for raw in resp:
            line = raw.decode().strip()
            if line.startswith("data:"):
                events.append(json.loads(line[5:]))
            elif line == ": keep-alive":
                return events
    raise AssertionError("the stream ended before it was idle")


def _until_planned(client, intent_id: str, timeout: float = 120.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rec = client.request("GET", f"/intents/{intent_id}")
        if rec["state"] == "failed":
            raise AssertionError(rec["error"])
        if rec["state"] == "validated" and str(rec.get("deploy", "")).startswith("skipped"):
            return rec  # plan-only: the last step of the lifecycle
        time.sleep(0.1)
    raise AssertionError(f"intent {intent_id} not planned within {timeout} s")


@pytest.mark.slow  # two `omniplan serve` starts and two plans
def test_event_history_survives_kill_9_and_resume_replays_exactly_what_was_missed(tmp_path):
    from bench.bench_events import TOKEN, _serve
    from omniplan_cli.commands.client import ApiClient

    proc, url = _serve(tmp_path, keepalive=0.5)
    try:
        client = ApiClient(url, TOKEN)
        answer = client.request("POST", "/intents", {"preference": "power=1", "channel": "fast"})
        intent = answer["id"]
        _until_planned(client, intent)
        before = _replay(url, TOKEN, answer["last_event_id"], intent)
        states = [e["state"] for e in before]
        assert states[0] == "queued" and "planned" in states and states[-1] == "validated", states
    finally:
        proc.kill()  # SIGKILL: no shutdown code runs
        proc.wait(timeout=30)

    proc, url = _serve(tmp_path, keepalive=0.5)
    try:
        client = ApiClient(url, TOKEN)
        # finished before the crash, so not planned again (that published its lifecycle a second time)
        assert "requeued_after_restart" not in client.request("GET", f"/intents/{intent}")
        # a client that saw nothing of the intent gets all of it, identical, with no gap
        assert _replay(url, TOKEN, answer["last_event_id"], intent) == before
        # a client that lost its connection after the second event gets the rest
        assert _replay(url, TOKEN, before[1]["id"], intent) == before[2:]
        # "from the beginning": every stored event, the first run's included, no gap
        everything = _replay(url, TOKEN, 0)
        assert everything and everything[0]["type"] != "gap"
        assert [e for e in everything if e.get("intent") == intent] == before
        # ids keep increasing across the restart
        second = client.request("POST", "/intents", {"preference": "latency=1", "channel": "fast"})
        assert second["last_event_id"] >= before[-1]["id"]
        _until_planned(client, second["id"])
        after = _replay(url, TOKEN, second["last_event_id"], second["id"])
        assert after and min(e["id"] for e in after) > max(e["id"] for e in before)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_stored_history_is_bounded_and_a_reloaded_bus_reports_what_was_dropped(tmp_path):
    async def body():
        store = Store(tmp_path / "c.db")
        bus = EventBus(history=3, store=store)
        ids = [bus.publish("x", n=i)["id"] for i in range(5)]
        store.close()

        store = Store(tmp_path / "c.db")  # the restart: a new store and bus on the same file
        assert [e["n"] for e in store.recent_events(100)] == [2, 3, 4]  # the bound holds on disk
        bus = EventBus(history=3, store=store, first_id=1)  # a clock set back: ids still increase
        assert bus.last_id == ids[-1]
        resumed = bus.subscribe(after_id=ids[2])
        assert [(await resumed.next(timeout=1))["id"] for _ in range(2)] == ids[3:]  # no gap: nothing lost
        everything = bus.subscribe(after_id=0)
        gap = await everything.next(timeout=1)
        assert gap["type"] == "gap" and gap["resumes_at"] == ids[2]  # the first two were dropped
        assert [(await everything.next(timeout=1))["id"] for _ in range(3)] == ids[2:]
        assert (await bus.subscribe(after_id=ids[0]).next(timeout=1))["type"] == "gap"
        new = bus.publish("y")
        assert new["id"] == ids[-1] + 1 and (await resumed.next(timeout=1))["id"] == new["id"]
        store.close()
        store = Store(tmp_path / "c.db")
        assert EventBus(store=store).recent()[-1]["id"] == new["id"]
        store.close()
    asyncio.run(body())
