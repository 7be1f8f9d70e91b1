"""P4Runtime TableEntry protobufs <-> p4src.entries types, checked against the P4Info.

Why a separate module: the same checks run for Write (every field must be valid) and for Read
filters (a partial match), and the reconciling pipeline push re-runs them on stored entries.
All failures are P4RuntimeError with the status code the P4Runtime spec prescribes.
"""

from __future__ import annotations

from typing import NamedTuple

import grpc

from p4src.entries import DefaultAction, Match, TableEntry
from softswitch.bytestrings import canonical, decode, encode
from softswitch.errors import P4RuntimeError, invalid, not_found
from softswitch.p4info import ActionInfo, ArrayInfo, P4InfoIndex, TableInfo
from softswitch.proto import p4i, p4r

INSERT, MODIFY, DELETE = p4r.Update.INSERT, p4r.Update.MODIFY, p4r.Update.DELETE


def _make_match(field: str, kind: str, value: int, mask: int | None = None, prefix_len: int | None = None,
                high: int | None = None) -> Match:
    """``Match(...)`` at half the cost: a frozen dataclass __init__ pays object.__setattr__ per field,
    which is a tenth of a whole Write's per-entry time. Equal and hash-equal to the normal one."""
    m = _new(Match)
    m.__dict__.update(field=field, kind=kind, value=value, mask=mask, prefix_len=prefix_len, high=high)
    return m


_new = object.__new__
if hasattr(Match, "__slots__") or set(Match.__dataclass_fields__) != {"field", "kind", "value", "mask",
                                                                     "prefix_len", "high"}:
    _make_match = Match  # noqa: F811 - the shape changed: fall back to the real constructor


def check_meter_config(cfg: "p4r.MeterConfig", meter: ArrayInfo) -> None:
    """A MeterConfig must fit the meter's type (9.4); rates and bursts are non-negative."""
    if min(cfg.cir, cfg.cburst, cfg.pir, cfg.pburst, cfg.eburst) < 0:
        raise invalid(f"meter {meter.name!r}: rates and burst sizes must be >= 0")
    if meter.meter_type == p4i.MeterSpec.TWO_RATE_THREE_COLOR:
        if cfg.eburst:
            raise invalid(f"meter {meter.name!r} is trTCM: eburst must be unset")
    else:
        if (cfg.pir, cfg.pburst) != (cfg.cir, cfg.cburst):
            raise invalid(f"meter {meter.name!r} is single-rate: pir/pburst must equal cir/cburst")
        if meter.meter_type == p4i.MeterSpec.SINGLE_RATE_TWO_COLOR and cfg.eburst:
            raise invalid(f"meter {meter.name!r} is a two-color marker: eburst must be unset")


def _make_entry(table: str, matches: tuple, action: str | None, params: tuple, priority: int) -> TableEntry:
    """``TableEntry(...)`` without the frozen dataclass's per-field object.__setattr__ (as _make_match)."""
    e = _new(TableEntry)
    e.__dict__.update(table=table, matches=matches, action=action, params=params, priority=priority)
    return e


if hasattr(TableEntry, "__slots__") or set(TableEntry.__dataclass_fields__) != {"table", "matches", "action",
                                                                               "params", "priority"}:
    _make_entry = TableEntry  # noqa: F811 - the shape changed: fall back to the real constructor


def _by_field(m: Match) -> str:
    return m.field


class DecodedEntry(NamedTuple):
    """A validated table write: the entry in our form plus the protobuf kept for reads."""

    table: TableInfo
    entry: TableEntry | None  # a match entry, or None for a default-action write
    default: DefaultAction | None  # default-action MODIFY; None with entry None = reset to initial
    pb: "p4r.TableEntry"  # as written; reads pass a copy through canonicalize() when ``padded``
    padded: bool = False
    key: tuple = ()  # identity within the table: (match fields as int tuples, priority)


#: Decoded actions kept per codec, keyed by (table id, default?, serialized TableAction): batches
#: of entries mostly repeat a few actions, and decoding is a pure function of these bytes.
ACTION_CACHE_SIZE = 65536


def _permission(msg: str) -> P4RuntimeError:
    return P4RuntimeError(grpc.StatusCode.PERMISSION_DENIED, msg)


class EntryCodec:
    """Decodes and validates table entries for one P4Info."""

    def __init__(self, index: P4InfoIndex):
        self.index = index
        self.padded = False  # set while decoding when a byte string had leading zero bytes
        self.match_key: tuple = ()  # set by decode_matches
        self._actions: dict[tuple, tuple[str, tuple, bool]] = {}

    # ---- writes -----------------------------------------------------------------------------
    def decode_write(self, pb: "p4r.TableEntry", update_type: int) -> DecodedEntry:
        table = self.index.tables.get(pb.table_id) or self.index.table(pb.table_id)  # the latter raises
        if update_type not in (INSERT, MODIFY, DELETE):
            raise invalid("update type must be INSERT, MODIFY or DELETE")
        if pb.is_const:  # 9.1: is_const must be false in every INSERT, MODIFY and DELETE
            raise invalid(f"table {table.name!r}: is_const must be false in a write")
        self.padded = False
        if update_type != DELETE:  # 12: DELETE ignores every non-key field
            self._check_resources(table, pb)
        if pb.is_default_action:
            return self._decode_default(table, pb, update_type)
        if table.is_const_table:
            raise _permission(f"table {table.name!r} is const: its entries cannot be written")
        if not table.fields and update_type == INSERT:  # 9.1: a keyless table takes no match entry
            raise invalid(f"table {table.name!r} has no match key: only its default entry can be written")
        matches = self.decode_matches(table, pb.match, require_exact=True)
        if table.needs_priority:
            if pb.priority <= 0:
                raise invalid(f"table {table.name!r} has ternary/range/optional fields: priority must be > 0")
        elif pb.priority != 0:
            raise invalid(f"table {table.name!r} has only exact/lpm fields: priority must be 0 (got {pb.priority})")
        if update_type == DELETE or (update_type == MODIFY and not pb.HasField("action")):
            # DELETE: the action is a non-key field and is ignored (12). MODIFY without an action
            # keeps the entry's action (9.1.2); the store fills it in. Marked by action None.
            action_name, params = None, ()
        else:
            if not pb.HasField("action"):
                raise invalid(f"table {table.name!r}: INSERT needs an action")
            action_name, params = self._decode_action(table, pb.action, default=False)
        entry = _make_entry(table.name, matches, action_name, params, pb.priority)
        return DecodedEntry(table, entry, None, pb, self.padded, (self.match_key, pb.priority))

    def _check_resources(self, table: TableInfo, pb: "p4r.TableEntry") -> None:
        """Direct resources and idle timeout of an INSERT/MODIFY (9.1.7, 9.1.8)."""
        if pb.HasField("counter_data") and not table.direct_counter_id:
            raise invalid(f"table {table.name!r} has no direct counter")
        if pb.HasField("meter_config"):
            if not table.direct_meter_id:
                raise invalid(f"table {table.name!r} has no direct meter")
            check_meter_config(pb.meter_config, self.index.direct_meters[table.direct_meter_id])
        if pb.HasField("meter_counter_data"):
            if not table.direct_meter_id:
                raise invalid(f"table {table.name!r} has no direct meter")
            raise P4RuntimeError(grpc.StatusCode.UNIMPLEMENTED, "per-color meter counters are not supported")
        if pb.HasField("time_since_last_hit"):
            raise invalid(f"table {table.name!r}: time_since_last_hit must be unset in a write")
        if pb.idle_timeout_ns:
            if pb.is_default_action:
                raise invalid(f"table {table.name!r}: the default entry cannot have an idle timeout")
            if not table.idle_timeout:
                raise invalid(f"table {table.name!r} does not support idle timeout")

    def _decode_default(self, table: TableInfo, pb: "p4r.TableEntry", update_type: int) -> DecodedEntry:
        if update_type != MODIFY:
            raise invalid(f"table {table.name!r}: the default entry can only be MODIFYed")
        if len(pb.match) or pb.priority:
            raise invalid(f"table {table.name!r}: the default entry must have no match and no priority")
        if table.const_default_action_id:
            raise _permission(f"table {table.name!r} has a const default action")
        if not pb.HasField("action"):
            return DecodedEntry(table, None, None, pb)  # reset to the program's initial default
        action_name, params = self._decode_action(table, pb.action, default=True)
        return DecodedEntry(table, None, DefaultAction(table.name, action_name, params), pb, self.padded)

    def _decode_action(self, table: TableInfo, pa: "p4r.TableAction", default: bool) -> tuple[str, tuple]:
        ck = (table.id, default, pa.SerializeToString())
        hit = self._actions.get(ck)
        if hit is not None:
            if hit[2]:
                self.padded = True
            return hit[0], hit[1]
        was_padded, self.padded = self.padded, False
        name, params = self._decode_action_uncached(table, pa, default)
        if len(self._actions) >= ACTION_CACHE_SIZE:
            self._actions.clear()
        self._actions[ck] = (name, params, self.padded)
        self.padded = self.padded or was_padded
        return name, params

    def _decode_action_uncached(self, table: TableInfo, pa: "p4r.TableAction", default: bool) -> tuple[str, tuple]:
        which = pa.WhichOneof("type")
        if which != "action":
            if which is None:
                raise invalid(f"table {table.name!r}: empty table action")
            raise P4RuntimeError(grpc.StatusCode.UNIMPLEMENTED, f"table action {which} is not supported")
        action = pa.action
        info = self.index.actions.get(action.action_id)
        if info is None:
            raise not_found(f"unknown action id {action.action_id}")
        scope = table.actions.get(info.id)
        if scope is None:
            raise invalid(f"action {info.name!r} is not allowed in table {table.name!r}")
        # 9.1.2: a valid action used outside its P4Info scope is PERMISSION_DENIED
        if scope == "default_only" and not default:
            raise _permission(f"action {info.name!r} may only be the default action of {table.name!r}")
        if scope == "table_only" and default:
            raise _permission(f"action {info.name!r} cannot be the default action of {table.name!r}")
        return info.name, self._decode_params(info, action.params)

    def _decode_params(self, info: ActionInfo, params) -> tuple[tuple[str, int], ...]:
        values: dict[int, int] = {}
        infos = info.params
        for p in params:
            pid = p.param_id
            pinfo = infos.get(pid)
            if pinfo is None:
                raise invalid(f"action {info.name!r} has no param id {pid}")
            if pid in values:
                raise invalid(f"action {info.name!r}: param {pinfo.name!r} given twice")
            raw = p.value
            value = int.from_bytes(raw, "big")
            if not raw or value >> pinfo.bitwidth:
                decode(raw, pinfo.bitwidth, f"action {info.name!r} param {pinfo.name!r}")  # raises
            if raw[0] == 0 and len(raw) > 1:
                self.padded = True
            values[pid] = value
        if len(values) != len(infos):
            missing = [pi.name for pid, pi in infos.items() if pid not in values]
            raise invalid(f"action {info.name!r}: missing param(s) {', '.join(missing)}")
        return tuple((pi.name, values[pid]) for pid, pi in infos.items())

    def decode_matches(self, table: TableInfo, fms, require_exact: bool) -> tuple[Match, ...]:
        out: list[Match] = []
        parts: list[tuple] = []  # the same matches as plain int tuples: a cheap identity key
        fields = table.fields
        n_exact = 0
        for fm in fms:
            fid = fm.field_id
            f = fields.get(fid)
            if f is None:
                raise invalid(f"table {table.name!r} has no match field id {fid}")
            which = fm.WhichOneof("field_match_type")
            if which != f.kind:
                raise invalid(f"table {table.name!r}: field {f.name!r} is {f.kind}, request has {which}")
            bw = f.bitwidth
            if which == "exact":  # hot path: inlined decode()
                raw = fm.exact.value
                value = int.from_bytes(raw, "big")
                if not raw or value >> bw:
                    decode(raw, bw, table.whats[fid])  # raises the right error
                if raw[0] == 0 and len(raw) > 1:
                    self.padded = True
                out.append(_make_match(f.name, "exact", value))
                parts.append((fid, value))
                n_exact += 1
                continue
            what = table.whats[fid]
            if which == "lpm":  # second hot path (routes): inlined decode() and padding check
                lpm = fm.lpm
                plen = lpm.prefix_len
                if plen <= 0 or plen > bw:
                    raise invalid(f"{what}: prefix length {plen} outside 1..{bw} (omit the field for a wildcard)")
                raw = lpm.value
                value = int.from_bytes(raw, "big")
                if not raw or value >> bw:
                    decode(raw, bw, what)  # raises the right error
                if raw[0] == 0 and len(raw) > 1:
                    self.padded = True
                if value & ((1 << (bw - plen)) - 1):
                    raise invalid(f"{what}: value has bits set beyond the /{plen} prefix")
                out.append(_make_match(f.name, "lpm", value, prefix_len=plen))
                parts.append((fid, value, plen))
                continue
            if not self.padded and _padded_match(fm, which):
                self.padded = True
            if which == "ternary":
                value = decode(fm.ternary.value, bw, what)
                mask = decode(fm.ternary.mask, bw, what + " mask")
                if mask == 0:
                    raise invalid(f"{what}: all-zero mask is a don't-care; omit the field instead")
                if value & ~mask:
                    raise invalid(f"{what}: value has bits set outside the mask")
                out.append(_make_match(f.name, "ternary", value, mask=mask))
                parts.append((fid, value, mask))
            elif which == "range":
                low = decode(fm.range.low, bw, what + " low")
                high = decode(fm.range.high, bw, what + " high")
                if low > high:
                    raise invalid(f"{what}: range low {low} > high {high}")
                if low == 0 and high == (1 << bw) - 1:
                    raise invalid(f"{what}: full range is a don't-care; omit the field instead")
                out.append(_make_match(f.name, "range", low, high=high))
                parts.append((fid, low, high))
            elif which == "optional":
                out.append(_make_match(f.name, "optional", decode(fm.optional.value, bw, what)))
                parts.append((fid, out[-1].value))
            else:
                raise P4RuntimeError(grpc.StatusCode.UNIMPLEMENTED, f"{what}: match kind {which} not supported")
        if len(parts) > 1:  # a field given twice (checked here: cheaper than a set per entry)
            fids = [p[0] for p in parts]
            if len(set(fids)) != len(fids):
                dup = next(fid for fid in fids if fids.count(fid) > 1)
                raise invalid(f"table {table.name!r}: match field {fields[dup].name!r} given twice")
        if require_exact and n_exact != table.n_exact:
            seen = {p[0] for p in parts}
            for f in table.fields.values():
                if f.kind == "exact" and f.id not in seen:
                    raise invalid(f"table {table.name!r}: exact match field {f.name!r} is missing")
        if len(out) > 1:
            out.sort(key=_by_field)
            parts.sort()
        self.match_key = tuple(parts)
        return tuple(out)


def canonicalize(out: "p4r.TableEntry") -> None:
    """Rewrite a table entry's byte strings in canonical form, in place (spec: Bytestrings).

    Writes may use padded strings; reads answer canonical ones. Done at read time, on the copy
    the response needs anyway, so writes that pad cost nothing extra.
    """
    for fm in out.match:
        which = fm.WhichOneof("field_match_type")
        if which in ("exact", "optional"):
            sub = getattr(fm, which)
            sub.value = canonical(sub.value)
        elif which == "lpm":
            fm.lpm.value = canonical(fm.lpm.value)
        elif which == "ternary":
            fm.ternary.value = canonical(fm.ternary.value)
            fm.ternary.mask = canonical(fm.ternary.mask)
        elif which == "range":
            fm.range.low = canonical(fm.range.low)
            fm.range.high = canonical(fm.range.high)
    if out.action.WhichOneof("type") == "action":
        for p in out.action.action.params:
            p.value = canonical(p.value)


def _padded(b: bytes) -> bool:
    return len(b) > 1 and b[0] == 0


def _padded_match(fm, which: str) -> bool:
    if which == "optional":
        return _padded(fm.optional.value)
    if which == "lpm":
        return _padded(fm.lpm.value)
    if which == "ternary":
        return _padded(fm.ternary.value) or _padded(fm.ternary.mask)
    if which == "range":
        return _padded(fm.range.low) or _padded(fm.range.high)
    return False


def encode_entry(index: P4InfoIndex, entry: TableEntry | DefaultAction) -> "p4r.TableEntry":
    """The P4Runtime protobuf (canonical byte strings) for one of our entries, by P4Info names.

    The inverse of ``EntryCodec.decode_write``: used to push entries made by the compiler or
    realizer (p4src.entries form) over P4Runtime. Raises P4RuntimeError for unknown names.
    """
    table = index.table_by_name.get(entry.table)
    if table is None:
        raise not_found(f"no table named {entry.table!r} in program {index.program_name!r}")
    pb = p4r.TableEntry(table_id=table.id)
    if isinstance(entry, DefaultAction):
        pb.is_default_action = True
    else:
        pb.priority = entry.priority
        by_name = {f.name: f for f in table.fields.values()}
        for m in entry.matches:
            f = by_name.get(m.field)
            if f is None:
                raise invalid(f"table {table.name!r} has no match field {m.field!r}")
            fm = pb.match.add(field_id=f.id)
            if m.kind == "exact":
                fm.exact.value = encode(m.value)
            elif m.kind == "optional":
                fm.optional.value = encode(m.value)
            elif m.kind == "lpm":
                fm.lpm.value = encode(m.value)
                fm.lpm.prefix_len = m.prefix_len or 0
            elif m.kind == "ternary":
                fm.ternary.value = encode(m.value)
                fm.ternary.mask = encode(m.mask or 0)
            elif m.kind == "range":
                fm.range.low = encode(m.value)
                fm.range.high = encode(m.high if m.high is not None else m.value)
            else:
                raise invalid(f"unknown match kind {m.kind!r}")
    action = index.action_by_name.get(entry.action)
    if action is None:
        raise not_found(f"no action named {entry.action!r} in program {index.program_name!r}")
    pa = pb.action.action
    pa.action_id = action.id
    pid = {p.name: p.id for p in action.params.values()}
    for name, value in entry.params:
        if name not in pid:
            raise invalid(f"action {action.name!r} has no param {name!r}")
        pa.params.add(param_id=pid[name], value=encode(value))
    return pb
