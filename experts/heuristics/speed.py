"""SPD-H: SPEED's first-fit-by-level-and-size (FFLS) with NodeRank device ordering.

Sources: the paper's section 7.1 ("We combine the first-fit-by-level-and-size (FFLS) heuristic
(jose2015compiling) and the NodeRank heuristic (liu2024speed) for minimizing device resource
consumption and end-to-end latency") and section 5 (node-level intents: Priority(v) = -a l(v) -
b r(v), deeper and larger first). SPEED's own NodeRank weights are not given in the paper: the
three terms below (free capacity, closeness centrality, the walk's detour for the latency part)
and their weights are ours.

Tasks are taken in the paper's priority order, Priority(v) = -a*level(v) - b*r(v), used as a sort
key so deeper and larger tasks go first (the paper: "we prioritize tasks with higher dependency
levels and larger resource demands"); inside a task, MATs follow FFLS (level, then size). Devices
are ranked by NodeRank: free capacity, closeness centrality, and proximity to the task's ingress.
Keeping tasks whole minimises SRAM (no extra dispatch tables) and, with the ingress term, latency.
"""

from __future__ import annotations

from experts.heuristics.engine import Placer, TaskProfile
from experts.registry import Expert, PlanRequest, capability, register
from omniplan.plan import Plan

#: Priority weights: a on the task's dependency levels, b on its resource share.
LEVEL_WEIGHT = 1.0
SIZE_WEIGHT = 4.0
#: NodeRank weights: free capacity, closeness centrality, closeness to the task's ingress.
RANK_CAPACITY, RANK_CENTRALITY, RANK_INGRESS = 0.3, 0.2, 0.5


def priority(prof: TaskProfile, a: float = LEVEL_WEIGHT, b: float = SIZE_WEIGHT) -> float:
    return -a * prof.levels - b * prof.size


def node_rank(placer: Placer, prof: TaskProfile) -> list[str]:
    """Devices best first for this task (higher score = better)."""
    cache = placer.cache
    max_close = max(cache.closeness.values()) or 1.0

    def score(d: str) -> float:
        proximity = 1.0 - placer.ingress_latency(prof, d) / cache.max_latency_us
        return (RANK_CAPACITY * placer.ledger.free_fraction(d) + RANK_CENTRALITY * cache.closeness[d] / max_close
                + RANK_INGRESS * proximity)

    return sorted(placer.devices, key=lambda d: (-score(d), d))


def solve(request: PlanRequest) -> Plan:
    placer = Placer(request, "spd-h")
    placer.place_all(lambda p: (priority(p), p.name), node_rank)
    return placer.finish(heuristic="FFLS + NodeRank")


EXPERT = register(Expert(
    name="spd-h",
    kind="heuristic",
    capability=capability(resources=1.0, latency=0.5),
    solve=solve,
    description="SPEED-style FFLS + NodeRank: minimise SRAM and latency",
))
