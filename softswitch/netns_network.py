"""A private network of P4Runtime switches: one network namespace, veth links, one switch process each.

WHY: BMv2 is the reference our switch is checked against (differential tests, benchmarks), and it
only moves packets between Linux interfaces; to compare like with like, omniplan-switch can run the
same way (``kind="omni"``: the ``omniplan-switch`` process on raw sockets). Everything lives in a
network namespace this module
creates and deletes (nothing touches the host's interfaces): switch-to-switch links are veth
pairs, each host port is a veth whose far end the caller writes and reads through raw sockets, and
the P4Runtime servers listen on unix sockets, so the controller's southbound reaches them from the
root namespace exactly as it reaches a TCP switch (``SwitchConfig(grpc="unix:/...")``).

The network is described by the realizer's port map ({device: {neighbour: port}}): a neighbour
that is itself a device is a link, any other name is a host. Needs root and ``ip`` (iproute2).
"""

from __future__ import annotations

import ctypes
import itertools
import os
import select
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Mapping

from softswitch.bmv2 import SwitchSpec, bmv2_command, omniplan_switch_command, wait_for_unix_socket
from softswitch.dataplane import DEFAULT_CPU_PORT, ETH_P_ALL, MAX_FRAME, PACKET_OUTGOING

_CLONE_NEWNET = 0x40000000
_REPO = Path(__file__).resolve().parent.parent  # omniplan-switch runs as `python -m softswitch.main`
_names = itertools.count()
#: switch kinds a namespace network can run
KINDS = ("bmv2", "omni")
#: Packets in flight per burst. Measured on a 3-switch line (2 cores): bursts of 64 lost about
#: half the frames inside BMv2, bursts of 8-32 lost none and ran at 1,600-2,000 pkt/s.
BURST = 16
#: A burst with missing answers is given up after this long without any frame arriving. Long
#: enough for BMv2's slowest case measured here (XGB: a burst of 16 packets, each recirculated
#: through 1536-bit ternary tables of a few thousand entries, takes about 1 s).
QUIET_S = 2.0


def netns_available() -> str | None:
    """None when this process can build namespaces and veths, else the reason it cannot."""
    if os.geteuid() != 0:
        return "needs root (network namespaces and veth pairs)"
    if shutil.which("ip") is None:
        return "needs iproute2's ip"
    return None


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=30)


def reap_stale_namespaces() -> list[str]:
    """Delete namespaces this module made in processes that no longer exist (killed with -9).

    Names are ``omniplan-<kind>-<creator pid>-<n>``; a namespace whose creator is gone is ours and
    orphaned: its switch processes (``ip netns pids``) are killed by pid, then it is deleted.
    """
    out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, timeout=30).stdout
    reaped = []
    for line in out.splitlines():
        name = line.split()[0] if line.strip() else ""
        parts = name.split("-")
        if len(parts) != 4 or parts[0] != "omniplan" or parts[1] not in KINDS or not parts[2].isdigit():
            continue
        if Path(f"/proc/{parts[2]}").exists():
            continue
        pids = subprocess.run(["ip", "netns", "pids", name], capture_output=True, text=True, timeout=30).stdout.split()
        for pid in pids:
            try:
                os.kill(int(pid), 9)
            except (ProcessLookupError, ValueError):
                pass
        subprocess.run(["ip", "netns", "del", name], capture_output=True, timeout=30)
        reaped.append(name)
    return reaped


def _in_netns(netns: str, fn):
    """Run ``fn()`` on a thread that has joined ``netns`` (setns is per thread) and return its result.

    Sockets created there stay in that namespace and can be used from any thread.
    """
    box: dict = {}

    def run():
        fd = os.open(f"/run/netns/{netns}", os.O_RDONLY)
        try:
            if ctypes.CDLL(None, use_errno=True).setns(fd, _CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), f"setns into {netns}")
            box["value"] = fn()
        except BaseException as exc:  # re-raised in the caller
            box["error"] = exc
        finally:
            os.close(fd)

    t = threading.Thread(target=run, name=f"setns-{netns}")
    t.start()
    t.join()
    if "error" in box:
        raise box["error"]
    return box["value"]


class NamespaceNetwork:
    """Switches of one kind wired like ``port_map``; ``send`` into host ports, ``exchange`` to collect.

    Example::

        with NamespaceNetwork({"s1": {"h1": 1, "s2": 2}, "s2": {"s1": 1, "h2": 2}}, kind="bmv2") as net:
            net.address("s1")                    # 'unix:/tmp/.../s1.sock' for the southbound
            out = net.exchange([("s1", "h1", frame)])   # [("s2", "h2", bytes), ...]
    """

    def __init__(self, port_map: Mapping[str, Mapping[str, int]], *, kind: str = "bmv2",
                 device_ids: Mapping[str, int] | None = None, cpu_port: int = DEFAULT_CPU_PORT,
                 log_dir: str | Path | None = None):
        if kind not in KINDS:
            raise ValueError(f"unknown switch kind {kind!r}; choose one of {', '.join(KINDS)}")
        reason = netns_available()
        if reason:
            raise RuntimeError(f"{kind} network: {reason}")
        exe = ""
        if kind == "bmv2":
            from p4src.toolchain import HOW_TO_GET, find_toolchain

            found = find_toolchain().bmv2
            if found is None:
                raise FileNotFoundError(f"simple_switch_grpc not found; {HOW_TO_GET}")
            exe = str(found)
        self.kind = kind
        reap_stale_namespaces()
        self.port_map = {d: dict(p) for d, p in port_map.items()}
        self.devices = list(self.port_map)
        self.device_ids = dict(device_ids or {d: i + 1 for i, d in enumerate(self.devices)})
        self.netns = f"omniplan-{kind}-{os.getpid()}-{next(_names)}"
        self.dir = Path(tempfile.mkdtemp(prefix=f"omniplan-{kind}-"))
        self.log_dir = Path(log_dir) if log_dir else None
        self.procs: dict[str, subprocess.Popen] = {}
        self.sockets: dict[tuple[str, str], socket.socket] = {}  # (device, host) -> raw socket
        self._by_fd: dict[int, tuple[str, str]] = {}
        try:
            self._build(exe, cpu_port)
        except BaseException:
            self.close()
            raise

    # ------------------------------------------------------------------ setup
    def _iface(self, device: str, port: int, host_side: bool = False) -> str:
        return f"{'h' if host_side else 'v'}{self.devices.index(device)}p{port}"  # <= 15 chars

    def _build(self, exe: str, cpu_port: int) -> None:
        _ip("netns", "add", self.netns)
        # no IPv6 in the namespace: router solicitations would enter the pipelines as noise
        subprocess.run(["ip", "netns", "exec", self.netns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1",
                        "net.ipv6.conf.default.disable_ipv6=1"], check=True, capture_output=True, timeout=30)
        ns = ["-n", self.netns]
        hosts: list[tuple[str, str, str]] = []
        for dev, ports in self.port_map.items():
            for nb, port in ports.items():
                here = self._iface(dev, port)
                if nb in self.port_map:
                    if self.devices.index(nb) < self.devices.index(dev):
                        continue  # the link was made from the other end
                    there = self._iface(nb, self.port_map[nb][dev])
                else:
                    there = self._iface(dev, port, host_side=True)
                    hosts.append((dev, nb, there))
                _ip(*ns, "link", "add", here, "type", "veth", "peer", "name", there)
                _ip(*ns, "link", "set", here, "up")
                _ip(*ns, "link", "set", there, "up")
        for dev in self.devices:
            spec = SwitchSpec(device_id=self.device_ids[dev], grpc_addr=f"unix:{self.dir / dev}.sock", grpc_port=0,
                              interfaces={p: self._iface(dev, p) for p in self.port_map[dev].values()},
                              cpu_port=cpu_port, log_level="info" if self.log_dir else "off")
            argv = bmv2_command(spec, binary=exe) if self.kind == "bmv2" else omniplan_switch_command(spec)
            out = open(self.log_dir / f"{dev}.log", "wb") if self.log_dir else subprocess.DEVNULL
            self.procs[dev] = subprocess.Popen(["ip", "netns", "exec", self.netns] + argv, stdout=out,
                                               stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=_REPO)
        for dev in self.devices:
            wait_for_unix_socket(self.dir / f"{dev}.sock", self.procs[dev])

        def open_sockets():
            out = {}
            for dev, host, iface in hosts:
                s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
                s.bind((iface, 0))
                s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
                s.setblocking(False)
                out[(dev, host)] = s
            return out

        self.sockets = _in_netns(self.netns, open_sockets)
        self._by_fd = {s.fileno(): k for k, s in self.sockets.items()}

    def address(self, device: str) -> str:
        """gRPC target of ``device``'s P4Runtime server."""
        return f"unix:{self.dir / device}.sock"

    # ------------------------------------------------------------------ packets
    def send(self, device: str, host: str, frame: bytes) -> None:
        """``host`` (attached to ``device``) sends ``frame`` into the switch."""
        self.sockets[(device, host)].send(frame)

    def receive(self, timeout_s: float) -> list[tuple[str, str, bytes]]:
        """Frames the switches delivered to hosts within ``timeout_s`` (returns at the first batch)."""
        ready, _, _ = select.select(list(self.sockets.values()), [], [], timeout_s)
        out = []
        for s in ready:
            dev, host = self._by_fd[s.fileno()]
            while True:
                try:
                    data, addr = s.recvfrom(MAX_FRAME)
                except BlockingIOError:
                    break
                if addr[2] != PACKET_OUTGOING:  # not our own send
                    out.append((dev, host, data))
        return out

    def exchange(self, packets: list[tuple[str, str, bytes]], *, expect: int = 1, quiet_s: float = QUIET_S,
                 burst: int = BURST) -> list[tuple[str, str, bytes]]:
        """Send ``packets`` (device, host, frame) in bursts; all frames delivered to hosts.

        A burst is done when ``expect`` frames per packet came back, or nothing arrived for
        ``quiet_s`` (drops); the next burst starts only then, so BMv2's queues never overflow.
        """
        while self.receive(0):  # frames left over from an earlier call are not answers to these
            pass
        out: list[tuple[str, str, bytes]] = []
        for i in range(0, len(packets), burst):
            chunk = packets[i:i + burst]
            want = len(out) + expect * len(chunk)
            for dev, host, frame in chunk:
                self.send(dev, host, frame)
            last = time.monotonic()
            while len(out) < want and time.monotonic() - last < quiet_s:
                got = self.receive(quiet_s)
                if got:
                    out.extend(got)
                    last = time.monotonic()
        if len(out) < expect * len(packets):  # some are late (or lost): wait until quiet for quiet_s
            while got := self.receive(quiet_s):
                out.extend(got)
        return out

    # ------------------------------------------------------------------ teardown
    def close(self) -> None:
        for s in self.sockets.values():
            s.close()
        self.sockets = {}
        for p in self.procs.values():
            if p.poll() is None:
                p.terminate()
        for p in self.procs.values():
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=10)
        self.procs = {}
        subprocess.run(["ip", "netns", "del", self.netns], capture_output=True, timeout=30)
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> "NamespaceNetwork":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
