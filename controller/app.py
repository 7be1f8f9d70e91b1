"""Assemble a controller from command-line style settings (used by `omniplan serve`, tests and the bench)."""

from __future__ import annotations

from pathlib import Path

from controller.config import load_switches, validate_against
from controller.service import Controller, ServiceOptions
from controller.store import Store
from omniplan.topology import Topology, load_topology
from omniplan.workload import load_workload


def build_controller(*, db: str | Path, topology: str | Topology, switches: str | Path | list | None = None,
                     workload: str | Path | None = None, time_limit_s: float = 10.0,
                     options: ServiceOptions | None = None) -> Controller:
    topo = load_topology(topology) if isinstance(topology, str) else topology
    sw = load_switches(switches) if isinstance(switches, (str, Path)) else list(switches or [])
    southbound = None
    if sw:
        validate_against(sw, topo)
        from controller.southbound import Southbound

        southbound = Southbound(sw)
    wl = load_workload(workload) if workload else None
    opts = options or ServiceOptions()
    opts.time_limit_s = time_limit_s
    return Controller(Store(db), topo, sw, southbound=southbound, default_workload=wl, options=opts)
