"""Validation stage before any write: run test packets through the pipeline twin of the whole network.

Why: the feasibility checker proves the plan fits; it cannot prove the realised entries compute
the model. Here one ``p4src.pipeline.InferencePipeline`` per switch is loaded with exactly the
entries about to be pushed and chained along the port map (``p4src.chain.SwitchChain``); for
every task with a compiled program, feature vectors are injected at the task's ingress and the
label that comes out must equal the compiler's replay (``mlcompiler.replay.CompiledModel``) of
the same quantised features. Test vectors take every interval boundary the feature tables know
(so each table row is hit) plus seeded random points.

Packet-feature tasks (programs with ``slots``) read feature ``f`` from header slot ``slots[f]``,
so probes are written there; their last switch strips the inference header (``deliver_plain``),
so the chain used here delivers with the header kept to read the label: same tables otherwise.

Tasks without a program (synthetic workloads) cannot be checked this way; they are listed under
``unchecked`` and ``realize`` refuses them anyway.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from omniplan.plan import Plan
from omniplan.topology import Topology
from omniplan.workload import Task, Workload
from p4src import layout
from p4src.entries import TableEntry


@dataclass
class TwinReport:
    checked: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    unchecked: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "packets": sum(self.checked.values()), "tasks": dict(self.checked),
                "problems": self.problems[:20], "unchecked": self.unchecked}


def probe_vectors(program: Mapping[str, Any], n_features: int, *, limit: int = 24, seed: int = 0) -> list[list[int]]:
    """Quantised feature vectors that touch every feature-table row (boundaries) plus random points."""
    candidates: dict[int, set[int]] = {f: set() for f in range(n_features)}
    for m in program.get("mats", []):
        if m.get("op") in ("code", "add_feature"):
            f = int(m["feature"])
            for lo, hi, *_ in m["entries"]:
                candidates.setdefault(f, set()).update((int(lo), int(hi)))
    cols = [sorted(candidates.get(f) or {0}) for f in range(n_features)]
    rng = random.Random(seed)
    depth = max(len(c) for c in cols) if cols else 1
    vectors = [[c[j % len(c)] for c in cols] for j in range(min(depth, limit // 2 or 1))]
    while len(vectors) < limit:
        vectors.append([rng.choice(c) if rng.random() < 0.5 else rng.randint(0, layout.FEATURE_MAX) for c in cols])
    return vectors


def _n_features(program: Mapping[str, Any]) -> int:
    q = program.get("quant", {})
    return len(q.get("offset", [])) or 1 + max((int(m.get("feature", 0)) for m in program.get("mats", [])), default=0)


def in_slots(program: Mapping[str, Any], q: Sequence[int]) -> list[int]:
    """The header's feature words for model features ``q`` (packet-feature programs: at their slots)."""
    slots = program.get("slots")
    if slots is None:
        return list(q)
    words = [0] * layout.NUM_FEATURES
    for s, v in zip(slots, q):
        words[s] = int(v)
    return words


def _keeping_header(target: Mapping[str, Sequence[TableEntry]]) -> dict[str, list[TableEntry]]:
    """``target`` with deliver_plain read as deliver, so the label survives to be checked."""
    from dataclasses import replace

    return {dev: [replace(e, action="MyIngress.deliver") if e.action == "MyIngress.deliver_plain" else e for e in ents]
            for dev, ents in target.items()}


def _ingress(target: Mapping[str, Sequence[TableEntry]], tid: int) -> str | None:
    for dev, entries in target.items():
        for e in entries:
            if e.table == "MyIngress.dispatch" and any(m.field == "hdr.inml.task_id" and m.value == tid for m in e.matches):
                return dev
    return None


def send_labels(chain: Any, device: str, port: int, tid: int, vectors: Sequence[Sequence[int]]) -> list[tuple[int | None, int | None]]:
    """(label, version) each vector comes out with; (None, None) if it was dropped or never finished."""
    from p4src.pipeline import build_packet, parse_inml

    out = []
    for q in vectors:
        deliveries = [d for d in chain.send(device, port, build_packet(tid, list(q))) if d.packet is not None]
        if len(deliveries) != 1:
            out.append((None, None))
            continue
        pkt = deliveries[0].packet
        if deliveries[0].cpu:
            pkt = pkt[2:]  # strip the packet_in header (9 + 7 bits)
        try:
            h = parse_inml(pkt)
        except ValueError:
            out.append((None, None))
            continue
        out.append((h.label if h.flags & layout.FLAG_DONE else None, h.version))
    return out


def host_port(port_map: Mapping[str, Mapping[str, int]], device: str, devices: set[str]) -> int:
    """A port of ``device`` that faces a host (where task traffic enters); 0 if it has none."""
    hosts = [p for n, p in port_map.get(device, {}).items() if n not in devices]
    return min(hosts) if hosts else 0


def validate(workload: Workload, plan: Plan, topology: Topology, port_map: Mapping[str, Mapping[str, int]],
             target: Mapping[str, Sequence[TableEntry]], task_ids: Mapping[str, int], *,
             vectors_per_task: int = 24, seed: int = 0) -> TwinReport:
    from mlcompiler.replay import CompiledModel, ReplayError
    from p4src.chain import SwitchChain

    report = TwinReport()
    chain = SwitchChain(_keeping_header(target), port_map)
    devices = set(topology.device_index)
    for task in workload.tasks:
        if task.name not in plan.placed_tasks(workload):
            continue
        if not task.program:
            report.unchecked.append(task.name)
            continue
        tid = task_ids[task.name]
        ingress = _ingress(target, tid)
        if ingress is None:
            report.problems.append(f"task {task.name}: no dispatch entry on any switch")
            continue
        model = CompiledModel(task.program)
        vectors, expected = [], []
        for q in probe_vectors(task.program, _n_features(task.program), limit=vectors_per_task, seed=seed):
            try:
                expected.append(model.classify_q(q))
            except ReplayError:
                continue  # the compiler promises nothing for this point
            vectors.append(q)
        got = send_labels(chain, ingress, host_port(port_map, ingress, devices), tid,
                          [in_slots(task.program, q) for q in vectors])
        bad = [(q, e, g) for q, e, (g, _) in zip(vectors, expected, got) if g != e]
        report.checked[task.name] = len(vectors)
        for q, e, g in bad[:3]:
            report.problems.append(f"task {task.name}: features {list(q)[:6]}... replay label {e}, network label {g}")
    return report
