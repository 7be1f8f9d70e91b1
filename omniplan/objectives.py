"""The seven planning objectives and the preference vector over them.

The order is fixed once here so that every vector in the system (intent scores, expert
capability vectors, solver weights, evaluated costs) lines up index by index.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Mapping

OBJECTIVES: tuple[str, ...] = (
    "power",
    "resources",
    "throughput",
    "latency",
    "coordination",
    "hops",
    "coverage",
)

#: +1 when a larger reported value is better, -1 when smaller is better. Matches the reward's d_i.
DIRECTION: Mapping[str, int] = {
    "power": -1,
    "resources": -1,
    "throughput": +1,
    "latency": -1,
    "coordination": -1,
    "hops": -1,
    "coverage": +1,
}

#: Plain-language description of each objective, used for display and as embedding targets.
DESCRIPTIONS: Mapping[str, str] = {
    "power": "energy and power consumption of the network devices",
    "resources": "on-chip memory (SRAM/TCAM) and pipeline resources used on each device",
    "throughput": "traffic throughput and link bandwidth headroom",
    "latency": "end-to-end inference latency of each task",
    "coordination": "metadata (PHV bits) carried between devices to coordinate a split task",
    "hops": "number of network hops a task's packets traverse",
    "coverage": "share of the requested inference tasks actually offloaded",
}

#: Unit of each objective's evaluated value (``omniplan.evaluate``), shown next to every number an
#: operator sees (CLI tables, the API's intent records) so "0.88" is never ambiguous.
UNITS: Mapping[str, str] = {
    "power": "W",
    "resources": "% SRAM",
    "throughput": "% headroom",
    "latency": "us",
    "coordination": "% bits",
    "hops": "links/task",
    "coverage": "% tasks",
}


class PreferenceError(ValueError):
    """A preference vector that names an unknown objective or carries an out-of-range value."""


@dataclass(frozen=True)
class Preference:
    """Intensity in [0, 1] per objective; 0 means 'no demand', 1 'greatest demand'."""

    values: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        clean: dict[str, float] = {}
        for name, value in dict(self.values).items():
            if name not in OBJECTIVES:
                raise PreferenceError(f"unknown objective {name!r}; expected one of {', '.join(OBJECTIVES)}")
            try:
                number = float(value)
            except (TypeError, ValueError):
                raise PreferenceError(f"objective {name!r}: {value!r} is not a number") from None
            if not 0.0 <= number <= 1.0 or number != number:
                raise PreferenceError(f"objective {name!r}: {number} is outside [0, 1]")
            clean[name] = number
        object.__setattr__(self, "values", {o: clean.get(o, 0.0) for o in OBJECTIVES})

    def __getitem__(self, name: str) -> float:
        return self.values[name]

    def as_list(self) -> list[float]:
        return [self.values[o] for o in OBJECTIVES]

    def as_dict(self) -> dict[str, float]:
        return dict(self.values)

    def is_zero(self) -> bool:
        return not any(self.values.values())

    def normalized(self) -> list[float]:
        """Weights summing to 1 (the paper's s vector); uniform when nothing was asked."""
        total = sum(self.values.values())
        if total <= 0:
            return [1.0 / len(OBJECTIVES)] * len(OBJECTIVES)
        return [self.values[o] / total for o in OBJECTIVES]

    @classmethod
    def from_list(cls, numbers: Iterable[float]) -> "Preference":
        numbers = list(numbers)
        if len(numbers) != len(OBJECTIVES):
            raise PreferenceError(f"expected {len(OBJECTIVES)} values, got {len(numbers)}")
        return cls(dict(zip(OBJECTIVES, numbers)))

    @classmethod
    def parse(cls, text: str) -> "Preference":
        """Parse 'latency=1,resources=0.5' (the CLI's --prefer syntax)."""
        values: dict[str, float] = {}
        for part in filter(None, (p.strip() for p in text.split(","))):
            name, sep, raw = part.partition("=")
            name = name.strip()
            if not sep:
                raise PreferenceError(f"{part!r}: expected NAME=VALUE, e.g. latency=1")
            if name in values:
                raise PreferenceError(f"objective {name!r} given twice")
            try:
                values[name] = float(raw)
            except ValueError:
                raise PreferenceError(f"objective {name!r}: {raw.strip()!r} is not a number") from None
        return cls(values)
