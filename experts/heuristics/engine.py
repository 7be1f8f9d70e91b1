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
from omniplan.feasibility import check_plan
from omniplan.plan import Plan, StageOverflow, pack_whole_task, shortest_routes, stage_demand
from omniplan.walk import crossing_bits
from omniplan.workload import MAT, Task, dep_id, mat_id

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
    #: MAT names in a topological order (Kahn's, last ready first): the order the fast experts
    #: have always packed stages in (``omniplan.plan.pack_whole_task``), kept to reproduce their plans
    topo: list[str] = field(default_factory=list)
    #: Sum over MATs of the per-stage SRAM, TCAM and entries (omniplan.plan.stage_demand)
    stage_need: tuple[int, int, int] = (0, 0, 0)

    @property
    def name(self) -> str:
        return self.task.name

    @property
    def levels(self) -> int:
        return max(self.level.values()) + 1


#: Where the topology-independent part of a task's profile is kept on the (frozen) Task object, like
#: a cached_property: the fast experts profile the same tasks on every solve.
_PROFILE_KEY = "_engine_profile"


def profile_task(task: Task, mean_caps: tuple[float, float, float]) -> TaskProfile:
    base = task.__dict__.get(_PROFILE_KEY)
    if base is None:
        base = task.__dict__[_PROFILE_KEY] = _profile_base(task)
    order, level, preds, mats, sram, tcam, phv, depth, start, bits, topo, stage_need = base
    cs, ct, cp = mean_caps
    size = max((sram + task.dispatch_sram_bits) / cs if cs else 0.0, tcam / ct if ct else 0.0, phv / cp if cp else 0.0)
    return TaskProfile(task, order, level, preds, mats, sram, tcam, phv, depth, start, bits, size, topo, stage_need)


def _profile_base(task: Task) -> tuple:
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
    topo: list[str] = []
    while ready:
        n = ready.pop()
        topo.append(n)
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
    need = [stage_demand(m) for m in task.mats]
    stage_need = (sum(n[0] for n in need), sum(n[1] for n in need), sum(n[2] for n in need))
    return (order, level, preds, mats, sram, tcam, phv, depth, start, sum(d.bits for d in task.deps), topo, stage_need)


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
        #: (task, device) -> (stage-book version, stage-packing verdict) of the last trial
        self._pack_memo: dict[tuple[str, str], tuple[int, str | None]] = {}

    # ------------------------------------------------------------------ helpers for orders
    def ingress_latency(self, prof: TaskProfile, device: str) -> float:
        """Detour (us) of the task's walk when it visits ``device``: ingress -> device -> egress
        minus ingress -> egress (0 on a lowest-latency path; 0 without an ingress)."""
        ing, egr = prof.task.ingress, prof.task.exit
        lat = self.cache.latency_us
        if ing is None or ing not in lat or egr not in lat:
            return 0.0
        return lat[ing][device] + lat[device][egr] - lat[ing][egr]

    def ingress_hops(self, prof: TaskProfile, device: str) -> int:
        """Extra links of the walk when it visits ``device`` (see ingress_latency)."""
        ing, egr = prof.task.ingress, prof.task.exit
        hops = self.cache.hops
        if ing is None or ing not in hops or egr not in hops:
            return 0
        return hops[ing][device] + hops[device][egr] - hops[ing][egr]

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
        if led.cap_phv[device] < phv:  # PHV is per packet: the task's own fields on this device
            return "PHV"
        return None

    def _charge(self, device: str, sram: int, tcam: int, phv: int) -> None:
        led = self.ledger
        led.add(led.sram, device, sram)
        led.add(led.tcam, device, tcam)

    # ------------------------------------------------------------------ whole tasks
    def memory_problem(self, prof: TaskProfile, device: str) -> str | None:
        """The pooled part of whole_problem (memory and pipeline depth): cheap enough to sort by."""
        short = self._short_of(device, prof.sram + prof.task.dispatch_sram_bits, prof.tcam, prof.phv)
        if short:
            return short
        if prof.depth > self.ledger.cap_stages[device]:
            return "stages"
        return None

    def whole_problem(self, prof: TaskProfile, device: str) -> str | None:
        short = self.memory_problem(prof, device)
        if short:
            return short
        if self._walk_problem(prof, [device]):
            return "bandwidth"
        if all(n <= f for n, f in zip(prof.stage_need, self.ledger.book.min_free(device))):
            return None  # even stacked in one stage the task fits: the ASAP schedule does
        book = self.ledger.book
        key = (prof.name, device)
        memo = self._pack_memo.get(key)
        if memo is not None and memo[0] == book.version[device]:
            return memo[1]
        mark = book.mark()
        starts = pack_whole_task(book, prof.task, device, prof.topo)
        book.rollback(mark)
        why = None if starts is not None else "stages"
        self._pack_memo[key] = (book.version[device], why)  # the state after rollback = before the trial
        return why

    def _walk_arcs(self, prof: TaskProfile, stops: Sequence[str]) -> list[tuple[str, str]]:
        """Arcs of the walk ingress -> stops -> egress on lowest-latency legs."""
        t = prof.task
        seq = [s for s in ([t.ingress] if t.ingress else []) + list(stops) + ([t.exit] if t.exit else [])]
        arcs: list[tuple[str, str]] = []
        for a, b in zip(seq, seq[1:]):
            if a != b:
                p = self.cache.paths[a][b]
                arcs.extend(zip(p, p[1:]))
        return arcs

    def _walk_problem(self, prof: TaskProfile, stops: Sequence[str]) -> bool:
        """True when the task's packets (rate x packet size) would overload an arc of the walk."""
        load = prof.task.rate_mpps * prof.task.packet_bits
        if load <= 0:
            return False
        led = self.ledger
        extra: dict[tuple[str, str], float] = {}
        for arc in self._walk_arcs(prof, stops):
            extra[arc] = extra.get(arc, 0.0) + load
        return any(led.arc_load[a] + x > self.cache.arc_cap_mbps[a] + 1e-9 for a, x in extra.items())

    def _charge_walk(self, prof: TaskProfile, stops: Sequence[str]) -> None:
        load = prof.task.rate_mpps * prof.task.packet_bits
        if load > 0:
            for arc in self._walk_arcs(prof, stops):
                self.ledger.add(self.ledger.arc_load, arc, load)

    def place_whole(self, prof: TaskProfile, device: str) -> None:
        led = self.ledger
        t = prof.task
        starts = pack_whole_task(led.book, t, device, prof.topo)
        if starts is None:  # nothing charged: the caller skipped whole_problem
            raise StageOverflow(f"{self.expert}: task {t.name} does not fit the stages of {device}", device=device)
        self._charge(device, prof.sram + t.dispatch_sram_bits, prof.tcam, prof.phv)
        self._charge_walk(prof, [device])
        led.add(led.task_count, device, 1)
        led.raise_stage_end(device, max(starts[n] + prof.mats[n].stages for n in starts))
        for name in prof.mats:
            mid = mat_id(t.name, name)
            self.placement[mid] = device
            self.stages[mid] = starts[name]

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
        earliest = max((local_stage[p] + prof.mats[p].stages for p, _ in prof.preds[name] if assigned[p] == device), default=0)
        start = led.book.first_fit(device, m, earliest)
        if start is None:
            return "stages"
        extra_sram = m.sram_bits + (0 if device in hosts else t.dispatch_sram_bits)
        here_phv = sum(prof.mats[n].phv_bits for n, d in assigned.items() if d == device)
        carried = sum(bits for n in prof.mats for p, bits in prof.preds[n] if assigned.get(p) not in (None, device)
                      and (n == name or assigned.get(n) == device))
        short = self._short_of(device, extra_sram, m.tcam_bits, here_phv + m.phv_bits + carried)
        if short:
            return short
        mark = led.mark()
        led.book.charge(device, start, m)
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
        return self._close_split(prof, mark, assigned, hosts, local_stage, routes, commit)

    def _close_split(self, prof: TaskProfile, mark: tuple[int, int], assigned: dict[str, str], hosts: list[str],
                     local_stage: dict[str, int], routes: dict[str, list[str]], commit: bool) -> SplitResult:
        """Check the walk's bandwidth, then keep (commit) or undo the MAT-by-MAT placement since ``mark``."""
        led = self.ledger
        cut = crossing_bits(prof.task, assigned)
        if self._walk_problem(prof, hosts):
            led.rollback(mark)
            return SplitResult(False, reason="its walk through " + " -> ".join(hosts) + " overloads a link")
        self._charge_walk(prof, hosts)
        if not commit:
            led.rollback(mark)
            return SplitResult(True, cut, hosts, assignment=dict(assigned))
        for name, d in assigned.items():
            mid = mat_id(prof.name, name)
            self.placement[mid] = d
            self.stages[mid] = local_stage[name]
        self.routes.update(routes)
        if len(hosts) > 1:  # MAT by MAT onto one device is a whole task, not a split
            self.split_tasks.append(prof.name)
        return SplitResult(True, cut, hosts, assignment=dict(assigned))

    def try_groups(self, prof: TaskProfile, groups: Sequence[Sequence[str]],
                   candidates: Callable[[int, list[str]], Sequence[str]]) -> SplitResult:
        """Place each group of MATs (dependency order, groups in walk order) whole on one device.

        ``candidates(i, hosts)`` lists the devices group i may try, first fit; a group that fits on
        none fails the task (ledger untouched). Used by baselines that partition a task first and
        then pick a switch per part (Hermes).
        """
        led = self.ledger
        mark = led.mark()
        assigned: dict[str, str] = {}
        hosts: list[str] = []
        local_stage: dict[str, int] = {}
        routes: dict[str, list[str]] = {}
        for i, group in enumerate(groups):
            why = "no candidate device"
            for d in candidates(i, hosts):
                group_mark = led.mark()
                trial_hosts = list(hosts)
                trial: dict[str, str] = {}
                trial_stage: dict[str, int] = dict(local_stage)
                trial_routes: dict[str, list[str]] = {}
                for name in group:
                    why = self._place_mat(prof, name, d, {**assigned, **trial}, trial_hosts, trial_stage,
                                          trial_routes) or ""
                    if why:
                        break
                    trial[name] = d
                    if d not in trial_hosts:
                        trial_hosts.append(d)
                if not why:
                    assigned.update(trial)
                    hosts[:] = trial_hosts
                    local_stage.update(trial_stage)
                    routes.update(trial_routes)
                    break
                led.rollback(group_mark)
            else:
                led.rollback(mark)
                return SplitResult(False, reason=f"part {i + 1} of {len(groups)} ({len(group)} MATs) fits on no "
                                                 f"candidate device (last: {why})")
        return self._close_split(prof, mark, assigned, hosts, local_stage, routes, True)

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
        for label, dev in (("ingress", prof.task.ingress), ("egress", prof.task.egress)):
            if dev is not None and dev not in self.ledger.cap_sram:
                return f"{label} {dev!r} is not a device of {self.topology.name}"
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
        # Walks (ingress -> hosts in DAG order -> egress) on lowest-latency legs: the one traffic model.
        self.routes = shortest_routes(self.workload, self.topology, self.placement)
        info = dict(info)
        info.setdefault("status", "FEASIBLE")
        info["split_tasks"] = list(self.split_tasks)
        info["unplaced"] = dict(self.unplaced)
        if self.problems:
            info["diagnosis"] = list(self.problems)
        plan = Plan(placement=dict(self.placement), stages=dict(self.stages), routes=dict(self.routes),
                    expert=self.expert, info=info)
        broken = check_plan(plan, self.workload, self.topology)
        if broken:
            # The ledger guides placement; the walk's packet load (and its PHV) is only known once
            # every MAT sits somewhere, so the independent checker has the last word.
            raise InfeasibleError(f"{self.expert}: plan violates {broken[0]}"
                                  + (f" (and {len(broken) - 1} more)" if len(broken) > 1 else ""))
        return plan


def best_fit(placer: Placer, prof: TaskProfile) -> list[str]:
    """Devices the whole task fits first, tightest fit first (keeps big holes for big tasks)."""
    return sorted(placer.devices, key=lambda d: (placer.memory_problem(prof, d) is not None, placer.leftover(prof, d),
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
