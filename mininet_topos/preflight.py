"""Can Mininet run here? The precise missing feature if not (tests skip with it, run.py reports it)."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess


@functools.lru_cache(maxsize=1)
def mininet_skip_reason() -> str | None:
    """None when Mininet can run here, else the precise missing feature."""
    if os.geteuid() != 0:
        return "needs root: Mininet creates network namespaces and veth pairs"
    for exe in ("mnexec", "ip", "tc"):
        if shutil.which(exe) is None:
            return f"{exe} is not on PATH (apt-get install mininet iproute2)"
    try:
        import mininet.net  # noqa: F401
    except ImportError:
        return "the mininet Python package is not importable"
    probe = "omnp-ns-probe"
    r = subprocess.run(["ip", "netns", "add", probe], capture_output=True, text=True)
    if r.returncode != 0:
        return f"kernel refuses network namespaces: {r.stderr.strip()}"
    subprocess.run(["ip", "netns", "del", probe], capture_output=True)
    r = subprocess.run(["ip", "link", "add", "omnp-veth-a", "type", "veth", "peer", "name", "omnp-veth-b"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        return f"kernel refuses veth pairs: {r.stderr.strip()}"
    subprocess.run(["ip", "link", "del", "omnp-veth-a"], capture_output=True)
    return None
