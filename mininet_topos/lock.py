"""One Mininet run at a time on a machine: every run holds ``flock /tmp/omniplan-mininet.lock``.

Why: Mininet names interfaces and namespaces after nodes (s1-eth1, h1), and ``mn -c``-style cleanup
of one run would tear down another's; two runs on one machine (several sessions, CI plus a person)
must queue. Tests and benchmarks take the same lock as ``flock /tmp/omniplan-mininet.lock make run``.

If this process or a parent already holds the lock (``flock /tmp/omniplan-mininet.lock pytest ...``,
or a test fixture around a helper that takes it too), waiting on it again would deadlock (flock
locks belong to open files, not processes), so ``mininet_lock`` checks ``/proc/locks`` for a
holder among itself and its ancestors and then proceeds without locking again.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from pathlib import Path
from typing import Any, Iterator

#: The lock file every Mininet user on this machine agrees on (see the project brief / README).
LOCK_PATH = Path("/tmp/omniplan-mininet.lock")


def _self_and_ancestors() -> set[int]:
    pids, pid = {os.getpid()}, os.getppid()
    while pid > 1:
        pids.add(pid)
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            pid = int(fields[1])  # after ")" the fields are: state, ppid, ...
        except (OSError, IndexError, ValueError):
            break
    return pids


def held_here(path: Path = LOCK_PATH) -> bool:
    """Whether this process, or one it descends from, holds the flock on ``path``."""
    try:
        st = path.stat()
        locks = Path("/proc/locks").read_text().splitlines()
    except OSError:
        return False
    inode = f":{st.st_ino}"
    dev = f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}:{st.st_ino}"
    ancestors = _self_and_ancestors()
    for line in locks:
        parts = line.split()
        # "1: FLOCK  ADVISORY  WRITE 1234 08:01:5678 0 EOF"
        if len(parts) >= 6 and parts[1] == "FLOCK" and (parts[5] == dev or parts[5].endswith(inode)):
            try:
                if int(parts[4]) in ancestors:
                    return True
            except ValueError:
                continue
    return False


def wait_for_flock(fd: Any, timeout_s: float, holder: str) -> None:
    """Take an exclusive flock on ``fd``, polling; TimeoutError naming ``holder`` after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{holder} for more than {timeout_s:.0f} s") from None
            time.sleep(0.2)


@contextlib.contextmanager
def mininet_lock(timeout_s: float = 1800.0, path: Path = LOCK_PATH) -> Iterator[None]:
    """Hold the machine-wide Mininet lock (waiting up to ``timeout_s``), unless this process or an ancestor does."""
    if held_here(path):
        yield
        return
    with open(path, "a") as handle:
        wait_for_flock(handle, timeout_s, f"another Mininet run held {path}")
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
