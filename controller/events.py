"""In-process event bus behind the /events stream (Server-Sent Events).

Every lifecycle step, push phase and switch connection change is published here; each SSE
client gets its own bounded queue so a slow client drops its own oldest events instead of
stalling planning. Events carry a monotonically increasing ``id`` so a client can resume with
``Last-Event-ID`` from the recent history.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import deque
from typing import Any, AsyncIterator


class EventBus:
    def __init__(self, history: int = 1000, queue_size: int = 1000):
        self._ids = itertools.count(1)
        self._history: deque[dict[str, Any]] = deque(maxlen=history)
        self._subscribers: set[asyncio.Queue] = set()
        self._queue_size = queue_size

    def publish(self, kind: str, **data: Any) -> dict[str, Any]:
        event = {"id": next(self._ids), "ts": time.time(), "type": kind, **data}
        self._history.append(event)
        for q in list(self._subscribers):
            if q.full():
                try:
                    q.get_nowait()
                except asyncio.QueueEmpty:
                    pass
            q.put_nowait(event)
        return event

    def recent(self, after_id: int = 0) -> list[dict[str, Any]]:
        return [e for e in self._history if e["id"] > after_id]

    async def subscribe(self, after_id: int | None = None) -> AsyncIterator[dict[str, Any]]:
        q: asyncio.Queue = asyncio.Queue(self._queue_size)
        self._subscribers.add(q)
        try:
            if after_id is not None:
                for e in self.recent(after_id):
                    yield e
            while True:
                yield await q.get()
        finally:
            self._subscribers.discard(q)

    @property
    def subscribers(self) -> int:
        return len(self._subscribers)
