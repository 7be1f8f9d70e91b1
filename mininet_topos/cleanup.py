"""Scoped clean-up of an emulation: what we started, by pid, and the interfaces we created.

``mn -c`` is the usual way to clean up after a crashed Mininet run, but it kills processes by
name across the whole machine (``killall ... ping ... mnexec``) and deletes every interface that
looks like ``*-ethN``. On a shared machine that would hit other people's work, so we keep our own
record instead: every process an emulation starts (host shells, switch processes, traffic
generators) is written to ``state.json`` with its start time, and every interface it creates is
listed there too. ``cleanup()`` kills exactly those processes (checking the start time so a
recycled pid is never hit) and deletes exactly those interfaces. A lock file makes emulations
mutually exclusive, since they all use the names s1.., h1...
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Iterator

from mininet_topos.lock import wait_for_flock

RUN_DIR = Path(os.environ.get("OMNIPLAN_MININET_DIR", "/tmp/omniplan-mininet"))
STATE_FILE = RUN_DIR / "state.json"
LOCK_FILE = RUN_DIR / "lock"


def _start_time(pid: int) -> str | None:
    """The process start time in clock ticks (field 22 of /proc/PID/stat), None if it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # the command name (field 2) may contain spaces; fields after it start past the last ')'
    return stat[stat.rfind(")") + 2:].split()[19]


def _load() -> dict:
    try:
        return json.loads(STATE_FILE.read_text())
    except (OSError, ValueError):
        return {"pids": {}, "intfs": []}


def _save(state: dict) -> None:
    RUN_DIR.mkdir(parents=True, exist_ok=True)
    tmp = STATE_FILE.with_suffix(".tmp")
    tmp.write_text(json.dumps(state, indent=1))
    tmp.replace(STATE_FILE)


def record_pid(pid: int, what: str) -> None:
    state = _load()
    state["pids"][str(pid)] = {"what": what, "start": _start_time(pid)}
    _save(state)


def forget_pid(pid: int) -> None:
    state = _load()
    state["pids"].pop(str(pid), None)
    _save(state)


def record_intf(name: str) -> None:
    state = _load()
    if name not in state["intfs"]:
        state["intfs"].append(name)
        _save(state)


def record_intfs(names: list[str]) -> None:
    state = _load()
    state["intfs"] = sorted(set(state["intfs"]) | set(names))
    _save(state)


def forget_intf(name: str) -> None:
    state = _load()
    if name in state["intfs"]:
        state["intfs"].remove(name)
        _save(state)


def _intf_exists(name: str) -> bool:
    return Path(f"/sys/class/net/{name}").exists()


def cleanup() -> dict[str, int]:
    """Kill recorded processes (if still the same process) and delete recorded interfaces."""
    state = _load()
    killed = 0
    live = []
    for pid_s, info in state["pids"].items():
        pid = int(pid_s)
        start = _start_time(pid)
        if start is None or (info.get("start") is not None and start != info["start"]):
            continue  # gone, or the pid now belongs to someone else
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
            live.append((pid, start))
    deadline = time.monotonic() + 3
    for pid, start in live:
        while _start_time(pid) == start and time.monotonic() < deadline:
            time.sleep(0.05)
        if _start_time(pid) == start:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        killed += 1
    deleted = 0
    for name in state["intfs"]:
        if _intf_exists(name):
            subprocess.run(["ip", "link", "del", name], check=False, stderr=subprocess.DEVNULL)
            deleted += 1
    _save({"pids": {}, "intfs": []})
    return {"killed": killed, "deleted_intfs": deleted}


@contextlib.contextmanager
def exclusive(timeout_s: float = 120.0) -> Iterator[None]:
    """Hold the emulation lock (one emulation at a time on this machine); clean leftovers on entry."""
    RUN_DIR.mkdir(parents=True, exist_ok=True)
    fd = os.open(LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        wait_for_flock(fd, timeout_s, f"another OmniPlan emulation holds {LOCK_FILE}")
        cleanup()  # whatever a crashed previous run left behind
        try:
            yield
        finally:
            cleanup()
    finally:
        os.close(fd)


def main() -> int:
    """``python -m mininet_topos.cleanup``: the scoped equivalent of ``mn -c``.

    Refuses while a live emulation holds the lock: its processes are in the record too.
    """
    RUN_DIR.mkdir(parents=True, exist_ok=True)
    fd = os.open(LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"an emulation is running (it holds {LOCK_FILE}); stop it (Ctrl-C) instead", flush=True)
            return 1
        print(cleanup())
        return 0
    finally:
        os.close(fd)


if __name__ == "__main__":
    raise SystemExit(main())
