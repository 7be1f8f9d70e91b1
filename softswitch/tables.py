"""The switch's forwarding state: entries per table, overridden default actions.

Each mutating call returns an undo function, so a Write batch can be rolled back
(ROLLBACK_ON_ERROR / DATAPLANE_ATOMIC) without copying the tables. The data plane reads a
per-version snapshot in the p4src.entries form, rebuilt lazily after writes.
"""

from __future__ import annotations

import time
from typing import Callable, Iterator

import grpc

from p4src.entries import DefaultAction, TableEntry
from softswitch.codec import DELETE, INSERT, MODIFY, DecodedEntry, EntryCodec, canonicalize
from softswitch.errors import P4RuntimeError, invalid, not_found
from softswitch.p4info import P4InfoIndex
from softswitch.proto import p4r

Undo = Callable[[], None]


class TableStore:
    """Entries of every table of one P4Info, keyed by P4Runtime entry identity (match + priority)."""

    def __init__(self, index: P4InfoIndex):
        self.index = index
        self.codec = EntryCodec(index)
        #: table id -> entry key -> (entry, protobuf as written, whether it used padded byte strings)
        self.entries: dict[int, dict[tuple, tuple[TableEntry, "p4r.TableEntry", bool]]] = {t: {} for t in index.tables}
        self.defaults: dict[int, tuple[DefaultAction, "p4r.TableEntry", bool]] = {}
        #: table id -> entry key -> direct counter / meter / idle-timeout state, only for tables that
        #: have a direct resource or idle timeout (the others pay nothing for it)
        self.direct: dict[int, dict[tuple, DirectState]] = {
            t.id: {} for t in index.tables.values() if t.direct_counter_id or t.direct_meter_id or t.idle_timeout}
        self.version = 0
        self._snapshot_version = -1
        self._snapshot: tuple[dict[str, list[TableEntry]], dict[str, DefaultAction]] = ({}, {})

    def __len__(self) -> int:
        return sum(len(t) for t in self.entries.values())

    # ---- writes -----------------------------------------------------------------------------
    def apply(self, update_type: int, pb: "p4r.TableEntry") -> Undo:
        """Validate and apply one table update; raise P4RuntimeError and change nothing on failure."""
        dec = self.codec.decode_write(pb, update_type)
        if dec.entry is None:
            return self._set_default(dec)
        tid = dec.table.id
        table = self.entries[tid]
        key = dec.key
        old = table.get(key)
        direct = self.direct.get(tid)
        stored_pb = dec.pb
        if direct is not None and _has_resources(stored_pb):
            stored_pb = _without_resources(stored_pb)  # resources live in DirectState, not in the pb
        if update_type == INSERT:
            if old is not None:
                raise P4RuntimeError(grpc.StatusCode.ALREADY_EXISTS,
                                     f"table {dec.table.name!r}: entry already exists")
            if len(table) >= dec.table.size:
                raise P4RuntimeError(grpc.StatusCode.RESOURCE_EXHAUSTED,
                                     f"table {dec.table.name!r} is full ({dec.table.size} entries)")
            table[key] = (dec.entry, stored_pb, dec.padded)
            if direct is not None:
                direct[key] = DirectState.initial(pb)
            self.version += 1
            return lambda: self._restore(tid, key, None, None)
        if old is None:
            raise not_found(f"table {dec.table.name!r}: no such entry")
        old_state = direct.get(key) if direct is not None else None
        if update_type == MODIFY:
            entry = dec.entry
            if entry.action is None:  # 9.1.2: MODIFY without an action keeps the entry's action
                entry = TableEntry(entry.table, entry.matches, old[0].action, old[0].params, entry.priority)
                stored_pb = p4r.TableEntry()
                stored_pb.CopyFrom(dec.pb)
                stored_pb.action.CopyFrom(old[1].action)
                if direct is not None:
                    _strip_resources(stored_pb)
            table[key] = (entry, stored_pb, dec.padded or (dec.entry.action is None and old[2]))
            if direct is not None:
                direct[key] = old_state.modified(pb)
        else:
            del table[key]
            if direct is not None:
                direct.pop(key, None)
        self.version += 1
        return lambda: self._restore(tid, key, old, old_state)

    def _restore(self, tid: int, key: tuple, old, old_state) -> None:
        table, direct = self.entries[tid], self.direct.get(tid)
        if old is None:
            table.pop(key, None)
            if direct is not None:
                direct.pop(key, None)
        else:
            table[key] = old
            if direct is not None:
                direct[key] = old_state
        self.version += 1

    def _set_default(self, dec: DecodedEntry) -> Undo:
        tid = dec.table.id
        old = self.defaults.get(tid)
        if dec.default is None:
            self.defaults.pop(tid, None)
        else:
            self.defaults[tid] = (dec.default, dec.pb, dec.padded)
        self.version += 1

        def undo() -> None:
            if old is None:
                self.defaults.pop(tid, None)
            else:
                self.defaults[tid] = old
            self.version += 1

        return undo

    # ---- reads ------------------------------------------------------------------------------
    def read(self, query: "p4r.TableEntry") -> Iterator["p4r.Entity"]:
        """Entities answering a Read's table entry (0 table id = all tables), canonical bytes."""
        for pb, padded, state in self.read_raw(query):
            entity = _entity(pb, padded)
            if state is not None:
                state.fill(entity.table_entry, query)
            yield entity

    def read_raw(self, query: "p4r.TableEntry") -> Iterator[tuple["p4r.TableEntry", bool, "DirectState | None"]]:
        """The stored protobufs answering ``query``, whether each must be canonicalised, and the
        entry's direct-resource state when the query asks for a resource (9.1.6, 9.1.7, 9.1.8).

        The query is validated here, before the iterator is returned, so a Read can check every
        query before it answers any."""
        wants = query.HasField("counter_data") or query.HasField("meter_config") \
            or query.HasField("time_since_last_hit")
        if query.HasField("meter_counter_data"):
            raise P4RuntimeError(grpc.StatusCode.UNIMPLEMENTED, "per-color meter counters are not supported")
        if query.table_id == 0:
            # 9.1.6: with table_id 0 "no other filter can be used"
            if len(query.match) or query.priority or query.is_default_action or query.HasField("action") \
                    or query.controller_metadata or query.metadata:
                raise invalid("a wildcard read (table_id 0) cannot filter on match, action, priority, "
                              "metadata or default")
            return self._all_rows(wants)
        table = self.index.table(query.table_id)
        if query.is_default_action:
            stored = self.defaults.get(table.id)
            return iter([(stored[1], stored[2], None) if stored else (self._initial_default_pb(table.id), False, None)])
        if query.HasField("counter_data") and not table.direct_counter_id:
            raise invalid(f"table {table.name!r} has no direct counter")
        if query.HasField("meter_config") and not table.direct_meter_id:
            raise invalid(f"table {table.name!r} has no direct meter")
        if query.HasField("time_since_last_hit") and not table.idle_timeout:
            raise invalid(f"table {table.name!r} does not support idle timeout")
        rows = self.entries[table.id]
        priority = query.priority
        if len(query.match):
            # 9.1.6: a match filter must be a valid match key and selects at most one entry
            self.codec.decode_matches(table, query.match, require_exact=True)
            match_key = self.codec.match_key
            if not priority and table.needs_priority:
                candidates = [(k, r) for k, r in rows.items() if k[0] == match_key]
            else:
                row = rows.get((match_key, priority))
                candidates = [((match_key, priority), row)] if row is not None else []
        else:
            candidates = rows.items()
        return self._filtered(candidates, self.direct.get(table.id) if wants else None, query)

    def _all_rows(self, wants: bool):
        for tid, rows in self.entries.items():
            direct = self.direct.get(tid) if wants else None
            for key, (_, pb, padded) in rows.items():
                yield pb, padded, direct.get(key) if direct is not None else None

    @staticmethod
    def _filtered(candidates, direct, query: "p4r.TableEntry"):
        action_id = query.action.action.action_id if query.HasField("action") else 0
        cookie, metadata, priority = query.controller_metadata, query.metadata, query.priority
        for key, (_, pb, padded) in candidates:
            if priority and pb.priority != priority:
                continue
            if action_id and pb.action.action.action_id != action_id:
                continue
            if cookie and pb.controller_metadata != cookie:
                continue
            if metadata and pb.metadata != metadata:
                continue
            yield pb, padded, direct.get(key) if direct is not None else None

    def _initial_default_pb(self, table_id: int) -> "p4r.TableEntry":
        table = self.index.tables[table_id]
        pb = p4r.TableEntry(table_id=table_id, is_default_action=True)
        initial = table.const_default_action_id or next(
            (aid for aid, scope in table.actions.items()
             if scope != "table_only" and self.index.actions[aid].name.split(".")[-1] == "NoAction"), 0)
        if initial:
            pb.action.action.action_id = initial
        return pb

    # ---- what the data plane executes ------------------------------------------------------
    def snapshot(self) -> tuple[dict[str, list[TableEntry]], dict[str, DefaultAction]]:
        """Entries per table name (highest priority first) and overridden default actions."""
        if self._snapshot_version != self.version:
            tables = {}
            for tid, rows in self.entries.items():
                entries = [row[0] for row in rows.values()]
                entries.sort(key=lambda e: -e.priority)
                tables[self.index.tables[tid].name] = entries
            defaults = {self.index.tables[tid].name: row[0] for tid, row in self.defaults.items()}
            self._snapshot = (tables, defaults)
            self._snapshot_version = self.version
        return self._snapshot

    def reconcile(self, new_index: P4InfoIndex) -> "TableStore":
        """A store for ``new_index`` holding every current entry; raises if one no longer fits."""
        new = TableStore(new_index)
        for tid, rows in self.entries.items():
            for key, (_, pb, _) in rows.items():
                state = self.direct.get(tid, {}).get(key)
                if state is not None:
                    pb = state.with_resources(pb)
                try:
                    new.apply(INSERT, pb)
                except P4RuntimeError as exc:
                    raise P4RuntimeError(grpc.StatusCode.INVALID_ARGUMENT,
                                         f"cannot reconcile existing state with the new P4Info: {exc.message}") from None
        for _, pb, _ in self.defaults.values():
            try:
                new.apply(MODIFY, pb)
            except P4RuntimeError as exc:
                raise P4RuntimeError(grpc.StatusCode.INVALID_ARGUMENT,
                                     f"cannot reconcile default action with the new P4Info: {exc.message}") from None
        return new


class DirectState:
    """Direct counter, direct meter config and idle-timeout clock of one table entry (9.1.7, 9.1.8).

    Kept apart from the stored protobuf so reads add exactly the fields a query asks for, and the
    data plane can count a hit without touching protobufs.
    """

    __slots__ = ("packets", "bytes", "meter", "idle_timeout_ns", "last_hit", "idle_mark")

    def __init__(self, packets: int = 0, nbytes: int = 0, meter: "p4r.MeterConfig | None" = None,
                 idle_timeout_ns: int = 0):
        self.packets, self.bytes, self.meter, self.idle_timeout_ns = packets, nbytes, meter, idle_timeout_ns
        self.last_hit = self.idle_mark = time.monotonic_ns()  # idle_mark restarts after a notification

    @classmethod
    def initial(cls, pb: "p4r.TableEntry") -> "DirectState":
        """9.1.7 INSERT: counter_data / meter_config if set, else 0 and the default (all GREEN)."""
        c = pb.counter_data
        return cls(c.packet_count, c.byte_count, _meter_or_none(pb), pb.idle_timeout_ns)

    def modified(self, pb: "p4r.TableEntry") -> "DirectState":
        """9.1.7 MODIFY: counter_data unset keeps the counter; meter_config unset resets the meter."""
        new = DirectState(self.packets, self.bytes, _meter_or_none(pb), pb.idle_timeout_ns)
        if pb.HasField("counter_data"):
            new.packets, new.bytes = pb.counter_data.packet_count, pb.counter_data.byte_count
        new.last_hit, new.idle_mark = self.last_hit, self.idle_mark
        return new

    def hit(self, nbytes: int) -> None:
        self.packets += 1
        self.bytes += nbytes
        self.last_hit = self.idle_mark = time.monotonic_ns()

    def fill(self, out: "p4r.TableEntry", query: "p4r.TableEntry") -> None:
        """Add the resources ``query`` asks for to a read answer (read-write symmetry, 8.2)."""
        if query.HasField("counter_data"):
            out.counter_data.packet_count, out.counter_data.byte_count = self.packets, self.bytes
        if query.HasField("meter_config") and self.meter is not None:
            out.meter_config.CopyFrom(self.meter)
        if query.HasField("time_since_last_hit"):
            out.time_since_last_hit.elapsed_ns = time.monotonic_ns() - self.last_hit

    def with_resources(self, pb: "p4r.TableEntry") -> "p4r.TableEntry":
        out = p4r.TableEntry()
        out.CopyFrom(pb)
        out.counter_data.packet_count, out.counter_data.byte_count = self.packets, self.bytes
        if self.meter is not None:
            out.meter_config.CopyFrom(self.meter)
        return out


def _meter_or_none(msg, field: str = "meter_config") -> "p4r.MeterConfig | None":
    """A copy of ``msg.<field>`` (a MeterConfig), or None for unset/default: all packets GREEN."""
    if not msg.HasField(field) or getattr(msg, field) == p4r.MeterConfig():
        return None
    out = p4r.MeterConfig()
    out.CopyFrom(getattr(msg, field))
    return out


def _has_resources(pb: "p4r.TableEntry") -> bool:
    return pb.HasField("counter_data") or pb.HasField("meter_config") or pb.HasField("meter_counter_data")


def _strip_resources(pb: "p4r.TableEntry") -> None:
    for name in ("counter_data", "meter_config", "meter_counter_data"):
        pb.ClearField(name)


def _without_resources(pb: "p4r.TableEntry") -> "p4r.TableEntry":
    out = p4r.TableEntry()
    out.CopyFrom(pb)
    _strip_resources(out)
    return out


def _entity(pb: "p4r.TableEntry", padded: bool) -> "p4r.Entity":
    entity = p4r.Entity(table_entry=pb)  # a copy: canonicalising it leaves the stored one as written
    if padded:
        canonicalize(entity.table_entry)
    return entity


__all__ = ["TableStore", "INSERT", "MODIFY", "DELETE"]
