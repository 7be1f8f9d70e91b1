"""Switch list file (controller/config.py) and the deploy diff, which need no switch."""

from __future__ import annotations

import pytest

from controller.config import load_switches, parse_switches, port_map, validate_against
from controller.deploy import diff, phase_ops
from omniplan.errors import InputError
from omniplan.topology import line
from p4src.entries import Match, TableEntry

GOOD = """
format: omniplan-switches/1
switches:
  - {name: s1, device_id: 1, grpc: 127.0.0.1:50001, ports: {s2: 2, host: 1}}
  - {name: sw2, device_id: 2, grpc: 127.0.0.1:50002, device: s2, ports: {s1: 2, s3: 3}, election_id: 20}
  - {name: s3, device_id: 3, grpc: 127.0.0.1:50003, ports: {s2: 2}}
"""


def test_load_and_validate(tmp_path):
    path = tmp_path / "sw.yaml"
    path.write_text(GOOD)
    sws = load_switches(path)
    assert [s.device for s in sws] == ["s1", "s2", "s3"] and sws[1].election_id == 20
    validate_against(sws, line(3))
    assert port_map(sws)["s2"] == {"s1": 2, "s3": 3}


@pytest.mark.parametrize("doc, message", [
    ({"switches": []}, "switches: must be a non-empty list"),
    ({"switches": [{"name": "a", "device_id": 1}]}, "switches[0].grpc: missing"),
    ({"switches": [{"name": "a", "device_id": 1, "grpc": "x:1", "colour": 1}]}, "unknown field(s) colour"),
    ({"switches": [{"name": "a", "device_id": -1, "grpc": "x:1"}]}, "device_id: must be a non-negative integer"),
    ({"switches": [{"name": "a", "device_id": 1, "grpc": "x:1"}, {"name": "a", "device_id": 2, "grpc": "x:2"}]},
     "switch name 'a' used twice"),
    ({"switches": [{"name": "a", "device_id": 1, "grpc": "x:1", "ports": {"b": "two"}}]}, "port for 'b'"),
    ({"format": "v0", "switches": [{"name": "a", "device_id": 1, "grpc": "x:1"}]}, "unsupported format"),
])
def test_bad_switch_lists_name_the_field(doc, message):
    with pytest.raises(InputError) as info:
        parse_switches(doc, "sw.yaml")
    assert message in str(info.value) and "sw.yaml" in str(info.value)


def test_topology_mismatch_and_missing_ports():
    sws = parse_switches({"switches": [{"name": "s9", "device_id": 1, "grpc": "x:1"}]})
    with pytest.raises(InputError, match="no device 's9'"):
        validate_against(sws, line(3))
    sws = parse_switches({"switches": [{"name": "s1", "device_id": 1, "grpc": "x:1"},
                                       {"name": "s2", "device_id": 2, "grpc": "x:2", "ports": {"s1": 1}}]})
    with pytest.raises(InputError, match="switch s1: no port towards neighbour 's2'"):
        validate_against(sws, line(3))


def _e(table, task, version, action="a", value=0):
    ms = (Match("hdr.inml.task_id", "exact", task),)
    if version is not None:
        ms += (Match("hdr.inml.version", "exact", version),)
    return TableEntry(table, ms, action, (("v", value),))


def test_diff_and_phase_order():
    old = [_e("MyIngress.dispatch", 1, None, "stamp", 1), _e("MyIngress.route", 1, 1), _e("MyIngress.dispatch", 2, None, "stamp", 1)]
    new = [_e("MyIngress.dispatch", 1, None, "stamp", 2), _e("MyIngress.route", 1, 2), _e("MyIngress.dispatch", 3, None, "stamp", 2),
           _e("MyIngress.route", 3, 2)]
    d = diff(old, new)
    assert len(d.inserts) == 3 and len(d.modifies) == 1 and len(d.deletes) == 2
    make, flip, brk = phase_ops(d, lambda e: e.table == "MyIngress.dispatch")
    assert {e.matches[0].value for _, e in make} == {1, 3} and all(op == "insert" for op, _ in make)
    assert [(op, e.table) for op, e in flip] == [("insert", "MyIngress.dispatch"), ("modify", "MyIngress.dispatch")]
    assert [e.table for _, e in brk] == ["MyIngress.dispatch", "MyIngress.route"]  # stop dispatching before deleting
    assert diff(new, new).empty
