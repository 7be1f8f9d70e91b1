"""Bandwidth-aware: keep the most loaded link as idle as possible.

Links only carry the metadata of split tasks, so the first lever is avoiding splits (best-fit
decreasing, like bin packing). When a task must split, its other part goes to the device whose
path from the task's first host is least loaded, and each crossing dependency takes, among the
three lowest-latency paths, the one with the lowest resulting bottleneck utilisation.

Placement alone does not move the packets: on lowest-latency walks every task's packets cross the
same links whatever its hosts. So, with the placement fixed, every task's walk is then chosen
among a few candidates to minimise the most loaded link (``walks.py``: min-max greedy + local
search). On the paper's Table 1 instance (Abilene, 60 compiled tasks, scale 2, seed 1) that takes
the bottleneck from 33.5 % to 20.5 % utilisation (mean walk latency 10.9 -> 12.5 ms): 7.95 Gbps
spare, CP-SAT with throughput-heavy weights 8.00 in 10 s (`bench/bench_bandwidth_expert.py`).
"""

from __future__ import annotations

from dataclasses import replace

from experts.heuristics.engine import Placer, SplitOrder, TaskProfile, nearest_then_packed
from experts.registry import Expert, PlanRequest, capability, register
from experts.heuristics.walks import balanced_routes
from omniplan.feasibility import check_plan
from omniplan.plan import Plan

ROUTE_CHOICES = 3


def spread_order(placer: Placer) -> SplitOrder:
    led = placer.ledger

    def order(prof: TaskProfile, name: str, assigned: dict[str, str], hosts: list[str]) -> list[str]:
        if not hosts:
            return sorted(placer.devices, key=lambda d: (-led.free_fraction(d), d))
        home = hosts[0]
        paths = placer.cache.paths[home]
        rest = sorted((d for d in placer.devices if d not in hosts),
                      key=lambda d: (led.route_bottleneck(paths[d], 0, 0.0), placer.cache.hops[home][d],
                                     -led.free_fraction(d), d))
        return list(hosts) + rest

    return order


def nearest_fit(placer: Placer, prof: TaskProfile) -> list[str]:
    return sorted(placer.devices, key=lambda d: (placer.ingress_latency(prof, d), d))


def _run(request: PlanRequest, device_order) -> Placer:
    placer = Placer(request, "bandwidth-aware", route_choices=ROUTE_CHOICES, balance_routes=True)
    placer.place_all(lambda p: (-p.size, p.name), device_order, spread_order(placer))
    return placer


def _bottleneck(placer: Placer) -> float:
    led = placer.ledger
    return max((load / led.cache.arc_cap_mbps[arc] for arc, load in led.arc_load.items()), default=0.0)


def solve(request: PlanRequest) -> Plan:
    # Whole tasks load no link; near the ingress they are also fast. Fall back to best-fit packing
    # only when nearest placement has to split (loading links) or leaves tasks out.
    placer, mode = nearest_then_packed(lambda order: _run(request, order), nearest_fit, _bottleneck)
    plan = placer.finish(heuristic=f"{mode} + least-loaded split routing + min-max walks")
    # Placement fixed, the walks decide which links carry the packets: spread them (walks.py).
    routes, facts = balanced_routes(request.workload, request.topology, plan.placement, placer.cache)
    balanced = replace(plan, routes=routes, info={**plan.info, **facts})
    if check_plan(balanced, request.workload, request.topology):
        return plan  # cannot happen with checked candidates; the checker still has the last word
    return balanced


EXPERT = register(Expert(
    name="bandwidth-aware",
    kind="heuristic",
    capability=capability(throughput=1.0),
    solve=solve,
    description="avoid splits, then spread every task's walk to minimise the most loaded link: maximise headroom",
))
