"""Independent feasibility checker: recomputes every constraint from the plan alone.

It shares no code with the experts (only the data model and the traffic model of
``omniplan.walk``), so a plan that passes here is valid whichever expert made it. It is also the
controller's last gate before anything is written. Constraints:

* assignment: every MAT of a placed task on a known device, no task half placed;
* walk: an explicit walk starts at the ingress, ends at the egress, crosses only links and hosts
  every MAT in DAG order;
* stages: every MAT has a start stage, spans stages inside the device, same-device dependencies in
  order, and per stage the MATs' SRAM, TCAM and table entries fit the stage's capacity;
* SRAM/TCAM per device (MATs + one dispatch table per hosted task);
* PHV per packet: on every walk entry the task's MAT fields there + metadata carried in;
* bandwidth per arc: rate x (packet bits + metadata bits) of every walk crossing it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass


from omniplan.plan import Plan, stage_demand
from omniplan.topology import Topology
from omniplan.walk import arc_loads, task_walk
from omniplan.workload import Workload, mat_id


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

    sram: dict[str, int] = defaultdict(int)
    tcam: dict[str, int] = defaultdict(int)
    per_stage: dict[tuple[str, int], list[int]] = defaultdict(lambda: [0, 0, 0])
    load: dict[tuple[str, str], float] = defaultdict(float)
    paths = topology.shortest_paths
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
        bad_end = [d for d in (t.ingress, t.egress) if d is not None and d not in devices]
        if bad_end:
            out.append(Violation("routing", f"task {t.name}: ingress/egress {bad_end[0]!r} is not a device"))
            continue
        hosts = set()
        for m in t.mats:
            mid = mat_id(t.name, m.name)
            dev = plan.placement[mid]
            hosts.add(dev)
            sram[dev] += m.sram_bits
            tcam[dev] += m.tcam_bits
            if mid not in plan.stages:
                out.append(Violation("stage", f"{mid} has no stage"))
                continue
            start = plan.stages[mid]
            limit = devices[dev].profile.stages
            if start < 0 or start + m.stages > limit:
                out.append(Violation("stage", f"{mid} occupies stages {start}..{start + m.stages - 1} on {dev}, which has {limit}"))
                continue
            need = stage_demand(m)
            for s in range(start, start + m.stages):
                u = per_stage[(dev, s)]
                for k in range(3):
                    u[k] += need[k]
        for dev in hosts:
            sram[dev] += t.dispatch_sram_bits
        for d in t.deps:
            src, dst = mat_id(t.name, d.src), mat_id(t.name, d.dst)
            a = plan.placement[src]
            if a == plan.placement[dst] and src in plan.stages and dst in plan.stages:
                if plan.stages[dst] < plan.stages[src] + t.mat(d.src).stages:
                    out.append(Violation("dependency", f"{dst} (stage {plan.stages[dst]}) runs before {src} finishes on {a}"))

        w = task_walk(t, plan.placement, plan.routes, lambda a, b: paths[a][b])
        if w.error:
            out.append(Violation("walk", f"task {t.name}: {w.error}"))
            continue
        broken = next(((u, v) for u, v in zip(w.devices, w.devices[1:]) if not topology.graph.has_edge(u, v)), None)
        if broken:
            out.append(Violation("routing", f"task {t.name}: walk step {broken[0]}-{broken[1]} is not a link"))
            continue
        for arc, mbps in arc_loads(t, w.devices, w.meta_bits):
            load[arc] += mbps
        for dev, bits in zip(w.devices, w.phv_bits):
            cap = devices[dev].profile.phv_bits
            if bits > cap:
                out.append(Violation("phv", f"task {t.name}: its packet needs {bits} of {cap} PHV bits on {dev}"))

    for dev, used in sram.items():
        cap = devices[dev].profile.sram_bits
        if used > cap:
            out.append(Violation("sram", f"{dev} uses {used} of {cap} SRAM bits"))
    for dev, used in tcam.items():
        cap = devices[dev].profile.tcam_bits
        if used > cap:
            out.append(Violation("tcam", f"{dev} uses {used} of {cap} TCAM bits"))
    for (dev, s), (s_used, t_used, e_used) in sorted(per_stage.items()):
        p = devices[dev].profile
        for label, used, cap in (("SRAM bits", s_used, p.sram_bits_per_stage), ("TCAM bits", t_used, p.tcam_bits_per_stage),
                                 ("entries", e_used, p.entries_per_stage)):
            if used > cap:
                out.append(Violation("stage-capacity", f"{dev} stage {s} holds {used} of {cap} {label}"))
    for (u, v), mbps in load.items():
        cap = topology.link(u, v).bandwidth_gbps * 1000.0
        if mbps > cap + 1e-9:
            out.append(Violation("bandwidth", f"arc {u}->{v} carries {mbps:.1f} of {cap:.0f} Mbit/s"))
    return out


__all__ = ["Violation", "check_plan"]
