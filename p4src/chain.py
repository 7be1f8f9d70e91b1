"""A network of inml.p4 twins wired by a port map: carries a packet from switch to switch.

WHY: realised entries are only right if a packet entering at a task's ingress walks the devices
and comes out classified. This chains one InferencePipeline per device: whatever a switch emits
on a port goes to the neighbour that port faces (entering on the neighbour's port back towards
this switch), until it reaches a host, the CPU port, or is dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Sequence

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


class SwitchChain:
    def __init__(self, entries: Mapping[str, Sequence[TableEntry]], port_map: Mapping[str, Mapping[str, int]],
                 defaults: Mapping[str, Mapping[str, DefaultAction]] | None = None, max_hops: int = 256):
        self.port_map = port_map
        self.max_hops = max_hops
        self.switches: dict[str, InferencePipeline] = {}
        for dev in port_map:
            tables: dict[str, list[TableEntry]] = {}
            for e in entries.get(dev, ()):
                tables.setdefault(e.table, []).append(e)
            pipe = InferencePipeline()
            pipe.load(tables, (defaults or {}).get(dev))
            self.switches[dev] = pipe
        self._peer = {(d, p): n for d, ports in port_map.items() for n, p in ports.items()}

    def send(self, device: str, ingress_port: int, packet: bytes, now_us: int | None = None) -> list[Delivery]:
        """Inject ``packet`` at ``device`` on ``ingress_port``; follow it (and any copies) to the end.
        ``now_us``: every switch's clock for this packet (links take no time), for flow features;
        None: each twin's own clock."""
        todo = [(device, ingress_port, packet, [device])]
        out: list[Delivery] = []
        while todo:
            dev, port, pkt, hops = todo.pop()
            if len(hops) > self.max_hops:
                out.append(Delivery(None, device=dev, hops=hops))
                continue
            emitted = self.switches[dev].process_loaded(pkt, port, now_us)
            if not emitted:
                out.append(Delivery(None, device=dev, hops=hops))
            for eport, data in emitted:
                if eport == CPU_PORT:
                    out.append(Delivery(data, device=dev, cpu=True, hops=hops))
                    continue
                peer = self._peer.get((dev, eport))
                if peer is None:
                    out.append(Delivery(None, device=dev, hops=hops))
                elif peer in self.switches:
                    todo.append((peer, self.port_map[peer][dev], data, hops + [peer]))
                else:
                    out.append(Delivery(data, host=peer, device=dev, hops=hops))
        return out
