"""Indexed counters, meters and registers, direct counter/meter entities, and digest configs of one
pipeline: their P4Runtime Write/Read semantics (P4Runtime v1.4.1 sections 9.3, 9.4, 9.7, 9.8).

Why a module apart from tables: these objects are arrays indexed by integer, not match-keyed
entries, and they are written with MODIFY only; direct resources are reached through the table
store (the entry they belong to) but follow the same rules. Every mutating call returns an undo
function, like TableStore.apply, so batches roll back as a whole.

The data plane updates the arrays through ``count``/``register_write`` (the pipeline twin for our
program); for a program without a twin they only change through P4Runtime, as on a switch whose
packets never reach those externs.
"""

from __future__ import annotations

from typing import Callable, Iterator

import grpc

from softswitch.bytestrings import decode, encode
from softswitch.codec import DELETE, INSERT, MODIFY, canonicalize, check_meter_config
from softswitch.errors import P4RuntimeError, invalid, not_found, out_of_range
from softswitch.p4info import ArrayInfo, P4InfoIndex
from softswitch.proto import p4r
from softswitch.tables import DirectState, TableStore, _meter_or_none

Undo = Callable[[], None]
#: DigestEntry.Config used when a client enables a digest without one (BMv2/PI use the same zeros:
#: send every digest message at once, no ack cache).
DEFAULT_DIGEST_CONFIG = p4r.DigestEntry.Config()


def _modify_only(update_type: int, what: str) -> None:
    if update_type != MODIFY:  # 9.3.1, 9.3.2, 9.4.1, 9.4.2: INSERT and DELETE are INVALID_ARGUMENT
        raise invalid(f"{what} can only be MODIFYed (INSERT/DELETE are not allowed)")


def _indices(info: ArrayInfo, entry, what: str) -> range:
    """The indices an entry addresses: one, or all when ``index`` is unset (wildcard)."""
    if not entry.HasField("index"):
        return range(info.size)
    i = entry.index.index
    if i < 0:
        raise invalid(f"{what} {info.name!r}: negative index {i}")
    if i >= info.size:
        raise out_of_range(f"{what} {info.name!r}: index {i} is beyond its size {info.size}")
    return range(i, i + 1)


def _target(infos: dict[int, ArrayInfo], oid: int, entry, update_type: int, what: str) -> tuple[ArrayInfo, range]:
    """The array and the indices an indexed-extern write addresses (unknown id: NOT_FOUND; not a
    MODIFY: INVALID_ARGUMENT; bad index: INVALID_ARGUMENT / OUT_OF_RANGE)."""
    info = infos.get(oid)
    if info is None:
        raise not_found(f"unknown {what} id {oid}")
    _modify_only(update_type, f"a {what} entry")
    return info, _indices(info, entry, what)


def _array_cells(infos: dict[int, ArrayInfo], query, wanted_id: int, what: str) -> Iterator[tuple[int, int]]:
    """(id, index) of every cell an indexed-extern read asks for: one cell, one array (index unset)
    or every array (id 0) -- the wildcards of 9.3.2, 9.4.2 and 9.7."""
    for oid in ([wanted_id] if wanted_id else list(infos)):
        info = infos.get(oid)
        if info is None:
            raise not_found(f"unknown {what} id {oid}")
        yield from ((oid, i) for i in (_indices(info, query, what) if wanted_id else range(info.size)))


def _assign(cells: list, idx: range, value) -> Undo:
    """Set ``cells[i] = value()`` for every index (a fresh value each: counter cells are lists) and
    return the undo that puts the old values back."""
    old = [cells[i] for i in idx]
    for i in idx:
        cells[i] = value()

    def undo() -> None:
        for i, v in zip(idx, old):
            cells[i] = v
    return undo


class ExternStore:
    """State of the indexed externs and digest configs of one P4Info, plus direct-resource access."""

    def __init__(self, index: P4InfoIndex, tables: TableStore):
        self.index = index
        self.tables = tables
        #: counter id -> [packets, bytes] per index
        self.counters = {cid: [[0, 0] for _ in range(c.size)] for cid, c in index.counters.items()}
        #: meter id -> MeterConfig or None (default: every packet GREEN) per index
        self.meters: dict[int, list] = {mid: [None] * m.size for mid, m in index.meters.items()}
        self.registers = {rid: [0] * r.size for rid, r in index.registers.items()}
        #: digest id -> its DigestEntry.Config while enabled (INSERTed)
        self.digests: dict[int, "p4r.DigestEntry.Config"] = {}

    # ---- data plane --------------------------------------------------------------------------------
    def count(self, counter_id: int, index: int, nbytes: int) -> None:
        cell = self.counters[counter_id][index]
        cell[0] += 1
        cell[1] += nbytes

    def register_write(self, register_id: int, index: int, value: int) -> None:
        self.registers[register_id][index] = value

    # ---- writes ------------------------------------------------------------------------------------
    def apply(self, update_type: int, kind: str, entity: "p4r.Entity") -> Undo:
        """Validate and apply one update of an extern entity; raise and change nothing on failure."""
        if kind == "counter_entry":
            return self._write_counter(update_type, entity.counter_entry)
        if kind == "meter_entry":
            return self._write_meter(update_type, entity.meter_entry)
        if kind == "register_entry":
            return self._write_register(update_type, entity.register_entry)
        if kind == "direct_counter_entry":
            return self._write_direct(update_type, entity.direct_counter_entry, "counter")
        if kind == "direct_meter_entry":
            return self._write_direct(update_type, entity.direct_meter_entry, "meter")
        if kind == "digest_entry":
            return self._write_digest(update_type, entity.digest_entry)
        raise P4RuntimeError(grpc.StatusCode.UNIMPLEMENTED, f"writing {kind} is not supported")

    def _write_counter(self, update_type: int, e: "p4r.CounterEntry") -> Undo:
        info, idx = _target(self.index.counters, e.counter_id, e, update_type, "counter")
        cells = self.counters[info.id]
        if not e.HasField("data"):  # 9.3.2: unset data leaves the value unchanged
            return lambda: None
        return _assign(cells, idx, lambda: [e.data.packet_count, e.data.byte_count])

    def _write_meter(self, update_type: int, e: "p4r.MeterEntry") -> Undo:
        info, idx = _target(self.index.meters, e.meter_id, e, update_type, "meter")
        if e.HasField("counter_data"):
            raise P4RuntimeError(grpc.StatusCode.UNIMPLEMENTED, "per-color meter counters are not supported")
        if e.HasField("config"):
            check_meter_config(e.config, info)
        cfg = _meter_or_none(e, "config")  # 9.4.2: unset config resets to the default (all GREEN)
        return _assign(self.meters[info.id], idx, lambda: cfg)

    def _write_register(self, update_type: int, e: "p4r.RegisterEntry") -> Undo:
        # 9.7 names no update type; PI/BMv2 accept only MODIFY (a register cell always exists)
        info, idx = _target(self.index.registers, e.register_id, e, update_type, "register")
        if e.data.WhichOneof("data") != "bitstring":  # 9.7: data must match the register's type_spec
            raise invalid(f"register {info.name!r}: data must be a bitstring of {info.bitwidth} bits")
        value = decode(e.data.bitstring, info.bitwidth, f"register {info.name!r}")
        return _assign(self.registers[info.id], idx, lambda: value)

    def _direct_target(self, e, resource: str) -> tuple[int, tuple, DirectState]:
        te = e.table_entry
        table = self.index.table(te.table_id)
        if resource == "counter" and not table.direct_counter_id:
            raise invalid(f"table {table.name!r} has no direct counter")
        if resource == "meter" and not table.direct_meter_id:
            raise invalid(f"table {table.name!r} has no direct meter")
        if te.is_default_action:
            raise P4RuntimeError(grpc.StatusCode.UNIMPLEMENTED,
                                 "direct resources of the default entry are not supported")
        codec = self.tables.codec
        codec.decode_matches(table, te.match, require_exact=True)
        if table.needs_priority and te.priority <= 0:
            raise invalid(f"table {table.name!r}: priority must be > 0")
        key = (codec.match_key, te.priority)
        state = self.tables.direct[table.id].get(key)
        if state is None:
            raise not_found(f"table {table.name!r}: no such entry")
        return table.id, key, state

    def _write_direct(self, update_type: int, e, resource: str) -> Undo:
        _modify_only(update_type, f"a Direct{resource.capitalize()}Entry")
        tid, key, state = self._direct_target(e, resource)
        old = (state.packets, state.bytes, state.meter)
        if resource == "counter":
            if e.HasField("data"):  # 9.3.1: unset data leaves the counter unchanged
                state.packets, state.bytes = e.data.packet_count, e.data.byte_count
        else:
            if e.HasField("counter_data"):
                raise P4RuntimeError(grpc.StatusCode.UNIMPLEMENTED, "per-color meter counters are not supported")
            if e.HasField("config"):
                check_meter_config(e.config, self.index.direct_meters[self.index.tables[tid].direct_meter_id])
            state.meter = _meter_or_none(e, "config")  # 9.4.1: unset config resets to the default

        def undo() -> None:
            state.packets, state.bytes, state.meter = old
        return undo

    def _write_digest(self, update_type: int, e: "p4r.DigestEntry") -> Undo:
        if e.digest_id not in self.index.digests:
            raise not_found(f"unknown digest id {e.digest_id}")
        name = self.index.digests[e.digest_id]
        old = self.digests.get(e.digest_id)
        if update_type == INSERT:  # 9.8: INSERT enables, MODIFY reconfigures, DELETE disables
            if old is not None:
                raise P4RuntimeError(grpc.StatusCode.ALREADY_EXISTS, f"digest {name!r} is already enabled")
        elif old is None:
            raise not_found(f"digest {name!r} is not enabled")
        if update_type == DELETE:
            del self.digests[e.digest_id]
        else:
            cfg = e.config if e.HasField("config") else DEFAULT_DIGEST_CONFIG
            if min(cfg.max_timeout_ns, cfg.max_list_size, cfg.ack_timeout_ns) < 0:
                raise invalid(f"digest {name!r}: config values must be >= 0")
            self.digests[e.digest_id] = p4r.DigestEntry.Config(
                max_timeout_ns=cfg.max_timeout_ns, max_list_size=cfg.max_list_size, ack_timeout_ns=cfg.ack_timeout_ns)

        def undo() -> None:
            if old is None:
                self.digests.pop(e.digest_id, None)
            else:
                self.digests[e.digest_id] = old
        return undo

    # ---- reads -------------------------------------------------------------------------------------
    def check_read(self, kind: str, entity: "p4r.Entity") -> None:
        """Validate a read query before any answer is produced (ids, indices, match keys)."""
        list(self.read(kind, entity))

    def read(self, kind: str, entity: "p4r.Entity") -> Iterator["p4r.Entity"]:
        if kind == "counter_entry":
            q = entity.counter_entry
            for cid, i in _array_cells(self.index.counters, q, q.counter_id, "counter"):
                out = p4r.Entity()
                ce = out.counter_entry
                ce.counter_id, ce.index.index = cid, i
                ce.data.packet_count, ce.data.byte_count = self.counters[cid][i]
                yield out
        elif kind == "meter_entry":
            q = entity.meter_entry
            if q.HasField("counter_data"):
                raise P4RuntimeError(grpc.StatusCode.UNIMPLEMENTED, "per-color meter counters are not supported")
            for mid, i in _array_cells(self.index.meters, q, q.meter_id, "meter"):
                out = p4r.Entity()
                me = out.meter_entry
                me.meter_id, me.index.index = mid, i
                if self.meters[mid][i] is not None:  # default config reads back unset (9.1.7)
                    me.config.CopyFrom(self.meters[mid][i])
                yield out
        elif kind == "register_entry":
            q = entity.register_entry
            for rid, i in _array_cells(self.index.registers, q, q.register_id, "register"):
                out = p4r.Entity()
                re_ = out.register_entry
                re_.register_id, re_.index.index = rid, i
                re_.data.bitstring = encode(self.registers[rid][i])
                yield out
        elif kind == "digest_entry":
            q = entity.digest_entry
            if q.digest_id and q.digest_id not in self.index.digests:
                raise not_found(f"unknown digest id {q.digest_id}")
            if q.digest_id and q.digest_id not in self.digests:
                # 9.8 says nothing of reading one digest that is not enabled; PI answers NOT_FOUND
                raise not_found(f"digest {self.index.digests[q.digest_id]!r} is not enabled")
            for did, cfg in sorted(self.digests.items()):
                if not q.digest_id or did == q.digest_id:
                    out = p4r.Entity()
                    out.digest_entry.digest_id = did
                    out.digest_entry.config.CopyFrom(cfg)
                    yield out
        elif kind in ("direct_counter_entry", "direct_meter_entry"):
            yield from self._read_direct(kind, getattr(entity, kind))
        else:
            raise P4RuntimeError(grpc.StatusCode.UNIMPLEMENTED, f"reading {kind} is not supported")

    def _read_direct(self, kind: str, q) -> Iterator["p4r.Entity"]:
        resource = "counter" if kind == "direct_counter_entry" else "meter"
        te = q.table_entry
        if kind == "direct_meter_entry" and q.HasField("counter_data"):
            raise P4RuntimeError(grpc.StatusCode.UNIMPLEMENTED, "per-color meter counters are not supported")
        if te.table_id and len(te.match):  # one entry: it must exist (9.3.1, 9.4.1)
            tid, key, state = self._direct_target(q, resource)
            targets = [(tid, key, state)]
        else:  # wildcard: every entry of one table, or of every table with such a resource
            attr = "direct_counter_id" if resource == "counter" else "direct_meter_id"
            tids = [te.table_id] if te.table_id else [t for t, info in self.index.tables.items()
                                                      if getattr(info, attr)]
            targets = []
            for tid in tids:
                info = self.index.table(tid)
                if not getattr(info, attr):
                    raise invalid(f"table {info.name!r} has no direct {resource}")
                targets.extend((tid, key, st) for key, st in self.tables.direct[tid].items())
        for tid, key, state in targets:
            _, pb, padded = self.tables.entries[tid][key]
            out = p4r.Entity()
            entry = getattr(out, kind)
            entry.table_entry.table_id = tid
            entry.table_entry.match.extend(pb.match)
            entry.table_entry.priority = pb.priority
            if padded:
                canonicalize(entry.table_entry)
            if resource == "counter":
                entry.data.packet_count, entry.data.byte_count = state.packets, state.bytes
            elif state.meter is not None:
                entry.config.CopyFrom(state.meter)
            yield out
