"""Retrain the shipped policies: ``python -m experts.train_drl {placement,config,all} [--steps N]``.

* placement: PPO device scorers for ``drl-hops`` / ``drl-latency`` on random topologies (Abilene and
  GEANT sub-graphs, FatTree4, random graphs of 4-32 devices) with 10-200 seeded tasks whose sizes
  are scaled so that capacity is sometimes tight (coverage matters).
* config: the weight-configuration agent on small instances (Abilene sub-graphs of 5-8 devices,
  5-13 tasks; half with flows between two switches so throughput trades with latency),
  re-planning with the real ``cpsat`` expert at every step under a deterministic work limit
  (``CONFIG_WORK``), so a move's reward does not depend on the machine's load.

Everything is seeded (placement: the same command gave identical files twice; config: the same
unless the wall-clock cap, ``--time-limit``, cuts a re-plan on a stalled machine); files go to
``experts/models/`` (or ``--out``).
"""

from __future__ import annotations

import argparse
import sys
import time
from functools import lru_cache
from pathlib import Path

import numpy as np

from experts.placement_env import PlacementEnv, RewardWeights
from omniplan.objectives import OBJECTIVES
from omniplan.topology import Device, Link, Topology, load_topology
from omniplan.workload import Workload, generate_compiled_workload, generate_workload

MODEL_DIR = Path(__file__).resolve().parent / "models"
#: PPO steps of the shipped placement policies (8-11 min each on a shared 2-core machine; the
#: held-out return flattens out here: 40k -> 200k steps changed it by < 0.2 %).
PLACEMENT_STEPS = 200_000
#: Steps of the shipped configuration agent: each is a real CP-SAT re-plan (~2 s under load), so
#: this is what fits in ~15 minutes of training.
CONFIG_STEPS = 384


@lru_cache(maxsize=8)
def _zoo(name: str) -> Topology:
    return load_topology(name)


def random_topology(rng: np.random.Generator, n: int) -> Topology:
    """A connected random graph: a random tree plus a few chords, links 1-3000 us."""
    names = [f"s{i}" for i in range(n)]
    links = {}
    for i in range(1, n):
        j = int(rng.integers(0, i))
        links[(names[j], names[i])] = None
    for _ in range(int(rng.integers(0, n))):
        a, b = rng.choice(n, 2, replace=False)
        key = (names[min(a, b)], names[max(a, b)])
        links.setdefault(key, None)
    return Topology(
        name=f"random{n}",
        devices=tuple(Device(x) for x in names),
        links=tuple(Link(a, b, 10.0, float(np.round(rng.uniform(1, 3000), 1))) for a, b in links),
        kind="random",
    )


def placement_case(rng: np.random.Generator) -> tuple[Workload, Topology]:
    kind = rng.integers(0, 4)
    if kind == 0:
        topo = _zoo("abilene").subset(int(rng.integers(4, 12)))
    elif kind == 1:
        topo = _zoo("geant2012").subset(int(rng.integers(8, 38)))
    elif kind == 2:
        topo = _zoo("fattree4")
    else:
        topo = random_topology(rng, int(rng.integers(4, 33)))
    names = [d.name for d in topo.devices]
    k = int(rng.integers(1, len(names) + 1))
    ingress = list(rng.choice(names, k, replace=False))
    n_tasks = int(rng.integers(10, 201))
    scale = float(rng.uniform(2.0, 12.0))
    wl = generate_workload(n_tasks, seed=int(rng.integers(1 << 30)), ingress_choices=ingress, scale=scale)
    return wl, topo


def train_placement(name: str, steps: int, seed: int = 0, out: Path = MODEL_DIR) -> Path:
    import torch
    from stable_baselines3 import PPO

    from experts.drl_expert import SPECS
    from experts.drl_policy import DeviceScorerPolicy, export_scorer

    torch.set_num_threads(1)
    spec = SPECS[name]
    env = PlacementEnv(placement_case, spec.reward, seed=seed)
    model = PPO(
        DeviceScorerPolicy, env, n_steps=1024, batch_size=256, n_epochs=4, learning_rate=1e-3, gamma=0.95,
        ent_coef=0.01, policy_kwargs={"hidden": 32}, seed=seed, device="cpu", verbose=0,
    )
    t0 = time.perf_counter()
    model.learn(total_timesteps=steps)
    out.mkdir(parents=True, exist_ok=True)
    path = out / spec.model_file
    model.save(str(path))
    export_scorer(model, path.with_suffix(".npz"))
    print(f"{name}: {steps} steps in {time.perf_counter() - t0:.0f} s -> {path} (+ .npz actor)")
    return path


# --------------------------------------------------------------------------- configuration agent

#: CP-SAT deterministic work per training re-plan: the small instances reach OPTIMAL or close
#: within it, and a step costs well under a second on one core.
CONFIG_WORK = 1.0
#: Objectives the configuration agent trains on (those a weighted CP-SAT plan trades off).
CONFIG_OBJECTIVES = ("power", "resources", "throughput", "latency", "coordination", "hops")


def random_intent(rng: np.random.Generator) -> np.ndarray:
    """2-3 named objectives scored 0.5 or 1; mostly a conflicting pair (power vs latency/hops, or
    throughput vs latency: a flow moved off its shortest path frees a busy link for more latency),
    because on the small training instances the other objectives rarely disagree."""
    u = rng.random()
    if u < 0.35:
        names = ["power", str(rng.choice(["latency", "hops"]))]
        if rng.random() < 0.5:
            names.append(str(rng.choice(["resources", "throughput", "coordination"])))
    elif u < 0.7:
        names = ["throughput", "latency"] + (["resources"] if rng.random() < 0.5 else [])
    else:
        k = int(rng.integers(2, 4))
        names = [CONFIG_OBJECTIVES[c] for c in rng.choice(len(CONFIG_OBJECTIVES), k, replace=False)]
    pref = np.zeros(len(OBJECTIVES))
    for name in names:
        pref[OBJECTIVES.index(name)] = float(rng.choice([0.5, 1.0]))
    return pref / pref.sum()


def config_cases(n_instances: int = 6, seed: int = 0, time_limit_s: float = 10.0, work_limit: float | None = CONFIG_WORK):
    """A case sampler over a few fixed small instances (so CP-SAT plans are cached across episodes).

    Every re-plan is a deterministic CP-SAT solve (``work_limit``) from one fast start, so the
    reward of a move is the weights' doing, not the solver's luck under load.
    """
    from experts.registry import PlanRequest

    rng0 = np.random.default_rng(seed)
    instances = []
    for i in range(n_instances):
        # Half: ingress spread over the devices and tasks of ~1/4 of a device each (placing every
        # task at its ingress - latency, hops - and consolidating - power - conflict). Half: flows
        # from a few ingress switches, so their links are busy and throughput trades with latency.
        topo = _zoo("abilene").subset(int(rng0.integers(5, 9)))
        names = [d.name for d in topo.devices]
        if i % 2 == 0:
            wl = generate_workload(int(rng0.integers(5, 8)), seed=seed * 100 + i, ingress_choices=names, scale=10.0)
        else:
            wl = generate_compiled_workload(int(rng0.integers(8, 14)), seed * 100 + i, names[:2], scale=2.0)
        instances.append(PlanRequest(wl, topo, time_limit_s=time_limit_s, workers=2, seed=0, work_limit=work_limit))

    def make_case(rng: np.random.Generator):
        return instances[int(rng.integers(len(instances)))], random_intent(rng)

    return make_case


def _ProgressPrinter(every: int):
    """An sb3 callback printing the step count and mean recent reward (re-planning steps are slow)."""
    from stable_baselines3.common.callbacks import BaseCallback

    class Printer(BaseCallback):
        def __init__(self) -> None:
            super().__init__()
            self.t0 = time.perf_counter()
            self.rewards: list[float] = []

        def _on_step(self) -> bool:
            self.rewards.extend(float(r) for r in self.locals.get("rewards", []))
            if self.num_timesteps % every == 0:
                recent = self.rewards[-every:]
                print(f"  step {self.num_timesteps}: mean reward {np.mean(recent):+.4f} "
                      f"({time.perf_counter() - self.t0:.0f} s)", flush=True)
            return True

    return Printer()


def train_config(steps: int, seed: int = 0, out: Path = MODEL_DIR, time_limit_s: float = 10.0) -> Path:
    import torch
    from stable_baselines3 import PPO

    from experts import registry
    from experts.configure import MODEL_PATH, WeightConfigEnv

    torch.set_num_threads(1)
    solver = registry.get("cpsat")
    env = WeightConfigEnv(config_cases(seed=seed, time_limit_s=time_limit_s), solver.solve, epochs=6, seed=seed)
    # Small rollouts and a high learning rate: every step is a real re-plan (~1 s), so a training
    # run holds only a few hundred of them and each has to count.
    model = PPO(
        "MlpPolicy", env, n_steps=32, batch_size=16, n_epochs=10, learning_rate=1e-3, gamma=0.9,
        policy_kwargs={"net_arch": [32, 32]}, seed=seed, device="cpu", verbose=0,
    )
    t0 = time.perf_counter()
    model.learn(total_timesteps=steps, callback=_ProgressPrinter(every=32))
    out.mkdir(parents=True, exist_ok=True)
    path = out / MODEL_PATH.name
    model.save(str(path))
    print(f"config: {steps} steps in {time.perf_counter() - t0:.0f} s -> {path}")
    return path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m experts.train_drl", description=__doc__.splitlines()[0])
    ap.add_argument("what", choices=["placement", "config", "all"])
    ap.add_argument("--expert", choices=["drl-hops", "drl-latency"], help="placement: train only this expert")
    ap.add_argument("--steps", type=int, help="PPO timesteps (placement default 200000, config default 384)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=MODEL_DIR)
    ap.add_argument("--time-limit", type=float, default=10.0,
                    help=f"config: wall-clock cap per re-plan (the deterministic work limit {CONFIG_WORK:g} decides)")
    args = ap.parse_args(argv)
    if args.steps is not None and args.steps < 1:
        print("error: --steps must be >= 1", file=sys.stderr)
        return 2
    if args.what in ("placement", "all"):
        for name in [args.expert] if args.expert else ["drl-hops", "drl-latency"]:
            train_placement(name, args.steps or PLACEMENT_STEPS, args.seed, args.out)
    if args.what in ("config", "all"):
        train_config(args.steps or CONFIG_STEPS, args.seed, args.out, args.time_limit)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
