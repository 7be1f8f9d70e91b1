"""A plan turned into what each switch must hold (its target entries), checked in the twin first.

Why a module of its own: a new intent (``controller.intents``), a replan after a fault
(``controller.replanning``) and a withdrawal that restores an older plan (``controller.rollout``)
all need the same target, in the form a switch reads back, with the same stable task ids and the
same infrastructure entries (link probes); building it in one place keeps the three identical.
"""

from __future__ import annotations

from typing import Any

from controller import faults, planning
from controller.config import port_map
from controller.network import NetworkView, UsesNetwork
from controller.options import ServiceOptions
from controller.store import Store
from omniplan.plan import Plan
from omniplan.topology import Topology
from omniplan.workload import Workload


class TargetBuilder(UsesNetwork):
    """Plan -> per-switch entries (``realize``) and the twin's verdict on them (``twin_check``)."""

    def __init__(self, store: Store, topology: Topology, network: NetworkView, options: ServiceOptions):
        self.store = store
        self.topology = topology
        self.network = network
        self.options = options

    def task_ids(self, workload: Workload) -> dict[str, int]:
        """Stable small integer per task name, so dispatch keys survive re-plans (make-before-break)."""
        ids: dict[str, int] = dict(self.store.get_meta("task_ids", {}))
        changed = False
        for t in workload.tasks:
            if t.name not in ids:
                ids[t.name] = max(ids.values(), default=0) + 1
                changed = True
        if changed:
            self.store.set_meta("task_ids", ids)
        return {t.name: ids[t.name] for t in workload.tasks}

    def realize(self, workload: Workload, plan: Plan, version: int, topology: Topology | None = None) -> dict:
        from controller import realizer

        topology = topology or self.topology
        ports = faults.usable_port_map(port_map(self.switches), self.topology, topology)
        target = realizer.realize(workload, plan, topology, ports,
                                  self.task_ids(workload), version, {s.device for s in self.switches})
        return self.with_infrastructure(target)

    def with_infrastructure(self, target: dict) -> dict:
        """Add the entries every live switch holds besides the plan's (link probes), in read-back form."""
        infra = self.network.infrastructure_entries()
        if infra:
            target = dict(target)
            for dev in sorted({s.device for s in self.switches} - self.network.down_devices()):
                target[dev] = list(target.get(dev, [])) + infra
        if self.southbound is not None:
            # The form a switch reads back (full names, don't-care matches dropped), so diffs compare equal.
            target = self.southbound.canonical_state(target)
        return target

    def twin_check(self, workload: Workload, plan: Plan, target: dict, topology: Topology | None = None
                   ) -> dict[str, Any]:
        """Run test packets through the Python twin loaded with ``target``; raise if any is misclassified."""
        from controller import twin

        topology = topology or self.topology
        ports = faults.usable_port_map(port_map(self.switches), self.topology, topology)
        report = twin.validate(workload, plan, topology, ports, target,
                               self.task_ids(workload), vectors_per_task=self.options.twin_vectors)
        if not report.ok:
            raise planning.PlanningError("twin validation failed, nothing pushed: " + "; ".join(report.problems[:5]))
        return report.to_dict()
