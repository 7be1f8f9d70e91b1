"""P4Runtime v1.4.1 conformance: one test per rule, with the spec section it checks, run against
omniplan-switch and against BMv2 ``simple_switch_grpc`` (the reference) when it is installed.

Both switches load the same program, tests/p4/conformance.p4 compiled by p4c-bm2-ss (P4Info and
BMv2 JSON committed beside it), so every id and every object is the same. A test asserts what the
spec says; where BMv2's PI server answers otherwise, ``spec_or_bmv2`` asserts what BMv2 answers
instead, so each known difference is checked, not just written down. The list is in
docs/p4runtime-conformance.md. Section numbers are those of the v1.4.1 spec text
(docs/v1/P4Runtime-Spec.mdk at tag v1.4.1).
"""

from __future__ import annotations

import contextlib
import itertools
import time
import queue
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import grpc
import pytest

from softswitch import reference
from softswitch.client import P4RuntimeClient, WriteError, update
from softswitch.p4info import load_p4info
from softswitch.proto import p4d, p4r

ROOT = Path(__file__).resolve().parents[1]
PROGRAM = ROOT / "tests" / "p4" / "conformance"
P4INFO = load_p4info(PROGRAM.with_suffix(".p4info.txtpb"))
BMV2_JSON = PROGRAM.with_suffix(".json").read_bytes()
BMV2 = reference.bmv2_binary()
DEVICE = 1
C = grpc.StatusCode
SET = p4r.SetForwardingPipelineConfigRequest
INSERT, MODIFY, DELETE = p4r.Update.INSERT, p4r.Update.MODIFY, p4r.Update.DELETE


def _ids(kind: str) -> dict[str, int]:
    objs = {"tables": P4INFO.tables, "actions": P4INFO.actions, "counters": P4INFO.counters,
            "direct_counters": P4INFO.direct_counters, "meters": P4INFO.meters,
            "direct_meters": P4INFO.direct_meters, "registers": P4INFO.registers, "digests": P4INFO.digests}[kind]
    return {o.preamble.alias: o.preamble.id for o in objs}


T, A = _ids("tables"), _ids("actions")
PORT_COUNTER, PORT_METER = _ids("counters")["port_counter"], _ids("meters")["port_meter"]
LAST_LEN, DIGEST = _ids("registers")["last_len"], _ids("digests")["digest_t"]
FWD_COUNTER, ACL_METER = _ids("direct_counters")["fwd_counter"], _ids("direct_meters")["acl_meter"]


# ---- the two switches ---------------------------------------------------------------------------
@contextlib.contextmanager
def _switch(kind: str) -> Iterator[str]:
    with reference.running(kind, DEVICE) as (_, addr):
        yield addr


@dataclass
class Target:
    kind: str  # "omniplan-switch" | "bmv2"
    address: str

    def client(self, election_id: int | None = None, role: str = "") -> P4RuntimeClient:
        return P4RuntimeClient(self.address, device_id=DEVICE, election_id=election_id or 0, role=role)


TARGETS = ["omniplan-switch", pytest.param("bmv2", marks=pytest.mark.skipif(
    BMV2 is None, reason="BMv2 simple_switch_grpc is not installed (.p4-toolchain); reference not run"))]


@pytest.fixture(scope="module", params=TARGETS)
def shared(request) -> Iterator[Target]:
    """One switch per target for the tests that only need increasing election ids."""
    with _switch(request.param) as addr:
        yield Target(request.param, addr)


@pytest.fixture(params=TARGETS)
def fresh(request) -> Iterator[Target]:
    """A switch that has never seen a controller (arbitration state starts empty)."""
    with _switch(request.param) as addr:
        yield Target(request.param, addr)


_ELECTION = itertools.count(1000, 1000)


@pytest.fixture
def primary(shared) -> Iterator[P4RuntimeClient]:
    """The primary of ``shared`` with the conformance program freshly committed (empty state)."""
    c = shared.client(next(_ELECTION))
    try:
        assert c.arbitrate().status.code == 0
        c.set_pipeline(P4INFO, BMV2_JSON, cookie=1)
        yield c
    finally:
        c.close()


def spec_or_bmv2(target: Target | str, spec, bmv2):
    """What ``target`` answers: the spec's value, or BMv2's where it knowingly differs."""
    kind = target.kind if isinstance(target, Target) else target
    return bmv2 if kind == "bmv2" else spec


# ---- small helpers ------------------------------------------------------------------------------
def arbitrate_unset(c: P4RuntimeClient) -> "p4r.MasterArbitrationUpdate":
    """A MasterArbitrationUpdate with no election_id field at all (16.2.1)."""
    if c._out is None:
        c.open_stream()
    req = p4r.StreamMessageRequest()
    req.arbitration.device_id = DEVICE
    c.send_stream(req)
    return c.next_stream("arbitration").arbitration


def write_unset(c: P4RuntimeClient, updates) -> None:
    try:
        c.stub.Write(p4r.WriteRequest(device_id=DEVICE, updates=updates))
    except grpc.RpcError as exc:
        raise WriteError(exc) from None


def no_message(c: P4RuntimeClient, kind: str = "arbitration", wait: float = 0.5) -> bool:
    try:
        c.next_stream(kind, wait)
    except queue.Empty:
        return True
    return False


def status(arb: "p4r.MasterArbitrationUpdate") -> tuple[C, int | None]:
    code = next(c for c in C if c.value[0] == arb.status.code)
    return code, (arb.election_id.low if arb.HasField("election_id") else None)


def fwd(mac: int, port: int = 1) -> "p4r.TableEntry":
    e = p4r.TableEntry(table_id=T["fwd"])
    e.match.add(field_id=1).exact.value = mac.to_bytes(6, "big")
    e.action.action.action_id = A["forward"]
    e.action.action.params.add(param_id=1, value=bytes([port]))
    return e


def acl(src: int, prio: int = 10, action: str = "set_color") -> "p4r.TableEntry":
    e = p4r.TableEntry(table_id=T["acl"], priority=prio)
    t = e.match.add(field_id=1).ternary
    t.value, t.mask = src.to_bytes(6, "big"), b"\xff" * 6
    e.action.action.action_id = A[action]
    return e


def smac(mac: int, ttl_ns: int = 0) -> "p4r.TableEntry":
    e = p4r.TableEntry(table_id=T["smac"], idle_timeout_ns=ttl_ns)
    e.match.add(field_id=1).exact.value = mac.to_bytes(6, "big")
    e.action.action.action_id = A["NoAction"]
    return e


def err_of(fn) -> WriteError:
    with pytest.raises(WriteError) as info:
        fn()
    return info.value


def update_code(fn) -> C:
    """The per-update code of a one-update Write that fails (or the RPC code if it failed whole)."""
    e = err_of(fn)
    return e.errors[0].code if e.errors else e.code


def rpc_code(fn) -> C:
    with pytest.raises(grpc.RpcError) as info:
        fn()
    return info.value.code()


# ==== 5: arbitration ================================================================================
def test_5_unset_election_id_is_a_backup_that_cannot_write(fresh):
    """16.2.1: an unset election id is lower than any id: never primary, so its Writes are refused."""
    with fresh.client() as c:
        arb = arbitrate_unset(c)
        # 5.4: with no primary ever, the advisory is NOT_FOUND and election_id is left unset.
        # BMv2 treats an unset id as 0 and makes the client primary.
        assert status(arb) == spec_or_bmv2(fresh, (C.NOT_FOUND, None), (C.OK, 0))
        code = update_code(lambda: write_unset(c, [update(INSERT, fwd(1))]))
        assert code == spec_or_bmv2(fresh, C.PERMISSION_DENIED, C.FAILED_PRECONDITION)  # BMv2: primary, no pipeline


def test_5_two_clients_without_election_id_are_both_accepted(fresh):
    """5.3 rule 1.2 only refuses an id "set and already used": unset ids never collide."""
    with fresh.client() as a, fresh.client() as b:
        arbitrate_unset(a)
        if fresh.kind == "bmv2":  # BMv2 treats both as id 0: the second is refused
            assert rpc_code(lambda: arbitrate_unset(b)) == C.INVALID_ARGUMENT
        else:
            assert status(arbitrate_unset(b)) == (C.NOT_FOUND, None)


def test_5_primary_leaving_promotes_nobody(fresh):
    """5: when the primary's stream breaks every other client is advised and there is no primary
    until one re-arbitrates with an id >= the highest ever seen (5.3, 16.2)."""
    with fresh.client(10) as p, fresh.client(5) as b:
        assert p.arbitrate().status.code == 0
        p.set_pipeline(P4INFO, BMV2_JSON)
        assert status(b.arbitrate()) == (C.ALREADY_EXISTS, 10)
        p.close()
        told = b.next_stream("arbitration").arbitration
        assert status(told) == spec_or_bmv2(fresh, (C.NOT_FOUND, 10), (C.OK, 5))  # BMv2 promotes the backup
        if fresh.kind == "bmv2":
            return
        assert err_of(lambda: b.write([update(INSERT, fwd(1))])).code == C.PERMISSION_DENIED
        with fresh.client(7) as lower:  # lower than the departed primary's 10: a backup
            assert status(lower.arbitrate()) == (C.NOT_FOUND, 10)
            assert err_of(lambda: lower.write([update(INSERT, fwd(1))])).code == C.PERMISSION_DENIED
        assert status(b.arbitrate(10)) == (C.OK, 10)  # taking over needs an id >= 10
        b.write([update(INSERT, fwd(1))])


def test_5_failover_never_lets_two_controllers_write(fresh):
    """5.3: old primary A (id 10) dies, backup B takes over by re-arbitrating with an id >= 10;
    A returns with its old id: refused while B holds it, a backup below it. At every step at most
    one of them can write."""
    a, b = fresh.client(10), fresh.client(9)

    def writers(*clients) -> list[int]:
        ok = []
        for c in clients:
            try:
                c.write([update(INSERT, fwd(next(_macs)))])
                ok.append(c.election_id)
            except WriteError as exc:
                assert exc.code == C.PERMISSION_DENIED
        return ok

    _macs = itertools.count(1)
    try:
        a.arbitrate()
        a.set_pipeline(P4INFO, BMV2_JSON)
        b.arbitrate()
        assert writers(a, b) == [10]
        a.close()  # A crashes
        b.next_stream("arbitration")
        if fresh.kind == "bmv2":  # BMv2 auto-promotes B: it can write without asking
            assert writers(b) == [9]
            return
        assert writers(b) == []
        b.arbitrate(10)  # B takes over explicitly
        assert writers(b) == [10]
        a = fresh.client(10)  # A comes back with its old id
        assert rpc_code(lambda: a.arbitrate()) == C.INVALID_ARGUMENT
        a.close()
        a = fresh.client(10)
        a.election_id = 9
        assert status(a.arbitrate()) == (C.ALREADY_EXISTS, 10)
        assert writers(a, b) == [10] and b.election_id == 10
    finally:
        a.close()
        b.close()


def test_5_primary_resending_its_id_advises_every_client(fresh):
    """5.3: "If there was a previous primary, including this controller" -> all are advised."""
    with fresh.client(10) as p, fresh.client(5) as b:
        p.arbitrate()
        b.arbitrate()
        if fresh.kind == "bmv2":  # BMv2 answers nobody, not even the sender
            p.send_stream(p4r.StreamMessageRequest(arbitration=p4r.MasterArbitrationUpdate(
                device_id=DEVICE, election_id=p4r.Uint128(low=10))))
            assert no_message(p) and no_message(b)
        else:
            assert status(p.arbitrate()) == (C.OK, 10)
            assert status(b.next_stream("arbitration").arbitration) == (C.ALREADY_EXISTS, 10)


def test_5_primary_lowering_its_id_steps_down(fresh):
    """5.3 case 2.5 then "Otherwise, the controller becomes a backup ... if it was previously a
    primary, an advisory message is sent to all controllers" (no primary: NOT_FOUND)."""
    with fresh.client(10) as p, fresh.client(5) as b:
        p.arbitrate()
        b.arbitrate()
        lowered = p.arbitrate(8)
        if fresh.kind == "bmv2":  # BMv2 keeps "highest live id wins": 8 is still the highest live id
            assert status(lowered) == (C.OK, 8)
            return
        assert status(lowered) == (C.NOT_FOUND, 10)
        assert status(b.next_stream("arbitration").arbitration) == (C.NOT_FOUND, 10)
        assert err_of(lambda: p.write([update(INSERT, fwd(1))])).code == C.PERMISSION_DENIED


def test_5_election_id_in_use_ends_the_stream(fresh):
    """5.3 rule 1.2: an id already used by a live controller -> INVALID_ARGUMENT, stream ends."""
    with fresh.client(10) as p, fresh.client(10) as twin:
        p.arbitrate()
        assert rpc_code(lambda: twin.arbitrate()) == C.INVALID_ARGUMENT


def test_5_unknown_device_ends_the_stream(shared):
    """5.3 rule 1.1: unknown device_id -> NOT_FOUND."""
    with P4RuntimeClient(shared.address, device_id=DEVICE + 7, election_id=1) as c:
        if shared.kind == "bmv2":  # BMv2 arbitrates any device id (and then has no pipeline for it)
            assert c.arbitrate().status.code == 0
        else:
            assert rpc_code(lambda: c.arbitrate()) == C.NOT_FOUND


def test_5_live_stream_cannot_change_role(fresh):
    """5.3 rule 2.2: a different role on a live stream -> FAILED_PRECONDITION."""
    with fresh.client(10) as c:
        c.arbitrate()
        c.role = "other"
        if fresh.kind == "bmv2":  # BMv2 ignores the update: no answer, the stream stays open
            c.send_stream(p4r.StreamMessageRequest(arbitration=p4r.MasterArbitrationUpdate(
                device_id=DEVICE, role=p4r.Role(name="other"), election_id=p4r.Uint128(low=10))))
            assert no_message(c)
            return
        assert rpc_code(lambda: c.arbitrate()) == C.FAILED_PRECONDITION


def test_5_roles_have_independent_primaries_and_echo_role_config(fresh):
    """5, 5.2, 5.4: a primary per (device, role); role.config from the primary is echoed back."""
    from google.protobuf import any_pb2

    with fresh.client(10) as d, fresh.client(1, role="observer") as o:
        assert d.arbitrate().status.code == 0
        req = p4r.StreamMessageRequest()
        req.arbitration.device_id = DEVICE
        req.arbitration.election_id.low = 1
        req.arbitration.role.name = "observer"
        cfg = any_pb2.Any()
        cfg.Pack(p4r.Uint128(low=42))  # any message: we agree on no role-config scheme
        req.arbitration.role.config.CopyFrom(cfg)
        o.open_stream()
        o.send_stream(req)
        ans = o.next_stream("arbitration").arbitration
        if fresh.kind == "bmv2":  # BMv2 puts every role in one group: id 1 is a backup of id 10
            assert status(ans) == (C.ALREADY_EXISTS, 10)
            return
        assert ans.status.code == 0 and ans.role.name == "observer" and ans.role.config == cfg
        assert no_message(d)  # the default role was not disturbed


# ==== 14/15: SetForwardingPipelineConfig / GetForwardingPipelineConfig ===========================
def test_15_get_before_any_pipeline(fresh):
    """15: no config known -> the response's config is unset (BMv2: FAILED_PRECONDITION)."""
    with fresh.client() as c:
        req = p4r.GetForwardingPipelineConfigRequest(device_id=DEVICE)
        if fresh.kind == "bmv2":
            assert rpc_code(lambda: c.stub.GetForwardingPipelineConfig(req)) == C.FAILED_PRECONDITION
        else:
            assert not c.stub.GetForwardingPipelineConfig(req).HasField("config")


def test_12_write_check_order_before_pipeline(fresh):
    """12: NOT_FOUND (device), then PERMISSION_DENIED (not primary), then FAILED_PRECONDITION."""
    with fresh.client(10) as c, P4RuntimeClient(fresh.address, device_id=DEVICE + 7, election_id=10) as wrong:
        code = err_of(lambda: wrong.write([update(INSERT, fwd(1))])).code
        assert code == spec_or_bmv2(fresh, C.NOT_FOUND, C.PERMISSION_DENIED)  # BMv2 checks primary first
        assert err_of(lambda: c.write([update(INSERT, fwd(1))])).code == C.PERMISSION_DENIED
        c.arbitrate()
        assert err_of(lambda: c.write([update(INSERT, fwd(1))])).code == C.FAILED_PRECONDITION
        assert rpc_code(lambda: c.read_table()) == C.FAILED_PRECONDITION  # 13


def test_14_set_pipeline_needs_the_primary(shared, primary):
    """14 check 2: not the primary -> PERMISSION_DENIED; check 1: unknown device -> NOT_FOUND."""
    with shared.client(1) as backup:
        backup.arbitrate()
        assert rpc_code(lambda: backup.set_pipeline(P4INFO, BMV2_JSON)) == C.PERMISSION_DENIED
    with P4RuntimeClient(shared.address, device_id=DEVICE + 7, election_id=primary.election_id) as wrong:
        code = rpc_code(lambda: wrong.set_pipeline(P4INFO, BMV2_JSON))
        assert code == spec_or_bmv2(shared, C.NOT_FOUND, C.PERMISSION_DENIED)  # BMv2 checks primary first


def test_14_commit_with_nothing_saved(shared, primary):
    """14 COMMIT: "Returns a NOT_FOUND error if no saved config is found" (BMv2: UNKNOWN)."""
    code = rpc_code(lambda: primary.set_pipeline(None, action=SET.COMMIT))
    assert code == spec_or_bmv2(shared, C.NOT_FOUND, C.UNKNOWN)


def test_14_commit_carrying_a_config(shared, primary):
    """14 COMMIT: "Returns an INVALID_ARGUMENT error if a config is provided" (BMv2: UNKNOWN)."""
    primary.set_pipeline(P4INFO, BMV2_JSON, action=SET.VERIFY_AND_SAVE)
    if shared.kind == "bmv2":  # BMv2 accepts it and commits the saved config
        primary.set_pipeline(P4INFO, BMV2_JSON, action=SET.COMMIT)
        return
    assert rpc_code(lambda: primary.set_pipeline(P4INFO, BMV2_JSON, action=SET.COMMIT)) == C.INVALID_ARGUMENT
    primary.set_pipeline(None, action=SET.COMMIT)  # the saved config is still there


def test_14_verify_and_save_then_commit_replays_the_writes(shared, primary):
    """14: after VERIFY_AND_SAVE Read/Write refer to the new config; COMMIT realizes it "by
    replaying the write requests ... since the last config was saved"."""
    primary.write([update(INSERT, fwd(0xA1))])
    primary.set_pipeline(P4INFO, BMV2_JSON, cookie=77, action=SET.VERIFY_AND_SAVE)
    assert primary.read_table(T["fwd"]) == []  # the saved config's state
    primary.write([update(INSERT, fwd(0xA2))])
    assert primary.get_pipeline(1).cookie.cookie == 77  # Get answers the saved config (as BMv2)
    primary.set_pipeline(None, action=SET.COMMIT)
    got = [e.match[0].exact.value for e in primary.read_table(T["fwd"])]
    assert got == [b"\xa2"]


def test_14_verify_rejects_a_broken_p4info(shared, primary):
    """14 VERIFY: a config that cannot be realized -> INVALID_ARGUMENT; no state change."""
    bad = p4r.ForwardingPipelineConfig().p4info.__class__()
    bad.CopyFrom(P4INFO)
    bad.tables[0].action_refs.add(id=0x01999999)
    if shared.kind == "bmv2":  # PI does not cross-check P4Info references: VERIFY passes
        primary.set_pipeline(bad, BMV2_JSON, action=SET.VERIFY)
        return
    assert rpc_code(lambda: primary.set_pipeline(bad, BMV2_JSON, action=SET.VERIFY)) == C.INVALID_ARGUMENT


# ==== 9, 12, 13: Write / Read rules ================================================================
def test_9_1_2_modify_without_action_keeps_the_action(shared, primary):
    primary.write([update(INSERT, fwd(1, port=3))])
    e = fwd(1)
    e.ClearField("action")
    e.controller_metadata = 5
    if shared.kind == "bmv2":  # BMv2 requires the action
        assert update_code(lambda: primary.write([update(MODIFY, e)])) == C.INVALID_ARGUMENT
        return
    primary.write([update(MODIFY, e)])
    (got,) = primary.read_table(T["fwd"])
    assert got.action.action.params[0].value == b"\x03"


def test_12_delete_ignores_invalid_non_key_fields(shared, primary):
    """12 DELETE: "Any non-key parts of entity are ignored" (9.1: "even if they have nonsensical values")."""
    primary.write([update(INSERT, fwd(2))])
    e = fwd(2)
    e.action.action.action_id = 0x01999999
    e.action.action.params[0].value = b"\xff\xff"
    primary.write([update(DELETE, e)])
    assert primary.read_table(T["fwd"]) == []


def test_9_1_insert_into_keyless_table_is_invalid(shared, primary):
    e = p4r.TableEntry(table_id=T["keyless"])
    e.action.action.action_id = A["drop"]
    assert update_code(lambda: primary.write([update(INSERT, e)])) == spec_or_bmv2(shared, C.INVALID_ARGUMENT,
                                                                                   C.UNKNOWN)


def test_9_1_is_const_in_a_write_is_invalid(shared, primary):
    e = fwd(3)
    e.is_const = True
    if shared.kind == "bmv2":  # BMv2 ignores is_const in writes
        primary.write([update(INSERT, e)])
        return
    assert update_code(lambda: primary.write([update(INSERT, e)])) == C.INVALID_ARGUMENT


def test_9_1_2_action_scope_is_permission_denied(shared, primary):
    """9.1.2: a valid action outside its scope (TABLE_ONLY as default, DEFAULT_ONLY in an entry)."""
    default = p4r.TableEntry(table_id=T["acl"], is_default_action=True)
    default.action.action.action_id = A["drop"]  # @tableonly
    assert update_code(lambda: primary.write([update(MODIFY, default)])) == C.PERMISSION_DENIED
    e = fwd(4)
    e.action.action.action_id = A["fwd_miss"]  # @defaultonly
    e.action.action.ClearField("params")
    assert update_code(lambda: primary.write([update(INSERT, e)])) == C.PERMISSION_DENIED


def test_9_1_6_read_filters_by_action_and_controller_metadata(shared, primary):
    a1, a2 = acl(1, action="set_color"), acl(2, action="drop")
    a2.controller_metadata = 99
    primary.write([update(INSERT, a1), update(INSERT, a2)])
    q = p4r.TableEntry(table_id=T["acl"])
    q.action.action.action_id = A["drop"]
    hits = primary.read([p4r.Entity(table_entry=q)])
    if shared.kind == "bmv2":  # BMv2 ignores the action filter (and the controller_metadata one)
        assert len(hits) == 2 and len(primary.read([p4r.Entity(table_entry=p4r.TableEntry(
            table_id=T["acl"], controller_metadata=99))])) == 2
        return
    (hit,) = hits
    assert hit.table_entry.action.action.action_id == A["drop"]
    q = p4r.TableEntry(table_id=T["acl"], controller_metadata=99)
    (hit,) = primary.read([p4r.Entity(table_entry=q)])
    assert hit.table_entry.controller_metadata == 99


def test_13_2_read_of_an_empty_entity_is_invalid(shared, primary):
    """13.2: "The entity oneof field in the Entity message must always be set, or the server must
    return an INVALID_ARGUMENT error" (BMv2: UNKNOWN)."""
    code = rpc_code(lambda: primary.read([p4r.Entity()]))
    assert code == spec_or_bmv2(shared, C.INVALID_ARGUMENT, C.UNKNOWN)


# ==== 9.3 counters ==================================================================================
def _counter(index: int | None = None, packets: int | None = None, nbytes: int = 0) -> "p4r.Entity":
    e = p4r.Entity()
    ce = e.counter_entry
    ce.counter_id = PORT_COUNTER
    if index is not None:
        ce.index.index = index
    if packets is not None:
        ce.data.packet_count, ce.data.byte_count = packets, nbytes
    return e


def test_9_3_2_counter_entry_read_write(shared, primary):
    cells = primary.read([_counter()])
    assert len(cells) == 64 and all(c.counter_entry.data.packet_count == 0 for c in cells)
    primary.write([p4r.Update(type=MODIFY, entity=_counter(3, 7, 700))])
    (one,) = primary.read([_counter(3)])
    assert (one.counter_entry.data.packet_count, one.counter_entry.data.byte_count) == (7, 700)
    wildcard = p4r.Update(type=MODIFY, entity=_counter(None, 0, 0))  # no index: every cell (9.3.2)
    if shared.kind == "bmv2":
        assert update_code(lambda: primary.write([wildcard])) == C.UNIMPLEMENTED
        primary.write([p4r.Update(type=MODIFY, entity=_counter(3, 0, 0))])
    else:
        primary.write([wildcard])
    (one,) = primary.read([_counter(3)])
    assert one.counter_entry.data.packet_count == 0
    assert update_code(lambda: primary.write([p4r.Update(type=INSERT, entity=_counter(1, 1))])) == C.INVALID_ARGUMENT
    code = update_code(lambda: primary.write([p4r.Update(type=MODIFY, entity=_counter(64, 1))]))
    assert code == spec_or_bmv2(shared, C.OUT_OF_RANGE, C.UNKNOWN)
    assert rpc_code(lambda: primary.read([_counter(64)])) == spec_or_bmv2(shared, C.OUT_OF_RANGE, C.UNKNOWN)


def test_9_3_1_direct_counter(shared, primary):
    e = fwd(5)
    e.counter_data.packet_count, e.counter_data.byte_count = 3, 300
    primary.write([update(INSERT, e)])
    q = p4r.TableEntry(table_id=T["fwd"])
    q.counter_data.SetInParent()  # 9.1.7: ask for the counter with the entry
    (got,) = primary.read([p4r.Entity(table_entry=q)])
    assert got.table_entry.counter_data.packet_count == 3
    dce = p4r.Entity()
    dce.direct_counter_entry.table_entry.CopyFrom(fwd(5))
    dce.direct_counter_entry.table_entry.ClearField("action")
    dce.direct_counter_entry.data.packet_count = 9
    primary.write([p4r.Update(type=MODIFY, entity=dce)])
    read_q = p4r.Entity()
    read_q.direct_counter_entry.table_entry.CopyFrom(dce.direct_counter_entry.table_entry)
    (got,) = primary.read([read_q])
    assert got.direct_counter_entry.data.packet_count == 9
    assert update_code(lambda: primary.write([p4r.Update(type=INSERT, entity=dce)])) == C.INVALID_ARGUMENT
    missing = p4r.Entity()
    missing.direct_counter_entry.table_entry.CopyFrom(fwd(6))
    missing.direct_counter_entry.table_entry.ClearField("action")
    assert rpc_code(lambda: primary.read([missing])) == spec_or_bmv2(shared, C.NOT_FOUND, C.INVALID_ARGUMENT)
    # unset in the query: the answer carries no counter (read-write symmetry, 9.1.7)
    (plain,) = primary.read_table(T["fwd"])
    assert not plain.HasField("counter_data")


# ==== 9.4 meters ====================================================================================
def test_9_4_2_meter_entry_config(shared, primary):
    me = p4r.Entity()
    me.meter_entry.meter_id = PORT_METER
    me.meter_entry.index.index = 2
    me.meter_entry.config.CopyFrom(p4r.MeterConfig(cir=1000, cburst=100, pir=2000, pburst=200))
    primary.write([p4r.Update(type=MODIFY, entity=me)])
    q = p4r.Entity()
    q.meter_entry.meter_id = PORT_METER
    q.meter_entry.index.index = 2
    (got,) = primary.read([q])
    assert got.meter_entry.config.pir == 2000 and got.meter_entry.config.cburst == 100
    assert len(primary.read([p4r.Entity(meter_entry=p4r.MeterEntry(meter_id=PORT_METER))])) == 32
    assert update_code(lambda: primary.write([p4r.Update(type=DELETE, entity=me)])) == C.INVALID_ARGUMENT


def test_9_4_1_direct_meter(shared, primary):
    e = acl(7)
    e.meter_config.CopyFrom(p4r.MeterConfig(cir=10, cburst=1, pir=20, pburst=2))
    primary.write([update(INSERT, e)])
    q = p4r.Entity()
    q.direct_meter_entry.table_entry.CopyFrom(acl(7))
    q.direct_meter_entry.table_entry.ClearField("action")
    (got,) = primary.read([q])
    assert got.direct_meter_entry.config.pir == 20
    bad = acl(8)
    bad.counter_data.packet_count = 1  # acl has a direct meter, no direct counter
    assert update_code(lambda: primary.write([update(INSERT, bad)])) == C.INVALID_ARGUMENT


# ==== 9.7 registers ==================================================================================
def test_9_7_register_entry(shared, primary):
    w = p4r.Entity()
    w.register_entry.register_id = LAST_LEN
    w.register_entry.index.index = 4
    w.register_entry.data.bitstring = (1234).to_bytes(4, "big")
    if shared.kind == "bmv2":  # PI: "Register writes are not supported yet"; reads work
        assert update_code(lambda: primary.write([p4r.Update(type=MODIFY, entity=w)])) == C.UNIMPLEMENTED
        w.register_entry.ClearField("data")
        assert rpc_code(lambda: primary.read([w])) == C.UNIMPLEMENTED  # "Register reads are not supported yet"
        return
    primary.write([p4r.Update(type=MODIFY, entity=w)])
    q = p4r.Entity()
    q.register_entry.register_id = LAST_LEN
    q.register_entry.index.index = 4
    (got,) = primary.read([q])
    assert int.from_bytes(got.register_entry.data.bitstring, "big") == 1234
    assert len(primary.read([p4r.Entity(register_entry=p4r.RegisterEntry(register_id=LAST_LEN))])) == 16
    q.register_entry.index.index = 16
    assert rpc_code(lambda: primary.read([q])) == C.OUT_OF_RANGE


# ==== 9.8 digests ====================================================================================
def test_9_8_digest_entry_insert_modify_delete(shared, primary):
    d = p4r.Entity()
    d.digest_entry.digest_id = DIGEST
    d.digest_entry.config.max_timeout_ns = 1_000_000
    d.digest_entry.config.max_list_size = 10
    assert update_code(lambda: primary.write([p4r.Update(type=MODIFY, entity=d)])) == C.NOT_FOUND  # not enabled
    primary.write([p4r.Update(type=INSERT, entity=d)])
    d.digest_entry.config.max_list_size = 5
    primary.write([p4r.Update(type=MODIFY, entity=d)])
    (got,) = primary.read([p4r.Entity(digest_entry=p4r.DigestEntry(digest_id=DIGEST))])
    assert got.digest_entry.config.max_list_size == 5
    primary.write([p4r.Update(type=DELETE, entity=d)])
    # reading one digest that is not enabled: the spec is silent; PI answers NOT_FOUND, so do we
    assert rpc_code(lambda: primary.read([p4r.Entity(digest_entry=p4r.DigestEntry(digest_id=DIGEST))])) \
        == C.NOT_FOUND
    wildcard = p4r.Entity(digest_entry=p4r.DigestEntry())
    if shared.kind == "bmv2":  # "digest_id must be set when reading DigestEntry"
        assert rpc_code(lambda: primary.read([wildcard])) == C.UNIMPLEMENTED
    else:
        assert primary.read([wildcard]) == []  # 13.2 wildcard: none enabled


# ==== 9.1.8 / 16.4 idle timeout ========================================================================
def test_9_1_8_idle_timeout_only_where_supported(shared, primary):
    e = fwd(9)
    e.idle_timeout_ns = 10**9
    assert update_code(lambda: primary.write([update(INSERT, e)])) == C.INVALID_ARGUMENT
    primary.write([update(INSERT, smac(9, ttl_ns=10**9))])
    q = p4r.TableEntry(table_id=T["smac"])
    q.time_since_last_hit.SetInParent()
    (got,) = primary.read([p4r.Entity(table_entry=q)])
    assert got.table_entry.idle_timeout_ns == 10**9 and got.table_entry.HasField("time_since_last_hit")


def test_16_4_idle_timeout_notification(shared, primary):
    """16.4: an entry not hit for its TTL is reported to the primary, key and TTL set."""
    primary.write([update(INSERT, smac(0xBEEF, ttl_ns=200_000_000))])
    note = primary.next_stream("idle_timeout_notification", timeout=10).idle_timeout_notification
    (te,) = note.table_entry
    assert te.table_id == T["smac"] and te.match[0].exact.value == b"\xbe\xef"
    assert te.idle_timeout_ns == 200_000_000 and note.timestamp > 0
    primary.write([update(DELETE, smac(0xBEEF))])


# ==== 5 with the controller: omniplan's finsy southbound fails over without two writers =========
def test_5_controller_failover_backup_takes_over_only_by_re_arbitrating(tmp_path):
    """Two controllers (election ids 20 and 10) on one omniplan-switch: while A is primary only A
    writes; when A dies the switch promotes nobody, and B writes only after it re-arbitrates with an
    id above the highest the switch has seen (our southbound bids highest + 1); when A returns with
    its old id it is a backup and cannot write."""
    import asyncio

    from google.protobuf import text_format

    from controller.config import SwitchConfig
    from controller.deploy import INSERT as OP_INSERT
    from controller.southbound import Southbound, SouthboundError
    from controller.testing import start_switch, wait_for
    from p4src.entries import Match, TableEntry

    p4info_path = tmp_path / "conformance.p4info.txtpb"
    p4info_path.write_text(text_format.MessageToString(P4INFO))
    sw = start_switch("s1", DEVICE)
    macs = itertools.count(1)

    def controller(election_id: int) -> Southbound:
        return Southbound([SwitchConfig("s1", DEVICE, sw.address, "s1", {}, election_id=election_id)], p4info=p4info_path)

    async def writers(*sbs: Southbound) -> list[int]:
        ok = []
        for sb in sbs:
            entry = TableEntry("Ing.fwd", (Match("hdr.eth.dst", "exact", next(macs)),), "Ing.forward", (("port", 1),))
            try:
                await sb.drivers["s1"].write([(OP_INSERT, entry)])
                ok.append(sb.drivers["s1"].switch.election_id)
            except SouthboundError as exc:
                assert "PERMISSION_DENIED" in str(exc) or "primary" in str(exc).lower(), exc
        return ok

    async def main() -> None:
        a, b = controller(20), controller(10)
        started = []
        try:
            for sb in (a, b):
                await sb.start()
                started.append(sb)
                await wait_for(lambda: sb.drivers["s1"].ready, 15)
            assert await writers(a, b) == [20]
            await a.stop()  # controller A dies: its stream closes
            started.remove(a)
            await wait_for(lambda: b.drivers["s1"].switch.is_primary, 15)
            b_id = b.drivers["s1"].switch.election_id
            assert b_id > 20  # it re-arbitrated above the departed primary's id; nobody promoted it
            assert await writers(b) == [b_id]
            a2 = controller(20)  # A comes back with its old id
            await a2.start()
            started.append(a2)
            await wait_for(lambda: a2.drivers["s1"].ready, 15)
            assert not a2.drivers["s1"].switch.is_primary and a2.drivers["s1"].switch.election_id < b_id
            assert await writers(a2, b) == [b_id] and b.drivers["s1"].switch.is_primary
        finally:
            for sb in started:
                await sb.stop()

    try:
        asyncio.run(main())
    finally:
        sw.proc.terminate()
        sw.proc.wait(timeout=10)
        sw.proc.stdout.close()


# ==== 9.8 digest lists on the stream (omniplan-switch; the data plane's digest() call in-process) =====
def test_9_8_digest_lists_sizes_timeouts_and_acks():
    """9.8: a list goes out at max_list_size distinct messages or max_timeout_ns after the first;
    duplicates of buffered or sent-but-unacknowledged messages are dropped until the list is
    acknowledged (DigestListAck) or ack_timeout_ns passes; without a DigestEntry nothing is sent.
    Digests are emitted by the program's data plane, so this runs in-process on omniplan-switch
    (BMv2 would need packets on real ports to emit one)."""
    from softswitch.embedded import EmbeddedSwitch

    def msg(mac: int) -> "p4d.P4Data":
        d = p4d.P4Data()
        d.struct.members.add().bitstring = mac.to_bytes(6, "big")
        d.struct.members.add().bitstring = b"\x01"
        return d

    def config(kind: int, size: int, timeout_ns: int, ack_ns: int = 10**10) -> "p4r.Update":
        e = p4r.Entity()
        e.digest_entry.digest_id = DIGEST
        e.digest_entry.config.max_list_size, e.digest_entry.config.max_timeout_ns = size, timeout_ns
        e.digest_entry.config.ack_timeout_ns = ack_ns
        return p4r.Update(type=kind, entity=e)

    with EmbeddedSwitch(device_id=DEVICE) as sw, P4RuntimeClient(sw.address, device_id=DEVICE, election_id=3) as c:
        c.arbitrate()
        c.set_pipeline(P4INFO, BMV2_JSON)
        emit = lambda mac: sw.call(sw.switch.notifier.digest, DIGEST, msg(mac))  # noqa: E731
        emit(0xA)  # no DigestEntry yet: dropped
        c.write([config(INSERT, 2, 10**10)])
        emit(0xB)
        emit(0xB)  # duplicate of a buffered message
        emit(0xC)
        first = c.next_stream("digest").digest
        assert first.digest_id == DIGEST and [d.struct.members[0].bitstring for d in first.data] == [
            (0xB).to_bytes(6, "big"), (0xC).to_bytes(6, "big")]
        emit(0xB)  # sent, not acknowledged: still in the cache
        emit(0xD)  # buffered alone: neither full nor timed out
        assert no_message(c, "digest", 0.3)
        ack = p4r.StreamMessageRequest()
        ack.digest_ack.digest_id, ack.digest_ack.list_id = DIGEST, first.list_id
        c.send_stream(ack)
        deadline = time.monotonic() + 10  # the ack travels the stream: wait until the switch took it
        while sw.call(lambda: bool(sw.switch.notifier.cache)) and time.monotonic() < deadline:
            time.sleep(0.02)
        emit(0xB)  # acknowledged: a new message again; with 0xD the buffer is full
        second = c.next_stream("digest").digest
        assert [d.struct.members[0].bitstring for d in second.data] == [(0xD).to_bytes(6, "big"), (0xB).to_bytes(6, "big")]
        assert second.list_id != first.list_id
        c.write([config(MODIFY, 100, 50_000_000)])  # 50 ms buffering
        emit(0xE)
        third = c.next_stream("digest", timeout=5).digest
        assert len(third.data) == 1 and third.data[0].struct.members[0].bitstring == (0xE).to_bytes(6, "big")
        c.write([config(DELETE, 0, 0)])
        emit(0xF)
        assert no_message(c, "digest", 0.3)


def test_committed_program_is_p4c_output(tmp_path):
    """The committed P4Info is what p4c-bm2-ss makes of conformance.p4 (so both switches load p4c's
    P4Info, not a hand-written one)."""
    toolchain = pytest.importorskip("p4src.toolchain")
    try:
        built = toolchain.compile_inml(out_dir=tmp_path, source=PROGRAM.with_suffix(".p4"))
    except FileNotFoundError as exc:
        pytest.skip(f"p4c is not installed: {exc}")
    assert built.returncode == 0, built.output
    assert load_p4info(built.p4info_path) == P4INFO
