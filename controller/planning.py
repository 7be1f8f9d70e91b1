"""The planning half of an intent's lifecycle: text -> preference -> activated experts -> plan.

Each step is a plain blocking function (the service runs them in a worker thread so the API
stays responsive while CP-SAT solves). They call the project's own components:
``intent.translate`` for natural language and ``experts.activation`` (Algorithm 1, dual-channel
activation) for planning; nothing here re-implements them.
"""

from __future__ import annotations

import importlib
import time
from dataclasses import dataclass, field
from typing import Any, Mapping

from omniplan.errors import InputError, OmniPlanError
from omniplan.evaluate import evaluate
from omniplan.objectives import Preference, PreferenceError
from omniplan.plan import Plan
from omniplan.topology import Topology
from omniplan.workload import Workload

CHANNELS = ("auto", "fast", "optimal")


class PlanningError(OmniPlanError):
    """A step of planning could not produce a result; the message is the intent's failure reason."""


@dataclass
class Translation:
    preference: Preference
    source: str  # "text" | "preference"
    evidence: Any = None
    confidence: float | None = None
    out_of_scope: Any = None
    notes: list[str] = field(default_factory=list)
    backend: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"preference": self.preference.as_dict(), "source": self.source, "evidence": _plain(self.evidence),
                "confidence": self.confidence, "out_of_scope": _plain(self.out_of_scope), "notes": list(self.notes),
                "backend": self.backend}


@dataclass
class PlanningOutcome:
    plan: Plan
    objectives: dict[str, float]
    experts: list[dict[str, Any]] = field(default_factory=list)
    channel: str = ""
    evaluation: dict[str, Any] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)


def parse_preference(value: Any) -> Preference:
    """A preference given directly: a mapping objective -> [0, 1] or the CLI's 'latency=1,...' string."""
    try:
        if isinstance(value, str):
            return Preference.parse(value)
        if isinstance(value, Mapping):
            return Preference(dict(value))
    except PreferenceError as exc:
        raise InputError(f"preference: {exc}") from None
    raise InputError("preference: expected an object {objective: value} or a string 'latency=1,resources=0.5'")


def translate(text: str | None, preference: Any = None) -> Translation:
    """The intent's preference vector: given directly, or translated from text by ``intent.translate``."""
    if preference is not None:
        return Translation(parse_preference(preference), "preference")
    if not text or not text.strip():
        raise InputError("give 'text' or 'preference'")
    module = _optional("intent")
    result = module.translate(text)
    pref = result.preference
    notes = []
    asks = list(getattr(result, "out_of_scope", None) or [])
    if asks and hasattr(result, "with_mapping"):
        # The API has no operator in the loop to ask, so it proceeds with the closest-objective mapping
        # and records that it did.
        pref = result.with_mapping()
        notes.append("out-of-scope asks folded into their closest objectives: "
                     + ", ".join(f"{a.ask}->{a.closest_objective}" for a in asks))
    if pref.is_zero() and asks:
        raise PlanningError("the intent asks only for things outside the seven objectives: "
                            + ", ".join(getattr(a, "ask", str(a)) for a in asks))
    tr = Translation(pref, "text", getattr(result, "evidence", None), getattr(result, "confidence", None),
                     [a.as_dict() if hasattr(a, "as_dict") else str(a) for a in asks])
    tr.notes = notes + list(getattr(result, "notes", []) or [])
    tr.backend = getattr(result, "backend", None)
    return tr


def plan(preference: Preference, workload: Workload, topology: Topology, *, channel: str = "auto",
         time_limit_s: float = 10.0, allow_partial: bool = False, seed: int = 0) -> PlanningOutcome:
    """Run expert activation and return the chosen plan with why each expert ran.

    ``auto`` is Algorithm 1 (dual-channel: a dominant objective runs one fast expert, a mixed
    preference adds the warm-started MIP). ``fast`` forces the fast channel (the best-cosine
    fast expert alone); ``optimal`` forces the solver channel (the MIP expert alone).
    """
    if channel not in CHANNELS:
        raise InputError(f"channel: {channel!r} is not one of {', '.join(CHANNELS)}")
    activation = _optional("experts.activation")
    t0 = time.perf_counter()
    kw = dict(time_limit_s=time_limit_s, allow_partial=allow_partial, seed=seed, workers=2)
    if channel == "auto":
        result = activation.activate(preference, workload, topology, **kw)
    elif channel == "fast":
        result, tried = None, []
        for name in activation.select_experts(preference).fast:  # best cosine first, like Algorithm 1
            try:
                result = activation.run_single(name, preference, workload, topology, **kw)
                break
            except OmniPlanError as exc:
                tried.append(f"{name}: {exc}")
        if result is None:
            raise PlanningError("no fast expert produced a plan: " + "; ".join(tried))
        result.notes.extend(f"skipped {t}" for t in tried)
        result.selection.reason = f"fast channel forced: best-cosine fast expert that succeeded, {result.chosen!r}"
    else:
        result = activation.run_single(activation.MIP_EXPERT, preference, workload, topology, **kw)
        result.selection.reason = f"optimal channel forced: MIP expert {activation.MIP_EXPERT!r}"
    chosen = result.plan
    ev = evaluate(chosen, workload, topology)
    experts = []
    for run in result.runs:
        item = run.as_dict()
        item["chosen"] = run.name == result.chosen
        item["why"] = (result.selection.reason if run.role == "fast" or channel != "auto"
                       else "mixed preference: the MIP expert refines the fast plan (warm start)")
        item["similarity"] = result.selection.similarities.get(run.name)
        experts.append(item)
    return PlanningOutcome(
        plan=chosen,
        objectives=dict(ev.objectives),
        experts=experts,
        channel=channel if channel != "auto" else f"auto/{result.selection.rule}",
        evaluation=ev.as_dict(),
        details={"activation_s": time.perf_counter() - t0, "activation": _plain(result.as_dict())},
    )


def _attr(obj: Any, *names: str) -> Any:
    for n in names:
        if isinstance(obj, Mapping) and n in obj:
            return obj[n]
        if hasattr(obj, n):
            return getattr(obj, n)
    return None


def _optional(module: str) -> Any:
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name and module.startswith(exc.name):
            raise PlanningError(f"{module} is not installed in this build") from None
        raise


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_plain(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if hasattr(value, "item"):
        try:
            return value.item()
        except Exception:
            pass
    if hasattr(value, "__dict__"):
        return {k: _plain(v) for k, v in vars(value).items() if not k.startswith("_")}
    return str(value)


def plan_around(preference: Preference, workload: Workload, topology: Topology, **kw: Any) -> PlanningOutcome:
    """``plan`` on a network that a failure may have cut into pieces: each piece is planned on its own.

    On a connected topology this is exactly ``plan``. Otherwise the plans of the pieces are merged;
    ``objectives`` are those of the piece holding the most tasks and ``evaluation`` lists every
    piece's (no single network-wide figure exists for a cut network).
    """
    from controller import faults

    pieces = faults.split_components(topology, workload)
    if len(pieces) == 1:
        return plan(preference, pieces[0][1], pieces[0][0], **kw)
    outcomes = [plan(preference, wl, sub, **kw) for sub, wl in pieces]
    main = max(range(len(pieces)), key=lambda i: len(pieces[i][1].tasks))
    return PlanningOutcome(
        plan=faults.merge_plans([o.plan for o in outcomes]),
        objectives=dict(outcomes[main].objectives),
        experts=[e for o in outcomes for e in o.experts],
        channel=outcomes[main].channel,
        evaluation={"pieces": [{"devices": sorted(sub.device_index), "evaluation": o.evaluation}
                               for (sub, _), o in zip(pieces, outcomes)]},
        details={"activation": outcomes[main].details.get("activation", {}), "pieces": len(pieces)},
    )
