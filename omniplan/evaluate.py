"""The one objective evaluator every plan goes through, whichever expert produced it.

Definitions (the CP-SAT model mirrors them term by term, so solver objective and evaluator agree):

* **power** (W): for every device hosting at least one MAT, ``idle_power_w`` plus
  ``power_per_stage_w`` times the stages it uses (highest stage end).
* **resources** (%): SRAM in use over SRAM capacity of all devices. A device uses the SRAM of
  its MATs plus, for every task it hosts any part of, that task's ``dispatch_sram_bits`` (the
  table that recognises the task's packets there) - so splitting a task costs memory.
* **throughput** (%): bottleneck headroom, ``100 * (1 - max arc utilisation)``. An arc carries
  ``rate_mpps * bits`` Mbit/s for every dependency routed over it.
* **latency** (us): mean over placed tasks of the longest root-to-sink path, where a packet pays
  one device pass (``hop_latency_ns + stages * stage_latency_ns``) on the first device and on
  every further device it enters, plus each link's latency.
* **coordination** (%): metadata bits of dependencies that cross devices over all dependency bits.
* **hops** (links): mean per placed task of the links its routed dependencies traverse.
* **coverage** (%): share of tasks placed.

``phv_pct`` (PHV bits in use over PHV capacity) and the per-device figures are reported too.
A device's PHV holds its MATs' ``phv_bits`` plus the metadata of every routed dependency that
enters it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from omniplan.objectives import OBJECTIVES
from omniplan.plan import Plan
from omniplan.topology import Topology
from omniplan.workload import Workload, dep_id, ingress_dep_id, mat_id


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
    task_latency_us: dict[str, float] = field(default_factory=dict)
    device_sram_bits: dict[str, int] = field(default_factory=dict)
    device_tcam_bits: dict[str, int] = field(default_factory=dict)
    device_phv_bits: dict[str, int] = field(default_factory=dict)
    device_stages: dict[str, int] = field(default_factory=dict)
    arc_load_mbps: dict[tuple[str, str], float] = field(default_factory=dict)

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
            "task_latency_us": dict(self.task_latency_us),
        }


def device_pass_ns(topology: Topology, device: str) -> int:
    p = topology.device(device).profile
    return p.hop_latency_ns + p.stages * p.stage_latency_ns


def route_latency_ns(topology: Topology, path: list[str]) -> float:
    """Links' latency plus one device pass for each device entered after the first."""
    total = 0.0
    for a, b in zip(path, path[1:]):
        total += topology.link(a, b).latency_us * 1000.0 + device_pass_ns(topology, b)
    return total


def evaluate(plan: Plan, workload: Workload, topology: Topology) -> Evaluation:
    placed = set(plan.placed_tasks(workload))
    sram: dict[str, int] = defaultdict(int)
    tcam: dict[str, int] = defaultdict(int)
    phv: dict[str, int] = defaultdict(int)
    stage_end: dict[str, int] = defaultdict(int)
    arc_load: dict[tuple[str, str], float] = defaultdict(float)
    coord_bits = 0
    all_bits = 0
    hops = 0
    task_latency: dict[str, float] = {}

    def route_of(key: str, a: str, b: str) -> list[str]:
        if a == b:
            return [a]
        return plan.routes.get(key) or nx.shortest_path(topology.graph, a, b, weight="latency_us")

    for t in workload.tasks:
        all_bits += sum(d.bits for d in t.deps)
        if t.name not in placed:
            continue
        hosts = set()
        for m in t.mats:
            mid = mat_id(t.name, m.name)
            dev = plan.placement[mid]
            hosts.add(dev)
            sram[dev] += m.sram_bits
            tcam[dev] += m.tcam_bits
            phv[dev] += m.phv_bits
            stage_end[dev] = max(stage_end[dev], plan.stages.get(mid, 0) + m.stages)
        for dev in hosts:
            sram[dev] += t.dispatch_sram_bits

        # Longest path in time through the task DAG.
        g = t.graph()
        finish: dict[str, float] = {}
        task_hops = 0
        for name in nx.topological_sort(g):
            dev = plan.placement[mat_id(t.name, name)]
            preds = list(g.predecessors(name))
            if preds:
                arrive = 0.0
                for p in preds:
                    pdev = plan.placement[mat_id(t.name, p)]
                    path = route_of(dep_id(t.name, p, name), pdev, dev)
                    arrive = max(arrive, finish[p] + route_latency_ns(topology, path))
            else:
                start_dev = t.ingress if t.ingress is not None else dev
                path = route_of(ingress_dep_id(t.name, name), start_dev, dev)
                arrive = device_pass_ns(topology, start_dev) + route_latency_ns(topology, path)
                task_hops += len(path) - 1
            finish[name] = arrive
        task_latency[t.name] = max(finish.values()) / 1000.0
        for d in t.deps:
            a = plan.placement[mat_id(t.name, d.src)]
            b = plan.placement[mat_id(t.name, d.dst)]
            if a == b:
                continue
            coord_bits += d.bits
            path = route_of(dep_id(t.name, d.src, d.dst), a, b)
            task_hops += len(path) - 1
            for u, v in zip(path, path[1:]):
                arc_load[(u, v)] += t.rate_mpps * d.bits
                phv[v] += d.bits
        hops += task_hops

    devices = topology.devices
    cap_sram = sum(d.profile.sram_bits for d in devices)
    cap_phv = sum(d.profile.phv_bits for d in devices)
    max_util = 0.0
    for (u, v), load in arc_load.items():
        max_util = max(max_util, load / (topology.link(u, v).bandwidth_gbps * 1000.0))
    power = sum(
        topology.device(dev).profile.idle_power_w + topology.device(dev).profile.power_per_stage_w * stage_end[dev]
        for dev in stage_end
    )
    n_placed = len(placed)
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
        phv_pct=100.0 * sum(phv.values()) / cap_phv,
        max_link_util_pct=100.0 * max_util,
        total_latency_us=sum(task_latency.values()),
        total_hops=hops,
        coordination_bits=coord_bits,
        placed_tasks=n_placed,
        total_tasks=len(workload.tasks),
        task_latency_us=task_latency,
        device_sram_bits=dict(sram),
        device_tcam_bits=dict(tcam),
        device_phv_bits=dict(phv),
        device_stages=dict(stage_end),
        arc_load_mbps=dict(arc_load),
    )
