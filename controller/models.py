"""POST /models: register a task the planner can place, from a compiled task or a skops model.

Why two forms: ``omniplan compile`` already produces compiled task JSON (a task of the
omniplan-workload/1 format whose ``program`` holds the table entries); an operator who only has
a trained model sends the skops file and the controller compiles it with ``mlcompiler``.

Safety: skops files are loaded with ``skops.io.load(trusted=...)`` where the trusted list is only
the scikit-learn/xgboost types ``skops.io.get_untrusted_types`` reports that belong to those
libraries; anything else (arbitrary callables, unknown classes) is refused, never executed.
"""

from __future__ import annotations

import importlib
from typing import Any, Mapping

from omniplan.errors import InputError
from omniplan.workload import task_to_dict

JSON_FIELDS = {"task", "name"}
_SAFE_PREFIXES = ("sklearn.", "xgboost.", "numpy.", "builtins.", "collections.", "scipy.")


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
    from controller.service import workload_with_programs

    wl = workload_with_programs({"tasks": [task]}, source="task")
    return task_to_dict(wl.tasks[0])


def task_from_skops(raw: bytes, name: str | None, query: Mapping[str, str]) -> dict[str, Any]:
    """Load a skops model safely and compile it to a task with mlcompiler."""
    if not raw:
        raise InputError("empty body; send a .skops file (Content-Type: application/octet-stream)")
    if not name:
        raise InputError("name: pass ?name=TASK_NAME for a skops upload")
    import skops.io as sio

    try:
        untrusted = sio.get_untrusted_types(data=raw)
    except Exception as exc:
        raise InputError(f"not a readable skops file: {exc}") from None
    unsafe = [t for t in untrusted if not t.startswith(_SAFE_PREFIXES)]
    if unsafe:
        raise InputError(f"refusing skops file: untrusted type(s) {', '.join(unsafe[:5])}")
    try:
        model = sio.loads(raw, trusted=list(untrusted))
    except Exception as exc:
        raise InputError(f"cannot load skops model: {exc}") from None
    try:
        compiler = importlib.import_module("mlcompiler")
    except ModuleNotFoundError:
        raise InputError("mlcompiler is not installed in this build; send a compiled task JSON instead") from None
    compile_fn = getattr(compiler, "compile_model", None) or getattr(compiler, "compile_task", None)
    if compile_fn is None:
        raise InputError("mlcompiler offers no compile_model(); send a compiled task JSON instead")
    kwargs: dict[str, Any] = {"name": name}
    if query.get("ingress"):
        kwargs["ingress"] = query["ingress"]
    task = compile_fn(model, **kwargs)
    task_dict = task_to_dict(task) if not isinstance(task, Mapping) else dict(task)
    return task_from_json({"task": task_dict})
