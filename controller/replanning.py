"""Replanning when the network changes: move the active intent off what failed, and back onto what returned.

Why a module of its own (as ONOS's intent manager recompiles installed intents when its topology
service reports a change): the network view (``controller.network``) only reports that a switch or
link went down or came back; what that means for the deployed configuration is decided here, and
the lifecycle of new intents (``controller.intents``) does not change with it.

Rules:

* Faults are batched: the first one queues one ``replan`` job on the planning queue (so a replan
  never interleaves with a new intent's push); faults arriving before it runs join it.
* The active intent is planned again for its stored preference on the usable topology, on the
  fast channel (``REPLAN_CHANNEL``), with partial placement allowed: tasks whose traffic enters
  at a dead switch, and tasks nothing left can hold, are reported as ``uncovered`` with why.
* Nothing is replanned when the plan already avoids exactly what is down now (a switch it does
  not use flapped).
* A replan that fails (no plan, a switch unreachable, a write failed) leaves the intent
  ``deployed`` on what is left of its old plan, with the reason in its record and history.
* An intent whose push waits for a switch that is now known down is planned again, around it.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from controller import faults, planning
from controller.events import EventBus
from controller.intent_journal import IntentJournal
from controller.metrics import Metrics
from controller.network import NetworkView, UsesNetwork
from controller.options import ServiceOptions
from controller.rollout import Rollout
from controller.store import Store
from controller.targets import TargetBuilder
from controller.workloads import Catalogue
from omniplan.errors import OmniPlanError
from omniplan.feasibility import check_plan
from omniplan.topology import Topology

#: Replans after a fault use the fast channel (the best-matching fast expert, no MIP), so recovery
#: never waits on the solver's time limit; a new intent brings back the operator's channel.
REPLAN_CHANNEL = "fast"


class Replanner(UsesNetwork):
    """Reacts to switch and link health changes by replanning the active intent (one batch at a time)."""

    def __init__(self, store: Store, topology: Topology, network: NetworkView, *, catalogue: Catalogue,
                 targets: TargetBuilder, rollout: Rollout, journal: IntentJournal, queue: asyncio.Queue,
                 events: EventBus, metrics: Metrics, options: ServiceOptions):
        self.store = store
        self.topology = topology
        self.network = network
        self.catalogue = catalogue
        self.targets = targets
        self.rollout = rollout
        self.journal = journal
        self.queue = queue
        self.events = events
        self.metrics = metrics
        self.options = options
        #: Network faults (switch/link down or back) not yet handled by a replan, oldest first.
        self.faults: list[dict[str, Any]] = []

    def on_network_change(self, event: dict[str, Any]) -> None:
        """A switch or link went down or came back: queue one replan (faults arriving meanwhile join it)."""
        if not self.faults:
            self.queue.put_nowait(("replan", ""))
            self.metrics.queue_depth.set(self.queue.qsize())
        self.faults.append(event)

    async def replan(self) -> None:
        """Move the active intent off what failed (or back onto what returned), make-before-break.

        The plan is recomputed for the intent's stored preference on the usable topology, with
        partial placement allowed: tasks whose traffic enters at a dead switch, and tasks nothing
        left can hold, are reported as ``uncovered`` with why. The intent history records the
        faults and the tasks they touched.
        """
        batch, self.faults = self.faults, []
        self._replan_pending(batch)
        intent_id = self.store.get_meta("active_intent_id")
        rec = self.store.get_intent(intent_id) if intent_id else None
        if rec is None or rec.state != "deployed" or rec.plan_id is None or not self.switches:
            return
        topology = self.network.usable_topology(self.topology)
        excluded = self.network.excluded_summary()
        if excluded == rec.detail.get("excluded", {"devices": [], "links": []}):
            return  # the plan already avoids exactly what is down (e.g. a switch it does not use flapped)
        committed = self.store.deployed()
        old_plan = self.store.get_plan(rec.plan_id) or {}
        old_placement = dict(old_plan.get("plan", {}).get("placement", {}))
        old_routes = dict(old_plan.get("plan", {}).get("routes", {}))
        timings: dict[str, float] = {}
        started = time.perf_counter()
        try:
            workload, uncovered = faults.split_reachable(self.catalogue.resolve(rec.request), topology)
            pref = planning.parse_preference(rec.detail.get("preference") or rec.request.get("preference")
                                             or {"latency": 1})
            note = "; ".join(e["what"] for e in batch)
            self.journal.step(intent_id, "replanning", timings, note=note, fault=note, faults=batch)
            target: dict = self.targets.with_infrastructure({})
            plan_dict: dict[str, Any] = {"placement": {}, "stages": {}, "routes": {}, "expert": "none"}
            evaluation: dict[str, Any] = {}
            if workload.tasks:
                t0 = time.perf_counter()
                outcome = await asyncio.to_thread(
                    planning.plan_around, pref, workload, topology, channel=REPLAN_CHANNEL,
                    time_limit_s=float(rec.request.get("time_limit_s", self.options.time_limit_s)), allow_partial=True)
                timings["plan"] = round(time.perf_counter() - t0, 6)
                violations = check_plan(outcome.plan, workload, topology)
                if violations:
                    raise planning.PlanningError("infeasible plan: " + "; ".join(map(str, violations[:5])))
                uncovered += faults.unplaced(outcome.plan, workload, topology)
                version = self.store.next_version()
                target = await asyncio.to_thread(self.targets.realize, workload, outcome.plan, version, topology)
                twin = await asyncio.to_thread(self.targets.twin_check, workload, outcome.plan, target, topology)
                plan_dict, evaluation = outcome.plan.to_dict(), outcome.evaluation
                self.store.update_intent(intent_id, detail={"twin": twin, "objectives": outcome.objectives,
                                                            "expert": outcome.plan.expert}, fetch=False)
            else:
                version = self.store.next_version()
            new_placement = plan_dict.get("placement", {})
            moved = {mid.split("/")[0] for mid in set(old_placement) | set(new_placement)
                     if new_placement.get(mid) != old_placement.get(mid)} | {u["task"] for u in uncovered}
            # a task whose tables stay put but whose packets crossed the failed switch is affected too
            new_routes = plan_dict.get("routes", {})
            rerouted = sorted({rid.split("/")[0] for rid in set(old_routes) | set(new_routes)
                               if new_routes.get(rid) != old_routes.get(rid)} - moved)
            affected = sorted(moved | set(rerouted))
            plan_id = self.store.add_plan(intent_id, version, plan_dict, workload.to_dict(), evaluation)
            self.store.update_intent(intent_id, detail={"excluded": excluded, "uncovered": uncovered,
                                                        "affected_tasks": affected,
                                                        "replans": int(rec.detail.get("replans", 0)) + 1},
                                     fetch=False)
            self.metrics.replans.inc()
            why_not = await self.rollout.deploy(intent_id, plan_id, version, target, timings, started, replan=True)
            if why_not is not None:
                self.failed(intent_id, why_not)
                return
            self.store.update_intent(intent_id, plan_id=plan_id, fetch=False)
            first = min(e["at"] for e in batch)
            self.store.update_intent(intent_id, detail={"recovery": {
                "fault_at": first, "deployed_at": time.time(), "seconds": round(time.time() - first, 3),
                "faults": [e["what"] for e in batch], "affected_tasks": affected, "uncovered": uncovered,
                "entries_before": {n: len(v) for n, v in committed.items()}}}, fetch=False)
            self.events.publish("replan", intent=intent_id, faults=[e["what"] for e in batch],
                                affected=affected, uncovered=uncovered)
            found = self.store.intent_state(intent_id)
            history = list(found[1].get("history", [])) if found else []
            if history and history[-1]["state"] == "deployed":
                lost = "; ".join(f"{u['task']} uncovered: {u['why']}" for u in uncovered)
                history[-1]["note"] = (f"replanned after {note}; tasks moved: {', '.join(sorted(moved)) or 'none'}"
                                       + (f"; re-routed: {', '.join(rerouted)}" if rerouted else "")
                                       + (f"; {lost}" if lost else ""))
                self.store.update_intent(intent_id, detail={"history": history}, fetch=False)
        except OmniPlanError as exc:
            self.failed(intent_id, str(exc))

    def _replan_pending(self, batch: list[dict[str, Any]]) -> None:
        """An intent waiting for a switch that is now known down is planned again, around it."""
        pending = self.rollout.pending
        if pending is None or not set(pending.switches) & self.network.down_devices():
            return
        self.rollout.pending = None
        note = "planned again: " + "; ".join(e["what"] for e in batch)
        self.store.update_intent(pending.intent_id, state="queued", pending=None,
                                 detail={"history": self.journal.history(pending.intent_id, "queued", note)})
        self.queue.put_nowait(("intent", pending.intent_id))
        self.events.publish("intent", intent=pending.intent_id, state="queued", note=note)

    def failed(self, intent_id: str, reason: str) -> None:
        """The intent stays deployed on what is left of its old plan; the reason is recorded and shown."""
        self.store.update_intent(intent_id, state="deployed", detail={
            "replan_error": reason, "history": self.journal.history(intent_id, "deployed", f"replan failed: {reason}")},
            fetch=False)
        self.events.publish("intent", intent=intent_id, state="deployed", error=f"replan failed: {reason}")

    def job_failed(self, why: str) -> None:
        """A replan job ended on an unexpected error: recorded on the active intent."""
        active = self.store.get_meta("active_intent_id")
        if active:
            self.failed(active, why)
