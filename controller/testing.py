"""Run the real controller and real software switches on loopback, for tests and benchmarks.

Nothing here is a double: ``SwitchProcesses`` starts ``omniplan-switch`` subprocesses (the
project's P4Runtime server) on free 127.0.0.1 ports and ``serve_api`` runs the aiohttp app on a
free port, so tests exercise the same code paths as ``omniplan serve``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import AsyncIterator

from controller.config import SwitchConfig
from omniplan.topology import Topology

ROOT = Path(__file__).resolve().parent.parent
_LISTEN = re.compile(r"listening on ([\d.]+):(\d+)")


@dataclass
class SwitchProcess:
    device: str
    device_id: int
    port: int
    proc: subprocess.Popen

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"


def start_switch(device: str, device_id: int, port: int = 0, timeout_s: float = 20.0) -> SwitchProcess:
    """Start one omniplan-switch and wait for its 'listening on' line (port 0 = any free port)."""
    cmd = [sys.executable, "-m", "softswitch.main", "--device-id", str(device_id), "--grpc-port", str(port),
           "--log-level", "error"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    deadline = time.monotonic() + timeout_s
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        m = _LISTEN.search(line)
        if m:
            return SwitchProcess(device, device_id, int(m.group(2)), proc)
    proc.kill()
    proc.wait()
    raise RuntimeError(f"omniplan-switch for {device} did not start: {line!r}")


@dataclass
class SwitchProcesses:
    """One software switch per topology device; ``configs`` is the controller's switch list."""

    topology: Topology
    procs: dict[str, SwitchProcess] = field(default_factory=dict)

    def start(self) -> "SwitchProcesses":
        for i, dev in enumerate(sorted(self.topology.device_index)):
            self.procs[dev] = start_switch(dev, i + 1)
        return self

    def configs(self) -> list[SwitchConfig]:
        out = []
        for dev, sp in sorted(self.procs.items()):
            ports = {"host": 1}
            for j, nb in enumerate(sorted(self.topology.graph.neighbors(dev))):
                ports[nb] = j + 2
            out.append(SwitchConfig(dev, sp.device_id, sp.address, dev, ports))
        return out

    def stop_one(self, device: str) -> None:
        sp = self.procs[device]
        sp.proc.send_signal(signal.SIGKILL)
        sp.proc.wait(timeout=10)

    def restart_one(self, device: str) -> None:
        """Start the device's switch again on the same port (it comes back empty, like a rebooted switch)."""
        old = self.procs[device]
        for _ in range(50):
            try:
                self.procs[device] = start_switch(device, old.device_id, old.port)
                return
            except RuntimeError:
                time.sleep(0.1)
        raise RuntimeError(f"cannot restart {device} on port {old.port}")

    def close(self) -> None:
        for sp in self.procs.values():
            if sp.proc.poll() is None:
                sp.proc.terminate()
        for sp in self.procs.values():
            try:
                sp.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                sp.proc.kill()
                sp.proc.wait()
            if sp.proc.stdout:
                sp.proc.stdout.close()

    def __enter__(self) -> "SwitchProcesses":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()


@contextlib.asynccontextmanager
async def serve_api(controller, token: str = "test-token", *, max_body: int = 1 << 20, **options) -> AsyncIterator[str]:
    """Run the real aiohttp app on a free loopback port; yields its base URL (``options``: see ``build_app``)."""
    from aiohttp import web

    from controller.api import build_app

    app = build_app(controller, token, max_body=max_body, **options)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


async def wait_for(predicate, timeout_s: float = 30.0, interval_s: float = 0.05):
    """Poll an (a)sync predicate until it returns something truthy."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = predicate()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met in time")
        await asyncio.sleep(interval_s)


def compiled_tasks(ingress: list[str], *, seed: int = 0, n_samples: int = 300):
    """Small real classifiers (DT, RF, GaussianNB) trained on seeded synthetic data and compiled by mlcompiler.

    Returns (tasks, X): the tasks carry their programs; X is the training data (for test packets).
    """
    import numpy as np
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.naive_bayes import GaussianNB
    from sklearn.tree import DecisionTreeClassifier

    from mlcompiler.compiler import compile_model, ranges_from_data
    from mlcompiler.spec import spec_from_estimator

    rng = np.random.default_rng(seed)
    X = rng.uniform(0, 10, (n_samples, 4))
    y = (X[:, 0] + X[:, 1] > 10).astype(int) + (X[:, 2] > 7)
    makers = [lambda: DecisionTreeClassifier(max_depth=4, random_state=seed),
              lambda: RandomForestClassifier(n_estimators=3, max_depth=3, random_state=seed),
              lambda: GaussianNB()]
    tasks = []
    for i, dev in enumerate(ingress):
        est = makers[i % len(makers)]().fit(X, y)
        tasks.append(compile_model(spec_from_estimator(est), f"m{i}", ranges_from_data(X), ingress=dev))
    return tasks, X
