"""In-process event bus behind the /events stream (Server-Sent Events).

Every lifecycle step, push phase and switch connection change is published here. Why it is
shaped the way it is:

* **History survives a restart.** Given the controller's store, every event is written to it as it
  is published (the newest ``history`` are kept there, the older ones dropped) and a new bus
  reloads them, so ``Last-Event-ID`` from before a restart replays what the client missed (and
  ``omniplan intent submit --wait`` resumes across a restart) instead of reporting a gap.
* **Ids only increase.** The first id of a controller run is the wall clock in milliseconds, or
  one more than the newest stored event if that is higher (a clock set back), so an id issued
  after a restart is always newer than every id before it, and events sort by id across runs.
* **Resume.** The last ``history`` events are kept in memory; ``subscribe(after_id)`` replays the
  ones after ``after_id`` and then follows live events, with no event lost or repeated in between
  (the replay and the registration happen in one step on the event loop). If ``after_id`` is older
  than the history reaches (or was never issued), the subscription starts with a ``gap`` so the
  client re-reads state.
* **A slow client cannot stall planning.** Each subscription has a bounded queue; when it is full
  the subscription's oldest event is dropped and a ``gap`` is reported at that place.
* **Waiting never destroys the subscription.** ``Subscription.next(timeout)`` returns ``None`` on a
  timeout and keeps its queue (the old async-generator stream was closed by ``wait_for`` cancelling
  it, which ended every idle SSE stream with ``StopAsyncIteration`` after 15 s).
* ``publish`` may be called from a worker thread; delivery then happens on the subscriber's loop.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
import time
from collections import deque
from typing import Any

from controller.store import Store

log = logging.getLogger(__name__)

#: Events kept for ``Last-Event-ID`` resume, in memory and (with a store) on disk: one intent's
#: lifecycle is ~10 events plus one per push phase, so this covers the last several hundred
#: intents; a stored event is ~0.2-0.5 kB, so the store holds at most a few MB of them.
DEFAULT_HISTORY = 10_000
#: Events a single subscriber may have waiting before its oldest is dropped (and a gap reported).
DEFAULT_QUEUE = 1000


def gap_event(after_id: int, first_kept: int | None) -> dict[str, Any]:
    """The marker a subscriber gets where events it asked for are no longer available."""
    return {"id": None, "type": "gap", "after": after_id, "resumes_at": first_kept,
            "detail": "events were dropped here (history exceeded or client too slow); re-read the state"}


class Subscription:
    """One consumer's view of the bus: replayed history first, then live events, in id order."""

    def __init__(self, bus: "EventBus", backlog: list[dict[str, Any]], loop: asyncio.AbstractEventLoop,
                 queue_size: int) -> None:
        self._bus = bus
        self._loop = loop
        self._queue: deque[dict[str, Any]] = deque(backlog)
        self._queue_size = max(queue_size, 1)
        self._wakeup = asyncio.Event()
        self._closed = False
        if backlog:
            self._wakeup.set()

    def _deliver(self, event: dict[str, Any]) -> None:
        """Runs on the subscriber's loop."""
        if self._closed:
            return
        if len(self._queue) >= self._queue_size:
            if self._queue[0]["type"] == "gap" and len(self._queue) > 1:
                self._queue.popleft()  # one gap marker covers consecutive drops
            dropped = self._queue.popleft()
            resumes = self._queue[0]["id"] if self._queue else event["id"]
            self._queue.appendleft(gap_event(dropped["id"] or 0, resumes))
        self._queue.append(event)
        self._wakeup.set()

    async def next(self, timeout: float | None = None) -> dict[str, Any] | None:
        """The next event, or ``None`` if none came within ``timeout`` seconds (the subscription stays open)."""
        while not self._queue:
            if self._closed:
                return None
            self._wakeup.clear()
            try:
                await asyncio.wait_for(self._wakeup.wait(), timeout)
            except asyncio.TimeoutError:
                return None
        return self._queue.popleft()

    def close(self) -> None:
        self._closed = True
        self._wakeup.set()
        self._bus._unsubscribe(self)

    def __enter__(self) -> "Subscription":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class EventBus:
    """Publishes events to subscribers and keeps the newest ``history`` of them (in ``store`` too, if given)."""

    def __init__(self, history: int = DEFAULT_HISTORY, queue_size: int = DEFAULT_QUEUE, first_id: int | None = None,
                 store: Store | None = None):
        self._store = store
        kept = store.recent_events(history) if store is not None else []
        start = int(time.time() * 1000) if first_id is None else first_id
        self._next_id = max(start, kept[-1]["id"] + 1) if kept else start
        # The first id the history could ever hold: this run's first, or the first the store ever saw
        # (a replay "from 0" reports a gap once older events were dropped).
        self._first_id = (store.get_meta("events_first_id", self._next_id) if store is not None else self._next_id)
        self._history: deque[dict[str, Any]] = deque(kept, maxlen=history)
        self._subscribers: set[Subscription] = set()
        self._queue_size = queue_size
        self._lock = threading.Lock()  # publish may run in a worker thread
        #: Events that could not be written to the store (the store was closed or failed); they were
        #: still delivered and kept in memory.
        self.unstored = 0

    @property
    def last_id(self) -> int:
        """Id of the newest event published so far (one less than the first id before any)."""
        return self._next_id - 1

    def publish(self, kind: str, **data: Any) -> dict[str, Any]:
        with self._lock:
            event = {"id": self._next_id, "ts": time.time(), "type": kind, **data}
            self._next_id += 1
            self._history.append(event)
            if self._store is not None:
                self._persist(event)
            subscribers = list(self._subscribers)
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        for sub in subscribers:
            if sub._loop is running:
                sub._deliver(event)
            else:
                try:
                    sub._loop.call_soon_threadsafe(sub._deliver, event)
                except RuntimeError:  # that loop is closed: its subscriber is gone
                    self._unsubscribe(sub)
        return event

    def _persist(self, event: dict[str, Any]) -> None:
        """Write ``event`` to the store (under the bus lock, so the store's order is the id order).

        Why a failure is only logged: the event has happened and is delivered either way, and the
        intent record holds the state it reported; raising would fail the intent step that
        published it. What is lost: after a restart, a client resuming from before that event does
        not get it (and is not told: ids are not consecutive across runs, so the hole does not show).
        The store is closed last on shutdown, so this only happens when the disk or database fails.
        """
        try:
            self._store.append_event(event, self._history.maxlen or 1)  # type: ignore[union-attr]
        except sqlite3.Error as exc:
            self.unstored += 1
            if self.unstored == 1:
                log.warning("events: could not store event %s (%s); a resume after a restart will miss it", event["id"], exc)

    def recent(self, after_id: int = 0) -> list[dict[str, Any]]:
        with self._lock:
            return [e for e in self._history if e["id"] > after_id]

    def subscribe(self, after_id: int | None = None) -> Subscription:
        """Follow events from now on; with ``after_id``, first replay the kept events newer than it.

        Must be called on the event loop that will consume the subscription.
        """
        loop = asyncio.get_running_loop()
        with self._lock:
            backlog: list[dict[str, Any]] = []
            if after_id is not None:
                kept = [e for e in self._history if e["id"] > after_id]
                oldest = self._history[0]["id"] if self._history else self._next_id
                # 0 asks for everything: a gap only if this run's history lost some; any other id older
                # than the history (dropped, or from before a restart) or never issued is a gap too.
                lost = oldest > self._first_id if after_id == 0 else (after_id < oldest - 1 or after_id >= self._next_id)
                if lost:
                    backlog.append(gap_event(after_id, kept[0]["id"] if kept else None))
                backlog.extend(kept)
            sub = Subscription(self, backlog, loop, self._queue_size)
            self._subscribers.add(sub)
        return sub

    def _unsubscribe(self, sub: Subscription) -> None:
        with self._lock:
            self._subscribers.discard(sub)

    @property
    def subscribers(self) -> int:
        return len(self._subscribers)
