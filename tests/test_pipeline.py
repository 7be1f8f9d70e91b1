"""The Python twin executes inml.p4's semantics: bit layout, selection rules, actions, recirculation,
plain L2 traffic, controller packet-in/out, entry validation and snapshot invalidation."""

from __future__ import annotations

import pytest

from p4src import layout
from p4src.entries import DefaultAction, Match, TableEntry
from p4src.p4info import ActionSchema, KeyField, Schema, TableSchema
from p4src.pipeline import CPU_PORT, InferencePipeline, PipelineError, _Table, build_packet, parse_inml

TID, VER = 9, 3


def sel(visit, tid=TID, ver=VER):
    return (Match("hdr.inml.task_id", "exact", tid), Match("hdr.inml.version", "exact", ver),
            Match("hdr.inml.visit", "exact", visit))


def dispatch(ver=VER, tid=TID):
    return TableEntry("MyIngress.dispatch", (Match("hdr.inml.task_id", "exact", tid),), "MyIngress.stamp",
                      (("version", ver), ("visit", 1)))


def route(visit, port=5, ver=VER, action="MyIngress.deliver", **kw):
    params = (("port", port),) if action == "MyIngress.deliver" else tuple(kw.items())
    return TableEntry("MyIngress.route", sel(visit, ver=ver), action, params)


def tables(*entries):
    out = {}
    for e in entries:
        out.setdefault(e.table, []).append(e)
    return out


def run(entries, pkt, port=1, defaults=None):
    return InferencePipeline().process(pkt, port, tables(*entries), defaults)


def test_header_is_parsed_and_deparsed_bit_exactly():
    feats = [0x1234, 0xABCD, 7]
    pkt = build_packet(TID, feats, label=0x0102, flags=0x80, regs=(5 << 1000) | 3, payload=b"tail")
    assert len(pkt) == 14 + layout.INML_BYTES + 4
    assert pkt[12:14] == b"\x88\xb5" and pkt[14:16] == TID.to_bytes(2, "big")
    assert pkt[22:28] == bytes.fromhex("1234abcd0007")  # feature 0 first, 16 bits each
    [(port, out)] = run([dispatch(), route(1)], pkt)
    assert port == 5
    h = parse_inml(out)
    assert (h.task_id, h.version, h.visit, h.label, h.flags) == (TID, VER, 1, 0x0102, 0x80)
    assert h.regs == (5 << 1000) | 3 and out.endswith(b"tail")
    # only version (byte 16) and visit (bytes 17-18) changed
    diff = [i for i, (a, b) in enumerate(zip(pkt, out)) if a != b]
    assert set(diff) <= {16, 17, 18} and len(out) == len(pkt)


def _stage(i, visit, action, params, prio=1, rng=None, tern=None):
    m = sel(visit)
    if rng:
        m += (Match(f"meta.key{i}", "range", rng[0], high=rng[1]),)
    if tern:
        m += (Match("hdr.inml_regs.regs", "ternary", tern[0], mask=tern[1]),)
    return TableEntry(f"MyIngress.stage{i}", m, action, tuple(params.items()), priority=prio)


def _select(visit, **features):
    return TableEntry("MyIngress.key_select", sel(visit), "MyIngress.select_keys",
                      tuple((f"feature{i}", features.get(f"s{i}", 0)) for i in range(layout.NUM_STAGES)))


def test_range_key_staging_and_higher_priority_wins():
    ents = [dispatch(), _select(1, s2=1), route(1),
            _stage(2, 1, "MyIngress.set_label", {"label": 1}, prio=1, rng=(0, 100)),
            _stage(2, 1, "MyIngress.set_label", {"label": 2}, prio=10, rng=(50, 60))]
    for value, label in ((55, 2), (70, 1), (50, 2), (101, 0)):
        [(_, out)] = run(ents, build_packet(TID, [999, value]))
        h = parse_inml(out)
        assert h.label == label, value
        assert bool(h.flags & layout.FLAG_DONE) == (label != 0)


def test_ternary_priority_and_insertion_order_tie_break():
    lane1 = 0xFF << layout.LANE_BITS
    ents = [dispatch(), route(1),
            _stage(0, 1, "MyIngress.set_label", {"label": 7}, prio=5, tern=(0, 0xF)),
            _stage(0, 1, "MyIngress.set_label", {"label": 8}, prio=9, tern=(0x20 << layout.LANE_BITS, lane1)),
            _stage(0, 1, "MyIngress.set_label", {"label": 9}, prio=9, tern=(0, 0x10))]
    label = lambda regs: parse_inml(run(ents, build_packet(TID, [], regs=regs))[0][1]).label
    assert label((0x20 << layout.LANE_BITS) | 0x3) == 8  # prio 9 beats 5; first-inserted of the 9s
    assert label(0x3) == 9  # only the 5 and the second 9 match
    assert label(0x1F) == 0  # nothing matches: NoAction


def test_add_set_bits_argmax_and_recirculation():
    vec = layout.pack_lanes([5, 9, 9])
    code_mask = 0xF << layout.CODE_BASE
    ents = [dispatch(),
            _stage(0, 1, "MyIngress.add_vec", {"value": vec}),
            _stage(1, 1, "MyIngress.set_bits", {"mask": code_mask, "value": 0xA << layout.CODE_BASE}),
            TableEntry("MyIngress.route", sel(1), "MyIngress.recirculate_pass", (("next_visit", 2),)),
            _stage(0, 2, "MyIngress.add_vec", {"value": layout.pack_lanes([0, 0, 1])}),
            _stage(3, 2, "MyIngress.argmax_label", {"lanes": 3}),
            route(2)]
    [(port, out)] = run(ents, build_packet(TID, [], regs=0xF << layout.CODE_BASE | layout.pack_lanes([1])))
    h = parse_inml(out)
    assert port == 5 and h.visit == 2
    assert layout.unpack_lanes(h.regs, 3) == [6, 9, 10] and (h.regs >> layout.CODE_BASE) & 0xF == 0xA
    assert h.label == 2 and h.flags & layout.FLAG_DONE
    # argmax ties go to the lowest lane
    ents[4] = _stage(0, 2, "MyIngress.add_vec", {"value": 0})
    h = parse_inml(run(ents, build_packet(TID, []))[0][1])
    assert h.label == 1


def test_l2_plain_traffic_drop_and_packet_in():
    frame = (0x0A0000000002).to_bytes(6, "big") + (0x0A0000000001).to_bytes(6, "big") + b"\x08\x00" + b"x" * 30
    l2 = TableEntry("MyIngress.l2_fwd", (Match("hdr.ethernet.dstAddr", "exact", 0x0A0000000002),),
                    "MyIngress.l2_forward", (("port", 3),))
    assert run([l2], frame) == [(3, frame)]
    other = frame.replace(b"\x0a\x00\x00\x00\x00\x02", b"\x0a\x00\x00\x00\x00\x07", 1)
    assert run([l2], other) == []  # default drop
    out = run([l2], other, port=4, defaults={"MyIngress.l2_fwd": DefaultAction("MyIngress.l2_fwd", "MyIngress.send_to_cpu")})
    assert out == [(CPU_PORT, ((4 << 7).to_bytes(2, "big")) + other)]
    # an inml packet whose route misses is dropped; a short one is plain traffic
    assert run([dispatch()], build_packet(TID, [1])) == []
    short = build_packet(TID, [1])[:40]
    assert run([TableEntry("MyIngress.l2_fwd", (Match("hdr.ethernet.dstAddr", "exact", 0x020000000002),),
                           "MyIngress.l2_forward", (("port", 2),))], short) == [(2, short)]


def test_packet_out_goes_to_the_named_port_without_tables():
    frame = bytes(14) + b"hello"
    assert run([], ((6 << 7).to_bytes(2, "big")) + frame, port=CPU_PORT) == [(6, frame)]


def test_make_before_break_switch_over_and_snapshot_invalidation():
    pipe = InferencePipeline()
    state = tables(dispatch(ver=1), route(1, port=11, ver=1), route(1, port=22, ver=2))
    pkt = build_packet(TID, [])
    assert pipe.process(pkt, 1, state)[0][0] == 11
    state["MyIngress.dispatch"][0] = dispatch(ver=2)  # in-place replacement: same list object
    assert pipe.process(pkt, 1, state)[0][0] == 22
    # a packet already stamped with version 1 still finishes on the old entries
    assert pipe.process(build_packet(TID, [], version=1, visit=1), 1, state)[0][0] == 11


@pytest.mark.parametrize("bad,needle", [
    (TableEntry("MyIngress.nope", (), "NoAction"), "no table"),
    (TableEntry("MyIngress.route", sel(1), "MyIngress.set_label", (("label", 1),)), "not one of"),
    (TableEntry("MyIngress.route", sel(1)[:2], "MyIngress.drop"), "missing"),
    (TableEntry("MyIngress.route", sel(1), "MyIngress.deliver", (("port", 600),)), "does not fit 9 bits"),
    (TableEntry("MyIngress.route", sel(1), "MyIngress.deliver", ()), "missing parameter"),
    (TableEntry("MyIngress.dispatch", (Match("hdr.inml.task_id", "exact", 1 << 16),), "MyIngress.drop"), "wider than 16"),
    (TableEntry("MyIngress.stage0", sel(1) + (Match("meta.key0", "ternary", 1, mask=1),), "NoAction"), "ternary match on a range"),
])
def test_bad_entries_are_rejected_by_name(bad, needle):
    with pytest.raises(PipelineError, match=needle):
        InferencePipeline().process(build_packet(TID, []), 1, tables(bad))


def test_lpm_longest_prefix_wins_regardless_of_order():
    schema = Schema("t", {}, {"A": ActionSchema(1, "A", (("v", 8),))})
    ts = TableSchema(1, "T", (KeyField(1, "ip", "lpm", 32),), ("A",), 16)
    ents = [TableEntry("T", (Match("ip", "lpm", 0x0A000000, prefix_len=8),), "A", (("v", 1),)),
            TableEntry("T", (Match("ip", "lpm", 0x0A010000, prefix_len=16),), "A", (("v", 2),)),
            TableEntry("T", (Match("ip", "lpm", 0x0A010200, prefix_len=24),), "A", (("v", 3),))]
    for order in (ents, ents[::-1]):
        t = _Table(ts, schema, order, ("NoAction", {}))
        assert t.lookup((0x0A010203,)) == ("A", {"v": 3})
        assert t.lookup((0x0A01FF00,)) == ("A", {"v": 2})
        assert t.lookup((0x0AFF0000,)) == ("A", {"v": 1})
        assert t.lookup((0x0B000000,)) == ("NoAction", {})
