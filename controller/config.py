"""The switch list the controller manages, read from a JSON or YAML file (``omniplan serve --switches``).

Format (the Mininet helper generates it; JSON with the same keys works too)::

    format: omniplan-switches/1
    switches:
      - name: s1                # unique controller-side name
        device_id: 1            # P4Runtime device id
        grpc: 127.0.0.1:50001   # P4Runtime gRPC address host:port
        device: s1              # the topology device this switch realises (default: name)
        ports:                  # neighbour -> egress port number on this switch
          s2: 2                 # a topology device name: the port facing that device
          host: 1               # anything else (hosts, collectors): a named port
        election_id: 10         # optional, default 10 (the controller's primary election id)
        mastership: wait        # optional: when another controller is primary, "wait" (stay backup
                                # until it leaves) or "takeover" (bid above the highest id seen)

Every ``device`` must exist in the topology and appear once; every topology neighbour a plan
may route over must have a port (checked by ``validate_against``), because the realizer needs the
egress port of every inter-device hop.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import yaml

from omniplan.errors import InputError
from omniplan.topology import Topology

FORMAT = "omniplan-switches/1"
_FIELDS = {"name", "device_id", "grpc", "device", "ports", "election_id", "mastership"}
#: What ``mastership`` may say: "wait" or "takeover" (see controller.southbound.MastershipArbitrator).
MASTERSHIP_POLICIES = ("wait", "takeover")


@dataclass(frozen=True)
class SwitchConfig:
    name: str
    device_id: int
    grpc: str
    device: str
    ports: Mapping[str, int] = field(default_factory=dict)
    election_id: int = 10
    mastership: str = "wait"


def parse_switches(data: Any, source: str = "<switches>") -> list[SwitchConfig]:
    """Validate a decoded switch-list document; errors name the source and the field."""
    def fail(msg: str, where: str | None = None) -> InputError:
        return InputError(f"{source}: {where + ': ' if where else ''}{msg}")

    if not isinstance(data, Mapping):
        raise fail("expected a mapping with a 'switches' list")
    unknown = set(data) - {"format", "switches"}
    if unknown:
        raise fail(f"unknown field(s) {', '.join(sorted(unknown))}; expected 'format' and 'switches'")
    if data.get("format", FORMAT) != FORMAT:
        raise fail(f"unsupported format {data.get('format')!r}; expected {FORMAT!r}", "format")
    items = data.get("switches")
    if not isinstance(items, list) or not items:
        raise fail("must be a non-empty list", "switches")
    out: list[SwitchConfig] = []
    names: set[str] = set()
    devices: set[str] = set()
    ids: set[tuple[str, int]] = set()
    for i, item in enumerate(items):
        where = f"switches[{i}]"
        if not isinstance(item, Mapping):
            raise fail("must be a mapping", where)
        extra = set(item) - _FIELDS
        if extra:
            raise fail(f"unknown field(s) {', '.join(sorted(extra))}; expected {', '.join(sorted(_FIELDS))}", where)
        for req in ("name", "device_id", "grpc"):
            if req not in item:
                raise fail("missing", f"{where}.{req}")
        name = item["name"]
        if not isinstance(name, str) or not name:
            raise fail("must be a non-empty string", f"{where}.name")
        if name in names:
            raise fail(f"switch name {name!r} used twice", f"{where}.name")
        device_id = item["device_id"]
        if isinstance(device_id, bool) or not isinstance(device_id, int) or device_id < 0:
            raise fail("must be a non-negative integer", f"{where}.device_id")
        grpc = item["grpc"]
        if not isinstance(grpc, str) or ":" not in grpc:
            raise fail("must be HOST:PORT", f"{where}.grpc")
        if (grpc, device_id) in ids:
            raise fail(f"{grpc} device {device_id} listed twice", f"{where}.grpc")
        device = item.get("device", name)
        if not isinstance(device, str) or not device:
            raise fail("must be a non-empty string", f"{where}.device")
        if device in devices:
            raise fail(f"topology device {device!r} has two switches", f"{where}.device")
        ports = item.get("ports", {}) or {}
        if not isinstance(ports, Mapping):
            raise fail("must be a mapping neighbour -> port number", f"{where}.ports")
        for nb, port in ports.items():
            if isinstance(port, bool) or not isinstance(port, int) or port < 0:
                raise fail(f"port for {nb!r} must be a non-negative integer", f"{where}.ports")
        election = item.get("election_id", 10)
        if isinstance(election, bool) or not isinstance(election, int) or election < 1:
            raise fail("must be a positive integer", f"{where}.election_id")
        mastership = item.get("mastership", "wait")
        if mastership not in MASTERSHIP_POLICIES:
            raise fail(f"{mastership!r}: expected one of {', '.join(MASTERSHIP_POLICIES)}", f"{where}.mastership")
        names.add(name)
        devices.add(device)
        ids.add((grpc, device_id))
        out.append(SwitchConfig(name, device_id, grpc, device, {str(k): int(v) for k, v in ports.items()}, election,
                              mastership))
    return out


def load_switches(path: str | Path) -> list[SwitchConfig]:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    try:
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise InputError(f"{path}: cannot parse: {exc}") from None
    return parse_switches(data, str(path))


def validate_against(switches: list[SwitchConfig], topology: Topology) -> None:
    """Every switch names a topology device, and has a port towards every neighbour that also has a switch."""
    managed = {s.device for s in switches}
    for s in switches:
        if s.device not in topology.device_index:
            raise InputError(f"switch {s.name}: topology {topology.name!r} has no device {s.device!r}")
    for s in switches:
        for nb in topology.graph.neighbors(s.device):
            if nb in managed and nb not in s.ports:
                raise InputError(f"switch {s.name}: no port towards neighbour {nb!r} (add it under 'ports')")


def port_map(switches: list[SwitchConfig]) -> dict[str, dict[str, int]]:
    """topology device -> {neighbour -> egress port}: what the realizer and the twin need."""
    return {s.device: dict(s.ports) for s in switches}


def local_switches(topology: Topology, base_port: int, *, host: str = "127.0.0.1") -> list[SwitchConfig]:
    """One switch per topology device on consecutive gRPC ports; port 1 faces the host, 2.. the neighbours.

    Used by tests and benchmarks that spawn software switches on loopback.
    """
    out = []
    for i, dev in enumerate(sorted(topology.device_index)):
        ports = {"host": 1}
        for j, nb in enumerate(sorted(topology.graph.neighbors(dev))):
            ports[nb] = j + 2
        out.append(SwitchConfig(dev, i + 1, f"{host}:{base_port + i}", dev, ports))
    return out
