"""Mininet switch nodes: our P4Runtime software switch, BMv2, and a plain Linux bridge.

* ``OmniSwitch`` runs ``omniplan-switch`` (softswitch/) in the root namespace with one
  ``-i PORT@IFACE`` per data-plane interface; the controller programs it over P4Runtime on
  ``127.0.0.1:<grpc_port>``. Logs go to ``/tmp/omniplan-mininet/<name>.log``.
* ``BMv2Switch`` runs BMv2's ``simple_switch_grpc`` the same way (``make run RUN_ARGS="--switch
  bmv2"``); the controller pushes it the p4c-compiled inml.p4.
* ``IPBridge`` is a kernel bridge made with iproute2 (the stock ``LinuxBridge`` needs brctl,
  which is not installed); it checks topology/launch code with plain L2 forwarding.

Switch processes are started with ``subprocess.Popen`` and their pids are recorded through
``mininet_topos.cleanup`` so a crashed run can be cleaned up by pid, never by process name.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from mininet.node import Switch

from mininet_topos import cleanup
from mininet_topos.cleanup import RUN_DIR
from p4src import layout as p4layout


def _data_ports(switch: Switch) -> list[tuple[int, str]]:
    """(port number, interface name) for every data-plane interface, without the loopback."""
    out = []
    for intf in switch.intfList():
        if intf.name == "lo":
            continue
        out.append((switch.ports[intf], intf.name))
    return sorted(out)


def _quiet_intf(name: str) -> None:
    """No IPv6 on switch ports: the kernel's router solicitations would enter the pipeline as noise."""
    subprocess.run(["sysctl", "-qw", f"net.ipv6.conf.{name}.disable_ipv6=1"], check=False,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def wait_for_port(port: int, timeout_s: float, proc: subprocess.Popen | None = None) -> bool:
    """True once something accepts TCP connections on 127.0.0.1:port (False on timeout or process exit)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            return False
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.settimeout(0.2)
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return True
        time.sleep(0.1)
    return False


class ProcessSwitch(Switch):
    """A switch implemented by one external process attached to the switch's interfaces."""

    #: seconds to wait for the gRPC server before declaring the start failed
    start_timeout_s = 30.0

    def __init__(self, name: str, device_id: int | None = None, grpc_port: int | None = None, **params):
        super().__init__(name, **params)
        self.device_id = int(device_id if device_id is not None else int(self.dpid, 16))
        self.grpc_port = int(grpc_port if grpc_port is not None else 50050 + self.device_id)
        self.proc: subprocess.Popen | None = None
        self.log_path = RUN_DIR / f"{name}.log"

    def command(self) -> list[str]:  # pragma: no cover - overridden
        raise NotImplementedError

    def start(self, _controllers) -> None:
        RUN_DIR.mkdir(parents=True, exist_ok=True)
        for _, intf in _data_ports(self):
            _quiet_intf(intf)
            subprocess.run(["ip", "link", "set", intf, "up"], check=False)
        cmd = self.command()
        log = open(self.log_path, "w")
        log.write("$ " + " ".join(cmd) + "\n")
        log.flush()
        self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     start_new_session=True)
        log.close()
        cleanup.record_pid(self.proc.pid, cmd[0])

    def wait_ready(self) -> None:
        """Block until the switch serves P4Runtime; raise with the log tail if it died or hung."""
        if self.proc is None:
            raise RuntimeError(f"{self.name} was never started")
        if not wait_for_port(self.grpc_port, self.start_timeout_s, self.proc):
            tail = self.log_path.read_text(errors="replace")[-2000:] if self.log_path.exists() else ""
            state = f"exited with {self.proc.returncode}" if self.proc.poll() is not None else "did not open its port"
            raise RuntimeError(f"switch {self.name} ({' '.join(self.command())}) {state}; log {self.log_path}:\n{tail}")

    def stop(self, deleteIntfs: bool = True) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        if self.proc is not None:
            cleanup.forget_pid(self.proc.pid)
        self.proc = None
        super().stop(deleteIntfs)


def switch_executable() -> str:
    """``omniplan-switch`` next to the running interpreter, in the repository's .venv (for the
    system-Python ``mn``), else on PATH."""
    for local in (Path(sys.executable).parent / "omniplan-switch",
                  Path(__file__).resolve().parent.parent / ".venv" / "bin" / "omniplan-switch"):
        if local.exists():
            return str(local)
    found = shutil.which("omniplan-switch")
    if not found:
        raise RuntimeError("omniplan-switch is not installed (pip install -e . in the venv provides it)")
    return found


class OmniSwitch(ProcessSwitch):
    """Our P4Runtime software switch (softswitch/) executing the inml pipeline between Linux interfaces."""

    #: the CPU port (packet-in/out to the controller): the one inml.p4 is written for
    cpu_port = p4layout.CPU_PORT

    def command(self) -> list[str]:
        cmd = [switch_executable(), "--device-id", str(self.device_id), "--grpc-port", str(self.grpc_port)]
        for port, intf in _data_ports(self):
            cmd += ["-i", f"{port}@{intf}"]
        cmd += ["--cpu-port", str(self.cpu_port)]
        return cmd


class BMv2Switch(ProcessSwitch):
    """BMv2 ``simple_switch_grpc`` (the reference P4 switch) on the same interfaces and gRPC port.

    The argv comes from ``softswitch.bmv2.bmv2_command`` (the same flags omniplan-switch takes),
    started with --no-p4: the controller pushes the p4c-compiled inml.p4 (p4src/build/inml.json,
    `make p4`) with SetForwardingPipelineConfig, exactly as it does for omniplan-switch.
    """

    def command(self) -> list[str]:
        from softswitch.bmv2 import SwitchSpec, bmv2_available, bmv2_command

        exe = bmv2_available()
        if not exe:
            raise RuntimeError("simple_switch_grpc not found: run `make setup` (or put BMv2 on PATH), or use --switch omni")
        spec = SwitchSpec(device_id=self.device_id, grpc_port=self.grpc_port, interfaces=dict(_data_ports(self)),
                          cpu_port=p4layout.CPU_PORT, log_level="warn")
        return bmv2_command(spec, binary=exe)


def bmv2_available() -> bool:
    from softswitch.bmv2 import bmv2_available as found

    return found() is not None


class IPBridge(Switch):
    """A kernel bridge built with iproute2 (no brctl needed): plain learning L2 forwarding.

    ``stp=True`` turns on the kernel's spanning tree (needed for graphs with cycles; it takes a
    few seconds to converge).
    """

    def __init__(self, name: str, stp: bool = False, **params):
        params.pop("device_id", None)
        params.pop("grpc_port", None)
        super().__init__(name, **params)
        self.stp = stp

    def start(self, _controllers) -> None:
        subprocess.run(["ip", "link", "del", self.name], check=False, stderr=subprocess.DEVNULL)
        subprocess.run(["ip", "link", "add", "name", self.name, "type", "bridge",
                        "stp_state", "1" if self.stp else "0", "forward_delay", "200" if self.stp else "0"], check=True)
        cleanup.record_intf(self.name)
        _quiet_intf(self.name)
        for _, intf in _data_ports(self):
            _quiet_intf(intf)
            subprocess.run(["ip", "link", "set", intf, "master", self.name], check=True)
            subprocess.run(["ip", "link", "set", intf, "up"], check=True)
        subprocess.run(["ip", "link", "set", self.name, "up"], check=True)

    def connected(self) -> bool:
        if not self.stp:
            return True
        out = subprocess.run(["ip", "-d", "link", "show", "master", self.name], capture_output=True, text=True).stdout
        return "state FORWARDING" in out or "state forwarding" in out.lower()

    def stop(self, deleteIntfs: bool = True) -> None:
        subprocess.run(["ip", "link", "del", self.name], check=False, stderr=subprocess.DEVNULL)
        cleanup.forget_intf(self.name)
        super().stop(deleteIntfs)


SWITCH_CLASSES = {"omni": OmniSwitch, "bmv2": BMv2Switch, "ipbridge": IPBridge}
