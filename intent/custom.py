"""Custom objectives registered by the operator (paper section 8, fallback step 3).

When an intent asks for something outside the seven objectives the operator may register it; it
is written to $OMNIPLAN_HOME/custom_objectives.json (default ~/.omniplan) and every later
translation recognises it instead of flagging it as out of scope.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from intent.errors import IntentInputError
from intent.lexicon import OUT_OF_SCOPE
from omniplan.objectives import OBJECTIVES

FORMAT = "omniplan-custom-objectives/1"
FILE_NAME = "custom_objectives.json"
_NAME = re.compile(r"^[a-z][a-z0-9 _-]{0,39}$")


@dataclass(frozen=True)
class CustomObjective:
    """A registered objective: its name, the regex that finds it in an intent, and where it maps."""

    name: str
    pattern: str
    description: str
    closest_objective: str
    similarity: float
    registered_at: float

    def matcher(self) -> re.Pattern[str]:
        return re.compile(self.pattern, re.IGNORECASE)


def omniplan_home() -> Path:
    """$OMNIPLAN_HOME or ~/.omniplan (created on first write, never on read)."""
    return Path(os.environ.get("OMNIPLAN_HOME") or "~/.omniplan").expanduser()


def registry_path(home: Path | None = None) -> Path:
    return (home or omniplan_home()) / FILE_NAME


def load_custom_objectives(home: Path | None = None) -> list[CustomObjective]:
    """Registered objectives; an absent file means none, a corrupt one is an error naming the file."""
    path = registry_path(home)
    if not path.is_file():
        return []
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise IntentInputError(f"cannot read custom objectives: {exc}", path=str(path)) from None
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("objectives"), list):
        raise IntentInputError(f"not a {FORMAT} file", path=str(path))
    found = []
    for number, item in enumerate(data["objectives"]):
        try:
            custom = CustomObjective(**item)
            re.compile(custom.pattern)
        except (TypeError, re.error) as exc:
            raise IntentInputError(f"custom objective #{number}: {exc}", path=str(path)) from None
        found.append(custom)
    return found


def default_pattern(name: str) -> str:
    """A known out-of-scope concept keeps its full vocabulary; a new name matches its own words."""
    if name in OUT_OF_SCOPE:
        return OUT_OF_SCOPE[name][0]
    words = [re.escape(w) for w in re.split(r"[\s_-]+", name) if w]
    return r"\b" + r"[\s_-]+".join(words) + r"\w*"


def register_custom_objective(name: str, *, closest_objective: str, similarity: float, description: str = "",
                              pattern: str | None = None, home: Path | None = None) -> CustomObjective:
    """Persist a custom objective (replacing one of the same name) and return it."""
    name = name.strip().lower()
    if not _NAME.match(name):
        raise IntentInputError(f"custom objective name {name!r} must be 1-40 characters of a-z, 0-9, space, _ or -")
    if name in OBJECTIVES:
        raise IntentInputError(f"{name!r} is already one of the seven objectives")
    if closest_objective not in OBJECTIVES:
        raise IntentInputError(f"closest objective {closest_objective!r} is not one of {', '.join(OBJECTIVES)}")
    pattern = pattern or default_pattern(name)
    try:
        re.compile(pattern)
    except re.error as exc:
        raise IntentInputError(f"custom objective pattern {pattern!r}: {exc}") from None
    custom = CustomObjective(name, pattern, description or (OUT_OF_SCOPE.get(name, ("", name))[1]),
                             closest_objective, float(similarity), time.time())
    existing = [c for c in load_custom_objectives(home) if c.name != name]
    path = registry_path(home)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"format": FORMAT, "objectives": [asdict(c) for c in existing + [custom]]}
    # write-then-rename so a crash never leaves a half-written registry
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".custom_objectives.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(payload, handle, indent=2)
    os.replace(tmp, path)
    return custom
