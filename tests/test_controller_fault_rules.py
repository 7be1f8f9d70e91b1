"""The fault-handling rules that need no switch: usable topology, uncovered tasks, link probes, arbitration.

The arbitration test drives ``MastershipArbitrator`` with P4Runtime arbitration messages as a
switch following the spec sends them; the stand-in for finsy's Switch (a third-party object)
only records what would be sent on the stream.
"""

from __future__ import annotations

import asyncio

import pytest

from controller import faults
from controller.config import SwitchConfig, parse_switches
from controller.deploy import SwitchUnreachable
from controller.links import LinkMonitor, parse_probe, probe_frame
from controller.southbound import MastershipArbitrator, readable_error
from omniplan.errors import InputError
from omniplan.plan import Plan
from omniplan.topology import line
from omniplan.workload import MAT, Task, Workload


def _task(name: str, ingress: str) -> Task:
    return Task(name=name, kind="dt", mats=(MAT(name="m", sram_bits=1024, entries=4),), ingress=ingress)


def test_usable_topology_drops_dead_devices_and_links():
    topo = line(4)
    usable = faults.usable_topology(topo, ["s2"], [("s4", "s3")])
    assert sorted(usable.device_index) == ["s1", "s3", "s4"]
    assert usable.links == ()  # s1-s2 and s2-s3 touch s2; s3-s4 is down
    assert usable.meta["excluded_devices"] == ["s2"] and usable.meta["excluded_links"] == ["s3-s4"]
    assert faults.usable_topology(topo, []) is topo


def test_tasks_entering_at_a_dead_switch_are_uncovered_with_why():
    usable = faults.usable_topology(line(3), ["s3"])
    wl = Workload((_task("a", "s1"), _task("b", "s3")))
    kept, uncovered = faults.split_reachable(wl, usable)
    assert [t.name for t in kept.tasks] == ["a"]
    assert uncovered == [{"task": "b", "why": "its traffic enters at s3, which is down"}]
    plan = Plan(placement={}, stages={}, routes={})
    assert faults.unplaced(plan, kept, usable) == [
        {"task": "a", "why": "no remaining switch can hold it with s3 out of service"}]


def test_a_cut_network_is_planned_piece_by_piece_and_merged():
    usable = faults.usable_topology(line(3), ["s2"])
    wl = Workload((_task("a", "s1"), _task("b", "s3")))
    pieces = faults.split_components(usable, wl)
    assert [(sorted(t.device_index), [x.name for x in w.tasks]) for t, w in pieces] == [
        (["s1"], ["a"]), (["s3"], ["b"])]
    merged = faults.merge_plans([Plan({"a/m": "s1"}, {"a/m": 0}, {}, "x"), Plan({"b/m": "s3"}, {"b/m": 0}, {}, "y")])
    assert merged.placement == {"a/m": "s1", "b/m": "s3"} and merged.expert == "x+y"
    # ports towards the dead switch are not taken for host ports
    pm = {"s1": {"host": 1, "s2": 2}, "s2": {"s1": 2, "s3": 3}, "s3": {"host": 1, "s2": 2}}
    assert faults.usable_port_map(pm, line(3), usable) == {"s1": {"host": 1}, "s3": {"host": 1}}


def _monitor(changes):
    cfg = [SwitchConfig("s1", 1, "x:1", "s1", {"host": 1, "s2": 2}),
           SwitchConfig("s2", 2, "x:2", "s2", {"s1": 2, "s3": 3}),
           SwitchConfig("s3", 3, "x:3", "s3", {"s2": 2})]
    return LinkMonitor(cfg, 0.5, lambda key, state, reason: changes.append((key, state, reason)))


def test_link_probes_bring_links_up_then_down_when_silent():
    changes = []
    mon = _monitor(changes)
    assert sorted((d, p) for d, p, _ in mon.probes()) == [("s1", 2), ("s2", 2), ("s2", 3), ("s3", 2)]
    assert parse_probe(probe_frame("s1", 2, 7)) == ("s1", 2, 7) and parse_probe(b"\x00" * 40) is None
    mon.received("s2", 2, probe_frame("s1", 2, 1), now=100.0)
    mon.received("s1", 2, probe_frame("s2", 2, 1), now=100.0)
    assert changes == [(("s1", "s2"), "up", None)]
    mon.check(lambda d: True, now=101.0)  # within 3 probe periods: still up
    assert mon.down() == set()
    mon.check(lambda d: True, now=102.0)
    assert mon.down() == {("s1", "s2")} and changes[-1][1] == "down"
    assert "no probe s1>s2, s2>s1" in changes[-1][2]
    # a link never seen (s2-s3: not wired) is never declared down
    assert mon.links[("s2", "s3")]["state"] == "unknown"
    mon.forget("s1")
    assert mon.links[("s1", "s2")]["state"] == "unknown" and mon.down() == set()


def test_a_probe_arriving_at_the_wrong_place_is_miswired():
    changes = []
    mon = _monitor(changes)
    mon.received("s3", 2, probe_frame("s1", 2, 1))  # s1 port 2 should reach s2 port 2
    assert changes[-1][1] == "miswired"
    assert changes[-1][2] == "s1 port 2 reaches s3 port 2; configured: s2 port 2"
    assert ("s1", "s2") in mon.down()


class _Stream:
    """Stands in for finsy's Switch: records arbitration bids instead of sending them."""

    def __init__(self):
        self.bids, self.events = [], []
        self.device_id, self.name = 1, "s4"
        self._p4client = self

    async def send(self, request):
        e = request.arbitration.election_id
        self.bids.append((e.high << 64) | e.low)

    def _become_primary(self):
        self.events.append("primary")

    def _become_backup(self):
        self.events.append("backup")


def _update(code: int, election_id: int):
    from finsy.proto import U128, p4r

    msg = p4r.MasterArbitrationUpdate(device_id=1, election_id=U128.encode(election_id))
    msg.status.code = code
    return msg


@pytest.mark.parametrize("policy", ["wait", "takeover"])
def test_arbitration_never_reuses_a_departed_clients_id(policy):
    arb, sw = MastershipArbitrator(10, policy), _Stream()

    async def run():
        arb.is_primary, arb.primary_id = True, 10
        await arb.update(sw, _update(6, 101))  # ALREADY_EXISTS: another controller, id 101, is primary
        assert not arb.is_primary and arb.other_primary == 101 and sw.events == ["backup"]
        await arb.update(sw, _update(5, 101))  # NOT_FOUND: it left; the switch reports the highest id seen
        assert sw.bids == [102]  # never 101
        await arb.update(sw, _update(0, 102))
        assert arb.is_primary and arb.other_primary is None and sw.events == ["backup", "primary"]
    asyncio.run(run())


def test_unreachable_and_other_primary_are_told_apart():
    exc = SwitchUnreachable(["s3", "s4"], {"s4": "another controller (election id 101) is primary on s4"})
    assert str(exc) == "s3 unreachable; another controller (election id 101) is primary on s4"
    assert readable_error(ConnectionRefusedError(111, "refused")) == "not reachable (connection refused or lost)"
    assert readable_error(asyncio.TimeoutError()) == "did not answer in time"


def test_mastership_policy_in_the_switch_list():
    doc = {"switches": [{"name": "s1", "device_id": 1, "grpc": "x:1", "mastership": "takeover"}]}
    assert parse_switches(doc)[0].mastership == "takeover"
    doc["switches"][0]["mastership"] = "grab"
    with pytest.raises(InputError, match=r"switches\[0\].mastership: 'grab': expected one of wait, takeover"):
        parse_switches(doc)
