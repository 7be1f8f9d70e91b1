"""ML inference workloads: each task is a DAG of match-action tables (MATs).

This is the contract between the model compiler (which emits it) and the planner (which places
it). A MAT needs SRAM/TCAM bits, a number of consecutive pipeline stages and some PHV bits for
the fields it reads and writes; a dependency edge u -> v says v consumes N bits of metadata that
u produced, which must travel in the packet header when u and v sit on different devices.

File format (JSON or YAML), ``format: omniplan-workload/1``::

    tasks:
      - name: rf-iris            # unique
        kind: rf                 # nb | dt | rf | svm | xgb | other
        ingress: ATLAM5          # optional: device where the task's traffic enters
        egress: NYCMng           # optional: device where it leaves (default: the ingress)
        rate_mpps: 0.1           # optional: packet rate of the task's traffic (Mpps)
        packet_bytes: 700        # optional: mean packet size; forwarded packets load links (default 0)
        dispatch_sram_bits: 131072  # optional: per-device cost of hosting any part of the task
        mats:
          - {name: f0, sram_bits: 4096, tcam_bits: 0, stages: 1, phv_bits: 16,
             entries: 12, key_bits: 16, match_kind: range}
        deps:
          - {src: f0, dst: vote, bits: 8}
        program: {...}           # optional, opaque here: compiled table entries (mlcompiler)
"""

from __future__ import annotations

import bisect
import json
import random
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any, Iterable, Mapping

import networkx as nx
import yaml

from omniplan.errors import WorkloadError

FORMAT = "omniplan-workload/1"
TASK_KINDS = ("nb", "dt", "rf", "svm", "xgb", "other")
MATCH_KINDS = ("exact", "lpm", "ternary", "range", "optional")
#: One Tofino-style SRAM block (1024 words x 128 bits): the least a table can occupy on a device.
DEFAULT_DISPATCH_SRAM_BITS = 128 * 1024


@dataclass(frozen=True)
class MAT:
    """One match-action table of a task, with what it costs on a device."""

    name: str
    sram_bits: int
    tcam_bits: int = 0
    stages: int = 1
    phv_bits: int = 0
    entries: int = 0
    key_bits: int = 0
    match_kind: str = "exact"

    @cached_property
    def per_stage(self) -> tuple[int, int, int]:
        """SRAM bits, TCAM bits and entries needed in each stage the MAT spans (spread evenly)."""
        k = max(1, self.stages)
        return (-(-self.sram_bits // k), -(-self.tcam_bits // k), -(-self.entries // k))


@dataclass(frozen=True)
class Dependency:
    """``dst`` needs ``bits`` of metadata written by ``src`` (both MAT names of the same task)."""

    src: str
    dst: str
    bits: int


@dataclass(frozen=True)
class Task:
    """An ML inference task: a DAG of MATs, the traffic it sees and where that traffic enters."""

    name: str
    kind: str
    mats: tuple[MAT, ...]
    deps: tuple[Dependency, ...] = ()
    ingress: str | None = None
    rate_mpps: float = 1.0
    dispatch_sram_bits: int = DEFAULT_DISPATCH_SRAM_BITS
    program: Mapping[str, Any] | None = field(default=None, compare=False, repr=False)
    #: Where the task's traffic leaves the network; None = where it entered (older workloads).
    egress: str | None = None
    #: Mean packet size: every link a packet crosses carries rate x 8 x packet_bytes Mbit/s.
    packet_bytes: int = 0

    @property
    def exit(self) -> str | None:
        """The egress device, defaulting to the ingress (backward compatible)."""
        return self.egress if self.egress is not None else self.ingress

    @property
    def packet_bits(self) -> int:
        return 8 * self.packet_bytes

    def mat(self, name: str) -> MAT:
        for m in self.mats:
            if m.name == name:
                return m
        raise KeyError(name)

    def mat_id(self, mat: str) -> str:
        return mat_id(self.name, mat)

    def graph(self) -> nx.DiGraph:
        g = nx.DiGraph()
        for m in self.mats:
            g.add_node(m.name, mat=m)
        for d in self.deps:
            g.add_edge(d.src, d.dst, bits=d.bits)
        return g

    def roots(self) -> list[str]:
        """MATs with no predecessor: the ones the packet reaches first from the ingress."""
        targets = {d.dst for d in self.deps}
        return [m.name for m in self.mats if m.name not in targets]

    def topological_order(self) -> list[str]:
        return list(self.order_and_preds[0])

    @cached_property
    def order_and_preds(self) -> tuple[tuple[str, ...], dict[str, tuple[str, ...]]]:
        """Lexicographic topological order and each MAT's predecessors, computed once per task
        (the walk model reads them for every plan evaluated)."""
        preds: dict[str, list[str]] = {m.name: [] for m in self.mats}
        succs: dict[str, list[str]] = {m.name: [] for m in self.mats}
        for d in self.deps:
            preds[d.dst].append(d.src)
            succs[d.src].append(d.dst)
        indeg = {n: len(p) for n, p in preds.items()}
        ready = sorted(n for n, k in indeg.items() if k == 0)
        order: list[str] = []
        while ready:
            n = ready.pop(0)
            order.append(n)
            for v in succs[n]:
                indeg[v] -= 1
                if indeg[v] == 0:
                    bisect.insort(ready, v)
        return tuple(order), {n: tuple(p) for n, p in preds.items()}

    def levels(self) -> dict[str, int]:
        """Dependency level of each MAT: 0 for roots, 1 + max level of predecessors otherwise."""
        g = self.graph()
        level: dict[str, int] = {}
        for n in nx.topological_sort(g):
            level[n] = max((level[p] + 1 for p in g.predecessors(n)), default=0)
        return level

    @property
    def sram_bits(self) -> int:
        return sum(m.sram_bits for m in self.mats)


@dataclass(frozen=True)
class Workload:
    """A set of tasks to offload; MATs are addressed globally as ``task/mat``."""

    tasks: tuple[Task, ...]

    def __post_init__(self) -> None:
        names = [t.name for t in self.tasks]
        dup = {n for n in names if names.count(n) > 1}
        if dup:
            raise WorkloadError(f"duplicate task name(s): {', '.join(sorted(dup))}", field="tasks")

    def task(self, name: str) -> Task:
        for t in self.tasks:
            if t.name == name:
                return t
        raise KeyError(name)

    def mat_ids(self) -> list[str]:
        return [mat_id(t.name, m.name) for t in self.tasks for m in t.mats]

    def mats(self) -> dict[str, MAT]:
        return {mat_id(t.name, m.name): m for t in self.tasks for m in t.mats}

    def deps(self) -> list[tuple[str, Task, Dependency]]:
        """Every dependency as (dep_id, task, dependency)."""
        return [(dep_id(t.name, d.src, d.dst), t, d) for t in self.tasks for d in t.deps]

    def to_dict(self) -> dict[str, Any]:
        return {"format": FORMAT, "tasks": [task_to_dict(t) for t in self.tasks]}

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), indent=1) + "\n")

    def with_ingress(self, ingress: Mapping[str, str]) -> "Workload":
        return Workload(tuple(replace(t, ingress=ingress.get(t.name, t.ingress)) for t in self.tasks))


def mat_id(task: str, mat: str) -> str:
    return f"{task}/{mat}"


def dep_id(task: str, src: str, dst: str) -> str:
    return f"{task}/{src}->{dst}"


def walk_id(task: str) -> str:
    """Key of a task's explicit walk (device list ingress -> ... -> egress) in ``Plan.routes``."""
    return f"{task}/@walk"


def ingress_dep_id(task: str, root: str) -> str:
    """The pseudo-dependency that carries a task's packets from its ingress device to a root MAT."""
    return f"{task}/@ingress->{root}"


def task_to_dict(t: Task) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": t.name,
        "kind": t.kind,
        "rate_mpps": t.rate_mpps,
        "dispatch_sram_bits": t.dispatch_sram_bits,
        "mats": [
            {
                "name": m.name,
                "sram_bits": m.sram_bits,
                "tcam_bits": m.tcam_bits,
                "stages": m.stages,
                "phv_bits": m.phv_bits,
                "entries": m.entries,
                "key_bits": m.key_bits,
                "match_kind": m.match_kind,
            }
            for m in t.mats
        ],
        "deps": [{"src": d.src, "dst": d.dst, "bits": d.bits} for d in t.deps],
    }
    if t.ingress is not None:
        out["ingress"] = t.ingress
    if t.egress is not None:
        out["egress"] = t.egress
    if t.packet_bytes:
        out["packet_bytes"] = t.packet_bytes
    if t.program is not None:
        out["program"] = t.program
    return out


# --------------------------------------------------------------------------- loading

_TASK_FIELDS = {"name", "kind", "ingress", "egress", "packet_bytes", "rate_mpps", "dispatch_sram_bits", "mats", "deps", "program"}
_MAT_FIELDS = {"name", "sram_bits", "tcam_bits", "stages", "phv_bits", "entries", "key_bits", "match_kind"}
_DEP_FIELDS = {"src", "dst", "bits"}


class _Node:
    """A parsed value with the line it started on, so errors can point at the file."""

    __slots__ = ("value", "line")

    def __init__(self, value: Any, line: int):
        self.value, self.line = value, line


def _compose(node: yaml.Node) -> _Node:
    line = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict[str, _Node] = {}
        for k, v in node.value:
            key = yaml.safe_load(yaml.serialize(k)) if not isinstance(k, yaml.ScalarNode) else k.value
            if key in out:
                raise WorkloadError(f"key {key!r} appears twice", line=k.start_mark.line + 1, field=str(key))
            out[str(key)] = _compose(v)
        return _Node(out, line)
    if isinstance(node, yaml.SequenceNode):
        return _Node([_compose(v) for v in node.value], line)
    return _Node(yaml.safe_load(yaml.serialize(node)), line)


def _plain(n: _Node) -> Any:
    if isinstance(n.value, dict):
        return {k: _plain(v) for k, v in n.value.items()}
    if isinstance(n.value, list):
        return [_plain(v) for v in n.value]
    return n.value


def load_workload(path: str | Path) -> Workload:
    """Read a workload file; every error names the file, the field and the line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise WorkloadError("no such file", path=str(path)) from None
    except UnicodeDecodeError as exc:
        raise WorkloadError(f"not UTF-8 text ({exc.reason} at byte {exc.start})", path=str(path)) from None
    return parse_workload(text, source=str(path))


def parse_workload(text: str, source: str = "<workload>") -> Workload:
    if not text.strip():
        raise WorkloadError("the file is empty", path=source)
    # Fast path for JSON (compiled programs make workload files large, and the line-tracking YAML
    # composer below costs seconds per 100 KB): parse with json, validate; on any problem fall
    # through to the YAML path, which reports the same error with its line number.
    if text.lstrip().startswith("{"):
        data = _strict_json(text)
        if isinstance(data, dict):
            try:
                return _workload_from_nodes(_nodes_from_plain(data), source)
            except WorkloadError:
                pass
    try:
        root_node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise WorkloadError(
            f"cannot parse: {exc.problem or exc}", path=source, line=(mark.line + 1) if mark else None
        ) from None
    except yaml.YAMLError as exc:
        raise WorkloadError(f"cannot parse: {exc}", path=source) from None
    try:
        root = _compose(root_node)
    except WorkloadError as exc:
        raise WorkloadError(str(exc), path=source) from None
    return _workload_from_nodes(root, source)


def _strict_json(text: str) -> Any:
    """json.loads refusing duplicate keys and NaN/Infinity (which the YAML path rejects); None if refused."""

    def pairs(items: list) -> dict:
        out: dict = {}
        for k, v in items:
            if k in out:
                raise ValueError(f"duplicate key {k!r}")
            out[k] = v
        return out

    def no_constant(name: str) -> Any:
        raise ValueError(name)

    try:
        return json.loads(text, object_pairs_hook=pairs, parse_constant=no_constant)
    except (ValueError, RecursionError):
        return None


def _nodes_from_plain(value: Any) -> _Node:
    if isinstance(value, dict):
        return _Node({str(k): _nodes_from_plain(v) for k, v in value.items()}, None)
    if isinstance(value, list):
        return _Node([_nodes_from_plain(v) for v in value], None)
    return _Node(value, None)


def workload_from_dict(data: Mapping[str, Any], source: str = "<workload>") -> Workload:
    return parse_workload(json.dumps(data), source)


def _workload_from_nodes(root: _Node, source: str) -> Workload:
    def fail(msg: str, node: _Node, fld: str | None = None) -> WorkloadError:
        return WorkloadError(msg, path=source, line=node.line, field=fld)

    if not isinstance(root.value, dict):
        raise fail("expected a mapping with a 'tasks' list at the top", root)
    fmt = root.value.get("format")
    if fmt is not None and fmt.value != FORMAT:
        raise fail(f"unsupported format {fmt.value!r}; expected {FORMAT!r}", fmt, "format")
    unknown = set(root.value) - {"format", "tasks"}
    if unknown:
        k = sorted(unknown)[0]
        raise fail("unknown field (expected 'format' and 'tasks')", root.value[k], k)
    tasks_node = root.value.get("tasks")
    if tasks_node is None:
        raise fail("missing", root, "tasks")
    if not isinstance(tasks_node.value, list) or not tasks_node.value:
        raise fail("must be a non-empty list of tasks", tasks_node, "tasks")

    tasks: list[Task] = []
    seen: dict[str, int] = {}
    for i, tn in enumerate(tasks_node.value):
        where = f"tasks[{i}]"
        if not isinstance(tn.value, dict):
            raise fail("a task must be a mapping", tn, where)
        t = tn.value
        _reject_unknown(t, _TASK_FIELDS, where, fail)
        name = _id_name(t, tn, where, "task", fail)
        if name in seen:
            raise fail(f"task name {name!r} already used on line {seen[name]}", t["name"], f"{where}.name")
        seen[name] = t["name"].line
        kind = _opt(t, "kind", str, "other", fail, f"{where}.kind")
        if kind not in TASK_KINDS:
            raise fail(f"unknown kind {kind!r}; expected one of {', '.join(TASK_KINDS)}", t["kind"], f"{where}.kind")
        ingress = _opt(t, "ingress", str, None, fail, f"{where}.ingress")
        egress = _opt(t, "egress", str, None, fail, f"{where}.egress")
        packet_bytes = _opt(t, "packet_bytes", int, 0, fail, f"{where}.packet_bytes")
        if packet_bytes < 0:
            raise fail("must be >= 0", t["packet_bytes"], f"{where}.packet_bytes")
        rate = _opt(t, "rate_mpps", (int, float), 1.0, fail, f"{where}.rate_mpps")
        if rate <= 0:
            raise fail("must be > 0", t["rate_mpps"], f"{where}.rate_mpps")
        dispatch = _opt(t, "dispatch_sram_bits", int, DEFAULT_DISPATCH_SRAM_BITS, fail, f"{where}.dispatch_sram_bits")
        if dispatch < 0:
            raise fail("must be >= 0", t["dispatch_sram_bits"], f"{where}.dispatch_sram_bits")

        mats_node = t.get("mats")
        if mats_node is None or not isinstance(mats_node.value, list) or not mats_node.value:
            raise fail("must be a non-empty list of MATs", mats_node or tn, f"{where}.mats")
        mats: list[MAT] = []
        mat_names: set[str] = set()
        for j, mn in enumerate(mats_node.value):
            mw = f"{where}.mats[{j}]"
            if not isinstance(mn.value, dict):
                raise fail("a MAT must be a mapping", mn, mw)
            m = mn.value
            _reject_unknown(m, _MAT_FIELDS, mw, fail)
            mname = _id_name(m, mn, mw, "MAT", fail)
            if mname in mat_names:
                raise fail(f"MAT name {mname!r} repeated in task {name!r}", m["name"], f"{mw}.name")
            mat_names.add(mname)
            if "sram_bits" not in m:
                raise fail("missing", mn, f"{mw}.sram_bits")
            ints = {}
            for k, default, low in (
                ("sram_bits", 0, 0),
                ("tcam_bits", 0, 0),
                ("stages", 1, 1),
                ("phv_bits", 0, 0),
                ("entries", 0, 0),
                ("key_bits", 0, 0),
            ):
                v = _opt(m, k, int, default, fail, f"{mw}.{k}")
                if v < low:
                    raise fail(f"must be >= {low}", m[k], f"{mw}.{k}")
                ints[k] = v
            mk = _opt(m, "match_kind", str, "exact", fail, f"{mw}.match_kind")
            if mk not in MATCH_KINDS:
                raise fail(f"unknown match kind {mk!r}; expected one of {', '.join(MATCH_KINDS)}", m["match_kind"], f"{mw}.match_kind")
            mats.append(MAT(name=mname, match_kind=mk, **ints))

        deps: list[Dependency] = []
        deps_node = t.get("deps")
        if deps_node is not None:
            if not isinstance(deps_node.value, list):
                raise fail("must be a list", deps_node, f"{where}.deps")
            pairs: set[tuple[str, str]] = set()
            for j, dn in enumerate(deps_node.value):
                dw = f"{where}.deps[{j}]"
                if not isinstance(dn.value, dict):
                    raise fail("a dependency must be a mapping", dn, dw)
                d = dn.value
                _reject_unknown(d, _DEP_FIELDS, dw, fail)
                src = _req_str(d, "src", dn, f"{dw}.src", fail)
                dst = _req_str(d, "dst", dn, f"{dw}.dst", fail)
                for k, v in (("src", src), ("dst", dst)):
                    if v not in mat_names:
                        raise fail(f"{v!r} is not a MAT of task {name!r}", d[k], f"{dw}.{k}")
                if src == dst:
                    raise fail("a MAT cannot depend on itself", dn, dw)
                if (src, dst) in pairs:
                    raise fail(f"dependency {src} -> {dst} repeated", dn, dw)
                pairs.add((src, dst))
                bits = _opt(d, "bits", int, 0, fail, f"{dw}.bits")
                if bits < 0:
                    raise fail("must be >= 0", d["bits"], f"{dw}.bits")
                deps.append(Dependency(src, dst, bits))
        task = Task(
            name=name,
            kind=kind,
            mats=tuple(mats),
            deps=tuple(deps),
            ingress=ingress,
            egress=egress,
            packet_bytes=packet_bytes,
            rate_mpps=float(rate),
            dispatch_sram_bits=dispatch,
            program=_plain(t["program"]) if "program" in t else None,
        )
        if not nx.is_directed_acyclic_graph(task.graph()):
            cycle = " -> ".join(e[0] for e in nx.find_cycle(task.graph()))
            raise fail(f"dependencies form a cycle ({cycle})", deps_node or tn, f"{where}.deps")
        tasks.append(task)
    return Workload(tuple(tasks))


def _reject_unknown(obj: dict, allowed: set[str], where: str, fail) -> None:
    for k in obj:
        if k not in allowed:
            raise fail(f"unknown field; expected one of {', '.join(sorted(allowed))}", obj[k], f"{where}.{k}")


def _id_name(obj: dict, parent: _Node, where: str, what: str, fail) -> str:
    """A task or MAT name: the separators of mat_id/dep_id would make ids ambiguous."""
    name = _req_str(obj, "name", parent, f"{where}.name", fail)
    if "/" in name or "->" in name or "@" in name:
        raise fail(f"{what} names may not contain '/', '->' or '@'", obj["name"], f"{where}.name")
    return name


def _req_str(obj: dict, key: str, parent: _Node, fld: str, fail) -> str:
    if key not in obj:
        raise fail("missing", parent, fld)
    v = obj[key].value
    if not isinstance(v, str) or not v.strip():
        raise fail(f"must be a non-empty string, got {v!r}", obj[key], fld)
    return v


def _opt(obj: dict, key: str, typ, default, fail, fld: str):
    if key not in obj:
        return default
    v = obj[key].value
    if v is None and default is None:
        return None
    if isinstance(v, bool) or not isinstance(v, typ):
        want = typ.__name__ if isinstance(typ, type) else " or ".join(t.__name__ for t in typ)
        raise fail(f"expected {want}, got {v!r}", obj[key], fld)
    return v


# --------------------------------------------------------------------------- generator

#: One Tofino stage's SRAM and TCAM (80 x 128 Kbit, 24 x 512 x 44 bit): the synthetic generator
#: spreads a larger table over several stages (kept here: the core does not import a device profile).
STAGE_SRAM_BITS = 80 * 128 * 1024
STAGE_TCAM_BITS = 24 * 512 * 44

#: Shape of each model family when compiled Planter-style: (feature tables, model tables, final tables).
_SHAPES = {
    "nb": "lookup",
    "svm": "lookup",
    "dt": "tree",
    "rf": "forest",
    "xgb": "forest",
}


def generate_workload(
    n_tasks: int,
    seed: int = 0,
    *,
    kinds: Iterable[str] = ("nb", "dt", "rf", "svm", "xgb"),
    ingress_choices: Iterable[str] | None = None,
    scale: float = 5.0,
) -> Workload:
    """Seeded NB/DT/RF/SVM/XGB-shaped tasks whose MAT sizes follow the compiler's encodings.

    Feature tables (range -> code word) feed per-tree or per-class tables, which feed a final
    vote/decision table; sizes are drawn in the ranges the compiler produces for 4-16 features.
    """
    if n_tasks < 1:
        raise WorkloadError("n_tasks must be >= 1", field="n_tasks")
    rng = random.Random(seed)
    kinds = list(kinds)
    ingress_list = list(ingress_choices) if ingress_choices is not None else None
    tasks = []
    for i in range(n_tasks):
        kind = kinds[i % len(kinds)] if i < len(kinds) else rng.choice(kinds)
        mats: list[MAT] = []
        deps: list[Dependency] = []
        n_feat = rng.randint(2, 5)
        feats = []
        for f in range(n_feat):
            entries = rng.randint(8, 64)
            key_bits = 16
            tcam = int(entries * (key_bits * 2) * scale)  # range tables expand into ternary
            mats.append(
                MAT(f"feat{f}", sram_bits=int(entries * 64 * 16 * scale), tcam_bits=tcam, stages=1,
                    phv_bits=16 + 8, entries=entries, key_bits=key_bits, match_kind="range")
            )
            feats.append(f"feat{f}")
        shape = _SHAPES.get(kind, "lookup")
        if shape == "tree" or shape == "forest":
            n_trees = 1 if shape == "tree" else rng.randint(2, 4)
            trees = []
            for k in range(n_trees):
                entries = rng.randint(32, 512)
                tname = f"tree{k}"
                mats.append(MAT(tname, sram_bits=int(entries * 128 * 16 * scale), stages=1, phv_bits=8,
                                entries=entries, key_bits=8 * n_feat, match_kind="exact"))
                trees.append(tname)
                for fname in feats:
                    deps.append(Dependency(fname, tname, 8))
            if shape == "forest":
                entries = rng.randint(16, 128)
                mats.append(MAT("vote", sram_bits=int(entries * 64 * 16 * scale), stages=1, phv_bits=8,
                                entries=entries, key_bits=8 * n_trees, match_kind="exact"))
                for tname in trees:
                    deps.append(Dependency(tname, "vote", 8))
        else:
            n_cls = rng.randint(2, 4)
            entries = rng.randint(16, 128)
            mats.append(MAT("sum", sram_bits=int(entries * 64 * 16 * scale), stages=2, phv_bits=16 * n_cls,
                            entries=entries, key_bits=16 * n_cls, match_kind="exact"))
            for fname in feats:
                deps.append(Dependency(fname, "sum", 16 * n_cls))
            mats.append(MAT("argmax", sram_bits=int(64 * 64 * 16 * scale), stages=1, phv_bits=8,
                            entries=64, key_bits=16 * n_cls, match_kind="ternary", tcam_bits=int(64 * 32 * scale)))
            deps.append(Dependency("sum", "argmax", 16 * n_cls))
        ingress = rng.choice(ingress_list) if ingress_list else None
        # A table larger than one stage's memory spans several stages (as Tofino's compiler lays it out).
        mats = [replace(m, stages=max(m.stages, -(-m.sram_bits // STAGE_SRAM_BITS), -(-m.tcam_bits // STAGE_TCAM_BITS)))
                for m in mats]
        tasks.append(
            Task(name=f"{kind}{i}", kind=kind, mats=tuple(mats), deps=tuple(deps), ingress=ingress,
                 rate_mpps=round(rng.uniform(5, 50), 1))
        )
    return Workload(tuple(tasks))


# --------------------------------------------------------------------------- compiled-model workloads

#: The committed MAT sizes of models compiled by mlcompiler (regenerate: bench/make_task_library.py).
TASK_LIBRARY = Path(__file__).with_name("data") / "task_library.json"
#: The paper's task mix (section 6, "Input tasks"): NB, DT, RF, SVM and XGB in equal shares.
PAPER_MIX = ("nb", "dt", "rf", "svm", "xgb")
#: Zipf exponent of the ingress draw: traffic enters at a few busy PoPs more than at the rest, which
#: is what makes some ingress switches too small for the tasks whose traffic enters there.
INGRESS_ZIPF = 1.0
#: Packet rate (Mpps) and mean packet size (bytes) ranges of a task's flow aggregate: with a few
#: tens to a few hundred Mbit/s per task, 60 tasks load Abilene's busiest 10 Gbit/s link to about a third.
RATE_MPPS = (0.01, 0.05)
#: Templates whose MATs' PHV bits add up to more than this are left out: mlcompiler counts the
#: 64-bit score lanes once per table that touches them, so NB/SVM on 16+ features would need a
#: 5.7 kbit packet header (more than a Tofino's 4,096-bit PHV) on any device and could never be
#: placed, whole or split.
MAX_TASK_PHV_BITS = 4096
PACKET_BYTES = (300, 1200)


def load_task_library(path: str | Path = TASK_LIBRARY) -> list[dict[str, Any]]:
    """The compiled task templates (dicts in the workload task format, plus their dataset)."""
    data = json.loads(Path(path).read_text())
    return list(data["tasks"])


def generate_compiled_workload(
    n_tasks: int,
    seed: int,
    devices: Iterable[str],
    *,
    kinds: Iterable[str] = PAPER_MIX,
    zipf: float = INGRESS_ZIPF,
    scale: float = 1.0,
    max_phv_bits: int = MAX_TASK_PHV_BITS,
) -> Workload:
    """Tasks whose MATs are sized by our own compiler, with an ingress and an egress each.

    Kinds follow ``kinds`` round-robin (the paper's equal mix); each task copies a compiled
    template of its kind (random dataset), so MAT entries, SRAM/TCAM bits and dependency bits are
    the compiler's. Ingress devices are drawn Zipf(``zipf``) over a seeded shuffle of ``devices``;
    the egress uniformly among the other devices. ``scale`` multiplies every table's entries and
    memory (1 = as compiled), for stress tests.

    Example: ``generate_compiled_workload(60, 1, [d.name for d in topo.devices])``.
    """
    if n_tasks < 1:
        raise WorkloadError("n_tasks must be >= 1", field="n_tasks")
    devs = list(devices)
    if not devs:
        raise WorkloadError("need at least one device for ingress/egress", field="devices")
    rng = random.Random(seed)
    library: dict[str, list[dict[str, Any]]] = {}
    for entry in load_task_library():
        if sum(m["phv_bits"] for m in entry["mats"]) > max_phv_bits:
            continue
        library.setdefault(entry["kind"], []).append(entry)
    kinds = [k for k in kinds if k in library]
    if not kinds:
        raise WorkloadError("no compiled template for the requested kinds", field="kinds")
    hot = list(devs)
    rng.shuffle(hot)
    weights = [1.0 / (i + 1) ** zipf for i in range(len(hot))]
    tasks = []
    for i in range(n_tasks):
        kind = kinds[i % len(kinds)]
        tpl = rng.choice(library[kind])
        ingress = rng.choices(hot, weights)[0]
        others = [d for d in devs if d != ingress]
        egress = rng.choice(others) if others else ingress
        mats = tuple(
            MAT(m["name"], sram_bits=int(m["sram_bits"] * scale), tcam_bits=int(m["tcam_bits"] * scale),
                stages=m["stages"], phv_bits=m["phv_bits"], entries=int(m["entries"] * scale),
                key_bits=m["key_bits"], match_kind=m["match_kind"])
            for m in tpl["mats"])
        deps = tuple(Dependency(d["src"], d["dst"], d["bits"]) for d in tpl["deps"])
        tasks.append(Task(name=f"{kind}{i}-{tpl['dataset']}", kind=kind, mats=mats, deps=deps, ingress=ingress,
                          egress=egress, rate_mpps=round(rng.uniform(*RATE_MPPS), 3),
                          packet_bytes=rng.randint(*PACKET_BYTES)))
    return Workload(tuple(tasks))
