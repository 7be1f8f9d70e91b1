"""How a planner topology becomes an emulated network: short node names, port numbers, hosts, delays.

Mininet needs node names short enough for ``<switch>-eth<port>`` to fit Linux's 15-character
interface limit, while the planner, the controller and the operator talk about topology device
names (``ATLAM5``, ``e0_1``). ``EmulationLayout`` is the one place where the two meet: every
topology device becomes ``s1..sN`` (in topology order), every link gets a port number on both
ends, and hosts are attached to the devices where traffic can enter. The Mininet topology, the
switch nodes, the controller's switch list and the traffic generator all read the same layout,
so names and port numbers agree everywhere.

This module does not import Mininet: it is pure data and is tested without root.

Link delay: the planner's link latency (``Link.latency_us``: great-circle distance / speed of
light in fibre for Topology Zoo graphs, 1-10 us for FatTree) is emulated as
``min(latency_us * delay_scale, max_delay_ms)`` milliseconds of netem delay per direction.
The default scale 1.0 keeps real propagation delays (Abilene's links: up to 11 ms, one capped),
and the 10 ms cap keeps continental graphs (Abvt, Geant) from stalling a 2-core emulation.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from omniplan.errors import TopologyError
from omniplan.topology import Topology, line, load_topology

#: P4Runtime gRPC port of ``s<N>`` is ``grpc_base_port + N - 1`` (s1 listens on the base).
DEFAULT_GRPC_BASE_PORT = 50051
DEFAULT_DELAY_SCALE = 1.0
DEFAULT_MAX_DELAY_MS = 10.0
#: Hosts live in 10.0.0.0/8 so that up to 2^24 hosts get distinct addresses.
HOST_NETWORK = ipaddress.ip_network("10.0.0.0/8")
#: The controller's switch-list format (controller/config.py).
SWITCH_LIST_FORMAT = "omniplan-switches/1"
#: Linux limits interface names to 15 characters; ``s<N>-eth<P>`` must fit.
MAX_INTF_NAME = 15


@dataclass(frozen=True)
class HostSpec:
    """An emulated end host attached to one switch port."""

    name: str  # h1, h2, ...
    switch: str  # s<N>
    port: int  # the switch port the host hangs off
    ip: str  # dotted quad, no prefix
    mac: str

    @property
    def ip_with_prefix(self) -> str:
        return f"{self.ip}/{HOST_NETWORK.prefixlen}"


@dataclass(frozen=True)
class SwitchSpec:
    """An emulated switch standing for one topology device."""

    name: str  # s<N>
    device: str  # the topology device name the planner uses
    device_id: int  # P4Runtime device id (= N)
    grpc_port: int
    #: neighbouring topology device -> local port number
    neighbor_ports: Mapping[str, int]
    #: attached host name -> local port number
    host_ports: Mapping[str, int]

    @property
    def grpc_address(self) -> str:
        return f"127.0.0.1:{self.grpc_port}"

    def intf(self, port: int) -> str:
        """The Linux interface Mininet creates for ``port`` (``s3-eth2``)."""
        return f"{self.name}-eth{port}"

    @property
    def ports(self) -> dict[int, str]:
        """All data-plane ports: port number -> interface name, in port order."""
        nums = sorted(list(self.neighbor_ports.values()) + list(self.host_ports.values()))
        return {p: self.intf(p) for p in nums}


@dataclass(frozen=True)
class LinkSpec:
    """A switch-to-switch link with the port used on each end and the delay to emulate."""

    a: str  # s<N>
    a_port: int
    b: str
    b_port: int
    latency_us: float  # the planner's latency
    delay_ms: float  # what the emulation applies (scaled, capped)
    bandwidth_gbps: float


@dataclass(frozen=True)
class EmulationLayout:
    """A topology laid out for emulation; see the module docstring."""

    topology: Topology
    switches: tuple[SwitchSpec, ...]
    hosts: tuple[HostSpec, ...]
    links: tuple[LinkSpec, ...]
    delay_scale: float = DEFAULT_DELAY_SCALE
    max_delay_ms: float = DEFAULT_MAX_DELAY_MS
    _by_name: dict[str, SwitchSpec] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for s in self.switches:
            self._by_name[s.name] = s
        for s in self.switches:
            other = self._by_name.get(s.device)
            if other is not None and other is not s:
                raise TopologyError(f"device {s.device!r} has the Mininet name of another switch "
                                    f"({other.name} = {other.device}); rename the device")
            self._by_name[s.device] = s

    def switch(self, name: str) -> SwitchSpec:
        """A switch by Mininet name (``s3``) or topology device name (``ATLAM5``)."""
        try:
            return self._by_name[name]
        except KeyError:
            known = ", ".join(f"{s.name}={s.device}" for s in self.switches)
            raise TopologyError(f"no switch or device {name!r} in this emulation ({known})") from None

    def host(self, name: str) -> HostSpec:
        for h in self.hosts:
            if h.name == name:
                return h
        raise TopologyError(f"no host {name!r} in this emulation (hosts: {', '.join(h.name for h in self.hosts)})")

    def hosts_of(self, switch: str) -> list[HostSpec]:
        """Hosts attached to a switch given by Mininet or device name."""
        sw = self.switch(switch).name
        return [h for h in self.hosts if h.switch == sw]

    @property
    def device_to_switch(self) -> dict[str, str]:
        return {s.device: s.name for s in self.switches}

    def switch_list(self) -> list[dict[str, Any]]:
        """The controller's switch list entries (``controller.config``, format omniplan-switches/1).

        ``ports`` maps each neighbouring topology device to the local egress port, plus named
        ports for the attached hosts: ``host`` (the first host, where finished packets are
        delivered) and each host by name (``h3``).
        """
        out = []
        for s in self.switches:
            ports: dict[str, int] = dict(s.neighbor_ports)
            attached = sorted(s.host_ports.items(), key=lambda kv: kv[1])
            if attached:
                ports["host"] = attached[0][1]
            ports.update(attached)
            out.append({"name": s.name, "device_id": s.device_id, "grpc": s.grpc_address, "device": s.device,
                        "ports": ports})
        return out

    def switch_list_document(self) -> dict[str, Any]:
        return {"format": SWITCH_LIST_FORMAT, "switches": self.switch_list()}

    def summary(self) -> dict[str, Any]:
        """A JSON-able description (the run script writes it next to the switch list)."""
        return {
            "topology": self.topology.name,
            "delay_scale": self.delay_scale,
            "max_delay_ms": self.max_delay_ms,
            "switches": [
                {"name": s.name, "device": s.device, "device_id": s.device_id, "grpc": s.grpc_address,
                 "neighbor_ports": dict(s.neighbor_ports), "host_ports": dict(s.host_ports)}
                for s in self.switches
            ],
            "links": [
                {"a": l.a, "a_port": l.a_port, "b": l.b, "b_port": l.b_port, "latency_us": l.latency_us,
                 "delay_ms": l.delay_ms}
                for l in self.links
            ],
            "hosts": [{"name": h.name, "switch": h.switch, "port": h.port, "ip": h.ip, "mac": h.mac} for h in self.hosts],
        }


def resolve_topology(spec: str) -> Topology:
    """``line<N>`` / ``line:N`` (a chain, used for small demos and tests), ``detour`` (mininet_topos.detour:
    a plan that crosses a table-less switch, for the fault campaign) or anything ``load_topology`` knows."""
    text = spec.strip()
    low = text.lower()
    for prefix in ("line:", "line"):
        if low.startswith(prefix) and low[len(prefix):].isdigit():
            n = int(low[len(prefix):])
            if n < 1:
                raise TopologyError(f"{spec!r}: a line needs at least one switch")
            return line(n)
    if low == "detour":
        from mininet_topos.detour import detour

        return detour()
    return load_topology(text)


def emulated_delay_ms(latency_us: float, scale: float = DEFAULT_DELAY_SCALE, cap_ms: float = DEFAULT_MAX_DELAY_MS) -> float:
    """The netem delay (ms, one direction) that stands for a planner link latency."""
    return round(min(latency_us / 1000.0 * scale, cap_ms), 3)


def default_host_devices(topo: Topology) -> list[str]:
    """Where hosts go: every device, except in a FatTree where only edge switches face servers."""
    if topo.kind == "datacenter" and any(d.name.startswith("e") for d in topo.devices):
        return [d.name for d in topo.devices if d.name.startswith("e")]
    return [d.name for d in topo.devices]


def build_layout(
    topo: Topology | str,
    *,
    hosts_per_switch: int = 1,
    host_devices: list[str] | None = None,
    max_switches: int | None = None,
    grpc_base_port: int = DEFAULT_GRPC_BASE_PORT,
    delay_scale: float = DEFAULT_DELAY_SCALE,
    max_delay_ms: float = DEFAULT_MAX_DELAY_MS,
) -> EmulationLayout:
    """Lay a topology out for emulation.

    ``max_switches`` keeps a connected subset (``Topology.subset``) so a 2-core machine can run
    part of a large graph. Ports: host ports come first (1..H), then one port per neighbour in
    the order the topology lists its links, so the numbering is stable across runs.
    """
    if isinstance(topo, str):
        topo = resolve_topology(topo)
    if max_switches is not None:
        if max_switches < 1:
            raise TopologyError(f"max_switches must be >= 1, got {max_switches}")
        topo = topo.subset(max_switches)
    if hosts_per_switch < 0:
        raise TopologyError(f"hosts_per_switch must be >= 0, got {hosts_per_switch}")
    if delay_scale < 0 or max_delay_ms < 0:
        raise TopologyError("delay_scale and max_delay_ms must be >= 0")
    n = len(topo.devices)
    if len(f"s{n}-eth{n + hosts_per_switch}") > MAX_INTF_NAME:
        raise TopologyError(f"topology {topo.name!r} is too large to emulate ({n} switches)")
    if grpc_base_port < 1024 or grpc_base_port + n > 65535:
        raise TopologyError(f"gRPC ports {grpc_base_port}..{grpc_base_port + n - 1} are out of range")

    sw_name = {d.name: f"s{i}" for i, d in enumerate(topo.devices, start=1)}
    hosted = default_host_devices(topo) if host_devices is None else list(host_devices)
    for dev in hosted:
        topo.device(dev)  # raises a TopologyError naming the unknown device
    hosted_set = set(hosted)

    next_port = {d.name: 1 for d in topo.devices}
    host_ports: dict[str, dict[str, int]] = {d.name: {} for d in topo.devices}
    hosts: list[HostSpec] = []
    for dev in topo.devices:
        if dev.name not in hosted_set:
            continue
        for _ in range(hosts_per_switch):
            idx = len(hosts) + 1
            port = next_port[dev.name]
            next_port[dev.name] += 1
            ip = str(HOST_NETWORK.network_address + idx)
            mac = "00:00:00:%02x:%02x:%02x" % ((idx >> 16) & 0xFF, (idx >> 8) & 0xFF, idx & 0xFF)
            hosts.append(HostSpec(f"h{idx}", sw_name[dev.name], port, ip, mac))
            host_ports[dev.name][f"h{idx}"] = port

    neighbor_ports: dict[str, dict[str, int]] = {d.name: {} for d in topo.devices}
    links: list[LinkSpec] = []
    for link in topo.links:
        pa, pb = next_port[link.a], next_port[link.b]
        next_port[link.a] += 1
        next_port[link.b] += 1
        neighbor_ports[link.a][link.b] = pa
        neighbor_ports[link.b][link.a] = pb
        links.append(LinkSpec(sw_name[link.a], pa, sw_name[link.b], pb, link.latency_us,
                              emulated_delay_ms(link.latency_us, delay_scale, max_delay_ms), link.bandwidth_gbps))

    switches = tuple(
        SwitchSpec(sw_name[d.name], d.name, i, grpc_base_port + i - 1, neighbor_ports[d.name], host_ports[d.name])
        for i, d in enumerate(topo.devices, start=1)
    )
    return EmulationLayout(topo, switches, tuple(hosts), tuple(links), delay_scale, max_delay_ms)


def write_graphml(topo: Topology, path: str | Path) -> Path:
    """The (possibly subset) topology as GraphML that ``load_topology(path)`` reads back identically.

    The controller loads its topology by name or file; a ``max_switches`` subset has no name, so
    ``make run`` hands the controller this file and both sides see the same devices and links.
    """
    import networkx as nx

    g = nx.Graph()
    for d in topo.devices:
        attrs: dict[str, Any] = {"label": d.name}
        if d.pos is not None:
            attrs["Longitude"], attrs["Latitude"] = float(d.pos[0]), float(d.pos[1])
        g.add_node(d.name, **attrs)
    for l in topo.links:
        g.add_edge(l.a, l.b, latency_us=float(l.latency_us), bandwidth_gbps=float(l.bandwidth_gbps))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    nx.write_graphml(g, path)
    return path
