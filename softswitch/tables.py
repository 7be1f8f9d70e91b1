"""The switch's forwarding state: entries per table, overridden default actions.

Each mutating call returns an undo function, so a Write batch can be rolled back
(ROLLBACK_ON_ERROR / DATAPLANE_ATOMIC) without copying the tables. The data plane reads a
per-version snapshot in the p4src.entries form, rebuilt lazily after writes.
"""

from __future__ import annotations

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
        table = self.entries[dec.table.id]
        key = dec.key
        old = table.get(key)
        if update_type == INSERT:
            if old is not None:
                raise P4RuntimeError(grpc.StatusCode.ALREADY_EXISTS,
                                     f"table {dec.table.name!r}: entry already exists")
            if len(table) >= dec.table.size:
                raise P4RuntimeError(grpc.StatusCode.RESOURCE_EXHAUSTED,
                                     f"table {dec.table.name!r} is full ({dec.table.size} entries)")
            table[key] = (dec.entry, dec.pb, dec.padded)
            self.version += 1
            return lambda: self._restore(table, key, None)
        if old is None:
            raise not_found(f"table {dec.table.name!r}: no such entry")
        if update_type == MODIFY:
            table[key] = (dec.entry, dec.pb, dec.padded)
        else:
            del table[key]
        self.version += 1
        return lambda: self._restore(table, key, old)

    def _restore(self, table: dict, key: tuple, old) -> None:
        if old is None:
            table.pop(key, None)
        else:
            table[key] = old
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
        for pb, padded in self.read_raw(query):
            yield _entity(pb, padded)

    def read_raw(self, query: "p4r.TableEntry") -> Iterator[tuple["p4r.TableEntry", bool]]:
        """The stored protobufs answering ``query`` and whether each must be canonicalised."""
        if query.table_id == 0:
            if len(query.match) or query.priority or query.is_default_action:
                raise invalid("a wildcard read (table_id 0) cannot filter on match, priority or default")
            for rows in self.entries.values():
                yield from ((pb, padded) for _, pb, padded in rows.values())
            return
        table = self.index.table(query.table_id)
        if query.is_default_action:
            stored = self.defaults.get(table.id)
            yield stored[1:] if stored else (self._initial_default_pb(table.id), False)
            return
        wanted = set(self.codec.decode_matches(table, query.match, require_exact=False))
        for entry, pb, padded in self.entries[table.id].values():
            if query.priority and entry.priority != query.priority:
                continue
            if wanted and not wanted.issubset(entry.matches):
                continue
            yield pb, padded

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
        for rows in self.entries.values():
            for _, pb, _ in rows.values():
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


def _entity(pb: "p4r.TableEntry", padded: bool) -> "p4r.Entity":
    entity = p4r.Entity(table_entry=pb)  # a copy: canonicalising it leaves the stored one as written
    if padded:
        canonicalize(entity.table_entry)
    return entity


__all__ = ["TableStore", "INSERT", "MODIFY", "DELETE"]
