"""Coverage-greedy: place as many tasks as possible.

Each task goes on the device it fits most tightly (best fit), split when no single device holds
it. Largest-first packs best when everything can fit; when it leaves tasks out, a smallest-first
pass (which maximises how many items fit once capacity runs out) is tried and the plan placing
more tasks wins. With ``allow_partial`` the tasks left over are listed in
``plan.info['unplaced']``.
"""

from __future__ import annotations

from experts.heuristics.engine import Placer, SplitOrder, TaskProfile, best_fit
from experts.registry import Expert, PlanRequest, capability, register
from omniplan.plan import Plan


def _run(request: PlanRequest, smallest_first: bool) -> Placer:
    placer = Placer(request, "coverage-greedy")
    placer.place_all(lambda p: (p.size if smallest_first else -p.size, p.name), best_fit, most_free_first(placer))
    return placer


def most_free_first(placer: Placer) -> SplitOrder:
    """Split candidates: the task's hosts, then the emptiest devices, so a split uses few hosts."""

    def order(prof: TaskProfile, name: str, assigned: dict[str, str], hosts: list[str]) -> list[str]:
        rest = sorted((d for d in placer.devices if d not in hosts), key=lambda d: (-placer.ledger.free_fraction(d), d))
        return list(hosts) + rest

    return order


def solve(request: PlanRequest) -> Plan:
    # Largest-first best fit is the better packer when everything can fit; smallest-first places
    # the most tasks when not. Try the packer first and keep whichever places more.
    placer, mode = _run(request, smallest_first=False), "largest-first best-fit"
    if placer.unplaced:
        small = _run(request, smallest_first=True)
        if len(small.unplaced) < len(placer.unplaced):
            placer, mode = small, "smallest-first best-fit"
    return placer.finish(heuristic=mode)


EXPERT = register(Expert(
    name="coverage-greedy",
    kind="heuristic",
    capability=capability(coverage=1.0),
    solve=solve,
    description="smallest tasks first, best fit: maximise the number of tasks placed",
))
