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
* Health: a switch is ``down`` when its stream closes, when ``heartbeat_misses`` heartbeats in a
  row fail, or when it never connected within ``startup_grace_s``; it is ``up`` again once it has
  been reconciled. Both transitions are reported to ``on_change`` (the intent manager replans
  around a down switch, and back onto a returned one). ``backup`` (another controller is primary)
  is reported as such, never as unreachable, and is not planned around: its tables still forward.
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
from controller.faults import usable_topology
from controller.store import Store
from omniplan.topology import Topology


class UsesNetwork:
    """Read access to the managed switches through ``self.network`` (intent manager, coordinator)."""

    network: "NetworkView"

    @property
    def switches(self) -> list[SwitchConfig]:
        return self.network.switches

    @property
    def southbound(self) -> Any:
        return self.network.southbound


class NetworkView:
    """Managed switches, their connection state and whether their entries are known."""

    def __init__(self, store: Store, switches: list[SwitchConfig], southbound: Any, *, events: EventBus,
                 metrics: Metrics, options: ServiceOptions):
        from controller.links import LinkMonitor

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
        #: Called with each health change ({"what", "kind", "device", "at"}): the intent manager replans.
        self.on_change: Callable[[dict[str, Any]], None] | None = None
        #: device -> {"state": unknown|up|down|backup, "since", "reason", "heartbeat_ms", "misses"}.
        self.health: dict[str, dict[str, Any]] = {
            s.device: {"state": "unknown", "since": time.time(), "reason": "not connected yet", "heartbeat_ms": None,
                       "misses": 0} for s in self.switches}
        self._tasks: set[asyncio.Task] = set()
        self._started = time.monotonic()
        #: Link probes (controller.links); None when ``options.link_probe_s`` is 0.
        self.links = (LinkMonitor(self.switches, options.link_probe_s, self._on_link_state)
                      if options.link_probe_s > 0 and southbound is not None else None)

    async def start(self) -> None:
        if self.southbound is not None:
            self.southbound.on_ready = self._on_switch_ready
            self.southbound.on_down = self._on_switch_down
            self.southbound.on_backup = self._on_switch_backup
            self.southbound.on_packet = self._on_packet
            await self.southbound.start()
            self._spawn(self._watch(), "omniplan-heartbeat")
            if self.links is not None:
                self._spawn(self._probe_links(), "omniplan-link-probes")

    async def stop(self) -> None:
        for t in list(self._tasks):
            t.cancel()
        if self.southbound is not None:
            await self.southbound.stop()

    # ------------------------------------------------------------------ what the intent manager asks
    def mark_stale(self, devices: Iterable[str]) -> None:
        self.needs_reconcile.update(devices)

    def mark_written(self, devices: Iterable[str], deferred: Iterable[str]) -> None:
        """A push drove these switches to the committed state (except ``deferred``): their entries are known."""
        skip = set(deferred)
        for dev in devices:
            if dev not in skip and self.is_ready(dev) and self.health.get(dev, {}).get("state") in ("up", "unknown"):
                self.needs_reconcile.discard(dev)

    def known(self, committed: dict, names: list[str]) -> dict:
        """Committed entries of the switches known to hold exactly them (see ``needs_reconcile``)."""
        return {n: committed.get(n, []) for n in names if n not in self.needs_reconcile}

    def is_ready(self, device: str) -> bool:
        drivers = self.southbound.drivers if self.southbound is not None else {}
        return device not in drivers or drivers[device].is_ready()

    def down_devices(self) -> set[str]:
        return {d for d, h in self.health.items() if h["state"] == "down"}

    def down_links(self) -> set[tuple[str, str]]:
        return self.links.down() if self.links is not None else set()

    def usable_topology(self, topology: Topology) -> Topology:
        """What plans may use now: the topology without the switches and links that are down."""
        return usable_topology(topology, self.down_devices(), self.down_links())

    def excluded_summary(self) -> dict[str, list[str]]:
        """What a plan made now leaves out (stored with the intent, compared on the next fault)."""
        return {"devices": sorted(self.down_devices()), "links": sorted(f"{a}-{b}" for a, b in self.down_links())}

    def infrastructure_entries(self) -> list:
        """Entries every switch holds besides the plan's (the probe entry while links are probed)."""
        from controller.links import probe_entries

        return probe_entries() if self.links is not None else []

    def link_status(self) -> list[dict[str, Any]]:
        return self.links.status() if self.links is not None else []

    # ------------------------------------------------------------------ links
    def _on_packet(self, device: str, port: int, frame: bytes) -> None:
        if self.links is not None:
            self.links.received(device, port, frame)

    def _on_link_state(self, key: tuple[str, str], state: str, reason: str | None) -> None:
        name = f"{key[0]}-{key[1]}"
        self.events.publish("link", link=name, state=state, reason=reason)
        self.metrics.link_state(key[0], key[1], state)
        self.store.audit("controller", f"link.{state}", {"link": name, "reason": reason})
        if self.on_change is not None and self.options.replan_on_fault and state in ("down", "miswired", "up"):
            what = f"link {name} {state}" + (f": {reason}" if reason else "")
            self.on_change({"what": what, "kind": f"link_{state}", "link": name, "at": time.time()})

    async def _probe_links(self) -> None:
        """Send one probe per inter-switch port every ``link_probe_s``; then look for silent links."""
        assert self.links is not None
        while True:
            await asyncio.sleep(self.options.link_probe_s)
            drivers = self.southbound.drivers
            per_switch: dict[str, list[tuple[int, bytes]]] = {}
            for dev, port, frame in self.links.probes():
                if dev in drivers and drivers[dev].is_ready():
                    per_switch.setdefault(dev, []).append((port, frame))

            async def send(dev: str, frames: list[tuple[int, bytes]]) -> None:
                # One at a time per switch: a gRPC stream takes one write at a time (two concurrent
                # PacketOuts on one stream end it with INTERNAL).
                for port, frame in frames:
                    await drivers[dev].packet_out(port, frame)
            await asyncio.gather(*(send(d, f) for d, f in per_switch.items()), return_exceptions=True)
            self.links.check(lambda d: self.health.get(d, {}).get("state") == "up")

    # ------------------------------------------------------------------ health
    def _set_health(self, device: str, state: str, reason: str | None) -> None:
        h = self.health[device]
        if h["state"] == state:
            h["reason"] = reason
            return
        was = h["state"]
        h.update(state=state, since=time.time(), reason=reason)
        self.events.publish("switch", device=device, state=state, reason=reason)
        self.metrics.switch_state(device, state)
        self.store.audit("controller", f"switch.{state}", {"device": device, "reason": reason})
        if self.on_change is not None and self.options.replan_on_fault and (
                state == "down" or (state == "up" and was == "down")):
            what = f"{device} down: {reason}" if state == "down" else f"{device} back up"
            self.on_change({"what": what, "kind": f"switch_{state}", "device": device, "at": time.time()})

    def _mark_down(self, device: str, reason: str) -> None:
        self.needs_reconcile.add(device)  # it may come back rebooted (empty) or changed
        if self.southbound is not None and device in self.southbound.drivers:
            self.southbound.drivers[device].ready = False  # no push may write to it until it is reconciled
        self._set_health(device, "down", reason)
        if self.links is not None:
            self.links.forget(device)

    def _spawn(self, coro: Awaitable[None], name: str) -> None:
        task = asyncio.ensure_future(coro)
        task.set_name(name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _watch(self) -> None:
        """Heartbeat every connected switch; declare down the silent ones and those that never came."""
        while True:
            await asyncio.sleep(self.options.heartbeat_s)
            for dev, d in self.southbound.drivers.items():
                h = self.health[dev]
                if h["state"] == "unknown" and time.monotonic() - self._started > self.options.startup_grace_s:
                    self._mark_down(dev, f"did not connect within {self.options.startup_grace_s:g} s of start")
                if not d.switch.is_up or (not d.ready and h["state"] != "down"):
                    continue  # no stream (the down handler has run), or still connecting
                try:
                    rtt = await d.heartbeat(self.options.heartbeat_timeout_s)
                except Exception as exc:
                    if self.write_lock.locked():
                        continue  # a switch applying a large batch answers late; the push itself reports errors
                    h["misses"] += 1
                    d.info["last_error"] = f"heartbeat: {exc}"
                    if h["misses"] >= self.options.heartbeat_misses and h["state"] != "down":
                        self._mark_down(dev, f"missed {h['misses']} heartbeats ({exc})")
                    continue
                h.update(heartbeat_ms=round(rtt * 1000, 2), misses=0, last_heartbeat=time.time())
                if h["state"] == "down" and not d.ready and d.switch.is_primary:
                    d.ready = True  # answering again on the same stream: reconcile, then it is up
                    self._spawn(self._reconcile_and_retry(dev), f"omniplan-reconcile-{dev}")

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
            h = self.health.get(s.device, {})
            row.update(health=h.get("state"), health_since=h.get("since"), health_reason=h.get("reason"),
                       heartbeat_ms=h.get("heartbeat_ms"), stale=s.device in self.needs_reconcile)
            out.append(row)
        return out

    # ------------------------------------------------------------------ switch connection events
    async def _on_switch_ready(self, device: str) -> None:
        """A switch (re)connected: reconcile it with the committed state, then retry a pending push."""
        self._spawn(self._reconcile_and_retry(device), f"omniplan-reconcile-{device}")

    async def _on_switch_down(self, device: str) -> None:
        self._mark_down(device, "connection lost")

    async def _on_switch_backup(self, device: str, reason: str) -> None:
        self.needs_reconcile.add(device)  # the other controller may write to it
        self._set_health(device, "backup", reason)

    async def _reconcile_and_retry(self, device: str) -> None:
        self.events.publish("switch", device=device, state="connected")
        async with self.write_lock:
            committed = self.store.deployed().get(device) or []
            # A switch no plan has used yet still gets the infrastructure (probe) entry; it then holds
            # more than the store says, so it stays "to be read" until a push records it.
            desired = committed or self.southbound.canonical_state({device: self.infrastructure_entries()})[device]
            try:
                stats = await converge({device: self.southbound.drivers[device]},
                                       {device: desired}, self.southbound.is_entry_point,
                                       batch_size=self.options.batch_size)
                if desired == committed:
                    self.needs_reconcile.discard(device)
                self.southbound.note(device, reconciled=time.time(), last_error=None)
                self.health[device]["misses"] = 0
                self._set_health(device, "up", None)
                if stats.written:
                    self.store.audit("controller", "switch.reconcile", {"device": device, "written": stats.written})
                    self.metrics.entries_written.inc(stats.written)
                self.events.publish("switch", device=device, state="reconciled", written=stats.written)
            except Exception as exc:
                self.southbound.note(device, last_error=f"reconcile failed: {exc}")
                self._mark_down(device, f"reconcile failed: {exc}")
                self.events.publish("switch", device=device, state="reconcile_failed", error=str(exc))
                return
        if self.on_reconciled is not None:
            await self.on_reconciled(device)
