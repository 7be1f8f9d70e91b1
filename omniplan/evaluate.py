"""The one objective evaluator every plan goes through, whichever expert produced it.

The traffic model is ``omniplan.walk`` (read its docstring): every task's packets walk
ingress -> the devices hosting its MATs in DAG order -> egress. Definitions (the MIP mirrors them):

* **power** (W): for every device hosting at least one MAT, ``idle_power_w`` plus
  ``power_per_stage_w`` times the stages it uses (highest stage end).
* **resources** (%): SRAM in use over SRAM capacity of all devices. A device uses the SRAM of
  its MATs plus, for every task it hosts any part of, that task's ``dispatch_sram_bits`` (the
  table that recognises the task's packets there) - so splitting a task costs memory.
* **throughput** (%): bottleneck headroom, ``100 * (1 - max arc utilisation)``. Every link of a
  task's walk carries ``rate_mpps * (packet bits + metadata bits on that link)`` Mbit/s.
* **latency** (us): mean over placed tasks of the walk's latency (one device pass per device
  entered, ingress and egress included, plus link latencies).
* **coordination** (%): metadata bits of dependencies whose MATs run at different walk positions
  over all dependency bits.
* **hops** (links): mean over placed tasks of the links of the walk.
* **coverage** (%): share of tasks placed.

Also reported: ``phv_pct`` (mean over placed tasks of the packet's peak PHV share on its walk),
the share of split tasks and of tasks with a MAT off their lowest-latency ingress->egress path.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from omniplan.objectives import OBJECTIVES
from omniplan.plan import Plan, pipeline_ends
from omniplan.topology import Topology
from omniplan.walk import TaskWalk, arc_loads, off_path, task_walk, walk_latency_ns
from omniplan.workload import Workload, mat_id


@dataclass
class Evaluation:
    objectives: dict[str, float]
    phv_pct: float
    max_link_util_pct: float
    total_latency_us: float
    total_hops: int
    coordination_bits: int
    placed_tasks: int
    total_tasks: int
    split_pct: float = 0.0
    off_path_pct: float = 0.0
    task_latency_us: dict[str, float] = field(default_factory=dict)
    device_sram_bits: dict[str, int] = field(default_factory=dict)
    device_tcam_bits: dict[str, int] = field(default_factory=dict)
    device_stages: dict[str, int] = field(default_factory=dict)
    arc_load_mbps: dict[tuple[str, str], float] = field(default_factory=dict)
    walks: dict[str, TaskWalk] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "objectives": dict(self.objectives),
            "phv_pct": self.phv_pct,
            "max_link_util_pct": self.max_link_util_pct,
            "total_latency_us": self.total_latency_us,
            "total_hops": self.total_hops,
            "coordination_bits": self.coordination_bits,
            "placed_tasks": self.placed_tasks,
            "total_tasks": self.total_tasks,
            "split_pct": self.split_pct,
            "off_path_pct": self.off_path_pct,
            "task_latency_us": dict(self.task_latency_us),
        }


def device_pass_ns(topology: Topology, device: str) -> int:
    p = topology.device(device).profile
    return p.hop_latency_ns + p.stages * p.stage_latency_ns


def route_latency_ns(topology: Topology, path: list[str]) -> float:
    """Links' latency plus one device pass for each device entered after the first."""
    return walk_latency_ns(topology, path) - device_pass_ns(topology, path[0])


def path_function(topology: Topology):
    """Lowest-latency paths, computed once per topology (``Topology.shortest_paths``)."""
    paths = topology.shortest_paths
    return lambda a, b: paths[a][b]


def evaluate(plan: Plan, workload: Workload, topology: Topology) -> Evaluation:
    placed = set(plan.placed_tasks(workload))
    sram: dict[str, int] = defaultdict(int)
    tcam: dict[str, int] = defaultdict(int)
    arc_load: dict[tuple[str, str], float] = defaultdict(float)
    path = path_function(topology)
    shortest = topology.shortest_paths
    coord_bits = 0
    all_bits = 0
    hops = 0
    splits = offs = 0
    phv_peak = 0.0
    task_latency: dict[str, float] = {}
    walks: dict[str, TaskWalk] = {}

    for t in workload.tasks:
        all_bits += sum(d.bits for d in t.deps)
        if t.name not in placed:
            continue
        for m in t.mats:
            mid = mat_id(t.name, m.name)
            dev = plan.placement[mid]
            sram[dev] += m.sram_bits
            tcam[dev] += m.tcam_bits
        w = task_walk(t, plan.placement, plan.routes, path)
        walks[t.name] = w
        for dev in w.hosts:
            sram[dev] += t.dispatch_sram_bits
        splits += len(w.hosts) > 1
        if t.ingress is not None:
            offs += off_path(t, w, shortest[t.ingress][t.exit])
        task_latency[t.name] = walk_latency_ns(topology, w.devices) / 1000.0
        hops += w.hops
        coord_bits += w.cross_bits
        for arc, mbps in arc_loads(t, w.devices, w.meta_bits):
            arc_load[arc] += mbps
        phv_peak += max(p / topology.device(d).profile.phv_bits for d, p in zip(w.devices, w.phv_bits))

    stage_end = pipeline_ends((t for t in workload.tasks if t.name in placed), plan.placement, plan.stages)
    max_util = 0.0
    for (u, v), load in arc_load.items():
        max_util = max(max_util, load / (topology.link(u, v).bandwidth_gbps * 1000.0))
    power = sum(
        topology.device(dev).profile.idle_power_w + topology.device(dev).profile.power_per_stage_w * stage_end[dev]
        for dev in stage_end
    )
    n_placed = len(placed)
    cap_sram = sum(d.profile.sram_bits for d in topology.devices)
    objectives = {
        "power": round(power, 6),
        "resources": 100.0 * sum(sram.values()) / cap_sram,
        "throughput": 100.0 * (1.0 - max_util),
        "latency": (sum(task_latency.values()) / n_placed) if n_placed else 0.0,
        "coordination": (100.0 * coord_bits / all_bits) if all_bits else 0.0,
        "hops": (hops / n_placed) if n_placed else 0.0,
        "coverage": 100.0 * n_placed / len(workload.tasks),
    }
    assert list(objectives) == list(OBJECTIVES)
    return Evaluation(
        objectives=objectives,
        phv_pct=(100.0 * phv_peak / n_placed) if n_placed else 0.0,
        max_link_util_pct=100.0 * max_util,
        total_latency_us=sum(task_latency.values()),
        total_hops=hops,
        coordination_bits=coord_bits,
        placed_tasks=n_placed,
        total_tasks=len(workload.tasks),
        split_pct=(100.0 * splits / n_placed) if n_placed else 0.0,
        off_path_pct=(100.0 * offs / n_placed) if n_placed else 0.0,
        task_latency_us=task_latency,
        device_sram_bits=dict(sram),
        device_tcam_bits=dict(tcam),
        device_stages=dict(stage_end),
        arc_load_mbps=dict(arc_load),
        walks=walks,
    )
