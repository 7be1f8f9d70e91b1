"""What a failed switch or link leaves to plan on: the usable topology, and the tasks it can no longer cover.

Why separate from the network view: these are pure functions of (topology, workload, what is
down), so the replanning rules can be tested without switches, and the intent manager applies the
same rules to a new intent as to a replan after a fault.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Iterable, Mapping

from omniplan.plan import Plan
from omniplan.topology import Topology
from omniplan.workload import Workload


def usable_topology(topology: Topology, down_devices: Iterable[str], down_links: Iterable[tuple[str, str]] = ()
                    ) -> Topology:
    """``topology`` without the devices that are down and the links that are down (or touch one)."""
    dead = set(down_devices)
    cut = {tuple(sorted(link)) for link in down_links}
    if not dead and not cut:
        return topology
    links = tuple(l for l in topology.links if l.a not in dead and l.b not in dead and l.key not in cut)
    return replace(topology, devices=tuple(d for d in topology.devices if d.name not in dead), links=links,
                   meta={**dict(topology.meta), "excluded_devices": sorted(dead),
                         "excluded_links": sorted("-".join(k) for k in cut)})


def split_reachable(workload: Workload, usable: Topology) -> tuple[Workload, list[dict[str, str]]]:
    """The tasks whose traffic still enters the usable network, and the others with why they are uncovered."""
    keep, uncovered = [], []
    for t in workload.tasks:
        if t.ingress is not None and t.ingress not in usable.device_index:
            uncovered.append({"task": t.name, "why": f"its traffic enters at {t.ingress}, which is down"})
        else:
            keep.append(t)
    return Workload(tuple(keep)), uncovered


def unplaced(plan: Plan, workload: Workload, usable: Topology) -> list[dict[str, str]]:
    """Tasks the planner left out (allowed after a fault), each with the reason an operator can act on."""
    placed = set(plan.placed_tasks(workload))
    excluded = usable.meta.get("excluded_devices") or []
    cut = usable.meta.get("excluded_links") or []
    lost = ", ".join([*excluded, *cut]) or "nothing"
    return [{"task": t.name, "why": f"no remaining switch can hold it with {lost} out of service"}
            for t in workload.tasks if t.name not in placed]


def split_components(usable: Topology, workload: Workload) -> list[tuple[Topology, Workload]]:
    """One (sub-topology, tasks) per connected piece of the usable network that some task enters.

    Why: a dead switch in the middle of a line cuts the network in two, and the experts assume a
    connected topology (paths between every pair). Each piece is planned on its own; a task
    without an ingress goes with the largest piece.
    """
    import networkx as nx

    pieces = sorted((sorted(c) for c in nx.connected_components(usable.graph)), key=lambda c: (-len(c), c))
    if len(pieces) <= 1:
        return [(usable, workload)]
    out = []
    for i, piece in enumerate(pieces):
        members = set(piece)
        tasks = tuple(t for t in workload.tasks if (t.ingress in members) or (t.ingress is None and i == 0))
        if not tasks:
            continue
        sub = replace(usable, name=f"{usable.name}[{piece[0]}..]",
                      devices=tuple(d for d in usable.devices if d.name in members),
                      links=tuple(l for l in usable.links if l.a in members and l.b in members))
        out.append((sub, Workload(tasks)))
    return out


def merge_plans(plans: list[Plan]) -> Plan:
    """The plans of disjoint pieces as one plan (their tasks, hence keys, never overlap)."""
    if len(plans) == 1:
        return plans[0]
    merged = Plan(placement={}, stages={}, routes={}, expert="+".join(dict.fromkeys(p.expert for p in plans)),
                  info={"pieces": len(plans)})
    for p in plans:
        merged.placement.update(p.placement)
        merged.stages.update(p.stages)
        merged.routes.update(p.routes)
    return merged


def usable_port_map(port_map: Mapping[str, Mapping[str, int]], full: Topology, usable: Topology
                    ) -> dict[str, dict[str, int]]:
    """The port map without ports towards devices that are out of service.

    Why: the realizer and the twin tell host ports from inter-switch ports by whether the name is
    a device of the topology they get; a port towards a dead neighbour would pass for a host port.
    """
    gone = set(full.device_index) - set(usable.device_index)
    return {dev: {n: p for n, p in ports.items() if n not in gone}
            for dev, ports in port_map.items() if dev not in gone}
