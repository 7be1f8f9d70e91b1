"""The whole in-network inference scenario on Mininet: switches, controller, model, traffic.

Shared by ``make run`` (interactive), the end-to-end tests and the reconfiguration benchmark so
all three exercise the same path an operator does:

1. Mininet network of ``omniplan-switch`` nodes laid out from a planner topology;
2. the controller (``omniplan serve``) started as a subprocess with the generated switch list,
   the topology (as GraphML, so a subset is exactly what the emulation runs) and a workload
   holding the compiled iris model;
3. label receivers on every host, and a paced sender on the ingress host putting quantised iris
   features into the inference header;
4. intents submitted over the northbound HTTP API, exactly as ``omniplan intent submit`` does.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mininet_topos import cleanup
from mininet_topos.demo_model import build as build_model, write_workload
from mininet_topos.emulation import Emulation, write_switch_list
from mininet_topos.layout import EmulationLayout, write_graphml
from mininet_topos.traffic import Samples

REPO = Path(__file__).resolve().parent.parent
_LISTEN = re.compile(r"listening on (http://[\d.]+:\d+)")
#: Intent states after which nothing more happens to it.
FINAL_STATES = {"deployed", "failed", "withdrawn", "superseded"}


class ScenarioError(RuntimeError):
    pass


# ---------------------------------------------------------------------- northbound client

@dataclass
class Api:
    """A minimal client of the controller's northbound HTTP API (the contract is GET /openapi.json)."""

    base: str
    token: str
    timeout_s: float = 10.0

    def _call(self, method: str, path: str, body: dict | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method)
        req.add_header("Authorization", f"Bearer {self.token}")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=self.timeout_s) as resp:
                return json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as exc:
            raise ScenarioError(f"{method} {path}: HTTP {exc.code}: {exc.read().decode(errors='replace')}") from None

    def get(self, path: str) -> Any:
        return self._call("GET", path)

    def post(self, path: str, body: dict) -> Any:
        return self._call("POST", path, body)

    def submit(self, text: str | None = None, **fields: Any) -> str:
        body = {k: v for k, v in {"text": text, **fields}.items() if v is not None}
        return self.post("/intents", body)["id"]

    def wait(self, intent_id: str, timeout_s: float = 60.0, poll_s: float = 0.1) -> dict[str, Any]:
        """Poll an intent until it reaches a final state; raise if it failed or time ran out."""
        deadline = time.monotonic() + timeout_s
        rec: dict[str, Any] = {}
        while time.monotonic() < deadline:
            rec = self.get(f"/intents/{intent_id}")
            if rec["state"] in FINAL_STATES:
                if rec["state"] != "deployed":
                    raise ScenarioError(f"intent {intent_id} ended {rec['state']}: {rec.get('error') or rec}")
                return rec
            time.sleep(poll_s)
        raise ScenarioError(f"intent {intent_id} still {rec.get('state')} after {timeout_s:.0f}s: {rec}")


# ---------------------------------------------------------------------- scenario

@dataclass
class Scenario:
    """Everything ``make run`` starts; use as a context manager (stops and cleans up on exit)."""

    layout: EmulationLayout
    workdir: Path
    model: str = "rf"
    sender: str = "h1"
    http_port: int = 8181
    token: str = "omniplan-demo"
    rate_pps: float = 50.0
    #: switch kind (mininet_topos.nodes.SWITCH_CLASSES): "omni" (omniplan-switch) or "bmv2"
    switch: str = "omni"
    n_samples: int | None = None
    #: preload the controller's intent translator (text intents answer fast; start takes ~30 s more
    #: on a 2-core machine). Tests and benchmarks that submit preference vectors turn it off.
    warm_translator: bool = True
    emulation: Emulation | None = field(default=None, init=False)
    controller: subprocess.Popen | None = field(default=None, init=False)
    api: Api | None = field(default=None, init=False)
    samples: Samples | None = field(default=None, init=False)
    task_name: str = field(default="", init=False)
    receivers: dict[str, subprocess.Popen] = field(default_factory=dict, init=False)
    sender_proc: subprocess.Popen | None = field(default=None, init=False)
    _senders_started: int = field(default=0, init=False)
    #: the next sender run starts its sequence numbers here, so runs never collide in the receivers
    next_seq: int = field(default=0, init=False)

    # ------------------------------------------------------------------ files
    @property
    def paths(self) -> dict[str, Path]:
        w = self.workdir
        topo_file = re.sub(r"[^A-Za-z0-9_.-]+", "-", self.layout.topology.name).strip("-") or "topology"
        return {"switches": w / "switches.json", "topology": w / f"{topo_file}.graphml", "workload": w / "workload.json",
                "samples": w / "samples.json", "db": w / "omniplan.db", "controller_log": w / "controller.log",
                "layout": w / "layout.json"}

    def prepare(self) -> None:
        """Write the switch list, topology, workload and samples the run uses."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        p = self.paths
        ingress = self.layout.switch(self.layout.host(self.sender).switch).device
        task, self.samples = build_model(self.model, ingress=ingress, task_id=1, n_samples=self.n_samples)
        self.task_name = task.name
        write_switch_list(self.layout, p["switches"])
        write_graphml(self.layout.topology, p["topology"])
        write_workload([task], p["workload"])
        self.samples.save(p["samples"])
        p["layout"].write_text(json.dumps(self.layout.summary(), indent=1))
        if p["db"].exists():
            p["db"].unlink()  # a fresh controller state per run

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> "Scenario":
        try:
            self.prepare()
            self.emulation = Emulation(self.layout, self.switch).start()
            self._start_controller()
            self.wait_switches_ready()
            self.wait_controller_idle()
            # every host listens, the sender's too: the controller delivers classified packets to the
            # host of the device where the last MAT runs, which moves when a plan does
            for h in self.layout.hosts:
                self._start_receiver(h.name)
        except BaseException:
            self.stop()
            raise
        return self

    def _start_controller(self, timeout_s: float = 60.0) -> None:
        p = self.paths
        exe = Path(sys.executable).parent / "omniplan"
        cmd = [str(exe) if exe.exists() else "omniplan", "serve", "--host", "127.0.0.1", "--port", str(self.http_port),
               "--topology", str(p["topology"]), "--switches", str(p["switches"]), "--workload", str(p["workload"]),
               "--db", str(p["db"]), "--token", self.token] + ([] if self.warm_translator else ["--no-warm"])
        log = open(p["controller_log"], "w")
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
        self.controller = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                           cwd=REPO, env=env, start_new_session=True)
        log.close()
        cleanup.record_pid(self.controller.pid, "omniplan")
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and self.controller.poll() is None:
            m = _LISTEN.search(p["controller_log"].read_text(errors="replace"))
            if m:
                self.api = Api(m.group(1), self.token)
                return
            time.sleep(0.1)
        raise ScenarioError(f"controller did not start ({' '.join(cmd)}); see {p['controller_log']}:\n"
                            + p["controller_log"].read_text(errors="replace")[-3000:])

    def wait_switches_ready(self, timeout_s: float = 60.0) -> None:
        assert self.api is not None
        n = len(self.layout.switches)
        deadline = time.monotonic() + timeout_s
        health: dict[str, Any] = {}
        while time.monotonic() < deadline:
            health = self.api.get("/health")
            if health.get("switches_ready") == n:
                return
            if self.controller is not None and self.controller.poll() is not None:
                break
            time.sleep(0.2)
        raise ScenarioError(f"only {health.get('switches_ready')} of {n} switches became ready: "
                            f"{self.api.get('/switches') if self.controller and self.controller.poll() is None else ''}")

    def wait_controller_idle(self, timeout_s: float = 240.0) -> None:
        """Until the controller's queue is empty and its worker idle (e.g. done preloading the translator)."""
        assert self.api is not None
        deadline = time.monotonic() + timeout_s
        status: dict[str, Any] = {}
        while time.monotonic() < deadline:
            status = self.api.get("/status")
            if not status.get("queue_depth") and status.get("working_on") is None:  # "" = preloading
                return
            if self.controller is not None and self.controller.poll() is not None:
                break
            time.sleep(0.2)
        raise ScenarioError(f"controller still busy after {timeout_s:.0f}s: {status}")

    def _traffic_cmd(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "mininet_topos.traffic", *args]

    def rx_report(self, host: str) -> Path:
        return self.workdir / f"rx-{host}.json"

    def _start_receiver(self, host: str, timeout_s: float = 20.0) -> None:
        assert self.emulation is not None
        ready = self.workdir / f"rx-{host}.ready"
        ready.unlink(missing_ok=True)
        self.rx_report(host).unlink(missing_ok=True)
        proc = self.emulation.popen(host, self._traffic_cmd("recv", "--iface", f"{host}-eth0", "--report",
                                                            str(self.rx_report(host)), "--ready-file", str(ready),
                                                            "--progress", "0.5"),
                                    cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.receivers[host] = proc
        deadline = time.monotonic() + timeout_s
        while not ready.exists():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise ScenarioError(f"receiver on {host} did not start")
            time.sleep(0.05)

    def start_sender(self, rate_pps: float | None = None, count: int | None = None, duration_s: float | None = None,
                     progress_s: float = 0.0, stdout: Any = subprocess.DEVNULL) -> Path:
        """Start the paced sender on the ingress host; returns the path of its end-of-run report.

        Its sequence numbers start at ``next_seq``; ``stop_sender`` advances ``next_seq`` past them.
        """
        assert self.emulation is not None
        h = self.layout.host(self.sender)
        self._senders_started += 1
        report = self.workdir / f"tx-{self._senders_started}.json"
        report.unlink(missing_ok=True)
        args = ["send", "--iface", f"{h.name}-eth0", "--src-mac", h.mac, "--samples", str(self.paths["samples"]),
                "--rate", str(rate_pps or self.rate_pps), "--report", str(report), "--progress", str(progress_s),
                "--seq-start", str(self.next_seq)]
        if count is not None:
            args += ["--count", str(count)]
        if duration_s is not None:
            args += ["--duration", str(duration_s)]
        self.sender_proc = self.emulation.popen(h.name, self._traffic_cmd(*args), cwd=REPO, stdout=stdout,
                                                stderr=subprocess.STDOUT)
        return report

    def stop_sender(self, timeout_s: float = 30.0, now: bool = False) -> dict[str, Any]:
        """Wait for the sender to finish (``now``: stop it at once) and return its report."""
        proc = self.sender_proc
        if proc is None:
            raise ScenarioError("no sender running")
        if now:
            proc.terminate()  # the sender ends its loop on SIGTERM and writes its report
        try:
            proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            proc.terminate()
            proc.wait(timeout=5)
        report = self.workdir / f"tx-{self._senders_started}.json"
        if not report.exists():
            raise ScenarioError(f"sender ended with {proc.returncode} and wrote no report")
        out = json.loads(report.read_text())
        out["seqs"] = range(out["seq_start"], out["seq_start"] + out["sent"])
        self.next_seq = out["seq_start"] + out["sent"]
        return out

    def received(self) -> dict[str, Any]:
        """All receivers' live reports merged: per sequence number the first copy; copies elsewhere count as duplicates."""
        merged: dict[str, Any] = {"packets": {}, "duplicates": 0, "by_host": {}}
        for host in self.receivers:
            path = self.rx_report(host)
            if not path.exists():
                continue
            try:
                rx = json.loads(path.read_text())
            except ValueError:
                continue  # being rewritten; the next read sees it
            merged["by_host"][host] = rx["received"]
            merged["duplicates"] += rx["duplicates"]
            for seq, v in rx["packets"].items():
                if seq in merged["packets"]:
                    merged["duplicates"] += 1
                else:
                    merged["packets"][seq] = v
        return merged

    def wait_received(self, seqs: range, timeout_s: float = 10.0) -> dict[str, Any]:
        """Merged receiver reports once every seq in ``seqs`` arrived (or the timeout passed)."""
        deadline = time.monotonic() + timeout_s
        while True:
            rx = self.received()
            if all(str(s) in rx["packets"] for s in seqs) or time.monotonic() > deadline:
                return rx
            time.sleep(0.2)

    def stop(self) -> None:
        if self.sender_proc is not None and self.sender_proc.poll() is None:
            self.sender_proc.terminate()
        if self.controller is not None:
            if self.controller.poll() is None:
                self.controller.terminate()
                try:
                    self.controller.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self.controller.kill()
                    self.controller.wait(timeout=5)
            cleanup.forget_pid(self.controller.pid)
            self.controller = None
        if self.emulation is not None:
            self.emulation.stop()  # ends receivers/sender too (they were started through it)
            self.emulation = None

    def __enter__(self) -> "Scenario":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()
