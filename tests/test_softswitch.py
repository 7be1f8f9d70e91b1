"""omniplan-switch over real gRPC: pipeline config, Write/Read with P4Info enforcement, arbitration,
packet-out errors, and the CLI's error handling. The switch runs as a subprocess (the installed
console script); the client is softswitch.client (plain grpcio stubs), so every assertion is on
what crossed the wire.
"""

from __future__ import annotations

import contextlib
import itertools
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import grpc
import pytest
from google.protobuf import text_format

from softswitch import reference
from softswitch.client import P4RuntimeClient, WriteError, update
from softswitch.demo_p4info import ACL, DROP, FORWARD, FWD, NO_ACTION, ROUTE, demo_p4info
from softswitch.proto import p4r

ROOT = Path(__file__).resolve().parents[1]
SWITCH = [sys.executable, "-m", "softswitch.main"]
DEVICE = 1
INSERT, MODIFY, DELETE = p4r.Update.INSERT, p4r.Update.MODIFY, p4r.Update.DELETE
SET = p4r.SetForwardingPipelineConfigRequest
GET = p4r.GetForwardingPipelineConfigRequest
C = grpc.StatusCode


@contextlib.contextmanager
def running_switch(*args: str) -> Iterator[str]:
    """An omniplan-switch for the block, stopped however the block ends (every switch fixture's frame)."""
    proc, addr = reference.start("omniplan-switch", DEVICE, args=args, log_level="info")
    try:
        yield addr
    finally:
        reference.stop(proc)


def write_demo_p4info(path: Path) -> Path:
    """The demo P4Info as text at ``path``: what --p4info and third-party clients load."""
    path.write_text(text_format.MessageToString(demo_p4info()))
    return path


@pytest.fixture(scope="module")
def address():
    with running_switch() as addr:
        yield addr


_ELECTION_IDS = itertools.count(1000, 1000)


@pytest.fixture
def primary(address):
    # The switch remembers the highest election id it ever saw (spec 5.3), so every test's
    # primary bids higher than the last one's.
    c = P4RuntimeClient(address, device_id=DEVICE, election_id=next(_ELECTION_IDS))
    try:
        assert c.arbitrate().status.code == 0
        c.set_pipeline(demo_p4info(), device_config=b"demo-bytes", cookie=42)  # also clears the tables
        yield c
    finally:
        c.close()


def fwd(mac: int, port: int = 1, out: int = 2, pad: int = 0) -> p4r.TableEntry:
    e = p4r.TableEntry(table_id=FWD)
    e.match.add(field_id=1).exact.value = mac.to_bytes(6 if pad else max(1, (mac.bit_length() + 7) // 8), "big")
    e.match.add(field_id=2).exact.value = port.to_bytes(2 if pad else 1, "big")
    e.action.action.action_id = FORWARD
    e.action.action.params.add(param_id=1, value=out.to_bytes(2 if pad else 1, "big"))
    return e


def acl(src: int, mask: int, lo: int = 10, hi: int = 20, prio: int = 5, proto: int | None = 6) -> p4r.TableEntry:
    e = p4r.TableEntry(table_id=ACL, priority=prio)
    t = e.match.add(field_id=1).ternary
    t.value, t.mask = src.to_bytes(4, "big"), mask.to_bytes(4, "big")
    r = e.match.add(field_id=2).range
    r.low, r.high = lo.to_bytes(2, "big"), hi.to_bytes(2, "big")
    if proto is not None:
        e.match.add(field_id=3).optional.value = bytes([proto])
    e.action.action.action_id = DROP
    return e


def one_error(client, updates, atomicity=p4r.WriteRequest.CONTINUE_ON_ERROR):
    with pytest.raises(WriteError) as info:
        client.write(updates, atomicity)
    return info.value


# ---- capabilities & pipeline config ---------------------------------------------------------
def test_capabilities_and_no_pipeline_errors(address):
    with running_switch() as addr:
        with P4RuntimeClient(addr, device_id=DEVICE) as c:
            assert c.stub.Capabilities(p4r.CapabilitiesRequest()).p4runtime_api_version.startswith("1.")
            # spec 15: no pipeline yet -> OK with the config unset (BMv2: FAILED_PRECONDITION)
            resp = c.stub.GetForwardingPipelineConfig(p4r.GetForwardingPipelineConfigRequest(device_id=DEVICE))
            assert not resp.HasField("config")
            with pytest.raises(grpc.RpcError) as info:
                c.read_table()
            assert info.value.code() == C.FAILED_PRECONDITION
            # SetForwardingPipelineConfig needs arbitration first
            with pytest.raises(grpc.RpcError) as info:
                c.set_pipeline(demo_p4info())
            assert info.value.code() == C.PERMISSION_DENIED


def test_get_pipeline_response_types(primary):
    full = primary.get_pipeline(GET.ALL)
    assert full.p4info.pkg_info.name == "omniplan_demo" and full.p4_device_config == b"demo-bytes"
    assert full.cookie.cookie == 42
    only = primary.get_pipeline(GET.COOKIE_ONLY)
    assert only.cookie.cookie == 42 and not only.HasField("p4info") and only.p4_device_config == b""
    p4 = primary.get_pipeline(GET.P4INFO_AND_COOKIE)
    assert p4.HasField("p4info") and p4.p4_device_config == b""
    dev = primary.get_pipeline(GET.DEVICE_CONFIG_AND_COOKIE)
    assert not dev.HasField("p4info") and dev.p4_device_config == b"demo-bytes"


def test_verify_save_commit_and_reconcile(primary):
    primary.write([update(INSERT, fwd(0xA1))])
    # VERIFY: a bad P4Info is rejected, a good one changes nothing
    bad = demo_p4info()
    bad.tables[0].action_refs.add(id=9999)
    with pytest.raises(grpc.RpcError) as info:
        primary.set_pipeline(bad, action=SET.VERIFY)
    assert info.value.code() == C.INVALID_ARGUMENT and "unknown action id 9999" in info.value.details()
    primary.set_pipeline(demo_p4info(), cookie=1, action=SET.VERIFY)
    assert len(primary.read_table()) == 1 and primary.get_pipeline(GET.COOKIE_ONLY).cookie.cookie == 42
    # COMMIT without a saved config (spec 14: NOT_FOUND)
    with pytest.raises(grpc.RpcError) as info:
        primary.set_pipeline(None, action=SET.COMMIT)
    assert info.value.code() == C.NOT_FOUND
    # VERIFY_AND_SAVE: Read/Write act on the saved config, COMMIT realizes it with those writes
    primary.set_pipeline(demo_p4info(), cookie=7, action=SET.VERIFY_AND_SAVE)
    assert primary.read_table() == []
    primary.write([update(INSERT, fwd(0xA2))])
    primary.set_pipeline(None, action=SET.COMMIT)
    assert primary.get_pipeline(GET.COOKIE_ONLY).cookie.cookie == 7
    assert [e.match[0].exact.value for e in primary.read_table()] == [b"\xa2"]
    primary.write([update(DELETE, fwd(0xA2))])
    # RECONCILE_AND_COMMIT keeps entries that still fit the new P4Info ...
    primary.write([update(INSERT, fwd(0xA3))])
    primary.set_pipeline(demo_p4info(), cookie=8, action=SET.RECONCILE_AND_COMMIT)
    assert [e.match[0].exact.value for e in primary.read_table()] == [b"\xa3"]
    # ... and refuses (changing nothing) when they do not
    narrow = demo_p4info()
    narrow.tables[0].match_fields[0].bitwidth = 4
    with pytest.raises(grpc.RpcError) as info:
        primary.set_pipeline(narrow, cookie=9, action=SET.RECONCILE_AND_COMMIT)
    assert info.value.code() == C.INVALID_ARGUMENT and "reconcile" in info.value.details()
    assert primary.get_pipeline(GET.COOKIE_ONLY).cookie.cookie == 8 and len(primary.read_table()) == 1


# ---- Write / Read -----------------------------------------------------------------------------
def test_insert_modify_delete_roundtrip(primary):
    primary.write([update(INSERT, fwd(0x0A0B0C0D0E0F, out=3))])
    (got,) = primary.read_table(FWD)
    assert got.action.action.params[0].value == b"\x03"
    primary.write([update(MODIFY, fwd(0x0A0B0C0D0E0F, out=4))])
    assert primary.read_table(FWD)[0].action.action.params[0].value == b"\x04"
    primary.write([update(DELETE, fwd(0x0A0B0C0D0E0F))])
    assert primary.read_table(FWD) == []


def test_padded_bytes_accepted_and_read_back_canonical(primary):
    primary.write([update(INSERT, fwd(0x05, port=1, out=2, pad=True))])
    (got,) = primary.read_table(FWD)
    assert got.match[0].exact.value == b"\x05" and got.match[1].exact.value == b"\x01"
    assert got.action.action.params[0].value == b"\x02"
    err = one_error(primary, [update(INSERT, fwd(0x05, port=1, pad=True))])  # same entry, other spelling
    assert err.errors[0].code == C.ALREADY_EXISTS


def test_duplicate_insert_and_missing_entries(primary):
    primary.write([update(INSERT, fwd(1))])
    err = one_error(primary, [update(INSERT, fwd(1)), update(MODIFY, fwd(2)), update(DELETE, fwd(3)),
                              update(INSERT, fwd(4))])
    assert err.code == C.UNKNOWN  # PI/BMv2 convention: per-update errors in the details
    assert [e.code for e in err.errors] == [C.ALREADY_EXISTS, C.NOT_FOUND, C.NOT_FOUND, C.OK]
    assert len(primary.read_table(FWD)) == 2  # CONTINUE_ON_ERROR applied the good one


def _mutate(fn):
    e = fwd(7)
    fn(e)
    return e


BAD_FWD = [
    ("unknown table", lambda e: setattr(e, "table_id", 0x02004242), C.NOT_FOUND, "unknown table id"),
    ("unknown action", lambda e: setattr(e.action.action, "action_id", 2777), C.NOT_FOUND, "unknown action"),
    ("action not in table", lambda e: None, C.INVALID_ARGUMENT, "not allowed"),  # patched below
    ("default-only action", lambda e: (e.action.action.ClearField("params"),
                                       setattr(e.action.action, "action_id", NO_ACTION)), C.PERMISSION_DENIED, "default"),  # spec 9.1.2
    ("unknown param id", lambda e: setattr(e.action.action.params[0], "param_id", 9), C.INVALID_ARGUMENT, "no param id"),
    ("missing param", lambda e: e.action.action.ClearField("params"), C.INVALID_ARGUMENT, "missing param"),
    ("param too wide", lambda e: setattr(e.action.action.params[0], "value", b"\x02\x00"), C.OUT_OF_RANGE, "9 bits"),
    ("field too wide", lambda e: setattr(e.match[1].exact, "value", b"\x7f\xff"), C.OUT_OF_RANGE, "9 bits"),
    ("empty bytes", lambda e: setattr(e.match[1].exact, "value", b""), C.INVALID_ARGUMENT, "empty"),
    ("unknown field id", lambda e: setattr(e.match[1], "field_id", 77), C.INVALID_ARGUMENT, "no match field id 77"),
    ("missing exact field", lambda e: e.match.pop(), C.INVALID_ARGUMENT, "is missing"),
    ("wrong match kind", lambda e: (e.match.pop(), setattr(e.match.add(field_id=2).lpm, "value", b"\x01"),
                                    setattr(e.match[1].lpm, "prefix_len", 9)), C.INVALID_ARGUMENT, "is exact"),
    ("priority on exact table", lambda e: setattr(e, "priority", 3), C.INVALID_ARGUMENT, "priority must be 0"),
    ("no action", lambda e: e.ClearField("action"), C.INVALID_ARGUMENT, "needs an action"),
]


@pytest.mark.parametrize("name,mutate,code,text", BAD_FWD, ids=[b[0] for b in BAD_FWD])
def test_p4info_enforced_per_update(primary, name, mutate, code, text):
    if name == "action not in table":
        e = fwd(7)  # NoAction is listed by fwd only, not by acl
        e.action.action.action_id = NO_ACTION
        e.action.action.ClearField("params")
        e.table_id = ACL
        e.priority = 1
        e.ClearField("match")
        e.match.add(field_id=3).optional.value = b"\x06"
    else:
        e = _mutate(mutate)
    err = one_error(primary, [update(INSERT, e)])
    assert err.code == C.UNKNOWN and len(err.errors) == 1
    assert err.errors[0].code == code, err.errors[0]
    assert text in err.errors[0].message
    assert primary.read_table() == []


def test_ternary_range_optional_and_lpm_rules(primary):
    primary.write([update(INSERT, acl(0x0A000000, 0xFF000000))])
    cases = [
        (acl(0x0A000000, 0xFF000000, prio=0), C.INVALID_ARGUMENT, "priority must be > 0"),
        (acl(0x0A000001, 0xFF000000, prio=2), C.INVALID_ARGUMENT, "outside the mask"),
        (acl(0x0, 0x0, prio=2), C.INVALID_ARGUMENT, "omit the field"),
        (acl(0x0A000000, 0xFF000000, lo=30, hi=20, prio=2), C.INVALID_ARGUMENT, "low 30 > high 20"),
        (acl(0x0A000000, 0xFF000000, prio=5), C.ALREADY_EXISTS, "already exists"),
    ]
    route = p4r.TableEntry(table_id=ROUTE)
    route.match.add(field_id=1).lpm.value = bytes([10, 1, 2, 3])
    route.match[0].lpm.prefix_len = 16
    route.action.action.action_id = DROP
    cases.append((route, C.INVALID_ARGUMENT, "beyond the /16 prefix"))
    err = one_error(primary, [update(INSERT, e) for e, _, _ in cases])
    for (_, code, text), got in zip(cases, err.errors):
        assert got.code == code and text in got.message, got
    same_key_other_priority = acl(0x0A000000, 0xFF000000, prio=6)
    primary.write([update(INSERT, same_key_other_priority)])  # priority is part of the key
    assert len(primary.read_table(ACL)) == 2


def test_full_table_reports_resource_exhausted_per_update(primary):
    updates = [update(INSERT, acl(i << 24, 0xFF000000, prio=1)) for i in range(1, 7)]  # acl size is 4
    err = one_error(primary, updates)
    assert [e.code for e in err.errors] == [C.OK] * 4 + [C.RESOURCE_EXHAUSTED] * 2
    assert "full" in err.errors[4].message
    assert len(primary.read_table(ACL)) == 4


@pytest.mark.parametrize("atomicity", [p4r.WriteRequest.ROLLBACK_ON_ERROR, p4r.WriteRequest.DATAPLANE_ATOMIC])
def test_all_or_nothing_atomicity_rolls_back(primary, atomicity):
    primary.write([update(INSERT, fwd(1, out=1))])
    # the 4th update duplicates the 1st, so the three before it must be undone
    updates = [update(INSERT, fwd(2)), update(MODIFY, fwd(1, out=9)), update(DELETE, fwd(1)),
               update(INSERT, fwd(2)), update(INSERT, fwd(3))]
    err = one_error(primary, updates, atomicity)
    assert err.errors[3].code == C.ALREADY_EXISTS
    assert all(e.code == C.ABORTED for i, e in enumerate(err.errors) if i != 3)
    (only,) = primary.read_table()
    assert only.match[0].exact.value == b"\x01" and only.action.action.params[0].value == b"\x01"


def test_default_action_modify_read_and_rules(primary):
    entry = p4r.TableEntry(table_id=FWD, is_default_action=True)
    (before,) = primary.read([p4r.Entity(table_entry=entry)])
    assert before.table_entry.is_default_action and before.table_entry.action.action.action_id == NO_ACTION
    new = p4r.TableEntry(table_id=FWD, is_default_action=True)
    new.action.action.action_id = FORWARD
    new.action.action.params.add(param_id=1, value=b"\x07")
    primary.write([update(MODIFY, new)])
    (after,) = primary.read([p4r.Entity(table_entry=entry)])
    assert after.table_entry.action.action.params[0].value == b"\x07"
    assert primary.read_table(FWD) == []  # the default entry is not a match entry
    err = one_error(primary, [update(INSERT, new)])
    assert err.errors[0].code == C.INVALID_ARGUMENT and "MODIFY" in err.errors[0].message
    const = p4r.TableEntry(table_id=ROUTE, is_default_action=True)
    const.action.action.action_id = FORWARD
    const.action.action.params.add(param_id=1, value=b"\x01")
    assert one_error(primary, [update(MODIFY, const)]).errors[0].code == C.PERMISSION_DENIED
    table_only = p4r.TableEntry(table_id=ACL, is_default_action=True)
    table_only.action.action.action_id = DROP
    scope_err = one_error(primary, [update(MODIFY, table_only)]).errors[0]
    assert scope_err.code == C.PERMISSION_DENIED and "cannot be the default" in scope_err.message  # 9.1.2
    primary.write([update(MODIFY, p4r.TableEntry(table_id=FWD, is_default_action=True))])  # reset
    (reset,) = primary.read([p4r.Entity(table_entry=entry)])
    assert reset.table_entry.action.action.action_id == NO_ACTION


def test_read_wildcards_and_match_filters(primary):
    primary.write([update(INSERT, fwd(m, port=p)) for m in (1, 2, 3) for p in (1, 2)]
                  + [update(INSERT, acl(1 << 24, 0xFF000000))])
    assert len(primary.read_table(0)) == 7
    assert len(primary.read_table(FWD)) == 6
    q = p4r.TableEntry(table_id=FWD)
    q.match.add(field_id=1).exact.value = b"\x02"
    with pytest.raises(grpc.RpcError) as info:  # spec 9.1.6: a match filter must be a whole key
        primary.read([p4r.Entity(table_entry=q)])
    assert info.value.code() == C.INVALID_ARGUMENT
    q.match.add(field_id=2).exact.value = b"\x00\x01"  # filter values may be padded too
    (hit,) = primary.read([p4r.Entity(table_entry=q)])
    assert hit.table_entry.match[1].exact.value == b"\x01"
    with pytest.raises(grpc.RpcError) as info:
        primary.read_table(5555)
    assert info.value.code() == C.NOT_FOUND
    # the demo program declares no counters and we have no replication engine: nothing to read
    assert primary.read([p4r.Entity(counter_entry=p4r.CounterEntry()),
                         p4r.Entity(packet_replication_engine_entry=p4r.PacketReplicationEngineEntry())]) == []
    with pytest.raises(grpc.RpcError) as info:
        primary.read([p4r.Entity()])
    assert info.value.code() == C.INVALID_ARGUMENT  # spec 13.2


def test_device_id_mismatch(address, primary):
    with P4RuntimeClient(address, device_id=DEVICE + 1, election_id=100) as other:
        err = one_error(other, [update(INSERT, fwd(1))])
        assert err.code == C.NOT_FOUND and "device id" in err.details
        with pytest.raises(grpc.RpcError) as info:
            other.read_table()
        assert info.value.code() == C.NOT_FOUND
        with pytest.raises(grpc.RpcError) as info:
            other.arbitrate()
        assert info.value.code() == C.NOT_FOUND


# ---- arbitration --------------------------------------------------------------------------------
def test_arbitration_primary_backup_and_takeover(address, primary):
    """The rules one by one are in test_p4runtime_conformance.py; this is the everyday flow."""
    eid = primary.election_id
    backup = P4RuntimeClient(address, device_id=DEVICE, election_id=eid - 50)
    newer = P4RuntimeClient(address, device_id=DEVICE, election_id=eid + 100)
    try:
        ans = backup.arbitrate()
        assert ans.status.code == C.ALREADY_EXISTS.value[0] and ans.election_id.low == eid
        assert one_error(backup, [update(INSERT, fwd(1))]).code == C.PERMISSION_DENIED
        with pytest.raises(grpc.RpcError) as info:
            backup.set_pipeline(demo_p4info())
        assert info.value.code() == C.PERMISSION_DENIED
        primary.write([update(INSERT, fwd(1))])
        assert len(backup.read_table()) == 1  # a backup can still read
        assert newer.arbitrate().status.code == 0  # a higher id takes over; everyone is told
        demoted = primary.next_stream("arbitration").arbitration
        assert demoted.status.code == C.ALREADY_EXISTS.value[0] and demoted.election_id.low == eid + 100
        assert backup.next_stream("arbitration").arbitration.election_id.low == eid + 100
        assert one_error(primary, [update(INSERT, fwd(2))]).code == C.PERMISSION_DENIED
        newer.close()  # the primary leaves: nobody is promoted (spec 5), everyone hears NOT_FOUND
        told = primary.next_stream("arbitration").arbitration
        assert told.status.code == C.NOT_FOUND.value[0] and told.election_id.low == eid + 100
        assert one_error(primary, [update(INSERT, fwd(2))]).code == C.PERMISSION_DENIED
        assert primary.arbitrate(eid + 100).status.code == 0  # taking over needs the highest id
        primary.write([update(INSERT, fwd(2))])
    finally:
        backup.close()
        newer.close()


def test_election_id_in_use_closes_the_stream(address, primary):
    with P4RuntimeClient(address, device_id=DEVICE, election_id=primary.election_id) as twin:
        with pytest.raises(grpc.RpcError) as info:
            twin.arbitrate()
        assert info.value.code() == C.INVALID_ARGUMENT and "already used" in info.value.details()


def test_roles_have_separate_primaries(address, primary):
    with P4RuntimeClient(address, device_id=DEVICE, election_id=1, role="observer") as other:
        assert other.arbitrate().status.code == 0  # primary of its own role
        other.write([update(INSERT, fwd(9))])
        assert len(primary.read_table()) == 1


def test_packet_out_errors_reported_on_stream(address, primary):
    with P4RuntimeClient(address, device_id=DEVICE, election_id=primary.election_id - 1) as backup:
        backup.arbitrate()
        backup.packet_out(b"\x00" * 20, {1: b"\x01"})
        err = backup.next_stream("error").error
        assert err.canonical_code == C.PERMISSION_DENIED.value[0]
    primary.packet_out(b"\x00" * 20, {77: b"\x01"})
    err = primary.next_stream("error").error
    assert err.canonical_code == C.INVALID_ARGUMENT.value[0] and "no metadata id 77" in err.message
    assert err.packet_out.packet_out.payload == b"\x00" * 20
    primary.packet_out(b"\x00" * 20, {1: b"\x04\x00"})
    assert primary.next_stream("error").error.canonical_code == C.OUT_OF_RANGE.value[0]


# ---- CLI ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("args,text", [
    (["-i", "eth0"], "must be PORT@IFACE"),
    (["-i", "1@no-such-if0"], "no such interface"),
    (["--p4info", "/nonexistent/p4info.txtpb"], "--p4info"),
])
def test_cli_errors_exit_2(args, text):
    res = subprocess.run([*SWITCH, "--grpc-port", "0", *args], capture_output=True, text=True, cwd=ROOT, timeout=30)
    assert res.returncode == 2 and text in res.stderr and "Traceback" not in res.stderr


def test_cli_preloads_p4info(tmp_path):
    path = write_demo_p4info(tmp_path / "demo.p4info.txtpb")
    with running_switch("--p4info", str(path)) as addr:
        with P4RuntimeClient(addr, device_id=DEVICE) as c:
            assert c.get_pipeline().p4info.pkg_info.name == "omniplan_demo"
