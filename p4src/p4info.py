"""The P4Info of inml.p4, loaded with finsy's bundled protobufs, as a schema the twin can use.

WHY: the software switch matches a pushed P4Info to a pipeline twin by ``pkg_info.name``, and the
twin needs each table's key fields (name, match kind, width) and each action's parameters to
interpret P4Runtime-style entries. Reading them from the same P4Info the controller pushes (p4c's
output for inml.p4, committed byte for byte) keeps the three (P4 source, P4Info, twin) from drifting.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from finsy.proto import p4i
from google.protobuf import text_format

P4INFO_PATH = Path(__file__).with_name("inml.p4info.txtpb")
P4_PATH = Path(__file__).with_name("inml.p4")
#: pkg_info.name of inml.p4's P4Info; the software switch selects the twin by this name.
PROGRAM_NAME = "omniplan_inml"

_KINDS = {
    p4i.MatchField.EXACT: "exact",
    p4i.MatchField.LPM: "lpm",
    p4i.MatchField.TERNARY: "ternary",
    p4i.MatchField.RANGE: "range",
    p4i.MatchField.OPTIONAL: "optional",
}


@dataclass(frozen=True)
class KeyField:
    id: int
    name: str
    kind: str
    width: int


@dataclass(frozen=True)
class ActionSchema:
    id: int
    name: str
    params: tuple[tuple[str, int], ...]  # (name, bitwidth)


@dataclass(frozen=True)
class TableSchema:
    id: int
    name: str
    keys: tuple[KeyField, ...]
    actions: tuple[str, ...]
    size: int


@dataclass(frozen=True)
class Schema:
    program: str
    tables: dict[str, TableSchema]
    actions: dict[str, ActionSchema]


def load_p4info(path: str | Path = P4INFO_PATH) -> "p4i.P4Info":
    """Parse a text-format P4Info file into the protobuf message."""
    msg = p4i.P4Info()
    text_format.Parse(Path(path).read_text(), msg)
    return msg


def schema_from_p4info(info: "p4i.P4Info") -> Schema:
    actions = {
        a.preamble.name: ActionSchema(a.preamble.id, a.preamble.name, tuple((p.name, p.bitwidth) for p in a.params))
        for a in info.actions
    }
    by_id = {a.id: a.name for a in actions.values()}
    tables = {}
    for t in info.tables:
        keys = tuple(KeyField(m.id, m.name, _KINDS[m.match_type], m.bitwidth) for m in t.match_fields)
        tables[t.preamble.name] = TableSchema(
            t.preamble.id, t.preamble.name, keys, tuple(by_id[r.id] for r in t.action_refs), int(t.size)
        )
    return Schema(info.pkg_info.name, tables, actions)


@lru_cache(maxsize=1)
def inml_schema() -> Schema:
    return schema_from_p4info(load_p4info())
