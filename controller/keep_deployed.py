"""No change for no gain (issue 13): whether a new plan is worth replacing the deployed one.

Why a module of its own: it is a decision, not a lifecycle step: it compares two plans on the
intent's objectives (``experts.activation.keep_deployed``, the rule itself) and reads the active
plan from the store; the lifecycle (``controller.intents``) only records the outcome. Moving tables
costs writes and a make-before-break switch-over and buys nothing the operator asked for, so the
deployed plan is kept when it serves the same workload, still fits the network, and the new plan
is not better.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from controller.store import Store
from omniplan.feasibility import check_plan
from omniplan.plan import Plan
from omniplan.topology import Topology
from omniplan.workload import Workload


@dataclass(frozen=True)
class KeptDeployed:
    """The deployed plan stays; stored in the intent as ``kept_deployed``.

    Example: ``KeptDeployed(plan_id=3, intent="a1b2c3d4e5f6", reason="new plan is not better on the
    intent's objectives (cost 0.4 vs deployed 0.4): keeping the deployed placement")``.
    """

    plan_id: int
    intent: str
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"plan_id": self.plan_id, "intent": self.intent, "reason": self.reason}


def keeps_deployed(store: Store, preference: Any, plan: Plan, workload: Workload,
                   topology: Topology) -> KeptDeployed | None:
    """The deployed plan, with why, when ``plan`` should not replace it; None when ``plan`` should be pushed."""
    from experts.activation import keep_deployed
    from omniplan.evaluate import evaluate

    active_id = store.get_meta("active_plan_id")
    rec = store.get_plan(active_id) if active_id is not None else None
    if rec is None or rec["workload"] != json.loads(json.dumps(workload.to_dict(), default=int)):
        return None
    deployed = Plan.from_dict(rec["plan"])
    if check_plan(deployed, workload, topology):
        return None  # the deployed placement no longer fits the network (faults): never keep it
    keep, reason = keep_deployed(evaluate(plan, workload, topology), evaluate(deployed, workload, topology),
                                 preference, workload, topology)
    return KeptDeployed(active_id, rec["intent_id"], reason) if keep else None
