"""finsy southbound + make-before-break deploy against real omniplan-switch processes.

The P4Info here is a two-table miniature of the inference program's version scheme (a dispatch
table stamps a version; a stage table is keyed on it), so the phase ordering can be checked
entry by entry on a real P4Runtime server.
"""

from __future__ import annotations

import asyncio
from typing import Awaitable, Callable

import pytest

from controller.config import SwitchConfig
from controller.deploy import PushFailed, SwitchUnreachable, converge, push
from controller.southbound import Southbound
from controller.testing import start_switch, wait_for
from p4src.entries import Match, TableEntry

#: each test starts real subprocesses (switches or `omniplan serve`): several seconds on a loaded machine
pytestmark = pytest.mark.slow

P4INFO = """
pkg_info { name: "mbb_test" arch: "v1model" }
tables {
  preamble { id: 33554433 name: "Ingress.dispatch" alias: "dispatch" }
  match_fields { id: 1 name: "hdr.inml.task_id" bitwidth: 16 match_type: EXACT }
  action_refs { id: 16777217 }
  size: 64
}
tables {
  preamble { id: 33554434 name: "Ingress.stage" alias: "stage" }
  match_fields { id: 1 name: "hdr.inml.task_id" bitwidth: 16 match_type: EXACT }
  match_fields { id: 2 name: "hdr.inml.version" bitwidth: 8 match_type: EXACT }
  match_fields { id: 3 name: "hdr.inml.key" bitwidth: 16 match_type: RANGE }
  action_refs { id: 16777218 }
  size: 40
}
actions { preamble { id: 16777217 name: "Ingress.set_version" alias: "set_version" }
  params { id: 1 name: "version" bitwidth: 8 } }
actions { preamble { id: 16777218 name: "Ingress.set_label" alias: "set_label" }
  params { id: 1 name: "label" bitwidth: 16 } }
"""


def dispatch(task: int, version: int) -> TableEntry:
    return TableEntry("Ingress.dispatch", (Match("hdr.inml.task_id", "exact", task),), "Ingress.set_version",
                      (("version", version),))


def stage(task: int, version: int, lo: int, label: int) -> TableEntry:
    return TableEntry("Ingress.stage", (Match("hdr.inml.task_id", "exact", task), Match("hdr.inml.version", "exact", version),
                                        Match("hdr.inml.key", "range", lo, high=lo + 9)), "Ingress.set_label",
                      (("label", label),), priority=1)


def config(version: int, tasks=(1, 2), n=5, label=0) -> list[TableEntry]:
    out = [dispatch(t, version) for t in tasks]
    out += [stage(t, version, 10 * i, label + i) for t in tasks for i in range(n)]
    return out


@pytest.fixture
def p4info(tmp_path):
    path = tmp_path / "mbb.p4info.txtpb"
    path.write_text(P4INFO)
    return path


@pytest.fixture
def two_switches():
    procs = [start_switch("s1", 1), start_switch("s2", 2)]
    yield procs
    for p in procs:
        if p.proc.poll() is None:
            p.proc.kill()
        p.proc.wait()
        p.proc.stdout.close()


async def _southbound(procs, p4info) -> Southbound:
    sb = Southbound([SwitchConfig(p.device, p.device_id, p.address, p.device, {}) for p in procs], p4info=p4info)
    await sb.start()
    await wait_for(lambda: all(d.is_ready() for d in sb.drivers.values()), 15)
    return sb


def _with_southbound(procs, p4info, body: Callable[[Southbound], Awaitable[None]]) -> None:
    """Run ``body`` against a started Southbound and stop it whatever happens: every push test's frame."""
    async def main() -> None:
        sb = await _southbound(procs, p4info)
        try:
            await body(sb)
        finally:
            await sb.stop()
    asyncio.run(main())


async def _read(driver) -> list[str]:
    """What a switch holds, in the order-free form the expected entries are compared in."""
    return sorted(map(repr, await driver.read_entries()))


def _key(entries: list[TableEntry]) -> list[str]:
    return sorted(map(repr, entries))


def _consistent(entries: list[TableEntry]) -> list[str]:
    """Every dispatch entry must point at a version whose stage entries are all present."""
    problems = []
    stages = {(e.matches[0].value, e.matches[1].value) for e in entries if e.table == "Ingress.stage"}
    counts: dict = {}
    for e in entries:
        if e.table == "Ingress.stage":
            k = (dict((m.field, m.value) for m in e.matches)["hdr.inml.task_id"],
                 dict((m.field, m.value) for m in e.matches)["hdr.inml.version"])
            counts[k] = counts.get(k, 0) + 1
    for e in entries:
        if e.table == "Ingress.dispatch":
            task, version = e.matches[0].value, e.param("version")
            if counts.get((task, version), 0) != 5:
                problems.append(f"task {task} dispatched to version {version} with {counts.get((task, version), 0)} stage entries")
    del stages
    return problems


def test_push_is_make_before_break_and_idempotent(two_switches, p4info):
    async def body(sb: Southbound) -> None:
        d = sb.drivers
        assert sb._entry_tables == {"Ingress.dispatch"}
        v1 = {n: d[n].canonical(config(1)) for n in d}
        stats = await push(d, {}, v1, sb.is_entry_point, batch_size=3)
        assert stats.written == 2 * 12
        for n in d:
            assert await _read(d[n]) == _key(v1[n])
        seen = []

        async def observe(phase, switch, n):
            # what a packet could meet right now, on every switch
            for name in d:
                state = await d[name].read_entries()
                problems = _consistent(state)
                assert not problems, (phase, switch, problems)
            seen.append(phase)

        v2 = {n: d[n].canonical(config(2, label=100)) for n in d}
        stats = await push(d, v1, v2, sb.is_entry_point, batch_size=3, hook=observe)
        assert seen.index("flip") > max(i for i, p in enumerate(seen) if p == "make")
        assert seen.index("break") > max(i for i, p in enumerate(seen) if p == "flip")
        # 10 stage inserts + 2 dispatch modifies + 10 stage deletes per switch
        assert stats.per_switch == {"s1": 22, "s2": 22}
        for n in d:
            assert await _read(d[n]) == _key(v2[n])
        again = await push(d, v2, v2, sb.is_entry_point)
        assert again.written == 0

    _with_southbound(two_switches, p4info, body)


def test_failed_write_rolls_back_every_switch(two_switches, p4info):
    async def body(sb: Southbound) -> None:
        d = sb.drivers
        v1 = {n: d[n].canonical(config(1)) for n in d}
        await push(d, {}, v1, sb.is_entry_point)
        # s2's stage table holds 40 entries: 10 old + 35 new does not fit, so s2's make phase fails
        big = {"s1": d["s1"].canonical(config(2, n=5)), "s2": d["s2"].canonical(config(2, tasks=range(1, 8), n=5))}
        with pytest.raises(PushFailed) as info:
            await push(d, v1, big, sb.is_entry_point, batch_size=4)
        assert info.value.rolled_back and info.value.switch == "s2" and "rolled back" in str(info.value)
        for n in d:
            assert await _read(d[n]) == _key(v1[n])

    _with_southbound(two_switches, p4info, body)


def test_down_switch_blocks_the_push_and_is_reconciled_when_back(two_switches, p4info):
    async def body(sb: Southbound) -> None:
        d = sb.drivers
        v1 = {n: d[n].canonical(config(1)) for n in d}
        await push(d, {}, v1, sb.is_entry_point)
        s2 = two_switches[1]
        s2.proc.kill()
        s2.proc.wait()
        await wait_for(lambda: not d["s2"].is_ready(), 10)
        v2 = {n: d[n].canonical(config(2)) for n in d}
        with pytest.raises(SwitchUnreachable) as info:
            await push(d, v1, v2, sb.is_entry_point)
        assert info.value.switches == ["s2"] and str(info.value) == "s2 unreachable"
        assert await _read(d["s1"]) == _key(v1["s1"])  # nothing written
        # a switch the change does not touch may stay down
        only_s1 = {"s1": v2["s1"], "s2": v1["s2"]}
        await push(d, v1, only_s1, sb.is_entry_point)
        # s2 comes back empty (rebooted); reconciling by Read restores its desired entries
        s2.proc.stdout.close()
        two_switches[1] = start_switch("s2", 2, s2.port)
        await wait_for(lambda: d["s2"].is_ready(), 20)
        assert await d["s2"].read_entries() == []
        stats = await converge({"s2": d["s2"]}, {"s2": v1["s2"]}, sb.is_entry_point)
        assert stats.written == 12
        assert await _read(d["s2"]) == _key(v1["s2"])
        assert sb.status()[1]["connects"] == 2

    _with_southbound(two_switches, p4info, body)


def test_primary_election_backup_cannot_write(two_switches, p4info):
    async def main():
        s1 = two_switches[0]
        low = Southbound([SwitchConfig("s1", 1, s1.address, "s1", {}, election_id=10)], p4info=p4info)
        await low.start()
        await wait_for(lambda: low.drivers["s1"].is_ready(), 15)
        high = Southbound([SwitchConfig("s1", 1, s1.address, "s1", {}, election_id=20)], p4info=p4info)
        await high.start()
        try:
            await wait_for(lambda: high.drivers["s1"].is_ready(), 15)
            # the controller with the higher election id is primary; the other one steps back
            await wait_for(lambda: not low.drivers["s1"].is_ready(), 15)
            assert not low.status()[0]["primary"]
            assert high.status()[0]["primary"] and high.status()[0]["pipeline_cookie"] == high.status()[0]["expected_cookie"]
            d = low.drivers["s1"]
            with pytest.raises(SwitchUnreachable):
                await push(low.drivers, {}, {"s1": d.canonical(config(1))}, low.is_entry_point)
            await push(high.drivers, {}, {"s1": high.drivers["s1"].canonical(config(1))}, high.is_entry_point)
            assert len(await high.drivers["s1"].read_entries()) == 12
        finally:
            await high.stop()
            await low.stop()
    asyncio.run(main())
