"""Errors that carry an operator-facing message; the CLI prints them and exits with code 2."""

from __future__ import annotations


class OmniPlanError(Exception):
    """Base for every error whose message is meant for the operator, not a traceback."""


class InputError(OmniPlanError):
    """Bad input: a file, field or value the operator supplied is wrong."""


class WorkloadError(InputError):
    """A malformed workload file; the message names the file, field and line."""

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None, field: str | None = None):
        self.path, self.line, self.field = path, line, field
        where = []
        if path:
            where.append(str(path))
        if line is not None:
            where.append(f"line {line}")
        prefix = ":".join(where)
        if field:
            prefix = f"{prefix} field {field!r}" if prefix else f"field {field!r}"
        super().__init__(f"{prefix}: {message}" if prefix else message)


class TopologyError(InputError):
    """An unknown topology name or a malformed topology file."""


class InfeasibleError(OmniPlanError):
    """No plan satisfies the constraints; the message says which constraint binds."""
