"""Putting a configuration on the switches: the make-before-break push, its commit, and what waits.

Why a module of its own: the lifecycle (``controller.intents``) decides *that* an intent is
deployed or withdrawn, the replanner (``controller.replanning``) decides *that* the active intent
moves; how the entries get there is the same for all three and lives here:

* Every push is recorded in the store before its first write (write-ahead, ``begin_push``) and
  committed with the deployed state in one transaction; under the network view's write lock, so a
  push never interleaves with a reconcile or another push.
* A switch that must change but is down makes a new intent ``pending`` (one at a time; a newer
  deployment supersedes it); ``retry_pending`` pushes it once every switch it waits for answers.
* Withdrawing the active intent re-deploys the most recent earlier superseded intent from its
  stored plan (new version tag, no re-planning), or removes every table if there is none.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from controller.deploy import Progress, PushFailed, PushStats, SwitchUnreachable, push
from controller.events import EventBus
from controller.intent_journal import IntentJournal
from controller.metrics import Metrics
from controller.network import NetworkView, UsesNetwork
from controller.options import ServiceOptions
from controller.store import Store
from controller.targets import TargetBuilder
from controller.workloads import workload_with_programs
from omniplan.plan import Plan


@dataclass
class PendingPush:
    """An intent whose push waits for switches that did not answer (``GET /status`` shows it)."""

    intent_id: str
    plan_id: int
    version: int
    target: dict
    switches: list[str] = field(default_factory=list)


class Rollout(UsesNetwork):
    """Pushes targets make-before-break and commits them; holds the one intent waiting for switches."""

    def __init__(self, store: Store, network: NetworkView, targets: TargetBuilder, journal: IntentJournal, *,
                 events: EventBus, metrics: Metrics, options: ServiceOptions):
        self.store = store
        self.network = network
        self.targets = targets
        self.journal = journal
        self.events = events
        self.metrics = metrics
        self.options = options
        self.pending: PendingPush | None = None

    def drop_pending(self, intent_id: str) -> None:
        """The intent no longer wants its waiting push (withdrawn, or to be planned again)."""
        if self.pending is not None and self.pending.intent_id == intent_id:
            self.pending = None

    async def deploy(self, intent_id: str, plan_id: int, version: int, target: dict,
                     timings: dict[str, float], started: float, *, replan: bool = False) -> str | None:
        """Push ``target`` make-before-break; None once committed, else why not.

        A new intent (``replan`` False) that cannot be pushed is marked here: ``pending`` while a
        switch it needs is unreachable, ``failed`` when a write failed. A replan (the intent is
        already deployed and moves off a failed switch) only gets the reason back: the caller
        leaves it deployed and notes the reason.
        """
        async with self.network.write_lock:
            previous = self.store.deployed()
            names = sorted(set(previous) | set(target))
            full_target = {n: list(target.get(n, [])) for n in names}
            from_version = self.store.get_meta("active_version")
            self.journal.step(intent_id, "deploying", timings, version=version)
            push_id = self.store.begin_push(intent_id, plan_id, from_version, version, previous, full_target)
            t0 = time.perf_counter()

            rollback_tried: list[bool] = []

            async def progress(event: str, data: dict) -> None:
                if event == "rollback":
                    rollback_tried.append(True)
                self.events.publish("push", intent=intent_id, event=event, **data)

            try:
                stats = await self._write(previous, full_target, progress)
            except SwitchUnreachable as exc:
                self.store.end_push(push_id, "aborted", f"pending: {exc}")
                if replan:
                    return f"waiting: {exc}"
                if self.pending is not None and self.pending.intent_id != intent_id:
                    self.store.update_intent(self.pending.intent_id, state="superseded", pending=None)
                self.pending = PendingPush(intent_id, plan_id, version, full_target, exc.switches)
                timings["deploy"] = round(time.perf_counter() - t0, 6)
                self.store.update_intent(intent_id, state="pending", pending=f"pending: {exc}",
                                         detail={"timings_s": dict(timings),
                                                 "history": self.journal.history(intent_id, "pending", f"pending: {exc}")})
                self.events.publish("intent", intent=intent_id, state="pending", pending=f"pending: {exc}")
                return f"pending: {exc}"
            except PushFailed as exc:
                self.store.end_push(push_id, "rolled_back" if exc.rolled_back else "failed", str(exc))
                self.metrics.push_failed(exc.switch, rolled_back=exc.rolled_back if rollback_tried else None)
                if not exc.rolled_back:
                    self.network.mark_stale(names)
                if not replan:
                    self.journal.fail(intent_id, str(exc))
                return str(exc)
            timings["deploy"] = round(time.perf_counter() - t0, 6)
            timings["total"] = round(time.perf_counter() - started, 6)
            self._commit(intent_id, plan_id, version, push_id, full_target, stats, timings)
            return None

    async def _write(self, previous: dict, target: dict, progress: Progress | None = None) -> PushStats:
        """One make-before-break push from ``previous`` to ``target`` (same switches in both); its stats.

        The caller holds the write lock. The network view learns which switches now hold exactly
        the committed state, and which were skipped.
        """
        names = sorted(target)
        stats = await push(self.southbound.drivers, previous, target, self.southbound.is_entry_point,
                           batch_size=self.options.batch_size, drain_s=self.options.drain_s,
                           progress=progress, hook=self.options.write_hook, known=self.network.known(previous, names))
        # Deletes skipped on a dead switch: its stale entries go when it returns (reconcile first).
        self.network.mark_stale(stats.deferred)
        self.network.mark_written(names, stats.deferred)
        return stats

    def _commit(self, intent_id: str, plan_id: int, version: int, push_id: int, target: dict, stats: PushStats,
                timings: dict[str, float]) -> None:
        old_active = self.store.get_meta("active_intent_id")
        if self.pending is not None and self.pending.intent_id != intent_id:
            # a newer configuration is live: the waiting one must never be pushed over it later
            self.store.update_intent(self.pending.intent_id, state="superseded", pending=None,
                                     detail={"superseded_by": intent_id})
            self.pending = None
        self.store.commit_push(push_id, target, version, active_plan_id=plan_id, active_intent_id=intent_id)
        if old_active and old_active != intent_id:
            old = self.store.get_intent(old_active)
            if old is not None and old.state == "deployed":
                self.store.update_intent(old_active, state="superseded", detail={"superseded_by": intent_id})
        self.metrics.entries_written.inc(stats.written)
        self.journal.step(intent_id, "deployed", timings, entries_written=stats.written, version=version,
                          push={"written": stats.written, "per_switch": stats.per_switch,
                                "phases_s": {k: round(v, 6) for k, v in stats.phases_s.items()},
                                "deferred_deletes": dict(stats.deferred)})
        self.store.update_intent(intent_id, pending=None, fetch=False)

    async def retry_pending(self) -> None:
        """A switch was reconciled: push the pending intent once every switch it waits for answers."""
        pending = self.pending
        if pending is None or not all(self.network.is_ready(n) for n in pending.switches):
            return
        self.pending = None
        rec = self.store.get_intent(pending.intent_id)
        if rec is None or rec.state != "pending":
            return
        timings = dict(rec.detail.get("timings_s", {}))
        await self.deploy(pending.intent_id, pending.plan_id, pending.version, pending.target, timings,
                          time.perf_counter())

    async def withdraw_active(self, intent_id: str) -> None:
        """Restore the most recent earlier superseded intent's plan, or remove every table."""
        if self.store.get_meta("active_intent_id") != intent_id:
            self.store.update_intent(intent_id, state="withdrawn", pending=None)
            return
        previous = [r for r in self.store.list_intents(["superseded"]) if r.plan_id is not None and r.id != intent_id]
        restore = previous[-1] if previous else None
        version = self.store.next_version()
        target: dict = self.targets.with_infrastructure({})
        plan_id = None
        if restore is not None:
            row = self.store.get_plan(restore.plan_id)  # type: ignore[arg-type]
            wl = workload_with_programs(row["workload"])
            target = self.targets.realize(wl, Plan.from_dict(row["plan"]), version)
            plan_id = restore.plan_id
        async with self.network.write_lock:
            prev_state = self.store.deployed()
            names = sorted(set(prev_state) | set(target))
            full = {n: list(target.get(n, [])) for n in names}
            push_id = self.store.begin_push(intent_id, plan_id, self.store.get_meta("active_version"), version,
                                            prev_state, full)
            try:
                stats = await self._write(prev_state, full)
            except (SwitchUnreachable, PushFailed) as exc:
                if isinstance(exc, PushFailed) and not exc.rolled_back:
                    self.network.mark_stale(names)
                self.store.end_push(push_id, "failed", str(exc))
                self.store.update_intent(intent_id, detail={"withdraw_error": f"withdraw not applied: {exc}"})
                self.events.publish("intent", intent=intent_id, state="deployed", error=f"withdraw failed: {exc}")
                return
            self.store.commit_push(push_id, full, version, active_plan_id=plan_id,
                                   active_intent_id=restore.id if restore else None)
            self.metrics.entries_written.inc(stats.written)
        self.store.update_intent(intent_id, state="withdrawn",
                                 detail={"restored": restore.id if restore else None, "entries_written": stats.written})
        if restore is not None:
            self.store.update_intent(restore.id, state="deployed", detail={"restored_after_withdraw_of": intent_id})
        self.events.publish("intent", intent=intent_id, state="withdrawn", restored=restore.id if restore else None)
