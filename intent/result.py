"""What a translation hands back: the preference vector plus everything the operator needs to trust it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from omniplan.objectives import OBJECTIVES, Preference


@dataclass(frozen=True)
class OutOfScopeAsk:
    """A requested objective outside the seven, with the closest of the seven and how close it is.

    The operator chooses between `proceed` (fold `intensity` into `closest_objective`) and
    `register` (persist it as a custom objective, recognised from then on).
    """

    ask: str
    closest_objective: str
    similarity: float
    intensity: float = 0.0
    words: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {"ask": self.ask, "closest_objective": self.closest_objective,
                "similarity": round(self.similarity, 4), "intensity": round(self.intensity, 4),
                "words": list(self.words), "options": ["proceed", "register"]}


@dataclass(frozen=True)
class Translation:
    """An intent translated into the paper's preference vector s (before normalisation)."""

    text: str
    preference: Preference
    standardized: dict[str, str]
    out_of_scope: list[OutOfScopeAsk]
    confidence: float
    evidence: dict[str, list[str]]
    backend: str
    notes: list[str] = field(default_factory=list)
    custom: dict[str, float] = field(default_factory=dict)
    thetas: dict[str, float] = field(default_factory=dict)

    def with_mapping(self) -> Preference:
        """'Proceed with the mapping': each out-of-scope ask raises its closest objective to its intensity."""
        values = self.preference.as_dict()
        for ask in self.out_of_scope:
            values[ask.closest_objective] = max(values[ask.closest_objective], ask.intensity)
        return Preference(values)

    def levels(self) -> dict[str, int]:
        """Intensities on the anchors' 0..4 scale (how the benchmark scorer reads them)."""
        return {o: int(round(4 * self.preference[o])) for o in OBJECTIVES}

    def as_dict(self) -> dict[str, Any]:
        return {
            "preference": {o: round(v, 4) for o, v in self.preference.as_dict().items()},
            "out_of_scope": [a.ask for a in self.out_of_scope],
            "out_of_scope_detail": [a.as_dict() for a in self.out_of_scope],
            "confidence": round(self.confidence, 3),
            "standardized": dict(self.standardized),
            "evidence": {o: list(w) for o, w in self.evidence.items()},
            "custom": {k: round(v, 4) for k, v in self.custom.items()},
            "backend": self.backend,
            "notes": list(self.notes),
            "normalized": [round(x, 4) for x in self.preference.normalized()],
        }
