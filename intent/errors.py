"""Errors raised by intent translation; all are operator-facing InputErrors (the CLI exits 2)."""

from __future__ import annotations

from omniplan.errors import InputError


class IntentInputError(InputError):
    """An intent (or a batch file of intents) that cannot be translated; the message says why and where."""

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None):
        self.path, self.line = path, line
        where = ":".join(p for p in (str(path) if path else "", f"line {line}" if line is not None else "") if p)
        super().__init__(f"{where}: {message}" if where else message)


class BackendError(IntentInputError):
    """A translation backend that was asked for by name is unknown or misconfigured."""
