"""The emulation launch code with plain kernel bridges: hosts reach each other, nothing is left behind.

These prove the Mininet side (topology, ports, lock, scoped cleanup) independently of our P4
software switch; tests/test_e2e_*.py run the same code with omniplan-switch nodes.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from mininet_topos.preflight import mininet_skip_reason

pytestmark = [pytest.mark.root, pytest.mark.skipif(mininet_skip_reason() is not None, reason=str(mininet_skip_reason()))]

REPO = Path(__file__).resolve().parents[1]


def _our_intfs() -> set[str]:
    return {n for n in os.listdir("/sys/class/net") if n.startswith(("s1", "s2", "s3", "s4", "h1", "h2"))}


@pytest.mark.slow
def test_line_of_bridges_forwards_between_hosts_and_cleans_up():
    from mininet_topos.emulation import Emulation
    from mininet_topos.layout import build_layout

    layout = build_layout("line3")
    with Emulation(layout, switch="ipbridge") as emu:
        # the ports Mininet created are the ones the switch list announces
        s2 = emu.net.get("s2")
        assert {s2.ports[i]: i.name for i in s2.intfList() if i.name != "lo"} == layout.switch("s2").ports
        out = emu.host("h1").cmd("ping -c 2 -W 2 -i 0.2", layout.host("h3").ip)
        assert " 0% packet loss" in out, out
        assert emu.host("h1").IP() == "10.0.0.1"
    assert not _our_intfs()


def test_cleanup_runs_when_the_body_fails():
    from mininet_topos import cleanup
    from mininet_topos.emulation import Emulation
    from mininet_topos.layout import build_layout

    with pytest.raises(RuntimeError, match="boom"):
        with Emulation(build_layout("line:2"), switch="ipbridge") as emu:
            shells = [n.pid for n in emu.net.hosts + emu.net.switches]
            sleeper = emu.popen("h1", ["sleep", "60"])
            raise RuntimeError("boom")
    assert not _our_intfs()
    for pid in shells + [sleeper.pid]:
        assert not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text().split()[2]
    assert cleanup._load() == {"pids": {}, "intfs": []}


@pytest.mark.slow
def test_scoped_cleanup_removes_what_a_killed_run_left():
    """A run killed with SIGKILL (no net.stop) leaves shells and veths; cleanup() removes exactly those."""
    import signal
    import sys

    from mininet_topos import cleanup

    script = ("from mininet_topos.emulation import Emulation; from mininet_topos.layout import build_layout; "
              "import time; emu = Emulation(build_layout('line:2'), switch='ipbridge').start(); "
              "print('up', flush=True); time.sleep(60)")
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "up"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    left = cleanup._load()
    shells = [int(p) for p, info in left["pids"].items() if info["what"] == "mininet-shell"]
    assert len(shells) == 4 and all(Path(f"/proc/{p}").exists() for p in shells)
    assert _our_intfs()
    result = cleanup.cleanup()
    assert result["killed"] == 4 and not _our_intfs()
    assert not any(Path(f"/proc/{p}").exists() for p in shells)


@pytest.mark.slow
def test_mn_custom_file_works_with_the_system_mn():
    """`mn --custom mininet_topos/topos.py` (system Python) builds our topology and pings across it."""
    from mininet_topos import cleanup

    with cleanup.exclusive():
        r = subprocess.run(["mn", "--custom", "mininet_topos/topos.py", "--topo", "line,3", "--switch", "ipbridge",
                            "--controller", "none", "--test", "pingall"],
                           cwd=REPO, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "Results: 0% dropped (6/6 received)" in r.stdout + r.stderr


@pytest.mark.slow
def test_traffic_tools_count_every_frame_across_bridges(tmp_path):
    """Sender and receiver in two hosts: every sequence number arrives once (no switch writes labels here)."""
    import json
    import sys
    import time

    from mininet_topos.emulation import Emulation
    from mininet_topos.layout import build_layout
    from mininet_topos.traffic import Samples, check_delivery

    layout = build_layout("line3")
    samples = Samples(task_id=7, features=[[1, 2, 3, 4], [5, 6, 7, 8]], expected=[0, 1])
    samples.save(tmp_path / "samples.json")
    h1, h3 = layout.host("h1"), layout.host("h3")
    with Emulation(layout, switch="ipbridge") as emu:
        rx = emu.popen("h3", [sys.executable, "-m", "mininet_topos.traffic", "recv", "--iface", "h3-eth0",
                              "--report", str(tmp_path / "rx.json"), "--ready-file", str(tmp_path / "ready"),
                              "--progress", "0"], cwd=REPO)
        deadline = time.monotonic() + 20
        while not (tmp_path / "ready").exists():
            assert time.monotonic() < deadline and rx.poll() is None, "receiver did not start"
            time.sleep(0.05)
        tx = emu.popen("h1", [sys.executable, "-m", "mininet_topos.traffic", "send", "--iface", "h1-eth0",
                              "--src-mac", h1.mac, "--dst-mac", h3.mac, "--samples", str(tmp_path / "samples.json"),
                              "--rate", "500", "--count", "400", "--report", str(tmp_path / "tx.json")], cwd=REPO)
        assert tx.wait(timeout=30) == 0
        time.sleep(0.5)
        rx.terminate()
        assert rx.wait(timeout=10) == 0
    sent = json.loads((tmp_path / "tx.json").read_text())
    assert sent["sent"] == 400 and sent["rate_pps"] > 400
    report = check_delivery(400, json.loads((tmp_path / "rx.json").read_text()), samples)
    assert report.received == 400 and not report.lost and report.duplicates == 0
    # a bridge runs no inference: every frame arrives with the done flag unset
    assert len(report.not_done) == 400 and not report.ok


def _netem_skip_reason() -> str | None:
    from mininet_topos.topo import netem_available

    if mininet_skip_reason() is None and not netem_available():
        return ("kernel built without CONFIG_NET_SCH_NETEM (tc: 'Specified qdisc kind is unknown'): "
                "link delays cannot be emulated here")
    return None


@pytest.mark.skipif(_netem_skip_reason() is not None, reason=str(_netem_skip_reason()))
def test_link_delay_is_applied_with_netem():
    """Where the kernel has netem, each switch link carries the layout's (scaled, capped) delay."""
    from mininet_topos.emulation import Emulation
    from mininet_topos.layout import build_layout

    layout = build_layout("Abilene", max_switches=3, max_delay_ms=4.0)
    link = layout.links[0]
    with Emulation(layout, switch="ipbridge") as emu:
        qdisc = emu.net.get(link.a).cmd("tc qdisc show dev", f"{link.a}-eth{link.a_port}")
        assert f"delay {link.delay_ms:g}ms" in qdisc.replace(".0ms", "ms"), qdisc
