"""Plan -> per-switch entries: a thin guard around ``mlcompiler.realize`` for the controller.

Why a wrapper: the controller numbers its versions monotonically (the store and audit log use
those), while the header carries an 8-bit version tag; and it must refuse a plan that puts tables
on a device no managed switch realises, before anything is written.
"""

from __future__ import annotations

from typing import Iterable, Mapping

from omniplan.errors import InputError
from omniplan.plan import Plan
from omniplan.topology import Topology
from omniplan.workload import Workload
from p4src import layout
from p4src.entries import TableEntry

TAG_SPACE = (1 << layout.VERSION_BITS) - 1  # tags 1..255; 0 is what a fresh packet carries


def version_tag(version: int) -> int:
    """The header tag of controller version ``version`` (consecutive versions never share a tag)."""
    return (version - 1) % TAG_SPACE + 1


def realize(workload: Workload, plan: Plan, topology: Topology, port_map: Mapping[str, Mapping[str, int]],
            task_ids: Mapping[str, int], version: int, managed: Iterable[str]) -> dict[str, list[TableEntry]]:
    from mlcompiler.realize import realize as _realize

    out = _realize(workload, plan, topology, port_map, task_ids, version_tag(version))
    unmanaged = sorted(set(out) - set(managed))
    if unmanaged:
        raise InputError(f"the plan needs tables on {', '.join(unmanaged)}, which no configured switch realises")
    return out
