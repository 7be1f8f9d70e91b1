"""JSON form of ``p4src.entries.TableEntry`` for the store, the API and the write-ahead log.

Entries are persisted as plain dicts so that a restarted controller can rebuild exactly what it
asked every switch to hold. ``entry_key`` is the string identity of an entry within a switch
(what P4Runtime uses to find it); two entries with the same key are the same table row, and a
difference in action or parameters is a MODIFY, not an INSERT.
"""

from __future__ import annotations

import json
from typing import Any, Iterable, Mapping

from p4src.entries import Match, TableEntry


def match_to_dict(m: Match) -> dict[str, Any]:
    out: dict[str, Any] = {"field": m.field, "kind": m.kind, "value": m.value}
    for name in ("mask", "prefix_len", "high"):
        value = getattr(m, name)
        if value is not None:
            out[name] = value
    return out


def entry_to_dict(e: TableEntry) -> dict[str, Any]:
    return {
        "table": e.table,
        "matches": [match_to_dict(m) for m in sorted(e.matches, key=lambda m: m.field)],
        "action": e.action,
        "params": [[k, v] for k, v in e.params],
        "priority": e.priority,
    }


def entry_from_dict(d: Mapping[str, Any]) -> TableEntry:
    return TableEntry(
        table=d["table"],
        matches=tuple(
            Match(field=m["field"], kind=m["kind"], value=int(m["value"]), mask=m.get("mask"),
                  prefix_len=m.get("prefix_len"), high=m.get("high"))
            for m in d["matches"]
        ),
        action=d["action"],
        params=tuple((str(k), int(v)) for k, v in d.get("params", [])),
        priority=int(d.get("priority", 0)),
    )


def entry_key(e: TableEntry) -> str:
    """A canonical string for the entry's identity (table, matches, priority)."""
    table, matches, priority = e.key
    return json.dumps([table, [match_to_dict(m) for m in matches], priority], separators=(",", ":"))


def index_entries(entries: Iterable[TableEntry]) -> dict[str, TableEntry]:
    """Entries by key; a later duplicate key replaces an earlier one (the realizer should not emit any)."""
    return {entry_key(e): e for e in entries}


def normalize(e: TableEntry) -> TableEntry:
    """Canonical field order, so that entries read back from a switch compare equal to desired ones."""
    return TableEntry(e.table, tuple(sorted(e.matches, key=lambda m: m.field)), e.action,
                      tuple(sorted(e.params)), e.priority)
