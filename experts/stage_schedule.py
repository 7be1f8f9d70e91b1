"""Stage schedules for a fixed placement that pack tighter than first-fit in workload order.

WHY: the MIP decides which device each MAT runs on; the stages inside a device are a separate,
per-device scheduling problem (a MAT's stage only depends on its same-device predecessors, so
devices do not interact). ``omniplan.plan.assign_stages`` packs tasks one after another in
workload order, each MAT at its earliest free stage: the early tasks' features fill stage 0, the
later tasks' chains start late, and a device whose MATs would fit in 10 stages needs 12 or does
not pack at all (measured on Abilene[8] / 60 tasks: the MIP's placements that first-fit rejects).
Ordering the MATs by their *tail* - the stages their same-device successors still need after
them, the critical path of list scheduling - puts long chains first and leaves the last stages
to MATs that end a chain. Each device keeps whichever schedule ends earliest (first-fit
included), so the result is never worse than ``assign_stages`` and the power term (stage end)
only drops. Every schedule obeys the same rules the checker verifies: a MAT spans its stages
inside the device, after its same-device predecessors end, within every stage's SRAM, TCAM and
entries.
"""

from __future__ import annotations

from typing import Callable, Mapping

import networkx as nx

from omniplan.plan import StageBook, StageOverflow, assign_stages
from omniplan.topology import Topology
from omniplan.workload import MAT, Workload, mat_id

#: (MAT id, MAT, same-device predecessor ids, same-device successor ids) of one device.
Job = tuple[str, MAT, list[str], list[str]]


def device_jobs(workload: Workload, placement: Mapping[str, str]) -> dict[str, list[Job]]:
    """The MATs each device runs, in workload (task, topological) order, with their same-device
    predecessors and successors."""
    jobs: dict[str, list[Job]] = {}
    for t in workload.tasks:
        g = t.graph()
        for name in nx.topological_sort(g):
            mid = mat_id(t.name, name)
            dev = placement.get(mid)
            if dev is None:
                continue
            preds = [mat_id(t.name, p) for p in g.predecessors(name) if placement.get(mat_id(t.name, p)) == dev]
            succs = [mat_id(t.name, s) for s in g.successors(name) if placement.get(mat_id(t.name, s)) == dev]
            jobs.setdefault(dev, []).append((mid, t.mat(name), preds, succs))
    return jobs


def tails(jobs: list[Job]) -> dict[str, int]:
    """Stages from each MAT's start to the end of its longest same-device successor chain."""
    out: dict[str, int] = {}
    for mid, m, _p, succs in reversed(jobs):  # jobs are topological per task
        out[mid] = max(1, m.stages) + max((out[s] for s in succs), default=0)
    return out


def _tail_first(jobs: list[Job], tail: Mapping[str, int]) -> list[int]:
    """Job indices, longest tail first (ties: more TCAM, more SRAM, workload order): the one
    priority order both tail-first schedulers use."""
    return sorted(range(len(jobs)), key=lambda i: (-tail[jobs[i][0]], -jobs[i][1].tcam_bits, -jobs[i][1].sram_bits, i))


def _serial(book: StageBook, device: str, jobs: list[Job], order: list[int]) -> dict[str, int] | None:
    """Each job in ``order`` (topological) at its first stage that fits, after its predecessors."""
    start: dict[str, int] = {}
    length = {mid: m.stages for mid, m, _p, _s in jobs}
    for i in order:
        mid, m, preds, _s = jobs[i]
        s = book.first_fit(device, m, max((start[p] + length[p] for p in preds), default=0))
        if s is None:
            return None
        book.charge(device, s, m)
        start[mid] = s
    return start


def _parallel(book: StageBook, device: str, jobs: list[Job], tail: Mapping[str, int]) -> dict[str, int] | None:
    """Stage by stage, the ready MATs with the longest tails first (list scheduling)."""
    n = book.caps[device][0]
    start: dict[str, int] = {}
    length = {mid: m.stages for mid, m, _p, _s in jobs}
    left = _tail_first(jobs, tail)
    for s in range(n):
        rest = []
        for i in left:
            mid, m, preds, _s = jobs[i]
            if all(p in start and start[p] + length[p] <= s for p in preds) and book.fits(device, s, m):
                book.charge(device, s, m)
                start[mid] = s
            else:
                rest.append(i)
        left = rest
        if not left:
            return start
    return None


def schedule_device(book: StageBook, device: str, jobs: list[Job]) -> dict[str, int] | None:
    """The schedule of ``jobs`` on ``device`` with the earliest stage end among first-fit in
    workload order, tail-first serial and tail-first list scheduling; None when none packs.
    Tried on ``book`` (whose ``device`` must be empty) and rolled back: nothing stays charged."""
    tail = tails(jobs)
    by_tail = _tail_first(jobs, tail)
    makers: list[Callable[[StageBook], dict[str, int] | None]] = [
        lambda b: _serial(b, device, jobs, list(range(len(jobs)))),
        lambda b: _serial(b, device, jobs, by_tail),
        lambda b: _parallel(b, device, jobs, tail),
    ]
    best: tuple[int, dict[str, int]] | None = None
    length = {mid: m.stages for mid, m, _p, _s in jobs}
    for make in makers:
        mark = book.mark()
        starts = make(book)
        book.rollback(mark)
        if starts is None:
            continue
        end = max((s + length[mid] for mid, s in starts.items()), default=0)
        if best is None or end < best[0]:
            best = (end, starts)
    return None if best is None else best[1]


def schedule_stages(workload: Workload, topology: Topology, placement: Mapping[str, str]) -> dict[str, int]:
    """Stages for ``placement``: per device the earliest-ending schedule above (never later than
    ``assign_stages``'s). Raises StageOverflow naming a device none of them packs."""
    stages: dict[str, int] = {}
    book = StageBook(topology)
    for device, jobs in device_jobs(workload, placement).items():
        starts = schedule_device(book, device, jobs)
        if starts is None:
            try:
                assign_stages(workload, topology, {mid: device for mid, _m, _p, _s in jobs})
            except StageOverflow as exc:
                raise StageOverflow(str(exc), device=device) from None
            raise StageOverflow(f"device {device}: its MATs fit no stage schedule", device=device)
        stages.update(starts)
    return stages


def tighten_stages(workload: Workload, topology: Topology, placement: Mapping[str, str],
                   stages: Mapping[str, int]) -> dict[str, int]:
    """``stages`` with each device's schedule replaced by ``schedule_device``'s where that one
    ends earlier (devices' stages are independent, so the mix is a valid schedule). WHY: a plan
    kept from a fast expert or a warm start has first-fit stages; the same placement then costs
    less power."""
    out = dict(stages)
    book = StageBook(topology)
    length = {mid: m.stages for mid, m in workload.mats().items()}
    for device, jobs in device_jobs(workload, placement).items():
        starts = schedule_device(book, device, jobs)
        if starts is None or any(mid not in stages for mid in starts):
            continue
        if max(s + length[m] for m, s in starts.items()) < max(stages[m] + length[m] for m in starts):
            out.update(starts)
    return out
