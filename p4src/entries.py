"""Table entries in a P4Info-name form shared by the compiler, the switch, the twin and the controller.

Names are P4Info names (``MyIngress.stage0``); values are non-negative integers. The software
switch converts P4Runtime protobufs to and from these; the pipeline twin executes them; the
controller builds them from a plan. A range match keeps its low bound in ``value`` and its high
bound in ``high``; a ternary match its mask in ``mask``; an LPM match its ``prefix_len``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping


@dataclass(frozen=True)
class Match:
    field: str
    kind: str  # exact | lpm | ternary | range | optional
    value: int
    mask: int | None = None
    prefix_len: int | None = None
    high: int | None = None

    def matches(self, key: int) -> bool:
        if self.kind in ("exact", "optional"):
            return key == self.value
        if self.kind == "ternary":
            return (key & (self.mask or 0)) == (self.value & (self.mask or 0))
        if self.kind == "range":
            return self.value <= key <= (self.high if self.high is not None else self.value)
        raise ValueError(f"lpm match on {self.field} needs the field width; use matches_lpm")

    def matches_lpm(self, key: int, width: int) -> bool:
        plen = self.prefix_len or 0
        shift = width - plen
        return (key >> shift) == (self.value >> shift) if plen else True


@dataclass(frozen=True)
class TableEntry:
    table: str
    matches: tuple[Match, ...]
    action: str
    params: tuple[tuple[str, int], ...] = ()
    priority: int = 0

    @property
    def key(self) -> tuple:
        """Identity of the entry within its table (what P4Runtime uses to find it)."""
        return (self.table, tuple(sorted(self.matches, key=lambda m: m.field)), self.priority)

    def param(self, name: str) -> int:
        return dict(self.params)[name]


@dataclass(frozen=True)
class DefaultAction:
    table: str
    action: str
    params: tuple[tuple[str, int], ...] = ()


#: What a pipeline executes against: entries per table and overridden default actions.
TableState = Mapping[str, "list[TableEntry]"]
