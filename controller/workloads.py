"""The workload an intent places: parsed from the request, or picked by name from the task catalogue.

Why a module of its own: a new intent (``controller.intents``), a replan of the active intent
after a fault (``controller.replanning``), a withdrawal that restores a stored plan
(``controller.rollout``) and ``POST /models`` (``controller.models``) all turn a document into a
``Workload`` the same way, and the catalogue (the serve-time ``--workload`` plus registered
models) must answer the same names to all of them.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Mapping

from controller.store import Store
from omniplan.errors import InputError
from omniplan.topology import Topology
from omniplan.workload import Workload, task_to_dict, workload_from_dict


def workload_with_programs(data: Mapping[str, Any], source: str = "<workload>") -> Workload:
    """Parse a workload document, keeping each task's (opaque, possibly large) ``program`` out of the parser.

    Why: the workload parser keeps line numbers for its errors by composing YAML nodes, which
    takes seconds on a compiled forest's thousands of entries; programs are opaque to it anyway.
    """
    if not isinstance(data, Mapping) or not isinstance(data.get("tasks"), list):
        return workload_from_dict(data, source=source)  # let the parser name the problem
    programs: dict[int, Any] = {}
    tasks = []
    for i, t in enumerate(data["tasks"]):
        if isinstance(t, Mapping) and "program" in t:
            if not isinstance(t["program"], Mapping):
                raise InputError(f"{source}: field 'tasks[{i}].program': must be an object")
            programs[i] = t["program"]
            t = {k: v for k, v in t.items() if k != "program"}
        tasks.append(t)
    wl = workload_from_dict({**data, "tasks": tasks}, source=source)
    return Workload(tuple(replace(t, program=programs[i]) if i in programs else t for i, t in enumerate(wl.tasks)))


class Catalogue:
    """The tasks an intent may name: the default workload's, overridden by models registered since."""

    def __init__(self, store: Store, topology: Topology, default_workload: Workload | None):
        self.store = store
        self.topology = topology
        self.default_workload = default_workload

    def tasks(self) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        if self.default_workload is not None:
            out.update({t.name: task_to_dict(t) for t in self.default_workload.tasks})
        out.update(self.store.models())
        return out

    def resolve(self, request: Mapping[str, Any]) -> Workload:
        """The request's ``workload``, or its ``tasks`` (default: every catalogued task); InputError names what is wrong."""
        if request.get("workload") is not None:
            if not isinstance(request["workload"], Mapping):
                raise InputError("workload: must be an omniplan-workload/1 object")
            wl = workload_with_programs(request["workload"], source="workload")
        else:
            catalogue = self.tasks()
            names = request.get("tasks")
            if names is None:
                if not catalogue:
                    raise InputError("no tasks to place: pass 'workload', or register models with POST /models")
                names = list(catalogue)
            if not isinstance(names, list) or not all(isinstance(n, str) for n in names) or not names:
                raise InputError("tasks: must be a non-empty list of task names")
            missing = [n for n in names if n not in catalogue]
            if missing:
                raise InputError(f"tasks: unknown task(s) {', '.join(missing)}; known: {', '.join(catalogue) or 'none'}")
            wl = workload_with_programs({"tasks": [catalogue[n] for n in dict.fromkeys(names)]}, source="tasks")
        for t in wl.tasks:
            if t.ingress is not None and t.ingress not in self.topology.device_index:
                raise InputError(f"task {t.name}: ingress {t.ingress!r} is not a device of topology {self.topology.name}")
        return wl
