"""Per switch, task and class: the packets each switch delivered classified, as it counted them.

Why a module of its own: the numbers come from the switches (inml.p4's ``label_packets`` direct
counter on the ``label_count`` table, one entry per (task id, class) on the delivering switch), not
from the controller's bookkeeping; reading them is a P4Runtime DirectCounterEntry read per switch,
and naming them needs the task ids the controller assigned and each task's class names.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

#: inml.p4's direct counter on label_count: packets delivered per (task id, class label).
INFERENCE_COUNTER = "MyIngress.label_packets"

Counts = dict[str, dict[str, dict[str, int]]]  # switch -> task -> class label -> packets


class InferenceCounts:
    """The last read of every ready switch's per-class counters (``counts``), refreshed on demand."""

    def __init__(self, southbound: Any, task_ids: Callable[[], Mapping[str, int]],
                 classes: Callable[[], Mapping[str, list]]):
        self.southbound = southbound
        self.task_ids = task_ids  # task name -> the id the controller gave it
        self.classes = classes  # task name -> class names in label order
        self.counts: Counts = {}

    async def refresh(self) -> Counts:
        """Read every ready switch (a switch that fails keeps its last counts; the error is on its row)."""
        if self.southbound is None:
            return self.counts
        names = {tid: name for name, tid in self.task_ids().items()}
        classes = self.classes()
        for device, driver in self.southbound.drivers.items():
            if not driver.is_ready():
                continue
            try:
                rows = await driver.read_direct_counter(INFERENCE_COUNTER)
            except Exception as exc:  # reported on the switch row; metrics keep the last good read
                driver.info["last_error"] = f"counters: {exc}"
                continue
            per_task: dict[str, dict[str, int]] = {}
            for match, packets in rows:
                tid, label = match.get("final_task", 0), match.get("final_label", 0)
                task = names.get(tid, f"task-{tid}")
                labels = classes.get(task, ())
                name = str(labels[label]) if label < len(labels) else str(label)
                per_task.setdefault(task, {})[name] = packets
            self.counts[device] = per_task
        return self.counts


def class_names(tasks: Mapping[str, Mapping[str, Any]]) -> dict[str, list]:
    """Task name -> its compiled program's class names, for task dicts (omniplan-workload/1 form)."""
    out = {}
    for name, task in tasks.items():
        program = task.get("program") or {}
        if "classes" in program:
            out[name] = list(program["classes"])
    return out
