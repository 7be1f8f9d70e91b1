"""Start omniplan-switch or the reference BMv2 ``simple_switch_grpc`` on a free local port.

Why one place: the conformance tests and the P4Runtime benchmark run the same client against both
switches side by side; both need "a switch of kind K, its address, stop it". BMv2 is found on PATH
or in the project's unpacked toolchain (.p4-toolchain), and starts with no program (--no-p4) so a
client pushes the same P4Info and device config as it pushes to ours.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Iterator, Sequence

ROOT = Path(__file__).resolve().parents[1]
#: Where `make setup` unpacks the P4 toolchain (simple_switch_grpc, p4c-bm2-ss).
TOOLCHAIN_BIN = ROOT / ".p4-toolchain" / "p4-toolchain" / "bin"
KINDS = ("omniplan-switch", "bmv2")


def bmv2_binary() -> str | None:
    """simple_switch_grpc on PATH, else in the unpacked toolchain; None when not installed."""
    found = shutil.which("simple_switch_grpc")
    if found:
        return found
    local = TOOLCHAIN_BIN / "simple_switch_grpc"
    return str(local) if local.exists() else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port: int, proc: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"switch exited with code {proc.returncode} before listening")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return
        time.sleep(0.05)
    raise TimeoutError(f"switch did not listen on port {port} within {timeout} s")


def start(kind: str, device_id: int = 0, timeout: float = 20.0, args: Sequence[str] = (),
          log_level: str = "warning") -> tuple[subprocess.Popen, str]:
    """Start a switch of ``kind`` (omniplan-switch | bmv2); returns the process and its address.

    ``args`` are extra omniplan-switch flags (e.g. --p4info); its stderr is kept for error reports."""
    if kind == "bmv2":
        binary = bmv2_binary()
        if binary is None:
            raise FileNotFoundError("simple_switch_grpc is not installed (PATH or .p4-toolchain)")
        port = free_port()
        proc = subprocess.Popen([binary, "--device-id", str(device_id), "--no-p4", "--",
                                 f"--grpc-server-addr=127.0.0.1:{port}", "--cpu-port=255"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_listening(port, proc, timeout)
        except BaseException:
            stop(proc)
            raise
        return proc, f"127.0.0.1:{port}"
    if kind != "omniplan-switch":
        raise ValueError(f"unknown switch kind {kind!r} (one of {', '.join(KINDS)})")
    proc = subprocess.Popen([sys.executable, "-m", "softswitch.main", "--grpc-port", "0", "--device-id",
                             str(device_id), "--log-level", log_level, *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=ROOT)
    line = proc.stdout.readline()
    m = re.search(r"listening on ([\d.]+:\d+)", line)
    if not m:
        proc.kill()
        err = proc.stderr.read()
        stop(proc)
        raise RuntimeError(f"omniplan-switch did not start: {line!r} {err}")
    # stderr is not read from here on: a full pipe must not block the switch
    threading.Thread(target=_drain, args=(proc.stderr,), daemon=True).start()
    return proc, m.group(1)


def _drain(stream) -> None:
    for _ in stream:
        pass


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    for stream in (proc.stdout, proc.stderr):
        if stream is not None:
            stream.close()


@contextlib.contextmanager
def running(kind: str, device_id: int = 0) -> Iterator[tuple[subprocess.Popen, str]]:
    """A switch of ``kind`` for the block; stopped however the block ends."""
    proc, addr = start(kind, device_id)
    try:
        yield proc, addr
    finally:
        stop(proc)
