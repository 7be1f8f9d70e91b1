"""Crash recovery on start: undo interrupted pushes and plan unfinished intents again.

Why a module of its own: it runs once, before the worker and the switch connections start, and
reads only the store's write-ahead record; nothing in the running lifecycle depends on it.

* A push still marked ``started`` was interrupted (crash, ``kill -9``): its intent fails with that
  reason and every switch it touched is marked stale, so the network view reconciles it back to the
  last committed state (Read, diff, fix) as soon as it answers. Every switch holding committed
  entries is marked stale too: what it holds after a restart is unknown until read back.
* Intents that were queued, mid-planning, mid-push or pending are queued again: their plan is
  recomputed against the network as it is now (a pending push's target may no longer fit). An
  intent whose lifecycle ended at ``validated`` (``deploy: "skipped: ..."``: plan-only mode, or
  the deployed plan was kept) is finished and left alone; it used to be planned again on every
  restart, publishing its whole lifecycle a second time.
"""

from __future__ import annotations

import asyncio

from controller.network import NetworkView
from controller.store import Store

#: States of an intent whose work was cut short by the restart; these are planned again from the
#: start (nothing of a half-made plan is trusted; its push, if any, was undone above).
UNFINISHED_STATES = ("queued", "translated", "experts_activated", "planned", "validated", "deploying")


def recover(store: Store, network: NetworkView, queue: asyncio.Queue) -> None:
    """Undo interrupted pushes (by reconciling to the committed state) and re-queue unfinished intents."""
    for p in store.open_pushes():
        reason = (f"controller stopped during the push to version {p.to_version}; "
                  f"rolled back to the last committed state (version {p.from_version})")
        store.end_push(p.id, "interrupted", reason)
        if p.intent_id:
            store.update_intent(p.intent_id, state="failed", error=reason, pending=None)
        store.audit("controller", "recover.push", {"push": p.id, "to_version": p.to_version})
        network.mark_stale(set(p.target) | set(p.previous))
    # Every switch is reconciled once it connects anyway; this records which ones must change.
    network.mark_stale(store.deployed())
    for rec in store.list_intents():
        if rec.state == "validated" and str(rec.detail.get("deploy", "")).startswith("skipped"):
            continue  # finished there: plan-only mode, or the deployed plan was kept (controller.keep_deployed)
        if rec.state in UNFINISHED_STATES:
            store.update_intent(rec.id, state="queued", detail={"requeued_after_restart": True})
            queue.put_nowait(("intent", rec.id))
        elif rec.state == "pending":
            # Its push waited for a switch; the plan is recomputed against the current network.
            store.update_intent(rec.id, state="queued", pending=None, detail={"requeued_after_restart": True})
            queue.put_nowait(("intent", rec.id))
