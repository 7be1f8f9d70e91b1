"""The task LNS on small sub-models (experts.milp_lns) against the full model, the checker and the evaluator.

What must hold: a step's sub-model is the full model with the fixed tasks substituted - every
solution of it, put back, satisfies every row of the full model, and its objective plus the
constant is the full model's objective; the search only ever keeps a plan the checker accepts and
the evaluator prices below the one it had.
"""

from __future__ import annotations

import itertools
import random

import pytest

from experts.milp_lns import LnsOptions, TaskLNS, _implied_bounds
from experts.milp_paths import build_path_model
from omniplan.evaluate import evaluate
from omniplan.feasibility import check_plan
from omniplan.plan import StageOverflow
from tests.test_mip import _feasible_plans, _line3, _star, _three_tasks_star, _two_tasks


def _case(wl, topo):
    pm = build_path_model(wl, topo, [1.0] * 7)

    def price(values):
        try:
            plan = pm.to_plan(values, "lns")
        except StageOverflow:
            return None  # the stage schedule does not pack it
        if check_plan(plan, wl, topo, require_all=True):
            return None
        return pm.scales.cost(evaluate(plan, wl, topo).objectives, pm.weights)

    # every valid plan whose walks are candidates, as a complete assignment, priced
    starts = []
    for plan in _feasible_plans(wl, topo):
        hint = pm.hint_from_plan(plan)
        if hint is not None and not pm.model.violated(hint) and price(hint) is not None:
            starts.append((price(hint), hint))
    starts.sort(key=lambda s: s[0])
    return pm, price, starts


@pytest.fixture(scope="module")
def star():
    return _case(_three_tasks_star(), _star())


@pytest.fixture(scope="module")
def line():
    return _case(_two_tasks(), _line3())


def test_implied_bounds_round_inwards():
    assert _implied_bounds(2, 10, 1, 3) == (1, 3)  # 2 <= 1 + 3s <= 10
    assert _implied_bounds(2, 10, 1, -3) == (-3, -1)  # 2 <= 1 - 3s <= 10
    assert _implied_bounds(0, None, -5, 2)[0] == 3  # 2s >= 5
    assert _implied_bounds(None, 0, -5, -2)[0] == -2  # -2s <= 5


@pytest.mark.parametrize("case", ["star", "line"])
def test_sub_model_solutions_are_full_model_solutions(case, request):
    from ortools.sat.python import cp_model

    pm, price, starts = request.getfixturevalue(case)
    assert starts
    tasks = [t.name for t in pm.workload.tasks]
    checked = 0
    for _cost, start in (starts[0], starts[len(starts) // 2], starts[-1]):
        lns = TaskLNS(pm, pm.model, start, price)
        for k in range(1, len(tasks) + 1):
            for free in itertools.combinations(tasks, k):
                cp, fvars, const = lns.sub_model(set(free))
                solver = cp_model.CpSolver()
                solver.parameters.num_workers = 1
                solver.parameters.max_time_in_seconds = 10
                assert solver.StatusName(solver.Solve(cp)) == "OPTIMAL"
                sol = solver.ResponseProto().solution
                merged = dict(lns.values)
                merged.update({v: int(sol[i]) for i, v in enumerate(fvars)})
                assert pm.model.violated(merged) == []
                assert pm.model.objective_value(merged) == solver.ObjectiveValue() + const
                # the incumbent is a solution of every sub-model, so a step never loses ground
                assert solver.ObjectiveValue() + const <= pm.model.objective_value(lns.values)
                checked += 1
    assert checked >= 3 * (2 ** len(tasks) - 1)


@pytest.mark.parametrize("case", ["star", "line"])
def test_lns_keeps_a_valid_plan_never_worse_than_its_start(case, request):
    pm, price, starts = request.getfixturevalue(case)
    best = starts[0][0]
    for cost, start in random.Random(0).sample(starts, min(4, len(starts))) + [starts[-1]]:
        lns = TaskLNS(pm, pm.model, start, price, LnsOptions(start_tasks=1, step_s=0.5, seed=1))
        rep = lns.run(1.0)
        assert rep["steps"] > 0 and rep["cost_before"] == pytest.approx(cost, abs=1e-6)
        plan = pm.to_plan(lns.values, "lns")
        assert check_plan(plan, pm.workload, pm.topology, require_all=True) == []
        final = pm.scales.cost(evaluate(plan, pm.workload, pm.topology).objectives, pm.weights)
        assert final == pytest.approx(lns.cost) and best - 1e-12 <= final <= cost + 1e-12
    # from the worst valid plan a second of steps finds a cheaper one
    assert starts[-1][0] > best and rep["accepted"] >= 1 and final < starts[-1][0]


def test_lns_refuses_an_invalid_start(line):
    pm, price, _starts = line
    nothing = {v.index: 0 for v in pm.model.vars}  # no task placed: the checker rejects it
    with pytest.raises(ValueError):
        TaskLNS(pm, pm.model, nothing, price)


def test_restart_keeps_the_index_and_takes_the_new_start(star):
    # The relax-and-fix round builds the search from its start while CP-SAT runs and restarts it
    # from CP-SAT's plan: after a restart the sub-models are those of the new incumbent.
    from ortools.sat.python import cp_model

    pm, price, starts = star
    (best, best_values), (worst, worst_values) = starts[0], starts[-1]
    lns = TaskLNS(pm, pm.model, worst_values, price)
    with pytest.raises(ValueError):
        lns.restart({v.index: 0 for v in pm.model.vars})  # the checker rejects it
    assert lns.cost == pytest.approx(worst) and lns.values == worst_values
    lns.restart(best_values)
    assert lns.cost == pytest.approx(best) and lns.start_cost == pytest.approx(best)
    for t in pm.workload.tasks:
        cp, fvars, const = lns.sub_model({t.name})
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 1
        assert solver.StatusName(solver.Solve(cp)) == "OPTIMAL"
        merged = dict(best_values)
        merged.update({v: int(x) for v, x in zip(fvars, solver.ResponseProto().solution)})
        assert pm.model.violated(merged) == []
        # the constants are the new incumbent's: sub-model objective + constant = full objective
        assert solver.ObjectiveValue() + const == pm.model.objective_value(merged)
        # (the best valid plan there is: no sub-model solution is a cheaper valid plan)
        assert price(merged) is None or price(merged) >= best - 1e-12
