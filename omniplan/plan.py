"""A placement plan: where each MAT runs, at which stage, and how metadata is routed.

Every expert returns a Plan; the evaluator scores it, the feasibility checker verifies it, and
the controller turns it into table entries. Routes are device paths (inclusive of both ends)
for every dependency whose ends sit on different devices, plus one pseudo-dependency per root
MAT from the task's ingress device (see ``workload.ingress_dep_id``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

import networkx as nx

from omniplan.topology import Topology
from omniplan.workload import Workload, dep_id, ingress_dep_id, mat_id


@dataclass
class Plan:
    placement: dict[str, str]
    stages: dict[str, int]
    routes: dict[str, list[str]]
    expert: str = ""
    #: Solver facts: status, solve_time_s, gap, objective, and anything an expert wants to report.
    info: dict[str, Any] = field(default_factory=dict)

    def placed_tasks(self, workload: Workload) -> list[str]:
        return [t.name for t in workload.tasks if all(mat_id(t.name, m.name) in self.placement for m in t.mats)]

    def devices_of(self, workload: Workload, task: str) -> set[str]:
        t = workload.task(task)
        return {self.placement[mat_id(t.name, m.name)] for m in t.mats if mat_id(t.name, m.name) in self.placement}

    def to_dict(self) -> dict[str, Any]:
        return {
            "expert": self.expert,
            "placement": dict(self.placement),
            "stages": dict(self.stages),
            "routes": {k: list(v) for k, v in self.routes.items()},
            "info": _jsonable(self.info),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Plan":
        return cls(
            placement=dict(data["placement"]),
            stages={k: int(v) for k, v in data["stages"].items()},
            routes={k: list(v) for k, v in data.get("routes", {}).items()},
            expert=data.get("expert", ""),
            info=dict(data.get("info", {})),
        )


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


class StageOverflow(ValueError):
    """The MATs placed on a device need more pipeline stages than it has."""


def assign_stages(workload: Workload, topology: Topology, placement: Mapping[str, str]) -> dict[str, int]:
    """ASAP stage schedule: a MAT starts right after its same-device predecessors finish.

    ASAP uses the fewest stages any valid schedule can, so if it overflows a device no schedule
    fits. Raises StageOverflow naming the device.
    """
    stages: dict[str, int] = {}
    for t in workload.tasks:
        g = t.graph()
        for name in nx.topological_sort(g):
            mid = mat_id(t.name, name)
            if mid not in placement:
                continue
            dev = placement[mid]
            start = 0
            for pred in g.predecessors(name):
                pid = mat_id(t.name, pred)
                if placement.get(pid) == dev:
                    start = max(start, stages[pid] + t.mat(pred).stages)
            end = start + t.mat(name).stages
            limit = topology.device(dev).profile.stages
            if end > limit:
                raise StageOverflow(f"device {dev}: task {t.name} needs {end} stages, the device has {limit}")
            stages[mid] = start
    return stages


def shortest_routes(workload: Workload, topology: Topology, placement: Mapping[str, str], weight: str = "latency_us") -> dict[str, list[str]]:
    """Route every cross-device dependency (and ingress leg) on the lowest-latency path."""
    routes: dict[str, list[str]] = {}
    paths = dict(nx.all_pairs_dijkstra_path(topology.graph, weight=weight))
    for t in workload.tasks:
        if not all(mat_id(t.name, m.name) in placement for m in t.mats):
            continue
        for d in t.deps:
            a, b = placement[mat_id(t.name, d.src)], placement[mat_id(t.name, d.dst)]
            if a != b:
                routes[dep_id(t.name, d.src, d.dst)] = list(paths[a][b])
        if t.ingress is not None:
            for root in t.roots():
                b = placement[mat_id(t.name, root)]
                if b != t.ingress:
                    routes[ingress_dep_id(t.name, root)] = list(paths[t.ingress][b])
    return routes


def complete_plan(workload: Workload, topology: Topology, placement: Mapping[str, str], expert: str, **info: Any) -> Plan:
    """Stages (ASAP) and lowest-latency routes for a placement: what fast experts return."""
    placement = dict(placement)
    return Plan(
        placement=placement,
        stages=assign_stages(workload, topology, placement),
        routes=shortest_routes(workload, topology, placement),
        expert=expert,
        info=dict(info),
    )
