"""Min-max walk choice: spread the plan's traffic so the most loaded link keeps the most headroom.

The evaluator's throughput is ``1 - max arc utilisation`` under the walk model (``omniplan.walk``):
every link of a task's walk carries ``rate x (packet bits + metadata bits)``. On lowest-latency
legs, whole tasks placed on their ingress->egress path all pile their packets onto the same few
links whatever the hosts, so placement alone cannot lower the bottleneck; choosing the walk can.
For a fixed placement every task gets a few candidate walks (its default stops joined by one of
the ``k`` lowest-latency paths per leg); then

1. greedy: tasks in decreasing peak load each take the candidate with the lowest resulting
   utilisation on its own links (lowest latency on ties);
2. local search: while some task on a bottleneck arc has a candidate avoiding it that keeps every
   link it loads strictly below the bottleneck, move it;
3. give latency back: a task whose faster candidate stays strictly below the final bottleneck
   returns to it (the headroom is unchanged, the walk shorter).

The better of that and the lowest-latency walks is kept, so the expert never loses headroom.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import islice, product
from typing import Mapping

from omniplan.plan import walk_routes
from omniplan.topology import Topology
from omniplan.walk import arc_loads, default_stops, task_walk, walk_latency_ns
from omniplan.workload import Task, Workload, mat_id, walk_id

from experts.heuristics.ledger import TopologyCache

#: Paths per leg: 3 (as the split routing) covers Abilene's parallel routes; more only adds detours.
PATHS_PER_LEG = 4
#: Cap on candidate walks per task (legs^PATHS_PER_LEG grows fast for split tasks).
MAX_CANDIDATES = 27
#: Local-search moves at most (each removes load from a bottleneck arc); bounds the run time.
MAX_MOVES = 2000
#: Utilisations closer than this are equal (float noise must not count as an improvement).
EPS = 1e-9

Arc = tuple[str, str]


@dataclass(frozen=True)
class Candidate:
    """One walk of a task and the load it puts on each arc.

    Example: ``Candidate(walk=("a", "b"), load={("a", "b"): 400.0}, latency_ns=1200.0)``."""

    walk: tuple[str, ...]
    load: dict[Arc, float]
    latency_ns: float


def candidates(task: Task, placement: Mapping[str, str], topology: Topology, cache: TopologyCache,
               k: int = PATHS_PER_LEG) -> list[Candidate]:
    """Feasible walks of the placed ``task`` (PHV within every device's cap), lowest latency first;
    the first is the default walk on lowest-latency legs."""
    stops = default_stops(task, placement)
    legs = [cache.candidate_paths(a, b, k) if a != b else [[a]] for a, b in zip(stops, stops[1:])]
    default = [cache.paths[a][b] if a != b else [a] for a, b in zip(stops, stops[1:])]
    whole = len({placement[mat_id(task.name, m.name)] for m in task.mats}) == 1
    seen: set[tuple[str, ...]] = set()
    out: list[Candidate] = []
    for choice in [tuple(default), *islice(product(*legs), MAX_CANDIDATES)]:
        walk = [stops[0]]
        for p in choice:
            walk.extend(p[1:])
        key = tuple(walk)
        if key in seen:
            continue
        seen.add(key)
        if whole:  # no metadata on any link, PHV as placed: only the packets load the walk
            meta = [0] * (len(walk) - 1)
        else:
            w = task_walk(task, placement, {walk_id(task.name): walk}, lambda a, b: cache.paths[a][b])
            if w.error or any(bits > topology.device(d).profile.phv_bits for d, bits in zip(w.devices, w.phv_bits)):
                continue
            meta = w.meta_bits
        load: dict[Arc, float] = {}
        for arc, mbps in arc_loads(task, walk, meta):
            load[arc] = load.get(arc, 0.0) + mbps
        out.append(Candidate(key, load, walk_latency_ns(topology, walk)))
    out[1:] = sorted(out[1:], key=lambda c: c.latency_ns)
    return out


class WalkBalancer:
    """Chosen candidate per task and the arc loads they add up to."""

    def __init__(self, options: dict[str, list[Candidate]], cap: Mapping[Arc, float]):
        self.options = options
        self.cap = cap
        self.choice: dict[str, int] = {}
        self.load: dict[Arc, float] = {a: 0.0 for a in cap}

    def util(self, arc: Arc) -> float:
        return self.load[arc] / self.cap[arc]

    def bottleneck(self) -> float:
        return max((self.util(a) for a in self.cap), default=0.0)

    def _apply(self, cand: Candidate, sign: float) -> None:
        for arc, x in cand.load.items():
            self.load[arc] += sign * x

    def set(self, task: str, idx: int) -> None:
        old = self.choice.get(task)
        if old is not None:
            self._apply(self.options[task][old], -1.0)
        self.choice[task] = idx
        self._apply(self.options[task][idx], 1.0)

    def peak_with(self, task: str, idx: int) -> float:
        """Highest utilisation on the arcs ``task`` would load with candidate ``idx`` (its current
        walk's load taken off first)."""
        cur = self.options[task][self.choice[task]].load if task in self.choice else {}
        new = self.options[task][idx].load
        return max(((self.load[a] - cur.get(a, 0.0) + x) / self.cap[a] for a, x in new.items()), default=0.0)

    def greedy(self) -> None:
        for task in sorted(self.options, key=lambda t: (-max(self.options[t][0].load.values(), default=0.0), t)):
            opts = self.options[task]
            self.set(task, min(range(len(opts)), key=lambda i: (round(self.peak_with(task, i), 9), opts[i].latency_ns)))

    def local_search(self) -> int:
        """Move tasks off bottleneck arcs while a move keeps its links strictly below the bottleneck."""
        moves = 0
        while moves < MAX_MOVES:
            top = self.bottleneck()
            hot = [a for a in self.cap if self.util(a) >= top - EPS]
            moved = False
            for arc in hot:
                # of every task on the arc, its fastest walk avoiding the arc and staying below the
                # bottleneck; the move that adds the least latency wins
                moves_here = []
                for task, cur in self.choice.items():
                    opts = self.options[task]
                    if arc not in opts[cur].load:
                        continue
                    i = next((i for i in range(len(opts)) if arc not in opts[i].load
                              and self.peak_with(task, i) < top - EPS), None)
                    if i is not None:
                        moves_here.append((opts[i].latency_ns - opts[cur].latency_ns, task, i))
                if moves_here:
                    _, task, i = min(moves_here)
                    self.set(task, i)
                    moves += 1
                    moved = True
                    break
            if not moved:
                break
        return moves

    def give_latency_back(self) -> None:
        top = self.bottleneck()
        changed = True
        while changed:  # a task moving back frees room another one may need: repeat until stable
            changed = False
            for task in sorted(self.choice):
                opts = self.options[task]
                for i in range(self.choice[task]):  # candidates are sorted by latency after the first
                    if opts[i].latency_ns < opts[self.choice[task]].latency_ns and self.peak_with(task, i) < top - EPS:
                        self.set(task, i)
                        changed = True
                        break


def balanced_routes(workload: Workload, topology: Topology, placement: Mapping[str, str],
                    cache: TopologyCache) -> tuple[dict[str, list[str]], dict[str, float]]:
    """Routes (walks and their dependency segments) minimising the bottleneck utilisation for a
    fixed placement, and facts for the plan's info (bottleneck before/after, tasks rerouted)."""
    options: dict[str, list[Candidate]] = {}
    for t in workload.tasks:
        if all(mat_id(t.name, m.name) in placement for m in t.mats):
            opts = candidates(t, placement, topology, cache)
            if opts:
                options[t.name] = opts
    shortest = WalkBalancer(options, cache.arc_cap_mbps)
    for task in options:
        shortest.set(task, 0)
    runs = [shortest]
    for start_greedy in (False, True):
        bal = WalkBalancer(options, cache.arc_cap_mbps)
        if start_greedy:
            bal.greedy()
        else:
            for task in options:
                bal.set(task, 0)
        bal.local_search()
        bal.give_latency_back()
        runs.append(bal)
    best = min(runs, key=lambda b: (round(b.bottleneck(), 9),
                                    sum(options[t][i].latency_ns for t, i in b.choice.items())))
    by_name = {t.name: t for t in workload.tasks}
    routes: dict[str, list[str]] = {}
    for task, idx in best.choice.items():
        walk = list(options[task][idx].walk)
        w = task_walk(by_name[task], placement, {walk_id(task): walk}, lambda a, b: cache.paths[a][b])
        routes.update(walk_routes(by_name[task], w))
    facts = {"shortest_bottleneck_util_pct": round(100.0 * shortest.bottleneck(), 3),
             "bottleneck_util_pct": round(100.0 * best.bottleneck(), 3),
             "rerouted_tasks": sum(1 for i in best.choice.values() if i != 0)}
    return routes, facts
