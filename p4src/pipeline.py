"""Python twin of inml.p4: executes the P4 program's parser, tables, actions and deparser on bytes.

WHY: the controller, the software switch (omniplan-switch) and the tests need a switch that
behaves like inml.p4 without BMv2; tests/test_bmv2_differential.py checks it packet for packet
against BMv2 running the p4c-compiled program. ``InferencePipeline.process`` takes a packet, its
ingress port and the switch's table state (P4Info-name ``TableEntry`` lists) and returns the
(egress port, bytes) pairs the program would emit: ``[]`` is a drop, ``CPU_PORT`` a packet-in
(prefixed with the packet_in header). Recirculation loops inside ``process``.

Selection follows P4Runtime/BMv2: exact fields must all match; for ternary/range/optional tables
the highest ``priority`` wins (ties: the entry inserted first); LPM tables pick the longest
prefix. Omitted ternary/range/optional/LPM fields are wildcards, as in P4Runtime.

Speed: table state is compiled per snapshot (exact fields -> dict bucket; inside a bucket, range
entries -> bisect over disjoint intervals, ternary entries -> one dict per distinct mask) and the
snapshot is reused while every table's entry list is unchanged (compared element by identity).
"""

from __future__ import annotations

import bisect
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

from p4src import features as pktfeat
from p4src import layout
from p4src.entries import DefaultAction, TableEntry
from p4src.p4info import PROGRAM_NAME, Schema, TableSchema, inml_schema

CPU_PORT = layout.CPU_PORT
DROP_PORT = 511
__all__ = ["InferencePipeline", "PROGRAM_NAME", "CPU_PORT", "PipelineError"]

_FIX = 8  # task_id 2, version 1, visit 2, label 2, flags 1
_FEAT_BYTES = layout.FEATURES_FIELD_BITS // 8
_REGS_BYTES = layout.REGS_BITS // 8
_INML = layout.INML_BYTES
_REGS_FULL = (1 << layout.REGS_BITS) - 1
_ETH_INML = layout.INML_ETHERTYPE.to_bytes(2, "big")
_ETH_IPV4 = pktfeat.ETHERTYPE_IPV4.to_bytes(2, "big")
_STAGES = [f"MyIngress.stage{i}" for i in range(layout.NUM_STAGES)]
_LANE_MASK = layout.LANE_MAX
_ZERO_KEYS = [0] * layout.NUM_STAGES
#: Per-bucket memo of ternary lookups (entries per bucket); cleared when full.
_CACHE_MAX = 65536
_FEATURE_PARAMS = [f"feature{i}" for i in range(layout.NUM_STAGES)]
#: feature index -> right shift that brings it to the low bits of the packed features int
_FEATURE_SHIFTS = [layout.feature_shift(i) for i in range(layout.NUM_FEATURES)]


class PipelineError(ValueError):
    """A table entry the program cannot hold (unknown table/action/field, value too wide)."""


@dataclass
class _State:
    task_id: int = 0
    version: int = 0
    visit: int = 0
    label: int = 0
    flags: int = 0
    features: int = 0
    regs: int = 0
    #: meta.feature0..15: the feature index each stage key reads (key_select sets them, else 0)
    feature_idx: list = field(default_factory=lambda: _ZERO_KEYS)
    argmax_go: int = 0
    argmax_n: int = 0
    recirc: int = 0
    final: int = 0  # meta.final: route delivered the packet (label_count counts it)
    egress: int = DROP_PORT
    #: deliver_plain: the inml header is removed on the way out
    plain: int = 0


# --------------------------------------------------------------------------- table compilation

class _Table:
    """One table of one snapshot: lookup(key tuple) -> (action, params) or the default."""

    def __init__(self, schema: TableSchema, actions: Schema, entries: Sequence[TableEntry], default: tuple[str, dict]):
        self.schema = schema
        self.default = default
        kinds = [k.kind for k in schema.keys]
        self.exact_idx = [i for i, k in enumerate(kinds) if k == "exact"]
        self.other_idx = [i for i, k in enumerate(kinds) if k != "exact"]
        self.lpm = "lpm" in kinds
        pos = {k.name: i for i, k in enumerate(schema.keys)}
        self.buckets: dict[tuple, Any] = {}
        raw: dict[tuple, list] = {}
        for order, e in enumerate(entries):
            if e.table != schema.name:
                raise PipelineError(f"entry for {e.table} given under {schema.name}")
            if e.action not in schema.actions:
                raise PipelineError(f"{schema.name}: action {e.action} is not one of {', '.join(schema.actions)}")
            cons: list[Any] = [None] * len(schema.keys)
            for m in e.matches:
                if m.field not in pos:
                    raise PipelineError(f"{schema.name}: no key field {m.field}")
                i = pos[m.field]
                kf = schema.keys[i]
                if m.kind != kf.kind:
                    raise PipelineError(f"{schema.name}.{m.field}: {m.kind} match on a {kf.kind} field")
                full = (1 << kf.width) - 1
                if m.value > full or (m.high or 0) > full or (m.mask or 0) > full:
                    raise PipelineError(f"{schema.name}.{m.field}: value wider than {kf.width} bits")
                if kf.kind in ("exact", "optional"):
                    cons[i] = m.value
                elif kf.kind == "ternary":
                    cons[i] = (m.value & (m.mask or 0), m.mask or 0)
                elif kf.kind == "range":
                    cons[i] = (m.value, m.high if m.high is not None else m.value)
                else:
                    plen = m.prefix_len or 0
                    pmask = ((1 << plen) - 1) << (kf.width - plen) if plen else 0
                    cons[i] = (m.value & pmask, pmask, plen)
            missing = [schema.keys[i].name for i in self.exact_idx if cons[i] is None]
            if missing:
                raise PipelineError(f"{schema.name}: exact field(s) {', '.join(missing)} missing")
            params = _params(actions, e.action, e.params)
            prio = max((c[2] for c in cons if isinstance(c, tuple) and len(c) == 3), default=0) if self.lpm else e.priority
            ekey = tuple(cons[i] for i in self.exact_idx)
            raw.setdefault(ekey, []).append((-prio, order, [cons[i] for i in self.other_idx], e.action, params))
        for ekey, lst in raw.items():
            lst.sort(key=lambda r: (r[0], r[1]))
            self.buckets[ekey] = _bucket_matcher(lst, [schema.keys[i] for i in self.other_idx])

    def lookup(self, key: tuple) -> tuple[str, dict]:
        ex = tuple(key[i] for i in self.exact_idx) if len(self.exact_idx) != len(key) else key
        b = self.buckets.get(ex)
        if b is None:
            return self.default
        if not self.other_idx:
            return b
        hit = b(tuple(key[i] for i in self.other_idx))
        return hit if hit is not None else self.default


def _params(actions: Schema, action: str, given: Sequence[tuple[str, int]]) -> dict:
    spec = actions.actions[action]
    names = dict(spec.params)
    got = dict(given)
    unknown = set(got) - set(names)
    if unknown:
        raise PipelineError(f"action {action}: unknown parameter(s) {', '.join(sorted(unknown))}")
    missing = set(names) - set(got)
    if missing:
        raise PipelineError(f"action {action}: missing parameter(s) {', '.join(sorted(missing))}")
    for n, v in got.items():
        if not 0 <= v < (1 << names[n]):
            raise PipelineError(f"action {action}: {n}={v} does not fit {names[n]} bits")
    return got


def _matches(c: Any, kind: str, v: int) -> bool:
    if c is None:
        return True
    if kind in ("exact", "optional"):
        return v == c
    if kind == "ternary":
        return v & c[1] == c[0]
    if kind == "range":
        return c[0] <= v <= c[1]
    return v & c[1] == c[0]  # lpm


def _bucket_matcher(lst: list, keys: list) -> Callable | tuple:
    """Fast path for the shapes the compiler emits, exact semantics otherwise."""
    if not keys:
        _, _, _, action, params = lst[0]
        return (action, params)
    kinds = [k.kind for k in keys]
    # Only one non-wildcard field across the bucket?
    used = {i for r in lst for i, c in enumerate(r[2]) if c is not None and not (kinds[i] == "ternary" and c[1] == 0)}
    if len(used) == 1:
        (i,) = used
        if kinds[i] == "range":
            spans = sorted(((r[2][i] or (0, (1 << keys[i].width) - 1)), r) for r in lst)
            disjoint = all(spans[j][0][1] < spans[j + 1][0][0] for j in range(len(spans) - 1))
            if disjoint:
                los = [s[0][0] for s in spans]
                his = [s[0][1] for s in spans]
                res = [(s[1][3], s[1][4]) for s in spans]

                def by_range(key: tuple, i=i, los=los, his=his, res=res):
                    v = key[i]
                    j = bisect.bisect_right(los, v) - 1
                    if j >= 0 and v <= his[j]:
                        return res[j]
                    return None

                return by_range
        if kinds[i] == "ternary":
            groups: dict[int, dict[int, tuple]] = {}
            for r in lst:
                c = r[2][i] or (0, 0)
                g = groups.setdefault(c[1], {})
                if c[0] not in g:  # lst is sorted best-first
                    g[c[0]] = (r[0], r[1], r[3], r[4])
            # Best-first by the best (priority, order) inside each mask group, so the scan can
            # stop as soon as no later group can beat the hit.
            glist = sorted(((min(g.values())[:2], mask, g) for mask, g in groups.items()), key=lambda t: t[0])
            union = 0
            for _, mask, _ in glist:
                union |= mask
            cache: dict[int, Any] = {}

            def by_mask(key: tuple, i=i, glist=glist, union=union, cache=cache):
                # Only the bits some entry tests decide the result: memoise on them (a
                # megaflow-style cache, exact because the key outside ``union`` is ignored).
                v = key[i] & union
                hit = cache.get(v, cache)
                if hit is not cache:
                    return hit
                best = None
                for gbest, mask, g in glist:
                    if best is not None and best[:2] < gbest:
                        break
                    h = g.get(v & mask)
                    if h is not None and (best is None or h[:2] < best[:2]):
                        best = h
                hit = (best[2], best[3]) if best is not None else None
                if len(cache) >= _CACHE_MAX:
                    cache.clear()
                cache[v] = hit
                return hit

            return by_mask
    if not used:
        _, _, _, action, params = lst[0]
        return lambda key, hit=(action, params): hit

    def linear(key: tuple):
        for _, _, cons, action, params in lst:
            if all(_matches(c, k, v) for c, k, v in zip(cons, kinds, key)):
                return (action, params)
        return None

    return linear


# --------------------------------------------------------------------------- the pipeline

_DEFAULTS = {
    "MyIngress.dispatch": ("NoAction", {}),
    "MyIngress.task_select": ("NoAction", {}),
    "MyIngress.key_select": ("NoAction", {}),
    "MyIngress.route": ("MyIngress.drop", {}),
    "MyIngress.l2_fwd": ("MyIngress.drop", {}),
    **{s: ("NoAction", {}) for s in _STAGES},
}


class InferencePipeline:
    """Executes inml.p4. One instance per switch; ``process`` is called per packet."""

    PROGRAM_NAME = PROGRAM_NAME
    #: Tables with a direct counter in inml.p4: each entry hit is reported to ``on_hit`` as
    #: (table name, exact key values in key order, packet bytes), so the switch can count it.
    COUNTED_TABLES = ("MyIngress.dispatch", "MyIngress.label_count")

    def __init__(self, schema: Schema | None = None):
        self.schema = schema or inml_schema()
        self._cache_key: Any = None
        self._cache_lists: dict[str, list] = {}
        self._tables: dict[str, _Table] = {}
        self._stages: list[tuple[int, _Table]] = []
        self.on_hit: Callable[[str, tuple, int], None] | None = None
        #: receives (digest struct name, member values in order) for each digest() the program calls
        self.on_digest: Callable[[str, tuple], None] | None = None
        self._nbytes = 0  # length of the packet being processed (direct counters count bytes)
        self._ingress_port = 0
        #: inml.p4's flow registers (they outlive table snapshots, as registers do)
        self.flows = pktfeat.FlowTable()
        self._t0 = time.monotonic_ns()

    # ---------------------------------------------------------------- snapshots
    def load(self, tables: Mapping[str, Sequence[TableEntry]], defaults: Mapping[str, DefaultAction] | None = None) -> None:
        """Compile a table state (validates every entry; raises PipelineError naming the bad one)."""
        for name in tables:
            if name not in self.schema.tables:
                raise PipelineError(f"no table {name} in {self.schema.program}")
        compiled = {}
        for name, ts in self.schema.tables.items():
            if ts.size and len(tables.get(name, ())) > ts.size:  # capacity, as BMv2 enforces it
                raise PipelineError(f"{name}: {len(tables[name])} entries; the table holds {ts.size}")
            d = _DEFAULTS.get(name, ("NoAction", {}))
            if defaults and name in defaults:
                da = defaults[name]
                if da.action not in ts.actions:
                    raise PipelineError(f"{name}: default action {da.action} is not one of its actions")
                d = (da.action, _params(self.schema, da.action, da.params))
            compiled[name] = _Table(ts, self.schema, tables.get(name, ()), d)
        self._tables = compiled
        # stage tables that can do anything for some packet, in pipeline order
        self._stages = [(i, compiled[n]) for i, n in enumerate(_STAGES)
                        if compiled[n].buckets or compiled[n].default[0] != "NoAction"]
        self._cache_lists = {n: list(v) for n, v in tables.items()}
        self._cache_key = tuple(defaults.items()) if defaults else ()

    def _ensure(self, tables: Mapping[str, Sequence[TableEntry]], defaults: Mapping[str, DefaultAction] | None) -> None:
        """Reuse the compiled snapshot while every table's entries are the same objects."""
        key = tuple(defaults.items()) if defaults else ()
        cl = self._cache_lists
        if self._cache_key is not None and key == self._cache_key and tables.keys() == cl.keys() and all(
            cl[n] == (v if isinstance(v, list) else list(v)) for n, v in tables.items()
        ):
            return
        self.load(tables, defaults)

    # ---------------------------------------------------------------- packets
    def process(self, packet: bytes, ingress_port: int, tables: Mapping[str, Sequence[TableEntry]],
                defaults: Mapping[str, DefaultAction] | None = None, now_us: int | None = None) -> list[tuple[int, bytes]]:
        self._ensure(tables, defaults)
        return self.process_loaded(packet, ingress_port, now_us)

    def process_loaded(self, packet: bytes, ingress_port: int, now_us: int | None = None) -> list[tuple[int, bytes]]:
        """``process`` against the last loaded snapshot. ``now_us`` is the switch clock
        (BMv2's ingress_global_timestamp, microseconds since start) that flow features read;
        by default microseconds since this pipeline was created."""
        T = self._tables
        self._nbytes, self._ingress_port = len(packet), ingress_port
        if ingress_port == CPU_PORT:
            # packet_out: the controller names the egress port; no tables run.
            if len(packet) < 2 + layout.ETH_BYTES:
                return []
            port = int.from_bytes(packet[0:2], "big") >> 7
            return [] if port == DROP_PORT else [self._egress(port, ingress_port, packet[2:])]
        if len(packet) < layout.ETH_BYTES:
            return []  # parser error: ethernet invalid; nothing forwards it
        eth = packet[:layout.ETH_BYTES]
        off = layout.ETH_BYTES
        if eth[12:14] != _ETH_INML or len(packet) - off < _INML:
            s = self._start_task(packet, now_us)
            if s is None:
                s = _State()
                self._run(T["MyIngress.l2_fwd"].lookup((int.from_bytes(eth[0:6], "big"),)), s)
                return [] if s.egress == DROP_PORT else [self._egress(s.egress, ingress_port, packet)]
            payload = packet[off:]
        else:
            h = packet[off:off + _INML]
            payload = packet[off + _INML:]
            s = _State(
                task_id=int.from_bytes(h[0:2], "big"), version=h[2], visit=int.from_bytes(h[3:5], "big"),
                label=int.from_bytes(h[5:7], "big"), flags=h[7],
                features=int.from_bytes(h[_FIX:_FIX + _FEAT_BYTES], "big"),
                regs=int.from_bytes(h[_FIX + _FEAT_BYTES:_INML], "big"),
            )
        # Recirculation re-parses the deparsed header, which holds all of the state: keeping the
        # parsed fields across passes (and resetting metadata) is the same computation.
        for _ in range(layout.MAX_PASSES):
            self._pass(s)
            if s.egress == DROP_PORT:
                return []
            if not s.recirc:
                break
            s.recirc, s.egress, s.argmax_go, s.argmax_n = 0, DROP_PORT, 0, 0
        else:
            return []
        if s.plain:  # deliver_plain: the IPv4 packet leaves without the inml header
            return [self._egress(s.egress, ingress_port, eth[:12] + _ETH_IPV4 + payload)]
        out = eth[:12] + _ETH_INML + (
            s.task_id.to_bytes(2, "big") + bytes([s.version]) + s.visit.to_bytes(2, "big")
            + s.label.to_bytes(2, "big") + bytes([s.flags])
            + s.features.to_bytes(_FEAT_BYTES, "big") + s.regs.to_bytes(_REGS_BYTES, "big")
        ) + payload
        return [self._egress(s.egress, ingress_port, out)]

    def _start_task(self, packet: bytes, now_us: int | None) -> _State | None:
        """The first switch of a task: task_select on the IPv4 header; on a hit, update the flow
        registers and build the inml state with the catalogue's features (p4src/features.py)."""
        select = self._tables["MyIngress.task_select"]
        if not select.buckets and select.default[0] == "NoAction":
            return None  # no packet-feature task starts here: plain traffic pays no parsing
        h = pktfeat.parse_headers(packet)
        if h is None:
            return None
        action, p = select.lookup((h.src, h.dst, h.proto))
        if action != "MyIngress.start_task":
            return None
        now = (time.monotonic_ns() - self._t0) // 1000 if now_us is None else now_us
        vec = self.flows.update(h, now)
        return _State(task_id=p["task_id"], features=layout.pack_features(vec))

    def _pass(self, s: _State) -> None:
        T = self._tables
        run = self._run
        if s.visit == 0:
            run(T["MyIngress.dispatch"].lookup((s.task_id,)), s)
            if self.on_hit is not None:
                self._count("MyIngress.dispatch", (s.task_id,))
            if self.on_digest is not None and (s.task_id,) not in T["MyIngress.dispatch"].buckets:
                # if (!dispatch.apply().hit) digest<unknown_task_t>(1, {task_id, ingress_port})
                self.on_digest("unknown_task_t", (s.task_id, self._ingress_port))
        sel = (s.task_id, s.version, s.visit)
        s.feature_idx = _ZERO_KEYS
        run(T["MyIngress.key_select"].lookup(sel), s)
        # read_keys: meta.key_k = hdr.features[meta.feature_k].value (computed for the stages that run)
        f, idx = s.features, s.feature_idx
        for i, tab in self._stages:
            b = tab.buckets.get(sel)
            if b is None:
                hit = tab.default
            else:
                hit = b(((f >> _FEATURE_SHIFTS[idx[i]]) & layout.FEATURE_MAX, s.regs)) or tab.default
            if hit[0] != "NoAction":
                run(hit, s)
                if s.argmax_go:
                    self._argmax(s)
        run(T["MyIngress.route"].lookup(sel), s)
        if s.final:  # if (meta.final == 1) { label_count.apply(); }
            if self.on_hit is not None:
                self._count("MyIngress.label_count", (s.task_id, s.label))
            s.final = 0

    def _count(self, table: str, key: tuple) -> None:
        """A direct-counted table was applied: report a hit (entries exist only to be counted)."""
        tab = self._tables.get(table)
        if tab is not None and key in tab.buckets:
            self.on_hit(table, key, self._nbytes)

    @staticmethod
    def _egress(port: int, ingress_port: int, out: bytes) -> tuple[int, bytes]:
        if port == CPU_PORT:
            out = ((ingress_port & 0x1FF) << 7).to_bytes(2, "big") + out
        return (port, out)

    @staticmethod
    def _argmax(s: _State) -> None:
        regs, n = s.regs, s.argmax_n
        best, idx = regs & _LANE_MASK, 0
        for k in range(1, min(n, layout.NUM_LANES)):
            v = (regs >> (k * layout.LANE_BITS)) & _LANE_MASK
            if v > best:
                best, idx = v, k
        s.label = idx
        s.flags |= layout.FLAG_DONE
        s.argmax_go = 0

    @staticmethod
    def _run(hit: tuple[str, dict], s: _State) -> None:
        action, p = hit
        if action == "NoAction":
            return
        if action == "MyIngress.add_vec":
            s.regs = (s.regs + p["value"]) & _REGS_FULL
        elif action == "MyIngress.set_bits":
            m = p["mask"]
            s.regs = (s.regs & (_REGS_FULL ^ m)) | (p["value"] & m)
        elif action == "MyIngress.select_keys":
            # bit<6> indexes: always inside the 64-entry feature stack
            s.feature_idx = [p[k] for k in _FEATURE_PARAMS]
        elif action == "MyIngress.set_label":
            s.label = p["label"]
            s.flags |= layout.FLAG_DONE
        elif action == "MyIngress.argmax_label":
            s.argmax_n, s.argmax_go = p["lanes"], 1
        elif action == "MyIngress.forward":
            s.egress, s.visit = p["port"], p["next_visit"]
        elif action == "MyIngress.recirculate_pass":
            s.visit, s.recirc, s.egress = p["next_visit"], 1, 0
        elif action == "MyIngress.deliver":
            s.egress, s.final = p["port"], 1
        elif action == "MyIngress.deliver_plain":
            s.egress, s.plain, s.final = p["port"], 1, 1
        elif action == "MyIngress.l2_forward":
            s.egress = p["port"]
        elif action == "MyIngress.send_to_cpu":
            s.egress, s.final = CPU_PORT, 1
        elif action == "MyIngress.drop":
            s.egress = DROP_PORT
        elif action == "MyIngress.stamp":
            s.version, s.visit = p["version"], p["visit"]
        else:
            raise PipelineError(f"action {action} has no semantics in the twin")


# --------------------------------------------------------------------------- packet helpers

def build_packet(task_id: int, features: Sequence[int], *, dst: int = 0x02_00_00_00_00_02, src: int = 0x02_00_00_00_00_01,
                 version: int = 0, visit: int = 0, label: int = 0, flags: int = 0, regs: int = 0, payload: bytes = b"") -> bytes:
    """An Ethernet + inml packet as a host would send it (visit 0: the ingress dispatch stamps it)."""
    return (
        dst.to_bytes(6, "big") + src.to_bytes(6, "big") + _ETH_INML
        + task_id.to_bytes(2, "big") + bytes([version]) + visit.to_bytes(2, "big") + label.to_bytes(2, "big") + bytes([flags])
        + layout.pack_features(list(features)).to_bytes(_FEAT_BYTES, "big") + regs.to_bytes(_REGS_BYTES, "big") + payload
    )


@dataclass(frozen=True)
class InmlHeader:
    task_id: int
    version: int
    visit: int
    label: int
    flags: int
    features: int
    regs: int


def parse_inml(packet: bytes) -> InmlHeader:
    """The inml header of an Ethernet frame (raises ValueError if it has none)."""
    if len(packet) < layout.ETH_BYTES + _INML or packet[12:14] != _ETH_INML:
        raise ValueError("not an inml packet")
    h = packet[layout.ETH_BYTES:layout.ETH_BYTES + _INML]
    return InmlHeader(int.from_bytes(h[0:2], "big"), h[2], int.from_bytes(h[3:5], "big"), int.from_bytes(h[5:7], "big"),
                      h[7], int.from_bytes(h[_FIX:_FIX + _FEAT_BYTES], "big"), int.from_bytes(h[_FIX + _FEAT_BYTES:_INML], "big"))
