"""Independent feasibility checker: recomputes every constraint from the plan alone.

It shares no code with the experts (only the data model), so a plan that passes here is valid
whichever expert made it. It is also the controller's last gate before anything is written.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from omniplan.plan import Plan
from omniplan.topology import Topology
from omniplan.workload import Workload, dep_id, ingress_dep_id, mat_id


@dataclass
class Violation:
    constraint: str
    detail: str

    def __str__(self) -> str:
        return f"{self.constraint}: {self.detail}"


def check_plan(plan: Plan, workload: Workload, topology: Topology, *, require_all: bool = False) -> list[Violation]:
    """All violated constraints (empty list = feasible)."""
    out: list[Violation] = []
    devices = topology.device_index
    known_mats = set(workload.mat_ids())
    for mid, dev in plan.placement.items():
        if mid not in known_mats:
            out.append(Violation("assignment", f"{mid} is not a MAT of the workload"))
        if dev not in devices:
            out.append(Violation("assignment", f"{mid} placed on unknown device {dev!r}"))
    if out:
        return out

    sram = defaultdict(int)
    tcam = defaultdict(int)
    phv = defaultdict(int)
    load = defaultdict(float)
    for t in workload.tasks:
        ids = [mat_id(t.name, m.name) for m in t.mats]
        placed = [i in plan.placement for i in ids]
        if any(placed) and not all(placed):
            out.append(Violation("assignment", f"task {t.name} is partly placed ({sum(placed)}/{len(ids)} MATs)"))
            continue
        if not any(placed):
            if require_all:
                out.append(Violation("coverage", f"task {t.name} is not placed"))
            continue
        hosts = set()
        for m in t.mats:
            mid = mat_id(t.name, m.name)
            dev = plan.placement[mid]
            hosts.add(dev)
            sram[dev] += m.sram_bits
            tcam[dev] += m.tcam_bits
            phv[dev] += m.phv_bits
            if mid not in plan.stages:
                out.append(Violation("stage", f"{mid} has no stage"))
                continue
            start = plan.stages[mid]
            limit = devices[dev].profile.stages
            if start < 0 or start + m.stages > limit:
                out.append(Violation("stage", f"{mid} occupies stages {start}..{start + m.stages - 1} on {dev}, which has {limit}"))
        for dev in hosts:
            sram[dev] += t.dispatch_sram_bits

        def check_route(key: str, a: str, b: str, bits: int) -> None:
            if a == b:
                return
            path = plan.routes.get(key)
            if not path:
                out.append(Violation("routing", f"{key}: no route from {a} to {b}"))
                return
            if path[0] != a or path[-1] != b:
                out.append(Violation("routing", f"{key}: route {path} does not run {a} -> {b}"))
                return
            if len(set(path)) != len(path):
                out.append(Violation("routing", f"{key}: route {path} revisits a device"))
            for u, v in zip(path, path[1:]):
                if not topology.graph.has_edge(u, v):
                    out.append(Violation("routing", f"{key}: {u}-{v} is not a link"))
                    return
            for u, v in zip(path, path[1:]):
                load[(u, v)] += t.rate_mpps * bits
                phv[v] += bits

        for d in t.deps:
            src, dst = mat_id(t.name, d.src), mat_id(t.name, d.dst)
            a, b = plan.placement[src], plan.placement[dst]
            if a == b and src in plan.stages and dst in plan.stages:
                if plan.stages[dst] < plan.stages[src] + t.mat(d.src).stages:
                    out.append(Violation("dependency", f"{dst} (stage {plan.stages[dst]}) runs before {src} finishes on {a}"))
            check_route(dep_id(t.name, d.src, d.dst), a, b, d.bits)
        if t.ingress is not None:
            if t.ingress not in devices:
                out.append(Violation("routing", f"task {t.name}: ingress {t.ingress!r} is not a device"))
            else:
                for root in t.roots():
                    check_route(ingress_dep_id(t.name, root), t.ingress, plan.placement[mat_id(t.name, root)], 0)

    for dev, used in sram.items():
        cap = devices[dev].profile.sram_bits
        if used > cap:
            out.append(Violation("sram", f"{dev} uses {used} of {cap} SRAM bits"))
    for dev, used in tcam.items():
        cap = devices[dev].profile.tcam_bits
        if used > cap:
            out.append(Violation("tcam", f"{dev} uses {used} of {cap} TCAM bits"))
    for dev, used in phv.items():
        cap = devices[dev].profile.phv_bits
        if used > cap:
            out.append(Violation("phv", f"{dev} uses {used} of {cap} PHV bits"))
    for (u, v), mbps in load.items():
        cap = topology.link(u, v).bandwidth_gbps * 1000.0
        if mbps > cap + 1e-9:
            out.append(Violation("bandwidth", f"arc {u}->{v} carries {mbps:.1f} of {cap:.0f} Mbit/s"))
    return out
