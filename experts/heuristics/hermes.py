"""coordination-greedy (formerly ``hermes``): OmniPlan's own link-level heuristic expert (the
paper's section 5), which cites Hermes for its min-cut objective.

Not Hermes' algorithm: the HMS *baseline* of section 7.1 is ``experts.baselines.hermes_heu``
(expert ``hermes-heu``). This expert is section 5's link-level heuristic "(chen2024hermes)":
partition each task into per-device subsets minimising the metadata crossing them; the packing
and partitioning rules below are ours.

A task kept whole sends no metadata between devices, so tasks go largest first onto the device
they fit most tightly (best fit keeps large holes open for the large tasks that follow, which is
what avoids splits). When a task fits on no single device it is partitioned greedily: each MAT
(dependency order) joins the device already holding most of the metadata it consumes, so cuts
fall on the lightest edges; the partition is grown from each of the few emptiest devices, the
one with the fewest crossing bits wins, and Kernighan-Lin moves/swaps then shrink its cut further
(the refined partition is kept only if it passes every constraint).
"""

from __future__ import annotations

from collections import defaultdict

from experts.heuristics.engine import Placer, SplitOrder, TaskProfile, best_fit
from experts.registry import Expert, PlanRequest, capability, register
from omniplan.plan import Plan
from omniplan.walk import crossing_bits

#: Named for what it minimises, like latency-greedy and coverage-greedy.
EXPERT_NAME = "coordination-greedy"
#: How many seed devices a split partition is grown from.
SPLIT_SEEDS = 3


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


def cut_bits(prof: TaskProfile, assignment: dict[str, str]) -> int:
    """Metadata bits the task's packet carries between devices (dependencies whose MATs run at
    different positions of its walk, ``omniplan.walk``): Hermes' objective."""
    return crossing_bits(prof.task, assignment)


def refine(placer: Placer, prof: TaskProfile, assignment: dict[str, str], hosts: list[str]) -> dict[str, str]:
    """Kernighan-Lin style passes: move or swap MATs between the hosts while the cut shrinks.

    Only SRAM/TCAM/PHV of the MATs (plus a dispatch table per host) are checked here; the caller
    re-places the refined partition through the engine, which checks every constraint.
    """
    led = placer.ledger
    free = {d: (led.free_sram(d) - prof.task.dispatch_sram_bits, led.free_tcam(d), led.free_phv(d)) for d in hosts}
    mats = prof.mats

    def fits(a: dict[str, str]) -> bool:
        used = {d: [0, 0, 0] for d in hosts}
        for name, d in a.items():
            m = mats[name]
            u = used[d]
            u[0] += m.sram_bits
            u[1] += m.tcam_bits
            u[2] += m.phv_bits
        return all(used[d][k] <= free[d][k] for d in hosts for k in range(3))

    best, best_cut = dict(assignment), cut_bits(prof, assignment)
    improved = True
    while improved and best_cut > 0:
        improved = False
        names = list(mats)
        for i, u in enumerate(names):
            for d in hosts:  # single moves
                if d == best[u]:
                    continue
                trial = dict(best)
                trial[u] = d
                c = cut_bits(prof, trial)
                if c < best_cut and len(set(trial.values())) == len(hosts) and fits(trial):
                    best, best_cut, improved = trial, c, True
            for v in names[i + 1:]:  # pairwise swaps
                if best[u] == best[v]:
                    continue
                trial = dict(best)
                trial[u], trial[v] = best[v], best[u]
                c = cut_bits(prof, trial)
                if c < best_cut and fits(trial):
                    best, best_cut, improved = trial, c, True
    return best


def fixed(assignment: dict[str, str]) -> SplitOrder:
    def order(prof: TaskProfile, name: str, assigned: dict[str, str], hosts: list[str]) -> list[str]:
        return [assignment[name]]

    return order


def split_min_cut(placer: Placer, prof: TaskProfile) -> bool:
    seeds = sorted(placer.devices, key=lambda d: (-placer.ledger.free_fraction(d), d))[:SPLIT_SEEDS]
    best = None
    last_reason = "no seed device"
    for seed in seeds:
        res = placer.try_split(prof, min_cut_order(placer, seed), commit=False)
        if res.ok and (best is None or (res.cut_bits, len(res.hosts)) < best[0]):
            best = ((res.cut_bits, len(res.hosts)), seed, res)
        elif not res.ok:
            last_reason = res.reason
    if best is None:
        placer.unplaced[prof.name] = placer.whole_reason(prof) + "; split: " + last_reason
        return False
    greedy = best[2]
    refined = refine(placer, prof, greedy.assignment, greedy.hosts)
    if cut_bits(prof, refined) < greedy.cut_bits and placer.try_split(prof, fixed(refined)).ok:
        return True
    return placer.try_split(prof, min_cut_order(placer, best[1])).ok


def _run(request: PlanRequest, device_order) -> Placer:
    placer = Placer(request, EXPERT_NAME)
    for prof in sorted(placer.profiles, key=lambda p: (-p.size, p.name)):
        why = placer.blocked(prof)
        if why:
            placer.unplaced[prof.name] = why
            continue
        if placer.try_whole(prof, device_order(placer, prof)) is None:
            split_min_cut(placer, prof)
    return placer


def solve(request: PlanRequest) -> Plan:
    # The paper's Hermes (section 7.1: "minimizes inter-device coordination overhead via a greedy
    # heuristic") has no latency term: tasks are packed best-fit decreasing (whole tasks send no
    # metadata, and tight packing keeps room for the big ones), splits take the greedy min cut.
    # Device order breaks ties on the walk's detour only (engine.best_fit's last keys).
    placer = _run(request, best_fit)
    return placer.finish(heuristic="best-fit decreasing + greedy min-cut split")


EXPERT = register(Expert(
    name=EXPERT_NAME,
    kind="heuristic",
    capability=capability(coordination=1.0, throughput=0.5),
    solve=solve,
    description="ours: tasks kept whole (best-fit decreasing), else split on a greedy min cut (section 5 "
                "link-level, which cites Hermes; the HMS baseline is hermes-heu): minimise metadata crossing devices",
    aliases=("hermes",),  # its former name, easily taken for the paper's Hermes baseline
))
