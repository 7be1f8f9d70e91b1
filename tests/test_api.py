"""Northbound API against the real controller (planning with the registered experts; no switches)."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest

from controller.service import Controller
from controller.store import Store
from controller.testing import serve_api, wait_for
from omniplan.topology import line
from omniplan.workload import generate_workload

TOKEN = "s3cret"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
FINAL = {"deployed", "failed", "validated", "withdrawn", "superseded"}


def _workload(n=3):
    return generate_workload(n, seed=1, ingress_choices=["s1"]).to_dict()


def _run(coro):
    return asyncio.run(coro)


async def _with_api(fn, tmp_path, *, headers=AUTH, **kw):
    """Run ``fn`` against a served controller; the session sends ``headers`` (the admin token) on every call."""
    ctl = Controller(Store(tmp_path / "c.db"), line(3))
    async with serve_api(ctl, TOKEN, **kw) as url:
        async with aiohttp.ClientSession(headers=headers) as http:
            return await fn(ctl, url, http)


async def _final(http, url, intent_id, timeout=60):
    async def done():
        async with http.get(f"{url}/intents/{intent_id}") as r:
            body = await r.json()
            return body if body["state"] in FINAL else None
    return await wait_for(done, timeout)


def test_submit_preference_intent_reaches_validated_with_lifecycle(tmp_path):
    async def body(ctl, url, http):
        async with http.post(f"{url}/intents", json={"preference": {"power": 1}, "workload": _workload()},
                             headers=AUTH) as r:
            assert r.status == 202
            intent_id = (await r.json())["id"]
        rec = await _final(http, url, intent_id)
        assert rec["state"] == "validated", rec
        assert rec["deploy"] == "skipped: no switches configured"
        assert rec["preference"]["power"] == 1.0
        assert set(rec["objectives"]) == {"power", "resources", "throughput", "latency", "coordination", "hops", "coverage"}
        assert rec["experts"] and rec["experts"][0]["why"]
        assert {"translate", "plan", "check", "total"} <= set(rec["timings_s"])
        assert [h["state"] for h in rec["history"]] == ["queued", "translated", "experts_activated", "planned", "validated", "validated"]
        async with http.get(f"{url}/plan") as r:
            plan = await r.json()
        assert plan["intent"] == intent_id and plan["active"]["plan"]["placement"]
        async with http.get(f"{url}/intents") as r:
            assert [i["id"] for i in (await r.json())["intents"]] == [intent_id]
    _run(_with_api(body, tmp_path))


def test_writes_need_the_token(tmp_path):
    async def body(ctl, url, http):
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"}):
            async with http.post(f"{url}/intents", json={"preference": {"latency": 1}}, headers=headers) as r:
                assert r.status == 401
                assert "bearer token" in (await r.json())["error"]
        async with http.delete(f"{url}/intents/nope") as r:
            assert r.status == 401
        async with http.post(f"{url}/models", json={"task": {}}) as r:
            assert r.status == 401
        assert ctl.store.list_intents() == []
        async with http.get(f"{url}/health") as r:  # liveness stays open
            assert r.status == 200
    _run(_with_api(body, tmp_path, headers=None))


def test_bad_input_is_named(tmp_path):
    async def body(ctl, url, http):
        async with http.post(f"{url}/intents", data='{"text": "x",\n "preference": }', headers=AUTH) as r:
            assert r.status == 400
            err = await r.json()
            assert "malformed JSON at line 2 column" in err["error"] and err["line"] == 2
        async with http.post(f"{url}/intents", json={"text": "fast", "colour": 1, "zzz": 2}, headers=AUTH) as r:
            assert r.status == 400
            err = await r.json()
            assert err["fields"] == ["colour", "zzz"] and "colour" in err["error"]
        async with http.post(f"{url}/intents", json=[1, 2], headers=AUTH) as r:
            assert r.status == 400 and "JSON object" in (await r.json())["error"]
        async with http.post(f"{url}/intents", json={"preference": {"speed": 1}, "workload": _workload()}, headers=AUTH) as r:
            assert r.status == 400 and "speed" in (await r.json())["error"]
        bad_wl = _workload()
        bad_wl["tasks"][0]["mats"][0]["sram_bits"] = -5
        async with http.post(f"{url}/intents", json={"preference": {"latency": 1}, "workload": bad_wl}, headers=AUTH) as r:
            assert r.status == 400 and "sram_bits" in (await r.json())["error"]
        async with http.post(f"{url}/intents", json={"preference": {"latency": 1}}, headers=AUTH) as r:
            assert r.status == 400 and "no tasks" in (await r.json())["error"]
        async with http.post(f"{url}/intents", json={"preference": {"latency": 1}, "tasks": ["ghost"]}, headers=AUTH) as r:
            assert r.status == 400 and "ghost" in (await r.json())["error"]
        async with http.post(f"{url}/intents", data=b"x" * 30000, headers=AUTH) as r:
            assert r.status == 413 and "20000 bytes" in (await r.json())["error"]
        async with http.get(f"{url}/intents/doesnotexist") as r:
            assert r.status == 404
        assert ctl.store.list_intents() == []  # nothing half-applied
    _run(_with_api(body, tmp_path, max_body=20000))


@pytest.mark.slow
def test_fifty_concurrent_submissions_are_serialised_and_none_lost(tmp_path):
    async def body(ctl, url, http):
        wl = generate_workload(2, seed=3, ingress_choices=["s1"]).to_dict()

        async def submit(i):
            pref = {"power": 1} if i % 2 else {"coordination": 1}
            async with http.post(f"{url}/intents", json={"preference": pref, "workload": wl}, headers=AUTH) as r:
                assert r.status == 202
                return (await r.json())["id"]

        ids = await asyncio.gather(*(submit(i) for i in range(50)))
        assert len(set(ids)) == 50
        recs = [await _final(http, url, i, timeout=120) for i in ids]
        assert all(r["state"] == "validated" for r in recs), [r["error"] for r in recs if r["state"] != "validated"]
        # one worker: processing intervals never overlap, and they follow submission order
        spans = sorted((r["seq"], r["started"], r["updated"]) for r in recs)
        for (_, _, end), (_, start, _) in zip(spans, spans[1:]):
            assert start >= end - 1e-6
        assert ctl.queue.qsize() == 0
    _run(_with_api(body, tmp_path))


def test_withdraw_queued_and_openapi_and_metrics_and_events(tmp_path):
    async def body(ctl, url, http):
        async with http.get(f"{url}/openapi.json") as r:
            spec = await r.json()
        assert spec["openapi"].startswith("3.")
        for path in ("/intents", "/intents/{id}", "/plan", "/switches", "/models", "/events", "/health", "/metrics"):
            assert path in spec["paths"]
        events = []

        async def listen():
            async with http.get(f"{url}/events") as r:
                async for raw in r.content:
                    line = raw.decode().strip()
                    if line.startswith("data: "):
                        events.append(json.loads(line[6:]))
                        if events[-1].get("state") in ("validated", "failed"):
                            return
        listener = asyncio.create_task(listen())
        await asyncio.sleep(0.2)
        async with http.post(f"{url}/intents", json={"preference": {"coordination": 1}, "workload": _workload(2)}, headers=AUTH) as r:
            intent_id = (await r.json())["id"]
        await asyncio.wait_for(listener, 60)
        states = [e["state"] for e in events if e.get("intent") == intent_id]
        assert states[:2] == ["queued", "translated"] and states[-1] == "validated"
        assert "planned" in states
        async with http.delete(f"{url}/intents/{intent_id}", headers=AUTH) as r:
            assert r.status == 202 and (await r.json())["state"] == "withdrawn"
        async with http.get(f"{url}/metrics") as r:
            text = await r.text()
        assert 'omniplan_intent_transitions_total{state="planned"} 1.0' in text
        assert "omniplan_http_requests_total" in text
    _run(_with_api(body, tmp_path))



@pytest.mark.slow
def test_post_models_compiled_json_and_skops_safely(tmp_path):
    import numpy as np
    import skops.io as sio
    from sklearn.tree import DecisionTreeClassifier

    rng = np.random.default_rng(0)
    X = rng.uniform(0, 10, (200, 3))
    model = DecisionTreeClassifier(max_depth=3, random_state=0).fit(X, (X[:, 0] > 5).astype(int))
    good = sio.dumps(model)

    async def body(ctl, url, http):
        async with http.post(f"{url}/models?name=dt1&ingress=s2", data=good, headers=AUTH) as r:
            assert r.status == 201, await r.text()
            assert (await r.json())["name"] == "dt1"
        task = ctl.store.models()["dt1"]
        assert task["ingress"] == "s2" and task["program"]["mats"]
        # a compiled task JSON is accepted as is (and validated)
        async with http.post(f"{url}/models", json={"task": task, "name": "dt2"}, headers=AUTH) as r:
            assert r.status == 201
        bad = dict(task, mats=[{"name": "x"}])
        async with http.post(f"{url}/models", json={"task": bad, "name": "dt3"}, headers=AUTH) as r:
            assert r.status == 400 and "sram_bits" in (await r.json())["error"]
        # a skops file that would instantiate an arbitrary callable is refused, not loaded
        evil = sio.dumps({"f": np.save})
        async with http.post(f"{url}/models?name=evil", data=evil, headers=AUTH) as r:
            assert r.status == 400
            assert "untrusted" in (await r.json())["error"]
        async with http.post(f"{url}/models?name=junk", data=b"not a zip", headers=AUTH) as r:
            assert r.status == 400
        assert sorted(ctl.store.models()) == ["dt1", "dt2"]
        # registered tasks are what an intent places by name
        async with http.post(f"{url}/intents", json={"preference": {"power": 1}, "tasks": ["dt1"], "channel": "fast"},
                             headers=AUTH) as r:
            intent_id = (await r.json())["id"]
        rec = await _final(http, url, intent_id)
        assert rec["state"] == "validated" and rec["evaluation"]["placed_tasks"] == 1
    _run(_with_api(body, tmp_path))


def test_openapi_describes_exactly_the_served_routes(tmp_path):
    from controller.api import build_app
    from controller.openapi import SPEC

    app = build_app(Controller(Store(tmp_path / "c.db"), line(3)), TOKEN)
    served = {(r.method.lower(), r.resource.canonical) for r in app.router.routes() if r.method != "HEAD"}
    described = {(m, p) for p, item in SPEC["paths"].items() for m in item if m != "parameters"}
    assert served == described
    for (method, path) in described:
        op = SPEC["paths"][path][method]
        if method in ("post", "delete"):
            assert op["security"] == [{"bearer": []}] and "401" in op["responses"]


def test_registered_model_replaces_a_workload_task_of_the_same_name_for_plans_and_counters(tmp_path):
    """The catalogue (serve-time --workload, then registered models) is one thing: what an intent
    places by name is also what names that task's per-class counters on /metrics."""
    from controller.testing import compiled_tasks
    from omniplan.workload import Workload, task_to_dict

    (dt, rf), _ = compiled_tasks(["s1", "s1"])
    ctl = Controller(Store(tmp_path / "c.db"), line(3), default_workload=Workload((dt,)))
    assert ctl.inference.classes()["m0"] == [0, 1, 2]
    replacement = dict(task_to_dict(rf), name="m0")
    replacement["program"] = dict(replacement["program"], classes=["benign", "scan", "flood"])
    ctl.store.put_model("m0", replacement, "json")
    assert ctl.resolve_workload({"tasks": ["m0"]}).tasks[0].program["classes"] == ["benign", "scan", "flood"]
    assert ctl.inference.classes()["m0"] == ["benign", "scan", "flood"]
    ctl.store.close()
