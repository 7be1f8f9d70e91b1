"""A solver-neutral integer linear model, so one formulation can be handed to CP-SAT and HiGHS.

WHY: "CP-SAT and HiGHS reach the same optimum" is only a meaningful statement when both solve
literally the same model. The planner builds its MILP once here (integer variables, integer
coefficients, optional enforcement literals) and each backend in ``experts.milp_backends``
translates it: CP-SAT keeps enforcement literals as ``OnlyEnforceIf``; HiGHS gets a big-M row
whose M is derived from the variable bounds, which is exact for integer data.

Constraints carry a ``group`` label (``sram``, ``phv``, ``bandwidth`` ...) so that an infeasible
instance can be re-solved with one group dropped to name the constraint that binds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Mapping

#: A linear expression: variable index -> integer coefficient.
Terms = dict[int, int]


@dataclass(frozen=True)
class Var:
    index: int
    name: str
    lb: int
    ub: int

    @property
    def is_bool(self) -> bool:
        return self.lb >= 0 and self.ub <= 1


@dataclass(frozen=True)
class Constraint:
    """``lo <= sum(coef * var) <= hi``, only required when every enforcement literal is 1."""

    terms: Terms
    lo: int | None
    hi: int | None
    enforce: tuple[int, ...] = ()
    group: str = ""
    name: str = ""


@dataclass
class MilpModel:
    """Integer variables with finite bounds, linear constraints and a linear objective (minimised)."""

    vars: list[Var] = field(default_factory=list)
    constraints: list[Constraint] = field(default_factory=list)
    objective: Terms = field(default_factory=dict)
    objective_offset: int = 0
    #: Partial assignment to start from (variable index -> value).
    hint: dict[int, int] = field(default_factory=dict)

    # ------------------------------------------------------------------ building
    def int_var(self, lb: int, ub: int, name: str) -> int:
        lb, ub = int(lb), int(ub)
        if lb > ub:
            raise ValueError(f"variable {name}: empty domain [{lb}, {ub}]")
        self.vars.append(Var(len(self.vars), name, lb, ub))
        return len(self.vars) - 1

    def bool_var(self, name: str) -> int:
        return self.int_var(0, 1, name)

    def add(
        self,
        terms: Mapping[int, int] | Iterable[tuple[int, int]],
        lo: int | None = None,
        hi: int | None = None,
        *,
        enforce: Iterable[int] = (),
        group: str = "",
        name: str = "",
    ) -> None:
        clean: Terms = {}
        items = terms.items() if isinstance(terms, Mapping) else terms
        for var, coef in items:
            coef = int(coef)
            if coef:
                clean[var] = clean.get(var, 0) + coef
        clean = {v: c for v, c in clean.items() if c}
        if lo is None and hi is None:
            raise ValueError(f"constraint {name or group}: no bound")
        self.constraints.append(Constraint(clean, None if lo is None else int(lo), None if hi is None else int(hi),
                                           tuple(enforce), group, name))

    def add_objective(self, terms: Mapping[int, int] | Iterable[tuple[int, int]], scale: int = 1) -> None:
        items = terms.items() if isinstance(terms, Mapping) else terms
        for var, coef in items:
            value = int(coef) * int(scale)
            if value:
                self.objective[var] = self.objective.get(var, 0) + value

    # ------------------------------------------------------------------ helpers
    def bounds(self, terms: Terms) -> tuple[int, int]:
        """Smallest and largest value ``terms`` can take within the variable bounds."""
        low = high = 0
        for v, c in terms.items():
            var = self.vars[v]
            if c > 0:
                low += c * var.lb
                high += c * var.ub
            else:
                low += c * var.ub
                high += c * var.lb
        return low, high

    def without_groups(self, groups: Iterable[str]) -> "MilpModel":
        """The same model with every constraint of the named groups dropped and no objective."""
        drop = set(groups)
        return MilpModel(vars=list(self.vars), constraints=[c for c in self.constraints if c.group not in drop],
                         objective={}, objective_offset=0, hint=dict(self.hint))

    def groups(self) -> list[str]:
        seen: dict[str, None] = {}
        for c in self.constraints:
            seen.setdefault(c.group, None)
        return list(seen)

    def violated(self, values: Mapping[int, int]) -> list[Constraint]:
        """Constraints a complete assignment breaks (used to check a warm start and in tests)."""
        bad = []
        for c in self.constraints:
            if any(values[e] != 1 for e in c.enforce):
                continue
            total = sum(coef * values[v] for v, coef in c.terms.items())
            if (c.lo is not None and total < c.lo) or (c.hi is not None and total > c.hi):
                bad.append(c)
        for var in self.vars:
            if not var.lb <= values[var.index] <= var.ub:
                bad.append(Constraint({var.index: 1}, var.lb, var.ub, group="bounds", name=var.name))
        return bad

    def objective_value(self, values: Mapping[int, int]) -> int:
        return self.objective_offset + sum(c * values[v] for v, c in self.objective.items())

    def stats(self) -> dict[str, int]:
        return {
            "variables": len(self.vars),
            "booleans": sum(1 for v in self.vars if v.is_bool),
            "constraints": len(self.constraints),
            "enforced": sum(1 for c in self.constraints if c.enforce),
        }


@dataclass
class MilpResult:
    """What a backend reports; ``values`` is empty when no solution was found."""

    backend: str
    status: str  # OPTIMAL | FEASIBLE | INFEASIBLE | UNKNOWN | MODEL_INVALID
    values: dict[int, int]
    objective: float | None
    bound: float | None
    solve_time_s: float
    hint_used: bool = False
    extra: dict = field(default_factory=dict)
    #: Other solutions the solver kept (best first), when asked for a pool: a caller whose lazy
    #: constraints reject ``values`` may find one of these acceptable.
    alternatives: list[dict[int, int]] = field(default_factory=list)

    @property
    def has_solution(self) -> bool:
        return bool(self.values) and self.status in ("OPTIMAL", "FEASIBLE")

    @property
    def gap(self) -> float | None:
        """Relative gap |obj - bound| / max(1, |obj|) (0 when optimal)."""
        if self.objective is None or self.bound is None:
            return None
        if self.status == "OPTIMAL":
            return 0.0
        return abs(self.objective - self.bound) / max(1.0, abs(self.objective))
