"""The /events stream: open while idle, resumable with Last-Event-ID, and the bus underneath it.

Served by the real aiohttp app on loopback against the real controller (no switches); the
keep-alive interval is shortened so "idle for longer than the old 15 s timeout" takes a few
seconds. The 10-minute idle check is ``bench/bench_events.py``.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time

import aiohttp
import pytest

from controller.events import EventBus
from controller.service import Controller
from controller.store import Store
from controller.testing import serve_api, wait_for
from omniplan.topology import line

TOKEN = "s3cret"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


async def _read_sse(resp: aiohttp.ClientResponse, until, timeout: float = 30.0):
    """Parse SSE frames from ``resp`` until ``until(frames)`` is true; each frame: dict of its fields + comments."""
    frames: list[dict] = []
    frame: dict = {}

    async def loop():
        async for raw in resp.content:
            line = raw.decode().rstrip("\n")
            if not line:
                if frame:
                    frames.append(dict(frame))
                    frame.clear()
                    if until(frames):
                        return frames
                continue
            if line.startswith(":"):
                frame.setdefault("comments", []).append(line[1:].strip())
                continue
            field, _, value = line.partition(":")
            frame[field] = value.lstrip(" ")
        return frames

    return await asyncio.wait_for(loop(), timeout)


def _run(coro):
    return asyncio.run(coro)


def test_idle_stream_stays_open_past_the_old_timeout_and_still_delivers(tmp_path):
    """Idle for 4 keep-alive periods (the old code died on the first timeout), then an event arrives."""
    async def body():
        ctl = Controller(Store(tmp_path / "c.db"), line(3))
        async with serve_api(ctl, TOKEN, keepalive_s=0.5) as url, aiohttp.ClientSession(headers=AUTH) as http:
            async with http.get(f"{url}/events") as r:
                assert r.status == 200 and r.headers["Content-Type"].startswith("text/event-stream")
                t0 = time.monotonic()
                frames = await _read_sse(r, lambda fs: sum("keep-alive" in f.get("comments", []) for f in fs) >= 4)
                assert time.monotonic() - t0 >= 1.5
                ctl.events.publish("probe", detail="after idle")
                frames = await _read_sse(r, lambda fs: any(f.get("event") == "probe" for f in fs))
                probe = [f for f in frames if f.get("event") == "probe"][0]
                assert json.loads(probe["data"])["detail"] == "after idle" and int(probe["id"]) > 0

            async def stream_ended():
                async with http.get(f"{url}/metrics") as r:
                    text = await r.text()
                return text if 'route="/events"' in text else None
            # the server notices the departed client at its next keep-alive: the stream ends with 200, not 500
            text = await wait_for(stream_ended, 10)
            assert 'route="/events",status="200"' in text and 'status="500"' not in text
    _run(body())


def test_resume_with_last_event_id_replays_exactly_what_was_missed(tmp_path):
    async def body():
        ctl = Controller(Store(tmp_path / "c.db"), line(3))
        async with serve_api(ctl, TOKEN, keepalive_s=0.5) as url, aiohttp.ClientSession(headers=AUTH) as http:
            first = [ctl.events.publish("probe", n=i) for i in range(3)]
            seen = first[0]["id"]  # the client saw event 0, then lost its connection
            missed = [ctl.events.publish("probe", n=i) for i in range(3, 5)]
            async with http.get(f"{url}/events", headers={"Last-Event-ID": str(seen)}) as r:
                frames = await _read_sse(r, lambda fs: len([f for f in fs if "id" in f]) >= 4)
            ids = [int(f["id"]) for f in frames if "id" in f]
            assert ids == [e["id"] for e in first[1:] + missed]
            assert [json.loads(f["data"])["n"] for f in frames if "id" in f] == [1, 2, 3, 4]
            # ?after= is the same for clients that cannot set the header; garbage is a 400
            async with http.get(f"{url}/events?after={missed[0]['id']}") as r:
                frames = await _read_sse(r, lambda fs: any("id" in f for f in fs))
            assert [int(f["id"]) for f in frames if "id" in f] == [missed[1]["id"]]
            async with http.get(f"{url}/events", headers={"Last-Event-ID": "abc"}) as r:
                assert r.status == 400 and "Last-Event-ID" in (await r.json())["error"]
    _run(body())


def test_resume_from_an_id_no_longer_kept_reports_a_gap(tmp_path):
    async def body():
        ctl = Controller(Store(tmp_path / "c.db"), line(3), events=EventBus(history=5))
        async with serve_api(ctl, TOKEN, keepalive_s=0.5) as url, aiohttp.ClientSession(headers=AUTH) as http:
            events = [ctl.events.publish("probe", n=i) for i in range(12)]
            async with http.get(f"{url}/events", headers={"Last-Event-ID": str(events[1]["id"])}) as r:
                frames = await _read_sse(r, lambda fs: len([f for f in fs if "id" in f]) >= 5)
            assert frames[1]["event"] == "gap"  # frames[0] is the opening comment
            gap = json.loads(frames[1]["data"])
            assert gap["after"] == events[1]["id"] and gap["resumes_at"] == events[7]["id"]
            assert [int(f["id"]) for f in frames if "id" in f] == [e["id"] for e in events[7:]]
    _run(body())


def test_bus_ids_increase_across_restarts_and_threads_deliver_in_order():
    async def body():
        old = EventBus()
        last_before_restart = old.publish("x")["id"]
        await asyncio.sleep(0.002)
        new = EventBus()  # a restarted controller
        sub = new.subscribe(after_id=last_before_restart)
        first_new = new.publish("y")
        assert first_new["id"] > last_before_restart
        gap = await sub.next(timeout=1)  # the client's id predates this run's history
        assert gap["type"] == "gap"
        assert (await sub.next(timeout=1))["id"] == first_new["id"]
        # publish from worker threads: delivered on the subscriber's loop, none lost, in id order
        threads = [threading.Thread(target=lambda: [new.publish("t") for _ in range(50)]) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        got = [await sub.next(timeout=2) for _ in range(200)]
        assert None not in got and [e["id"] for e in got] == sorted(e["id"] for e in got)
        assert await sub.next(timeout=0.05) is None  # a timeout keeps the subscription
        new.publish("z")
        assert (await sub.next(timeout=1))["type"] == "z"
        sub.close()
        assert new.subscribers == 0
    _run(body())


def test_slow_subscriber_drops_its_oldest_events_with_a_gap():
    async def body():
        bus = EventBus(queue_size=3)
        sub = bus.subscribe()
        ids = [bus.publish("x", n=i)["id"] for i in range(6)]
        got = [await sub.next(timeout=1) for _ in range(4)]
        assert got[0]["type"] == "gap" and got[0]["resumes_at"] == ids[3]
        assert [e["id"] for e in got[1:]] == ids[3:]  # the newest queue_size events are kept
        assert await sub.next(timeout=0.05) is None
    _run(body())


def test_resume_from_zero_replays_everything_kept_without_a_false_gap():
    async def body():
        bus = EventBus(history=3)
        ids = [bus.publish("x")["id"] for _ in range(2)]
        sub = bus.subscribe(after_id=0)
        assert [(await sub.next(timeout=1))["id"] for _ in range(2)] == ids  # nothing lost yet: no gap
        ids += [bus.publish("x")["id"] for _ in range(3)]
        sub2 = bus.subscribe(after_id=0)
        assert (await sub2.next(timeout=1))["type"] == "gap"  # the history has dropped the first two
        assert [(await sub2.next(timeout=1))["id"] for _ in range(3)] == ids[2:]
        future = bus.subscribe(after_id=ids[-1] + 100)  # an id this bus never issued
        assert (await future.next(timeout=1))["type"] == "gap"
    _run(body())
