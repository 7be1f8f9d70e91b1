"""Learning-based fast experts: trained PPO device scorers that place tasks one at a time.

``drl-hops`` (network-wide intents: fewest hops, most tasks placed) and ``drl-latency`` (lowest
ingress latency) share the MDP of ``experts.placement_env`` and differ in the reward weights they
were trained with. At inference the shipped policy's actor is copied to NumPy and applied greedily
(argmax over feasible devices) from the exported ``.npz`` (no torch at planning time), so a
100-task plan takes milliseconds. Infeasible devices are
masked, and a task that fits on no device is left out (``allow_partial``) or reported as
infeasible, so the expert never proposes a placement the feasibility checker rejects.

Importing this module registers both experts; the policy files under ``experts/models/`` are
loaded on first use. Retrain with ``python -m experts.train_drl placement``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from experts.drl_scorer import DeviceScorer
from experts.placement_env import PlacementState, RewardWeights, placement_order
from experts.registry import Expert, PlanRequest, capability, register
from omniplan.errors import InfeasibleError, InputError
from omniplan.plan import Plan, StageBook, pack_whole_task, shortest_routes
from omniplan.workload import mat_id

MODEL_DIR = Path(__file__).resolve().parent / "models"
TRAIN_COMMAND = "python -m experts.train_drl placement"


@dataclass(frozen=True)
class DrlSpec:
    name: str
    model_file: str
    reward: RewardWeights
    capability: tuple[float, ...]
    description: str


SPECS: dict[str, DrlSpec] = {
    "drl-hops": DrlSpec(
        "drl-hops", "drl_hops.zip", RewardWeights(coverage=1.0, hop=1.0, resource=0.05, latency=0.0),
        capability(hops=1.0, coverage=1.0),
        "PPO device scorer trained on R = coverage - hops - 0.05 resource; places whole tasks on or near their flow path",
    ),
    "drl-latency": DrlSpec(
        "drl-latency", "drl_latency.zip", RewardWeights(coverage=1.0, hop=0.0, resource=0.05, latency=1.0),
        capability(latency=1.0),
        "PPO device scorer trained on R = coverage - latency - 0.05 resource; least extra walk latency per task",
    ),
}

_SCORERS: dict[str, DeviceScorer] = {}


def load_scorer(name: str, model_dir: Path | None = None) -> DeviceScorer:
    """The NumPy actor of a trained policy (cached per file).

    Reads the exported ``.npz``; when only the sb3 ``.zip`` is there, loads it with the sb3 API
    and exports the ``.npz`` next to it first.
    """
    spec = SPECS[name]
    folder = model_dir or MODEL_DIR
    zip_path = folder / spec.model_file
    npz_path = zip_path.with_suffix(".npz")
    key = str(npz_path)
    if key not in _SCORERS:
        if not npz_path.exists():
            if not zip_path.exists():
                raise InputError(f"{name}: policy file {zip_path} is missing; train it with `{TRAIN_COMMAND} --expert {name}`")
            from stable_baselines3 import PPO

            from experts.drl_policy import export_scorer

            export_scorer(PPO.load(str(zip_path), device="cpu"), npz_path)
        _SCORERS[key] = DeviceScorer.load(npz_path)
    return _SCORERS[key]


def place(request: PlanRequest, scorer: DeviceScorer,
          stages: dict[str, int] | None = None) -> tuple[dict[str, str], list[str]]:
    """Greedy roll-out of the policy: (placement mat_id -> device, names of unplaced tasks).

    The policy's feasibility mask pools memory per device; each choice is also packed into the
    device's stages (first fit, per-stage SRAM/TCAM/entries): the best-scored device that packs
    wins, and its stage starts go into ``stages`` when given."""
    state = PlacementState(request.workload, request.topology)
    book = StageBook(request.topology)
    placement: dict[str, str] = {}
    unplaced: list[str] = []
    for task in placement_order(request.workload):
        rows = state.features(task)
        ok = rows[:, 6] > 0.5
        scores = scorer.scores(rows.astype(np.float64)) if ok.any() else np.zeros(len(rows))
        chosen = None
        for row in np.argsort(-scores, kind="stable"):
            if not ok[row]:
                continue
            # lexicographic topological order: the one the policies' plans were packed in
            starts = pack_whole_task(book, task, state.names[int(row)], task.order_and_preds[0])
            if starts is not None:
                chosen = (int(row), starts)
                break
        if chosen is None:
            state.consume(task)
            unplaced.append(task.name)
            continue
        row, starts = chosen
        state.place(task, row)
        dev = state.names[row]
        for m in task.mats:
            placement[mat_id(task.name, m.name)] = dev
            if stages is not None:
                stages[mat_id(task.name, m.name)] = starts[m.name]
    return placement, unplaced


def make_solver(name: str):
    def solve(request: PlanRequest) -> Plan:
        t0 = time.perf_counter()
        scorer = load_scorer(name)
        stages: dict[str, int] = {}
        placement, unplaced = place(request, scorer, stages)
        if unplaced and not request.allow_partial:
            raise InfeasibleError(
                f"{name}: {len(unplaced)} task(s) fit on no device as a whole (first: {unplaced[0]}); "
                "allow partial plans to offload the rest"
            )
        plan = Plan(placement=placement, stages=stages,
                    routes=shortest_routes(request.workload, request.topology, placement), expert=name,
                    info={"unplaced": unplaced})
        plan.info["solve_time_s"] = time.perf_counter() - t0
        plan.info["status"] = "feasible"
        return plan

    solve.__name__ = f"solve_{name.replace('-', '_')}"
    return solve


for _spec in SPECS.values():
    register(Expert(name=_spec.name, kind="drl", capability=_spec.capability, solve=make_solver(_spec.name), description=_spec.description))
