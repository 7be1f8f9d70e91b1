"""The task-placement MDP of the learning-based experts (paper section 5, "learning-based experts").

Tasks are placed one at a time, each whole on one device (no metadata crosses devices); the
task's packets walk ingress -> that device -> egress (``omniplan.walk``). The observation is one
feature row per device - its remaining SRAM/TCAM/PHV headroom, the task's demand relative to it,
whether the task fits, and the extra hops and latency of the walk through it over the direct
ingress -> egress path - so the policy that scores rows independently works on any topology size
and device order. Devices the task does not fit on are masked; a task that fits nowhere is left
unplaced (coverage < 100 %). (Per-stage packing is checked by the expert at planning time, not here.)

Reward per placement: ``R_t = l1 * Coverage_t - l2 * Hop_t - l3 * Resource_t - l4 * Latency_t``
with Coverage_t = 1 for a placed task, Hop_t the walk's extra hops over the topology's diameter,
Resource_t the chosen device's utilisation after placing (the bottleneck of SRAM and PHV) and
Latency_t the walk's extra latency over the largest device-to-device latency in the topology.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

import gymnasium as gym
import networkx as nx
import numpy as np

from omniplan.evaluate import route_latency_ns
from omniplan.topology import Topology
from omniplan.workload import Task, Workload

#: Feature columns of a device row.
FEATURES = (
    "sram_free", "phv_free", "tcam_free",
    "task_sram", "task_phv", "task_tcam",
    "fits", "hop_rel", "lat_rel", "hop_gap", "lat_gap", "is_ingress",
    "util_after", "tasks_left", "pressure", "n_devices",
)
N_FEATURES = len(FEATURES)
FIT = FEATURES.index("fits")
#: Padding size for training (the scorer itself is size-agnostic).
N_MAX = 40


@dataclass(frozen=True)
class RewardWeights:
    coverage: float = 1.0
    hop: float = 1.0
    resource: float = 0.05
    latency: float = 0.0


@lru_cache(maxsize=32)
def ingress_tables(topology: Topology) -> tuple[np.ndarray, np.ndarray]:
    """Hops and latency (ns) from every device to every device along the route the plan will use.

    ``complete_plan`` routes on the lowest-latency path, so both tables follow that path exactly
    as the evaluator counts it (links plus one device pass per device entered).
    """
    names = [d.name for d in topology.devices]
    paths = dict(nx.all_pairs_dijkstra_path(topology.graph, weight="latency_us"))
    n = len(names)
    hops = np.full((n, n), 1e6)
    lat = np.full((n, n), 1e12)
    for i, a in enumerate(names):
        for j, b in enumerate(names):
            path = paths.get(a, {}).get(b)
            if path is not None:
                hops[i, j] = len(path) - 1
                lat[i, j] = route_latency_ns(topology, path)
    hops.setflags(write=False)
    lat.setflags(write=False)
    return hops, lat


def task_demand(task: Task) -> tuple[int, int, int, int]:
    """(SRAM incl. dispatch table, TCAM, PHV, ASAP stage depth) of a task placed whole on one device."""
    # Longest stage path through the DAG (Kahn's order without building a networkx graph: this
    # runs once per task on every plan, and is most of the expert's time otherwise).
    stages = {m.name: m.stages for m in task.mats}
    preds: dict[str, list[str]] = {m: [] for m in stages}
    succs: dict[str, list[str]] = {m: [] for m in stages}
    for d in task.deps:
        preds[d.dst].append(d.src)
        succs[d.src].append(d.dst)
    indeg = {m: len(p) for m, p in preds.items()}
    ready = [m for m, k in indeg.items() if k == 0]
    finish: dict[str, int] = {}
    while ready:
        name = ready.pop()
        finish[name] = max((finish[p] for p in preds[name]), default=0) + stages[name]
        for nxt in succs[name]:
            indeg[nxt] -= 1
            if indeg[nxt] == 0:
                ready.append(nxt)
    depth = max(finish.values(), default=0)
    return (
        task.sram_bits + task.dispatch_sram_bits,
        sum(m.tcam_bits for m in task.mats),
        sum(m.phv_bits for m in task.mats),
        depth,
    )


class PlacementState:
    """Per-device usage while tasks are placed whole, and the per-device feature rows."""

    def __init__(self, workload: Workload, topology: Topology) -> None:
        self.workload = workload
        self.topology = topology
        self.names = [d.name for d in topology.devices]
        self.index = {n: i for i, n in enumerate(self.names)}
        profs = [d.profile for d in topology.devices]
        self.cap = np.array([[p.sram_bits, p.tcam_bits, p.phv_bits] for p in profs], dtype=float)
        self.stages = np.array([p.stages for p in profs], dtype=float)
        self.used = np.zeros_like(self.cap)
        n = len(self.names)
        self.hops, self.lat = ingress_tables(topology)
        self.diameter = max(1.0, float(self.hops[self.hops < 1e6].max()) if n > 1 else 1.0)
        self.lat_scale = max(1.0, float(self.lat[self.lat < 1e12].max()))
        self.demands = {t.name: np.array(task_demand(t), dtype=float) for t in workload.tasks}
        total = sum(self.demands[t.name][0] for t in workload.tasks)
        self.remaining_sram = float(total)
        self.tasks_left = len(workload.tasks)

    def ingress_row(self, task: Task) -> int | None:
        return self.index.get(task.ingress) if task.ingress is not None else None

    def fits(self, task: Task) -> np.ndarray:
        d = self.demands[task.name]
        # SRAM and TCAM pool per device; PHV is per packet (the task's own fields, omniplan.walk)
        ok = np.all(self.used[:, :2] + d[None, :2] <= self.cap[:, :2] + 1e-9, axis=1) & (d[2] <= self.cap[:, 2] + 1e-9)
        return ok & (d[3] <= self.stages)

    def distance_rows(self, task: Task) -> tuple[np.ndarray, np.ndarray] | None:
        """Per device, the extra hops and latency of the task's walk ingress -> device -> egress over
        its direct ingress -> egress path (0 on the path): what placing the task there costs."""
        row = self.ingress_row(task)
        if row is None:
            return None
        erow = self.index.get(task.exit, row)
        return (self.hops[row] + self.hops[:, erow] - self.hops[row, erow],
                self.lat[row] + self.lat[:, erow] - self.lat[row, erow])

    def features(self, task: Task) -> np.ndarray:
        d = self.demands[task.name]
        n = len(self.names)
        f = np.zeros((n, N_FEATURES), dtype=np.float32)
        free = (self.cap - self.used) / self.cap
        f[:, 0] = free[:, 0]
        f[:, 1] = free[:, 2]
        f[:, 2] = free[:, 1]
        f[:, 3] = d[0] / self.cap[:, 0]
        f[:, 4] = d[2] / self.cap[:, 2]
        f[:, 5] = d[1] / np.maximum(self.cap[:, 1], 1.0)
        ok = self.fits(task)
        f[:, 6] = ok
        row = self.ingress_row(task)
        rows = self.distance_rows(task)
        if rows is None:
            hops = np.zeros(n)
            lat = np.zeros(n)
        else:
            hops, lat = rows
        f[:, 7] = np.minimum(hops / self.diameter, 1.0)
        f[:, 8] = np.minimum(lat / self.lat_scale, 1.0)
        if ok.any():
            f[:, 9] = np.clip((hops - hops[ok].min()) / self.diameter, 0.0, 1.0)
            f[:, 10] = np.clip((lat - lat[ok].min()) / self.lat_scale, 0.0, 1.0)
        if row is not None:
            f[row, 11] = 1.0
        after = (self.used[:, [0, 2]] + d[None, [0, 2]]) / self.cap[:, [0, 2]]
        f[:, 12] = np.clip(after.max(axis=1), 0.0, 1.5)
        f[:, 13] = self.tasks_left / max(1, len(self.workload.tasks))
        cap_left = float((self.cap[:, 0] - self.used[:, 0]).sum())
        f[:, 14] = min(2.0, self.remaining_sram / max(cap_left, 1.0))
        f[:, 15] = n / N_MAX
        return f

    def place(self, task: Task, row: int) -> None:
        d = self.demands[task.name]
        self.used[row, :2] += d[:2]
        self.consume(task)

    def consume(self, task: Task) -> None:
        self.remaining_sram -= float(self.demands[task.name][0])
        self.tasks_left -= 1

    def step_reward(self, task: Task, row: int, lam: RewardWeights, placed: bool) -> float:
        if not placed:
            return 0.0
        rows = self.distance_rows(task)
        hop = 0.0 if rows is None else rows[0][row] / self.diameter
        lat = 0.0 if rows is None else rows[1][row] / self.lat_scale
        util = float(np.max(self.used[row, [0, 2]] / self.cap[row, [0, 2]]))
        return lam.coverage - lam.hop * hop - lam.resource * util - lam.latency * lat


def placement_order(workload: Workload) -> list[Task]:
    """Smallest SRAM demand first: with whole-task placement this maximises how many tasks fit."""
    return sorted(workload.tasks, key=lambda t: (t.sram_bits + t.dispatch_sram_bits, t.name))


class PlacementEnv(gym.Env):
    """Gym wrapper over PlacementState with device rows padded to N_MAX (padding rows are masked)."""

    metadata = {"render_modes": []}

    def __init__(self, make_case: Callable[[np.random.Generator], tuple[Workload, Topology]], reward: RewardWeights, seed: int = 0) -> None:
        super().__init__()
        self.make_case = make_case
        self.reward = reward
        self.observation_space = gym.spaces.Box(-1.0, 2.0, shape=(N_MAX * N_FEATURES,), dtype=np.float32)
        self.action_space = gym.spaces.Discrete(N_MAX)
        self._rng = np.random.default_rng(seed)
        self.state: PlacementState | None = None
        self.order: list[Task] = []
        self.pos = 0

    def _advance(self) -> float:
        """Skip tasks that fit nowhere (they stay unplaced); returns 0 - coverage is only earned."""
        assert self.state is not None
        while self.pos < len(self.order) and not self.state.fits(self.order[self.pos]).any():
            self.state.consume(self.order[self.pos])
            self.pos += 1
        return 0.0

    def _obs(self) -> np.ndarray:
        out = np.zeros((N_MAX, N_FEATURES), dtype=np.float32)
        if self.pos < len(self.order):
            f = self.state.features(self.order[self.pos])
            out[: f.shape[0]] = f[:N_MAX]
        return out.reshape(-1)

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        if seed is not None:
            self._rng = np.random.default_rng(seed)
        workload, topology = self.make_case(self._rng)
        if len(topology.devices) > N_MAX:
            raise ValueError(f"training topology has {len(topology.devices)} devices; the padded env holds {N_MAX}")
        self.state = PlacementState(workload, topology)
        self.order = placement_order(workload)
        self.pos = 0
        self._advance()
        return self._obs(), {}

    def step(self, action):
        task = self.order[self.pos]
        ok = self.state.fits(task)
        row = int(action)
        if row >= len(ok) or not ok[row]:
            # The policy masks invalid rows, so this only happens with a foreign policy: fall back
            # to the first feasible device and penalise.
            row = int(np.flatnonzero(ok)[0])
            penalty = 1.0
        else:
            penalty = 0.0
        self.state.place(task, row)
        reward = self.state.step_reward(task, row, self.reward, True) - penalty
        self.pos += 1
        self._advance()
        done = self.pos >= len(self.order)
        return self._obs(), float(reward), done, False, {}
