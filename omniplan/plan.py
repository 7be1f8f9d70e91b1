"""A placement plan: where each MAT runs, at which stage, and how metadata is routed.

Every expert returns a Plan; the evaluator scores it, the feasibility checker verifies it, and
the controller turns it into table entries. ``routes[walk_id(task)]`` is the task's walk, the
device list its packets follow from ingress to egress (``omniplan.walk``); routes keyed by
dependency (and ``ingress_dep_id``) are the segments of that walk between the two MATs, kept for
the data plane's realisation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Mapping, Sequence

import networkx as nx

from omniplan.topology import Topology
from omniplan.workload import MAT, Task, Workload, dep_id, ingress_dep_id, mat_id, walk_id

if TYPE_CHECKING:
    from omniplan.walk import TaskWalk


@dataclass
class Plan:
    placement: dict[str, str]
    stages: dict[str, int]
    routes: dict[str, list[str]]
    expert: str = ""
    #: Solver facts: status, solve_time_s, gap, objective, and anything an expert wants to report.
    info: dict[str, Any] = field(default_factory=dict)

    def placed_tasks(self, workload: Workload) -> list[str]:
        return [t.name for t in workload.tasks if all(mat_id(t.name, m.name) in self.placement for m in t.mats)]

    def devices_of(self, workload: Workload, task: str) -> set[str]:
        t = workload.task(task)
        return {self.placement[mat_id(t.name, m.name)] for m in t.mats if mat_id(t.name, m.name) in self.placement}

    def to_dict(self) -> dict[str, Any]:
        return {
            "expert": self.expert,
            "placement": dict(self.placement),
            "stages": dict(self.stages),
            "routes": {k: list(v) for k, v in self.routes.items()},
            "info": _jsonable(self.info),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Plan":
        return cls(
            placement=dict(data["placement"]),
            stages={k: int(v) for k, v in data["stages"].items()},
            routes={k: list(v) for k, v in data.get("routes", {}).items()},
            expert=data.get("expert", ""),
            info=dict(data.get("info", {})),
        )


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


class StageOverflow(ValueError):
    """The MATs placed on a device do not fit its stages (depth or a stage's SRAM/TCAM/entries)."""

    def __init__(self, message: str, device: str | None = None):
        super().__init__(message)
        self.device = device


def stage_demand(m: MAT) -> tuple[int, int, int]:
    """SRAM bits, TCAM bits and entries a MAT needs in each of the stages it spans (spread evenly)."""
    return m.per_stage


class StageBook:
    """Per-device, per-stage SRAM/TCAM/entries in use, with an undo log.

    WHY per stage: a Tofino stage has its own 80 SRAM and 24 TCAM blocks and inml.p4's stage
    table its own 65,536 entries; pooling them per device let one stage hold 5x its SRAM.
    """

    def __init__(self, topology: Topology):
        self.caps = {d.name: (d.profile.stages, d.profile.sram_bits_per_stage, d.profile.tcam_bits_per_stage,
                              d.profile.entries_per_stage) for d in topology.devices}
        self.use: dict[str, list[list[int]]] = {d: [[0, 0, 0] for _ in range(c[0])] for d, c in self.caps.items()}
        self._log: list[tuple[str, int, tuple[int, int, int], int]] = []
        #: bumped on every change of a device's stages (lets callers memoise packing trials)
        self.version: dict[str, int] = dict.fromkeys(self.caps, 0)
        self._min_free: dict[str, tuple[int, int, int] | None] = dict.fromkeys(self.caps)

    def fits(self, device: str, start: int, m: MAT) -> bool:
        n, cs, ct, ce = self.caps[device]
        if start < 0 or start + m.stages > n:
            return False
        s_need, t_need, e_need = m.per_stage
        for s in range(start, start + m.stages):
            u = self.use[device][s]
            if u[0] + s_need > cs or u[1] + t_need > ct or u[2] + e_need > ce:
                return False
        return True

    def first_fit(self, device: str, m: MAT, earliest: int) -> int | None:
        for s in range(max(0, earliest), self.caps[device][0] - m.stages + 1):
            if self.fits(device, s, m):
                return s
        return None

    def charge(self, device: str, start: int, m: MAT) -> None:
        need = m.per_stage
        for s in range(start, start + m.stages):
            u = self.use[device][s]
            for k in range(3):
                u[k] += need[k]
        self._log.append((device, start, need, m.stages))
        self.version[device] += 1
        self._min_free[device] = None

    def mark(self) -> int:
        return len(self._log)

    def rollback(self, mark: int) -> None:
        while len(self._log) > mark:
            device, start, need, k = self._log.pop()
            self.version[device] += 1
            self._min_free[device] = None
            for s in range(start, start + k):
                u = self.use[device][s]
                for i in range(3):
                    u[i] -= need[i]

    def min_free(self, device: str) -> tuple[int, int, int]:
        """The least SRAM, TCAM and entries left in any stage of ``device`` (a quick sufficient test:
        a task whose whole per-stage demand fits this fits at its ASAP stages)."""
        cached = self._min_free[device]
        if cached is None:
            _n, cs, ct, ce = self.caps[device]
            use = self.use[device]
            cached = (cs - max(u[0] for u in use), ct - max(u[1] for u in use), ce - max(u[2] for u in use))
            self._min_free[device] = cached
        return cached

    def stage_end(self, device: str) -> int:
        return max((s + 1 for s, u in enumerate(self.use[device]) if any(u)), default=0)


def pack_task_stages(book: StageBook, task: Task, placement: Mapping[str, str],
                     order: Sequence[str] | None = None) -> dict[str, int]:
    """First-fit stages for ``task``'s placed MATs, charged to ``book``: MATs in topological order,
    each at the earliest stage after its same-device predecessors whose every spanned stage still
    has SRAM, TCAM and entries left. Keyed by MAT id, in the order charged; MATs not in
    ``placement`` are skipped.

    ``order`` is the topological order to charge in (MAT names); the default is networkx's, the one
    ``assign_stages`` - and so the MIP's schedule - uses. The order matters when MATs compete for a
    stage, so an expert that schedules with its own order keeps it to reproduce its plans.

    Raises StageOverflow naming the device when a MAT finds no such stage (depth or per-stage
    capacity); nothing of this task stays charged then, so a caller may try something else.
    """
    device_of = {m.name: placement[mid] for m in task.mats if (mid := mat_id(task.name, m.name)) in placement}
    starts = _first_fit(book, task, device_of, order)
    return {mat_id(task.name, name): start for name, start in starts.items()}


def pack_whole_task(book: StageBook, task: Task, device: str, order: Sequence[str] | None = None) -> dict[str, int] | None:
    """``pack_task_stages`` for the whole task on one ``device``, keyed by MAT name; None (nothing
    charged) when it does not fit - the question the fast experts ask of every candidate device."""
    try:
        return _first_fit(book, task, device, order)
    except StageOverflow:
        return None


def _first_fit(book: StageBook, task: Task, device_of: Mapping[str, str] | str, order: Sequence[str] | None) -> dict[str, int]:
    """The one first-fit stage rule (see pack_task_stages), keyed by MAT name; rolls back and
    raises StageOverflow when a MAT fits no stage. ``device_of`` maps MAT names to devices, or is
    the one device of the whole task (the fast experts' hot path: no per-MAT device look-ups)."""
    whole = isinstance(device_of, str)
    if order is None:
        order = list(nx.topological_sort(task.graph()))
    preds = task.order_and_preds[1]
    mats = {m.name: m for m in task.mats}
    starts: dict[str, int] = {}
    mark = book.mark()
    for name in order:
        dev = device_of if whole else device_of.get(name)
        if dev is None:
            continue
        m = mats[name]
        earliest = max((starts[p] + mats[p].stages for p in preds[name] if whole or device_of.get(p) == dev), default=0)
        start = book.first_fit(dev, m, earliest)
        if start is None:
            book.rollback(mark)
            limit = book.caps[dev][0]
            why = "stages" if earliest + m.stages > limit else "per-stage SRAM/TCAM/entries"
            raise StageOverflow(f"device {dev}: MAT {mat_id(task.name, name)} fits no stage from {earliest} "
                                f"({why}; the device has {limit})", device=dev)
        book.charge(dev, start, m)
        starts[name] = start
    return starts


def assign_stages(workload: Workload, topology: Topology, placement: Mapping[str, str]) -> dict[str, int]:
    """First-fit stage schedule of the whole plan: tasks in workload order, each by
    ``pack_task_stages``. Raises StageOverflow naming the device when a MAT fits no stage."""
    book = StageBook(topology)
    stages: dict[str, int] = {}
    for t in workload.tasks:
        stages.update(pack_task_stages(book, t, placement))
    return stages


def _mat_ends(tasks: Iterable[Task], placement: Mapping[str, str], stages: Mapping[str, int]) -> Iterator[tuple[str, str, int]]:
    """(device, task, stage after the MAT) for every placed MAT of ``tasks``, in task and MAT order;
    a MAT without a stage counts from stage 0."""
    for t in tasks:
        for m in t.mats:
            mid = mat_id(t.name, m.name)
            device = placement.get(mid)
            if device is not None:
                yield device, t.name, stages.get(mid, 0) + m.stages


def pipeline_ends(tasks: Iterable[Task], placement: Mapping[str, str], stages: Mapping[str, int]) -> dict[str, int]:
    """Per device hosting a MAT of ``tasks``, the stage where its pipeline ends under ``stages``
    (devices in the order ``tasks`` first reach them).

    WHY one helper: power is priced by it (idle power plus the stages up to this end), and the
    evaluator, the MIP's stage-end corrections and the LNS's neighbourhoods must agree on it.
    """
    ends: dict[str, int] = {}
    for device, _task, end in _mat_ends(tasks, placement, stages):
        ends[device] = max(ends.get(device, 0), end)
    return ends


def task_pipeline_ends(tasks: Iterable[Task], placement: Mapping[str, str],
                       stages: Mapping[str, int]) -> dict[str, dict[str, int]]:
    """``pipeline_ends`` per task: device -> task -> the stage where that task's last MAT on the
    device ends (the tasks that must move or re-pack for the device's pipeline to shorten)."""
    ends: dict[str, dict[str, int]] = {}
    for device, task, end in _mat_ends(tasks, placement, stages):
        on = ends.setdefault(device, {})
        on[task] = max(on.get(task, 0), end)
    return ends


def shortest_routes(workload: Workload, topology: Topology, placement: Mapping[str, str], weight: str = "latency_us") -> dict[str, list[str]]:
    """The default walk of every placed task, on lowest-latency legs (``omniplan.walk``).

    Also records, per cross-device dependency, the walk segment between its two MATs (the data
    plane's ``realize`` looks routes up by dependency)."""
    from omniplan.walk import task_walk

    paths = topology.shortest_paths if weight == "latency_us" else dict(nx.all_pairs_dijkstra_path(topology.graph, weight=weight))
    routes: dict[str, list[str]] = {}
    for t in workload.tasks:
        if not all(mat_id(t.name, m.name) in placement for m in t.mats):
            continue
        routes.update(walk_routes(t, task_walk(t, placement, {}, lambda a, b: paths[a][b])))
    return routes


def walk_routes(task: Task, walk: TaskWalk) -> dict[str, list[str]]:
    """The routes a plan stores for one task's walk: the walk itself plus, per cross-position
    dependency (and per root reached after the ingress), the walk segment between its two ends -
    the data plane looks segments up by dependency, so any expert choosing walks must record them."""
    routes = {walk_id(task.name): list(walk.devices)}
    for d in task.deps:
        a, b = walk.position.get(d.src), walk.position.get(d.dst)
        if a is not None and b is not None and a != b:
            routes[dep_id(task.name, d.src, d.dst)] = list(walk.devices[a:b + 1])
    for root in task.roots():
        b = walk.position.get(root)
        if b:
            routes[ingress_dep_id(task.name, root)] = list(walk.devices[:b + 1])
    return routes


def complete_plan(workload: Workload, topology: Topology, placement: Mapping[str, str], expert: str, **info: Any) -> Plan:
    """First-fit stages and default walks (lowest-latency legs) for a placement: what fast experts return."""
    placement = dict(placement)
    return Plan(
        placement=placement,
        stages=assign_stages(workload, topology, placement),
        routes=shortest_routes(workload, topology, placement),
        expert=expert,
        info=dict(info),
    )
