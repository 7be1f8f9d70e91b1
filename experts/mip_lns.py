"""Large-neighbourhood search over whole tasks for the relax-and-fix round of the MIP.

WHY: with the powered switches fixed, the relax-and-fix round's CP-SAT search (one max-LP worker
and CP-SAT's own LNS) moved by ~3 % between runs on Abilene[8] / 60 tasks (seed 3: 0.0981 in
one run, 0.1106 in the next, from the same start and the same 15 s): its generic neighbourhoods
free variables, not tasks, so a move that relocates a task's whole pipeline to another switch is
rarely one of them. Here every step frees a few *whole tasks* (all their walk, placement, host and
crossing variables) and keeps every other task where the incumbent has it; the shared variables
(stage ends, the window rows' booleans, the bottleneck) stay free, so freeing the tasks that hold
a switch's deepest stage lets its stage end - the power term that decides uniform-weight plans -
come down. Each sub-problem is small enough for CP-SAT to solve in a fraction of a second.

The CP-SAT model is built once; each step only changes variable domains and the hint in its proto.
A step's solution replaces the incumbent only when it is cheaper and ``accept`` (the caller's
stage-schedule check) takes it, so every incumbent is a plan the caller could return.
"""

from __future__ import annotations

import random
import time
from typing import Callable, Mapping

from experts.milp_backends import build_cpsat, tuned_cpsat_params
from experts.milp_model import MilpModel
from experts.milp_paths import PathModel

#: Tasks freed per step at the start; grown by LNS_GROW after a step solved to optimality in under
#: half its time, shrunk after one cut short (sub-problems stay solvable within a step).
LNS_START_TASKS = 10
LNS_GROW = 2
LNS_MIN_TASKS = 4
#: Seconds one step may take at most (a step cut short still returns its best solution).
LNS_STEP_S = 1.5
#: CP-SAT workers per step: one. Each step's sub-problem is small and most of its time is presolve,
#: so on the 2-core machine one worker made more steps (17 vs 12 in 15 s) and ended lower on
#: Abilene[8] / 60 tasks seeds 3 and 4 (0.0976 vs 0.0980, 0.0942 vs 0.0961, single runs).
LNS_WORKERS = 1


def task_variables(pm: PathModel) -> dict[str, list[int]]:
    """Every variable that belongs to one task: its walk choice, MAT layout, hosts and crossings."""
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


def improve_by_tasks(pm: PathModel, model: MilpModel, values: Mapping[int, int], time_limit_s: float, *,
                     seed: int = 0,
                     accept: Callable[[dict[int, int]], bool] = lambda _v: True) -> tuple[dict[int, int], dict]:
    """Improve the solution ``values`` of ``model`` (a relax-and-fix model: ``pm``'s variables
    first, rows added) by re-solving a few whole tasks at a time for ``time_limit_s`` seconds.
    Returns the best accepted values and a report (steps, improvements, objective before/after)."""
    from ortools.sat.python import cp_model

    t0 = time.perf_counter()
    rng = random.Random(seed)
    cp, xs = build_cpsat(model)
    proto = cp.Proto()
    owned = task_variables(pm)
    tasks = sorted(owned)
    domains = {v: list(proto.variables[v].domain) for vs in owned.values() for v in vs}
    incumbent = dict(values)
    best = float(model.objective_value(incumbent))
    start = best
    size = LNS_START_TASKS
    steps = improved = 0
    build_s = time.perf_counter() - t0
    params = tuned_cpsat_params(LNS_WORKERS)
    while True:
        left = time_limit_s - (time.perf_counter() - t0)
        if left < 0.2:
            break
        hosts = pm.placement_from(incumbent)
        by_device: dict[str, list[str]] = {}
        for mid, d in hosts.items():
            task = mid.split("/", 1)[0]
            if task not in by_device.setdefault(d, []):
                by_device[d].append(task)
        if steps % 2 and by_device:
            # the tasks of one switch (its stage end can come down) and a few from elsewhere
            pool = by_device[rng.choice(sorted(by_device))]
            free = set(rng.sample(pool, min(len(pool), size)))
            free |= set(rng.sample(tasks, min(len(tasks), max(1, size // 3))))
        else:
            free = set(rng.sample(tasks, min(len(tasks), size)))
        for task, vs in owned.items():
            for v in vs:
                dom = proto.variables[v].domain
                dom.clear()
                dom.extend(domains[v] if task in free else (incumbent.get(v, 0), incumbent.get(v, 0)))
        proto.solution_hint.vars.clear()
        proto.solution_hint.values.clear()
        proto.solution_hint.vars.extend(list(incumbent))
        proto.solution_hint.values.extend(list(incumbent.values()))
        solver = cp_model.CpSolver()
        p = solver.parameters
        step_s = min(LNS_STEP_S, left)
        p.max_time_in_seconds = step_s
        p.num_workers = max(1, LNS_WORKERS)
        p.random_seed = int(seed) + steps
        for key, value in params.items():
            field_value = getattr(p, key)
            if hasattr(field_value, "extend"):
                field_value.extend(value)
            else:
                setattr(p, key, value)
        code = solver.Solve(cp)
        steps += 1
        status = solver.StatusName(code)
        if status in ("OPTIMAL", "FEASIBLE"):
            obj = float(solver.ObjectiveValue())
            if obj < best - 0.5:
                cand = {i: int(solver.Value(x)) for i, x in enumerate(xs)}
                if accept(cand):
                    incumbent, best = cand, obj
                    improved += 1
        if status == "OPTIMAL" and solver.WallTime() < 0.5 * step_s:
            size = min(len(tasks), size + LNS_GROW)
        elif status != "OPTIMAL":
            size = max(LNS_MIN_TASKS, size - LNS_GROW)
    report = {"steps": steps, "improved": improved, "tasks_freed": size, "s": round(time.perf_counter() - t0, 2),
              "objective_before": start, "objective_after": best,
              "build_s": round(build_s, 2)}
    return incumbent, report
