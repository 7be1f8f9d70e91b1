"""Backends that solve a ``MilpModel``: Google OR-Tools CP-SAT and HiGHS (branch-and-cut MIP).

Both receive the same integer model. CP-SAT keeps enforcement literals natively; HiGHS gets
each enforced row as a big-M row with M taken from the variable bounds (exact: all data are
integers, so no M is "too small"). HiGHS runs with mip_abs_gap < 1, which on an integer
objective means "proven optimal" exactly as CP-SAT's OPTIMAL does.
"""

from __future__ import annotations

import time

import numpy as np

from experts.milp_model import MilpModel, MilpResult

#: Relative gap at which both backends stop and report OPTIMAL. WHY not 0: the normalised objective
#: is scaled to large integers (weights keep 1/2000 precision), so the LP bound carries float noise
#: of ~1e-9 relative - thousands of integer units - and an exact 0 gap may never close. 1e-6 is far
#: below the weight rounding, so nothing meaningful is lost; pass rel_gap=0 for exact proofs.
REL_GAP = 1e-6

_CPSAT_STATUS = {
    "OPTIMAL": "OPTIMAL",
    "FEASIBLE": "FEASIBLE",
    "INFEASIBLE": "INFEASIBLE",
    "UNKNOWN": "UNKNOWN",
    "MODEL_INVALID": "MODEL_INVALID",
}


def tuned_cpsat_params(workers: int) -> dict:
    """Parameters that let CP-SAT prove bounds on the offloading MIP.

    WHY: presolve turns ``z >= x`` and the flow cuts into clauses, which the default LP
    (linearization level 1) leaves out, so the bound never leaves its initial value (measured:
    8 devices / 60 tasks stuck at a 2-10 % gap after 30 s). Level 2 puts them back into the LP.
    With two workers: the max-LP search plus one LNS worker seeded by the hint.
    """
    # Presolve capped: on the candidate-walk model (15-20k booleans at 60 tasks) full presolve with
    # symmetry detection and probing took 8.7 s of a 15 s limit before the search started (measured
    # on Abilene[8], 60 tasks); one pass without them leaves the search 12 s.
    fast_presolve = {"symmetry_level": 0, "max_presolve_iterations": 1, "cp_model_probing_level": 0}
    # With two workers: one full max-LP search (the bound) and one LNS worker that improves the
    # hinted start (measured on Abilene[8], 60 tasks, 20 s: 0.0983 vs 0.0992 with quick_restart).
    if workers <= 1:
        return {"linearization_level": 2, **fast_presolve}
    return {"linearization_level": 2, "subsolvers": ["max_lp"], "num_full_subsolvers": 1, **fast_presolve}


def solve_cpsat(
    model: MilpModel,
    *,
    time_limit_s: float = 30.0,
    workers: int = 2,
    seed: int = 0,
    use_hint: bool = True,
    fix_to_hint: bool = False,
    log: bool = False,
    params: dict | None = None,
    rel_gap: float = REL_GAP,
    work_limit: float | None = None,
    pool: int = 0,
) -> MilpResult:
    """Solve with CP-SAT. ``fix_to_hint`` turns the call into "is the hint feasible, and complete it";
    ``pool`` > 0 also returns up to that many other solutions found (``MilpResult.alternatives``).

    ``work_limit``: stop after this much deterministic time, with the subsolvers interleaved in one
    thread, so the result does not depend on machine load (``time_limit_s`` remains a wall cap).
    """
    from ortools.sat.python import cp_model

    t0 = time.perf_counter()
    cp = cp_model.CpModel()
    xs = [cp.NewIntVar(v.lb, v.ub, v.name) for v in model.vars]
    big = 2**62
    for c in model.constraints:
        if c.terms:
            idx = list(c.terms)
            expr = cp_model.LinearExpr.WeightedSum([xs[i] for i in idx], [c.terms[i] for i in idx])
        else:
            expr = 0
        lo = -big if c.lo is None else c.lo
        hi = big if c.hi is None else c.hi
        ct = cp.AddLinearConstraint(expr, lo, hi)
        if c.enforce:
            ct.OnlyEnforceIf([xs[i] for i in c.enforce])
    if model.objective:
        idx = list(model.objective)
        cp.Minimize(cp_model.LinearExpr.WeightedSum([xs[i] for i in idx], [model.objective[i] for i in idx])
                    + model.objective_offset)
    hint_used = False
    if use_hint and model.hint:
        for i, value in model.hint.items():
            cp.AddHint(xs[i], int(value))
        hint_used = True
    solver = cp_model.CpSolver()
    p = solver.parameters
    # the limit covers building the CP-SAT model too (wall time stays within the caller's budget)
    p.max_time_in_seconds = max(0.01, float(time_limit_s) - (time.perf_counter() - t0))
    p.num_workers = max(1, int(workers))
    p.random_seed = int(seed)
    p.log_search_progress = log
    p.relative_gap_limit = float(rel_gap)
    if fix_to_hint:
        p.fix_variables_to_their_hinted_value = True
    if pool > 0:
        p.fill_additional_solutions_in_response = True
        p.solution_pool_size = int(pool) + 1
    for key, value in (tuned_cpsat_params(workers) if params is None else params).items():
        field_value = getattr(p, key)
        if hasattr(field_value, "extend"):
            field_value.extend(value)
        else:
            setattr(p, key, value)
    if work_limit is not None:
        p.max_deterministic_time = max(0.01, float(work_limit))
        # the workers' subsolvers take turns in one thread in fixed batches: reproducible
        p.interleave_search = True
        # Presolve counts against the work limit. Its two "big linear overlap" passes charged 1.0
        # deterministic unit each on the candidate-walk model of Abilene / 60 compiled tasks (0.24 s
        # wall), so a 1.8-unit round stopped after presolve with no search and every weight vector
        # returned the warm start unchanged (measured: 5 of 5 weight vectors at work 3). Without
        # them presolve costs ~0.003 units and the same round improves on the start.
        p.find_big_linear_overlap = False
    build_s = time.perf_counter() - t0
    code = solver.Solve(cp)
    status = _CPSAT_STATUS.get(solver.StatusName(code), solver.StatusName(code))
    values: dict[int, int] = {}
    alternatives: list[dict[int, int]] = []
    objective = bound = None
    if status in ("OPTIMAL", "FEASIBLE"):
        values = {i: int(solver.Value(x)) for i, x in enumerate(xs)}
        if pool > 0:
            for extra_sol in solver.ResponseProto().additional_solutions:
                alt = dict(enumerate(int(v) for v in extra_sol.values))
                if len(alt) == len(xs) and alt != values:
                    alternatives.append(alt)
            alternatives = alternatives[:pool]
        objective = float(solver.ObjectiveValue()) if model.objective else float(model.objective_offset)
        bound = float(solver.BestObjectiveBound()) if model.objective else objective
    return MilpResult(
        backend="cpsat",
        status=status,
        values=values,
        objective=objective,
        bound=bound,
        solve_time_s=float(solver.WallTime()),
        hint_used=hint_used,
        extra={"build_s": round(build_s, 3), "branches": int(solver.NumBranches()), "conflicts": int(solver.NumConflicts()),
               "work": float(solver.deterministic_time),
               # a wall cap hit before the work limit: the search was cut by load, not reproducible
               "wall_capped": work_limit is not None and status != "OPTIMAL"
               and float(solver.deterministic_time) < 0.99 * float(work_limit)},
        alternatives=alternatives,
    )


def solve_highs(
    model: MilpModel,
    *,
    time_limit_s: float = 30.0,
    workers: int = 2,
    seed: int = 0,
    use_hint: bool = True,
    log: bool = False,
    rel_gap: float = REL_GAP,
) -> MilpResult:
    """Solve with HiGHS; enforced rows become big-M rows derived from the variable bounds.

    The limit covers building the HiGHS model too (~1 s for 100k rows). A solution that breaks a row of ``model`` once rounded to integers (HiGHS works in floating
    point with 1e-6 tolerances, and capacity rows carry coefficients up to 1e8) is not returned.
    """
    import highspy

    t0 = time.perf_counter()
    n = len(model.vars)
    row_lo: list[float] = []
    row_hi: list[float] = []
    starts: list[int] = [0]
    index: list[int] = []
    value: list[float] = []
    inf = highspy.kHighsInf

    def push(terms: dict[int, int], lo: float, hi: float) -> None:
        for i, c in terms.items():
            if c:
                index.append(i)
                value.append(float(c))
        starts.append(len(index))
        row_lo.append(lo)
        row_hi.append(hi)

    for c in model.constraints:
        if not c.enforce:
            push(c.terms, -inf if c.lo is None else c.lo, inf if c.hi is None else c.hi)
            continue
        low, high = model.bounds(c.terms)
        k = len(c.enforce)
        if c.hi is not None and high > c.hi:
            m = high - c.hi
            terms = dict(c.terms)
            for e in c.enforce:
                terms[e] = terms.get(e, 0) + m
            push(terms, -inf, c.hi + m * k)
        if c.lo is not None and low < c.lo:
            m = c.lo - low
            terms = dict(c.terms)
            for e in c.enforce:
                terms[e] = terms.get(e, 0) - m
            push(terms, c.lo - m * k, inf)

    lp = highspy.HighsLp()
    lp.num_col_ = n
    lp.num_row_ = len(row_lo)
    cost = np.zeros(n)
    for i, c in model.objective.items():
        cost[i] = c
    lp.col_cost_ = cost
    lp.offset_ = float(model.objective_offset)
    lp.col_lower_ = np.array([v.lb for v in model.vars], dtype=float)
    lp.col_upper_ = np.array([v.ub for v in model.vars], dtype=float)
    lp.row_lower_ = np.array(row_lo, dtype=float)
    lp.row_upper_ = np.array(row_hi, dtype=float)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = np.array(starts, dtype=np.int32)
    lp.a_matrix_.index_ = np.array(index, dtype=np.int32)
    lp.a_matrix_.value_ = np.array(value, dtype=float)
    lp.a_matrix_.num_col_ = n
    lp.a_matrix_.num_row_ = len(row_lo)
    lp.integrality_ = [highspy.HighsVarType.kInteger] * n

    h = highspy.Highs()
    h.setOptionValue("output_flag", bool(log))
    h.setOptionValue("time_limit", max(0.01, float(time_limit_s) - (time.perf_counter() - t0)))
    h.setOptionValue("threads", max(1, int(workers)))
    h.setOptionValue("random_seed", int(seed))
    h.setOptionValue("mip_rel_gap", float(rel_gap))
    # The objective is an integer: a gap below 1 proves optimality.
    h.setOptionValue("mip_abs_gap", 0.999)
    h.passModel(lp)
    hint_used = False
    if use_hint and model.hint and len(model.hint) == n:
        sol = highspy.HighsSolution()
        sol.col_value = [float(model.hint[i]) for i in range(n)]
        sol.value_valid = True
        h.setSolution(sol)
        hint_used = True
    build_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    h.run()
    wall = time.perf_counter() - t1
    ms = h.getModelStatus()
    name = h.modelStatusToString(ms)
    info = h.getInfo()
    has_sol = info.primal_solution_status == 2  # kSolutionStatusFeasible
    if ms == highspy.HighsModelStatus.kOptimal:
        status = "OPTIMAL"
    elif ms == highspy.HighsModelStatus.kInfeasible:
        status = "INFEASIBLE"
    elif has_sol:
        status = "FEASIBLE"
    else:
        status = "UNKNOWN"
    values: dict[int, int] = {}
    objective = bound = None
    if status in ("OPTIMAL", "FEASIBLE"):
        col = h.getSolution().col_value
        values = {i: int(round(col[i])) for i in range(n)}
        objective = float(model.objective_value(values))
        bound = float(info.mip_dual_bound) if status == "FEASIBLE" else objective
        if model.violated(values):
            # (rounded, the solution breaks an integer row: no solution, the bound still holds)
            status, values, objective, bound = "UNKNOWN", {}, None, float(info.mip_dual_bound)
    return MilpResult(
        backend="highs",
        status=status,
        values=values,
        objective=objective,
        bound=bound,
        solve_time_s=wall,
        hint_used=hint_used,
        extra={"build_s": round(build_s, 3), "highs_status": name, "mip_nodes": int(info.mip_node_count)},
    )


BACKENDS = {"cpsat": solve_cpsat, "highs": solve_highs}
