"""The record of an intent's state transitions: store row, history entry, event and metric in one call.

Why a module of its own: the lifecycle (``controller.intents``), the push (``controller.rollout``)
and the replanner (``controller.replanning``) all move intents between states, and each transition
must be written the same way (the ``history`` that ``GET /intents/{id}`` shows, the ``intent`` event
on ``/events``, ``omniplan_intents_total{state}``), so it is written in one place.
"""

from __future__ import annotations

import time
from typing import Any

from controller.events import EventBus
from controller.metrics import Metrics
from controller.store import Store


class IntentJournal:
    """Writes state transitions of intents; decides none of them."""

    def __init__(self, store: Store, events: EventBus, metrics: Metrics):
        self.store = store
        self.events = events
        self.metrics = metrics

    def history(self, intent_id: str, state: str, note: str | None = None) -> list[dict[str, Any]]:
        """The intent's state transitions so far plus this one (shown by GET /intents/{id})."""
        found = self.store.intent_state(intent_id)
        history = list(found[1].get("history", [])) if found else []
        item: dict[str, Any] = {"state": state, "at": round(time.time(), 6)}
        if note:
            item["note"] = note
        return history + [item]

    def step(self, intent_id: str, state: str, timings: dict[str, float], *, note: str | None = None,
             **detail: Any) -> None:
        """Move the intent to ``state``, merging ``detail`` and the step timings so far into its record."""
        detail["history"] = self.history(intent_id, state, note)
        self.store.update_intent(intent_id, state=state, detail={**detail, "timings_s": dict(timings)}, fetch=False)
        self.metrics.intents.labels(state).inc()
        self.events.publish("intent", intent=intent_id, state=state, timings_s=dict(timings))

    def fail(self, intent_id: str, reason: str) -> None:
        self.store.update_intent(intent_id, state="failed", error=reason, pending=None,
                                 detail={"history": self.history(intent_id, "failed", reason)}, fetch=False)
        self.metrics.intents.labels("failed").inc()
        self.events.publish("intent", intent=intent_id, state="failed", error=reason)

    def withdrawn(self, intent_id: str) -> bool:
        """True when the intent is gone or was withdrawn (a step in progress then stops)."""
        found = self.store.intent_state(intent_id)
        return found is None or found[0] == "withdrawn"
