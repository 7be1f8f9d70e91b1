"""Reasons an instance cannot be placed in full, found before any expert runs.

Every reason returned is *blocking*: if the list is non-empty, no plan places every task, so
experts fail fast with these messages instead of searching, and the CLI can tell the operator
which constraint to relax. Conditions that only force a task to split (a dependency chain
deeper than a device's pipeline) are not blocking, because splitting is always allowed.

Bounds used (all are lower bounds on what any full plan needs):

* SRAM: every MAT's SRAM plus one dispatch table per task (a task needs at least one host).
* TCAM: every MAT's TCAM bits. (PHV is per packet, not pooled: see ``omniplan.walk``.)
* A single MAT that fits on no device even alone (SRAM + dispatch, TCAM, PHV, stages, or one
  stage's SRAM/TCAM/entries), since a MAT cannot be split.
* A task whose ingress or egress is not a device of the topology.
"""

from __future__ import annotations

import difflib

from omniplan.plan import stage_demand
from omniplan.topology import Topology
from omniplan.workload import Workload

_MAX_PER_KIND = 3


def _pct(demand: float, capacity: float) -> str:
    return f"{100.0 * demand / capacity:.0f}%" if capacity else "inf%"


def _mbit(bits: float) -> str:
    return f"{bits / 1e6:.1f} Mbit"


def diagnose(workload: Workload, topology: Topology) -> list[str]:
    """Blocking infeasibility reasons, most aggregate first; empty when nothing obvious blocks."""
    devices = topology.devices
    if not devices:
        return [f"topology {topology.name!r} has no devices"]
    reasons: list[str] = []

    cap_sram = sum(d.profile.sram_bits for d in devices)
    cap_tcam = sum(d.profile.tcam_bits for d in devices)
    need_sram = sum(m.sram_bits for t in workload.tasks for m in t.mats) + sum(t.dispatch_sram_bits for t in workload.tasks)
    need_tcam = sum(m.tcam_bits for t in workload.tasks for m in t.mats)
    if need_sram > cap_sram:
        reasons.append(f"SRAM demand is {_pct(need_sram, cap_sram)} of capacity "
                       f"({_mbit(need_sram)} incl. one dispatch table per task, {_mbit(cap_sram)} on {len(devices)} devices)")
    if need_tcam > cap_tcam:
        reasons.append(f"TCAM demand is {_pct(need_tcam, cap_tcam)} of capacity ({_mbit(need_tcam)} of {_mbit(cap_tcam)})")

    max_sram = max(d.profile.sram_bits for d in devices)
    max_tcam = max(d.profile.tcam_bits for d in devices)
    max_phv = max(d.profile.phv_bits for d in devices)
    max_stages = max(d.profile.stages for d in devices)
    stage_caps = [(d.profile.sram_bits_per_stage, d.profile.tcam_bits_per_stage, d.profile.entries_per_stage)
                  for d in devices]
    names = {d.name for d in devices}
    too_big: list[str] = []
    bad_ingress: list[str] = []
    for t in workload.tasks:
        for m in t.mats:
            why = []
            if m.sram_bits + t.dispatch_sram_bits > max_sram:
                why.append(f"SRAM {m.sram_bits} + dispatch {t.dispatch_sram_bits} bits > {max_sram}")
            if m.tcam_bits > max_tcam:
                why.append(f"TCAM {m.tcam_bits} bits > {max_tcam}")
            if m.phv_bits > max_phv:
                why.append(f"PHV {m.phv_bits} bits > {max_phv}")
            if m.stages > max_stages:
                why.append(f"{m.stages} stages > {max_stages}")
            need = stage_demand(m)
            if not any(all(n <= c for n, c in zip(need, cap)) for cap in stage_caps):
                why.append(f"per stage it needs {need[0]} SRAM bits, {need[1]} TCAM bits, {need[2]} entries; no stage holds that")
            if why:
                too_big.append(f"task {t.name}: MAT {m.name} fits on no device and cannot be split ({', '.join(why)})")
        for label, dev in (("ingress", t.ingress), ("egress", t.egress)):
            if dev is not None and dev not in names:
                close = difflib.get_close_matches(dev, sorted(names), n=2, cutoff=0.6)
                hint = f"; did you mean {', '.join(close)}?" if close else ""
                bad_ingress.append(f"task {t.name}: {label} {dev!r} is not a device of {topology.name}{hint}")
    for group in (too_big, bad_ingress):
        reasons.extend(group[:_MAX_PER_KIND])
        if len(group) > _MAX_PER_KIND:
            reasons.append(f"... and {len(group) - _MAX_PER_KIND} more like that")
    return reasons


def deep_tasks(workload: Workload, topology: Topology) -> list[str]:
    """Tasks whose longest stage chain exceeds every device's pipeline: they must be split (not blocking)."""
    max_stages = max((d.profile.stages for d in topology.devices), default=0)
    out = []
    for t in workload.tasks:
        g = t.graph()
        finish: dict[str, int] = {}
        for name in _topo(g):
            finish[name] = max((finish[p] for p in g.predecessors(name)), default=0) + t.mat(name).stages
        depth = max(finish.values())
        if depth > max_stages:
            out.append(f"task {t.name}: its longest MAT chain needs {depth} stages, devices have at most {max_stages}; it must be split")
    return out


def _topo(g):
    import networkx as nx

    return nx.topological_sort(g)
