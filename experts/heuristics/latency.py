"""Latency-greedy: every task as close to its ingress as it fits.

A packet pays one device pass per device entered plus link latency, so the best a task can do is
sit whole on its ingress device (one pass, zero hops); failing that, the nearest device by path
latency, then hop count. Large tasks go first so they still find room near their ingress.
"""

from __future__ import annotations

from experts.heuristics.engine import Placer, TaskProfile
from experts.registry import Expert, PlanRequest, capability, register
from omniplan.plan import Plan


def nearest(placer: Placer, prof: TaskProfile) -> list[str]:
    return sorted(placer.devices, key=lambda d: (placer.ingress_latency(prof, d) + placer.cache.pass_us[d],
                                                 placer.ingress_hops(prof, d), -placer.ledger.free_fraction(d), d))


def solve(request: PlanRequest) -> Plan:
    placer = Placer(request, "latency-greedy")
    placer.place_all(lambda p: (-p.size, p.name), nearest)
    return placer.finish(heuristic="nearest-to-ingress")


EXPERT = register(Expert(
    name="latency-greedy",
    kind="heuristic",
    capability=capability(latency=1.0, hops=1.0),
    solve=solve,
    description="each task on the device nearest its ingress: minimise latency and hops",
))
