"""The machine-wide Mininet lock: re-entrant within a process tree, exclusive between unrelated runs."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from mininet_topos.lock import held_here, mininet_lock

HOLD = "import fcntl, sys, time; f = open(sys.argv[1], 'a'); fcntl.flock(f, fcntl.LOCK_EX); print('held', flush=True); time.sleep(30)"


def test_nested_holders_in_one_process_do_not_deadlock(tmp_path):
    path = tmp_path / "mn.lock"
    assert not held_here(path)
    with mininet_lock(timeout_s=2, path=path):
        assert held_here(path)
        with mininet_lock(timeout_s=2, path=path):  # e.g. conftest's fixture around a bench helper's own
            pass
    assert not held_here(path)


def test_an_unrelated_holder_makes_us_wait(tmp_path):
    path = tmp_path / "mn.lock"
    other = subprocess.Popen([sys.executable, "-c", HOLD, str(path)], stdout=subprocess.PIPE, text=True)
    try:
        assert other.stdout.readline().strip() == "held"
        t0 = time.monotonic()
        with pytest.raises(TimeoutError, match="another Mininet run held"):
            with mininet_lock(timeout_s=0.5, path=path):
                pass
        assert time.monotonic() - t0 >= 0.5
    finally:
        other.kill()
        other.wait()
    with mininet_lock(timeout_s=2, path=path):  # free again once it is gone
        pass
