"""kill -9 of `omniplan serve` in the middle of a push: after restart no switch is left half-configured.

The controller runs as a real subprocess pushing one entry per WriteRequest (--batch-size 1) so
the push lasts long enough to be killed inside it; the switches are read with the softswitch's
own plain-gRPC client (independent of the controller's finsy code).
"""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request

import networkx as nx
import pytest
import yaml

from controller.testing import SwitchProcesses, compiled_tasks
from omniplan.topology import line
from omniplan.workload import Workload
from softswitch.client import P4RuntimeClient

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOKEN = "k9"
pytestmark = pytest.mark.slow


def _serve(tmp_path, *extra: str) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "omniplan_cli", "serve", "--port", "0", "--db", str(tmp_path / "c.db"), "--token", TOKEN,
         "--topology", str(tmp_path / "line3.graphml"), "--switches", str(tmp_path / "switches.yaml"),
         "--workload", str(tmp_path / "wl.json"), "--no-warm", *extra],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    line_ = proc.stdout.readline()
    m = re.search(r"http://[\d.]+:(\d+)", line_)
    assert m, line_ + proc.stdout.read()
    return proc, f"http://127.0.0.1:{m.group(1)}"


def _call(url: str, method: str = "GET", body=None):
    req = urllib.request.Request(url, data=json.dumps(body).encode() if body is not None else None, method=method,
                                 headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())


def _wait_state(url: str, intent_id: str, states: set[str], timeout: float = 90) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rec = _call(f"{url}/intents/{intent_id}")
        if rec["state"] in states:
            return rec
        time.sleep(0.1)
    raise TimeoutError(f"{intent_id} still {rec['state']}")


def _snapshot(sp: SwitchProcesses) -> dict[str, list[bytes]]:
    out = {}
    for dev, p in sp.procs.items():
        c = P4RuntimeClient(p.address, p.device_id)
        try:
            out[dev] = sorted(e.SerializeToString(deterministic=True) for e in c.read_table())
        finally:
            c.close()
    return out


def test_kill_9_mid_push_is_undone_on_restart(tmp_path):
    topo = line(3)
    g = nx.Graph()
    for d in topo.devices:
        g.add_node(d.name, label=d.name)
    for link in topo.links:
        g.add_edge(link.a, link.b, latency_us=link.latency_us, bandwidth_gbps=link.bandwidth_gbps)
    nx.write_graphml(g, tmp_path / "line3.graphml")
    tasks, _ = compiled_tasks(["s1", "s3", "s2"])
    (tmp_path / "wl.json").write_text(json.dumps(Workload(tuple(tasks)).to_dict(), default=int))

    with SwitchProcesses(topo) as sp:
        cfg = {"format": "omniplan-switches/1", "switches": [
            {"name": c.name, "device_id": c.device_id, "grpc": c.grpc, "device": c.device, "ports": dict(c.ports)}
            for c in sp.configs()]}
        (tmp_path / "switches.yaml").write_text(yaml.safe_dump(cfg))

        proc, url = _serve(tmp_path, "--batch-size", "1")
        try:
            first = _call(f"{url}/intents", "POST", {"preference": {"coordination": 1}, "channel": "fast"})["id"]
            assert _wait_state(url, first, {"deployed", "failed"})["state"] == "deployed"
            committed = _snapshot(sp)
            assert all(committed.values())
            second = _call(f"{url}/intents", "POST", {"preference": {"power": 1}, "channel": "fast"})["id"]
            db = sqlite3.connect(tmp_path / "c.db")
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                row = db.execute("SELECT state FROM pushes WHERE intent_id=?", (second,)).fetchone()
                if row and row[0] == "started":
                    break
                time.sleep(0.02)
            else:
                pytest.fail("the second push never started")
            db.close()
            # let some single-entry writes land, then kill -9 inside the push
            deadline = time.monotonic() + 20
            while _snapshot(sp) == committed and time.monotonic() < deadline:
                time.sleep(0.05)
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=10)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            proc.stdout.close()
        half = _snapshot(sp)
        assert half != committed  # the switches really were caught half-way

        proc, url = _serve(tmp_path)
        try:
            rec = _wait_state(url, second, {"failed", "deployed"})
            assert rec["state"] == "failed"
            assert "controller stopped during the push" in rec["error"] and "rolled back" in rec["error"]
            deadline = time.monotonic() + 30
            while _snapshot(sp) != committed and time.monotonic() < deadline:
                time.sleep(0.1)
            assert _snapshot(sp) == committed  # every switch exactly as the last committed push left it
            assert _call(f"{url}/intents/{first}")["state"] == "deployed"
            pushes = _call(f"{url}/status")["recent_pushes"]
            assert any(p["intent_id"] == second and p["state"] == "interrupted" for p in pushes)
            # the controller still works after recovery
            third = _call(f"{url}/intents", "POST", {"preference": {"power": 1}, "channel": "fast"})["id"]
            rec3 = _wait_state(url, third, {"deployed", "failed"})
            assert rec3["state"] == "deployed", rec3["error"]
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            proc.stdout.close()
