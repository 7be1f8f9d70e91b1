"""Make-before-break pushes: move every switch from its current entries to a target, in three phases.

Why three phases: entries of the new configuration carry a new version tag in their match key
(the realizer puts it there), so they can sit next to the old ones without changing what any
packet sees. Only the *entry-point* entries (the ingress/dispatch tables that classify a
packet and stamp the version it will be processed under) decide which configuration a packet
gets. So, network-wide:

1. **make**: insert every new non-entry-point entry on every switch (old config still live);
2. **flip**: modify/insert the entry-point entries, switch by switch (each packet is stamped
   either old or new at its ingress and carries that version downstream, where both exist);
3. **break**: after a short drain, delete the entry-point entries no longer wanted, then every
   other stale entry.

A packet therefore sees the old or the new configuration, never a mix. The same phased diff is
used to roll back (target = the previous state, actual = read back from the switch, so a half
applied batch is handled) and to reconcile a switch that reconnects or a push interrupted by a
crash.

A switch is reached through a ``Driver`` (``controller.southbound.FinsyDriver`` for P4Runtime).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Awaitable, Callable, Iterable, Mapping, Protocol, Sequence

from controller.entry_codec import entry_key, index_entries, normalize
from p4src.entries import TableEntry

INSERT, MODIFY, DELETE = "insert", "modify", "delete"
Op = tuple[str, TableEntry]
DesiredState = Mapping[str, Sequence[TableEntry]]
#: Says whether an entry belongs to an entry-point (ingress/dispatch) table.
EntryPointTest = Callable[[TableEntry], bool]


class Driver(Protocol):
    """What the deployer needs from a switch connection."""

    name: str

    def is_ready(self) -> bool: ...

    async def read_entries(self) -> list[TableEntry]: ...

    async def write(self, ops: Sequence[Op]) -> None: ...


class SwitchUnreachable(Exception):
    """A switch the push must touch is not connected (or not primary); the message says which, and why."""

    def __init__(self, switches: Iterable[str], reasons: Mapping[str, str] | None = None):
        self.switches = sorted(switches)
        reasons = reasons or {}
        plain = [n for n in self.switches if n not in reasons]
        parts = ([f"{', '.join(plain)} unreachable"] if plain else []) + [reasons[n] for n in self.switches
                                                                          if n in reasons]
        super().__init__("; ".join(parts))


def unreachable(drivers: Mapping[str, "Driver"], names: Iterable[str]) -> SwitchUnreachable:
    """SwitchUnreachable with each driver's own reason (another primary is told apart from unreachable)."""
    reasons = {}
    for n in names:
        why = getattr(drivers.get(n), "unavailable_reason", None)
        text = why() if why is not None else None
        if text and text != f"{n} unreachable":
            reasons[n] = text
    return SwitchUnreachable(names, reasons)


class PushFailed(Exception):
    """A write failed; ``rolled_back`` says whether every touched switch was restored."""

    def __init__(self, message: str, *, switch: str, rolled_back: bool):
        self.switch, self.rolled_back = switch, rolled_back
        super().__init__(message)


@dataclass
class SwitchDiff:
    inserts: list[TableEntry] = field(default_factory=list)
    modifies: list[TableEntry] = field(default_factory=list)
    deletes: list[TableEntry] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.inserts or self.modifies or self.deletes)

    @property
    def size(self) -> int:
        return len(self.inserts) + len(self.modifies) + len(self.deletes)


def diff(actual: Iterable[TableEntry], target: Iterable[TableEntry]) -> SwitchDiff:
    """What to write to turn ``actual`` into ``target`` (entries compared by key, then content)."""
    have = index_entries(normalize(e) for e in actual)
    want = index_entries(normalize(e) for e in target)
    out = SwitchDiff()
    for k, e in want.items():
        if k not in have:
            out.inserts.append(e)
        elif have[k] != e:
            out.modifies.append(e)
    out.deletes = [e for k, e in have.items() if k not in want]
    return out


def phase_ops(d: SwitchDiff, is_entry_point: EntryPointTest) -> tuple[list[Op], list[Op], list[Op]]:
    """Split one switch's diff into (make, flip, break) operation lists."""
    make = [(INSERT, e) for e in d.inserts if not is_entry_point(e)]
    # A modified non-entry-point entry (same key in both versions) cannot be made in advance;
    # it changes together with the flip.
    flip = [(MODIFY, e) for e in d.modifies if not is_entry_point(e)]
    flip += [(INSERT, e) for e in d.inserts if is_entry_point(e)]
    flip += [(MODIFY, e) for e in d.modifies if is_entry_point(e)]
    brk = [(DELETE, e) for e in d.deletes if is_entry_point(e)]
    brk += [(DELETE, e) for e in d.deletes if not is_entry_point(e)]
    return make, flip, brk


def batches(ops: Sequence[Op], size: int) -> list[list[Op]]:
    return [list(ops[i:i + size]) for i in range(0, len(ops), size)] if ops else []


@dataclass
class PushStats:
    written: int = 0
    per_switch: dict[str, int] = field(default_factory=dict)
    phases_s: dict[str, float] = field(default_factory=dict)
    #: Down switches whose only change was deletes: skipped, their stale entries are removed by the
    #: reconcile when they return (switch -> number of deletes left undone).
    deferred: dict[str, int] = field(default_factory=dict)


Progress = Callable[[str, dict], Awaitable[None] | None]


async def _notify(progress: Progress | None, event: str, data: dict) -> None:
    if progress is None:
        return
    result = progress(event, data)
    if asyncio.iscoroutine(result):
        await result


#: How long a failed write waits for the switch's stream to be declared down before the failure
#: counts as a live switch refusing the write (the stream error and the RPC error race).
DOWN_SETTLE_S = 1.0


async def _settle_down(drivers: Mapping[str, Driver], names: set[str]) -> None:
    deadline = time.monotonic() + DOWN_SETTLE_S
    while any(drivers[n].is_ready() for n in names) and time.monotonic() < deadline:
        await asyncio.sleep(0.02)


async def converge(drivers: Mapping[str, Driver], target: DesiredState, is_entry_point: EntryPointTest, *,
                   batch_size: int = 256, drain_s: float = 0.0, progress: Progress | None = None,
                   actual: Mapping[str, Sequence[TableEntry]] | None = None,
                   assumed: Mapping[str, Sequence[TableEntry]] | None = None,
                   known: Mapping[str, Sequence[TableEntry]] | None = None,
                   hook: Callable[[str, str, int], Awaitable[None]] | None = None) -> PushStats:
    """Drive every switch in ``target`` to hold exactly ``target[switch]``, make-before-break.

    ``actual`` defaults to what each switch reports (P4Runtime Read); for a switch that is down
    the ``assumed`` state (what the store says it holds) stands in, so a down switch the change
    does not touch does not block it. ``known`` gives switches whose state the caller already
    knows for sure (reconciled since they connected, written only by us): they are not read, which
    keeps a push from paying a full Read of every switch. ``hook(phase, switch, n)``
    runs before each batch (used by tests and fault injection to observe intermediate states).
    Raises SwitchUnreachable before writing anything if a switch that needs a change is down;
    raises the driver's exception on a failed write (the caller rolls back).
    """
    stats = PushStats()
    names = sorted(target)
    missing = [n for n in names if n not in drivers]
    if missing:
        raise SwitchUnreachable(missing)
    if actual is None:
        known = known or {}
        up = [n for n in names if n not in known and drivers[n].is_ready()]
        down = [n for n in names if n not in up and n not in known]
        if down and assumed is None:
            raise unreachable(drivers, down)
        reads = await asyncio.gather(*(drivers[n].read_entries() for n in up))
        actual = dict(zip(up, reads))
        actual.update({n: list(known[n]) for n in names if n in known})
        for n in down:
            actual[n] = list(assumed.get(n, ()))  # type: ignore[union-attr]
    diffs = {n: diff(actual.get(n, ()), target[n]) for n in names}
    down = [n for n in names if not diffs[n].empty and not drivers[n].is_ready()]
    blocking = [n for n in down if diffs[n].inserts or diffs[n].modifies]
    if blocking:
        raise unreachable(drivers, blocking)
    for n in down:  # only deletes on a dead switch: nothing a packet can meet there any more
        stats.deferred[n] = diffs[n].size
        diffs[n] = SwitchDiff()
    plans = {n: phase_ops(diffs[n], is_entry_point) for n in names}
    for idx, phase in enumerate(("make", "flip", "break")):
        t0 = time.perf_counter()
        if phase == "break" and drain_s > 0 and any(plans[n][2] for n in names):
            await asyncio.sleep(drain_s)

        async def run_switch(n: str) -> None:
            for chunk in batches(plans[n][idx], batch_size):
                try:
                    if hook is not None:
                        await hook(phase, n, len(chunk))
                    await drivers[n].write(chunk)
                except Exception as exc:
                    exc.switch = n  # type: ignore[attr-defined]
                    raise
                stats.written += len(chunk)
                stats.per_switch[n] = stats.per_switch.get(n, 0) + len(chunk)

        results = await asyncio.gather(*(run_switch(n) for n in names), return_exceptions=True)
        errors = [r for r in results if isinstance(r, BaseException)]
        if phase == "break" and errors:
            # The new configuration is live everywhere once the flip is done; a switch that died
            # during the break only keeps entries no packet is stamped for any more.
            failed = [e for e in errors if getattr(e, "switch", None) in drivers]
            await _settle_down(drivers, {getattr(e, "switch") for e in failed})
            for err in [e for e in failed if not drivers[getattr(e, "switch")].is_ready()]:
                errors.remove(err)
                n = getattr(err, "switch")
                stats.deferred[n] = stats.deferred.get(n, 0) + len(plans[n][2]) - stats.per_switch.get(n, 0) \
                    + len(plans[n][0]) + len(plans[n][1])
        if errors:
            raise errors[0]
        stats.phases_s[phase] = time.perf_counter() - t0
        await _notify(progress, "phase", {"phase": phase, "written": stats.written})
    return stats


async def push(drivers: Mapping[str, Driver], previous: DesiredState, target: DesiredState,
               is_entry_point: EntryPointTest, *, batch_size: int = 256, drain_s: float = 0.0,
               progress: Progress | None = None, known: Mapping[str, Sequence[TableEntry]] | None = None,
               hook: Callable[[str, str, int], Awaitable[None]] | None = None) -> PushStats:
    """Move from ``previous`` to ``target``; on a failed write restore ``previous`` and raise PushFailed.

    Switches present in either state are covered (a switch losing all its entries gets an
    empty target). ``known``: see ``converge``; the rollback always reads the real state.
    """
    names = sorted(set(previous) | set(target))
    full_target = {n: list(target.get(n, ())) for n in names}
    full_previous = {n: list(previous.get(n, ())) for n in names}
    try:
        return await converge(drivers, full_target, is_entry_point, batch_size=batch_size, drain_s=drain_s,
                              progress=progress, hook=hook, assumed=full_previous, known=known)
    except SwitchUnreachable:
        raise
    except Exception as exc:  # a write failed: undo by converging back, reading the real state
        switch = getattr(exc, "switch", "?")
        reason = f"write to {switch} failed: {exc}"
        dead = sorted(n for n in names if full_previous[n] and n in drivers and not drivers[n].is_ready())
        if dead:
            # Rolling back would restore a configuration that sends packets to a dead switch.
            raise PushFailed(f"{reason}; not rolled back: the previous configuration needs {', '.join(dead)}, "
                             "which is down", switch=switch, rolled_back=False) from exc
        await _notify(progress, "rollback", {"reason": reason})
        try:
            await converge(drivers, full_previous, is_entry_point, batch_size=batch_size, assumed=full_previous)
        except Exception as undo_exc:
            raise PushFailed(f"{reason}; rollback incomplete ({undo_exc}); the switch will be reconciled "
                             "when it answers again", switch=switch, rolled_back=False) from exc
        raise PushFailed(f"{reason}; rolled back", switch=switch, rolled_back=True) from exc
