"""``python -m mininet_topos.switchlist TOPO``: write the controller's switch list (and topology) for an emulation.

For operators who start the network themselves (``mn --custom mininet_topos/topos.py --topo
abilene --switch omni --controller none``) and then ``omniplan serve --switches FILE``: the same
layout code names the switches, numbers the ports and picks the gRPC ports, so both agree.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from omniplan.errors import OmniPlanError


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m mininet_topos.switchlist", description=__doc__.splitlines()[0])
    p.add_argument("topo", help="topology name as for mn --topo (Abilene, Abvt, fattree4, line3, a zoo name)")
    p.add_argument("--hosts", type=int, default=1, help="hosts per host-bearing switch (as in mn --topo NAME,HOSTS)")
    p.add_argument("--switches", type=int, default=0, help="connected subset size (0 = all)")
    p.add_argument("--out", type=Path, default=Path("switches.json"), help="switch list file (default switches.json)")
    p.add_argument("--topology-out", type=Path, help="also write the (subset) topology as GraphML for --topology")
    args = p.parse_args(argv)
    from mininet_topos.emulation import write_switch_list
    from mininet_topos.layout import build_layout, write_graphml

    try:
        layout = build_layout(args.topo, hosts_per_switch=args.hosts, max_switches=args.switches or None)
    except OmniPlanError as exc:
        print(f"switchlist: error: {exc}", file=sys.stderr)
        return 2
    write_switch_list(layout, args.out)
    print(f"wrote {args.out}: {len(layout.switches)} switches "
          + ", ".join(f"{s.name}={s.device}@{s.grpc_address}" for s in layout.switches[:6])
          + (" ..." if len(layout.switches) > 6 else ""))
    if args.topology_out:
        write_graphml(layout.topology, args.topology_out)
        print(f"wrote {args.topology_out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
