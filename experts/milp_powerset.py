"""The powered-set relaxation of the candidate-walk MIP: a small exact MIP over which switches are
powered and which walk each task takes, with MAT placement relaxed to fractions.

WHY: on Abilene[8] / 60 tasks (uniform weights) the full model's LP spreads every MAT over all the
switches of its walks, so each ``used[d]`` sits near 1/|walk| and power - the term that decides the
plan - is bounded by a fraction of the switches a plan really powers (CP-SAT's bound after 30 s:
0.052-0.071, normalised). The combinatorial core of the problem is small: 8 ``used`` booleans and
one walk per task. This model keeps exactly those integral and relaxes the rest:

* ``used[d]`` binary, ``se[d]`` integer stage end (both as in the full model, same objective terms);
* ``p[t,k]`` binary: task t takes candidate walk k (the full model's candidates, same latency and
  hops coefficients);
* ``f[t,d,r]`` continuous in [0, 1]: the share of task t's resource r (SRAM + dispatch, TCAM,
  entries) held on device d; sum_d f = 1, f <= sum of p over the walks through d, f <= used[d]
  (a device holds nothing unpowered - the disaggregated facility-location rows);
* capacity: sum_t f x demand <= capacity x used[d]; stage end: se[d] x one stage's capacity >= load
  (first-fit puts at most a stage's capacity in a stage), se[d] >= used[d];
* bottleneck: every arc's packet load (rate x packet bits over the chosen walks; metadata >= 0 is
  left out) <= U x capacity, and <= capacity.

Every plan of the full model maps to a solution of this one with an objective no larger (it drops
resources' extra dispatch tables, coordination, metadata and per-stage packing, all >= 0 or only
shrinking the feasible set), so its optimum - or HiGHS's dual bound when time runs out - is a valid
lower bound on the full model's objective *and* on the evaluator's cost of any candidate-walk plan
(the stage rows hold for every first-fit schedule). Solved by HiGHS in about a second on 8 devices.

Its solution also says where to look: ``construct_plan`` places whole tasks (split along the walk
when no single powered switch has room) on the powered switches of the relaxation's walks with the
first-fit stage schedule, which gives the full model's CP-SAT search a start an order of magnitude
closer to the optimum than the fast experts' (measured in README "Planning").
"""

from __future__ import annotations

import atexit
import time
import weakref
from dataclasses import dataclass, field
from typing import Iterable, Mapping

import networkx as nx

from experts.milp_paths import RESOLUTION, UTIL_UNITS, PathModel, _add_segments
from experts.stage_schedule import device_jobs, schedule_device, schedule_stages
from omniplan.objectives import OBJECTIVES
from omniplan.plan import Plan, StageBook, StageOverflow, pack_task_stages, pack_whole_task
from omniplan.workload import Task, mat_id, walk_id

#: HiGHS MIP relative gap for the relaxation: far below the 1 % the planner aims for.
RELAX_REL_GAP = 1e-4
#: HiGHS MIP relative gap with the switches fixed (``solve_set``): these solves close in the same
#: 0.2-0.8 s at 1e-6 as at 1e-4 on Abilene[8] / 60 tasks, and 1e-4 of HiGHS's objective (which
#: carries the normalisation offset, ~0.3) is 3e-5 normalised, a third of the gap left on seed 1.
FIXED_SET_REL_GAP = 1e-6
#: Taken off the relaxation's dual bound (normalised units): HiGHS works in floating point with
#: 1e-7 feasibility tolerances, so its bound may sit a hair above the exact one; a plan is called
#: OPTIMAL only when a bound *proves* it, so the bound stays on the safe side.
BOUND_SLACK = 1e-6
#: Plans from ``explore`` handed on as warm starts (each costs the MIP a hint check).
KEEP_PLANS = 4
#: Up to this many switches, each powered set is also tried with every other switch added.
MAX_DEVICES_PLUS_ONE = 16
#: Seconds ``SetwiseBound.result`` waits after asking HiGHS to stop: it checks its interrupt
#: between nodes and LP iterations, well within this.
CANCEL_WAIT_S = 0.5
#: Seconds the interpreter's exit waits for a background proof still inside HiGHS (stopped, it
#: returns at its next interrupt check): a HiGHS thread still running when Python finalises aborts
#: the process ("terminate called without an active exception", rc 134, output still buffered
#: lost: main's seed-4 run in README round i13o), which a plan already returned must not cost.
EXIT_WAIT_S = 10.0
#: Least seconds a W(S) solve in ``explore`` gets, even past its share: W decides which set the
#: relax-and-fix round fixes (``best_set`` takes finished W only), and on Abilene[8] / 60 tasks
#: seed 4 under load (~4) the plain solves left the optimum's set 0.056 s (W cut short), so the
#: round fixed a set 2.6 % worse (W 0.0934 vs 0.0910); 1.0 s still cut it (load ~4). A W
#: solve takes 0.2-2.4 s there.
MIN_W_S = 2.0


@dataclass
class PoweredSetSolution:
    """One solve of the relaxation: its bound (normalised units) and, when found, its plan outline."""

    bound: float
    status: str
    powered: tuple[str, ...] = ()
    walks: dict[str, list[str]] = field(default_factory=dict)
    value: float | None = None
    time_s: float = 0.0
    #: the solution's value per objective (weighted, normalised): which term the bound holds up
    terms: dict[str, float] = field(default_factory=dict)


class PoweredSetRelaxation:
    """The relaxation built once from a ``PathModel`` (its candidates and objective coefficients),
    re-solvable with no-good cuts on powered sets already explored."""

    def __init__(self, pm: PathModel, *, windows: bool = False):
        """``windows``: also the stage-window rows (``_feeding_demand``): a tighter bound, a
        slower solve (3-10 s instead of 1-3 s on Abilene[8] / 60 tasks), so only solved when the
        search leaves time for it."""
        import highspy

        self.pm = pm
        self.h = highspy.Highs()
        h = self.h
        h.setOptionValue("output_flag", False)
        h.setOptionValue("mip_rel_gap", RELAX_REL_GAP)
        h.setOptionValue("threads", 1)
        integer, cont = highspy.HighsVarType.kInteger, highspy.HighsVarType.kContinuous
        obj = pm.model.objective
        wl, topo = pm.workload, pm.topology
        prof = {d.name: d.profile for d in topo.devices}
        self.devices = [d.name for d in topo.devices]

        exact = pm.exact_objective

        def coef(var_index: int | None) -> float:
            # the unrounded coefficients: the bound is then the exact model's, not the rounded one's
            if var_index is None:
                return 0.0
            return exact[var_index] if var_index in exact else obj.get(var_index, 0) / RESOLUTION

        # the full model's own objective coefficients, so the relaxation prices every term alike
        self.used = {d: h.addVariable(lb=0, ub=1, obj=coef(pm.used[d]), type=integer) for d in self.devices}
        self.se = {d: h.addVariable(lb=0, ub=prof[d].stages, obj=coef(pm.se[d]), type=integer) for d in self.devices}
        u_coef = coef(pm.util) * UTIL_UNITS if pm.util is not None else 0.0
        self.u = h.addVariable(lb=0, ub=1, obj=u_coef, type=cont)
        self.p: dict[tuple[str, int], object] = {}
        #: (variable, price, objective) of the dispatch-table and split terms (windows only)
        self._priced: list[tuple[object, float, str]] = []
        #: per (device, resource): the loads of tables feeding a same-device table (windows only)
        fed: dict[tuple[str, int], list[object]] = {}
        arc_terms: dict[tuple[str, str], list[tuple[object, float]]] = {}
        loads = {d: ([], [], []) for d in self.devices}
        for t in wl.tasks:
            walks = pm.cands[t.name]
            through: dict[str, list[object]] = {}
            for k, walk in enumerate(walks):
                v = h.addVariable(lb=0, ub=1, obj=coef(pm.p[(t.name, k)]), type=integer)
                self.p[(t.name, k)] = v
                for d in dict.fromkeys(walk):
                    through.setdefault(d, []).append(v)
                for j in range(len(walk) - 1):
                    arc_terms.setdefault((walk[j], walk[j + 1]), []).append((v, t.rate_mpps * t.packet_bits))
            h.addConstr(sum(self.p[(t.name, k)] for k in range(len(walks))) == 1)
            demand = (t.sram_bits + t.dispatch_sram_bits, sum(m.tcam_bits for m in t.mats),
                      sum(m.entries for m in t.mats))
            hosts: dict[str, object] = {}
            if windows:
                # hosts[d] (z[t,d] of the full model, its dispatch table priced alike) and the
                # whole number of hosts beyond the first, priced at the least coordination it costs
                hosts = {d: h.addVariable(lb=0, ub=1, obj=coef(pm.z.get((t.name, d))), type=cont) for d in through}
                extra = h.addVariable(lb=0, ub=max(0, len(hosts) - 1), obj=_split_price(pm, t, coef), type=integer)
                h.addConstr(sum(hosts.values()) - extra == 1)
                for d, v in hosts.items():
                    # a host is powered and on the task's walk (so a split powers a second switch)
                    h.addConstr(v - self.used[d] <= 0)
                    h.addConstr(v - sum(through[d]) <= 0)
                self._priced += [(v, coef(pm.z.get((t.name, d))), "resources") for d, v in hosts.items()]
                self._priced.append((extra, _split_price(pm, t, coef), "coordination"))
                feeding = _feeding_demand(t)
            for r, need in enumerate(demand):
                if need <= 0:
                    continue
                shares = []
                for d, ps in through.items():
                    f = h.addVariable(lb=0, ub=1, obj=0.0, type=cont)
                    shares.append(f)
                    h.addConstr(f - sum(ps) <= 0)
                    h.addConstr(f - self.used[d] <= 0)
                    # the MATs' part (not the dispatch table) counts towards the stages
                    stage_need = t.sram_bits if r == 0 else need
                    loads[d][r].append((f, need, stage_need))
                    if windows:
                        h.addConstr(f - hosts[d] <= 0)
                        if feeding[r] > 0:
                            # whole on d (f = 1, extra = 0): all its feeding tables; split: nothing
                            load = h.addVariable(lb=0, ub=feeding[r], obj=0.0, type=cont)
                            h.addConstr(load - feeding[r] * f + feeding[r] * extra >= 0)
                            fed.setdefault((d, r), []).append(load)
                h.addConstr(sum(shares) == 1)
        for d in self.devices:
            p = prof[d]
            caps = ((p.sram_bits, p.sram_bits_per_stage), (p.tcam_bits, p.tcam_bits_per_stage),
                    (p.stages * p.entries_per_stage, p.entries_per_stage))
            for r, (cap, per_stage) in enumerate(caps):
                terms = loads[d][r]
                if not terms:
                    continue
                h.addConstr(sum(need * f for f, need, _s in terms) - cap * self.used[d] <= 0)
                if per_stage > 0:
                    h.addConstr(sum(s * f for f, _n, s in terms) - per_stage * self.se[d] <= 0)
                    if fed.get((d, r)):
                        # a table feeding a same-device table never runs in the last stage
                        h.addConstr(sum(fed[(d, r)]) - per_stage * self.se[d] + per_stage * self.used[d] <= 0)
            h.addConstr(self.se[d] - self.used[d] >= 0)
            h.addConstr(self.se[d] - p.stages * self.used[d] <= 0)
        for (a, b), terms in arc_terms.items():
            cap = topo.link(a, b).bandwidth_gbps * 1000.0
            h.addConstr(sum(c / cap * v for v, c in terms) <= 1)
            if u_coef:
                h.addConstr(sum(c / cap * v for v, c in terms) - self.u <= 0)
        # every task holds at least one dispatch table: the cheapest z[t, d] it could pay (with
        # windows the hosts variables price them)
        least_dispatch = 0.0 if windows else sum(
            min((coef(v) for (tn, _d), v in pm.z.items() if tn == t.name), default=0.0) for t in wl.tasks)
        self.offset = -pm.norm_offset + least_dispatch
        self._coef = coef

    def _terms(self, x) -> dict[str, float]:
        """Per-objective split of a solution's value (the offsets are each objective's lo_i)."""
        pm, coef = self.pm, self._coef
        w = dict(zip(OBJECTIVES, pm.weights))
        sc = pm.scales
        power = sum(coef(pm.used[d]) * x[self.used[d].index] + coef(pm.se[d]) * x[self.se[d].index] for d in self.devices)
        walk = sum(coef(pm.p[key]) * x[v.index] for key, v in self.p.items())
        lo = {o: (w[o] * sc.lo[o] / sc.span[o] if w[o] else 0.0) for o in ("power", "latency", "hops")}
        thr = coef(pm.util) * UTIL_UNITS * x[self.u.index] if pm.util is not None else 0.0
        priced = {o: sum(c * x[v.index] for v, c, oo in self._priced if oo == o) for o in ("resources", "coordination")}
        return {"power": round(power - lo["power"], 6), "latency+hops": round(walk - lo["latency"] - lo["hops"], 6),
                "throughput": round(thr, 6),
                "resources": round(self.offset + sum(lo.values()) + priced["resources"], 6),
                "coordination": round(priced["coordination"], 6)}

    def exclude(self, powered: Iterable[str]) -> None:
        """A no-good cut: the next solve powers a different set of switches."""
        on = set(powered)
        self.h.addConstr(sum(self.used[d] for d in self.devices if d not in on)
                         - sum(self.used[d] for d in self.devices if d in on) >= 1 - len(on))

    def solve_set(self, powered: Iterable[str], time_limit_s: float) -> PoweredSetSolution:
        """Solve with exactly ``powered`` switched on (the others off): a bound on every plan that
        powers exactly that set (each such plan maps to a solution with ``used`` = its set)."""
        on = set(powered)
        for d in self.devices:
            self.h.changeColBounds(self.used[d].index, int(d in on), int(d in on))
        self.h.setOptionValue("mip_rel_gap", FIXED_SET_REL_GAP)
        return self.solve(time_limit_s)

    def solve(self, time_limit_s: float) -> PoweredSetSolution:
        import highspy

        h = self.h
        h.setOptionValue("time_limit", max(0.05, float(time_limit_s)))
        t0 = time.perf_counter()
        h.run()
        info = h.getInfo()
        status = h.modelStatusToString(h.getModelStatus())
        infeasible = h.getModelStatus() == highspy.HighsModelStatus.kInfeasible
        bound = float("inf") if infeasible else info.mip_dual_bound + self.offset
        out = PoweredSetSolution(bound=bound, status=status, time_s=time.perf_counter() - t0)
        if info.primal_solution_status == 2 and not infeasible:
            x = h.getSolution().col_value
            out.value = info.objective_function_value + self.offset
            out.powered = tuple(d for d in self.devices if x[self.used[d].index] > 0.5)
            for t in self.pm.workload.tasks:
                walks = self.pm.cands[t.name]
                k = max(range(len(walks)), key=lambda k: x[self.p[(t.name, k)].index])
                out.walks[t.name] = list(walks[k])
            out.terms = self._terms(x)
        return out


def _feeding_demand(task: Task) -> tuple[int, int, int]:
    """SRAM, TCAM and entries of the task's tables that feed another of its tables: when the task
    is whole on one device, none of them can run in the device's last stage."""
    feeding = {d.src for d in task.deps}
    mats = [m for m in task.mats if m.name in feeding]
    return (sum(m.sram_bits for m in mats), sum(m.tcam_bits for m in mats), sum(m.entries for m in mats))


def _split_price(pm: PathModel, task: Task, coef) -> float:
    """The least coordination cost of each host beyond a task's first: a weakly connected DAG
    split over h devices crosses at least h - 1 dependencies, each priced at least the task's
    cheapest crossing (0 when coordination is not weighted or a dependency carries no bits)."""
    if not task.deps or not nx.is_weakly_connected(task.graph()):
        return 0.0
    return max(0.0, min(coef(pm.cross.get((task.name, d.src, d.dst))) for d in task.deps))


def _place_task(book: StageBook, task: Task, walk: list[str], powered: set[str]) -> dict[str, tuple[str, int]] | None:
    """Task ``task``'s MATs on the powered switches of ``walk`` (first-fit stages, charged to
    ``book``): whole on the one switch whose pipeline grows least, else split in walk order."""
    g = task.graph()
    order = list(nx.topological_sort(g))
    best = None
    for d in dict.fromkeys(w for w in walk if w in powered):
        mark = book.mark()
        before = book.stage_end(d)
        spot = _fill(book, task, g, order, [d])
        if spot is not None:
            grow = book.stage_end(d) - before
            free = book.min_free(d)
            key = (grow, -free[1], -free[0])
            if best is None or key < best[0]:
                best = (key, d)
        book.rollback(mark)
    if best is not None:
        return _fill(book, task, g, order, [best[1]])
    stops = [w for w in walk if w in powered]
    mark = book.mark()
    spot = _fill(book, task, g, order, stops)
    if spot is None:
        book.rollback(mark)
    return spot


def _repacked(pm: PathModel, scratch: StageBook, placement: Mapping[str, str], task: Task, walk: list[str],
              powered: set[str]) -> tuple[str, dict[str, int]] | None:
    """Task ``task`` whole on the powered switch of ``walk`` where the MATs it already holds and
    the task's together get the earliest-ending schedule of ``schedule_device``: (switch, new
    stages of all its MATs), or None. WHY: first-fit charges tasks one by one and fragments a
    switch's stages; the switch often still takes the task when everything on it is re-packed
    tail-first (measured: the relaxation's own powered set on Abilene[8] seed 1 built no plan
    without this)."""
    best = None
    for d in dict.fromkeys(w for w in walk if w in powered):
        trial = {m: dd for m, dd in placement.items() if dd == d}
        trial.update({mat_id(task.name, m.name): d for m in task.mats})
        starts = schedule_device(scratch, d, device_jobs(pm.workload, trial).get(d, []))
        if starts is None:
            continue
        mats = pm.workload.mats()
        end = max(s + mats[m].stages for m, s in starts.items())
        if best is None or end < best[0]:
            best = (end, d, starts)
    return None if best is None else (best[1], best[2])


def _keep(book: StageBook, task: Task, walk: list[str], placement: Mapping[str, str]) -> dict[str, tuple[str, int]] | None:
    """Task ``task`` as ``placement`` has it, first-fit stages, when every MAT packs (else nothing charged)."""
    hosts = [placement.get(mat_id(task.name, m.name)) for m in task.mats]
    if any(h is None or h not in walk for h in hosts):
        return None
    try:
        stages = pack_task_stages(book, task, placement)
    except StageOverflow:
        return None
    names = {mat_id(task.name, m.name): m.name for m in task.mats}
    return {names[mid]: (placement[mid], start) for mid, start in stages.items()}  # topological order, as charged


def _fill(book: StageBook, task: Task, g: nx.DiGraph, order: list[str], stops: list[str]) -> dict[str, tuple[str, int]] | None:
    """Each MAT at the first stop (not before its predecessors') with a first-fit stage, the same
    rule as ``omniplan.plan.assign_stages`` so that schedule reproduces these stages. One stop is
    the whole task on one switch, ``pack_whole_task``'s question (which charges nothing when the
    task does not fit)."""
    if len(stops) == 1:
        starts = pack_whole_task(book, task, stops[0], order)
        return None if starts is None else {name: (stops[0], start) for name, start in starts.items()}
    pos: dict[str, int] = {}
    end: dict[str, int] = {}
    out: dict[str, tuple[str, int]] = {}
    for name in order:
        m = task.mat(name)
        j = max((pos[p] for p in g.predecessors(name)), default=0)
        while j < len(stops):
            d = stops[j]
            earliest = max((end[p] for p in g.predecessors(name) if out[p][0] == d), default=0)
            s = book.first_fit(d, m, earliest)
            if s is not None:
                book.charge(d, s, m)
                pos[name], end[name], out[name] = j, s + m.stages, (d, s)
                break
            j += 1
        else:
            return None
    return out


def construct_plan(pm: PathModel, powered: Iterable[str], walks: Mapping[str, list[str]], expert: str = "powered-set",
                   placement_hint: Mapping[str, str] | None = None) -> Plan | None:
    """A full plan on the ``powered`` switches along ``walks`` (task -> walk), or None.

    Tasks in workload order, each charged first-fit while it is placed; the finished plan's stages
    are then re-packed by ``schedule_stages`` (which the MIP uses on its solutions too). A task
    that fits no powered switch of its walk tries its other candidate walks, cheapest first (by
    the model's latency and hops coefficients). With ``placement_hint`` (MAT id
    -> device, e.g. a solver plan whose stages do not pack), each task keeps that placement when
    it packs and is re-placed as above only when it does not: a repair, not a new plan.
    """
    on = set(powered)
    book = StageBook(pm.topology)
    scratch = StageBook(pm.topology)
    placement: dict[str, str] = {}
    stages: dict[str, int] = {}
    routes: dict[str, list[str]] = {}
    obj = pm.model.objective
    mats = pm.workload.mats()
    for t in pm.workload.tasks:
        cands = pm.cands[t.name]
        first = walks.get(t.name)
        order = sorted(range(len(cands)), key=lambda k: (cands[k] != first, obj.get(pm.p[(t.name, k)], 0)))
        spot, k = None, None
        if placement_hint is not None and first in cands:
            spot, k = _keep(book, t, first, placement_hint), cands.index(first)
        if spot is None:
            for k in order:
                spot = _place_task(book, t, cands[k], on)
                if spot is not None:
                    break
        if spot is None:
            moved = None
            for k in order:
                moved = _repacked(pm, scratch, placement, t, cands[k], on)
                if moved is not None:
                    break
            if moved is None:
                return None
            # the task whole on a switch whose MATs are then re-scheduled tail-first: rebuild the
            # book from the new stages
            device, starts = moved
            for mid, start in starts.items():
                placement[mid], stages[mid] = device, start
            book = StageBook(pm.topology)
            for mid, start in stages.items():
                book.charge(placement[mid], start, mats[mid])
            routes[walk_id(t.name)] = list(cands[k])
            continue
        for name, (d, start) in spot.items():
            placement[mat_id(t.name, name)] = d
            stages[mat_id(t.name, name)] = start
        routes[walk_id(t.name)] = list(cands[k])
    # the same placement, its stages re-packed per device (never ending later than first-fit's)
    plan = Plan(placement=placement, stages=schedule_stages(pm.workload, pm.topology, placement), routes=routes,
                expert=expert)
    _add_segments(pm.workload, pm.topology, plan)
    return plan


class SetwiseBound:
    """The powered-set enumeration and its bound (see ``explore``): the plain relaxation with each
    set it returns excluded in turn and, with ``windows``, W(S) per set. ``step`` runs one plain
    solve (and W of its set); ``continue_in_background`` runs the remaining steps in a thread.

    WHY a thread for the rest: where the proof does not finish in ``explore``'s time (Abilene[8] /
    60 tasks seed 4: 3 plain solves in 10.5 s, bound 0.0898 below the best W 0.0910), the steps left
    need only HiGHS (one thread, GIL released while it solves), so they run beside the relax-and-fix
    round instead of taking its time. Every value ``bound`` takes is a valid bound (each step's dual
    bounds are, also when cut short), so it can be read whenever the caller stops.
    """

    def __init__(self, pm: PathModel, windows: bool):
        import threading

        self.relax = PoweredSetRelaxation(pm)
        self.fixed = PoweredSetRelaxation(pm, windows=True) if windows else None
        self.bound: float | None = None
        self.best_w = float("inf")  # the least W(S) over the sets excluded so far
        #: W(S) of each set excluded (a dual bound where its solve was cut short)
        self.w_of: dict[frozenset[str], float] = {}
        #: the sets whose W solve ended at HiGHS's optimum (the others were cut short: by time, or
        #: on purpose once their dual bound reached the best W of the other sets)
        self.exact: set[frozenset[str]] = set()
        #: what a W solve under way has to reach: past it, that set cannot lower the bound
        self._w_enough = float("inf")
        self._w_seen = -float("inf")  # the dual bound a W solve stopped at (``_w_reached``)
        self.reports: list[dict] = []
        self.done = False  # proven, or no set left
        self._last_plain = -float("inf")  # the last plain solve's dual bound (over the sets not excluded)
        self._stop = threading.Event()
        self._finished = threading.Event()
        self._thread = None
        if self.fixed is not None:
            self.fixed.h.cbMipInterrupt += self._w_reached

    @property
    def devices(self) -> list[str]:
        return self.relax.devices

    @property
    def short(self) -> list[frozenset[str]]:
        """The sets whose W solve was cut short and whose W so far holds the bound down (at or
        below the best W): solving them on can raise the bound; the others cannot."""
        return [s for s, w in self.w_of.items() if s not in self.exact and w <= self.best_w]

    def _w_reached(self, event) -> None:
        """Stop a W solve once its dual bound reaches the best W of the sets solved before.

        WHY: the bound is min(best W, the plain solve's), so a set's W above the best one changes
        nothing; what matters is only that it is at least the best. On Abilene[8] / 60 tasks seed
        4 the third set's W (0.0948, 2.4 s) passes the best W (0.0910) after 0.85 s; the dual
        bound at that moment is a valid bound on every plan powering that set."""
        reached = event.data_out.mip_dual_bound + self.fixed.offset
        if reached >= self._w_enough:
            # (HiGHS's info after an interrupt may say -inf: the bound reached is kept here)
            self._w_seen = max(self._w_seen, reached)
        # set either way: HiGHS keeps the flag from the last solve, which would stop the next one
        # at once (a stop asked by ``stop`` stays asked)
        event.interrupt(self._stop.is_set() or reached >= self._w_enough)

    def step(self, plain_s: float, windowed_s, on_set=None) -> None:
        """One plain solve (``plain_s`` seconds), the bound update, ``on_set(solution, report)``
        (plans), the set's exclusion and W(S) (``windowed_s()`` seconds, asked after ``on_set``)."""
        sol = self.relax.solve(plain_s)
        self._last_plain = sol.bound
        # a valid bound at every step (see ``explore``); an infeasible plain solve: no set left
        if self.bound is None or self.fixed is not None:
            self._raise_bound(sol.bound)
        rep = {"status": sol.status, "bound": round(sol.bound, 6), "powered": list(sol.powered), "s": round(sol.time_s, 3),
               "terms": sol.terms}
        self.reports.append(rep)
        if not sol.powered or (self.fixed is not None and sol.bound >= self.best_w):
            # proven: the windowed optimum (no other set can beat the best W, or no set is left);
            # a plain solve cut short with no solution leaves the bound as it is
            rep["proven"] = self.fixed is not None and (sol.bound >= self.best_w or sol.bound == float("inf"))
            self.done = True
            return
        if on_set is not None:
            on_set(sol, rep)
        self.relax.exclude(sol.powered)
        if self.fixed is not None and not self._stop.is_set():
            wsol = self._solve_w(sol.powered, max(0.05, windowed_s()))
            rep["windowed"] = round(wsol.bound, 6)
            rep["windowed_s"] = round(wsol.time_s, 3)
            rep["windowed_status"] = wsol.status
            self._record_w(frozenset(sol.powered), wsol)

    def _solve_w(self, powered: Iterable[str], time_limit_s: float) -> PoweredSetSolution:
        """W(S) for ``powered``, stopped early once its dual bound reaches the best W so far."""
        key = frozenset(powered)
        self._w_enough = min((w for s, w in self.w_of.items() if s != key), default=float("inf"))
        self._w_seen = -float("inf")
        try:
            sol = self.fixed.solve_set(powered, time_limit_s)
        finally:
            self._w_enough = float("inf")
        if sol.status != "Optimal" and self._w_seen > sol.bound:
            sol.bound = self._w_seen
        return sol

    def _record_w(self, powered: frozenset[str], wsol: PoweredSetSolution) -> None:
        self.w_of[powered] = max(wsol.bound, self.w_of.get(powered, -float("inf")))  # both are bounds for S
        if wsol.status == "Optimal":
            self.exact.add(powered)
        self.best_w = min(self.w_of.values())

    def _redo_short(self, deadline: float) -> None:
        """W(S) again, with the time left, for the sets whose W solve was cut short: on seed 4 one
        got 0.05 s (bound 0.0905, against 0.0910 for the next set), which then capped the bound."""
        for powered in list(self.short):
            if self._stop.is_set() or deadline - time.perf_counter() <= 0.05:
                return
            self._record_w(powered, self._solve_w(powered, deadline - time.perf_counter()))
            # the bound: the last plain solve's dual bound still covers every set not excluded
            self._raise_bound(self._last_plain)

    def _raise_bound(self, plain: float) -> None:
        """Keep the higher of the bound so far and min(best W, ``plain``): ``plain`` is a plain solve's
        dual bound over the sets not excluded (alone without windows), so both are valid bounds."""
        value = min(self.best_w, plain) if self.fixed is not None else plain
        self.bound = max(value - BOUND_SLACK, self.bound if self.bound is not None else -float("inf"))

    def continue_in_background(self, time_limit_s: float) -> None:
        """Run the steps left in a thread for up to ``time_limit_s`` seconds (``result`` stops it)."""
        import threading

        deadline = time.perf_counter() + time_limit_s
        for h in (self.relax.h, self.fixed.h):
            h.cbMipInterrupt += self._interrupt

        def run() -> None:
            try:
                self._redo_short(deadline)
                while not self.done and not self._stop.is_set() and deadline - time.perf_counter() > 0.05:
                    self.step(deadline - time.perf_counter(), lambda: deadline - time.perf_counter())
                    self.reports[-1]["background"] = True
            except Exception as exc:  # noqa: BLE001 - a failed step only loses bound: said in the report
                self.reports.append({"status": f"background step failed: {type(exc).__name__}: {exc}", "powered": []})
            finally:
                self._finished.set()

        self._thread = threading.Thread(target=run, daemon=True, name="setwise-bound")
        self._thread.start()
        _RUNNING.add(self)

    def _interrupt(self, event) -> None:
        if self._stop.is_set():
            event.interrupt()

    def result(self, wait_s: float) -> float | None:
        """The bound, after the background steps end or ``wait_s`` seconds (then stopped: HiGHS
        checks its interrupt between nodes and LP iterations, within ``CANCEL_WAIT_S``)."""
        if self._thread is not None and not self._finished.wait(max(0.0, wait_s)):
            self._stop.set()
            self._finished.wait(CANCEL_WAIT_S)
        return self.bound

    def stop(self) -> None:
        self._stop.set()


#: Background proofs started (weakly held: a finished one is freed as usual), ended at exit.
_RUNNING: "weakref.WeakSet[SetwiseBound]" = weakref.WeakSet()


@atexit.register
def _end_background_proofs() -> None:
    """Stop the background proofs and let HiGHS return before the interpreter finalises (see
    ``EXIT_WAIT_S``)."""
    for proof in list(_RUNNING):
        proof.stop()
    for proof in list(_RUNNING):
        proof._finished.wait(EXIT_WAIT_S)


def explore(pm: PathModel, time_budget_s: float, *, max_sets: int = 12, keep: int = KEEP_PLANS,
            windows_s: float = 0.0, background_s: float = 0.0,
            search: list | None = None) -> tuple[float | None, list[Plan], list[dict]]:
    """Solve the relaxation (its bound), then build plans from its best powered sets in turn.

    Each powered set is tried as it is and with one more switch (the relaxation's capacity is
    fluid, so a set it fills to the brim often needs a detour or one more switch in a real plan;
    measured on Abilene[8] / 60 tasks the best plans power 4-5 switches where the relaxation
    powers 3). Returns (bound or None, the ``keep`` cheapest plans by the evaluator and the plan
    built on the best set (``best_set``), one report per solve). Without windows the bound is the
    first solve's: later solves only exclude powered sets already tried.

    With ``windows_s`` > 0 (and at most ``MAX_DEVICES_PLUS_ONE`` switches) each set S the plain
    relaxation returns is also solved with stage-window rows and the switches fixed to S (``W(S)``,
    ``PoweredSetRelaxation.solve_set``: about a second, where the windowed relaxation over all
    sets took 16-21 s on Abilene[8] / 60 tasks seed 0), and the enumeration goes on for up to
    ``windows_s`` more seconds until the plain relaxation, with every set tried so far excluded,
    bounds the rest above the best W(S). The bound after the k-th plain solve is
    min(W(S_0..S_k-1), P_k): every plan powers either one of the sets tried (>= its W) or another
    (>= P_k, the k-th solve's dual bound over the sets not excluded); the best such value is kept.
    Once P_k >= min W the bound is the windowed relaxation's own optimum (within HiGHS's gaps).
    When it is not proven by then and ``background_s`` > 0, the enumeration goes on in a thread
    for up to that many seconds (``SetwiseBound.continue_in_background``), appended to ``search``:
    its ``result`` gives the bound then.
    """
    from omniplan.evaluate import evaluate

    t0 = time.perf_counter()
    n_devices = len(pm.used)
    proof = SetwiseBound(pm, windows=windows_s > 0 and n_devices <= MAX_DEVICES_PLUS_ONE)
    windowed = proof.fixed is not None
    plans: list[tuple[float, Plan]] = []
    tried: set[frozenset[str]] = set()

    def build(powered: Iterable[str], walks: Mapping[str, list[str]]) -> bool:
        key = frozenset(powered)
        if key in tried:
            return False
        tried.add(key)
        plan = construct_plan(pm, key, walks)
        if plan is None:
            return False
        plans.append((pm.scales.cost(evaluate(plan, pm.workload, pm.topology).objectives, pm.weights), plan))
        return True

    def on_set(sol: PoweredSetSolution, rep: dict) -> None:
        in_budget = len(proof.reports) <= max_sets and time.perf_counter() - t0 < time_budget_s
        if in_budget or windowed:
            # (past the budget too when W(S) may pick this set: the relax-and-fix round needs a
            # plan inside the set to start from; one build is ~0.1 s)
            rep["built"] = build(sol.powered, sol.walks)
        if in_budget and n_devices <= MAX_DEVICES_PLUS_ONE:
            rep["built_plus_one"] = sum(build(set(sol.powered) | {d}, sol.walks)
                                        for d in proof.devices if d not in sol.powered
                                        if time.perf_counter() - t0 < time_budget_s)

    def left() -> float:
        # more sets past the plan budget only to prove the windowed bound (no plus-one plans)
        return time_budget_s + (windows_s if windowed and proof.best_w != float("inf") else 0.0) - (time.perf_counter() - t0)

    while not proof.done and left() > 0.05 and (windowed or len(proof.reports) < max_sets):
        proof.step(left(), lambda: max(MIN_W_S, time_budget_s + windows_s - (time.perf_counter() - t0)), on_set)
    reports = proof.reports
    plans.sort(key=lambda cp: cp[0])
    for rep in reports:
        # a plan powering no switch outside the set: a start for a relax-and-fix round on it
        rep["has_plan"] = any(set(p.placement.values()) <= set(rep["powered"]) for _c, p in plans)
    chosen = best_set(reports)
    first = next((p for _c, p in plans if set(p.placement.values()) <= set(chosen)), None)
    kept = [p for _c, p in plans[:keep]]
    if first is not None and first not in kept:
        # the best set's own plan: the relax-and-fix round starts from it
        kept.append(first)
    if windowed and not proof.done and background_s > 0 and search is not None:
        proof.continue_in_background(background_s)
        search.append(proof)
    return proof.bound, kept, reports


def best_set(reports: list[dict]) -> list[str]:
    """The powered set the relax-and-fix round fixes: among the sets ``explore`` has a plan inside
    (the round starts from it), the one with the least windowed bound W(S) solved to the end (the
    windowed relaxation's own optimum once proven), else the first (plain) solve's.

    WHY only finished W(S) on built sets: on Abilene[8] / 60 tasks seed 4 a W(S) cut short after
    0.05 s (a weak dual bound, 0.0905) picked a set no plan was built on, and CP-SAT found no
    solution inside it in 15 s."""
    windowed = [r for r in reports if r.get("windowed_status") == "Optimal" and r.get("has_plan") and r["powered"]]
    if windowed:
        return min(windowed, key=lambda r: r["windowed"])["powered"]
    return reports[0]["powered"] if reports else []
