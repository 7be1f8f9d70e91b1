"""POST /models: register a task the planner can place, from a compiled task or a skops model.

Why two forms: ``omniplan compile`` already produces compiled task JSON (a task of the
omniplan-workload/1 format whose ``program`` holds the table entries); an operator who only has
a trained model sends the skops file and the controller compiles it with ``mlcompiler``.

Safety: skops files go through ``mlcompiler.loader.load_model``, which refuses any type outside
its explicit allow-list (named in the 400 answer) before loading; nothing is unpickled.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any, Mapping

from omniplan.errors import InputError
from omniplan.workload import task_to_dict

JSON_FIELDS = {"task", "name"}


def task_from_json(body: Mapping[str, Any]) -> dict[str, Any]:
    """``{"task": {...omniplan-workload/1 task...}, "name": optional override}``, validated field by field."""
    task = body.get("task")
    if not isinstance(task, Mapping):
        raise InputError("task: expected a compiled task object (one entry of an omniplan-workload/1 'tasks' list)")
    task = dict(task)
    if body.get("name") is not None:
        if not isinstance(body["name"], str) or not body["name"]:
            raise InputError("name: must be a non-empty string")
        task["name"] = body["name"]
    from controller.workloads import workload_with_programs

    wl = workload_with_programs({"tasks": [task]}, source="task")
    return task_to_dict(wl.tasks[0])


def task_from_skops(raw: bytes, name: str | None, query: Mapping[str, str]) -> dict[str, Any]:
    """Load a skops model with mlcompiler's allow-list loader and compile it to a task."""
    if not raw:
        raise InputError("empty body; send a .skops file (Content-Type: application/octet-stream)")
    if not name:
        raise InputError("name: pass ?name=TASK_NAME for a skops upload")
    from mlcompiler.compiler import compile_model
    from mlcompiler.loader import load_model

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "upload.skops"
        path.write_bytes(raw)
        try:
            spec = load_model(path)
        except InputError as exc:
            raise InputError(str(exc).replace(str(path), "uploaded model")) from None
    kwargs: dict[str, Any] = {}
    if query.get("ingress"):
        kwargs["ingress"] = query["ingress"]
    task = compile_model(spec, name, **kwargs)
    # the compiler's program may hold numpy scalars; the store keeps plain JSON
    task_dict = json.loads(json.dumps(task_to_dict(task), default=_plain_number))
    return task_from_json({"task": task_dict})


def _plain_number(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON data")
