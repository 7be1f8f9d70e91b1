"""Consolidate: power on as few devices as possible (first-fit decreasing bin packing).

A device draws its idle power as soon as it hosts anything, so the plan's power is dominated by
how many devices it opens. Tasks go largest first onto the most loaded open device that takes
them (best fit, preferring devices whose pipeline already runs as deep as the task needs, so no
extra stage is powered); a new device is opened only when no open one fits, biggest and most
central first.
"""

from __future__ import annotations

from experts.heuristics.engine import Placer, TaskProfile
from experts.registry import Expert, PlanRequest, capability, register
from omniplan.plan import Plan


def bins(detour_first: bool):
    def order(placer: Placer, prof: TaskProfile) -> list[str]:
        led = placer.ledger
        cache = placer.cache
        opened = [d for d in placer.devices if led.task_count[d] > 0]
        closed = [d for d in placer.devices if led.task_count[d] == 0]
        # Among open devices: no extra powered stage first, then the smallest detour of the task's
        # walk (every forwarded packet loads the links of the detour), then the tightest fit.
        gap = {d: max(0, prof.depth - led.stage_end[d]) for d in opened}
        detour = {d: placer.ingress_latency(prof, d) for d in placer.devices}
        if detour_first:
            opened.sort(key=lambda d: (detour[d], gap[d], placer.leftover(prof, d), d))
        else:
            opened.sort(key=lambda d: (gap[d], detour[d], placer.leftover(prof, d), d))
        closed.sort(key=lambda d: (-led.cap_sram[d], -cache.closeness[d], d))
        return opened + closed

    return order


def solve(request: PlanRequest) -> Plan:
    # Deepest pipelines first, then largest: tasks of equal depth share devices, so fewer devices
    # pay for the deepest stage count. When those detours overload a link and a task is left out,
    # the second pass ranks open devices by detour first.
    for detour_first in (False, True):
        placer = Placer(request, "consolidate")
        placer.place_all(lambda p: (-p.depth, -p.size, p.name), bins(detour_first))
        if not placer.unplaced:
            break
    powered = sum(1 for c in placer.ledger.task_count.values() if c)
    return placer.finish(heuristic="first-fit decreasing", powered_devices=powered)


EXPERT = register(Expert(
    name="consolidate",
    kind="heuristic",
    capability=capability(power=1.0),
    solve=solve,
    description="first-fit decreasing onto the fewest powered devices: minimise power",
))
