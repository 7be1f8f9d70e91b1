"""The placement engine every fast expert drives: whole-task and split placement on a Ledger.

An expert only decides *orders*: which task next, which devices to try for it, and - when a task
fits on no single device - which device each of its MATs should try. The engine enforces every
constraint through the ledger, schedules stages ASAP (like ``omniplan.plan.assign_stages``),
routes cross-device metadata, and turns the result into a Plan. Tasks that cannot be placed make
the expert raise InfeasibleError naming the binding constraint, unless the request allows a
partial plan.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Iterable, Sequence

from experts.registry import PlanRequest
from omniplan.diagnose import diagnose
from omniplan.errors import InfeasibleError
from omniplan.plan import Plan
from omniplan.workload import MAT, Task, dep_id, ingress_dep_id, mat_id

from experts.heuristics.ledger import Ledger, TopologyCache, cache_for


@dataclass
class TaskProfile:
    """Per-task facts the orders need, computed once per solve."""

    task: Task
    #: MAT names in FFLS order: dependency level ascending, larger tables first within a level.
    order: list[str]
    level: dict[str, int]
    preds: dict[str, list[tuple[str, int]]]
    mats: dict[str, MAT]
    sram: int
    tcam: int
    phv: int
    #: Stages the task needs when kept whole on one device (its longest stage chain).
    depth: int
    #: Local ASAP start stage of each MAT when the task sits whole on one device.
    whole_stages: dict[str, int]
    dep_bits: int
    #: Largest share of the mean device's SRAM/TCAM/PHV the task needs (kept whole).
    size: float = 0.0

    @property
    def name(self) -> str:
        return self.task.name

    @property
    def levels(self) -> int:
        return max(self.level.values()) + 1


def profile_task(task: Task, mean_caps: tuple[float, float, float]) -> TaskProfile:
    mats = {m.name: m for m in task.mats}
    preds: dict[str, list[tuple[str, int]]] = {m: [] for m in mats}
    indegree = dict.fromkeys(mats, 0)
    succs: dict[str, list[str]] = {m: [] for m in mats}
    for d in task.deps:
        preds[d.dst].append((d.src, d.bits))
        succs[d.src].append(d.dst)
        indegree[d.dst] += 1
    # Kahn's algorithm (the workload loader already rejected cycles); cheaper than building a DiGraph.
    ready = [n for n in mats if indegree[n] == 0]
    level: dict[str, int] = {}
    start: dict[str, int] = {}
    while ready:
        n = ready.pop()
        level[n] = max((level[p] + 1 for p, _ in preds[n]), default=0)
        start[n] = max((start[p] + mats[p].stages for p, _ in preds[n]), default=0)
        for v in succs[n]:
            indegree[v] -= 1
            if indegree[v] == 0:
                ready.append(v)
    if len(level) != len(mats):
        raise ValueError(f"task {task.name}: dependencies form a cycle")
    order = sorted(mats, key=lambda n: (level[n], -mats[n].sram_bits, n))
    sram = sum(m.sram_bits for m in task.mats)
    tcam = sum(m.tcam_bits for m in task.mats)
    phv = sum(m.phv_bits for m in task.mats)
    depth = max(start[n] + mats[n].stages for n in mats)
    cs, ct, cp = mean_caps
    size = max((sram + task.dispatch_sram_bits) / cs if cs else 0.0, tcam / ct if ct else 0.0, phv / cp if cp else 0.0)
    return TaskProfile(task, order, level, preds, mats, sram, tcam, phv, depth, start,
                       sum(d.bits for d in task.deps), size)


#: candidate devices for one MAT of a split task: (profile, mat name, assignment so far, hosts in order) -> devices
SplitOrder = Callable[[TaskProfile, str, dict[str, str], list[str]], Sequence[str]]


@dataclass
class SplitResult:
    ok: bool
    cut_bits: int = 0
    hosts: list[str] = field(default_factory=list)
    reason: str = ""
    #: MAT name -> device of the split (empty when it failed).
    assignment: dict[str, str] = field(default_factory=dict)


class Placer:
    """Places tasks for one expert run and builds its Plan."""

    def __init__(self, request: PlanRequest, expert: str, *, route_choices: int = 1, balance_routes: bool = False):
        self.request = request
        self.expert = expert
        self.workload = request.workload
        self.topology = request.topology
        self.cache: TopologyCache = cache_for(self.topology)
        self.ledger = Ledger(self.topology, self.cache)
        self.route_choices = max(1, route_choices)
        self.balance_routes = balance_routes
        self.devices: list[str] = list(self.cache.names)
        n = len(self.devices) or 1
        mean_caps = (
            sum(self.ledger.cap_sram.values()) / n,
            sum(self.ledger.cap_tcam.values()) / n,
            sum(self.ledger.cap_phv.values()) / n,
        )
        self.problems: list[str] = diagnose(self.workload, self.topology)
        if self.problems and not request.allow_partial:
            raise InfeasibleError(f"{expert}: " + "; ".join(self.problems))
        self.profiles: list[TaskProfile] = [profile_task(t, mean_caps) for t in self.workload.tasks]
        self.placement: dict[str, str] = {}
        self.stages: dict[str, int] = {}
        self.routes: dict[str, list[str]] = {}
        self.unplaced: dict[str, str] = {}
        self.split_tasks: list[str] = []

    # ------------------------------------------------------------------ helpers for orders
    def ingress_latency(self, prof: TaskProfile, device: str) -> float:
        """Latency (us) from the task's ingress to ``device``, 0 without an ingress."""
        ing = prof.task.ingress
        if ing is None or ing not in self.cache.latency_us:
            return 0.0
        return self.cache.latency_us[ing][device]

    def ingress_hops(self, prof: TaskProfile, device: str) -> int:
        ing = prof.task.ingress
        if ing is None or ing not in self.cache.hops:
            return 0
        return self.cache.hops[ing][device]

    def leftover(self, prof: TaskProfile, device: str) -> float:
        """Scarcest free share the device would keep after taking the whole task (best-fit key)."""
        led = self.ledger
        return min(
            (led.free_sram(device) - prof.sram - prof.task.dispatch_sram_bits) / led.cap_sram[device],
            (led.free_tcam(device) - prof.tcam) / led.cap_tcam[device] if led.cap_tcam[device] else 1.0,
            (led.free_phv(device) - prof.phv) / led.cap_phv[device],
        )

    # ------------------------------------------------------------------ memory, whole or per MAT
    def _short_of(self, device: str, sram: int, tcam: int, phv: int) -> str | None:
        """The first memory (SRAM, TCAM, PHV) ``device`` has too little of left, or None.

        Whole tasks and single MATs of a split are checked (and charged) the same way."""
        led = self.ledger
        if led.free_sram(device) < sram:
            return "SRAM"
        if led.free_tcam(device) < tcam:
            return "TCAM"
        if led.free_phv(device) < phv:
            return "PHV"
        return None

    def _charge(self, device: str, sram: int, tcam: int, phv: int) -> None:
        led = self.ledger
        led.add(led.sram, device, sram)
        led.add(led.tcam, device, tcam)
        led.add(led.phv, device, phv)

    # ------------------------------------------------------------------ whole tasks
    def whole_problem(self, prof: TaskProfile, device: str) -> str | None:
        short = self._short_of(device, prof.sram + prof.task.dispatch_sram_bits, prof.tcam, prof.phv)
        if short:
            return short
        if prof.depth > self.ledger.cap_stages[device]:
            return "stages"
        return None

    def place_whole(self, prof: TaskProfile, device: str) -> None:
        led = self.ledger
        t = prof.task
        self._charge(device, prof.sram + t.dispatch_sram_bits, prof.tcam, prof.phv)
        led.add(led.task_count, device, 1)
        led.raise_stage_end(device, prof.depth)
        for name in prof.mats:
            mid = mat_id(t.name, name)
            self.placement[mid] = device
            self.stages[mid] = prof.whole_stages[name]

    def try_whole(self, prof: TaskProfile, devices: Iterable[str]) -> str | None:
        """First fit over ``devices``; returns the device used or None."""
        for d in devices:
            if self.whole_problem(prof, d) is None:
                self.place_whole(prof, d)
                return d
        return None

    # ------------------------------------------------------------------ split tasks
    def _route(self, a: str, b: str, bits: int, rate: float) -> tuple[list[str] | None, str]:
        led = self.ledger
        if b not in self.cache.paths[a]:
            return None, f"no path {a}->{b}"
        paths = self.cache.candidate_paths(a, b, self.route_choices) if bits > 0 else [self.cache.paths[a][b]]
        if self.balance_routes and len(paths) > 1:
            paths = sorted(paths, key=lambda p: (led.route_bottleneck(p, bits, rate), len(p)))
        why = ""
        for p in paths:
            why = led.route_problem(p, bits, rate) or ""
            if not why:
                return p, ""
        return None, why

    def _place_mat(self, prof: TaskProfile, name: str, device: str, assigned: dict[str, str],
                   hosts: list[str], local_stage: dict[str, int], routes: dict[str, list[str]]) -> str | None:
        """Charge one MAT of a split task onto ``device``; on failure leave the ledger untouched."""
        led = self.ledger
        t = prof.task
        m = prof.mats[name]
        start = max((local_stage[p] + prof.mats[p].stages for p, _ in prof.preds[name] if assigned[p] == device), default=0)
        if start + m.stages > led.cap_stages[device]:
            return "stages"
        extra_sram = m.sram_bits + (0 if device in hosts else t.dispatch_sram_bits)
        short = self._short_of(device, extra_sram, m.tcam_bits, m.phv_bits)
        if short:
            return short
        mark = led.mark()
        self._charge(device, extra_sram, m.tcam_bits, m.phv_bits)
        new_routes = {}
        for p, bits in prof.preds[name]:
            a = assigned[p]
            if a == device:
                continue
            path, why = self._route(a, device, bits, t.rate_mpps)
            if path is None:
                led.rollback(mark)
                return why
            led.charge_route(path, bits, t.rate_mpps)
            new_routes[dep_id(t.name, p, name)] = path
        if device not in hosts:
            led.add(led.task_count, device, 1)
        led.raise_stage_end(device, start + m.stages)
        routes.update(new_routes)
        local_stage[name] = start
        return None

    def try_split(self, prof: TaskProfile, candidates: SplitOrder, *, commit: bool = True,
                  mat_order: Sequence[str] | None = None) -> SplitResult:
        """Place the task MAT by MAT (dependency order), each on the first candidate device that takes it."""
        led = self.ledger
        quick = self._split_hopeless(prof)
        if quick:
            return SplitResult(False, reason=quick)
        mark = led.mark()
        assigned: dict[str, str] = {}
        hosts: list[str] = []
        local_stage: dict[str, int] = {}
        routes: dict[str, list[str]] = {}
        for name in (mat_order or prof.order):
            reasons: Counter[str] = Counter()
            placed = False
            for d in candidates(prof, name, assigned, hosts):
                why = self._place_mat(prof, name, d, assigned, hosts, local_stage, routes)
                if why is None:
                    assigned[name] = d
                    if d not in hosts:
                        hosts.append(d)
                    placed = True
                    break
                reasons[why.split(" ")[0]] += 1
            if not placed:
                led.rollback(mark)
                top = ", ".join(f"{k} on {v} device(s)" for k, v in reasons.most_common()) or "no candidate device"
                return SplitResult(False, reason=f"MAT {mat_id(prof.name, name)} fits nowhere ({top})")
        cut = sum(d.bits for d in prof.task.deps if assigned[d.src] != assigned[d.dst])
        if not commit:
            led.rollback(mark)
            return SplitResult(True, cut, hosts, assignment=dict(assigned))
        for name, d in assigned.items():
            mid = mat_id(prof.name, name)
            self.placement[mid] = d
            self.stages[mid] = local_stage[name]
        self.routes.update(routes)
        self.split_tasks.append(prof.name)
        return SplitResult(True, cut, hosts, assignment=dict(assigned))

    def _split_hopeless(self, prof: TaskProfile) -> str | None:
        """Cheap necessary conditions for any split (saves the MAT-by-device search on full networks)."""
        led = self.ledger
        free_sram = sum(max(0, led.free_sram(d) - prof.task.dispatch_sram_bits) for d in self.devices)
        if free_sram < prof.sram:
            return f"the network has {free_sram} SRAM bits left, the task needs {prof.sram} (plus dispatch tables)"
        if sum(led.free_tcam(d) for d in self.devices) < prof.tcam:
            return "not enough TCAM left in the network"
        if sum(led.free_phv(d) for d in self.devices) < prof.phv:
            return "not enough PHV left in the network"
        biggest = max(prof.mats.values(), key=lambda m: m.sram_bits)
        if max(led.free_sram(d) for d in self.devices) < biggest.sram_bits + prof.task.dispatch_sram_bits:
            return f"MAT {mat_id(prof.name, biggest.name)} ({biggest.sram_bits} SRAM bits) fits on no device"
        return None

    def default_split_order(self, devices: Sequence[str]) -> SplitOrder:
        """Hosts of the task first (keep it together), then ``devices`` in the expert's order."""

        def order(prof: TaskProfile, name: str, assigned: dict[str, str], hosts: list[str]) -> list[str]:
            return list(hosts) + [d for d in devices if d not in hosts]

        return order

    # ------------------------------------------------------------------ one task, whole run
    def place_all(self, key: Callable[[TaskProfile], object],
                  devices: Callable[[Placer, TaskProfile], Sequence[str]],
                  split: SplitOrder | None = None) -> None:
        """Place every task in ``key`` order on ``devices(placer, task)``: the loop each greedy expert runs."""
        for prof in sorted(self.profiles, key=key):
            self.place_task(prof, devices(self, prof), split)

    def blocked(self, prof: TaskProfile) -> str | None:
        """A reason the task can never be placed here (unknown ingress), or None."""
        ing = prof.task.ingress
        if ing is not None and ing not in self.ledger.cap_sram:
            return f"ingress {ing!r} is not a device of {self.topology.name}"
        return None

    def place_task(self, prof: TaskProfile, devices: Sequence[str], split: SplitOrder | None = None) -> bool:
        """Whole on the first device of ``devices`` that fits, else split; records why it failed."""
        why = self.blocked(prof)
        if why:
            self.unplaced[prof.name] = why
            return False
        if self.try_whole(prof, devices) is not None:
            return True
        res = self.try_split(prof, split or self.default_split_order(devices))
        if res.ok:
            return True
        self.unplaced[prof.name] = self.whole_reason(prof) + "; split: " + res.reason
        return False

    def whole_reason(self, prof: TaskProfile) -> str:
        counts = Counter(self.whole_problem(prof, d) for d in self.devices)
        counts.pop(None, None)
        best = max(self.devices, key=self.ledger.free_sram)
        return (f"task {prof.name} (SRAM {prof.sram + prof.task.dispatch_sram_bits} bits, PHV {prof.phv} bits, "
                f"{prof.depth} stages) fits whole on no device ("
                + ", ".join(f"{k} short on {v}" for k, v in counts.most_common())
                + f"; most free SRAM: {self.ledger.free_sram(best)} bits on {best})")

    def finish(self, **info: object) -> Plan:
        """Route ingress legs, check coverage and build the Plan."""
        if self.unplaced and not self.request.allow_partial:
            names = list(self.unplaced)
            first = self.unplaced[names[0]]
            more = f" (and {len(names) - 1} more task(s) unplaced)" if len(names) > 1 else ""
            raise InfeasibleError(f"{self.expert}: cannot place every task: {first}{more}; "
                                  "rerun with --allow-partial to place as many as fit")
        for prof in self.profiles:
            t = prof.task
            if t.ingress is None or mat_id(t.name, prof.order[0]) not in self.placement:
                continue
            for root in t.roots():
                dev = self.placement[mat_id(t.name, root)]
                if dev != t.ingress:
                    self.routes[ingress_dep_id(t.name, root)] = list(self.cache.paths[t.ingress][dev])
        info = dict(info)
        info.setdefault("status", "FEASIBLE")
        info["split_tasks"] = list(self.split_tasks)
        info["unplaced"] = dict(self.unplaced)
        if self.problems:
            info["diagnosis"] = list(self.problems)
        return Plan(placement=dict(self.placement), stages=dict(self.stages), routes=dict(self.routes),
                    expert=self.expert, info=info)


def best_fit(placer: Placer, prof: TaskProfile) -> list[str]:
    """Devices the whole task fits first, tightest fit first (keeps big holes for big tasks)."""
    return sorted(placer.devices, key=lambda d: (placer.whole_problem(prof, d) is not None, placer.leftover(prof, d),
                                                 placer.ingress_latency(prof, d), d))


def nearest_then_packed(run: Callable[[Callable[[Placer, TaskProfile], list[str]]], Placer],
                        nearest: Callable[[Placer, TaskProfile], list[str]],
                        cost: Callable[[Placer], float]) -> tuple[Placer, str]:
    """Run with ``nearest`` first; only if that splits or leaves tasks out, also run best fit.

    The best-fit run wins when it leaves fewer tasks unplaced, then when its ``cost`` is lower.
    Returns the winning placer and the name of its device order.
    """
    placer = run(nearest)
    mode = "nearest fit"
    if placer.split_tasks or placer.unplaced:
        packed = run(best_fit)
        if (len(packed.unplaced), cost(packed)) < (len(placer.unplaced), cost(placer)):
            placer, mode = packed, "best-fit decreasing"
    return placer, mode
