"""A network of inml.p4 switches wired by a port map: carries a packet from switch to switch.

WHY: realised entries are only right if a packet entering at a task's ingress walks the devices
and comes out classified. ``SwitchChain`` chains one InferencePipeline per device; ``PortChain``
does the same for any per-device packet function (e.g. omniplan-switch's ``inject``): whatever a switch emits
on a port goes to the neighbour that port faces (entering on the neighbour's port back towards
this switch), until it reaches a host, the CPU port, or is dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Mapping, Sequence

from p4src.entries import DefaultAction, TableEntry
from p4src.pipeline import CPU_PORT, InferencePipeline


@dataclass
class Delivery:
    """Where a packet ended: a host (``host`` set), a CPU port (``cpu_device``) or nowhere (dropped)."""

    packet: bytes | None
    host: str | None = None
    device: str | None = None
    cpu: bool = False
    hops: list[str] = field(default_factory=list)


#: A device's packet function: (ingress port, frame) -> [(egress port, frame), ...]
ProcessFn = Callable[[int, bytes], "list[tuple[int, bytes]]"]


class PortChain:
    """Devices wired by a port map, each a packet function (a twin, or a real switch's inject)."""

    def __init__(self, process: Mapping[str, ProcessFn], port_map: Mapping[str, Mapping[str, int]], max_hops: int = 256):
        self.port_map = port_map
        self.max_hops = max_hops
        self.process = dict(process)
        self._peer = {(d, p): n for d, ports in port_map.items() for n, p in ports.items()}

    def send(self, device: str, ingress_port: int, packet: bytes) -> list[Delivery]:
        """Inject ``packet`` at ``device`` on ``ingress_port``; follow it (and any copies) to the end."""
        todo = [(device, ingress_port, packet, [device])]
        out: list[Delivery] = []
        while todo:
            dev, port, pkt, hops = todo.pop()
            if len(hops) > self.max_hops:
                out.append(Delivery(None, device=dev, hops=hops))
                continue
            emitted = self.process[dev](port, pkt)
            if not emitted:
                out.append(Delivery(None, device=dev, hops=hops))
            for eport, data in emitted:
                if eport == CPU_PORT:
                    out.append(Delivery(data, device=dev, cpu=True, hops=hops))
                    continue
                peer = self._peer.get((dev, eport))
                if peer is None:
                    out.append(Delivery(None, device=dev, hops=hops))
                elif peer in self.process:
                    todo.append((peer, self.port_map[peer][dev], data, hops + [peer]))
                else:
                    out.append(Delivery(data, host=peer, device=dev, hops=hops))
        return out


class SwitchChain(PortChain):
    """A network of inml.p4 twins (one InferencePipeline per device, loaded with its entries)."""

    def __init__(self, entries: Mapping[str, Sequence[TableEntry]], port_map: Mapping[str, Mapping[str, int]],
                 defaults: Mapping[str, Mapping[str, DefaultAction]] | None = None, max_hops: int = 256):
        self.switches: dict[str, InferencePipeline] = {}
        for dev in port_map:
            tables: dict[str, list[TableEntry]] = {}
            for e in entries.get(dev, ()):
                tables.setdefault(e.table, []).append(e)
            pipe = InferencePipeline()
            pipe.load(tables, (defaults or {}).get(dev))
            self.switches[dev] = pipe
        super().__init__({d: (lambda port, pkt, p=p: p.process_loaded(pkt, port)) for d, p in self.switches.items()},
                         port_map, max_hops)
