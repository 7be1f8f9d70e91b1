"""The controller service: a thin coordinator of the intent manager and the network view.

Why thin: like ONOS, which keeps its intent manager apart from its device and topology services,
the intent side (``controller.intents`` and the modules it delegates to, one job each) and the
network view (``controller.network``: switch connections, reconcile on reconnect, per-switch and
per-link health) are separate; this class only wires them together (shared store, event bus,
metrics, options and write lock), routes the network view's reports to the intent side, and
offers the operations the northbound API calls.

    controller.intents        the lifecycle: submit, validate, confirm, withdraw, the planning worker
    controller.intent_journal  recording a state transition (store, history, event, metric)
    controller.workloads      the request's workload, or tasks named from the catalogue
    controller.keep_deployed  no change for no gain: is a new plan worth a switch-over?
    controller.targets        plan -> per-switch target entries, checked in the twin
    controller.rollout        make-before-break push and commit; the intent waiting for switches
    controller.replanning     a switch or link went down or came back: replan the active intent
    controller.recovery       on start: undo interrupted pushes, re-queue unfinished intents
    controller.network        switch health, reconcile on reconnect (link probes: controller.links)
    controller.events         the event stream, its history kept in the store across restarts
"""
from __future__ import annotations

import time
from typing import Any, Mapping

from controller.config import SwitchConfig
from controller.events import EventBus
from controller.inference import InferenceCounts, class_names
from controller.intents import REQUEST_FIELDS, IntentManager
from controller.metrics import Metrics
from controller.network import NetworkView, UsesNetwork
from controller.options import ServiceOptions
from controller.store import IntentRecord, Store
from controller.workloads import workload_with_programs
from omniplan.topology import Topology
from omniplan.workload import Workload

__all__ = ["Controller", "ServiceOptions", "REQUEST_FIELDS", "workload_with_programs"]


class Controller(UsesNetwork):
    def __init__(self, store: Store, topology: Topology, switches: list[SwitchConfig] | None = None, *,
                 southbound: Any = None, default_workload: Workload | None = None,
                 events: EventBus | None = None, metrics: Metrics | None = None,
                 options: ServiceOptions | None = None):
        self.store = store
        self.topology = topology
        # The bus keeps its history in the store, so /events resumes across a restart (controller.events).
        self.events = events or EventBus(store=store)
        self.metrics = metrics or Metrics()
        self.options = options or ServiceOptions()
        self.network = NetworkView(store, list(switches or []), southbound, events=self.events,
                                   metrics=self.metrics, options=self.options)
        self.intents = IntentManager(store, topology, self.network, default_workload=default_workload,
                                     events=self.events, metrics=self.metrics, options=self.options)
        # The network view reports; the intent side reacts: a returned switch may release the push that
        # waits for it (controller.rollout), a health change replans the active intent (controller.replanning).
        self.network.on_reconciled = lambda _device: self.intents.rollout.retry_pending()
        self.network.on_change = self.intents.replanner.on_network_change
        self.started = time.time()
        self.inference = InferenceCounts(southbound, lambda: self.store.get_meta("task_ids", {}), self._class_names)
        self.metrics.watch_inference(lambda: self.inference.counts)

    @property
    def queue(self):
        return self.intents.queue

    # ------------------------------------------------------------------ lifecycle of the service
    async def start(self) -> None:
        self.intents.recover()
        await self.network.start()
        self.intents.start()

    async def stop(self) -> None:
        await self.intents.stop()
        await self.network.stop()

    # ------------------------------------------------------------------ operations of the API
    def validate_request(self, request: Mapping[str, Any]) -> Workload:
        return self.intents.validate_request(request)

    def resolve_workload(self, request: Mapping[str, Any]) -> Workload:
        return self.intents.resolve_workload(request)

    def task_ids(self, workload: Workload) -> dict[str, int]:
        return self.intents.task_ids(workload)

    def submit(self, request: Mapping[str, Any], actor: str = "api") -> IntentRecord:
        return self.intents.submit(request, actor)

    def withdraw(self, intent_id: str, actor: str = "api") -> IntentRecord:
        return self.intents.withdraw(intent_id, actor)

    def confirm(self, intent_id: str, actor: str = "api") -> IntentRecord:
        return self.intents.confirm(intent_id, actor)

    def status(self) -> dict[str, Any]:
        return {"topology": self.topology.name, "devices": len(self.topology.devices),
                "switches": len(self.switches), **self.intents.status(), "links": self.network.link_status(),
                "uptime_s": round(time.time() - self.started, 3)}

    def switch_status(self) -> list[dict[str, Any]]:
        rows = self.network.switch_status()
        for row in rows:  # the switches' own per-class counters, as last read (refresh_inference_counts)
            row["inference_packets"] = self.inference.counts.get(row["device"], {})
        return rows

    async def refresh_inference_counts(self) -> dict[str, dict[str, dict[str, int]]]:
        """Read inml.p4's per-class direct counters from every ready switch (for /metrics, /switches)."""
        return await self.inference.refresh()

    def _class_names(self) -> dict[str, list]:
        # The catalogue intents are planned from, so a registered model that replaces a --workload
        # task of the same name names its counters too (this used to prefer the --workload task).
        return class_names(self.intents.catalogue.tasks())
