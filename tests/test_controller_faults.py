"""Deploy and rollback rules under faults, against real omniplan-switch processes (no Mininet).

* another controller taking primary is reported as such (with its election id), not as unreachable;
  a push whose only change on that switch is deletes completes, and the stale entries are removed
  by the reconcile once the controller is primary again, with an election id it never took from
  the departed client;
* a failed push is never rolled back onto a configuration that needs a switch that is down;
* a switch killed (really, SIGKILL) during the break phase leaves the push committed, not undone,
  and is reconciled to the committed state when it returns.

The second P4Runtime client is the softswitch's own plain-gRPC client (softswitch.client), not
the controller's finsy code. The write failure in the rollback test is injected through the
controller's fault-injection hook (``ServiceOptions.write_hook``), the only double here; the same
hook only times the kill in the break-phase test (the failing write there is real).
"""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from controller.testing import compiled_tasks, serve_api, wait_for
from softswitch.client import P4RuntimeClient
from tests.test_controller_e2e import AUTH, TOKEN, _controller, _register as _register_only, _serving, _submit, _until, net  # noqa: F401 (fixture)

pytestmark = pytest.mark.slow
OTHER_ID = 101  # the other controller's election id (above ours, 10)


async def _switch_row(http, url, device):
    async with http.get(f"{url}/switches", headers=AUTH) as r:
        return {s["device"]: s for s in (await r.json())["switches"]}[device]


def test_other_primary_reported_deletes_deferred_and_stale_removed_on_return(net, tmp_path):
    topo, sp = net
    tasks, _ = compiled_tasks(["s1", "s3", "s2"])

    async def main():
        ctl = _controller(tmp_path / "c.db", topo, sp)
        async with _serving(ctl, tasks) as (url, http):
            first = await _submit(http, url, {"preference": {"coordination": 1}, "channel": "fast"})
            assert (await _until(http, url, first, {"deployed", "failed"}))["state"] == "deployed"
            held = await ctl.southbound.drivers["s2"].read_entries()
            assert held

            other = P4RuntimeClient(sp.procs["s2"].address, sp.procs["s2"].device_id, OTHER_ID)
            try:
                answer = await asyncio.to_thread(other.arbitrate)
                assert answer.status.code == 0  # the other client is primary now
                await wait_for(lambda: not ctl.southbound.drivers["s2"].is_ready(), 10)
                row = await _switch_row(http, url, "s2")
                assert row["mastership"] == "backup" and row["primary_election_id"] == OTHER_ID
                assert row["unavailable"] == f"another controller (election id {OTHER_ID}) is primary on s2"
                assert row["health"] == "backup"

                # withdraw: every table goes; on s2 that is deletes only, so the push completes
                async with http.delete(f"{url}/intents/{first}", headers=AUTH) as r:
                    assert r.status == 202
                rec = await _until(http, url, first, {"withdrawn"}, timeout=30)
                assert "withdraw_error" not in rec
                pushes = ctl.store.pushes(1)
                assert pushes[0]["state"] == "committed", pushes[0]
                for dev in ("s1", "s3"):
                    assert await ctl.southbound.drivers[dev].read_entries() == []
                assert "s2" in ctl.network.needs_reconcile
            finally:
                await asyncio.to_thread(other.close)

            # the other controller left: we are primary again with an id of our own, and the
            # reconcile removed the entries the withdraw could not delete
            await wait_for(lambda: ctl.southbound.drivers["s2"].is_ready(), 20)
            await wait_for(lambda: "s2" not in ctl.network.needs_reconcile, 20)
            assert await ctl.southbound.drivers["s2"].read_entries() == []
            row = await _switch_row(http, url, "s2")
            assert row["mastership"] == "primary" and row["election_id"] != OTHER_ID
            assert row["health"] == "up"
        ctl.store.close()

    asyncio.run(main())


def test_failed_push_is_not_rolled_back_onto_a_down_switch(net, tmp_path):
    topo, sp = net
    tasks, _ = compiled_tasks(["s1", "s3", "s2"])

    async def main():
        # replanning off, so the only push after the fault is the one under test
        ctl = _controller(tmp_path / "c.db", topo, sp, replan_on_fault=False)
        async with _serving(ctl, tasks) as (url, http):
            first = await _submit(http, url, {"preference": {"coordination": 1}, "channel": "fast"})
            assert (await _until(http, url, first, {"deployed", "failed"}))["state"] == "deployed"
            assert ctl.store.deployed()["s2"]
            sp.stop_one("s2")
            await wait_for(lambda: ctl.network.health["s2"]["state"] == "down", 10)
            before = {d: await ctl.southbound.drivers[d].read_entries() for d in ("s1", "s3")}

            async def fail_in_flip(phase, switch, n):
                if phase == "flip":
                    raise RuntimeError("injected write failure")
            ctl.options.write_hook = fail_in_flip
            second = await _submit(http, url, {"preference": {"power": 1}, "channel": "fast"})
            rec = await _until(http, url, second, {"deployed", "failed", "pending"})
            ctl.options.write_hook = None
            assert rec["state"] == "failed"
            assert "not rolled back: the previous configuration needs s2, which is down" in rec["error"]
            assert "injected write failure" in rec["error"]
            # nothing was written back towards the dead switch's plan: the make phase's new entries stay
            # (unreferenced by any dispatch entry), and s1/s3 are marked for a reconcile
            after = {d: await ctl.southbound.drivers[d].read_entries() for d in ("s1", "s3")}
            assert any(len(after[d]) > len(before[d]) for d in after)
            assert {"s1", "s3"} <= ctl.network.needs_reconcile
            assert ctl.store.pushes(1)[0]["state"] == "failed"
        ctl.store.close()

    asyncio.run(main())


def test_switch_dying_during_the_break_phase_does_not_undo_the_push(net, tmp_path):
    """The issue's case: the new plan is live, the old one's deletes fail on a switch that just died."""
    topo, sp = net
    tasks, _ = compiled_tasks(["s1", "s3", "s2"])
    killed = []

    async def main():
        ctl = _controller(tmp_path / "c.db", topo, sp, replan_on_fault=False)

        async def kill_at_break(phase, switch, n):
            if phase == "break" and not killed:
                killed.append(switch)
                sp.stop_one(switch)  # dies with its deletes still to do; the real write then fails
        async with _serving(ctl, tasks) as (url, http):
            # latency first (each task on its own ingress: three switches powered), then power (fewer
            # switches): the second plan is strictly better on its objective, so it is pushed rather
            # than kept as "no change for no gain" (a kept plan ends 'validated', and no break phase runs)
            first = await _submit(http, url, {"preference": {"latency": 1}, "channel": "fast"})
            assert (await _until(http, url, first, {"deployed", "failed"}))["state"] == "deployed"
            ctl.options.write_hook = kill_at_break
            second = await _submit(http, url, {"preference": {"power": 1}, "channel": "fast"})
            rec = await _until(http, url, second, {"deployed", "failed", "pending", "validated"})
            ctl.options.write_hook = None
            assert rec["state"] == "deployed", rec.get("error")
            dead = killed[0]
            assert rec["push"]["deferred_deletes"][dead] > 0
            assert ctl.store.pushes(1)[0]["state"] == "committed"
            # the live switches hold exactly the new plan: nothing was rolled back
            for dev in {"s1", "s2", "s3"} - {dead}:
                got = sorted(map(repr, await ctl.southbound.drivers[dev].read_entries()))
                assert got == sorted(map(repr, ctl.store.deployed().get(dev, [])))
            assert dead in ctl.network.needs_reconcile
            # it returns (empty, like a reboot) and is reconciled to the committed state before use
            sp.restart_one(dead)
            await wait_for(lambda: dead not in ctl.network.needs_reconcile, 30)
            got = sorted(map(repr, await ctl.southbound.drivers[dead].read_entries()))
            assert got == sorted(map(repr, ctl.store.deployed().get(dead, [])))
        ctl.store.close()

    asyncio.run(main())


def test_intent_waiting_for_a_switch_that_never_came_is_planned_around_it(net, tmp_path):
    topo, sp = net
    tasks, _ = compiled_tasks(["s1", "s3", "s2"])
    sp.stop_one("s3")  # down before the controller starts: not known down, only "not connected yet"

    async def main():
        ctl = _controller(tmp_path / "c.db", topo, sp, startup_grace_s=8.0)
        async with serve_api(ctl, TOKEN) as url, aiohttp.ClientSession(headers=AUTH) as http:
            await wait_for(lambda: all(ctl.southbound.drivers[d].is_ready() for d in ("s1", "s2")), 20)
            await _register_only(http, url, tasks)
            first = await _submit(http, url, {"preference": {"coordination": 1}, "channel": "fast"})
            rec = await _until(http, url, first, {"pending", "deployed", "failed"})
            # within the grace period s3 may still be starting: the intent waits for it
            assert rec["state"] == "pending" and rec["pending"] == "pending: s3 unreachable"
            rec = await _until(http, url, first, {"deployed", "failed"}, timeout=30)
            assert rec["state"] == "deployed", rec.get("error")
            assert rec["uncovered"] == [{"task": "m1", "why": "its traffic enters at s3, which is down"}]
            assert ctl.network.health["s3"]["reason"] == "did not connect within 8 s of start"
        ctl.store.close()

    asyncio.run(main())
