"""resource-greedy (formerly ``spd-h``): OmniPlan's own node-level heuristic expert (the paper's
section 5), which cites SPEED for its task priority.

Not SPEED's algorithm, and not the paper's SPD-H: the SPD-H *baseline* of section 7.1 (SPEED-Heu: FFLS on SPEED's one big
switch, NodeRank order) is ``experts.baselines.speed_heu`` (expert ``speed-heu``). This expert is
section 5's "for node-level intents, we prioritize tasks with higher dependency levels and larger
resource demands (liu2024speed) ... Priority(v) = -a l(v) - b r(v)", with MATs of a task in
level-then-size order; its device ranking (free capacity, closeness centrality, the walk's detour)
and all weights are ours.

Tasks are taken in the paper's priority order, Priority(v) = -a*level(v) - b*r(v), used as a sort
key so deeper and larger tasks go first (the paper: "we prioritize tasks with higher dependency
levels and larger resource demands"); inside a task, MATs go level, then size. Devices are ranked
by our score (``node_rank``; not Cheng et al.'s NodeRank): free capacity, closeness centrality,
and proximity to the task's ingress.
Keeping tasks whole minimises SRAM (no extra dispatch tables) and, with the ingress term, latency.
"""

from __future__ import annotations

from experts.heuristics.engine import Placer, TaskProfile
from experts.registry import Expert, PlanRequest, capability, register
from omniplan.plan import Plan

#: Named for what it minimises, like latency-greedy and coverage-greedy.
EXPERT_NAME = "resource-greedy"
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
    placer = Placer(request, EXPERT_NAME)
    placer.place_all(lambda p: (priority(p), p.name), node_rank)
    return placer.finish(heuristic="FFLS + NodeRank")


EXPERT = register(Expert(
    name=EXPERT_NAME,
    kind="heuristic",
    capability=capability(resources=1.0, latency=0.5),
    solve=solve,
    description="ours: deepest and largest tasks first, kept whole, best-ranked device (section 5 node-level "
                "priority, which cites SPEED; the SPD-H baseline is speed-heu): minimise SRAM and latency",
    aliases=("spd-h",),  # its former name, which is the paper's label of the SPEED baseline
))
