"""Launch BMv2's simple_switch_grpc with the same settings as omniplan-switch.

Why: omniplan-switch is our default P4Runtime target, but a lab with BMv2 installed should be
able to swap it in without changing anything else. Both take the same SwitchSpec; BMv2 also
needs the compiled program JSON (p4c output), which our switch does not.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from softswitch.dataplane import DEFAULT_CPU_PORT

BMV2_BINARY = "simple_switch_grpc"
#: our --log-level names -> simple_switch's -L names
_BMV2_LEVELS = {"trace": "trace", "debug": "debug", "info": "info", "warn": "warn", "warning": "warn",
                "error": "error", "critical": "error", "off": "off"}


@dataclass
class SwitchSpec:
    """What a P4Runtime switch process is started with (simple_switch_grpc's flags)."""

    device_id: int = 0
    grpc_addr: str = "127.0.0.1"
    grpc_port: int = 9559
    interfaces: dict[int, str] = field(default_factory=dict)  # port -> Linux interface
    cpu_port: int = DEFAULT_CPU_PORT
    log_level: str = "info"


def bmv2_available() -> str | None:
    """Path of simple_switch_grpc (PATH, else the bundle `make setup` unpacks), or None."""
    from p4src.toolchain import find_toolchain

    found = find_toolchain().bmv2
    return str(found) if found else None


def grpc_target(spec: "SwitchSpec") -> str:
    """``host:port``, or a ``unix:/path`` address as given (BMv2 in a network namespace)."""
    return spec.grpc_addr if spec.grpc_addr.startswith("unix:") else f"{spec.grpc_addr}:{spec.grpc_port}"


def bmv2_command(spec: SwitchSpec, program_json: str | Path | None = None, thrift_port: int | None = None,
                 binary: str = BMV2_BINARY) -> list[str]:
    """simple_switch_grpc argv equivalent to ``omniplan_switch_command(spec)``.

    Without ``program_json`` BMv2 starts with --no-p4 and waits for a controller to push one.
    """
    cmd = [binary, "--device-id", str(spec.device_id)]
    for port, iface in sorted(spec.interfaces.items()):
        cmd += ["-i", f"{port}@{iface}"]
    if thrift_port is not None:
        cmd += ["--thrift-port", str(thrift_port)]
    cmd += ["--log-console", "-L", _BMV2_LEVELS.get(spec.log_level, "info")]
    cmd.append(str(program_json) if program_json else "--no-p4")
    # target-specific options come after "--"
    cmd += ["--", f"--grpc-server-addr={grpc_target(spec)}", f"--cpu-port={spec.cpu_port}"]
    return cmd


def omniplan_switch_command(spec: SwitchSpec, p4info: str | Path | None = None) -> list[str]:
    """argv that runs our switch (through the current interpreter, so no PATH is needed)."""
    cmd = [sys.executable, "-m", "softswitch.main", "--device-id", str(spec.device_id),
           "--grpc-addr", spec.grpc_addr, "--grpc-port", str(spec.grpc_port),
           "--cpu-port", str(spec.cpu_port), "--log-level", spec.log_level]
    for port, iface in sorted(spec.interfaces.items()):
        cmd += ["-i", f"{port}@{iface}"]
    if p4info:
        cmd += ["--p4info", str(p4info)]
    return cmd


def wait_for_port(addr: str, port: int, proc: subprocess.Popen, timeout: float = 10.0) -> None:
    """Block until ``addr:port`` accepts TCP connections; raise if the process died or time ran out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"switch exited with code {proc.returncode} before listening on {addr}:{port}")
        try:
            with socket.create_connection((addr, port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"switch did not listen on {addr}:{port} within {timeout} s")


def wait_for_unix_socket(path: str | Path, proc: subprocess.Popen, timeout: float = 10.0) -> None:
    """Block until a server accepts connections on the unix socket ``path``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"switch exited with code {proc.returncode} before listening on {path}")
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                s.connect(str(path))
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"switch did not listen on {path} within {timeout} s")


def launch_bmv2(spec: SwitchSpec, program_json: str | Path | None = None, log_file: str | Path | None = None,
                timeout: float = 10.0) -> subprocess.Popen:
    """Start simple_switch_grpc and wait until its P4Runtime port is up. Caller terminates it."""
    binary = bmv2_available()
    if binary is None:
        raise FileNotFoundError(f"{BMV2_BINARY} not found: run `make setup` (or put BMv2 on PATH), or use omniplan-switch")
    out = open(log_file, "ab") if log_file else subprocess.DEVNULL
    proc = subprocess.Popen(bmv2_command(spec, program_json, binary=binary), stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_for_port(spec.grpc_addr, spec.grpc_port, proc, timeout)
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    return proc
