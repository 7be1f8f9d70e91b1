"""DRL-based expert configuration (paper section 6): tune the weighted MIP expert's objective weights.

The preference vector cannot be used as solver weights directly (objectives live in different
units), so an agent adjusts them epoch by epoch: it observes the current weights, the intent
scores and which weights are still being refined, and outputs a factor ``lr in [-4, 4]``; the new
weights are ``shift_softmax(w, lr)`` (eq. 5). Each epoch re-plans with the weighted expert, scores
the plan with ``omniplan.evaluate`` and ``omniplan.feasibility`` and rewards the agent per eqs. 6-8.
Equal initial weights are broken by a seeded perturbation (eq. 9); when an update changes no weight
by more than 0.01 the dominant weight is fixed and the rest is refined recursively (appendix 11.2).

Against the paper (section 6 and appendix 11.2, 11.5), besides the reward (experts/config_reward.py):

* state: eq. 4 writes S_t = <s_t>, the current weights; the prose says it "integrates the current
  weight configuration with the intent score". Ours holds both, plus which weights are still being
  refined and the last intent-weighted improvement (``ConfigSession.observation``).
* the expert's objective: eq. 10 is min sum_i omega_i C_i on raw metrics, and section 6 motivates the
  agent by exactly that ("solvers cannot normalize performance metrics"). Our MIP expert minimises
  sum_i omega_i (C_i - lo_i) / span_i with instance bounds (experts/milp_paths.py), shared with
  activation and the baselines, so the intent's own weights are already in comparable units and the
  agent has less scale to correct than the paper's. Not changed here: it is the MIP expert's design.
* re-plans: every epoch is warm-started from the plan Algorithm 1 would hand the MIP for this intent
  (``activated_warm_start``, section 5) and, with ``PlanRequest.work_limit``, solved within a fixed
  deterministic work budget, so each epoch's plan is a function of its weights (``replay``).

``configure_weights`` runs the shipped policy (``experts/models/config_ppo.zip``) and returns the
best configuration it met; ``configure`` is the ``(preference, request) -> weights`` hook that
expert activation calls. Retrain with ``python -m experts.train_drl config``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import gymnasium as gym
import numpy as np

from experts.config_reward import configuration_reward, intent_score
from experts.registry import Expert, PlanRequest
from experts.shift_softmax import perturb, shift_softmax_subspace
from omniplan.errors import InputError, OmniPlanError
from omniplan.evaluate import evaluate
from omniplan.feasibility import check_plan
from omniplan.objectives import OBJECTIVES, Preference
from omniplan.plan import Plan

M = len(OBJECTIVES)
LR_MAX = 4.0
#: Appendix 11.2: below this largest weight change the agent refines a smaller sub-space.
REFINE_TAU = 0.01
MODEL_PATH = Path(__file__).resolve().parent / "models" / "config_ppo.zip"
TRAIN_COMMAND = "python -m experts.train_drl config"

Solve = Callable[[PlanRequest], Plan]


# --------------------------------------------------------------------------- inputs


def intent_vector(preference: Preference | Mapping[str, float] | Sequence[float]) -> np.ndarray:
    """The normalised intent score vector ``s`` (sums to 1, OBJECTIVES order)."""
    if isinstance(preference, Preference):
        pref = preference
    elif isinstance(preference, Mapping):
        pref = Preference(preference)
    else:
        pref = Preference.from_list(list(preference))
    return np.asarray(pref.normalized(), dtype=float)


def _solver_fn(solver: Expert | Solve | None) -> tuple[Solve, str]:
    if solver is None:
        from experts import registry

        solver = registry.get("cpsat")
    if isinstance(solver, Expert):
        return solver.solve, solver.name
    if callable(solver):
        return solver, getattr(solver, "__name__", "solver")
    raise InputError(f"solver must be an Expert or a callable PlanRequest -> Plan, got {type(solver).__name__}")


# --------------------------------------------------------------------------- one configuration run

def activated_warm_start(request: PlanRequest, intent: Sequence[float]) -> Plan | None:
    """The warm start Algorithm 1 gives the MIP expert for this intent: the plan of the first fast
    expert, in the activation's cosine-similarity order, that places everything feasibly.

    WHY this start (paper section 5: the mixed branch activates the best-cosine fast expert and
    "can leverage the output decisions of a fast expert to initialize decision variables in the
    ... MIP solver"): configuring the weights on re-plans from another start tunes them for a
    search the activated MIP never runs. It used to be a latency expert whatever the intent; on
    Abilene / 60 tasks the bandwidth intent's activated expert is ``bandwidth-aware``.
    """
    from experts.activation import fast_channel, select_experts

    run, _tried = fast_channel(select_experts(Preference.from_list([float(x) for x in intent])).fast, request)
    return run.plan if run is not None else None


@dataclass
class EpochRecord:
    epoch: int
    weights: list[float]
    objectives: dict[str, float]
    #: eq. 8 reward of the move into this epoch (0 for the starting points).
    reward: float
    #: Hodges-Lehmann trend of the intent-weighted improvements.
    mu: float
    #: Intent-weighted improvement over the unconfigured weights' plan (0 for that plan).
    score: float
    violations: int
    lr: float
    active: list[bool]
    solve_time_s: float
    note: str = ""
    #: The solver's own verdict on this epoch's plan for its weights: status and the distance to its
    #: best bound in normalised units (``plan.info``). WHY recorded: under a work limit a re-plan may
    #: stop short of its weights' optimum, and a metric that moves between epochs is then the
    #: search's doing as much as the weights'.
    status: str = ""
    gap: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


@dataclass
class ConfigResult:
    """Best weights found, the run's per-epoch trace and why it stopped."""

    weights: list[float]
    initial_weights: list[float]
    history: list[EpochRecord]
    stop_reason: str
    best_epoch: int
    plan: Plan | None
    base_objectives: dict[str, float]
    objectives: dict[str, float]
    elapsed_s: float = 0.0

    @property
    def score(self) -> float:
        return next(r.score for r in self.history if r.epoch == self.best_epoch)


def _start_weights(start: Sequence[float], intent: np.ndarray) -> np.ndarray:
    w = np.asarray(start, dtype=float)
    if w.shape != intent.shape or np.any(w < 0) or w.sum() <= 0:
        raise InputError(f"start weights need {M} non-negative entries with a positive sum")
    if np.any((w > 0) != (intent > 0)):
        raise InputError("start weights must weight exactly the objectives the intent names")
    return w / w.sum()


class ConfigSession:
    """State of one configuration run, shared by the gym environment and ``configure_weights``.

    Epoch -1 is the unconfigured weights (the normalised preference, what activation would use
    without configuring), epoch 0 the perturbed start (eq. 9), epochs 1.. the agent's moves.
    """

    def __init__(
        self,
        request: PlanRequest,
        intent: Sequence[float],
        solve: Solve,
        *,
        seed: int = 0,
        beta: float = 1.0,
        cache: dict | None = None,
        start: Sequence[float] | None = None,
    ) -> None:
        self.request = request
        self.intent = np.asarray(intent, dtype=float)
        if self.intent.shape != (M,) or self.intent.sum() <= 0:
            raise InputError(f"intent score vector needs {M} non-negative entries with a positive sum")
        # Epoch -1's weights: the intent's own, or a given start (e.g. the paper's Table 13 epoch 0)
        # on the same objectives - the reward still scores against the intent.
        w_init = self.intent.copy() if start is None else _start_weights(start, self.intent)
        self.solve = solve
        self.rng = np.random.default_rng(seed)
        self.beta = beta
        self.cache: dict = {} if cache is None else cache
        self.history: list[EpochRecord] = []
        self.plans: dict[int, Plan | None] = {}
        self.active = self.intent > 0
        self.last_weighted = np.zeros(M)
        self.epoch = -1
        #: Warm start of every re-plan: the caller's, else Algorithm 1's fast expert's, the same in every
        #: epoch. WHY fixed: seeding epoch t from epoch t-1's plan lets the solver's search accumulate
        #: across epochs, so the plan changes even when the weights barely do (measured: Table 7 used
        #: to move 16 % in throughput on a 0.003 weight change). With one start and a work limit
        #: (``request.work_limit``) the plan of an epoch is a function of its weights alone.
        self.warm: Plan | None = request.warm_start or activated_warm_start(request, self.intent)

        base = self._run(w_init)
        if base[0] is None:
            raise OmniPlanError(f"weight configuration: the weighted expert found no plan with the unconfigured weights: {base[3]}")
        self.base_objectives = base[1]
        self._record(-1, w_init, base, reward=0.0, mu=0.0, lr=0.0, note="unconfigured")
        self.w = perturb(w_init, self.rng, self.active)
        first = self._run(self.w)
        self.prev_objectives = first[1] if first[0] is not None else self.base_objectives
        self.epoch = 0
        self._record(0, self.w, first, reward=0.0, mu=0.0, lr=0.0, note="perturbed start (eq. 9)")

    # ---- solving with caching: identical weights give identical plans within a run
    def _run(self, w: np.ndarray) -> tuple[Plan | None, dict[str, float], int, str, float]:
        key = tuple(np.round(w, 4))
        if key in self.cache:
            return self.cache[key]
        req = replace(self.request, weights=[float(x) for x in w], warm_start=self.warm)
        t0 = time.perf_counter()
        try:
            plan = self.solve(req)
        except OmniPlanError as exc:  # infeasible, or no plan within the time limit
            out = (None, {}, 1, str(exc), time.perf_counter() - t0)
        else:
            elapsed = time.perf_counter() - t0
            violations = check_plan(plan, self.request.workload, self.request.topology, require_all=not self.request.allow_partial)
            ev = evaluate(plan, self.request.workload, self.request.topology)
            out = (plan, dict(ev.objectives), len(violations), "; ".join(map(str, violations[:3])), elapsed)
        self.cache[key] = out
        return out

    def _record(self, epoch: int, w: np.ndarray, run: tuple, *, reward: float, mu: float, lr: float, note: str) -> EpochRecord:
        plan, objectives, violations, detail, elapsed = run
        score = intent_score(self.base_objectives, objectives, self.intent) if plan is not None and not violations else float("-inf")
        rec = EpochRecord(
            epoch=epoch, weights=[float(x) for x in w], objectives=dict(objectives), reward=reward, mu=mu,
            score=score, violations=violations, lr=lr, active=[bool(a) for a in self.active], solve_time_s=elapsed,
            note=note if not detail else f"{note} {detail}".strip(),
            status=str((plan.info or {}).get("status", "")) if plan is not None else "",
            gap=(plan.info or {}).get("gap_normalised") if plan is not None else None,
        )
        self.history.append(rec)
        self.plans[epoch] = plan
        return rec

    @property
    def done(self) -> bool:
        """All weights differentiated: fewer than two weights left to refine."""
        return int(self.active.sum()) < 2

    def observation(self) -> np.ndarray:
        return np.concatenate([self.w, self.intent, self.active.astype(float), np.clip(self.last_weighted * 10, -1, 1)]).astype(np.float32)

    def step(self, lr: float) -> EpochRecord:
        """One epoch: eq. 5 update, re-plan, eqs. 6-8 reward, recursive refinement check."""
        lr = float(np.clip(lr, -LR_MAX, LR_MAX))
        new_w = shift_softmax_subspace(self.w, lr, self.active)
        run = self._run(new_w)
        plan, objectives, violations, _, _ = run
        if plan is None:
            reward, mu, weighted = -self.beta * violations, 0.0, np.zeros(M)
        else:
            reward, mu, weighted = configuration_reward(self.prev_objectives, objectives, self.intent, violations, self.beta)
            self.prev_objectives = objectives
        self.last_weighted = weighted
        note = ""
        next_w = new_w
        if np.max(np.abs(new_w - self.w)) < REFINE_TAU and not self.done:
            fixed = int(np.argmax(np.where(self.active, new_w, -1.0)))
            self.active[fixed] = False
            note = f"refine: fix {OBJECTIVES[fixed]}"
            # Renewed perturbation of the remaining sub-space (appendix 11.2).
            next_w = perturb(new_w, self.rng, self.active)
        self.w = next_w
        self.epoch += 1
        # The record carries the weights this epoch's plan was solved with.
        return self._record(self.epoch, new_w, run, reward=reward, mu=mu, lr=lr, note=note)

    def best(self) -> EpochRecord:
        feasible = [r for r in self.history if r.score != float("-inf")]
        # Ties go to the earliest epoch: with nothing gained, the unconfigured weights are returned.
        return max(feasible, key=lambda r: (round(r.score, 9), -r.epoch))


# --------------------------------------------------------------------------- gym environment


class WeightConfigEnv(gym.Env):
    """Episodes of weight configuration on sampled (instance, intent) pairs.

    ``make_case(rng)`` returns ``(PlanRequest, intent_vector)``; the expert re-plans every step,
    so training uses small instances and a short solver time limit.
    """

    metadata = {"render_modes": []}

    def __init__(self, make_case: Callable[[np.random.Generator], tuple[PlanRequest, np.ndarray]], solve: Solve,
                 *, epochs: int = 8, beta: float = 1.0, seed: int = 0) -> None:
        super().__init__()
        self.make_case = make_case
        self.solve = solve
        self.epochs = epochs
        self.beta = beta
        self.observation_space = gym.spaces.Box(-1.0, 1.0, shape=(4 * M,), dtype=np.float32)
        # The agent acts in [-1, 1]; scaled to lr in [-4, 4] (keeps PPO's Gaussian well conditioned).
        self.action_space = gym.spaces.Box(-1.0, 1.0, shape=(1,), dtype=np.float32)
        self._rng = np.random.default_rng(seed)
        self._caches: dict[int, dict] = {}
        self.session: ConfigSession | None = None

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        if seed is not None:
            self._rng = np.random.default_rng(seed)
        for attempt in range(5):
            request, intent = self.make_case(self._rng)
            key = hash((id(request.workload), id(request.topology), tuple(np.round(intent, 6))))
            cache = self._caches.setdefault(key, {})
            try:
                self.session = ConfigSession(request, intent, self.solve, seed=int(self._rng.integers(1 << 31)),
                                             beta=self.beta, cache=cache)
            except OmniPlanError:
                # The solver found no starting plan in its time limit (a busy machine): draw another case.
                if attempt == 4:
                    raise
                continue
            break
        return self.session.observation(), {}

    def step(self, action):
        assert self.session is not None, "call reset() first"
        lr = float(np.clip(np.asarray(action, dtype=float).reshape(-1)[0], -1, 1)) * LR_MAX
        rec = self.session.step(lr)
        terminated = self.session.done
        truncated = self.session.epoch >= self.epochs
        return self.session.observation(), float(rec.reward), terminated, truncated, {"record": rec}


# --------------------------------------------------------------------------- public API

_POLICY_CACHE: dict[str, Any] = {}


def load_policy(path: str | Path = MODEL_PATH):
    """The trained configuration agent (a stable-baselines3 PPO file we ship ourselves)."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"configuration policy {path} is missing; train it with `{TRAIN_COMMAND}`")
    key = str(path)
    if key not in _POLICY_CACHE:
        from stable_baselines3 import PPO

        _POLICY_CACHE[key] = PPO.load(str(path), device="cpu")
    return _POLICY_CACHE[key]


def configure_weights(
    preference: Preference | Mapping[str, float] | Sequence[float],
    request: PlanRequest,
    *,
    solver: Expert | Solve | None = None,
    epochs: int = 10,
    seed: int = 0,
    policy: Any = None,
    beta: float = 1.0,
    patience: int = 4,
    step_time_limit_s: float | None = None,
    progress: Callable[[EpochRecord], None] | None = None,
    start_weights: Sequence[float] | None = None,
) -> ConfigResult:
    """Tune the weighted expert's objective weights for ``preference`` on ``request``'s instance.

    Runs at most ``epochs`` agent moves; stops early when every weight is differentiated
    ("refined") or when ``patience`` epochs in a row did not beat the best intent score
    ("converged"). Returns the best configuration seen, which includes the unconfigured weights,
    so the result never scores below them. ``step_time_limit_s`` caps the solver time of each
    re-plan (default: the request's own limit). ``start_weights`` replaces the intent as epoch
    -1's weights (same objectives; the reward and the score still use the intent).
    """
    if epochs < 0:
        raise InputError("epochs must be >= 0")
    if step_time_limit_s is not None:
        if step_time_limit_s <= 0:
            raise InputError("step_time_limit_s must be > 0")
        request = replace(request, time_limit_s=min(request.time_limit_s, step_time_limit_s))
    t0 = time.perf_counter()
    intent = intent_vector(preference)
    solve, _ = _solver_fn(solver)
    agent = policy if policy is not None else load_policy()
    session = ConfigSession(request, intent, solve, seed=seed, beta=beta, start=start_weights)
    for rec in session.history:
        if progress:
            progress(rec)
    stop = "epochs"
    best_score, since_best = session.best().score, 0
    if session.done:
        stop = "refined"
    else:
        for _ in range(epochs):
            action, _ = agent.predict(session.observation(), deterministic=True)
            rec = session.step(float(np.asarray(action).reshape(-1)[0]) * LR_MAX)
            if progress:
                progress(rec)
            if rec.score > best_score + 1e-9:
                best_score, since_best = rec.score, 0
            else:
                since_best += 1
            if session.done:
                stop = "refined"
                break
            if since_best >= patience:
                stop = "converged"
                break
    best = session.best()
    weights = np.asarray(best.weights)
    weights = weights / weights.sum()
    return ConfigResult(
        weights=[float(x) for x in weights],
        initial_weights=list(session.history[0].weights),
        history=list(session.history),
        stop_reason=stop,
        best_epoch=best.epoch,
        plan=session.plans.get(best.epoch),
        base_objectives=dict(session.base_objectives),
        objectives=dict(best.objectives),
        elapsed_s=time.perf_counter() - t0,
    )


def replay(result: ConfigResult, request: PlanRequest, *, solver: Expert | Solve | None = None) -> list[dict[str, float]]:
    """Re-solve every epoch's weights from scratch: the objectives of each fresh plan, in history order.

    WHY: the check that an epoch's plan is its weights' doing. With the same warm start
    (``request.warm_start``) and a work limit (``request.work_limit``) each solve is deterministic,
    so a replay equal to the history shows that no state carried between epochs (a previous plan,
    a cache, the solver's luck) changed the plan - only the weights did. Infeasible epochs give {}.
    """
    solve, _ = _solver_fn(solver)
    out: list[dict[str, float]] = []
    for rec in result.history:
        try:
            plan = solve(replace(request, weights=list(rec.weights)))
        except OmniPlanError:
            out.append({})
            continue
        out.append(dict(evaluate(plan, request.workload, request.topology).objectives))
    return out


#: Per-epoch solver limit and epoch budget of the activation hook: a few seconds per re-plan.
HOOK_STEP_TIME_S = 5.0
HOOK_EPOCHS = 8


def configure(preference: Preference | Mapping[str, float] | Sequence[float], request: PlanRequest) -> list[float]:
    """Expert-activation hook: configured weights (OBJECTIVES order) for the MIP expert."""
    return configure_weights(preference, request, epochs=HOOK_EPOCHS, step_time_limit_s=HOOK_STEP_TIME_S).weights
