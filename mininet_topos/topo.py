"""The Mininet ``Topo`` of an ``EmulationLayout``: switches s1..sN, hosts h1.., ports as laid out.

Port numbers are given explicitly on every ``addLink`` so that Mininet's interfaces
(``s3-eth2``) carry exactly the numbers the controller's switch list announces.
"""

from __future__ import annotations

import functools
import subprocess
import sys

from mininet.link import TCLink
from mininet.topo import Topo

from mininet_topos.layout import EmulationLayout, build_layout


@functools.lru_cache(maxsize=1)
def netem_available() -> bool:
    """Can this kernel delay packets (sch_netem)? Probed on a throw-away dummy interface."""
    probe = "omnp-netem-prb"
    try:
        if subprocess.run(["ip", "link", "add", probe, "type", "dummy"], capture_output=True).returncode != 0:
            return False
        r = subprocess.run(["tc", "qdisc", "add", "dev", probe, "root", "netem", "delay", "1ms"], capture_output=True)
        return r.returncode == 0
    except FileNotFoundError:
        return False
    finally:
        subprocess.run(["ip", "link", "del", probe], capture_output=True)


class LayoutTopo(Topo):
    """Mininet topology built from an ``EmulationLayout`` (see mininet_topos.layout).

    ``link_delay``: apply each link's emulated delay with netem (TCLink). When the kernel has no
    netem (CONFIG_NET_SCH_NETEM unset) delays are left out with a warning: forwarding and
    classification still work, only propagation delay is not emulated.
    """

    def build(self, layout: EmulationLayout, link_delay: bool = True) -> None:  # type: ignore[override]
        self.layout = layout
        use_delay = link_delay and netem_available()
        if link_delay and not use_delay and any(l.delay_ms > 0 for l in layout.links):
            print("*** warning: this kernel has no netem qdisc; link delays are not emulated", file=sys.stderr)
        for s in layout.switches:
            self.addSwitch(s.name, device_id=s.device_id, grpc_port=s.grpc_port, dpid="%x" % s.device_id)
        for h in layout.hosts:
            self.addHost(h.name, ip=h.ip_with_prefix, mac=h.mac)
            self.addLink(h.name, h.switch, port1=0, port2=h.port)
        for l in layout.links:
            opts = {"cls": TCLink, "delay": f"{l.delay_ms}ms"} if use_delay and l.delay_ms > 0 else {}
            self.addLink(l.a, l.b, port1=l.a_port, port2=l.b_port, **opts)


def topo_for(spec: str, hosts: int = 1, switches: int | None = None, delay_scale: float = 1.0,
             max_delay_ms: float = 10.0, link_delay: bool = True) -> LayoutTopo:
    """``mn --topo NAME,hosts,switches`` entry: a planner topology by name, laid out with defaults."""
    layout = build_layout(str(spec), hosts_per_switch=int(hosts), max_switches=int(switches) if switches else None,
                          delay_scale=float(delay_scale), max_delay_ms=float(max_delay_ms))
    return LayoutTopo(layout=layout, link_delay=bool(link_delay))
