"""Latency-greedy: every task on its flow path (ingress -> egress) where it fits.

A packet walks ingress -> hosts -> egress (omniplan.walk), so any device on the task's
lowest-latency path costs no extra latency: the task goes whole on such a device; failing that it
is split across the path's devices in path order (still no detour); only then does it move off the
path, to the device with the smallest detour. Large tasks go first so they still find room.
"""

from __future__ import annotations

from experts.heuristics.engine import Placer, TaskProfile
from experts.registry import Expert, PlanRequest, capability, register
from omniplan.plan import Plan


def nearest(placer: Placer, prof: TaskProfile) -> list[str]:
    return sorted(placer.devices, key=lambda d: (placer.ingress_latency(prof, d) + placer.cache.pass_us[d],
                                                 placer.ingress_hops(prof, d), -placer.ledger.free_fraction(d), d))


def on_path(placer: Placer, prof: TaskProfile) -> list[str]:
    """The devices of the task's lowest-latency ingress -> egress path, in path order."""
    t = prof.task
    if t.ingress is None or t.ingress not in placer.cache.paths:
        return []
    return list(placer.cache.paths[t.ingress][t.exit])


def solve(request: PlanRequest) -> Plan:
    placer = Placer(request, "latency-greedy")
    for prof in sorted(placer.profiles, key=lambda p: (-p.size, p.name)):
        path = on_path(placer, prof)
        if path and placer.blocked(prof) is None:
            if placer.try_whole(prof, path) is not None:
                continue
            # split along the path in path order: the walk stays the shortest one
            if placer.try_split(prof, lambda pr, name, assigned, hosts, path=path:
                                path[path.index(hosts[-1]):] if hosts else path).ok:
                continue
        placer.place_task(prof, nearest(placer, prof))
    return placer.finish(heuristic="on-path whole, on-path split, then nearest detour")


EXPERT = register(Expert(
    name="latency-greedy",
    kind="heuristic",
    capability=capability(latency=1.0, hops=1.0),
    solve=solve,
    description="each task on the device nearest its ingress: minimise latency and hops",
))
