"""An id-indexed view of a pushed P4Info, validated once when the pipeline is set.

Every Write/Read/PacketOut is checked against this index, so it must reject a P4Info that is
internally inconsistent (duplicate ids, action refs to unknown actions) before it is committed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from google.protobuf import text_format

from softswitch.errors import invalid, not_found
from softswitch.proto import p4i

#: P4Info MatchField.MatchType number -> the match kind name p4src.entries.Match uses.
MATCH_KINDS = {
    p4i.MatchField.EXACT: "exact",
    p4i.MatchField.LPM: "lpm",
    p4i.MatchField.TERNARY: "ternary",
    p4i.MatchField.RANGE: "range",
    p4i.MatchField.OPTIONAL: "optional",
}
#: Match kinds whose presence makes a table a TCAM lookup that needs a priority.
PRIORITY_KINDS = frozenset({"ternary", "range", "optional"})
#: Table size used when the P4Info leaves it unset (BMv2's default).
DEFAULT_TABLE_SIZE = 1024


@dataclass(frozen=True)
class FieldInfo:
    id: int
    name: str
    bitwidth: int
    kind: str  # exact | lpm | ternary | range | optional | unsupported


@dataclass(frozen=True)
class ParamInfo:
    id: int
    name: str
    bitwidth: int


@dataclass
class ActionInfo:
    id: int
    name: str
    params: dict[int, ParamInfo] = field(default_factory=dict)


@dataclass
class TableInfo:
    id: int
    name: str
    size: int
    fields: dict[int, FieldInfo]
    #: action id -> scope: "both" | "table_only" | "default_only"
    actions: dict[int, str]
    const_default_action_id: int = 0
    is_const_table: bool = False
    direct_counter_id: int = 0  # P4Info DirectCounter attached to this table (0: none)
    direct_meter_id: int = 0  # P4Info DirectMeter attached to this table (0: none)
    idle_timeout: bool = False  # idle_timeout_behavior NOTIFY_CONTROL (spec 9.1.9)

    def __post_init__(self) -> None:
        self.needs_priority = any(f.kind in PRIORITY_KINDS for f in self.fields.values())
        self.n_exact = sum(1 for f in self.fields.values() if f.kind == "exact")
        #: field id -> "table 'T' field 'F'": error-message prefixes built once, not per write
        self.whats = {f.id: f"table {self.name!r} field {f.name!r}" for f in self.fields.values()}


@dataclass
class PacketMetadataInfo:
    """Controller packet metadata (``packet_in`` / ``packet_out`` header) in declaration order."""

    name: str
    fields: list[ParamInfo]

    @property
    def by_id(self) -> dict[int, ParamInfo]:
        return {f.id: f for f in self.fields}


@dataclass(frozen=True)
class ArrayInfo:
    """An indexed extern (counter, meter, register): its size and, for registers, the cell width."""

    id: int
    name: str
    size: int
    bitwidth: int = 0  # registers: bit<W> of the cells; 0 for counters/meters
    unit: int = 0  # counters/meters: the P4Info spec.unit
    meter_type: int = 0  # meters: MeterSpec.Type (0 = TWO_RATE_THREE_COLOR)


_SCOPES = {0: "both", 1: "table_only", 2: "default_only"}


class P4InfoIndex:
    """Tables, actions and controller packet metadata of one P4Info, by id and by name."""

    def __init__(self, p4info: "p4i.P4Info"):
        self.p4info = p4info
        self.program_name = p4info.pkg_info.name
        self.actions: dict[int, ActionInfo] = {}
        self.tables: dict[int, TableInfo] = {}
        self.packet_metadata: dict[str, PacketMetadataInfo] = {}
        self.counters: dict[int, ArrayInfo] = {}
        self.meters: dict[int, ArrayInfo] = {}
        self.registers: dict[int, ArrayInfo] = {}
        self.direct_counters: dict[int, ArrayInfo] = {}  # id -> (size = the table id it is attached to)
        self.direct_meters: dict[int, ArrayInfo] = {}
        self.digests: dict[int, str] = {}
        seen_ids: set[int] = set()

        def claim(obj_id: int, name: str) -> None:
            if obj_id == 0:
                raise invalid(f"P4Info: {name!r} has id 0")
            if obj_id in seen_ids:
                raise invalid(f"P4Info: duplicate id {obj_id} ({name!r})")
            seen_ids.add(obj_id)

        for action in p4info.actions:
            claim(action.preamble.id, action.preamble.name)
            info = ActionInfo(action.preamble.id, action.preamble.name)
            for p in action.params:
                if p.id in info.params:
                    raise invalid(f"P4Info: action {info.name!r} has duplicate param id {p.id}")
                if p.bitwidth <= 0:
                    raise invalid(f"P4Info: action {info.name!r} param {p.name!r} has bitwidth {p.bitwidth}")
                info.params[p.id] = ParamInfo(p.id, p.name, p.bitwidth)
            self.actions[info.id] = info

        for table in p4info.tables:
            name = table.preamble.name
            claim(table.preamble.id, name)
            fields: dict[int, FieldInfo] = {}
            for mf in table.match_fields:
                if mf.id in fields:
                    raise invalid(f"P4Info: table {name!r} has duplicate match field id {mf.id}")
                if mf.bitwidth <= 0:
                    raise invalid(f"P4Info: table {name!r} field {mf.name!r} has bitwidth {mf.bitwidth}")
                kind = MATCH_KINDS.get(mf.match_type, "unsupported")
                fields[mf.id] = FieldInfo(mf.id, mf.name, mf.bitwidth, kind)
            actions: dict[int, str] = {}
            for ref in table.action_refs:
                if ref.id not in self.actions:
                    raise invalid(f"P4Info: table {name!r} refers to unknown action id {ref.id}")
                actions[ref.id] = _SCOPES.get(ref.scope, "both")
            if table.const_default_action_id and table.const_default_action_id not in actions:
                raise invalid(f"P4Info: table {name!r} const default action is not in its action refs")
            self.tables[table.preamble.id] = TableInfo(
                id=table.preamble.id, name=name, size=int(table.size) or DEFAULT_TABLE_SIZE,
                fields=fields, actions=actions, const_default_action_id=table.const_default_action_id,
                is_const_table=table.is_const_table,
                idle_timeout=table.idle_timeout_behavior == p4i.Table.NOTIFY_CONTROL,
            )

        for cpm in p4info.controller_packet_metadata:
            claim(cpm.preamble.id, cpm.preamble.name)
            self.packet_metadata[cpm.preamble.name] = PacketMetadataInfo(
                cpm.preamble.name, [ParamInfo(m.id, m.name, m.bitwidth) for m in cpm.metadata])

        for kind in ("counters", "direct_counters", "meters", "direct_meters", "action_profiles",
                     "registers", "digests", "value_sets", "externs"):
            for obj in getattr(p4info, kind):
                preamble = getattr(obj, "preamble", None)
                if preamble is not None:
                    claim(preamble.id, preamble.name)

        for c in p4info.counters:
            self.counters[c.preamble.id] = ArrayInfo(c.preamble.id, c.preamble.name, int(c.size), unit=c.spec.unit)
        for m in p4info.meters:
            self.meters[m.preamble.id] = ArrayInfo(m.preamble.id, m.preamble.name, int(m.size), unit=m.spec.unit,
                                                   meter_type=m.spec.type)
        for r in p4info.registers:
            width = r.type_spec.bitstring.bit.bitwidth if r.type_spec.HasField("bitstring") else 0
            self.registers[r.preamble.id] = ArrayInfo(r.preamble.id, r.preamble.name, int(r.size), bitwidth=width)
        for d in p4info.digests:
            self.digests[d.preamble.id] = d.preamble.name
        for kind, target, attr in ((p4info.direct_counters, self.direct_counters, "direct_counter_id"),
                                   (p4info.direct_meters, self.direct_meters, "direct_meter_id")):
            for obj in kind:
                tinfo = self.tables.get(obj.direct_table_id)
                if tinfo is None:
                    raise invalid(f"P4Info: {obj.preamble.name!r} is attached to unknown table id "
                                  f"{obj.direct_table_id}")
                target[obj.preamble.id] = ArrayInfo(obj.preamble.id, obj.preamble.name, obj.direct_table_id,
                                                    unit=obj.spec.unit,
                                                    meter_type=getattr(obj.spec, "type", 0))
                setattr(tinfo, attr, obj.preamble.id)

        self.table_by_name = {t.name: t for t in self.tables.values()}
        self.action_by_name = {a.name: a for a in self.actions.values()}

    def table(self, table_id: int) -> TableInfo:
        try:
            return self.tables[table_id]
        except KeyError:
            raise not_found(f"unknown table id {table_id}") from None


def parse_p4info_text(text: str, source: str = "<p4info>") -> "p4i.P4Info":
    """Parse a P4Info in protobuf text format, naming the file and line on error."""
    msg = p4i.P4Info()
    try:
        text_format.Parse(text, msg, allow_unknown_field=True)
    except text_format.ParseError as exc:
        raise invalid(f"{source}: {exc}") from None
    return msg


def load_p4info(path: str | Path) -> "p4i.P4Info":
    """Read a P4Info text (.txtpb/.txt) or binary (.bin/.pb) file."""
    path = Path(path)
    data = path.read_bytes()
    if path.suffix in (".bin", ".pb"):
        msg = p4i.P4Info()
        msg.ParseFromString(data)
        return msg
    return parse_p4info_text(data.decode(), str(path))
