"""The paper's MAT-offloading MIP (appendix 11.5), written once as a solver-neutral ``MilpModel``.

Every term mirrors ``omniplan.evaluate`` (read its docstring): the same SRAM/dispatch accounting,
the same PHV rule (a routed dependency's bits count on every device it enters), the same latency
recursion (one device pass on the start device and on every device entered, plus link latency),
the same hop and coordination counts. Decision variables:

* ``x[v,d]``  MAT v on device d; ``sum_d x[v,d] = placed[t]`` (placed = 1 unless allow_partial);
* ``z[t,d]``  task t hosts a MAT on d (pays ``dispatch_sram_bits`` there), ``z >= x``;
* ``y[e,a]``  dependency e uses arc a; flow conservation ``out - in = x[u,d] - x[v,d]`` with the
  valid simple-path cuts ``in(d) <= 1 - x[u,d]`` and ``out(d) <= 1 - x[v,d]``;
* ingress legs: they carry no metadata (no PHV, no bandwidth), so a leg's route only changes its
  latency and its hop count, and any route can be swapped for a (latency, hops)-Pareto-optimal one
  without making any objective worse. The model therefore chooses among the Pareto paths of each
  (ingress, device) pair (``q`` variables; just ``x`` when there is one). This is exact;
  ``ingress_flow=True`` models them as flows instead (used by a test that checks both agree);
* ``s[v]``    first stage, same-device dependencies ordered, ``s + stages <= device stages``;
  only built when power is weighted or some task's stage chain could overflow a device -
  otherwise the ASAP schedule always fits and is what ``assign_stages`` returns;
* ``a[v]``    arrival time (ns) for latency, ``L[t] >= a[sink]``; ``cross[e]`` for coordination;
  ``U`` the bottleneck utilisation; ``used[d]`` and ``stage_end[d]`` for power.

Objective normalisation (so a weight means the same thing for every objective): each objective
C_i is mapped to ``n_i = (C_i - lo_i) / span_i`` (``(hi_i - C_i) / span_i`` for the maximised
throughput and coverage) where lo/span are cheap instance bounds computed by ``objective_scales``
(ideal/nadir-style range normalisation, independent of any warm start, so the optimum does not
depend on which fast expert seeded the solver). The solver minimises ``sum_i w_i n_i`` with the
weights normalised to sum to 1, scaled by one factor K to integers: coefficient rounding is below
``1 / MIN_COEF`` relative per objective.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from functools import reduce
from typing import Iterable, Mapping

import networkx as nx

from experts.milp_model import MilpModel
from omniplan.evaluate import device_pass_ns
from omniplan.objectives import OBJECTIVES
from omniplan.plan import Plan, assign_stages
from omniplan.topology import Topology, load_topology
from omniplan.workload import Task, Workload, dep_id, ingress_dep_id, mat_id

#: Smallest integer objective coefficient given to a weighted objective (weight precision 1/MIN_COEF).
MIN_COEF = 2000
#: Largest |objective| we let the integer objective reach (keeps HiGHS' doubles exact enough).
MAX_OBJ = 2.0**50
#: Throughput utilisation resolution: U counts 1e-4 of an arc's bandwidth.
UTIL_UNITS = 10_000
#: Hops in the partial-placement mean are counted in thousandths.
MILLI = 1000

CONSTRAINT_GROUPS = ("assignment", "sram", "tcam", "phv", "bandwidth", "stages", "routing")


# --------------------------------------------------------------------------- normalisation

@dataclass(frozen=True)
class Scales:
    """``n_i = (C_i - lo_i) / span_i`` for minimised objectives, ``(hi_i - C_i) / span_i`` for maximised."""

    lo: Mapping[str, float]
    span: Mapping[str, float]

    def normalized(self, objectives: Mapping[str, float]) -> dict[str, float]:
        out = {}
        for o in OBJECTIVES:
            if o == "throughput":
                out[o] = (100.0 - objectives[o]) / self.span[o]
            elif o == "coverage":
                out[o] = (100.0 - objectives[o]) / self.span[o]
            else:
                out[o] = (objectives[o] - self.lo[o]) / self.span[o]
        return out

    def cost(self, objectives: Mapping[str, float], weights: Iterable[float]) -> float:
        """The weighted normalised cost the MIP minimises, computed from evaluate()'s numbers."""
        n = self.normalized(objectives)
        return sum(w * n[o] for o, w in zip(OBJECTIVES, normalize_weights(weights)))

    def as_dict(self) -> dict[str, dict[str, float]]:
        return {"lo": dict(self.lo), "span": dict(self.span)}


def normalize_weights(weights: Iterable[float]) -> list[float]:
    w = [max(0.0, float(v)) for v in weights]
    if len(w) != len(OBJECTIVES):
        raise ValueError(f"expected {len(OBJECTIVES)} weights, got {len(w)}")
    total = sum(w)
    if total <= 0:
        return [1.0 / len(OBJECTIVES)] * len(OBJECTIVES)
    return [v / total for v in w]


def _arc_weight_ns(topology: Topology, a: str, b: str) -> int:
    return int(round(topology.link(a, b).latency_us * 1000.0)) + device_pass_ns(topology, b)


def _task_chain(task: Task) -> int:
    """Longest dependency chain (in edges) of a task."""
    return max(task.levels().values(), default=0)


def _stage_chain(task: Task) -> int:
    g = task.graph()
    end: dict[str, int] = {}
    for n in nx.topological_sort(g):
        end[n] = max((end[p] for p in g.predecessors(n)), default=0) + task.mat(n).stages
    return max(end.values(), default=0)


def objective_scales(workload: Workload, topology: Topology) -> Scales:
    """Instance ranges used to normalise each objective (documented in the module docstring)."""
    devs = topology.devices
    n_dev = len(devs)
    n_tasks = len(workload.tasks)
    n_mats = len(workload.mat_ids())
    lo: dict[str, float] = {}
    span: dict[str, float] = {}

    full = sorted((d.profile.idle_power_w + d.profile.power_per_stage_w * d.profile.stages for d in devs), reverse=True)
    p_hi = sum(full[: max(1, min(n_dev, n_mats))])
    p_lo = min(d.profile.idle_power_w + d.profile.power_per_stage_w for d in devs)
    lo["power"], span["power"] = p_lo, (p_hi - p_lo) if p_hi > p_lo else max(p_hi, 1.0)

    cap_sram = sum(d.profile.sram_bits for d in devs)
    mats_sram = sum(m.sram_bits for m in workload.mats().values())
    r_lo = 100.0 * (mats_sram + sum(t.dispatch_sram_bits for t in workload.tasks)) / cap_sram
    r_hi = 100.0 * (mats_sram + sum(t.dispatch_sram_bits * min(len(t.mats), n_dev) for t in workload.tasks)) / cap_sram
    lo["resources"], span["resources"] = r_lo, (r_hi - r_lo) if r_hi > r_lo + 1e-12 else max(r_hi, 1e-6)

    total_load = sum(t.rate_mpps * d.bits for t in workload.tasks for d in t.deps)
    min_cap = min((l.bandwidth_gbps * 1000.0 for l in topology.links), default=0.0)
    u_hi = min(1.0, total_load / min_cap) if min_cap > 0 else 0.0
    lo["throughput"], span["throughput"] = 0.0, 100.0 * u_hi if u_hi > 0 else 100.0

    route_ns = {a: {b: _route_ns(topology, p) for b, p in paths.items()}
                for a, paths in nx.all_pairs_dijkstra_path(topology.graph, weight="latency_us")}
    diam_ns = max((v for row in route_ns.values() for v in row.values()), default=0.0)
    diam_hops = max((v for row in topology.hop_distance.values() for v in row.values()), default=0)
    passes = [device_pass_ns(topology, d.name) for d in devs]
    lat_lo = lat_hi = 0.0
    hop_hi = 0.0
    for t in workload.tasks:
        start = device_pass_ns(topology, t.ingress) if t.ingress in topology.device_index else min(passes)
        legs = _task_chain(t) + (1 if t.ingress is not None else 0)
        lat_lo += start / 1000.0
        lat_hi += (max(start, max(passes)) + legs * diam_ns) / 1000.0
        hop_hi += (len(t.deps) + (len(t.roots()) if t.ingress is not None else 0)) * diam_hops
    lat_lo, lat_hi, hop_hi = lat_lo / n_tasks, lat_hi / n_tasks, hop_hi / n_tasks
    lo["latency"], span["latency"] = lat_lo, (lat_hi - lat_lo) if lat_hi > lat_lo else 1.0
    lo["coordination"], span["coordination"] = 0.0, 100.0
    lo["hops"], span["hops"] = 0.0, hop_hi if hop_hi > 0 else 1.0
    lo["coverage"], span["coverage"] = 0.0, 100.0
    return Scales(lo=lo, span=span)


def _route_ns(topology: Topology, path: list[str]) -> int:
    return sum(_arc_weight_ns(topology, a, b) for a, b in zip(path, path[1:]))


# --------------------------------------------------------------------------- Pareto ingress paths

def pareto_paths(topology: Topology, source: str, mode: str = "both") -> dict[str, list[list[str]]]:
    """Per destination, the simple paths from ``source`` that are Pareto-optimal in (latency, hops).

    Bellman-Ford by hop count: best[h][d] is the least latency with at most h arcs (arc weights
    are positive, so those walks are simple paths). ``mode`` "latency" keeps only the fastest path,
    "hops" only the fastest among the fewest-hop paths.
    """
    names = [d.name for d in topology.devices]
    inf = float("inf")
    best = {n: inf for n in names}
    best[source] = 0
    pred: list[dict[str, str | None]] = [{source: None}]
    table = [dict(best)]
    arcs = [(a, b, _arc_weight_ns(topology, a, b)) for a, b in topology.arcs()]
    for _h in range(1, len(names)):
        prev = table[-1]
        cur = dict(prev)
        p: dict[str, str | None] = {}
        for a, b, w in arcs:
            if prev[a] + w < cur[b]:
                cur[b] = prev[a] + w
                p[b] = a
        pred.append(p)
        table.append(cur)
        if cur == prev:
            break

    def rebuild(dest: str, h: int) -> list[str]:
        path = [dest]
        node, layer = dest, h
        while node != source:
            while node not in pred[layer]:
                layer -= 1  # the value at this layer was inherited from an earlier one
            node = pred[layer][node]
            layer -= 1
            path.append(node)
        return list(reversed(path))

    out: dict[str, list[list[str]]] = {}
    for dest in names:
        if dest == source:
            continue
        found: list[list[str]] = []
        last = inf
        for h in range(1, len(table)):
            if table[h][dest] < last:
                last = table[h][dest]
                found.append(rebuild(dest, h))
        if not found:
            continue  # unreachable
        if mode == "latency":
            found = [found[-1]]
        elif mode == "hops":
            found = [found[0]]
        out[dest] = found
    return out


# --------------------------------------------------------------------------- the model

@dataclass
class Commodity:
    key: str  # dep id or ingress dep id
    task: str
    src: str | None  # source MAT id (None for an ingress leg: the source is the task's ingress)
    dst: str
    bits: int


@dataclass
class OffloadModel:
    """The MILP plus the maps needed to turn a solution back into a Plan (and a Plan into a hint)."""

    model: MilpModel
    workload: Workload
    topology: Topology
    weights: list[float]
    scales: Scales
    allow_partial: bool
    x: dict[tuple[str, str], int] = field(default_factory=dict)
    placed: dict[str, int] = field(default_factory=dict)
    z: dict[tuple[str, str], int] = field(default_factory=dict)
    commodities: list[Commodity] = field(default_factory=list)
    y: dict[tuple[str, tuple[str, str]], int] = field(default_factory=dict)
    #: ingress leg choice: (leg key, device) -> list of (var, path)
    legs: dict[tuple[str, str], list[tuple[int, list[str]]]] = field(default_factory=dict)
    s: dict[str, int] = field(default_factory=dict)
    relaxed: bool = False
    #: L[t] (ns) per task and the hop-count expression, when latency / hops are weighted
    latency_vars: dict[str, int] = field(default_factory=dict)
    hop_terms: dict[int, int] = field(default_factory=dict)
    #: one-hot selectors of "how many tasks are placed" (partial placement means), per mean
    count_selectors: list[list[int]] = field(default_factory=list)
    #: integer objective = K * (normalised cost - offset)
    k_scale: float = 1.0
    norm_offset: float = 0.0
    coefficients: dict[str, int] = field(default_factory=dict)

    def normalized_objective(self, integer_objective: float) -> float:
        return integer_objective / self.k_scale + self.norm_offset

    # ------------------------------------------------------------------ solution -> plan
    def to_plan(self, values: Mapping[int, int], expert: str) -> Plan:
        placement: dict[str, str] = {}
        for (mid, dev), v in self.x.items():
            if values[v] >= 1:
                placement[mid] = dev
        # A task is either fully placed or not at all (sum_d x = placed[t]).
        stages = assign_stages(self.workload, self.topology, placement)
        routes: dict[str, list[str]] = {}
        arcs_of: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for (key, arc), v in self.y.items():
            if values[v] >= 1:
                arcs_of[key].append(arc)
        for c in self.commodities:
            dst_dev = placement.get(c.dst)
            if dst_dev is None:
                continue
            if c.src is None:
                src_dev = self.workload.task(c.task).ingress
            else:
                src_dev = placement[c.src]
            if src_dev == dst_dev:
                continue
            if self.relaxed:
                # R charged the fastest route (or the fewest hops when only hops are weighted)
                w_of = dict(zip(OBJECTIVES, self.weights))
                weight = "latency_us" if w_of["latency"] > 0 or w_of["hops"] <= 0 else None
                routes[c.key] = nx.shortest_path(self.topology.graph, src_dev, dst_dev, weight=weight)
                continue
            g = nx.DiGraph(arcs_of.get(c.key, []))
            # The flow is one path plus possibly zero-cost cycles; the shortest walk in its
            # support is a simple path that uses only chosen arcs, so loads only go down.
            routes[c.key] = nx.shortest_path(g, src_dev, dst_dev)
        for (key, dev), options in self.legs.items():
            for var, path in options:
                if values[var] >= 1:
                    routes[key] = list(path)
        return Plan(placement=placement, stages=stages, routes=routes, expert=expert)

    # ------------------------------------------------------------------ plan -> hint
    def hint_from_plan(self, plan: Plan) -> dict[int, int]:
        """Values of the decision variables (x, placed, z, y, leg choices, s) a plan implies."""
        hint: dict[int, int] = {}
        placed_tasks = set(plan.placed_tasks(self.workload))
        for (mid, dev), v in self.x.items():
            task = mid.split("/", 1)[0]
            hint[v] = int(task in placed_tasks and plan.placement.get(mid) == dev)
        for task, v in self.placed.items():
            hint[v] = int(task in placed_tasks)
        for (task, dev), v in self.z.items():
            hint[v] = int(task in placed_tasks and dev in plan.devices_of(self.workload, task))
        for c in self.commodities:
            path = plan.routes.get(c.key) if (c.dst.split("/", 1)[0] in placed_tasks) else None
            arcs = set(zip(path, path[1:])) if path else set()
            if c.src is not None and path:
                if plan.placement.get(c.src) == plan.placement.get(c.dst):
                    arcs = set()
            for arc in self.topology.arcs():
                v = self.y.get((c.key, arc))
                if v is not None:
                    hint[v] = int(arc in arcs)
        for (key, dev), options in self.legs.items():
            task = key.split("/", 1)[0]
            root_mid = mat_id(task, key.split("->", 1)[1])
            chosen = task in placed_tasks and plan.placement.get(root_mid) == dev
            route = plan.routes.get(key)
            pick = 0
            if chosen and route:
                for i, (_var, path) in enumerate(options):
                    if list(path) == list(route):
                        pick = i
                        break
            for i, (var, _path) in enumerate(options):
                if var in hint and len(options) == 1:
                    continue  # the leg is x itself
                hint[var] = int(chosen and i == pick)
        for mid, v in self.s.items():
            if mid in plan.stages and mid.split("/", 1)[0] in placed_tasks:
                hint[v] = int(plan.stages[mid])
            else:
                hint[v] = 0
        return hint


def complete_hint(om: OffloadModel, decisions: Mapping[int, int]) -> dict[int, int]:
    """Extend decision values to every variable: auxiliaries get the least value their rows allow.

    Every auxiliary (arrival times, L, U, used, stage_end, cross, means) appears only in rows of
    the form ``aux >= f(other variables)`` (possibly enforced), so raising it to the tightest such
    bound, repeated to a fixed point, yields the unique least completion - exactly what evaluate()
    computes - without a solver call. Count selectors are set from the number of placed tasks.
    """
    m = om.model
    values = {v.index: v.lb for v in m.vars}
    fixed = set(decisions)
    values.update({int(k): int(v) for k, v in decisions.items()})
    count = sum(values[v] for v in om.placed.values()) if om.placed else len(om.workload.tasks)
    for sel in om.count_selectors:
        for k, v in enumerate(sel):
            values[v] = int(k == count)
            fixed.add(v)
    rows = []
    for c in m.constraints:
        # the auxiliary this row bounds from below: the one free variable whose growth helps
        helps = [v for v, cf in c.terms.items() if v not in fixed
                 and ((c.lo is not None and cf > 0) or (c.hi is not None and cf < 0))]
        if len(helps) == 1:
            rows.append((c, helps[0]))
    for _ in range(len(m.vars) + 1):
        changed = False
        for c, v in rows:
            if any(values[e] != 1 for e in c.enforce):
                continue
            coef = c.terms[v]
            rest = sum(cf * values[u] for u, cf in c.terms.items() if u != v)
            if c.lo is not None and coef > 0:
                need = -((rest - c.lo) // coef)  # ceil((lo - rest) / coef)
                if need > values[v]:
                    values[v], changed = need, True
            elif c.hi is not None and coef < 0:
                need = -((c.hi - rest) // -coef)  # ceil((rest - hi) / -coef)
                if need > values[v]:
                    values[v], changed = need, True
        if not changed:
            break
    return values


def build_model(
    workload: Workload,
    topology: Topology,
    weights: Iterable[float],
    *,
    allow_partial: bool = False,
    ingress_flow: bool = False,
    scales: Scales | None = None,
    relaxed: bool = False,
) -> OffloadModel:
    """Build the full MIP for ``workload`` on ``topology`` under ``weights`` (OBJECTIVES order).

    ``relaxed=True`` builds the routing relaxation R instead: no flow variables; a dependency
    pays the shortest-path latency and the fewest hops between its MATs' devices (each bound
    taken separately), metadata only counts in PHV through the MATs' own bits, and link
    bandwidth is dropped. Every full solution maps to an R solution of no higher cost, so R's
    optimum is a lower bound; if R's plan, routed on shortest paths, is feasible and costs the
    same, it is optimal for the full model (``experts.mip`` uses this "relax and verify" step).
    R cannot express throughput, so it refuses a positive throughput weight.
    """
    w = dict(zip(OBJECTIVES, normalize_weights(weights)))
    if relaxed and (w["throughput"] > 0 or ingress_flow):
        raise ValueError("the routing relaxation has no throughput term and no ingress flows")
    scales = scales or objective_scales(workload, topology)
    m = MilpModel()
    om = OffloadModel(model=m, workload=workload, topology=topology, weights=[w[o] for o in OBJECTIVES],
                      scales=scales, allow_partial=allow_partial, relaxed=relaxed)
    devs = list(topology.devices)
    dev_names = [d.name for d in devs]
    prof = {d.name: d.profile for d in devs}
    arcs = topology.arcs()
    out_arcs: dict[str, list[tuple[str, str]]] = defaultdict(list)
    in_arcs: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for a, b in arcs:
        out_arcs[a].append((a, b))
        in_arcs[b].append((a, b))
    arc_w = {(a, b): _arc_weight_ns(topology, a, b) for a, b in arcs}
    passes = {d: device_pass_ns(topology, d) for d in dev_names}
    max_stages = max(p.stages for p in prof.values())
    n_tasks = len(workload.tasks)

    # ---------------------------------------------------------------- placement
    for t in workload.tasks:
        if t.ingress is not None and t.ingress not in topology.device_index:
            from omniplan.errors import InputError

            raise InputError(f"task {t.name}: ingress {t.ingress!r} is not a device of topology {topology.name!r}")
        placed = m.bool_var(f"placed[{t.name}]") if allow_partial else None
        if placed is not None:
            om.placed[t.name] = placed
        for mat in t.mats:
            mid = mat_id(t.name, mat.name)
            terms = {}
            for d in dev_names:
                p = prof[d]
                if (mat.sram_bits + t.dispatch_sram_bits > p.sram_bits or mat.tcam_bits > p.tcam_bits
                        or mat.phv_bits > p.phv_bits or mat.stages > p.stages):
                    continue  # can never fit there
                v = m.bool_var(f"x[{mid},{d}]")
                om.x[(mid, d)] = v
                terms[v] = 1
            if placed is None:
                m.add(terms, 1, 1, group="assignment", name=f"assign[{mid}]")
            else:
                terms[placed] = terms.get(placed, 0) - 1
                m.add(terms, 0, 0, group="assignment", name=f"assign[{mid}]")
        for d in dev_names:
            mats_here = [om.x[(mat_id(t.name, mat.name), d)] for mat in t.mats if (mat_id(t.name, mat.name), d) in om.x]
            if not mats_here:
                continue
            zv = m.bool_var(f"z[{t.name},{d}]")
            om.z[(t.name, d)] = zv
            for xv in mats_here:
                m.add({zv: 1, xv: -1}, lo=0, group="assignment", name=f"host[{t.name},{d}]")
        # Redundant but kept for the LP bound: a placed task is hosted somewhere.
        hosts = {om.z[(t.name, d)]: 1 for d in dev_names if (t.name, d) in om.z}
        if placed is None:
            m.add(hosts, lo=1, group="assignment", name=f"hosted[{t.name}]")
        else:
            hosts[placed] = -1
            m.add(hosts, lo=0, group="assignment", name=f"hosted[{t.name}]")

    if om.placed:
        # An empty plan would score latency = hops = 0 in evaluate (means over no task); it is not
        # an offloading plan, so at least one task is placed (else the instance is infeasible).
        m.add({v: 1 for v in om.placed.values()}, lo=1, group="assignment", name="place_something")

    def xv(mid: str, d: str) -> int | None:
        return om.x.get((mid, d))

    def placed_terms(task: Task, coef: int) -> dict[int, int]:
        """coef * placed[t] as terms (placed is the constant 1 without allow_partial)."""
        return {om.placed[task.name]: coef} if task.name in om.placed else {}

    def placed_const(task: Task, coef: int) -> int:
        return 0 if task.name in om.placed else coef

    # ---------------------------------------------------------------- routing flows
    for t in workload.tasks:
        for d in t.deps:
            om.commodities.append(Commodity(dep_id(t.name, d.src, d.dst), t.name, mat_id(t.name, d.src),
                                            mat_id(t.name, d.dst), d.bits))
        if t.ingress is not None and ingress_flow:
            for root in t.roots():
                om.commodities.append(Commodity(ingress_dep_id(t.name, root), t.name, None, mat_id(t.name, root), 0))
    task_of = {t.name: t for t in workload.tasks}
    for c in (om.commodities if not relaxed else []):
        t = task_of[c.task]
        for arc in arcs:
            om.y[(c.key, arc)] = m.bool_var(f"y[{c.key},{arc[0]}>{arc[1]}]")
        for d in dev_names:
            terms: dict[int, int] = {}
            for arc in out_arcs[d]:
                terms[om.y[(c.key, arc)]] = terms.get(om.y[(c.key, arc)], 0) + 1
            for arc in in_arcs[d]:
                terms[om.y[(c.key, arc)]] = terms.get(om.y[(c.key, arc)], 0) - 1
            const = 0
            if c.src is None:
                if d == t.ingress:
                    if t.name in om.placed:
                        terms[om.placed[t.name]] = terms.get(om.placed[t.name], 0) - 1
                    else:
                        const += 1
                src_x = None
            else:
                src_x = xv(c.src, d)
                if src_x is not None:
                    terms[src_x] = terms.get(src_x, 0) - 1
            dst_x = xv(c.dst, d)
            if dst_x is not None:
                terms[dst_x] = terms.get(dst_x, 0) + 1
            # out - in - x_src + x_dst = const (const is 1 at a fixed ingress source)
            m.add(terms, const, const, group="routing", name=f"flow[{c.key},{d}]")
            # simple-path cuts: nothing enters the source, nothing leaves the destination
            in_terms = {om.y[(c.key, arc)]: 1 for arc in in_arcs[d]}
            if in_arcs[d]:
                if c.src is None:
                    if d == t.ingress:
                        m.add(in_terms, hi=0, group="routing", name=f"noin[{c.key},{d}]")
                    else:
                        m.add(in_terms, hi=1, group="routing", name=f"in1[{c.key},{d}]")
                elif src_x is not None:
                    in_terms[src_x] = 1
                    m.add(in_terms, hi=1, group="routing", name=f"noin[{c.key},{d}]")
                else:
                    m.add(in_terms, hi=1, group="routing", name=f"in1[{c.key},{d}]")
            out_terms = {om.y[(c.key, arc)]: 1 for arc in out_arcs[d]}
            if out_arcs[d] and dst_x is not None:
                out_terms[dst_x] = 1
                m.add(out_terms, hi=1, group="routing", name=f"noout[{c.key},{d}]")

    # ingress legs on Pareto paths (see module docstring)
    leg_latency: dict[str, dict[int, int]] = {}  # leg key -> {var: ns}
    leg_hops: dict[int, int] = {}
    if not ingress_flow:
        mode = "both"
        if w["hops"] <= 0:
            mode = "latency"
        elif w["latency"] <= 0:
            mode = "hops"
        pareto_cache: dict[str, dict[str, list[list[str]]]] = {}
        for t in workload.tasks:
            if t.ingress is None:
                continue
            if t.ingress not in pareto_cache:
                pareto_cache[t.ingress] = pareto_paths(topology, t.ingress, mode)
            paths = pareto_cache[t.ingress]
            for root in t.roots():
                key = ingress_dep_id(t.name, root)
                rid = mat_id(t.name, root)
                lat_terms: dict[int, int] = {}
                for d in dev_names:
                    xr = xv(rid, d)
                    if xr is None or d == t.ingress:
                        continue
                    if d not in paths:
                        m.add({xr: 1}, hi=0, group="routing", name=f"unreachable[{key},{d}]")
                        continue
                    options = paths[d]
                    if len(options) == 1:
                        chosen = [(xr, options[0])]
                    else:
                        chosen = [(m.bool_var(f"leg[{key},{d},{i}]"), p) for i, p in enumerate(options)]
                        terms = {v: 1 for v, _p in chosen}
                        terms[xr] = -1
                        m.add(terms, 0, 0, group="routing", name=f"legpick[{key},{d}]")
                    om.legs[(key, d)] = chosen
                    for v, p in chosen:
                        lat_terms[v] = lat_terms.get(v, 0) + _route_ns(topology, p)
                        leg_hops[v] = leg_hops.get(v, 0) + len(p) - 1
                leg_latency[key] = lat_terms

    # ---------------------------------------------------------------- capacities
    for d in dev_names:
        p = prof[d]
        sram = {}
        tcam = {}
        phv = {}
        for t in workload.tasks:
            for mat in t.mats:
                v = xv(mat_id(t.name, mat.name), d)
                if v is None:
                    continue
                if mat.sram_bits:
                    sram[v] = mat.sram_bits
                if mat.tcam_bits:
                    tcam[v] = mat.tcam_bits
                if mat.phv_bits:
                    phv[v] = mat.phv_bits
            if (t.name, d) in om.z and t.dispatch_sram_bits:
                sram[om.z[(t.name, d)]] = t.dispatch_sram_bits
        for c in (om.commodities if not relaxed else []):
            if c.bits:
                for arc in in_arcs[d]:
                    phv[om.y[(c.key, arc)]] = c.bits
        for group, terms, cap in (("sram", sram, p.sram_bits), ("tcam", tcam, p.tcam_bits), ("phv", phv, p.phv_bits)):
            if terms and sum(terms.values()) > cap:
                m.add(terms, hi=cap, group=group, name=f"{group}[{d}]")

    rate_k = {t.name: int(round(t.rate_mpps * 1000)) for t in workload.tasks}  # kbit/s per metadata bit
    arc_cap = {arc: int(round(topology.link(*arc).bandwidth_gbps * 1e6)) for arc in arcs}  # kbit/s
    arc_load: dict[tuple[str, str], dict[int, int]] = {}
    for arc in arcs:
        terms = {om.y[(c.key, arc)]: rate_k[c.task] * c.bits for c in om.commodities if c.bits and not relaxed}
        arc_load[arc] = terms
        if terms and sum(terms.values()) > arc_cap[arc]:
            m.add(terms, hi=arc_cap[arc], group="bandwidth", name=f"bw[{arc[0]}>{arc[1]}]")

    # ---------------------------------------------------------------- stages
    chains_fit = all(_stage_chain(t) <= min(prof[d].stages for d in dev_names) for t in workload.tasks)
    need_stages = w["power"] > 0 or not chains_fit
    if need_stages:
        for t in workload.tasks:
            for mat in t.mats:
                mid = mat_id(t.name, mat.name)
                sv = m.int_var(0, max_stages - mat.stages, f"s[{mid}]")
                om.s[mid] = sv
                for d in dev_names:
                    xvar = xv(mid, d)
                    if xvar is not None and prof[d].stages < max_stages:
                        m.add({sv: 1}, hi=prof[d].stages - mat.stages, enforce=[xvar], group="stages",
                              name=f"stagecap[{mid},{d}]")
            for dep in t.deps:
                u, v = mat_id(t.name, dep.src), mat_id(t.name, dep.dst)
                for d in dev_names:
                    xu, xw = xv(u, d), xv(v, d)
                    if xu is None or xw is None:
                        continue
                    m.add({om.s[v]: 1, om.s[u]: -1}, lo=t.mat(dep.src).stages, enforce=[xu, xw], group="stages",
                          name=f"order[{u}->{v},{d}]")

    # ---------------------------------------------------------------- objectives
    # Each entry: objective name -> (terms in base units, natural units per base unit, constant in natural units).
    exprs: dict[str, tuple[dict[int, int], float, float]] = {}
    count_terms = {v: 1 for v in om.placed.values()}

    def mean_var(total: dict[int, int], ub_total: int, label: str) -> int:
        """mean = total / placed_count, exact (rounded up) via one selector per possible count."""
        ub = max(0, ub_total)
        mean = m.int_var(0, ub, f"mean[{label}]")
        sel = [m.bool_var(f"count[{label}]={k}") for k in range(n_tasks + 1)]
        om.count_selectors.append(sel)
        m.add({v: 1 for v in sel}, 1, 1, group="assignment", name=f"countpick[{label}]")
        terms = {v: k for k, v in enumerate(sel) if k}
        for pv in om.placed.values():
            terms[pv] = terms.get(pv, 0) - 1
        m.add(terms, 0, 0, group="assignment", name=f"countdef[{label}]")
        for k in range(1, n_tasks + 1):
            row = {mean: k}
            for v, c in total.items():
                row[v] = row.get(v, 0) - c
            m.add(row, lo=0, enforce=[sel[k]], group="objective", name=f"mean[{label}]k={k}")
        return mean

    if w["power"] > 0:
        terms = {}
        for d in dev_names:
            p = prof[d]
            used = m.bool_var(f"used[{d}]")
            end = m.int_var(0, p.stages, f"stage_end[{d}]")
            for (task, dd), zv in om.z.items():
                if dd == d:
                    m.add({used: 1, zv: -1}, lo=0, group="objective", name=f"used[{d},{task}]")
            terms[used] = int(round(p.idle_power_w * 1000))
            terms[end] = int(round(p.power_per_stage_w * 1000))
            om_end = end
            for t in workload.tasks:
                for mat in t.mats:
                    mid = mat_id(t.name, mat.name)
                    xvar = xv(mid, d)
                    if xvar is not None:
                        m.add({om_end: 1, om.s[mid]: -1}, lo=mat.stages, enforce=[xvar], group="objective",
                              name=f"stage_end[{d},{mid}]")
        exprs["power"] = (terms, 1e-3, 0.0)

    if w["resources"] > 0:
        terms = {}
        for t in workload.tasks:
            for mat in t.mats:
                for d in dev_names:
                    v = xv(mat_id(t.name, mat.name), d)
                    if v is not None and mat.sram_bits:
                        terms[v] = mat.sram_bits
        for (task, d), zv in om.z.items():
            if task_of[task].dispatch_sram_bits:
                terms[zv] = task_of[task].dispatch_sram_bits
        cap_sram = sum(p.sram_bits for p in prof.values())
        exprs["resources"] = (terms, 100.0 / cap_sram, 0.0)

    if w["throughput"] > 0 and any(arc_load[a] for a in arcs):
        u_ub = 0
        for arc in arcs:
            u_ub = max(u_ub, math.ceil(UTIL_UNITS * sum(arc_load[arc].values()) / arc_cap[arc]))
        uvar = m.int_var(0, u_ub, "U")  # not capped at 1: the bandwidth rows do that (and may be dropped)
        for arc in arcs:
            if not arc_load[arc]:
                continue
            row = {v: UTIL_UNITS * c for v, c in arc_load[arc].items()}
            row[uvar] = -arc_cap[arc]
            m.add(row, hi=0, group="objective", name=f"util[{arc[0]}>{arc[1]}]")
        # util% = U / 100; throughput = 100 - util%, so n = (U / 100) / span
        exprs["throughput"] = ({uvar: 1}, 100.0 / UTIL_UNITS, 0.0)

    if w["latency"] > 0:
        if relaxed:
            short_ns = {a0: {b0: _route_ns(topology, pth) for b0, pth in row.items()}
                        for a0, row in nx.all_pairs_dijkstra_path(topology.graph, weight="latency_us")}
        leg_ub = sum(sorted(arc_w.values(), reverse=True)[: len(dev_names)])
        leg_ub_pareto = max((lat for legs in leg_latency.values() for lat in legs.values()), default=0)
        max_pass = max(passes.values())
        sum_l: dict[int, int] = {}
        l_ub_max = 0
        for t in workload.tasks:
            g = t.graph()
            levels = t.levels()
            a: dict[str, int] = {}
            for name in nx.topological_sort(g):
                mid = mat_id(t.name, name)
                ub = max_pass + max(leg_ub, leg_ub_pareto) + levels[name] * leg_ub
                a[name] = m.int_var(0, ub, f"a[{mid}]")
                preds = list(g.predecessors(name))
                if preds and relaxed:
                    for p in preds:
                        pid = mat_id(t.name, p)
                        for da in dev_names:
                            xu = xv(pid, da)
                            if xu is None:
                                continue
                            row = {a[name]: 1, a[p]: -1}
                            for db in dev_names:
                                xw = xv(mid, db)
                                if xw is not None and db != da:
                                    row[xw] = row.get(xw, 0) - short_ns[da][db]
                            m.add(row, lo=0, enforce=[xu], group="objective", name=f"arrive[{mid}<-{p}@{da}]")
                elif preds:
                    for p in preds:
                        row = {a[name]: 1, a[p]: -1}
                        for arc in arcs:
                            yv = om.y[(dep_id(t.name, p, name), arc)]
                            row[yv] = row.get(yv, 0) - arc_w[arc]
                        m.add(row, lo=0, group="objective", name=f"arrive[{mid}<-{p}]")
                elif t.ingress is None:
                    row = {a[name]: 1}
                    for d in dev_names:
                        xr = xv(mid, d)
                        if xr is not None:
                            row[xr] = row.get(xr, 0) - passes[d]
                    m.add(row, lo=0, group="objective", name=f"arrive[{mid}]")
                else:
                    row = {a[name]: 1}
                    row.update({v: -c for v, c in placed_terms(t, passes[t.ingress]).items()})
                    key = ingress_dep_id(t.name, name)
                    if ingress_flow:
                        for arc in arcs:
                            yv = om.y[(key, arc)]
                            row[yv] = row.get(yv, 0) - arc_w[arc]
                    else:
                        for v, ns in leg_latency.get(key, {}).items():
                            row[v] = row.get(v, 0) - ns
                    m.add(row, lo=placed_const(t, passes[t.ingress]), group="objective", name=f"arrive[{mid}]")
            sinks = [n for n in g.nodes if g.out_degree(n) == 0]
            l_ub = max(m.vars[a[s]].ub for s in sinks)
            l_ub_max = max(l_ub_max, l_ub)
            lv = m.int_var(0, l_ub, f"L[{t.name}]")
            om.latency_vars[t.name] = lv
            for s in sinks:
                m.add({lv: 1, a[s]: -1}, lo=0, group="objective", name=f"L[{t.name}]>={s}")
            sum_l[lv] = 1
        if allow_partial:
            mean = mean_var(sum_l, l_ub_max, "latency")
            exprs["latency"] = ({mean: 1}, 1e-3, 0.0)
        else:
            exprs["latency"] = (sum_l, 1e-3 / n_tasks, 0.0)

    if w["coordination"] > 0:
        all_bits = sum(d.bits for t in workload.tasks for d in t.deps)
        terms = {}
        if all_bits:
            for c in om.commodities:
                if c.src is None or not c.bits:
                    continue
                cross = m.bool_var(f"cross[{c.key}]")
                for d in dev_names:
                    xu, xw = xv(c.src, d), xv(c.dst, d)
                    if xu is None:
                        continue
                    row = {cross: 1, xu: -1}
                    if xw is not None:
                        row[xw] = 1
                    m.add(row, lo=0, group="objective", name=f"cross[{c.key},{d}]")
                terms[cross] = c.bits
            exprs["coordination"] = (terms, 100.0 / all_bits, 0.0)

    if w["hops"] > 0:
        total: dict[int, int] = {}
        hop_dist = topology.hop_distance
        diam = max((v for row in hop_dist.values() for v in row.values()), default=0)
        for c in om.commodities:
            if relaxed:
                h = m.int_var(0, diam, f"h[{c.key}]")
                for da in dev_names:
                    xu = xv(c.src, da)
                    if xu is None:
                        continue
                    row = {h: 1}
                    for db in dev_names:
                        xw = xv(c.dst, db)
                        if xw is not None and db != da:
                            row[xw] = row.get(xw, 0) - hop_dist[da][db]
                    m.add(row, lo=0, enforce=[xu], group="objective", name=f"hops[{c.key}@{da}]")
                total[h] = 1
                continue
            for arc in arcs:
                total[om.y[(c.key, arc)]] = 1
        for v, h in leg_hops.items():
            total[v] = total.get(v, 0) + h
        om.hop_terms = dict(total)
        if allow_partial:
            hop_ub = sum(total.values())
            mean = mean_var({v: MILLI * c for v, c in total.items()}, MILLI * hop_ub, "hops")
            exprs["hops"] = ({mean: 1}, 1.0 / MILLI, 0.0)
        else:
            exprs["hops"] = (total, 1.0 / n_tasks, 0.0)

    if w["coverage"] > 0 and allow_partial:
        # coverage% = 100 * count / n_tasks; _set_objective turns it into (100 - coverage) / span
        exprs["coverage"] = ({v: 1 for v in om.placed.values()}, 100.0 / n_tasks, 0.0)

    _set_objective(om, exprs, w)
    return om


def _set_objective(om: OffloadModel, exprs: dict[str, tuple[dict[int, int], float, float]], w: Mapping[str, float]) -> None:
    """Scale sum_i w_i * n_i to one integer objective (see MIN_COEF / MAX_OBJ)."""
    m = om.model
    sc = om.scales
    real: dict[str, float] = {}
    reduced: dict[str, dict[int, int]] = {}
    offset = 0.0
    for name, (terms, per_unit, const) in exprs.items():
        terms = {v: c for v, c in terms.items() if c}
        if not terms:
            continue
        g = reduce(math.gcd, (abs(c) for c in terms.values()))
        reduced[name] = {v: c // g for v, c in terms.items()}
        unit = per_unit * g  # natural units per reduced unit
        if name == "throughput":
            real[name] = w[name] * unit / sc.span[name]
        elif name == "coverage":
            # n = (100 - (const + unit * E)) / span
            real[name] = -w[name] * unit / sc.span[name]
            offset += w[name] * (100.0 - const) / sc.span[name]
        else:
            real[name] = w[name] * unit / sc.span[name]
            offset += w[name] * (const - sc.lo[name]) / sc.span[name]
    # Objectives whose expression is constant (e.g. coverage without allow_partial) still count
    # in the normalised value the evaluator reports.
    for name in OBJECTIVES:
        if w[name] > 0 and name not in real:
            if name == "coverage":
                offset += 0.0  # everything placed: (100 - 100) / span
            elif name == "throughput":
                offset += 0.0  # nothing routed: utilisation 0
            elif name == "coordination":
                offset += 0.0
            elif name == "hops":
                offset += 0.0
            else:
                offset += w[name] * (0.0 - sc.lo[name]) / sc.span[name]
    if not real:
        om.k_scale, om.norm_offset = 1.0, offset
        return
    smallest = min(abs(r) for r in real.values())
    k = MIN_COEF / smallest
    magnitude = sum(abs(r) * sum(abs(cc) * max(abs(m.vars[v].ub), abs(m.vars[v].lb)) for v, cc in reduced[name].items())
                    for name, r in real.items())
    if magnitude * k > MAX_OBJ:
        k = MAX_OBJ / magnitude
    for name, r in real.items():
        coef = int(round(k * r))
        if coef == 0:
            coef = 1 if r > 0 else -1
        om.coefficients[name] = coef
        m.add_objective(reduced[name], coef)
    om.k_scale = k
    om.norm_offset = offset
