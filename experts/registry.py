"""The expert registry: adding an expert = registering a capability vector and a solve function.

Capability vectors follow the paper's expert profiling: entry i in [0, 1] says how well the
expert serves objective i (order: ``omniplan.objectives.OBJECTIVES``). Activation compares them
with the intent's preference vector by cosine similarity.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Callable, Iterable

from omniplan.objectives import OBJECTIVES
from omniplan.plan import Plan
from omniplan.topology import Topology
from omniplan.workload import Workload


@dataclass
class PlanRequest:
    """Everything an expert needs to produce a plan."""

    workload: Workload
    topology: Topology
    #: Objective weights in OBJECTIVES order; experts that use weights normalise them themselves.
    weights: list[float] = field(default_factory=lambda: [1.0 / len(OBJECTIVES)] * len(OBJECTIVES))
    time_limit_s: float = 30.0
    #: A fast expert's plan used as the MIP's hint (warm start).
    warm_start: Plan | None = None
    #: Tasks may be left unplaced (coverage < 100%) instead of declaring the instance infeasible.
    allow_partial: bool = False
    seed: int = 0
    workers: int = 2
    #: MIP experts: CP-SAT deterministic-time budget (its own work units, roughly seconds on an idle
    #: core) instead of wall time. WHY: a wall-time limit makes the plan depend on machine load, so
    #: two solves of the same weights can differ; with this set, the same request gives the same plan
    #: (``time_limit_s`` stays a wall-clock safety cap; the plan says if that cap cut the search).
    work_limit: float | None = None


Solver = Callable[[PlanRequest], Plan]


@dataclass(frozen=True)
class Expert:
    name: str
    #: "mip" | "heuristic" | "drl" | "baseline" (a comparison method from the paper's section 7.1:
    #: run by name - ``--expert``, the benches - but never chosen by expert activation)
    kind: str
    capability: tuple[float, ...]
    solve: Solver
    description: str = ""
    #: Former names still accepted by ``get`` (``--expert``, configs, benches), each with a one-line
    #: deprecation notice: plans and results stored under the old name keep working.
    aliases: tuple[str, ...] = ()

    @property
    def fast(self) -> bool:
        return self.kind != "mip"

    def capability_dict(self) -> dict[str, float]:
        return dict(zip(OBJECTIVES, self.capability))


_REGISTRY: dict[str, Expert] = {}
#: former name -> current name (from ``Expert.aliases``)
_ALIASES: dict[str, str] = {}
#: aliases already announced in this process (one notice each, not one per lookup)
_ANNOUNCED: set[str] = set()
_log = logging.getLogger(__name__)


def capability(**values: float) -> tuple[float, ...]:
    """Build a capability vector from keyword arguments, e.g. capability(latency=1)."""
    unknown = set(values) - set(OBJECTIVES)
    if unknown:
        raise ValueError(f"unknown objective(s) {sorted(unknown)}")
    return tuple(float(values.get(o, 0.0)) for o in OBJECTIVES)


def register(expert: Expert) -> Expert:
    if len(expert.capability) != len(OBJECTIVES):
        raise ValueError(f"expert {expert.name!r}: capability needs {len(OBJECTIVES)} entries")
    if expert.name in _REGISTRY and _REGISTRY[expert.name] is not expert:
        raise ValueError(f"expert {expert.name!r} registered twice")
    if expert.name in _ALIASES:
        raise ValueError(f"expert {expert.name!r}: the name is a former name of {_ALIASES[expert.name]!r}")
    for old in expert.aliases:
        if old in _REGISTRY or _ALIASES.get(old, expert.name) != expert.name:
            raise ValueError(f"expert {expert.name!r}: alias {old!r} is already taken")
    _REGISTRY[expert.name] = expert
    _ALIASES.update(dict.fromkeys(expert.aliases, expert.name))
    return expert


def _load_builtin() -> None:
    # Importing the expert modules registers them; kept lazy so `import experts.registry` is cheap.
    import importlib

    for module in ("experts.mip", "experts.heuristics", "experts.baselines", "experts.drl_expert"):
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise


def get(name: str) -> Expert:
    """The expert registered as ``name`` or, with a one-line deprecation notice, under a former name."""
    _load_builtin()
    if name in _ALIASES:
        new = _ALIASES[name]
        if name not in _ANNOUNCED:
            _ANNOUNCED.add(name)
            _log.warning("expert %r is now called %r; the old name still works but is deprecated", name, new)
        name = new
    try:
        return _REGISTRY[name]
    except KeyError:
        listed = ", ".join(n + (" (paper baseline)" if e.kind == "baseline" else "") for n, e in sorted(_REGISTRY.items()))
        raise KeyError(f"unknown expert {name!r}; registered: {listed}") from None


def all_experts() -> list[Expert]:
    _load_builtin()
    return list(_REGISTRY.values())


def fast_experts() -> list[Expert]:
    """The fast experts activation chooses from (baselines are comparison methods, not experts)."""
    return [e for e in all_experts() if e.fast and e.kind != "baseline"]


def names(experts: Iterable[Expert]) -> list[str]:
    return [e.name for e in experts]
