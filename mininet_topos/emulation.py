"""Start and stop an emulated network from an ``EmulationLayout``, cleaning up whatever happens.

``Emulation`` is a context manager used by ``make run``, the end-to-end tests and the
reconfiguration benchmark. It takes the machine-wide emulation lock, builds the Mininet network
with the chosen switch class, records every process and interface it creates (see cleanup.py),
waits for process switches to serve P4Runtime, and on exit stops Mininet and removes anything
that is left, even if the body raised.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
from pathlib import Path
from typing import Any, Iterator

from mininet.log import setLogLevel
from mininet.net import Mininet
from mininet.node import Host

from mininet_topos import cleanup
from mininet_topos.layout import EmulationLayout
from mininet_topos.nodes import SWITCH_CLASSES, ProcessSwitch
from mininet_topos.topo import LayoutTopo


class Emulation:
    """A running Mininet network of one layout; use as ``with Emulation(layout) as emu: ...``."""

    def __init__(self, layout: EmulationLayout, switch: str = "omni", *, link_delay: bool = True,
                 log_level: str = "warning", lock_timeout_s: float = 120.0):
        if switch not in SWITCH_CLASSES:
            raise ValueError(f"unknown switch kind {switch!r}; choose one of {', '.join(SWITCH_CLASSES)}")
        self.layout = layout
        self.switch_kind = switch
        self.link_delay = link_delay
        self.log_level = log_level
        self.lock_timeout_s = lock_timeout_s
        self.net: Mininet | None = None
        self._stack = contextlib.ExitStack()
        self._procs: list[subprocess.Popen] = []

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> "Emulation":
        setLogLevel(self.log_level)
        self._stack.enter_context(cleanup.exclusive(self.lock_timeout_s))
        try:
            self.net = Mininet(topo=LayoutTopo(layout=self.layout, link_delay=self.link_delay),
                               switch=SWITCH_CLASSES[self.switch_kind], controller=None, build=False,
                               autoSetMacs=False, autoStaticArp=False)
            self.net.build()
            for node in self.net.hosts + self.net.switches:
                if node.shell is not None:
                    cleanup.record_pid(node.pid, "mininet-shell")
            cleanup.record_intfs([i.name for s in self.net.switches for i in s.intfList() if i.name != "lo"])
            self.net.start()
            for h in self.net.hosts:
                # only our traffic on host links: no IPv6 neighbour discovery or router solicitations
                h.cmd("sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1")
            for s in self.net.switches:
                if isinstance(s, ProcessSwitch):
                    s.wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        for p in self._procs:
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(timeout=3)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait(timeout=3)
            cleanup.forget_pid(p.pid)
        self._procs.clear()
        if self.net is not None:
            net, self.net = self.net, None
            with contextlib.suppress(Exception):
                net.stop()
        self._stack.close()  # releases the lock after a final scoped cleanup

    def __enter__(self) -> "Emulation":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # ------------------------------------------------------------------ access
    def host(self, name: str) -> Host:
        assert self.net is not None, "emulation not started"
        return self.net.get(name)

    def popen(self, host: str, cmd: list[str], **kwargs: Any) -> subprocess.Popen:
        """Run a process inside a host's namespace; it is recorded and ended by ``stop()``."""
        proc = self.host(host).popen(cmd, **kwargs)
        cleanup.record_pid(proc.pid, cmd[0])
        self._procs.append(proc)
        return proc

    def write_switch_list(self, path: str | Path) -> Path:
        """The controller's switch list (JSON) for this layout; see ``EmulationLayout.switch_list``."""
        return write_switch_list(self.layout, path)


def write_switch_list(layout: EmulationLayout, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(layout.switch_list_document(), indent=2))
    return path


@contextlib.contextmanager
def emulation(layout: EmulationLayout, switch: str = "omni", **kwargs: Any) -> Iterator[Emulation]:
    emu = Emulation(layout, switch, **kwargs)
    with emu:
        yield emu
