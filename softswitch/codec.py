"""P4Runtime TableEntry protobufs <-> p4src.entries types, checked against the P4Info.

Why a separate module: the same checks run for Write (every field must be valid) and for Read
filters (a partial match), and the reconciling pipeline push re-runs them on stored entries.
All failures are P4RuntimeError with the status code the P4Runtime spec prescribes.
"""

from __future__ import annotations

from dataclasses import dataclass

import grpc

from p4src.entries import DefaultAction, Match, TableEntry
from softswitch.bytestrings import canonical, decode
from softswitch.errors import P4RuntimeError, invalid, not_found
from softswitch.p4info import ActionInfo, P4InfoIndex, TableInfo
from softswitch.proto import p4r

INSERT, MODIFY, DELETE = p4r.Update.INSERT, p4r.Update.MODIFY, p4r.Update.DELETE


@dataclass(frozen=True)
class DecodedEntry:
    """A validated table write: the entry in our form plus the canonical protobuf for reads."""

    table: TableInfo
    entry: TableEntry | None  # a match entry, or None for a default-action write
    default: DefaultAction | None  # default-action MODIFY; None with entry None = reset to initial
    pb: "p4r.TableEntry"


def _permission(msg: str) -> P4RuntimeError:
    return P4RuntimeError(grpc.StatusCode.PERMISSION_DENIED, msg)


class EntryCodec:
    """Decodes and validates table entries for one P4Info."""

    def __init__(self, index: P4InfoIndex):
        self.index = index

    # ---- writes -----------------------------------------------------------------------------
    def decode_write(self, pb: "p4r.TableEntry", update_type: int) -> DecodedEntry:
        table = self.index.table(pb.table_id)
        if update_type not in (INSERT, MODIFY, DELETE):
            raise invalid("update type must be INSERT, MODIFY or DELETE")
        if pb.HasField("meter_config") or pb.HasField("counter_data") or pb.HasField("meter_counter_data"):
            raise invalid(f"table {table.name!r} has no direct counter or meter")
        if pb.idle_timeout_ns:
            raise invalid(f"table {table.name!r} does not support idle timeout")
        if pb.is_default_action:
            return self._decode_default(table, pb, update_type)
        if table.is_const_table:
            raise _permission(f"table {table.name!r} is const: its entries cannot be written")
        matches = self.decode_matches(table, pb.match, require_exact=True)
        if table.needs_priority:
            if pb.priority <= 0:
                raise invalid(f"table {table.name!r} has ternary/range/optional fields: priority must be > 0")
        elif pb.priority != 0:
            raise invalid(f"table {table.name!r} has only exact/lpm fields: priority must be 0 (got {pb.priority})")
        if update_type == DELETE and not pb.HasField("action"):
            action_name, params = "", ()
        else:
            if not pb.HasField("action"):
                raise invalid(f"table {table.name!r}: INSERT/MODIFY needs an action")
            action_name, params = self._decode_action(table, pb.action, default=False)
        entry = TableEntry(table.name, matches, action_name, params, pb.priority)
        return DecodedEntry(table, entry, None, self._canonical_pb(pb))

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
        return DecodedEntry(table, None, DefaultAction(table.name, action_name, params), self._canonical_pb(pb))

    def _decode_action(self, table: TableInfo, pa: "p4r.TableAction", default: bool) -> tuple[str, tuple]:
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
        if scope == "default_only" and not default:
            raise invalid(f"action {info.name!r} may only be the default action of {table.name!r}")
        if scope == "table_only" and default:
            raise invalid(f"action {info.name!r} cannot be the default action of {table.name!r}")
        return info.name, self._decode_params(info, action.params)

    @staticmethod
    def _decode_params(info: ActionInfo, params) -> tuple[tuple[str, int], ...]:
        values: dict[int, int] = {}
        for p in params:
            pinfo = info.params.get(p.param_id)
            if pinfo is None:
                raise invalid(f"action {info.name!r} has no param id {p.param_id}")
            if p.param_id in values:
                raise invalid(f"action {info.name!r}: param {pinfo.name!r} given twice")
            values[p.param_id] = decode(p.value, pinfo.bitwidth, f"action {info.name!r} param {pinfo.name!r}")
        if len(values) != len(info.params):
            missing = [pi.name for pid, pi in info.params.items() if pid not in values]
            raise invalid(f"action {info.name!r}: missing param(s) {', '.join(missing)}")
        return tuple((pi.name, values[pid]) for pid, pi in info.params.items())

    def decode_matches(self, table: TableInfo, fms, require_exact: bool) -> tuple[Match, ...]:
        out: list[Match] = []
        seen: set[int] = set()
        for fm in fms:
            f = table.fields.get(fm.field_id)
            if f is None:
                raise invalid(f"table {table.name!r} has no match field id {fm.field_id}")
            if fm.field_id in seen:
                raise invalid(f"table {table.name!r}: match field {f.name!r} given twice")
            seen.add(fm.field_id)
            which = fm.WhichOneof("field_match_type")
            if which != f.kind:
                raise invalid(f"table {table.name!r}: field {f.name!r} is {f.kind}, request has {which}")
            what = f"table {table.name!r} field {f.name!r}"
            bw = f.bitwidth
            if which == "exact":
                out.append(Match(f.name, "exact", decode(fm.exact.value, bw, what)))
            elif which == "lpm":
                plen = fm.lpm.prefix_len
                if plen <= 0 or plen > bw:
                    raise invalid(f"{what}: prefix length {plen} outside 1..{bw} (omit the field for a wildcard)")
                value = decode(fm.lpm.value, bw, what)
                if value & ((1 << (bw - plen)) - 1):
                    raise invalid(f"{what}: value has bits set beyond the /{plen} prefix")
                out.append(Match(f.name, "lpm", value, prefix_len=plen))
            elif which == "ternary":
                value = decode(fm.ternary.value, bw, what)
                mask = decode(fm.ternary.mask, bw, what + " mask")
                if mask == 0:
                    raise invalid(f"{what}: all-zero mask is a don't-care; omit the field instead")
                if value & ~mask:
                    raise invalid(f"{what}: value has bits set outside the mask")
                out.append(Match(f.name, "ternary", value, mask=mask))
            elif which == "range":
                low = decode(fm.range.low, bw, what + " low")
                high = decode(fm.range.high, bw, what + " high")
                if low > high:
                    raise invalid(f"{what}: range low {low} > high {high}")
                if low == 0 and high == (1 << bw) - 1:
                    raise invalid(f"{what}: full range is a don't-care; omit the field instead")
                out.append(Match(f.name, "range", low, high=high))
            elif which == "optional":
                out.append(Match(f.name, "optional", decode(fm.optional.value, bw, what)))
            else:
                raise P4RuntimeError(grpc.StatusCode.UNIMPLEMENTED, f"{what}: match kind {which} not supported")
        if require_exact:
            for f in table.fields.values():
                if f.kind == "exact" and f.id not in seen:
                    raise invalid(f"table {table.name!r}: exact match field {f.name!r} is missing")
        out.sort(key=lambda m: m.field)
        return tuple(out)

    # ---- reads ------------------------------------------------------------------------------
    @staticmethod
    def _canonical_pb(pb: "p4r.TableEntry") -> "p4r.TableEntry":
        """The protobuf as reads return it: byte strings in canonical form (spec: Bytestrings)."""
        if not _has_padding(pb):
            return pb
        out = p4r.TableEntry()
        out.CopyFrom(pb)
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
        return out


def _padded(b: bytes) -> bool:
    return len(b) > 1 and b[0] == 0


def _has_padding(pb: "p4r.TableEntry") -> bool:
    for fm in pb.match:
        which = fm.WhichOneof("field_match_type")
        if which == "exact" and _padded(fm.exact.value):
            return True
        if which == "optional" and _padded(fm.optional.value):
            return True
        if which == "lpm" and _padded(fm.lpm.value):
            return True
        if which == "ternary" and (_padded(fm.ternary.value) or _padded(fm.ternary.mask)):
            return True
        if which == "range" and (_padded(fm.range.low) or _padded(fm.range.high)):
            return True
    if pb.action.WhichOneof("type") == "action":
        return any(_padded(p.value) for p in pb.action.action.params)
    return False
