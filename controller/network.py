"""The network view: which managed switches answer, what each one holds, and keeping them reconciled.

Why a module of its own (ONOS keeps device and topology services apart from the intent manager):
the intent lifecycle only needs to ask "is this switch usable, and do I know its entries?"; the
connection events, the reconcile-on-reconnect rule and the per-switch status rows live here.

Rules:

* A switch is *stale* (``needs_reconcile``) from the moment its channel goes down or a push to it
  could not be completed or rolled back, until it has been read back and driven to the committed
  state. A push reads stale switches instead of trusting the store for them.
* On every (re)connection the switch is reconciled (Read, diff, fix, make-before-break) under the
  write lock, so a reconcile never interleaves with a push; then ``on_reconciled`` lets the intent
  manager retry a push that was waiting for this switch.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, Awaitable, Callable, Iterable

from controller.config import SwitchConfig
from controller.deploy import converge
from controller.events import EventBus
from controller.metrics import Metrics
from controller.options import ServiceOptions
from controller.store import Store


class NetworkView:
    """Managed switches, their connection state and whether their entries are known."""

    def __init__(self, store: Store, switches: list[SwitchConfig], southbound: Any, *, events: EventBus,
                 metrics: Metrics, options: ServiceOptions):
        self.store = store
        self.switches = list(switches)
        self.southbound = southbound
        self.events = events
        self.metrics = metrics
        self.options = options
        #: Serialises every write to the switches: pushes (intent manager) and reconciles (here).
        self.write_lock = asyncio.Lock()
        #: Switches whose real entries may differ from the committed state (not reconciled since they
        #: connected, or a rollback did not finish): a push reads these; the others are known.
        self.needs_reconcile: set[str] = {s.device for s in self.switches}
        #: Called after a switch was reconciled (the intent manager retries its pending push).
        self.on_reconciled: Callable[[str], Awaitable[None]] | None = None
        self._tasks: set[asyncio.Task] = set()

    async def start(self) -> None:
        if self.southbound is not None:
            self.southbound.on_ready = self._on_switch_ready
            self.southbound.on_down = self._on_switch_down
            await self.southbound.start()

    async def stop(self) -> None:
        for t in list(self._tasks):
            t.cancel()
        if self.southbound is not None:
            await self.southbound.stop()

    # ------------------------------------------------------------------ what the intent manager asks
    def mark_stale(self, devices: Iterable[str]) -> None:
        self.needs_reconcile.update(devices)

    def known(self, committed: dict, names: list[str]) -> dict:
        """Committed entries of the switches known to hold exactly them (see ``needs_reconcile``)."""
        return {n: committed.get(n, []) for n in names if n not in self.needs_reconcile}

    def is_ready(self, device: str) -> bool:
        drivers = self.southbound.drivers if self.southbound is not None else {}
        return device not in drivers or drivers[device].is_ready()

    # ------------------------------------------------------------------ status
    def switch_status(self) -> list[dict[str, Any]]:
        counts = self.store.deployed_counts()
        live = {s["device"]: s for s in (self.southbound.status() if self.southbound is not None else [])}
        out = []
        for s in self.switches:
            row = {"name": s.name, "device": s.device, "device_id": s.device_id, "grpc": s.grpc,
                   "entries_deployed": counts.get(s.device, 0), "connected": False, "primary": False,
                   "pipeline_cookie": None, "last_error": None}
            row.update({k: v for k, v in live.get(s.device, {}).items() if k != "device"})
            out.append(row)
        return out

    # ------------------------------------------------------------------ switch connection events
    async def _on_switch_ready(self, device: str) -> None:
        """A switch (re)connected: reconcile it with the committed state, then retry a pending push."""
        task = asyncio.create_task(self._reconcile_and_retry(device))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _on_switch_down(self, device: str) -> None:
        self.needs_reconcile.add(device)  # it may come back rebooted (empty) or changed
        self.events.publish("switch", device=device, state="down")

    async def _reconcile_and_retry(self, device: str) -> None:
        self.events.publish("switch", device=device, state="up")
        async with self.write_lock:
            desired = self.store.deployed()
            try:
                stats = await converge({device: self.southbound.drivers[device]},
                                       {device: desired.get(device, [])}, self.southbound.is_entry_point,
                                       batch_size=self.options.batch_size)
                self.needs_reconcile.discard(device)
                self.southbound.note(device, reconciled=time.time(), last_error=None)
                if stats.written:
                    self.store.audit("controller", "switch.reconcile", {"device": device, "written": stats.written})
                    self.metrics.entries_written.inc(stats.written)
                self.events.publish("switch", device=device, state="reconciled", written=stats.written)
            except Exception as exc:
                self.southbound.note(device, last_error=f"reconcile failed: {exc}")
                self.events.publish("switch", device=device, state="reconcile_failed", error=str(exc))
                return
        if self.on_reconciled is not None:
            await self.on_reconciled(device)
