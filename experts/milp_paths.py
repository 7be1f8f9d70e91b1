"""The offloading MIP on candidate walks: the paper's model (appendix 11.5) under the walk traffic model.

WHY candidate walks: the arc-flow formulation (one routing variable per dependency and arc) grew
with |arcs| x |deps| and stopped scaling at ~60 tasks / 37 devices. Here each task picks one walk
from a small candidate set, and its MATs are laid out along that walk in DAG order, so the model
grows with tasks x candidates x walk length x MATs and no routing variable exists at all:

* candidates of task t: the ``K_PATHS`` lowest-latency simple paths ingress -> egress, plus the
  detour walks ingress -> w -> egress (lowest-latency legs) through the ``K_DETOURS`` devices w
  with the smallest detour (so "move off the flow path" is in the model);
* ``p[t,k]``  task t takes candidate k (sum_k p = 1, or <= 1 with allow_partial);
* ``y[v,k,j]`` MAT v has run by walk entry j of candidate k: monotone in j, y[v,k,last] = p[t,k];
  MAT v runs at entry j iff y[v,k,j] - y[v,k,j-1] = 1. DAG order: y[v,k,j] <= y[u,k,j] for u -> v;
* metadata on link j -> j+1 = sum_e bits_e (y[u,k,j] - y[v,k,j]) (exact, linear);
* ``z[t,d]`` t hosts a MAT on d (dispatch table); ``used[d]``, ``se[d]`` for power.

Objectives are exactly ``omniplan.evaluate``'s for the walk (latency and hops are constants per
candidate), except power's stage term: ``se[d]`` is bounded below by each hosted MAT's ASAP end in
its task, an upper bound on the stage the first-fit schedule uses when no stage is full (the
evaluator's figure is reported beside it). ``se[d]`` is also bounded below by the device's load
over one stage's capacity (``se[d] x per-stage SRAM/TCAM/entries >= load``: first-fit charges
ceil(size / span) to each stage a MAT spans, so a packable device needs that many stages). These
rows are valid for every packable plan and move power's stage count, and its LP bound, towards the
evaluator's (measured on Abilene[8] / 60 tasks, uniform weights, 30 s: bound 0.031 -> 0.071).
Per-stage SRAM/TCAM/entries are otherwise pooled per device (``stages x per-stage capacity``); the
stage schedule is then first-fit and the checker verifies every stage - a MIP plan that fails it is
reported, never returned.

Normalisation: each objective C_i becomes (C_i - lo_i) / span_i with instance bounds from
``path_scales``, and the solver minimises sum_i w_i n_i scaled to integers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import islice
from typing import Iterable, Mapping

import networkx as nx

from experts.milp_model import MilpModel
from experts.stage_schedule import schedule_stages
from omniplan.evaluate import device_pass_ns
from omniplan.objectives import OBJECTIVES
from omniplan.plan import Plan
from omniplan.topology import Topology
from omniplan.walk import task_walk, walk_latency_ns
from omniplan.workload import MAT, Task, Workload, dep_id, ingress_dep_id, mat_id, walk_id

#: Lowest-latency simple ingress -> egress paths offered to each task.
K_PATHS = 2
#: Detour walks ingress -> w -> egress offered, through the devices with the smallest detour.
K_DETOURS = 3
#: Size budget: when sum over tasks of MATs x candidate walk entries (the y variables) would pass
#: this, the candidate sets shrink (1 path + 1 detour, then the shortest path alone) so memory and
#: build time stay bounded on large networks (TataNld, 200 tasks: 168k variables, 3.2 GB before).
Y_BUDGET = 30_000
#: Integer objective resolution: one normalised objective unit at weight 1 is worth this much.
#: WHY 1e8: at 1e6 the bottleneck term's coefficient (weight x 100 / UTIL_UNITS / span = 14.29 at
#: uniform weights) rounded to 14, so the model priced throughput 2 % below the evaluator (0.0007
#: normalised of the Abilene[8] / 60-task gap); at 1e8 rounding moves no coefficient by > 0.04 %.
RESOLUTION = 100_000_000
#: Bottleneck utilisation is counted in 1e-4 of an arc's capacity.
UTIL_UNITS = 10_000

CONSTRAINT_GROUPS = ("assignment", "sram", "tcam", "entries", "phv", "bandwidth", "stages", "order")


def normalize_weights(weights: Iterable[float]) -> list[float]:
    w = [max(0.0, float(v)) for v in weights]
    if len(w) != len(OBJECTIVES):
        raise ValueError(f"expected {len(OBJECTIVES)} weights, got {len(w)}")
    total = sum(w)
    if total <= 0:
        return [1.0 / len(OBJECTIVES)] * len(OBJECTIVES)
    return [v / total for v in w]


@dataclass(frozen=True)
class Scales:
    """``n_i = (C_i - lo_i) / span_i`` (minimised), ``(100 - C_i) / span_i`` for throughput/coverage."""

    lo: Mapping[str, float]
    span: Mapping[str, float]

    def normalized(self, objectives: Mapping[str, float]) -> dict[str, float]:
        out = {}
        for o in OBJECTIVES:
            if o in ("throughput", "coverage"):
                out[o] = (100.0 - objectives[o]) / self.span[o]
            else:
                out[o] = (objectives[o] - self.lo[o]) / self.span[o]
        return out

    def cost(self, objectives: Mapping[str, float], weights: Iterable[float]) -> float:
        n = self.normalized(objectives)
        return sum(w * n[o] for o, w in zip(OBJECTIVES, normalize_weights(weights)))

    def as_dict(self) -> dict[str, dict[str, float]]:
        return {"lo": dict(self.lo), "span": dict(self.span)}


def candidate_walks(task: Task, topology: Topology, k_paths: int | None = None, k_detours: int | None = None) -> list[list[str]]:
    """The walks task ``task`` may take (see module doc); without an ingress, one per device."""
    k_paths = K_PATHS if k_paths is None else k_paths
    k_detours = K_DETOURS if k_detours is None else k_detours
    names = [d.name for d in topology.devices]
    if task.ingress is None:
        return [[d] for d in names]
    ing, egr = task.ingress, task.exit
    sp = topology.shortest_paths
    lat = topology.path_latency_us
    if ing == egr:
        walks = [[ing]]
    else:
        walks = [list(p) for p in islice(nx.shortest_simple_paths(topology.graph, ing, egr, weight="latency_us"),
                                         max(1, k_paths))]
    on = {d for w in walks for d in w}
    off = sorted((d for d in names if d not in on), key=lambda d: (lat[ing][d] + lat[d][egr], d))[:k_detours]
    for w in off:
        walks.append(list(sp[ing][w]) + list(sp[w][egr])[1:])
    return walks


def path_scales(workload: Workload, topology: Topology, cands: Mapping[str, list[list[str]]]) -> Scales:
    devs = topology.devices
    n = len(workload.tasks)
    lo: dict[str, float] = {}
    span: dict[str, float] = {}
    full = sorted((d.profile.idle_power_w + d.profile.power_per_stage_w * d.profile.stages for d in devs), reverse=True)
    p_lo = min(d.profile.idle_power_w + d.profile.power_per_stage_w for d in devs)
    p_hi = sum(full)
    lo["power"], span["power"] = p_lo, max(p_hi - p_lo, 1.0)
    cap = sum(d.profile.sram_bits for d in devs)
    mats = sum(t.sram_bits for t in workload.tasks)
    r_lo = 100.0 * (mats + sum(t.dispatch_sram_bits for t in workload.tasks)) / cap
    r_hi = 100.0 * (mats + sum(t.dispatch_sram_bits * min(len(t.mats), len(devs)) for t in workload.tasks)) / cap
    lo["resources"], span["resources"] = r_lo, max(r_hi - r_lo, 1e-6)
    lo["throughput"], span["throughput"] = 0.0, 100.0
    # lo: the true minimum over all walks (so every n_i >= 0 whatever walks the model holds):
    # Dijkstra on link latency + the pass of the device entered, and the hop distance.
    g = topology.graph

    def step_ns(a: str, b: str, _d: dict) -> float:
        return g.edges[a, b]["latency_us"] * 1000.0 + device_pass_ns(topology, b)

    best_ns = {}
    for ing in {t.ingress for t in workload.tasks if t.ingress is not None}:
        best_ns[ing] = nx.single_source_dijkstra_path_length(g, ing, weight=step_ns)
    pass_min = min(device_pass_ns(topology, d.name) for d in devs)
    lat_lo, lat_hi, hop_lo, hop_hi = 0.0, 0.0, 0.0, 0.0
    for t in workload.tasks:
        walks = cands[t.name]
        if t.ingress is None:
            lat_lo += pass_min / 1000.0
        else:
            lat_lo += (device_pass_ns(topology, t.ingress) + best_ns[t.ingress][t.exit]) / 1000.0
            hop_lo += topology.hop_distance[t.ingress][t.exit]
        lat_hi += max(walk_latency_ns(topology, w) for w in walks) / 1000.0
        hop_hi += max(len(w) - 1 for w in walks)
    lo["latency"] = lat_lo / n
    span["latency"] = max(lat_hi / n - lo["latency"], 1e-3)
    lo["hops"] = hop_lo / n
    span["hops"] = max(hop_hi / n - lo["hops"], 1e-3)
    lo["coordination"], span["coordination"] = 0.0, 100.0
    lo["coverage"], span["coverage"] = 0.0, 100.0
    return Scales(lo, span)


def _asap_end(task: Task) -> dict[str, int]:
    g = task.graph()
    end: dict[str, int] = {}
    for n in nx.topological_sort(g):
        end[n] = max((end[p] for p in g.predecessors(n)), default=0) + task.mat(n).stages
    return end


@dataclass
class PathModel:
    model: MilpModel
    workload: Workload
    topology: Topology
    weights: list[float]
    scales: Scales
    cands: dict[str, list[list[str]]]
    p: dict[tuple[str, int], int] = field(default_factory=dict)
    y: dict[tuple[str, int, int], int] = field(default_factory=dict)
    z: dict[tuple[str, str], int] = field(default_factory=dict)
    used: dict[str, int] = field(default_factory=dict)
    se: dict[str, int] = field(default_factory=dict)
    cross: dict[tuple[str, str, str], int] = field(default_factory=dict)
    placed: dict[str, int] = field(default_factory=dict)
    util: int | None = None
    #: integer objective = offset_units + sum coef * var; normalised = integer / RESOLUTION - const
    norm_offset: float = 0.0
    #: the objective's coefficients before rounding to integers (normalised units per unit of the
    #: variable): the powered-set relaxation prices with these, so its bound is the exact one
    exact_objective: dict[int, float] = field(default_factory=dict)

    def normalized_objective(self, integer: float) -> float:
        return integer / RESOLUTION - self.norm_offset

    # ------------------------------------------------------------------ plans <-> values
    def to_plan(self, values: Mapping[int, int], expert: str) -> Plan:
        placement = self.placement_from(values)
        routes: dict[str, list[str]] = {}
        for t in self.workload.tasks:
            chosen = [k for k in range(len(self.cands[t.name])) if values.get(self.p[(t.name, k)], 0) == 1]
            if chosen:
                routes[walk_id(t.name)] = list(self.cands[t.name][chosen[0]])
        plan = Plan(placement=placement, stages=schedule_stages(self.workload, self.topology, placement),
                    routes=routes, expert=expert)
        _add_segments(self.workload, self.topology, plan)
        return plan

    def placement_from(self, values: Mapping[int, int]) -> dict[str, str]:
        out: dict[str, str] = {}
        for t in self.workload.tasks:
            for k, walk in enumerate(self.cands[t.name]):
                if values.get(self.p[(t.name, k)], 0) != 1:
                    continue
                for m in t.mats:
                    prev = 0
                    for j in range(len(walk)):
                        cur = values[self.y[(t.name + "/" + m.name, k, j)]]
                        if cur and not prev:
                            out[mat_id(t.name, m.name)] = walk[j]
                        prev = cur
        return out

    def forbid_together(self, device: str, mats: list[str]) -> None:
        """A no-good cut: the MATs ``mats`` (ids) may not all sit on ``device`` (their stages do not pack)."""
        terms: dict[int, int] = {}
        for mid in mats:
            for v, c in self._x_terms(mid, device).items():
                terms[v] = terms.get(v, 0) + c
        self.model.add(terms, None, len(mats) - 1, group="stages", name=f"stage no-good {device}")

    def _x_terms(self, mid: str, device: str, scale: int = 1) -> dict[int, int]:
        """Linear terms of X[mid, device] (1 when the MAT runs on the device) times ``scale``."""
        task = mid.split("/", 1)[0]
        terms: dict[int, int] = {}
        for k, walk in enumerate(self.cands[task]):
            for j, d in enumerate(walk):
                if d != device:
                    continue
                terms[self.y[(mid, k, j)]] = terms.get(self.y[(mid, k, j)], 0) + scale
                if j:
                    terms[self.y[(mid, k, j - 1)]] = terms.get(self.y[(mid, k, j - 1)], 0) - scale
        return terms

    def add_window_cuts(self, model: MilpModel, devices: Iterable[str], kinds: tuple[str, ...] = ("e1", "e2", "b")) -> int:
        """Stage-window rows for ``devices`` in ``model`` (this model or a copy of it); returns the
        number of rows added.

        A MAT with a same-device successor cannot run in its device's last stage, one whose
        same-device successors need two more stages (a 2-stage vote, or tree -> vote) not in the
        last two, and one with a same-device predecessor and successor not in the first or the
        last: so per device and per-stage resource (SRAM, TCAM, entries), the load of such MATs is
        at most ``se - 1`` (resp. ``se - 2``) stages' capacity. Booleans ``e1[v,d]`` / ``e2[v,d]``
        / ``b[v,d]`` are forced to 1 when those chains are on the device (a packable plan sets
        them exactly, so no packable plan is cut off). ``kinds`` picks the ``e2`` and ``b`` rows;
        the ``e1`` rows (which they build on) are always added.

        WHY: the pooled rows (``se x per-stage capacity >= load``) let CP-SAT fill a switch's
        stages to the brim with whole tasks - on Abilene[8] / 60 tasks the relax-and-fix round's
        optimum held exactly 10.0 stages of TCAM in 10 stages, which no schedule packs (the votes
        need a stage after the trees) - so its plans had to be repaired (+10 % cost).
        """
        wl = self.workload
        mats = wl.mats()
        rows = 0
        for d in devices:
            p = self.topology.device(d).profile
            caps = [(r, c) for r, c in enumerate((p.sram_bits_per_stage, p.tcam_bits_per_stage, p.entries_per_stage)) if c > 0]
            x_of: dict[str, dict[int, int]] = {}

            def x(mid: str) -> dict[int, int]:
                if mid not in x_of:
                    x_of[mid] = self._x_terms(mid, d)
                return x_of[mid]

            e1: dict[str, int] = {}
            held: dict[str, dict[str, int]] = {"e1": {}, "e2": {}, "b": {}}
            for t in wl.tasks:
                g = t.graph()
                order = list(nx.topological_sort(g))
                for name in reversed(order):  # successors first (e2 reads their e1)
                    mid = mat_id(t.name, name)
                    succs = list(g.successors(name))
                    if not succs or not x(mid):
                        continue
                    v = model.bool_var(f"e1[{mid},{d}]")
                    e1[mid] = v
                    held["e1"][mid] = v
                    for s_name in succs:
                        sid = mat_id(t.name, s_name)
                        model.add(_sum_terms({v: 1}, _neg(x(mid)), _neg(x(sid))), -1, None, group="stages", name="e1")
                        rows += 1
                for name in order:
                    mid = mat_id(t.name, name)
                    if mid not in e1:
                        continue
                    long_succ = [s for s in g.successors(name) if t.mat(s).stages >= 2 or mat_id(t.name, s) in e1]
                    long_succ = long_succ if "e2" in kinds else []
                    if long_succ:
                        v2 = model.bool_var(f"e2[{mid},{d}]")
                        held["e2"][mid] = v2
                        for s_name in long_succ:
                            sid = mat_id(t.name, s_name)
                            if t.mat(s_name).stages >= 2:
                                model.add(_sum_terms({v2: 1}, _neg(x(mid)), _neg(x(sid))), -1, None, group="stages", name="e2")
                            if sid in e1:
                                model.add(_sum_terms({v2: 1, e1[sid]: -1}, _neg(x(mid))), -1, None, group="stages", name="e2")
                            rows += 1
                    preds = list(g.predecessors(name)) if "b" in kinds else []
                    if preds:
                        vb = model.bool_var(f"b[{mid},{d}]")
                        held["b"][mid] = vb
                        for u_name in preds:
                            model.add(_sum_terms({vb: 1, e1[mid]: -1}, _neg(x(mat_id(t.name, u_name)))), -1, None,
                                      group="stages", name="b")
                            rows += 1
            for kind, lost in (("e1", 1), ("e2", 2), ("b", 2)):
                for r, cap in caps:
                    terms = {v: _demand(mats[mid], r) for mid, v in held[kind].items() if _demand(mats[mid], r) > 0}
                    if terms:
                        # load of such MATs <= cap x (se - lost x used)
                        model.add({**terms, self.se[d]: -cap, self.used[d]: cap * lost}, None, 0, group="stages",
                                  name=f"window {kind} {r} {d}")
                        rows += 1
        return rows

    def cap_device_load(self, device: str, mats: list[str]) -> None:
        """A *search* cut, not a valid one: ``device`` holds less of its fullest resource (SRAM or
        TCAM, relative to capacity) than ``mats`` - by at least the smallest such MAT.

        WHY: the no-good cut on a set of MATs that first-fit cannot pack removes only that set, and
        CP-SAT returns a symmetric twin (another task's alike table) the next round (measured:
        Abilene[8] seed 2, the same objective unpackable on the same switch twice). This caps the
        load instead. It may cut plans that pack, so solver bounds after it are not reported.
        """
        prof = self.topology.device(device).profile
        wmats = self.workload.mats()
        sram = sum(wmats[m].sram_bits for m in mats)
        tcam = sum(wmats[m].tcam_bits for m in mats)
        use_tcam = prof.tcam_bits > 0 and tcam / prof.tcam_bits >= sram / max(1, prof.sram_bits)
        size = (lambda m: wmats[m].tcam_bits) if use_tcam else (lambda m: wmats[m].sram_bits)
        smallest = min((size(m) for m in mats if size(m) > 0), default=0)
        if smallest <= 0:
            return
        terms: dict[int, int] = {}
        for t in self.workload.tasks:
            for mat in t.mats:
                mid = mat_id(t.name, mat.name)
                if size(mid) <= 0:
                    continue
                for v, c in self._x_terms(mid, device, size(mid)).items():
                    terms[v] = terms.get(v, 0) + c
        self.model.add(terms, None, sum(size(m) for m in mats) - smallest, group="stages",
                       name=f"load cap {device}")

    def stage_end_cut(self, device: str, mats: list[str], end: int) -> None:
        """When all of ``mats`` sit on ``device``, its pipeline runs to stage ``end`` (first-fit says so)."""
        terms: dict[int, int] = {self.se[device]: 1}
        for mid in mats:
            for v, c in self._x_terms(mid, device, -end).items():
                terms[v] = terms.get(v, 0) + c
        self.model.add(terms, end - end * len(mats), None, group="stages", name=f"stage end {device}")

    def hint_from_plan(self, plan: Plan) -> dict[int, int] | None:
        """A complete assignment for ``plan`` when every task's walk is one of its candidates."""
        paths = self.topology.shortest_paths
        hint: dict[int, int] = {}
        for t in self.workload.tasks:
            ids = [mat_id(t.name, m.name) for m in t.mats]
            if not all(i in plan.placement for i in ids):
                return None
            w = task_walk(t, plan.placement, plan.routes, lambda a, b: paths[a][b])
            try:
                k = self.cands[t.name].index(w.devices)
            except ValueError:
                return None
            for kk in range(len(self.cands[t.name])):
                hint[self.p[(t.name, kk)]] = int(kk == k)
                for m in t.mats:
                    for j in range(len(self.cands[t.name][kk])):
                        hint[self.y[(t.name + "/" + m.name, kk, j)]] = int(kk == k and j >= w.position[m.name])
            if t.name in self.placed:
                hint[self.placed[t.name]] = 1
            end = _asap_end(t)
            for m in t.mats:
                d = plan.placement[mat_id(t.name, m.name)]
                hint[self.z[(t.name, d)]] = 1
                hint[self.used[d]] = 1
                # the model's stage end: at least the ASAP end and the plan's real stage end (the
                # stage-capacity rows need the latter)
                real = plan.stages.get(mat_id(t.name, m.name), 0) + m.stages if plan.stages else 0
                hint[self.se[d]] = max(hint.get(self.se[d], 0), end[m.name], real)
            for dd in t.deps:
                c = self.cross.get((t.name, dd.src, dd.dst))
                if c is not None:
                    hint[c] = int(w.position[dd.src] != w.position[dd.dst])
        for key, v in self.z.items():
            hint.setdefault(v, 0)
        for d in self.used:
            hint.setdefault(self.used[d], 0)
            hint.setdefault(self.se[d], 0)
        if self.util is not None:
            from omniplan.evaluate import evaluate

            util = evaluate(plan, self.workload, self.topology).max_link_util_pct / 100.0
            hint[self.util] = min(UTIL_UNITS, int(-(-util * UTIL_UNITS // 1)) + 1)
        return hint


def _neg(terms: Mapping[int, int]) -> dict[int, int]:
    return {v: -c for v, c in terms.items()}


def _sum_terms(*parts: Mapping[int, int]) -> dict[int, int]:
    out: dict[int, int] = {}
    for part in parts:
        for v, c in part.items():
            out[v] = out.get(v, 0) + c
    return out


def _demand(m: MAT, r: int) -> int:
    """A MAT's total SRAM (r = 0), TCAM (1) or entries (2)."""
    return (m.sram_bits, m.tcam_bits, m.entries)[r]


def _add_segments(workload: Workload, topology: Topology, plan: Plan) -> None:
    """Dependency-keyed walk segments (the data plane's realisation looks routes up by dependency)."""
    paths = topology.shortest_paths
    for t in workload.tasks:
        if walk_id(t.name) not in plan.routes:
            continue
        w = task_walk(t, plan.placement, plan.routes, lambda a, b: paths[a][b])
        for d in t.deps:
            a, b = w.position.get(d.src), w.position.get(d.dst)
            if a is not None and b is not None and a != b:
                plan.routes[dep_id(t.name, d.src, d.dst)] = list(w.devices[a:b + 1])
        for root in t.roots():
            b = w.position.get(root)
            if b:
                plan.routes[ingress_dep_id(t.name, root)] = list(w.devices[:b + 1])


def _sized_candidates(workload: Workload, topology: Topology, extra: Mapping[str, list[str]]) -> dict[str, list[list[str]]]:
    """Candidate walks per task within ``Y_BUDGET`` (see there), plus each task's ``extra`` walk."""
    for k_paths, k_detours in ((K_PATHS, K_DETOURS), (1, 2), (1, 1), (1, 0)):
        cands = {t.name: candidate_walks(t, topology, k_paths, k_detours) for t in workload.tasks}
        for t in workload.tasks:
            walk = extra.get(t.name)
            if walk and walk not in cands[t.name]:
                cands[t.name].append(list(walk))
        size = sum(len(t.mats) * sum(len(w) for w in cands[t.name]) for t in workload.tasks)
        if size <= Y_BUDGET:
            break
    return cands


def build_path_model(workload: Workload, topology: Topology, weights: Iterable[float], *,
                     allow_partial: bool = False, extra_walks: Mapping[str, list[str]] | None = None) -> PathModel:
    """The model; ``extra_walks`` (task -> walk) joins each task's candidates, so a warm start
    whose walks lie outside the default candidates is still a solution of the model."""
    w = normalize_weights(weights)
    W = dict(zip(OBJECTIVES, w))
    cands = _sized_candidates(workload, topology, extra_walks or {})
    # the scales come from the default candidates: the same whatever warm start joined the model
    sc = path_scales(workload, topology, {t.name: candidate_walks(t, topology) for t in workload.tasks})
    m = MilpModel()
    pm = PathModel(m, workload, topology, w, sc, cands)
    devs = [d.name for d in topology.devices]
    prof = {d.name: d.profile for d in topology.devices}
    n_tasks = len(workload.tasks)
    obj: dict[int, float] = {}
    offset = 0.0

    def add_obj(var: int, value: float) -> None:
        obj[var] = obj.get(var, 0.0) + value

    # per-device accumulators: list of (var, coef) for X[v,d] expressions
    dev_sram: dict[str, dict[int, int]] = {d: {} for d in devs}
    dev_tcam: dict[str, dict[int, int]] = {d: {} for d in devs}
    dev_entries: dict[str, dict[int, int]] = {d: {} for d in devs}
    arc_load: dict[tuple[str, str], dict[int, float]] = {}
    z: dict[tuple[str, str], int] = {}
    used = {d: m.bool_var(f"used[{d}]") for d in devs}
    se = {d: m.int_var(0, prof[d].stages, f"se[{d}]") for d in devs}
    pm.used, pm.se, pm.z = used, se, z
    total_bits = sum(dd.bits for t in workload.tasks for dd in t.deps)
    cross_vars: list[tuple[int, int]] = []
    placed_vars: list[int] = []
    for t in workload.tasks:
        walks = cands[t.name]
        placed = m.bool_var(f"placed[{t.name}]") if allow_partial else None
        ps = []
        for k, walk in enumerate(walks):
            v = m.bool_var(f"p[{t.name},{k}]")
            pm.p[(t.name, k)] = v
            ps.append(v)
        if placed is None:
            m.add({v: 1 for v in ps}, 1, 1, group="assignment", name=f"one walk {t.name}")
        else:
            m.add({**{v: 1 for v in ps}, placed: -1}, 0, 0, group="assignment", name=f"one walk {t.name}")
            placed_vars.append(placed)
            pm.placed[t.name] = placed
        end = _asap_end(t)
        crosses = {}
        if W["coordination"] > 0:
            for dd in t.deps:
                if dd.bits > 0:
                    c = m.bool_var(f"cross[{t.name},{dd.src}->{dd.dst}]")
                    crosses[(dd.src, dd.dst)] = c
                    pm.cross[(t.name, dd.src, dd.dst)] = c
                    cross_vars.append((c, dd.bits))
        hosts_on: dict[str, list[int]] = {}
        for k, walk in enumerate(walks):
            L = len(walk)
            pk = pm.p[(t.name, k)]
            lat_us = walk_latency_ns(topology, walk) / 1000.0
            if W["latency"]:
                add_obj(pk, W["latency"] * lat_us / n_tasks / sc.span["latency"])
            if W["hops"]:
                add_obj(pk, W["hops"] * (L - 1) / n_tasks / sc.span["hops"])
            y = {}
            for mat in t.mats:
                for j in range(L):
                    y[(mat.name, j)] = m.bool_var(f"y[{t.name}/{mat.name},{k},{j}]")
                    pm.y[(t.name + "/" + mat.name, k, j)] = y[(mat.name, j)]
                for j in range(1, L):
                    m.add({y[(mat.name, j)]: 1, y[(mat.name, j - 1)]: -1}, 0, None, group="order", name="monotone")
                m.add({y[(mat.name, L - 1)]: 1, pk: -1}, 0, 0, group="assignment", name=f"{t.name}/{mat.name} runs")
            for dd in t.deps:
                for j in range(L):
                    m.add({y[(dd.dst, j)]: 1, y[(dd.src, j)]: -1}, None, 0, group="order", name=f"{dd.src}->{dd.dst}")
                c = crosses.get((dd.src, dd.dst))
                if c is not None:
                    for j in range(L - 1):
                        m.add({c: 1, y[(dd.src, j)]: -1, y[(dd.dst, j)]: 1}, 0, None, group="order", name="cross")
            # MAT v runs at entry j: x = y[j] - y[j-1]; device expressions
            for mat in t.mats:
                for j, d in enumerate(walk):
                    x_terms = {y[(mat.name, j)]: 1}
                    if j:
                        x_terms[y[(mat.name, j - 1)]] = -1
                    for var, c in x_terms.items():
                        dev_sram[d][var] = dev_sram[d].get(var, 0) + c * mat.sram_bits
                        dev_tcam[d][var] = dev_tcam[d].get(var, 0) + c * mat.tcam_bits
                        dev_entries[d][var] = dev_entries[d].get(var, 0) + c * mat.entries
                    key = (t.name, d)
                    if key not in z:
                        z[key] = m.bool_var(f"z[{t.name},{d}]")
                        hosts_on.setdefault(d, []).append(z[key])
                    m.add({z[key]: 1, **{var: -c for var, c in x_terms.items()}}, 0, None, group="assignment", name="z>=x")
                    m.add({se[d]: 1, **{var: -c * end[mat.name] for var, c in x_terms.items()}}, 0, None,
                          group="stages", name="se")
            # metadata bits on link j -> j+1 and packet PHV on entry j
            out_bits: dict[str, int] = {}
            in_bits: dict[str, int] = {}
            for dd in t.deps:
                out_bits[dd.src] = out_bits.get(dd.src, 0) + dd.bits
                in_bits[dd.dst] = in_bits.get(dd.dst, 0) + dd.bits
            for j, d in enumerate(walk):
                phv: dict[int, int] = {}
                for mat in t.mats:
                    phv[y[(mat.name, j)]] = phv.get(y[(mat.name, j)], 0) + mat.phv_bits
                    if j:
                        phv[y[(mat.name, j - 1)]] = phv.get(y[(mat.name, j - 1)], 0) - mat.phv_bits
                        net = out_bits.get(mat.name, 0) - in_bits.get(mat.name, 0)
                        if net:
                            phv[y[(mat.name, j - 1)]] = phv.get(y[(mat.name, j - 1)], 0) + net
                if any(phv.values()):
                    m.add(phv, None, prof[d].phv_bits, group="phv", name=f"phv {t.name} {k} {j}")
            for j in range(L - 1):
                arc = (walk[j], walk[j + 1])
                row = arc_load.setdefault(arc, {})
                row[pk] = row.get(pk, 0.0) + t.rate_mpps * t.packet_bits
                for mat in t.mats:
                    net = out_bits.get(mat.name, 0) - in_bits.get(mat.name, 0)
                    if net:
                        var = y[(mat.name, j)]
                        row[var] = row.get(var, 0.0) + t.rate_mpps * net
        for d, zs in hosts_on.items():
            for zv in zs:
                m.add({used[d]: 1, zv: -1}, 0, None, group="assignment", name="used>=z")
        for (tn, d), zv in z.items():
            if tn == t.name and W["resources"]:
                add_obj(zv, W["resources"] * 100.0 * t.dispatch_sram_bits / sum(p.sram_bits for p in prof.values())
                        / sc.span["resources"])
    cap_total = sum(p.sram_bits for p in prof.values())
    for d in devs:
        p = prof[d]
        disp = {z[(t.name, d)]: t.dispatch_sram_bits for t in workload.tasks if (t.name, d) in z}
        # capacity times used[d]: the same integer rows, a much tighter LP (power's bound)
        m.add({**dev_sram[d], **disp, used[d]: -p.sram_bits}, None, 0, group="sram", name=f"sram {d}")
        m.add({**dev_tcam[d], used[d]: -p.tcam_bits}, None, 0, group="tcam", name=f"tcam {d}")
        m.add({**dev_entries[d], used[d]: -p.stages * p.entries_per_stage}, None, 0, group="entries", name=f"entries {d}")
        # Stage count vs aggregated per-stage capacity: the MATs on d fill at least
        # ceil(load / per-stage capacity) stages (first-fit charges ceil(size / span) to every stage a
        # MAT spans), so the pipeline end se[d] is at least that. Valid for every packable plan; it
        # makes the power term's stage count follow the SRAM/TCAM/entries a device holds instead of
        # only the ASAP depth (a much stronger LP bound for power).
        for load, per_stage, grp in ((dev_sram[d], p.sram_bits_per_stage, "sram"),
                                     (dev_tcam[d], p.tcam_bits_per_stage, "tcam"),
                                     (dev_entries[d], p.entries_per_stage, "entries")):
            if per_stage > 0 and any(load.values()):
                m.add({**load, se[d]: -per_stage}, None, 0, group="stages", name=f"stage {grp} {d}")
        if W["power"]:
            add_obj(used[d], W["power"] * p.idle_power_w / sc.span["power"])
            add_obj(se[d], W["power"] * p.power_per_stage_w / sc.span["power"])
    # valid inequalities: the powered devices must hold the whole demand (bin-packing bound)
    need_sram = sum(t.sram_bits + t.dispatch_sram_bits for t in workload.tasks)
    need_tcam = sum(mm.tcam_bits for t in workload.tasks for mm in t.mats)
    if not allow_partial:
        m.add({used[d]: prof[d].sram_bits for d in devs}, need_sram, None, group="sram", name="powered sram")
        if need_tcam:
            m.add({used[d]: prof[d].tcam_bits for d in devs}, need_tcam, None, group="tcam", name="powered tcam")
    for d in devs:
        m.add({se[d]: 1, used[d]: -1}, 0, None, group="stages", name=f"a powered device runs a stage {d}")
    util = None
    if W["throughput"]:
        util = m.int_var(0, UTIL_UNITS, "U")
        pm.util = util
        add_obj(util, W["throughput"] * 100.0 / UTIL_UNITS / sc.span["throughput"])
    for arc, row in arc_load.items():
        cap = topology.link(*arc).bandwidth_gbps * 1000.0
        # loads in Mbit/s scaled to integers (kbit/s)
        terms = {v: int(round(1000 * c)) for v, c in row.items()}
        m.add(terms, None, int(cap * 1000), group="bandwidth", name=f"bw {arc}")
        if util is not None:
            m.add({**terms, util: -int(round(cap * 1000 / UTIL_UNITS))}, None, 0, group="bandwidth", name=f"U {arc}")
    if W["resources"]:
        offset += W["resources"] * (100.0 * sum(t.sram_bits for t in workload.tasks) / cap_total - sc.lo["resources"]) / sc.span["resources"]
    if W["coordination"] and total_bits:
        for c, bits in cross_vars:
            add_obj(c, W["coordination"] * 100.0 * bits / total_bits / sc.span["coordination"])
    if W["coverage"] and allow_partial:
        for pv in placed_vars:
            add_obj(pv, -W["coverage"] * 100.0 / n_tasks / sc.span["coverage"])
        offset += W["coverage"]
    offset -= W["latency"] * sc.lo["latency"] / sc.span["latency"] if W["latency"] else 0.0
    offset -= W["hops"] * sc.lo["hops"] / sc.span["hops"] if W["hops"] else 0.0
    offset -= W["power"] * sc.lo["power"] / sc.span["power"] if W["power"] else 0.0
    for var, val in obj.items():
        m.objective[var] = int(round(val * RESOLUTION))
    pm.exact_objective = dict(obj)
    pm.norm_offset = -offset
    return pm
