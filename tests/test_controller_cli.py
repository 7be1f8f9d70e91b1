"""`omniplan serve` as a real subprocess, driven by the `omniplan intent|status|switches` client."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys

import pytest

from omniplan_cli.main import main
from omniplan.workload import generate_workload

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

#: each test starts real subprocesses (switches or `omniplan serve`): several seconds on a loaded machine
pytestmark = pytest.mark.slow


@pytest.fixture
def server(tmp_path):
    wl = tmp_path / "wl.json"
    generate_workload(3, seed=2, ingress_choices=["e0_0", "e1_0"]).save(wl)
    proc = subprocess.Popen([sys.executable, "-m", "omniplan_cli", "serve", "--port", "0", "--db", str(tmp_path / "c.db"),
                             "--token", "tok", "--topology", "fattree4", "--workload", str(wl), "--no-warm"],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    line = proc.stdout.readline()
    m = re.search(r"http://[\d.]+:(\d+)", line)
    assert m, line
    yield f"http://127.0.0.1:{m.group(1)}"
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=20)
    proc.stdout.close()


def test_cli_submit_wait_show_status_switches(server, capsys):
    base = ["--url", server, "--token", "tok"]
    rc = main(["intent", "submit", "--prefer", "power=1", "--wait", "--channel", "fast", *base])
    captured = capsys.readouterr()
    out = captured.out
    assert rc == 0, captured.err
    m = re.search(r"intent (\w+)\s+state validated", out)
    assert m, out
    assert "objectives" in out and "expert" in out
    intent_id = m.group(1)
    assert main(["intent", "show", intent_id, "--json", *base]) == 0
    assert f'"id": "{intent_id}"' in capsys.readouterr().out
    assert main(["status", *base]) == 0
    status = capsys.readouterr().out
    assert f"active intent {intent_id}" in status
    assert "None" not in status and "idle, nothing pending" in status
    assert main(["switches", *base]) == 0
    assert main(["intent", "list", *base]) == 0
    assert intent_id in capsys.readouterr().out


def test_cli_errors_exit_2_without_traceback(server, capsys):
    assert main(["intent", "submit", "--prefer", "latency=1", "--url", server, "--token", "wrong"]) == 2
    err = capsys.readouterr().err
    assert "HTTP 401" in err and "OMNIPLAN_TOKEN" in err and "Traceback" not in err
    assert main(["intent", "submit", "--prefer", "speed=1", "--url", server, "--token", "tok"]) == 2
    assert "speed" in capsys.readouterr().err
    assert main(["intent", "show", "nope", "--url", server, "--token", "tok"]) == 2
    assert "HTTP 404" in capsys.readouterr().err
    assert main(["intent", "list", "--url", server]) == 2  # reads need a token too
    assert "HTTP 401" in capsys.readouterr().err
    assert main(["status", "--url", "http://127.0.0.1:9"]) == 2
    assert "cannot reach the controller" in capsys.readouterr().err
