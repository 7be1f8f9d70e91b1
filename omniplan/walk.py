"""The end-to-end traffic model: the walk a task's packets make through the network.

Every task is a flow from its ingress to its egress (``Task.exit``, the ingress when none is
given). A packet enters at the ingress, visits every device hosting a MAT of the task in DAG
order and leaves at the egress; between stops it follows the plan's route. So:

* **walk** - the device list ingress -> ... -> egress. A plan may give it explicitly
  (``Plan.routes[walk_id(task)]``, the MIP does: its candidate path); otherwise it is the
  *default walk*: from the ingress, run every ready MAT hosted on the current device (DAG order),
  and when none is left here move on the lowest-latency path to the device of the first ready MAT
  (lexicographic topological order), finally to the egress. This is the walk
  ``mlcompiler.realize.walk`` builds for the data plane.
* **positions** - each MAT runs at the earliest walk index that hosts its device and is not
  before any predecessor's index (a walk that cannot host a MAT that way is infeasible).
* **latency** - one device pass per walk entry (ingress and egress included) + link latencies.
* **hops** - links of the walk (len(walk) - 1); nothing is counted twice.
* **link load** - the walk's link i -> i+1 carries ``rate x (packet bits + metadata bits)``,
  metadata = bits of every dependency u -> v with pos(u) <= i < pos(v).
* **PHV** (per packet) - on walk entry j, the PHV bits of the task's MATs running there plus the
  metadata bits carried in on the link into j.
* **coordination** - bits of dependencies whose ends run at different walk positions.

The evaluator, the feasibility checker, the fast experts and the MIP all use this one model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterator, Mapping, Sequence

from omniplan.topology import Topology
from omniplan.workload import Task, mat_id, walk_id

PathFn = Callable[[str, str], list[str]]


@dataclass
class TaskWalk:
    """One task's walk and everything the objectives and constraints read from it."""

    devices: list[str]
    #: MAT name -> index into ``devices``; missing when the walk cannot host the MAT (error set).
    position: dict[str, int]
    #: metadata bits on link i -> i+1 (len(devices) - 1 entries)
    meta_bits: list[int]
    #: PHV bits of the packet at each walk entry (MAT fields + metadata carried in)
    phv_bits: list[int]
    cross_bits: int = 0
    error: str = ""
    explicit: bool = False
    hosts: list[str] = field(default_factory=list)

    @property
    def hops(self) -> int:
        return len(self.devices) - 1


def _topo_order(task: Task):
    return task.order_and_preds


def default_stops(task: Task, placement: Mapping[str, str]) -> list[str]:
    """Devices the packet processes MATs on, in visiting order (greedy: stay while work is here)."""
    order, preds = _topo_order(task)
    dev = {m: placement[mat_id(task.name, m)] for m in order}
    start = task.ingress if task.ingress is not None else dev[order[0]]
    hosts = set(dev.values())
    if len(hosts) == 1:  # whole task: ingress -> host -> egress
        (host,) = hosts
        stops = [start] + ([host] if host != start else [])
        end = task.exit if task.exit is not None else host
        return stops + ([end] if end != stops[-1] else [])
    stops = [start]
    done: set[str] = set()
    while len(done) < len(order):
        ready = [m for m in order if m not in done and all(p in done for p in preds[m])]
        here = [m for m in ready if dev[m] == stops[-1]]
        if here:
            done.update(here[:1])
            continue
        stops.append(dev[ready[0]])
    end = task.exit if task.exit is not None else stops[-1]
    if stops[-1] != end:
        stops.append(end)
    return stops


def expand(stops: list[str], path: PathFn) -> list[str]:
    walk = [stops[0]]
    for a, b in zip(stops, stops[1:]):
        if a != b:
            walk.extend(path(a, b)[1:])
    return walk


def task_walk(task: Task, placement: Mapping[str, str], routes: Mapping[str, list[str]], path: PathFn) -> TaskWalk:
    """The walk of a placed task (explicit if the plan has one, else the default walk) and its loads."""
    explicit = routes.get(walk_id(task.name))
    devices = list(explicit) if explicit else expand(default_stops(task, placement), path)
    order, preds = _topo_order(task)
    position: dict[str, int] = {}
    error = ""
    for m in order:
        dev = placement[mat_id(task.name, m)]
        lo = max((position[p] for p in preds[m] if p in position), default=0)
        idx = next((i for i in range(lo, len(devices)) if devices[i] == dev), None)
        if idx is None:
            error = error or f"walk {devices} does not reach {dev} for MAT {m} after its predecessors"
            continue
        position[m] = idx
    n = len(devices)
    meta = [0] * max(0, n - 1)
    phv = [0] * n
    cross = 0
    for m in task.mats:
        if m.name in position:
            phv[position[m.name]] += m.phv_bits
    for d in task.deps:
        if d.src not in position or d.dst not in position:
            continue
        a, b = position[d.src], position[d.dst]
        if a != b:
            cross += d.bits
        for i in range(a, b):
            meta[i] += d.bits
            phv[i + 1] += d.bits
    if explicit and task.ingress is not None and devices[0] != task.ingress:
        error = error or f"walk starts at {devices[0]}, the task's ingress is {task.ingress}"
    if explicit and task.exit is not None and devices[-1] != task.exit:
        error = error or f"walk ends at {devices[-1]}, the task's egress is {task.exit}"
    hosts = sorted({placement[mat_id(task.name, m.name)] for m in task.mats})
    return TaskWalk(devices, position, meta, phv, cross, error, bool(explicit), hosts)


def crossing_bits(task: Task, assignment: Mapping[str, str]) -> int:
    """Metadata bits of ``task``'s dependencies that run at different positions of its default walk
    when its MATs sit as in ``assignment`` (MAT name -> device); legs do not matter for this."""
    if len(set(assignment.values())) <= 1:
        return 0
    placement = {mat_id(task.name, n): d for n, d in assignment.items()}
    stops = default_stops(task, placement)
    return task_walk(task, placement, {walk_id(task.name): stops}, lambda a, b: [a, b]).cross_bits


def arc_loads(task: Task, devices: Sequence[str], meta_bits: Sequence[int]) -> Iterator[tuple[tuple[str, str], float]]:
    """Mbit/s each link of a walk carries: the task's packets plus the metadata crossing that link
    (``meta_bits[i]`` on the i-th link), at the task's packet rate. The walk model's one load rule,
    shared by the evaluator, the checker and the experts; links that carry nothing are left out."""
    for i, arc in enumerate(zip(devices, devices[1:])):
        bits = task.packet_bits + meta_bits[i]
        if bits:
            yield arc, task.rate_mpps * bits


def walk_latency_ns(topology: Topology, devices: list[str]) -> float:
    """One device pass per walk entry plus the latency of every link crossed."""
    total = 0.0
    for d in devices:
        p = topology.device(d).profile
        total += p.hop_latency_ns + p.stages * p.stage_latency_ns
    for a, b in zip(devices, devices[1:]):
        total += topology.link(a, b).latency_us * 1000.0
    return total


def off_path(task: Task, walk: TaskWalk, shortest: list[str]) -> bool:
    """True when a MAT of the task runs on a device off its ingress -> egress lowest-latency path."""
    on = set(shortest)
    return any(h not in on for h in walk.hosts)
