"""End to end: API -> planning -> twin validation -> make-before-break push to 3 real omniplan-switch processes.

Everything is the project's own code: sklearn models compiled by mlcompiler, experts planning,
mlcompiler.realize, the p4src twin, finsy talking P4Runtime to softswitch subprocesses.
"""

from __future__ import annotations

import asyncio
import contextlib
import json

import aiohttp
import pytest

from controller.config import port_map
from controller.realizer import version_tag
from controller.service import Controller, ServiceOptions
from controller.southbound import Southbound
from controller.store import Store
from controller.testing import SwitchProcesses, compiled_tasks, serve_api, wait_for
from controller.twin import host_port, send_labels, probe_vectors
from omniplan.topology import line
from omniplan.workload import task_to_dict

TOKEN = "e2e"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
pytestmark = pytest.mark.slow


@pytest.fixture
def net():
    topo = line(3)
    with SwitchProcesses(topo) as sp:
        yield topo, sp


def _controller(db, topo, sp, **opts) -> Controller:
    cfg = sp.configs()
    return Controller(Store(db), topo, cfg, southbound=Southbound(cfg), options=ServiceOptions(**opts))


async def _register(http, url, tasks):
    for t in tasks:
        # the compiler's program may hold numpy integers; the wire format is plain JSON
        body = json.loads(json.dumps({"task": task_to_dict(t)}, default=int))
        async with http.post(f"{url}/models", json=body, headers=AUTH) as r:
            assert r.status == 201, await r.text()


async def _ready_and_registered(ctl, http, url, tasks) -> None:
    """Every switch connected and primary, and the tasks registered as models."""
    await wait_for(lambda: all(d.is_ready() for d in ctl.southbound.drivers.values()), 20)
    await _register(http, url, tasks)


@contextlib.asynccontextmanager
async def _serving(ctl, tasks):
    """The API up on the controller, every switch ready, the tasks registered: yields (url, http)."""
    async with serve_api(ctl, TOKEN) as url, aiohttp.ClientSession(headers=AUTH) as http:  # reads need it too
        await _ready_and_registered(ctl, http, url, tasks)
        yield url, http


async def _submit(http, url, body) -> str:
    async with http.post(f"{url}/intents", json=body, headers=AUTH) as r:
        assert r.status == 202, await r.text()
        return (await r.json())["id"]


async def _until(http, url, intent_id, states, timeout=60):
    async def check():
        async with http.get(f"{url}/intents/{intent_id}", headers=AUTH) as r:
            rec = await r.json()
        return rec if rec["state"] in states else None
    return await wait_for(check, timeout)


async def _replanned_with(http, url, intent_id, predicate):
    async with http.get(f"{url}/intents/{intent_id}", headers=AUTH) as r:
        rec = await r.json()
    return rec if rec["state"] == "deployed" and rec.get("replans") and predicate(rec) else None


async def _switch_entries(ctl) -> dict:
    return {dev: await d.read_entries() for dev, d in ctl.southbound.drivers.items()}


def _probe(entries, ctl, tasks, ids):
    """Inject test packets for every task into a twin network holding ``entries``; (task, expected, got, version)."""
    from mlcompiler.replay import CompiledModel
    from p4src.chain import SwitchChain

    pm = port_map(ctl.switches)
    chain = SwitchChain(entries, pm)
    devices = set(ctl.topology.device_index)
    out = []
    for t in tasks:
        model = CompiledModel(t.program)
        vectors = probe_vectors(t.program, 4, limit=6)
        got = send_labels(chain, t.ingress, host_port(pm, t.ingress, devices), ids[t.name], vectors)
        for q, (label, version) in zip(vectors, got):
            out.append((t.name, model.classify_q(q), label, version))
    return out


def test_lifecycle_make_before_break_withdraw(net, tmp_path):
    topo, sp = net
    tasks, _ = compiled_tasks(["s1", "s3", "s2"])
    observations = []

    async def main():
        ctl = _controller(tmp_path / "c.db", topo, sp)

        async def observe(phase, switch, n):
            # what a packet meets at this instant: the entries every switch reports via P4Runtime Read
            entries = await _switch_entries(ctl)
            observations.append((phase, _probe(entries, ctl, tasks, ctl.task_ids(ctl.resolve_workload({"tasks": [t.name for t in tasks]})))))

        async with _serving(ctl, tasks) as (url, http):
            first = await _submit(http, url, {"preference": {"latency": 1}, "channel": "fast"})
            rec = await _until(http, url, first, {"deployed", "failed"})
            assert rec["state"] == "deployed", rec.get("error")
            assert rec["twin"]["ok"] and rec["twin"]["packets"] > 0 and not rec["twin"]["unchecked"]
            assert {"translate", "plan", "check", "realize", "twin", "deploy", "total"} <= set(rec["timings_s"])
            v1 = version_tag(rec["version"])
            # entries readable via P4Runtime Read equal the controller's committed desired state
            actual = await _switch_entries(ctl)
            desired = ctl.store.deployed()
            assert set(desired) == {"s1", "s2", "s3"}
            for dev in desired:
                assert sorted(map(repr, actual[dev])) == sorted(map(repr, desired[dev]))
            placement1 = ctl.store.get_plan(rec["plan_id"])["plan"]["placement"]
            assert len(set(placement1.values())) == 3  # tasks run where their traffic enters
            # /metrics relays each switch's per-class direct counters (inml.p4 label_packets): one
            # series per (task, class) on the switch that delivers it, 0 before any traffic
            async with http.get(f"{url}/metrics") as r:
                text = await r.text()
            series = [ln for ln in text.splitlines() if ln.startswith("omniplan_inference_packets_total{")]
            assert {ln.split('task="')[1].split('"')[0] for ln in series} == {t.name for t in tasks}
            assert len(series) == sum(len(t.program["classes"]) for t in tasks)
            assert all(ln.endswith(" 0.0") for ln in series)

            ctl.options.write_hook = observe
            ctl.options.batch_size = 200
            second = await _submit(http, url, {"preference": {"power": 1}, "channel": "fast"})
            rec2 = await _until(http, url, second, {"deployed", "failed"})
            assert rec2["state"] == "deployed", rec2.get("error")
            ctl.options.write_hook = None
            v2 = version_tag(rec2["version"])
            placement2 = ctl.store.get_plan(rec2["plan_id"])["plan"]["placement"]
            assert placement2 != placement1  # MATs moved
            phases = [p for p, _ in observations]
            assert {"make", "flip", "break"} <= set(phases)
            # at every instant of the move each packet was classified correctly, entirely by one version
            for phase, probes in observations:
                for task, expected, got, version in probes:
                    assert got == expected, (phase, task, expected, got)
                    assert version in (v1, v2)
            before_flip = [v for p, probes in observations if p == "make" for *_, v in probes]
            assert set(before_flip) == {v1}
            assert rec2["push"]["phases_s"].keys() == {"make", "flip", "break"}

            async with http.get(f"{url}/intents/{first}") as r:
                assert (await r.json())["state"] == "superseded"
            async with http.get(f"{url}/switches") as r:
                switches = (await r.json())["switches"]
            assert [s["name"] for s in switches] == ["s1", "s2", "s3"]
            for s in switches:
                assert s["connected"] and s["primary"] and s["ready"]
                assert s["pipeline_cookie"] == s["expected_cookie"]
                assert s["entries_deployed"] == len(ctl.store.deployed().get(s["device"], []))

            # withdraw the active intent: the first intent's plan comes back under a new version
            async with http.delete(f"{url}/intents/{second}", headers=AUTH) as r:
                assert r.status == 202 and (await r.json())["state"] == "withdrawing"
            await _until(http, url, second, {"withdrawn"})
            rec1 = await _until(http, url, first, {"deployed"})
            assert rec1["restored_after_withdraw_of"] == second
            async with http.get(f"{url}/plan") as r:
                plan = await r.json()
            assert plan["intent"] == first and plan["active"]["plan"]["placement"] == placement1
            actual = await _switch_entries(ctl)
            for dev, entries in ctl.store.deployed().items():
                assert sorted(map(repr, actual[dev])) == sorted(map(repr, entries))
            for task, expected, got, _ in _probe(actual, ctl, tasks, ctl.task_ids(ctl.resolve_workload({}))):
                assert got == expected

    asyncio.run(main())


def test_down_switch_is_planned_around_then_reincluded_and_restart_reconciles(net, tmp_path):
    topo, sp = net
    tasks, _ = compiled_tasks(["s1", "s3", "s2"])

    async def main():
        ctl = _controller(tmp_path / "c.db", topo, sp)
        async with _serving(ctl, tasks) as (url, http):
            sp.stop_one("s3")
            await wait_for(lambda: ctl.network.health["s3"]["state"] == "down", 10)
            # a new intent does not wait for the dead switch: it is planned around, and the task whose
            # traffic enters there is reported uncovered, with why
            first = await _submit(http, url, {"preference": {"latency": 1}, "channel": "fast"})
            rec = await _until(http, url, first, {"pending", "failed", "deployed"})
            assert rec["state"] == "deployed", rec.get("error") or rec.get("pending")
            assert rec["uncovered"] == [{"task": "m1", "why": "its traffic enters at s3, which is down"}]
            assert rec["excluded"] == {"devices": ["s3"], "links": []}
            assert "s3" not in ctl.store.deployed() or not ctl.store.deployed()["s3"]
            async with http.get(f"{url}/switches") as r:
                row = {s["device"]: s for s in (await r.json())["switches"]}["s3"]
            assert row["health"] == "down" and row["unavailable"] == "s3 unreachable" and row["mastership"] == "unreachable"
            sp.restart_one("s3")
            # back: reconciled, then the active intent is replanned onto it (m1 covered again)
            rec = await wait_for(lambda: _replanned_with(http, url, first, lambda r: not r["uncovered"]), 60)
            assert rec["excluded"] == {"devices": [], "links": []}
            replanning = [h for h in rec["history"] if h["state"] == "replanning"]
            assert replanning and replanning[-1]["note"] == "s3 back up"
            assert rec["history"][-1]["note"] == "replanned after s3 back up; tasks moved: m1"
            assert ctl.store.deployed()["s3"]
        ctl.store.close()

        # controller restart: meanwhile s2 reboots and loses its tables; recovery reconciles it by Read
        sp.stop_one("s2")
        sp.restart_one("s2")
        ctl2 = _controller(tmp_path / "c.db", topo, sp)
        async with serve_api(ctl2, TOKEN) as url, aiohttp.ClientSession(headers=AUTH) as http:
            desired = ctl2.store.deployed()
            assert desired["s2"]

            async def converged():
                for dev, entries in desired.items():
                    d = ctl2.southbound.drivers[dev]
                    if not d.is_ready() or sorted(map(repr, await d.read_entries())) != sorted(map(repr, entries)):
                        return False
                return True
            await wait_for(converged, 20)
            async with http.get(f"{url}/intents/{first}") as r:
                assert (await r.json())["state"] == "deployed"
            # only the rebooted switch needed writes: s1 and s3 kept their tables across the controller
            # restart, i.e. the pipeline was not pushed again (same cookie)
            reconciled = {a["detail"]["device"] for a in ctl2.store.audit_log() if a["action"] == "switch.reconcile"
                          and a["ts"] > ctl2.started}
            assert reconciled == {"s2"}
            for s in ctl2.switch_status():
                assert s["pipeline_cookie"] == s["expected_cookie"]

    asyncio.run(main())


def test_no_change_for_no_gain_keeps_the_deployed_placement(net, tmp_path):
    """Issue 13 point 8: "save power, use as few switches as possible" after a plan that is already
    power-minimal must not move tables: the controller keeps the deployed placement, writes nothing
    and says why in the intent's history."""
    topo, sp = net
    tasks, _ = compiled_tasks(["s1", "s3", "s2"])
    text = "save power, use as few switches as possible"

    async def main():
        ctl = _controller(tmp_path / "c.db", topo, sp)
        async with _serving(ctl, tasks) as (url, http):
            first = await _submit(http, url, {"text": text, "channel": "fast"})
            rec = await _until(http, url, first, {"deployed", "failed"})
            assert rec["state"] == "deployed", rec.get("error")
            active = ctl.store.get_meta("active_plan_id")
            before = await _switch_entries(ctl)
            written = ctl.metrics.entries_written._value.get()

            second = await _submit(http, url, {"text": text, "channel": "fast"})
            rec2 = await _until(http, url, second, {"validated", "deployed", "failed"})
            assert rec2["state"] == "validated", rec2
            kept = rec2["kept_deployed"]
            assert kept["plan_id"] == active and kept["intent"] == first
            assert "not better on the intent's objectives" in kept["reason"]
            assert rec2["history"][-1]["state"] == "validated" and rec2["history"][-1]["note"] == kept["reason"]
            # nothing moved: same active plan and intent, no entry written, switches hold what they held
            assert ctl.store.get_meta("active_plan_id") == active
            assert ctl.store.get_meta("active_intent_id") == first
            assert ctl.metrics.entries_written._value.get() == written
            after = await _switch_entries(ctl)
            assert {d: sorted(map(repr, e)) for d, e in after.items()} == {d: sorted(map(repr, e)) for d, e in before.items()}
            async with http.get(f"{url}/intents/{first}") as r:
                assert (await r.json())["state"] == "deployed"

    asyncio.run(main())
