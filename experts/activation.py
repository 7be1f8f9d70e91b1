"""Dual-channel expert activation (the paper's Algorithm 1) and the run that follows it.

Given a preference (intensities in [0, 1]), s = the preference normalised to sum 1 (the paper's
"normalized preference vector", docs/design.md "Activation"), and a threshold tau:

* exactly one objective with s_i >= tau ("dominant"; a single objective asked at any intensity is): only the fast experts whose capability on
  that objective is 1 are eligible (Algorithm 1, line 6); the one whose capability vector is most
  cosine-similar to s runs alone - no solver, which is where the speed-up comes from;
* otherwise ("mixed"): the fast expert with the highest cosine similarity runs, and the MIP expert
  ("cpsat") runs after it, configured with weights (default: s, every unasked objective given the
  tie-break weight TIE_BREAK_EPS - "no change for no gain"; a ``configure`` hook -
  e.g. the DRL weight tuner in experts/configure.py - may supply others) and warm-started from the
  fast plan (lines 8-12);
* an all-zero preference ("default"): nothing was asked, so the node-level heuristic "resource-greedy" (minimum
  SRAM and low latency, the same goal as the paper's pre-configured SPD-O solver expert) runs
  alone - a fast, sensible plan instead of an arbitrary MIP weighting.

If the eligible fast expert fails (for instance a DRL expert whose policy file is missing, or a
heuristic that cannot place everything), the next most similar fast expert runs and the result
notes why; when every fast expert fails, the MIP runs as the last resort. Which plan is chosen: the MIP's when it returns a plan that passes the feasibility
checker, places at least as many tasks, and costs no more under the weighted normalised objective
(weights = the normalised preference, normalisation = the MIP's own ``path_scales``); else
the fast one. The MIP is not started when the fast plan already sits at the instance's lower bound
on every weighted objective (it cannot be beaten; noted in ``notes``). If no "cpsat" expert is
registered the mixed branch runs the fast expert alone and
says so in ``notes`` - nothing is faked.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from experts import registry
from experts.registry import Expert, PlanRequest
from omniplan.diagnose import diagnose
from omniplan.errors import InfeasibleError, InputError, OmniPlanError
from omniplan.evaluate import Evaluation, evaluate
from omniplan.feasibility import check_plan
from omniplan.objectives import OBJECTIVES, Preference
from omniplan.plan import Plan
from omniplan.topology import Topology
from omniplan.workload import Workload

DEFAULT_TAU = 0.9
MIP_EXPERT = "cpsat"
#: Runs alone for an all-zero preference (see the module docstring).
DEFAULT_FAST_EXPERT = "resource-greedy"
#: A weighted normalised cost at or below this is "at the instance's lower bound".
BOUND_EPS = 1e-9

Configure = Callable[[Preference, PlanRequest], Sequence[float]]


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    """Sim(E_k) = e_k . s / (|e_k| |s|); 0 when either vector is zero."""
    na = math.sqrt(sum(x * x for x in a))
    nb = math.sqrt(sum(x * x for x in b))
    if na == 0 or nb == 0:
        return 0.0
    return sum(x * y for x, y in zip(a, b)) / (na * nb)


@dataclass
class Selection:
    """What Algorithm 1 decided, before anything runs."""

    rule: str  # "dominant" | "mixed" | "default" | "forced"
    #: Fast experts to try, best first (the first that succeeds is used).
    fast: list[str]
    use_mip: bool
    similarities: dict[str, float]
    dominant: str | None = None
    high: list[str] = field(default_factory=list)
    reason: str = ""


def select_experts(preference: Preference, tau: float = DEFAULT_TAU, fast: Sequence[Expert] | None = None) -> Selection:
    """Algorithm 1 over the registered fast experts (pure: runs nothing)."""
    if not 0.0 <= tau <= 1.0:
        raise InputError(f"tau must be in [0, 1], got {tau}")
    fast = list(fast if fast is not None else registry.fast_experts())
    if not fast:
        raise InputError("no fast expert is registered")
    s = preference.as_list()
    sims = {e.name: round(cosine(e.capability, s), 6) for e in fast}
    by_sim = sorted(fast, key=lambda e: (-sims[e.name], e.kind != "heuristic", e.name))

    if preference.is_zero():
        names = [e.name for e in fast]
        first = [DEFAULT_FAST_EXPERT] if DEFAULT_FAST_EXPERT in names else []
        rest = sorted((n for n in names if n not in first), key=lambda n: (registry.get(n).kind != "heuristic", n))
        return Selection("default", first + rest, False, sims,
                         reason=f"no objective was asked for: default fast expert {(first + rest)[0]!r}, no solver")

    # Algorithm 1 thresholds the *normalised* preference vector (the paper: "s is a normalized
    # preference vector"; "only one w_i >= tau"): a single objective asked at any intensity holds
    # all of s and takes the fast channel. See docs/design.md, "Activation".
    s_norm = preference.normalized()
    high = [o for o, v in zip(OBJECTIVES, s_norm) if v >= tau]
    if len(high) == 1:
        i = OBJECTIVES.index(high[0])
        eligible = [e for e in by_sim if e.capability[i] >= 1.0]
        if eligible:
            others = [e for e in by_sim if e not in eligible]
            return Selection("dominant", [e.name for e in eligible + others], False, sims, dominant=high[0], high=high,
                             reason=f"only {high[0]} (normalised {s_norm[i]:.3g}) >= tau={tau:g}: fast expert with capability 1 on "
                                    f"{high[0]}, best cosine {sims[eligible[0].name]:.3f}; no solver")
        # Algorithm 1 line 6 would activate nobody; fall back to similarity and say so.
        return Selection("dominant", [e.name for e in by_sim], False, sims, dominant=high[0], high=high,
                         reason=f"only {high[0]} >= tau but no fast expert has capability 1 on it: best cosine instead")
    why = "no objective" if not high else f"{len(high)} objectives ({', '.join(high)})"
    return Selection("mixed", [e.name for e in by_sim], True, sims, high=high,
                     reason=f"{why} >= tau={tau:g}: best-cosine fast expert "
                            f"{by_sim[0].name!r} ({sims[by_sim[0].name]:.3f}) plus the MIP expert")


@dataclass
class ExpertRun:
    """One expert's attempt: its plan and how good it is, or why it produced none."""

    name: str
    kind: str
    role: str  # "fast" | "mip"
    plan: Plan | None = None
    evaluation: Evaluation | None = None
    solve_time_s: float = 0.0
    status: str = ""
    gap: float | None = None
    weighted_cost: float | None = None
    violations: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.plan is not None and not self.violations and self.error is None

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "role": self.role,
            "status": self.status,
            "solve_time_s": self.solve_time_s,
            "gap": self.gap,
            "weighted_cost": self.weighted_cost,
            "objectives": dict(self.evaluation.objectives) if self.evaluation else None,
            "violations": list(self.violations),
            "error": self.error,
        }


@dataclass
class ActivationResult:
    preference: Preference
    tau: float
    selection: Selection
    #: Experts that actually produced a plan or were tried, in run order.
    runs: list[ExpertRun]
    chosen: str
    #: Weights the MIP expert was configured with (None when it did not run).
    mip_weights: list[float] | None
    #: Weights of the comparison between the fast and the MIP plan (the normalised preference).
    compare_weights: list[float]
    notes: list[str] = field(default_factory=list)

    @property
    def activated(self) -> list[str]:
        return [r.name for r in self.runs if r.plan is not None or r.role == "mip"]

    @property
    def chosen_run(self) -> ExpertRun:
        return next(r for r in self.runs if r.name == self.chosen and r.plan is not None)

    @property
    def plan(self) -> Plan:
        return self.chosen_run.plan  # type: ignore[return-value]

    @property
    def evaluation(self) -> Evaluation:
        return self.chosen_run.evaluation  # type: ignore[return-value]

    def as_dict(self) -> dict[str, Any]:
        sel = self.selection
        return {
            "preference": self.preference.as_dict(),
            "tau": self.tau,
            "rule": sel.rule,
            "reason": sel.reason,
            "dominant": sel.dominant,
            "objectives_over_tau": list(sel.high),
            "similarities": dict(sel.similarities),
            "activated": self.activated,
            "chosen": self.chosen,
            "mip_weights": self.mip_weights,
            "compare_weights": self.compare_weights,
            "notes": list(self.notes),
            "runs": [r.as_dict() for r in self.runs],
        }


# --------------------------------------------------------------------------- scoring

class _Scorer:
    """Weighted normalised cost of a plan, on the MIP's own normalisation when available."""

    def __init__(self, workload: Workload, topology: Topology, weights: Sequence[float], notes: list[str]):
        self.weights = list(weights)
        try:
            from experts.milp_paths import candidate_walks, path_scales
        except ImportError as exc:
            notes.append(f"MIP normalisation unavailable ({exc}); comparing on simple range normalisation")
            self.scales = None
        else:
            cands = {t.name: candidate_walks(t, topology) for t in workload.tasks if t.ingress in topology.device_index
                     or t.ingress is None}
            self.scales = path_scales(workload, topology, cands) if len(cands) == len(workload.tasks) else None
        self.topology = topology

    def cost(self, ev: Evaluation) -> float:
        if self.scales is not None:
            return float(self.scales.cost(ev.objectives, self.weights))
        # Fallback: every objective as a fraction of a natural maximum (documented in the note).
        o = ev.objectives
        p_max = sum(d.profile.idle_power_w + d.profile.power_per_stage_w * d.profile.stages for d in self.topology.devices)
        lat = self.topology.path_latency_us
        lat_ref = max((v for row in lat.values() for v in row.values()), default=0.0) + 1.0
        hop_ref = max((v for row in self.topology.hop_distance.values() for v in row.values()), default=0) or 1
        n = {
            "power": o["power"] / p_max, "resources": o["resources"] / 100.0, "throughput": (100.0 - o["throughput"]) / 100.0,
            "latency": o["latency"] / lat_ref, "coordination": o["coordination"] / 100.0, "hops": o["hops"] / hop_ref,
            "coverage": (100.0 - o["coverage"]) / 100.0,
        }
        total = sum(self.weights) or 1.0
        return sum(w / total * n[name] for name, w in zip(OBJECTIVES, self.weights))


def _execute(expert: Expert, request: PlanRequest, role: str, scorer: _Scorer | None) -> ExpertRun:
    run = ExpertRun(expert.name, expert.kind, role)
    start = time.perf_counter()
    try:
        plan = expert.solve(request)
    except OmniPlanError as exc:
        run.solve_time_s = time.perf_counter() - start
        run.status = "INFEASIBLE" if isinstance(exc, InfeasibleError) else "ERROR"
        run.error = str(exc)
        return run
    run.solve_time_s = time.perf_counter() - start
    run.plan = plan
    run.status = str(plan.info.get("status", "FEASIBLE")).upper()
    gap = plan.info.get("gap")
    # Heuristics prove no bound, so they report no gap; a MIP reports its relative gap.
    run.gap = float(gap) if isinstance(gap, (int, float)) and not isinstance(gap, bool) else None
    run.violations = [str(v) for v in check_plan(plan, request.workload, request.topology,
                                                 require_all=not request.allow_partial)]
    run.evaluation = evaluate(plan, request.workload, request.topology)
    if scorer is not None:
        run.weighted_cost = scorer.cost(run.evaluation)
    return run


def fast_channel(names: Sequence[str], request: PlanRequest,
                 scorer: _Scorer | None = None) -> tuple[ExpertRun | None, list[ExpertRun]]:
    """Algorithm 1's fast channel: the fast experts ``names`` in turn (``Selection.fast``, best
    first) until one returns a plan the checker accepts; that run (None when every one fails) and
    every run tried, in order.

    WHY one loop: activation runs it, and the DRL weight configurator (experts/configure.py,
    ``activated_warm_start``) takes its plan as the MIP's warm start - the start the activated MIP
    really gets only while both use the same loop.
    """
    runs: list[ExpertRun] = []
    for name in names:
        run = _execute(registry.get(name), request, "fast", scorer)
        runs.append(run)
        if run.ok:
            return run, runs
    return None, runs


#: Weight given to every objective the intent does not name: small enough never to trade an asked
#: objective away, large enough that the solver does not make an unasked one worse for nothing.
TIE_BREAK_EPS = 1e-3


def tie_break(weights: Sequence[float]) -> list[float]:
    """The normalised weights with ``TIE_BREAK_EPS`` on every zero entry ("no change for no gain")."""
    w = [float(x) for x in weights]
    if not any(w):
        return w
    w = [x if x > 0 else TIE_BREAK_EPS for x in w]
    total = sum(w)
    return [x / total for x in w]


def keep_deployed(new: Evaluation, deployed: Evaluation, preference: Preference, workload: Workload,
                  topology: Topology) -> tuple[bool, str]:
    """Whether the controller should keep the deployed placement rather than push ``new``.

    Keep when ``new`` is not strictly better on the intent's objectives (weighted normalised cost
    with the normalised preference; coverage first: a plan placing fewer tasks never wins).
    Returns (keep, one-line reason for the operator)."""
    if new.placed_tasks < deployed.placed_tasks:
        return True, f"new plan places {new.placed_tasks} tasks, the deployed one {deployed.placed_tasks}: keeping it"
    scorer = _Scorer(workload, topology, preference.normalized(), [])
    a, b = scorer.cost(new), scorer.cost(deployed)
    if a < b - 1e-9:
        return False, f"new plan is better on the intent's objectives (cost {a:.6g} < deployed {b:.6g})"
    return True, f"new plan is not better on the intent's objectives (cost {a:.6g} vs deployed {b:.6g}): keeping the deployed placement"


def _valid_weights(raw: Sequence[float]) -> list[float]:
    w = [float(x) for x in raw]
    if len(w) != len(OBJECTIVES) or any(not math.isfinite(x) or x < 0 for x in w) or sum(w) <= 0:
        raise ValueError(f"expected {len(OBJECTIVES)} finite non-negative weights, not all zero; got {raw!r}")
    return w


def activate(
    preference: Preference,
    workload: Workload,
    topology: Topology,
    *,
    tau: float = DEFAULT_TAU,
    time_limit_s: float = 30.0,
    allow_partial: bool = False,
    configure: Configure | None = None,
    seed: int = 0,
    workers: int = 2,
    skip_mip_at_bound: bool = True,
) -> ActivationResult:
    """Run Algorithm 1 and the experts it activates; see the module docstring for the rules.

    ``skip_mip_at_bound``: in the mixed branch, do not start the MIP when the fast plan's weighted
    normalised cost is 0, i.e. every weighted objective sits at the lower bound that the MIP's own
    normalisation (``path_scales``) derives for the instance - no plan can be better.
    """
    selection = select_experts(preference, tau)
    problems = diagnose(workload, topology)
    if problems and not allow_partial:
        # Instance-level infeasibility: no expert can succeed, so none is run.
        raise InfeasibleError("cannot place every task: " + "; ".join(problems))
    notes: list[str] = []
    compare_weights = preference.normalized()
    scorer = _Scorer(workload, topology, compare_weights, notes)
    base = PlanRequest(workload=workload, topology=topology, weights=list(compare_weights), time_limit_s=time_limit_s,
                       allow_partial=allow_partial, seed=seed, workers=workers)

    fast_run, runs = fast_channel(selection.fast, base, scorer)
    notes.extend(f"fast expert {run.name!r} gave no usable plan ({run.error or '; '.join(run.violations[:2])}); "
                 "trying the next most similar" for run in runs if not run.ok)
    if fast_run is None:
        # Last resort: every fast expert failed, so the MIP runs cold (it searches splits and
        # detours the greedy orders do not reach).
        msgs = "; ".join(f"{r.name}: {(r.error or str(r.violations[:1]))[:160]}" for r in runs)
        try:
            mip = registry.get(MIP_EXPERT)
        except KeyError:
            raise InfeasibleError(f"no fast expert produced a feasible plan ({msgs})") from None
        weights = tie_break(compare_weights)
        mrun = _execute(mip, PlanRequest(workload=workload, topology=topology, weights=weights, time_limit_s=time_limit_s,
                                         allow_partial=allow_partial, seed=seed, workers=workers), "mip", scorer)
        runs.append(mrun)
        if not mrun.ok:
            raise InfeasibleError(f"no expert produced a feasible plan: fast experts failed ({msgs}); "
                                  f"MIP: {(mrun.error or str(mrun.violations[:1]))[:300]}")
        notes.append(f"every fast expert failed ({len(runs) - 1} tried), so the MIP ran as last resort")
        return ActivationResult(preference, tau, selection, runs, mrun.name, weights, list(compare_weights), notes)
    if fast_run.name != selection.fast[0]:
        notes.append(f"used {fast_run.name!r} instead of {selection.fast[0]!r}")

    chosen = fast_run.name
    mip_weights: list[float] | None = None
    # The bounds assume every task is placed, so a partial fast plan never counts as "at bound".
    at_bound = (skip_mip_at_bound and scorer.scales is not None and fast_run.weighted_cost is not None
                and fast_run.evaluation.placed_tasks == len(workload.tasks)  # type: ignore[union-attr]
                and fast_run.weighted_cost <= BOUND_EPS)
    if selection.use_mip and at_bound:
        notes.append(f"fast plan of {fast_run.name!r} already meets the instance lower bound of every weighted "
                     "objective (weighted normalised cost 0): it is optimal, so the MIP was not run")
    elif selection.use_mip:
        try:
            mip = registry.get(MIP_EXPERT)
        except KeyError:
            notes.append(f"MIP expert {MIP_EXPERT!r} is not registered: only the fast plan is available")
        else:
            weights = tie_break(compare_weights)
            if configure is not None:
                try:
                    weights = _valid_weights(configure(preference, base))
                except (OmniPlanError, ValueError) as exc:
                    notes.append(f"weight configuration failed ({exc}); MIP uses the normalised preference")
                else:
                    notes.append("MIP weights set by the configure hook")
            mip_weights = weights
            request = PlanRequest(workload=workload, topology=topology, weights=weights, time_limit_s=time_limit_s,
                                  warm_start=fast_run.plan, allow_partial=allow_partial, seed=seed, workers=workers)
            mrun = _execute(mip, request, "mip", scorer)
            runs.append(mrun)
            if not mrun.ok:
                notes.append(f"MIP gave no usable plan ({mrun.error or '; '.join(mrun.violations[:2])}); keeping the fast plan")
            elif mrun.evaluation.placed_tasks < fast_run.evaluation.placed_tasks:  # type: ignore[union-attr]
                notes.append("MIP plan places fewer tasks than the fast plan; keeping the fast plan")
            elif mrun.weighted_cost is not None and fast_run.weighted_cost is not None \
                    and mrun.weighted_cost <= fast_run.weighted_cost + 1e-9:
                chosen = mrun.name
            else:
                notes.append(f"MIP plan costs {mrun.weighted_cost:.6g} > fast plan {fast_run.weighted_cost:.6g} "
                             "(weighted normalised objective); keeping the fast plan")
    return ActivationResult(preference, tau, selection, runs, chosen, mip_weights, list(compare_weights), notes)


def run_single(
    name: str,
    preference: Preference,
    workload: Workload,
    topology: Topology,
    *,
    time_limit_s: float = 30.0,
    allow_partial: bool = False,
    seed: int = 0,
    workers: int = 2,
) -> ActivationResult:
    """Bypass activation and run one named expert (``omniplan plan --expert NAME``)."""
    try:
        expert = registry.get(name)
    except KeyError as exc:
        raise InputError(str(exc.args[0])) from None
    name = expert.name  # a former name resolves to the expert's current one, which the run reports
    weights = preference.normalized()
    notes: list[str] = []
    scorer = _Scorer(workload, topology, weights, notes)
    request = PlanRequest(workload=workload, topology=topology, weights=list(weights), time_limit_s=time_limit_s,
                          allow_partial=allow_partial, seed=seed, workers=workers)
    run = _execute(expert, request, "mip" if expert.kind == "mip" else "fast", scorer)
    if not run.ok:
        if run.error:
            msg = run.error if run.error.startswith(f"{name}:") else f"{name}: {run.error}"
            raise InfeasibleError(msg) if run.status == "INFEASIBLE" else InputError(msg)
        raise InfeasibleError(f"{name}: plan violates constraints: {'; '.join(run.violations[:3])}")
    sims = {e.name: round(cosine(e.capability, preference.as_list()), 6) for e in registry.all_experts()}
    selection = Selection("forced", [name] if expert.fast else [], expert.kind == "mip", sims,
                          reason=f"expert {name!r} forced with --expert")
    return ActivationResult(preference, DEFAULT_TAU, selection, [run], name,
                            list(weights) if expert.kind == "mip" else None, list(weights), notes)
