"""Link health by LLDP-style probes: PacketOut on a port, PacketIn at the neighbour, checked against the config.

Every ``link_probe_s`` the controller sends, on each switch port that the switch list says faces
another managed switch, a small frame (LLDP's nearest-bridge address 01:80:c2:00:00:0e, EtherType
0x88cc, a payload naming the sending device, port and a sequence number). Each switch holds one
``l2_fwd`` entry sending that address to the CPU (``probe_entries``; part of every switch's desired
state while probing is on), so the neighbour returns the frame as a PacketIn with its ingress
port. That proves the link works in that direction, and checks the wiring: a probe from s1 port 2
must arrive at the switch and port the config names for s1 port 2.

A link (both directions) is ``unknown`` until a probe crosses it, ``up`` while probes cross it,
``down`` when a direction that was seen stays silent for ``LINK_TIMEOUT_PROBES`` periods while
both ends are up (a dead switch is reported as such, not as its links), ``miswired`` when probes
arrive somewhere the config does not say. Unknown links are never planned around: in tests
whose switches are not wired no probe ever arrives and nothing changes.
"""

from __future__ import annotations

import json
import time
from typing import Any, Callable, Iterable

from controller.config import SwitchConfig
from p4src.entries import Match, TableEntry

#: LLDP's "nearest bridge" group address: never forwarded by bridges, so a probe stays on one link.
PROBE_MAC = 0x0180C200000E
PROBE_ETHERTYPE = 0x88CC
#: Source MAC of probes (locally administered), so they are told apart from host traffic in captures.
PROBE_SRC = bytes.fromhex("02006f6d6e69")
PROBE_MAGIC = b"omniplan-probe/1 "
#: A direction seen before and silent for this many probe periods is down (one lost probe is not).
LINK_TIMEOUT_PROBES = 3


def probe_entries() -> list[TableEntry]:
    """The entry each switch needs so a neighbour's probe reaches the controller as a PacketIn."""
    return [TableEntry("MyIngress.l2_fwd", (Match("hdr.ethernet.dstAddr", "exact", PROBE_MAC),),
                       "MyIngress.send_to_cpu", (), 0)]


def probe_frame(device: str, port: int, seq: int) -> bytes:
    body = PROBE_MAGIC + json.dumps({"d": device, "p": port, "s": seq}, separators=(",", ":")).encode()
    return PROBE_MAC.to_bytes(6, "big") + PROBE_SRC + PROBE_ETHERTYPE.to_bytes(2, "big") + body


def parse_probe(frame: bytes) -> tuple[str, int, int] | None:
    """(sending device, its port, sequence) of one of our probes, else None."""
    if len(frame) < 14 + len(PROBE_MAGIC) or frame[12:14] != PROBE_ETHERTYPE.to_bytes(2, "big"):
        return None
    body = frame[14:]
    if not body.startswith(PROBE_MAGIC):
        return None
    try:
        data = json.loads(body[len(PROBE_MAGIC):])
        return str(data["d"]), int(data["p"]), int(data["s"])
    except (ValueError, KeyError, TypeError):
        return None


def link_key(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a <= b else (b, a)


class LinkMonitor:
    """Expected wiring from the switch list, and what the probes say about each link."""

    def __init__(self, switches: Iterable[SwitchConfig], probe_s: float,
                 on_state: Callable[[tuple[str, str], str, str | None], None]):
        self.probe_s = probe_s
        self.on_state = on_state
        configs = list(switches)
        managed = {s.device for s in configs}
        ports = {s.device: dict(s.ports) for s in configs}
        #: (device, port) -> (neighbour device, neighbour port), from the switch list.
        self.expected: dict[tuple[str, int], tuple[str, int]] = {}
        for s in configs:
            for nb, port in s.ports.items():
                if nb in managed and s.device in ports.get(nb, {}):
                    self.expected[(s.device, port)] = (nb, ports[nb][s.device])
        self.links: dict[tuple[str, str], dict[str, Any]] = {}
        for (dev, _), (nb, _) in self.expected.items():
            self.links.setdefault(link_key(dev, nb), {"a": link_key(dev, nb)[0], "b": link_key(dev, nb)[1],
                                                      "state": "unknown", "since": time.time(), "reason": None,
                                                      "seen": {}, "probes_received": 0})
        self.seq = 0

    def probes(self) -> list[tuple[str, int, bytes]]:
        """(device, port, frame) to send now: one per configured inter-switch port."""
        self.seq += 1
        return [(dev, port, probe_frame(dev, port, self.seq)) for (dev, port) in sorted(self.expected)]

    def received(self, device: str, ingress_port: int, frame: bytes, now: float | None = None) -> bool:
        """A PacketIn at ``device``; True if it was one of our probes."""
        probe = parse_probe(frame)
        if probe is None:
            return False
        now = time.time() if now is None else now
        src, src_port, _ = probe
        want = self.expected.get((src, src_port))
        if want != (device, ingress_port):
            key = link_key(src, want[0]) if want else link_key(src, device)
            link = self.links.setdefault(key, {"a": key[0], "b": key[1], "state": "unknown", "since": now,
                                               "reason": None, "seen": {}, "probes_received": 0})
            configured = f"{want[0]} port {want[1]}" if want else "no managed switch"
            self._set(key, "miswired", f"{src} port {src_port} reaches {device} port {ingress_port}; "
                                       f"configured: {configured}")
            return True
        key = link_key(src, device)
        link = self.links[key]
        link["seen"][f"{src}>{device}"] = now
        link["probes_received"] += 1
        if link["state"] != "up":
            self._set(key, "up", None)
        return True

    def check(self, up: Callable[[str], bool], now: float | None = None) -> None:
        """Declare down the links with a seen direction silent too long while both ends are up."""
        now = time.time() if now is None else now
        limit = LINK_TIMEOUT_PROBES * self.probe_s
        for key, link in self.links.items():
            if link["state"] != "up" or not (up(key[0]) and up(key[1])):
                continue
            silent = [d for d, t in link["seen"].items() if now - t > limit]
            if silent:
                self._set(key, "down", f"no probe {', '.join(sorted(silent))} for {now - min(link['seen'].values()):.1f} s")

    def _set(self, key: tuple[str, str], state: str, reason: str | None) -> None:
        link = self.links[key]
        if link["state"] == state and link["reason"] == reason:
            return
        link.update(state=state, since=time.time(), reason=reason)
        self.on_state(key, state, reason)

    def down(self) -> set[tuple[str, str]]:
        return {k for k, link in self.links.items() if link["state"] in ("down", "miswired")}

    def status(self) -> list[dict[str, Any]]:
        return [{k: v for k, v in link.items() if k != "seen"} | {"last_probe": max(link["seen"].values(), default=None)}
                for _, link in sorted(self.links.items())]

    def forget(self, device: str) -> None:
        """``device`` went down: its links are unknown until probes cross them again."""
        for key, link in self.links.items():
            if device in key and link["state"] != "unknown":
                link["seen"].clear()
                self._set(key, "unknown", f"{device} is down")
