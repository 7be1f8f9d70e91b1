"""Large-neighbourhood search over whole tasks whose every step solves a *small* CP-SAT model.

WHY: the relax-and-fix round (CP-SAT with the powered switches fixed) ends 3-7 % apart between
runs on Abilene[8] / 60 tasks (seeds 3 and 4). An LNS that re-solved the whole 25k-variable
model with most tasks fixed by their domains was tried (README, "a whole-task LNS ... tried and
not kept"): each step paid for loading and presolving the whole model (0.4-1.5 s), so 15 s bought
10-17 steps. Here a step builds a model of only the freed tasks' variables and the shared ones
(``used``, stage ends, the bottleneck): every other task is fixed at the incumbent and enters as
constants - residual capacities in the device, stage, window and link rows it shares with the
freed tasks, lower bounds on the stage ends from its own rows, a constant in the objective. The
sub-model's objective plus that constant *is* the full model's objective, and a step's solution
becomes a candidate only after the evaluator, the stage schedule and the feasibility checker (the
caller's ``price``) say it is a valid plan cheaper than the incumbent.

The model is read generically (``MilpModel`` rows), so any row the caller adds (the relax-and-fix
round's window rows, stage cuts) is respected: rows are classified once by the tasks whose
variables they hold (one task, several, none).
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from typing import Callable, Mapping

from experts.milp_model import MilpModel
from experts.milp_paths import PathModel
from omniplan.plan import task_pipeline_ends

#: Tasks freed per step at the start, the least and the most; grown by one after a step solved to
#: optimality within half its time, shrunk by one after a step cut short.
START_TASKS = 8
MIN_TASKS = 5
MAX_TASKS = 24
#: Seconds one step may take at most (a step cut short still offers its best solution).
STEP_S = 0.3
#: Solutions of a step offered to ``price`` in turn (the best first) until one is a valid, cheaper
#: plan: the sub-model's optimum may not pack into stages, and a deterministic step would then
#: offer the same one every time its tasks are freed.
STEP_POOL = 4
#: Neighbourhoods, tried in turn: the tasks ending deepest on one powered switch (its stage end can
#: come down) with as many from anywhere, the tasks on two switches (tasks swap between them), on one loaded link, the tasks the
#: objective prices highest, and tasks drawn at random.
KINDS = ("device", "two_devices", "link", "priced", "random")
#: An open row end for CP-SAT (its domains are 64-bit integers).
BIG = 2**62
#: CP-SAT parameters of a step: one presolve pass without probing or symmetry, no LP. On Abilene[8]
#: / 60 tasks (8 freed tasks, ~4k variables, ~15k rows, 0.3 s steps) full presolve ate the step (1 of
#: 10 returned a solution); from the same start, 10 s of steps ended at 0.0943 with this, 0.0998 and
#: 0.0951 with no presolve at all, 0.1024 with no presolve and the default LP (seed 4, one run each,
#: load ~5: differences of this size are within run-to-run noise).
SUB_PARAMS = {"max_presolve_iterations": 1, "cp_model_probing_level": 0, "symmetry_level": 0, "linearization_level": 0}


@dataclass(frozen=True)
class LnsOptions:
    """How the search runs, e.g. ``LnsOptions(start_tasks=8, step_s=0.5, seed=0)``."""

    start_tasks: int = START_TASKS
    step_s: float = STEP_S
    seed: int = 0


def task_variables(pm: PathModel) -> dict[str, list[int]]:
    """Every variable of ``pm`` that belongs to one task: its walk choice, layout, hosts, crossings."""
    out: dict[str, list[int]] = {t.name: [] for t in pm.workload.tasks}
    for (task, _k), v in pm.p.items():
        out[task].append(v)
    for (mid, _k, _j), v in pm.y.items():
        out[mid.split("/", 1)[0]].append(v)
    for (task, _d), v in pm.z.items():
        out[task].append(v)
    for (task, _a, _b), v in pm.cross.items():
        out[task].append(v)
    for task, v in pm.placed.items():
        out[task].append(v)
    return out


class TaskLNS:
    """The search on ``model`` (``pm.model`` or a copy with rows and variables added, e.g. the
    relax-and-fix round's), from the complete feasible assignment ``values``.

    ``price(values)`` -> the evaluator's cost of the plan those values describe, or None when the
    plan fails the stage schedule or the checker: the only judge of a step's solution.
    """

    def __init__(self, pm: PathModel, model: MilpModel, values: Mapping[int, int],
                 price: Callable[[dict[int, int]], float | None], options: LnsOptions = LnsOptions()):
        if any(c.enforce for c in model.constraints):
            raise ValueError("TaskLNS reads linear rows only (the model has enforced rows)")
        self.pm, self.model, self.price, self.options = pm, model, price, options
        self._take_start(values)
        owned = task_variables(pm)
        self.owner: dict[int, str] = {v: t for t, vs in owned.items() for v in vs}
        occ: dict[int, list[int]] = {}
        for ci, c in enumerate(model.constraints):
            for v in c.terms:
                occ.setdefault(v, []).append(ci)
        self._adopt_added_variables(occ)
        self.task_vars: dict[str, list[int]] = {t: [] for t in owned}
        for v, t in self.owner.items():
            self.task_vars[t].append(v)
        self.shared = [v.index for v in model.vars if v.index not in self.owner]
        shared = set(self.shared)
        #: rows by the tasks they hold: one task (by task), several (multi), none (shared only)
        self.single: dict[str, list[int]] = {t: [] for t in owned}
        self.multi: list[int] = []
        self.plain: list[int] = []
        self.row_tasks: list[tuple[str, ...]] = []
        self.row_shared: list[dict[int, int]] = []
        for ci, c in enumerate(model.constraints):
            tasks = tuple(dict.fromkeys(self.owner[v] for v in c.terms if v in self.owner))
            self.row_tasks.append(tasks)
            self.row_shared.append({v: k for v, k in c.terms.items() if v in shared})
            if not tasks:
                self.plain.append(ci)
            elif len(tasks) == 1:
                self.single[tasks[0]].append(ci)
            else:
                self.multi.append(ci)
        self.occ = occ
        #: per multi row, each task's share of its value at the incumbent
        self.partial: dict[int, dict[str, int]] = {}
        #: per task: the bounds its fixed rows put on each shared variable, and its rows with two
        #: or more shared variables (kept as rows, with the task's share as a constant)
        self.implied: dict[str, dict[int, tuple[int, int]]] = {}
        self.wide: dict[str, list[tuple[int, int]]] = {}
        self._refresh(list(owned))
        self.steps = self.accepted = self.solved = 0
        self.kinds: dict[str, list[int]] = {k: [0, 0] for k in KINDS}

    def restart(self, values: Mapping[int, int]) -> None:
        """Go on from ``values`` (a complete assignment of ``model`` that ``price`` accepts), keeping
        the row index: the index is most of the set-up (~1-2 s on Abilene[8] / 60 tasks under
        load), so it can be built beside another search from an earlier start. ValueError when
        ``price`` rejects ``values``."""
        self._take_start(values)
        self.partial = {}
        self._refresh(sorted(self.task_vars))

    def _take_start(self, values: Mapping[int, int]) -> None:
        """Make ``values`` (every variable of the model) the incumbent and the start, priced by ``price``;
        ValueError when ``price`` rejects it (the checker or the stage schedule)."""
        full = {i: int(values[i]) for i in range(len(self.model.vars))}
        cost = self.price(full)
        if cost is None:
            raise ValueError("TaskLNS needs a valid start")
        self.values, self.cost, self.start_cost = full, cost, cost

    def _adopt_added_variables(self, occ: dict[int, list[int]]) -> None:
        """Variables the caller added to ``pm``'s (e.g. window booleans ``e1[t/m,d]``) belong to the
        task whose variables they share a single-task row with; ``pm``'s own ``used``, stage ends
        and bottleneck stay shared."""
        rows = self.model.constraints
        for var in self.model.vars[len(self.pm.model.vars):]:
            v = var.index
            for ci in occ.get(v, ()):
                tasks = {self.owner[u] for u in rows[ci].terms if u in self.owner}
                if len(tasks) == 1:
                    self.owner[v] = tasks.pop()
                    break

    def _share(self, ci: int, task: str) -> int:
        return sum(k * self.values[v] for v, k in self.model.constraints[ci].terms.items() if self.owner.get(v) == task)

    def _refresh(self, tasks: list[str]) -> None:
        """Re-read the constants that depend on ``tasks``' incumbent values."""
        rows = self.model.constraints
        for t in tasks:
            bounds: dict[int, tuple[int, int]] = {}
            wide = []
            for ci in self.single[t]:
                sh = self.row_shared[ci]
                if not sh:
                    continue
                a = self._share(ci, t)
                if len(sh) > 1:
                    wide.append((ci, a))
                    continue
                (s, k), = sh.items()
                lo, hi = _implied_bounds(rows[ci].lo, rows[ci].hi, a, k)
                old = bounds.get(s, (-BIG, BIG))
                bounds[s] = (max(old[0], lo), min(old[1], hi))
            self.implied[t] = bounds
            self.wide[t] = wide
        moved = set(tasks)
        for ci in self.multi:
            if ci in self.partial and moved.isdisjoint(self.row_tasks[ci]):
                continue
            part: dict[str, int] = {}
            for v, k in rows[ci].terms.items():
                t = self.owner.get(v)
                if t is not None:
                    part[t] = part.get(t, 0) + k * self.values[v]
            self.partial[ci] = part

    # ------------------------------------------------------------------ neighbourhoods
    def _hosts(self) -> dict[str, dict[str, int]]:
        """device -> task -> where the task's last MAT there ends in the device's stage schedule."""
        from experts.stage_schedule import schedule_stages

        placement = self.pm.placement_from(self.values)
        return task_pipeline_ends(self.pm.workload.tasks, placement,
                                  schedule_stages(self.pm.workload, self.pm.topology, placement))

    def _choose(self, rng: random.Random, kind: str, size: int) -> set[str]:
        tasks = sorted(self.task_vars)
        size = min(size, len(tasks))
        hosts = self._hosts() if kind in ("device", "two_devices") else {}
        if kind == "device" and hosts:
            # the tasks that end deepest in one switch's pipeline (its stage end can come down
            # only when they move or re-pack), half the step; the other half from anywhere
            on = hosts[rng.choice(sorted(hosts))]
            deep = sorted(on, key=lambda t: (-on[t], t))[:max(1, size // 2)]
            rest = [t for t in tasks if t not in deep]
            return set(deep) | set(rng.sample(rest, min(len(rest), size - len(deep))))
        elif kind == "two_devices" and len(hosts) >= 2:
            a, b = rng.sample(sorted(hosts), 2)
            pool = sorted(set(hosts[a]) | set(hosts[b]))
        elif kind == "link":
            by_arc: dict[tuple[str, str], list[str]] = {}
            for (t, k), v in self.pm.p.items():
                if self.values[v]:
                    walk = self.pm.cands[t][k]
                    for arc in zip(walk, walk[1:]):
                        by_arc.setdefault(arc, []).append(t)
            pool = by_arc[rng.choice(sorted(by_arc))] if by_arc else tasks
        elif kind == "priced":
            obj = self.model.objective
            price = {t: sum(obj.get(v, 0) * self.values[v] for v in vs) for t, vs in self.task_vars.items()}
            pool = sorted(tasks, key=lambda t: -price[t])[:2 * size]
        else:
            pool = tasks
        free = set(rng.sample(pool, min(len(pool), size)))
        if len(free) < size:
            free |= set(rng.sample([t for t in tasks if t not in free], size - len(free)))
        return free

    # ------------------------------------------------------------------ one step
    def sub_model(self, free: set[str]):
        """The CP-SAT model of the freed tasks' and the shared variables, the rest as constants;
        returns (model, its variables in order, objective constant)."""
        from ortools.sat.python import cp_model

        model, values = self.model, self.values
        fvars = [v for t in sorted(free) for v in self.task_vars[t]] + self.shared
        col = {v: i for i, v in enumerate(fvars)}
        cp = cp_model.CpModel()
        proto = cp.Proto()
        fixed = [t for t in self.task_vars if t not in free]
        for v in fvars:
            var = model.vars[v]
            lo, hi = var.lb, var.ub
            if v not in self.owner:
                for t in fixed:
                    b = self.implied[t].get(v)
                    if b is not None:
                        lo, hi = max(lo, b[0]), min(hi, b[1])
                if lo > hi:
                    return None, fvars, 0
            x = proto.variables.add()
            x.domain.extend([lo, hi])
        rows: dict[int, dict[int, int]] = {}
        for t in free:
            for v in self.task_vars[t]:
                for ci in self.occ.get(v, ()):
                    rows.setdefault(ci, {})[v] = model.constraints[ci].terms[v]
        consts: dict[int, int] = {}
        for ci in self.multi:
            consts[ci] = sum(a for t, a in self.partial[ci].items() if t not in free)
            if ci not in rows and self.row_shared[ci]:
                rows[ci] = {}
        for ci in self.plain:
            rows[ci] = {}
        for t in fixed:
            for ci, a in self.wide[t]:
                rows[ci], consts[ci] = {}, a
        for ci, terms in rows.items():
            c = model.constraints[ci]
            terms = {**terms, **self.row_shared[ci]}
            if not terms:
                continue
            a = consts.get(ci, 0)
            ct = proto.constraints.add()
            ct.linear.vars.extend([col[v] for v in terms])
            ct.linear.coeffs.extend(list(terms.values()))
            ct.linear.domain.extend([-BIG if c.lo is None else c.lo - a, BIG if c.hi is None else c.hi - a])
        obj = model.objective
        const = model.objective_value(values) - sum(obj.get(v, 0) * values[v] for v in fvars)
        used = [v for v in fvars if obj.get(v, 0)]
        proto.objective.vars.extend([col[v] for v in used])
        proto.objective.coeffs.extend([obj[v] for v in used])
        proto.solution_hint.vars.extend(range(len(fvars)))
        proto.solution_hint.values.extend([values[v] for v in fvars])
        return cp, fvars, const

    def step(self, free: set[str], time_limit_s: float) -> tuple[str, bool]:
        """Re-solve ``free``; returns (CP-SAT status, whether the incumbent changed)."""
        from ortools.sat.python import cp_model

        cp, fvars, _const = self.sub_model(free)
        self.steps += 1
        if cp is None:
            return "INFEASIBLE", False
        solver = cp_model.CpSolver()
        p = solver.parameters
        p.max_time_in_seconds = max(0.01, time_limit_s)
        p.num_workers = 1
        p.random_seed = self.options.seed + self.steps
        for key, value in SUB_PARAMS.items():
            setattr(p, key, value)
        p.fill_additional_solutions_in_response = True
        p.solution_pool_size = STEP_POOL
        code = solver.Solve(cp)
        status = solver.StatusName(code)
        if status not in ("OPTIMAL", "FEASIBLE"):
            return status, False
        self.solved += 1
        response = solver.ResponseProto()
        seen: list[list[int]] = []
        for sol in [response.solution, *(s.values for s in response.additional_solutions)]:
            sol = list(sol)
            if len(sol) != len(fvars) or sol in seen:
                continue
            seen.append(sol)
            cand = dict(self.values)
            cand.update({v: int(x) for v, x in zip(fvars, sol)})
            if cand == self.values:
                continue
            cost = self.price(cand)
            if cost is not None and cost < self.cost - 1e-12:
                self.values, self.cost = cand, cost
                self.accepted += 1
                self._refresh(sorted(free))
                return status, True
        return status, False

    def run(self, time_limit_s: float, stop: Callable[[], bool] = lambda: False) -> dict:
        """Steps until ``time_limit_s`` seconds pass; returns the report (the result is ``values``)."""
        t0 = time.perf_counter()
        rng = random.Random(self.options.seed)
        size = self.options.start_tasks
        while not stop():
            left = time_limit_s - (time.perf_counter() - t0)
            if left < 0.05:
                break
            kind = KINDS[self.steps % len(KINDS)]
            free = self._choose(rng, kind, size)
            step_s = min(self.options.step_s, left)
            ts = time.perf_counter()
            status, better = self.step(free, step_s)
            self.kinds[kind][0] += 1
            self.kinds[kind][1] += int(better)
            took = time.perf_counter() - ts
            if status == "OPTIMAL" and took < 0.5 * step_s:
                size = min(MAX_TASKS, size + 1)
            elif status != "OPTIMAL":
                size = max(MIN_TASKS, size - 1)
        return {"steps": self.steps, "solved": self.solved, "accepted": self.accepted, "tasks_freed": size,
                "s": round(time.perf_counter() - t0, 2), "cost_before": round(self.start_cost, 6),
                "cost_after": round(self.cost, 6), "by_kind": {k: v for k, v in self.kinds.items() if v[0]}}


def _implied_bounds(lo: int | None, hi: int | None, a: int, k: int) -> tuple[int, int]:
    """The integer s with ``lo <= a + k s <= hi`` (k != 0): s in [ceil, floor] of the row's ends."""
    ends = ((lo, hi) if k > 0 else (hi, lo))
    low = -BIG if ends[0] is None else -((a - ends[0]) // k)  # ceil((end - a) / k)
    high = BIG if ends[1] is None else (ends[1] - a) // k
    return low, high
