"""HMS: Hermes-style partitioning that minimises metadata crossing devices.

A task kept whole sends no metadata between devices, so tasks go largest first onto the device
they fit most tightly (best fit keeps large holes open for the large tasks that follow, which is
what avoids splits). When a task fits on no single device it is partitioned greedily: each MAT
(dependency order) joins the device already holding most of the metadata it consumes, so cuts
fall on the lightest edges; the partition is grown from each of the few emptiest devices and the
one with the fewest crossing bits wins.
"""

from __future__ import annotations

from collections import defaultdict

from experts.heuristics.engine import Placer, SplitOrder, TaskProfile
from experts.registry import Expert, PlanRequest, capability, register
from omniplan.plan import Plan

#: How many seed devices a split partition is grown from.
SPLIT_SEEDS = 3


def best_fit(placer: Placer, prof: TaskProfile) -> list[str]:
    return sorted(placer.devices, key=lambda d: (placer.whole_problem(prof, d) is not None, placer.leftover(prof, d),
                                                 placer.ingress_latency(prof, d), d))


def min_cut_order(placer: Placer, seed: str) -> SplitOrder:
    hops = placer.cache.hops[seed]

    def order(prof: TaskProfile, name: str, assigned: dict[str, str], hosts: list[str]) -> list[str]:
        pull: dict[str, int] = defaultdict(int)
        for p, bits in prof.preds[name]:
            pull[assigned[p]] += bits
        rank = {d: i for i, d in enumerate(hosts)}
        first = [seed] if not hosts else []
        rest = sorted(placer.devices, key=lambda d: (-pull.get(d, 0), rank.get(d, len(rank)), hops[d],
                                                     -placer.ledger.free_fraction(d), d))
        return first + [d for d in rest if d not in first]

    return order


def split_min_cut(placer: Placer, prof: TaskProfile) -> bool:
    seeds = sorted(placer.devices, key=lambda d: (-placer.ledger.free_fraction(d), d))[:SPLIT_SEEDS]
    best = None
    last_reason = "no seed device"
    for seed in seeds:
        res = placer.try_split(prof, min_cut_order(placer, seed), commit=False)
        if res.ok and (best is None or (res.cut_bits, len(res.hosts)) < best[0]):
            best = ((res.cut_bits, len(res.hosts)), seed)
        elif not res.ok:
            last_reason = res.reason
    if best is None:
        placer.unplaced[prof.name] = placer.whole_reason(prof) + "; split: " + last_reason
        return False
    return placer.try_split(prof, min_cut_order(placer, best[1])).ok


def nearest_fit(placer: Placer, prof: TaskProfile) -> list[str]:
    return sorted(placer.devices, key=lambda d: (placer.ingress_latency(prof, d), placer.leftover(prof, d) < 0, d))


def _run(request: PlanRequest, device_order) -> Placer:
    placer = Placer(request, "hermes")
    for prof in sorted(placer.profiles, key=lambda p: (-p.size, p.name)):
        why = placer.blocked(prof)
        if why:
            placer.unplaced[prof.name] = why
            continue
        if placer.try_whole(prof, device_order(placer, prof)) is None:
            split_min_cut(placer, prof)
    return placer


def solve(request: PlanRequest) -> Plan:
    # Loose networks: every task whole near its ingress (no crossing metadata, low latency). Only
    # when that forces a split or leaves a task out is best-fit packing worth its longer paths.
    placer = _run(request, nearest_fit)
    mode = "nearest fit"
    if placer.split_tasks or placer.unplaced:
        packed = _run(request, best_fit)
        if (len(packed.unplaced), _cut_bits(packed)) < (len(placer.unplaced), _cut_bits(placer)):
            placer, mode = packed, "best-fit decreasing"
    return placer.finish(heuristic=f"{mode} + greedy min-cut split")


def _cut_bits(placer: Placer) -> int:
    total = 0
    for prof in placer.profiles:
        if prof.name in placer.split_tasks:
            total += sum(d.bits for d in prof.task.deps
                         if placer.placement[f"{prof.name}/{d.src}"] != placer.placement[f"{prof.name}/{d.dst}"])
    return total


EXPERT = register(Expert(
    name="hermes",
    kind="heuristic",
    capability=capability(coordination=1.0, throughput=0.5),
    solve=solve,
    description="Hermes-style min-cut partitioning: minimise metadata crossing devices",
))
