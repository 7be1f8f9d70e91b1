"""Compiled tables -> per-switch entries of inml.p4 for a plan: the step the controller calls.

WHY a walk: a packet is one path. For each placed task we build a walk that executes its MATs in
a topological order, one pipeline pass at a time, moving between devices along the plan's routes:

* a pass runs on one device; inside a pass MATs execute in increasing stage-table index (the
  plan's stage); a MAT whose stage is not after the previous one in the pass opens a new pass on
  the same device (recirculation);
* moving to the next MAT's device follows the plan route of a dependency ending there (or the
  ingress leg, or the topology's shortest path if the plan has none); every device crossed is a
  transit pass;
* every pass gets its own visit number (1, 2, ...), so every (device, visit) pair is unique and
  tables keyed on (task_id, version, visit) never clash, however often a device is revisited.

Entries per pass: ``key_select`` (which feature each stage's range key reads), the MATs' entries
in ``stage{s}``, and one ``route`` entry (forward / recirculate / deliver / to CPU). The task's
ingress device gets a ``dispatch`` entry stamping ``version`` and visit 1 on fresh packets.
Entries of two versions coexist; re-pointing dispatch is the make-before-break switch-over.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

import networkx as nx

from mlcompiler.treemap import code_fields
from omniplan.errors import InputError
from omniplan.plan import Plan
from omniplan.topology import Topology
from omniplan.workload import Task, Workload, dep_id, ingress_dep_id, mat_id
from p4src import layout
from p4src.entries import Match, TableEntry

PortMap = Mapping[str, Mapping[str, int]]
FULL_RANGE = (0, layout.FEATURE_MAX)


@dataclass
class Pass:
    device: str
    visit: int
    mats: list[tuple[str, int]] = field(default_factory=list)  # (MAT name, stage)
    #: ("forward", next device) | ("recirculate", None) | ("deliver", host) | ("cpu", None)
    exit: tuple[str, str | None] = ("cpu", None)


def walk(task: Task, plan: Plan, topology: Topology, *, ingress: str | None = None,
         deliver_device: str | None = None) -> list[Pass]:
    """The passes a packet of ``task`` makes (see module doc)."""
    g = task.graph()
    topo_index = {m: i for i, m in enumerate(task.topological_order())}
    place = {m.name: plan.placement[mat_id(task.name, m.name)] for m in task.mats}
    stage = {m.name: plan.stages.get(mat_id(task.name, m.name), 0) for m in task.mats}
    for m, s in stage.items():
        if not 0 <= s < layout.NUM_STAGES:
            raise InputError(f"task {task.name}: MAT {m} at stage {s}; inml.p4 has stage0..stage{layout.NUM_STAGES - 1}")
    start = ingress or task.ingress or place[min(task.roots(), key=topo_index.get)]
    passes = [Pass(start, 1)]
    done: set[str] = set()
    last_stage = -1
    last_mat: str | None = None

    def move(dest: str, via_path: list[str]) -> None:
        nonlocal last_stage
        path = via_path
        for hop in path[1:]:
            passes[-1].exit = ("forward", hop)
            passes.append(Pass(hop, passes[-1].visit + 1))
        last_stage = -1

    while len(done) < len(task.mats):
        ready = sorted((m for m in g.nodes if m not in done and all(p in done for p in g.predecessors(m))),
                       key=topo_index.get)
        cur = passes[-1].device
        here = [m for m in ready if place[m] == cur]
        if here:
            later = [m for m in here if stage[m] > last_stage]
            if later:
                m = min(later, key=lambda x: (stage[x], topo_index[x]))
                passes[-1].mats.append((m, stage[m]))
                last_stage, last_mat = stage[m], m
                done.add(m)
            else:
                passes[-1].exit = ("recirculate", None)
                passes.append(Pass(cur, passes[-1].visit + 1))
                last_stage = -1
            continue
        m = ready[0]
        move(place[m], _route(task, plan, topology, cur, place[m], m, last_mat, g, start))
    if deliver_device is not None and deliver_device != passes[-1].device:
        move(deliver_device, list(nx.shortest_path(topology.graph, passes[-1].device, deliver_device, weight="latency_us")))
    if passes[-1].visit > (1 << layout.VISIT_BITS) - 1:
        raise InputError(f"task {task.name}: the walk needs {passes[-1].visit} passes; visit is {layout.VISIT_BITS} bits")
    return passes


def _route(task: Task, plan: Plan, topology: Topology, cur: str, dest: str, m: str, last_mat: str | None,
           g: nx.DiGraph, start: str) -> list[str]:
    preds = list(g.predecessors(m))
    candidates = [dep_id(task.name, p, m) for p in ([last_mat] if last_mat in preds else []) + preds]
    if not preds:
        candidates.append(ingress_dep_id(task.name, m))
    for did in candidates:
        r = plan.routes.get(did)
        if r and r[0] == cur and r[-1] == dest:
            return list(r)
    return list(nx.shortest_path(topology.graph, cur, dest, weight="latency_us"))


# --------------------------------------------------------------------------- entries

def _sel(tid: int, version: int, visit: int) -> tuple[Match, ...]:
    return (Match("hdr.inml.task_id", "exact", tid), Match("hdr.inml.version", "exact", version),
            Match("hdr.inml.visit", "exact", visit))


def mat_entries(program: Mapping[str, Any], mat: Mapping[str, Any], stage: int, tid: int, version: int,
                visit: int) -> list[TableEntry]:
    """Physical stage-table entries of one compiled MAT executed at ``stage`` in pass ``visit``."""
    table = f"MyIngress.stage{stage}"
    key = f"meta.key{stage}"
    sel = _sel(tid, version, visit)
    fields = code_fields(program)
    group = int(mat.get("group", 0))
    out: list[TableEntry] = []
    op = mat["op"]

    def rng(lo: int, hi: int) -> tuple[Match, ...]:
        return () if (lo, hi) == FULL_RANGE else (Match(key, "range", lo, high=hi),)

    if op == "code":
        f = mat["feature"]
        bit, width = fields[(group, f)]
        shift = layout.CODE_BASE + bit
        mask = ((1 << width) - 1) << shift
        for lo, hi, code in mat["entries"]:
            out.append(TableEntry(table, sel + rng(lo, hi), "MyIngress.set_bits",
                                  (("mask", mask), ("value", code << shift)), priority=1))
    elif op == "add_feature":
        for lo, hi, vec in mat["entries"]:
            out.append(TableEntry(table, sel + rng(lo, hi), "MyIngress.add_vec",
                                  (("value", layout.pack_lanes(vec)),), priority=1))
    elif op == "leaf":
        for pieces, kind, payload in mat["entries"]:
            value = mask = 0
            for f, v, msk in pieces:
                shift = layout.CODE_BASE + fields[(group, f)][0]
                value |= v << shift
                mask |= msk << shift
            m = (Match("hdr.inml_regs.regs", "ternary", value, mask=mask),) if mask else ()
            if kind == "label":
                out.append(TableEntry(table, sel + m, "MyIngress.set_label", (("label", payload),), priority=1))
            else:
                out.append(TableEntry(table, sel + m, "MyIngress.add_vec", (("value", layout.pack_lanes(payload)),), priority=1))
    elif op == "argmax":
        out.append(TableEntry(table, sel, "MyIngress.argmax_label", (("lanes", mat["lanes"]),), priority=1))
    elif op == "sign_vote":
        msb = layout.LANE_BITS - 1
        for v, msk, label in mat["entries"]:
            value = sum(1 << (p * layout.LANE_BITS + msb) for p in range(mat["pairs"]) if v >> p & 1)
            mask = sum(1 << (p * layout.LANE_BITS + msb) for p in range(mat["pairs"]) if msk >> p & 1)
            m = (Match("hdr.inml_regs.regs", "ternary", value & mask, mask=mask),) if mask else ()
            out.append(TableEntry(table, sel + m, "MyIngress.set_label", (("label", label),), priority=1))
    else:
        raise InputError(f"program MAT {mat.get('name')}: unknown op {op!r}")
    return out


def realize(workload: Workload, plan: Plan, topology: Topology, port_map: PortMap, task_ids: Mapping[str, int],
            version: int, *, deliver_to: Mapping[str, str] | None = None,
            keep_header: bool = False) -> dict[str, list[TableEntry]]:
    """All inml.p4 entries (dispatch, key_select, stage, route) per device for the placed tasks.

    ``deliver_to`` maps a task to the host that receives its classified packets; by default the
    first host attached to the device where the walk ends, or that device's CPU port if none.

    Packet-feature programs (compiled with ``packet_features``) read the feature slots the
    catalogue names; their ingress gets a ``task_select`` entry (every IPv4 packet entering there
    starts the task: the switch inserts the inml header) and the last switch removes the header
    (``deliver_plain``) unless ``keep_header`` asks to deliver label and features to a monitor.
    """
    if not 0 <= version < (1 << layout.VERSION_BITS):
        raise InputError(f"version {version} does not fit {layout.VERSION_BITS} bits")
    devices = {d.name for d in topology.devices}
    out: dict[str, list[TableEntry]] = {}
    for task in workload.tasks:
        if task.name not in plan.placed_tasks(workload):
            continue
        if not task.program:
            raise InputError(f"task {task.name} has no compiled program; compile its model first")
        if task.name not in task_ids:
            raise InputError(f"task {task.name} has no task id")
        tid = task_ids[task.name]
        if not 0 <= tid < (1 << layout.TASK_ID_BITS):
            raise InputError(f"task id {tid} of {task.name} does not fit {layout.TASK_ID_BITS} bits")
        host = (deliver_to or {}).get(task.name)
        deliver_dev = None
        if host is not None:
            owners = [d for d, ports in port_map.items() if host in ports and host not in devices]
            if not owners:
                raise InputError(f"task {task.name}: host {host!r} is not in the port map")
            deliver_dev = owners[0]
        passes = walk(task, plan, topology, deliver_device=deliver_dev)
        last = passes[-1]
        if host is None:
            hosts = [h for h in port_map.get(last.device, {}) if h not in devices]
            host = hosts[0] if hosts else None
        last.exit = ("deliver", host) if host is not None else ("cpu", None)
        prog_mats = {m["name"]: m for m in task.program["mats"]}
        ingress = passes[0].device
        slots = task.program.get("slots")
        if slots is not None:
            if any(e.table == "MyIngress.task_select" for e in out.get(ingress, ())):
                raise InputError(f"task {task.name}: another packet-feature task already starts at {ingress}; "
                                 "one task per ingress device classifies its IPv4 packets")
            out.setdefault(ingress, []).append(
                TableEntry("MyIngress.task_select", (), "MyIngress.start_task", (("task_id", tid),), priority=1))
        out.setdefault(ingress, []).append(
            TableEntry("MyIngress.dispatch", (Match("hdr.inml.task_id", "exact", tid),), "MyIngress.stamp",
                       (("version", version), ("visit", 1))))
        for p in passes:
            ents = out.setdefault(p.device, [])
            features = {}
            for name, stage in p.mats:
                m = prog_mats[name]
                if m["op"] in ("code", "add_feature"):
                    features[stage] = slots[m["feature"]] if slots is not None else m["feature"]
                ents.extend(mat_entries(task.program, m, stage, tid, version, p.visit))
            if features:
                ents.append(TableEntry("MyIngress.key_select", _sel(tid, version, p.visit), "MyIngress.select_keys",
                                       tuple((f"feature{i}", features.get(i, 0)) for i in range(layout.NUM_STAGES))))
            kind, arg = p.exit
            if kind == "forward":
                port = _port(port_map, p.device, arg)
                ents.append(TableEntry("MyIngress.route", _sel(tid, version, p.visit), "MyIngress.forward",
                                       (("port", port), ("next_visit", p.visit + 1))))
            elif kind == "recirculate":
                ents.append(TableEntry("MyIngress.route", _sel(tid, version, p.visit), "MyIngress.recirculate_pass",
                                       (("next_visit", p.visit + 1),)))
            elif kind == "deliver":
                action = "MyIngress.deliver_plain" if slots is not None and not keep_header else "MyIngress.deliver"
                ents.append(TableEntry("MyIngress.route", _sel(tid, version, p.visit), action,
                                       (("port", _port(port_map, p.device, arg)),)))
            else:
                ents.append(TableEntry("MyIngress.route", _sel(tid, version, p.visit), "MyIngress.send_to_cpu"))
        out[last.device].extend(label_count_entries(tid, len(task.program.get("classes", ()))))
    check_capacity(out)
    return out


def single_device_plan(task: Task, device: str) -> Plan:
    """A plan that runs all of ``task`` on ``device``, NUM_STAGES MATs per pipeline pass.

    WHY: a grouped tree mapping can need more lookups than any device has stages; the walk
    recirculates whenever the next MAT's stage is not after the previous one, so stages assigned
    round-robin in topological order give ceil(#MATs / NUM_STAGES) passes on one switch."""
    order = task.topological_order()
    return Plan(placement={mat_id(task.name, m): device for m in order},
                stages={mat_id(task.name, m): i % layout.NUM_STAGES for i, m in enumerate(order)},
                routes={}, expert="single-device")


def check_capacity(per_device: Mapping[str, list[TableEntry]]) -> None:
    """InputError naming the first (device, table) whose entries exceed inml.p4's table size.

    WHY here: the planner budgets SRAM/TCAM bits, not entries, so a placement can put more
    entries into one stage table than the program declares (e.g. 176,910 into a 65,536-entry
    stage1); the switch would refuse the write half-way through a deployment."""
    from p4src.p4info import inml_schema

    sizes = {name: t.size for name, t in inml_schema().tables.items()}
    for device, entries in per_device.items():
        counts: dict[str, int] = {}
        for e in entries:
            counts[e.table] = counts.get(e.table, 0) + 1
        for table, n in sorted(counts.items()):
            if sizes.get(table) and n > sizes[table]:
                raise InputError(f"device {device}: {n:,} entries for {table}, which holds {sizes[table]:,}; "
                                 "spread the task's MATs over more stages or devices")


def label_count_entries(tid: int, n_labels: int) -> list[TableEntry]:
    """One ``label_count`` entry per class of a task on the device that delivers its packets: they
    exist only for their direct counter (packets classified into each class, read by the controller)."""
    return [TableEntry("MyIngress.label_count", (Match("meta.final_task", "exact", tid),
                                                 Match("meta.final_label", "exact", label)), "NoAction")
            for label in range(n_labels)]


def _port(port_map: PortMap, device: str, neighbor: str) -> int:
    try:
        return int(port_map[device][neighbor])
    except KeyError:
        raise InputError(f"port map has no port on {device} towards {neighbor}") from None
