"""inml.p4 agrees with its P4Info (the p4c output, recompiled and compared when p4c is present) and with layout.py."""

from __future__ import annotations

import re

import pytest

from finsy.proto import p4i

from p4src import layout
from p4src.p4info import P4_PATH, PROGRAM_NAME, inml_schema, load_p4info
from p4src.p4parse import parse_p4
from p4src.pipeline import InferencePipeline

P4 = parse_p4(P4_PATH.read_text())
INFO = load_p4info()
_KIND = {p4i.MatchField.EXACT: "exact", p4i.MatchField.TERNARY: "ternary", p4i.MatchField.RANGE: "range",
         p4i.MatchField.LPM: "lpm", p4i.MatchField.OPTIONAL: "optional"}


def test_program_name_matches_pkg_info():
    assert INFO.pkg_info.name == PROGRAM_NAME == InferencePipeline.PROGRAM_NAME
    assert INFO.pkg_info.arch == "v1model"


def test_tables_keys_sizes_and_action_refs_agree():
    actions_by_id = {a.preamble.id: a.preamble.name for a in INFO.actions}
    info_tables = {t.preamble.name: t for t in INFO.tables}
    assert set(info_tables) == set(P4.tables)
    for name, t in P4.tables.items():
        it = info_tables[name]
        assert it.preamble.alias == name.split(".")[-1]
        got = [(m.name, _KIND[m.match_type], m.bitwidth) for m in it.match_fields]
        assert got == t.keys, name
        assert [m.id for m in it.match_fields] == list(range(1, len(t.keys) + 1))
        assert it.size == t.size, name
        refs = [actions_by_id[r.id] for r in it.action_refs]
        want = [a if a == "NoAction" else f"MyIngress.{a}" for a in t.actions]
        assert refs == want, name


def test_actions_and_parameters_agree():
    info_actions = {a.preamble.name: a for a in INFO.actions}
    hidden = {f"MyIngress.{n}" for n in re.findall(r"@hidden\s+action\s+(\w+)", P4_PATH.read_text())}
    declared = {n: p for n, p in P4.actions.items() if n.startswith("MyIngress.") and n not in hidden}
    assert set(info_actions) - {"NoAction"} == set(declared)
    for name, params in declared.items():
        a = info_actions[name]
        assert [(p.name, p.bitwidth) for p in a.params] == params, name
        assert [p.id for p in a.params] == list(range(1, len(params) + 1))


def test_ids_follow_p4runtime_prefixes_and_are_unique():
    ids = [t.preamble.id for t in INFO.tables] + [a.preamble.id for a in INFO.actions] + \
          [c.preamble.id for c in INFO.controller_packet_metadata]
    assert len(ids) == len(set(ids))
    assert all(t.preamble.id >> 24 == 0x02 for t in INFO.tables)
    assert all(a.preamble.id >> 24 == 0x01 for a in INFO.actions)
    assert all(c.preamble.id >> 24 == 0x04 for c in INFO.controller_packet_metadata)


def test_controller_headers_agree():
    cpm = {c.preamble.name: [(m.name, m.bitwidth) for m in c.metadata] for c in INFO.controller_packet_metadata}
    assert cpm["packet_in"] == P4.headers["packet_in_t"]
    assert cpm["packet_out"] == P4.headers["packet_out_t"]


def test_header_layout_matches_layout_module():
    inml = dict(P4.headers["inml_t"])
    assert list(inml) == ["task_id", "version", "visit", "label", "flags"]
    assert inml["task_id"] == layout.TASK_ID_BITS and inml["version"] == layout.VERSION_BITS
    assert inml["visit"] == layout.VISIT_BITS and inml["label"] == layout.LABEL_BITS
    assert inml["flags"] == layout.FLAGS_BITS
    # the feature stack and the regs header follow inml_t on the wire
    assert P4.headers["feature_t"] == [("value", layout.FEATURE_BITS)]
    assert P4.constants["NUM_FEATURES"] == layout.NUM_FEATURES
    assert P4.headers["inml_regs_t"] == [("regs", layout.REGS_BITS)]
    assert sum(inml.values()) + layout.FEATURES_FIELD_BITS + layout.REGS_BITS == layout.INML_BYTES * 8
    assert P4.constants["TYPE_INML"] == layout.INML_ETHERTYPE and P4.constants["CPU_PORT"] == layout.CPU_PORT
    assert P4.constants["FLAG_DONE"] == layout.FLAG_DONE
    stages = [n for n in P4.tables if n.startswith("MyIngress.stage")]
    assert stages == [f"MyIngress.stage{i}" for i in range(layout.NUM_STAGES)]
    sel = P4.actions["MyIngress.select_keys"]
    assert sel == [(f"feature{i}", 6) for i in range(layout.NUM_STAGES)]
    assert 1 << 6 == layout.NUM_FEATURES  # every index a bit<6> parameter can hold is in the stack
    # the argmax block reads every lane at the layout's positions
    src = P4_PATH.read_text()
    for k in range(layout.NUM_LANES):
        lo = k * layout.LANE_BITS
        assert f"inml_regs.regs[{lo + layout.LANE_BITS - 1}:{lo}]" in src


def test_schema_used_by_the_twin_is_the_p4info():
    s = inml_schema()
    assert s.program == PROGRAM_NAME
    assert [k.name for k in s.tables["MyIngress.stage0"].keys] == [k[0] for k in P4.tables["MyIngress.stage0"].keys]


def test_p4c_compiles_cleanly_and_the_committed_p4info_is_its_output(tmp_path):
    """The reference compiler (p4c-bm2-ss, v1model) accepts inml.p4 with no warning, and the
    committed P4Info is byte for byte what it emits (so nothing hand-written can drift)."""
    from p4src.toolchain import COMMITTED_P4INFO, COMPILER, HOW_TO_GET, compile_inml, find_toolchain

    tc = find_toolchain()
    if tc.compiler is None:
        pytest.skip(f"{COMPILER} not installed: {HOW_TO_GET}")
    res = compile_inml(tmp_path, toolchain=tc)
    assert res.returncode == 0, res.output
    assert res.output == "", f"p4c printed warnings:\n{res.output}"
    assert res.p4info_path.read_bytes() == COMMITTED_P4INFO.read_bytes(), \
        "p4src/inml.p4info.txtpb differs from p4c's output: run `make p4` and copy p4src/build/inml.p4info.txtpb over it"
    assert res.json_path.stat().st_size > 0
