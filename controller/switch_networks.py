"""The two switch kinds as networks the controller programs the same way: omniplan-switch and BMv2.

WHY: BMv2 running the p4c-compiled inml.p4 is the oracle for our switch. The differential tests and
the side-by-side benchmark need both kinds wired by the same port map, given the same entries
through the controller's own southbound (``controller.southbound.Southbound``: finsy, primary
election, SetForwardingPipelineConfig with the compiled P4Info and BMv2 JSON), and fed the same
frames. Nothing here is a double:

* ``NamespaceSwitchNetwork`` (softswitch.netns_network): one switch process per device in a private
  network namespace, veth links, frames in and out through raw sockets on the host ports; BMv2
  simple_switch_grpc, or omniplan-switch on the same veths (like for like in benchmarks).

It exposes ``configs()`` (the controller's switch list) and ``exchange(packets)`` ->
``[(device, host, frame), ...]`` for frames that reached hosts.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Mapping, Sequence

from controller.config import SwitchConfig
from controller.deploy import INSERT
from controller.southbound import Southbound
from p4src.entries import TableEntry

Packet = tuple[str, str, bytes]  # (device, host, frame)
#: Entries per P4Runtime Write in ``push``: big enough to amortise the RPC, small enough that one
#: batch of 1536-bit entries stays far below gRPC's message limit.
WRITE_BATCH = 500


def _configs(port_map: Mapping[str, Mapping[str, int]], address) -> list[SwitchConfig]:
    return [SwitchConfig(dev, i + 1, address(dev), dev, dict(ports)) for i, (dev, ports) in enumerate(port_map.items())]


class NamespaceSwitchNetwork:
    """One switch process per device in a private network namespace (``kind``: "bmv2" or "omni")."""

    def __init__(self, port_map: Mapping[str, Mapping[str, int]], kind: str = "bmv2", **kw):
        from softswitch.netns_network import NamespaceNetwork

        self.port_map = {d: dict(p) for d, p in port_map.items()}
        self.net = NamespaceNetwork(self.port_map, kind=kind, **kw)
        self.kind = "bmv2" if kind == "bmv2" else "omniplan-switch (veth)"

    def configs(self) -> list[SwitchConfig]:
        return _configs(self.port_map, self.net.address)

    def exchange(self, packets: Sequence[Packet]) -> list[Packet]:
        return self.net.exchange(list(packets))

    def close(self) -> None:
        self.net.close()


@dataclass(frozen=True)
class PushResult:
    """What ``push`` measured. Example: ``PushResult(entries=1200, pipeline_s=0.8, write_s=0.4)``."""

    entries: int
    pipeline_s: float  # connect, arbitrate and SetForwardingPipelineConfig on every switch
    write_s: float  # inserting all entries

    @property
    def write_rate(self) -> float:
        return self.entries / self.write_s if self.write_s > 0 else float("inf")


async def _push(configs: list[SwitchConfig], entries: Mapping[str, Sequence[TableEntry]], timeout_s: float) -> PushResult:
    sb = Southbound(configs)
    ready: set[str] = set()
    sb.on_ready = lambda dev: _mark(ready, dev)
    t0 = time.perf_counter()
    await sb.start()
    try:
        deadline = time.monotonic() + timeout_s
        while len(ready) < len(configs):
            if time.monotonic() > deadline:
                raise TimeoutError(f"switches not ready within {timeout_s} s: {sb.status()}")
            await asyncio.sleep(0.01)
        t1 = time.perf_counter()
        n = 0
        for dev, ents in entries.items():
            ents = list(ents)
            for i in range(0, len(ents), WRITE_BATCH):
                await sb.drivers[dev].write([(INSERT, e) for e in ents[i:i + WRITE_BATCH]])
            n += len(ents)
        return PushResult(n, t1 - t0, time.perf_counter() - t1)
    finally:
        await sb.stop()


async def _mark(ready: set[str], dev: str) -> None:
    ready.add(dev)


def push(network: NamespaceSwitchNetwork, entries: Mapping[str, Sequence[TableEntry]], timeout_s: float = 60.0) -> PushResult:
    """Program ``network`` through the controller's southbound: pipeline (if its cookie differs), then entries."""
    return asyncio.run(_push(network.configs(), entries, timeout_s))
