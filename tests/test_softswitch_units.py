"""Small pieces of the soft switch on their own: byte strings, controller headers, P4Info checks,
the entry encoder, and arbitration bookkeeping (no gRPC)."""

from __future__ import annotations

import grpc
import pytest

from p4src.entries import DefaultAction, Match, TableEntry
from softswitch.arbitration import Arbiter, Connection
from softswitch.bytestrings import canonical, decode, encode
from softswitch.codec import INSERT, EntryCodec, encode_entry
from softswitch.dataplane import pack_header, unpack_header
from softswitch.demo_p4info import FWD, demo_p4info
from softswitch.errors import P4RuntimeError
from softswitch.p4info import P4InfoIndex, parse_p4info_text
from softswitch.proto import p4r


def test_bytestrings_accept_both_forms_and_reject_overflow():
    assert decode(b"\x00\x00\x05", 9, "x") == decode(b"\x05", 9, "x") == 5
    assert canonical(b"\x00\x00\x05") == b"\x05" and canonical(b"\x00\x00") == b"\x00"
    assert encode(0) == b"\x00" and encode(256) == b"\x01\x00"
    with pytest.raises(P4RuntimeError) as info:
        decode(b"\x02\x00", 9, "port")
    assert info.value.code == grpc.StatusCode.OUT_OF_RANGE and "9 bits" in info.value.message
    with pytest.raises(P4RuntimeError) as info:
        decode(b"", 9, "port")
    assert info.value.code == grpc.StatusCode.INVALID_ARGUMENT


def test_controller_header_packing_matches_p4_bit_order():
    meta = P4InfoIndex(demo_p4info()).packet_metadata["packet_out"]  # egress_port:9, _pad:7
    assert pack_header(meta, {"egress_port": 3}) == (3 << 7).to_bytes(2, "big")
    fields, rest = unpack_header(meta, (0x1FF << 7).to_bytes(2, "big") + b"payload")
    assert fields == {"egress_port": 0x1FF, "_pad": 0} and rest == b"payload"


@pytest.mark.parametrize("mutation,text", [
    ('actions { preamble { id: 16777217 name: "dup" } }', "duplicate id 16777217"),
    ('tables { preamble { id: 33554499 name: "t" } action_refs { id: 5 } }', "unknown action id 5"),
    ('tables { preamble { id: 33554498 name: "t2" } match_fields { id: 1 name: "f" bitwidth: 0 '
     'match_type: EXACT } }', "bitwidth 0"),
])
def test_inconsistent_p4info_is_rejected(mutation, text):
    from softswitch.demo_p4info import DEMO_P4INFO_TEXT

    with pytest.raises(P4RuntimeError) as info:
        P4InfoIndex(parse_p4info_text(DEMO_P4INFO_TEXT + mutation))
    assert info.value.code == grpc.StatusCode.INVALID_ARGUMENT and text in info.value.message


def test_p4info_text_errors_name_the_line():
    with pytest.raises(P4RuntimeError) as info:
        parse_p4info_text("tables {\n  preamble { id: x }\n}", "prog.p4info.txtpb")
    assert "prog.p4info.txtpb" in info.value.message and "2:" in info.value.message


def test_encode_entry_roundtrips_through_the_decoder():
    index = P4InfoIndex(demo_p4info())
    entry = TableEntry("Ingress.acl", (Match("hdr.ipv4.proto", "optional", 6),
                                       Match("hdr.ipv4.src", "ternary", 0x0A000000, mask=0xFF000000),
                                       Match("hdr.tcp.dport", "range", 80, high=443)), "Ingress.forward",
                       (("port", 7),), priority=3)
    decoded = EntryCodec(index).decode_write(encode_entry(index, entry), INSERT)
    assert decoded.entry == entry
    default = encode_entry(index, DefaultAction("Ingress.fwd", "NoAction"))
    assert default.is_default_action and default.table_id == FWD
    with pytest.raises(P4RuntimeError):
        encode_entry(index, TableEntry("Ingress.nope", (), "NoAction"))


def _arb(device: int, eid: int, role: str = "") -> "p4r.MasterArbitrationUpdate":
    u = p4r.MasterArbitrationUpdate(device_id=device, election_id=p4r.Uint128(low=eid))
    if role:
        u.role.name = role
    return u


def _last_status(conn: Connection) -> tuple[int, int]:
    msg = None
    while not conn.out.empty():
        msg = conn.out.get_nowait()
    return msg.arbitration.status.code, msg.arbitration.election_id.low


def test_arbiter_primary_per_role_and_no_promotion():
    arb = Arbiter(device_id=1)
    a, b, c = Connection(peer="a"), Connection(peer="b"), Connection(peer="c")
    arb.arbitrate(a, _arb(1, 10))
    arb.arbitrate(b, _arb(1, 20))
    assert _last_status(a) == (grpc.StatusCode.ALREADY_EXISTS.value[0], 20)
    assert _last_status(b) == (0, 20)
    arb.arbitrate(c, _arb(1, 5, role="reader"))
    assert arb.primary("reader") is c and arb.primary("") is b
    arb.remove(b)  # spec 5: no promotion; the backup hears NOT_FOUND with the highest id ever seen
    assert arb.primary("") is None and _last_status(a) == (grpc.StatusCode.NOT_FOUND.value[0], 20)
    arb.arbitrate(a, _arb(1, 20))  # re-arbitrating with the highest id takes over
    assert arb.primary("") is a and _last_status(a) == (0, 20)
    with pytest.raises(P4RuntimeError) as info:
        arb.arbitrate(Connection(), _arb(1, 20))
    assert info.value.code == grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(P4RuntimeError) as info:
        arb.arbitrate(a, _arb(1, 10, role="reader"))
    assert info.value.code == grpc.StatusCode.FAILED_PRECONDITION
    with pytest.raises(P4RuntimeError) as info:
        arb.arbitrate(Connection(), _arb(2, 99))
    assert info.value.code == grpc.StatusCode.NOT_FOUND
