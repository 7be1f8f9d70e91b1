"""P4Runtime southbound over finsy: one connection per switch, primary election, pipeline by cookie.

Why finsy: it already implements the P4Runtime stream, arbitration (the controller asks to be
primary with its election id and backs off when another controller holds a higher one),
reconnection with back-off, and "set the pipeline only when the switch's cookie differs from
ours" (``Switch._set_pipeline``), which is exactly the behaviour we want on every reconnect.

This module adds what the controller needs on top:

* ``FinsyDriver`` (the ``controller.deploy.Driver`` for one switch): Read all entries and
  Write batches, converting between finsy entities and ``p4src.entries.TableEntry``.
* ``Southbound``: starts/stops all switches, tracks connection / primary / cookie / last error
  for ``GET /switches``, and calls ``on_ready(device)`` whenever a switch becomes primary and
  ready so the service can reconcile it (Read, diff, fix) and resume pending pushes.
* ``is_entry_point``: which entries are the ingress/dispatch entries that the make-before-break
  push flips last (tables whose key does not carry the version tag).
"""

from __future__ import annotations

import asyncio
import logging
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Awaitable, Callable, Iterable, Iterator, Sequence

import finsy as fy
import finsy.p4client as _fy_client
import finsy.switch as _fy_switch
from finsy import P4TableEntry
from finsy.grpcutil import GRPCStatusCode
from finsy.p4arbitrator import Arbitrator
from finsy.p4client import P4ClientError, P4RpcStatus
from finsy.p4entity import P4TableAction, P4TableMatch
from finsy.proto import U128

from controller.config import MASTERSHIP_POLICIES, SwitchConfig
from controller.deploy import DELETE, INSERT, MODIFY, Op
from controller.entry_codec import normalize
from p4src.entries import Match, TableEntry

P4SRC = Path(__file__).resolve().parent.parent / "p4src"
DEFAULT_P4INFO = P4SRC / "inml.p4info.txtpb"
#: inml.p4's digest for a fresh packet without a dispatch entry, and how the controller asks for it:
#: one report per list, at most 0.1 s buffering, a repeat of the same task only after 1 s unacked.
UNKNOWN_TASK_DIGEST = "unknown_task_t"
UNKNOWN_TASK_LIST_SIZE, UNKNOWN_TASK_TIMEOUT_NS, UNKNOWN_TASK_ACK_NS = 16, 100_000_000, 1_000_000_000
#: A switch that fails within 2 s of connecting is retried after this long (finsy's default is 10 s,
#: too slow for a switch that is restarting).
RECONNECT_THROTTLE_S = 1.0
#: Deadline of one P4Runtime Read/Write (finsy's default is 10 s; reading tens of thousands of
#: entries from a software switch on a loaded host can take longer).
RPC_TIMEOUT_S = 60.0

log = logging.getLogger("omniplan.southbound")
#: Mastership policies (``SwitchConfig.mastership``): when another controller is primary, "wait"
#: stays backup until it leaves; "takeover" bids one above the highest election id the switch has seen.
#: Operator-facing wording of the gRPC status codes a switch answers with.
_CODE_WORDS = {
    "UNAVAILABLE": "not reachable (connection refused or lost)",
    "DEADLINE_EXCEEDED": "did not answer in time",
    "PERMISSION_DENIED": "refused the write: this controller is not primary",
    "FAILED_PRECONDITION": "is not ready (no pipeline, or not primary)",
    "RESOURCE_EXHAUSTED": "is out of table space",
    "CANCELLED": "connection closed",
}


class SouthboundError(Exception):
    pass


def pipeline_blob() -> bytes:
    """Device config sent with the P4Info: the BMv2 JSON ``make p4`` built (BMv2 needs it; omniplan-switch
    ignores it), else the P4 source. Its bytes enter the cookie, so a new program means a new cookie."""
    from p4src.toolchain import built_json

    built = built_json()
    if built is not None:
        return built.read_bytes()
    path = P4SRC / "inml.p4"
    return path.read_bytes() if path.exists() else b""


def to_finsy(e: TableEntry) -> P4TableEntry:
    match = P4TableMatch()
    for m in e.matches:
        if m.kind in ("exact", "optional"):
            match[m.field] = m.value
        elif m.kind == "lpm":
            match[m.field] = (m.value, m.prefix_len or 0)
        elif m.kind == "ternary":
            match[m.field] = (m.value, m.mask or 0)
        elif m.kind == "range":
            match[m.field] = (m.value, m.high if m.high is not None else m.value)
        else:
            raise SouthboundError(f"{e.table}: unknown match kind {m.kind!r}")
    return P4TableEntry(e.table, match=match or None, action=P4TableAction(e.action, **dict(e.params)),
                        priority=e.priority)


def pad_range_bounds(update: Any, schema: Any) -> Any:
    """Range bounds as byte strings of the field's full width, in place; returns ``update``.

    WHY: PI (BMv2's P4Runtime server) decides "don't-care range" from the byte length of the
    bounds (proto/frontend/src/match_key_helpers.cpp), so the canonical encoding of a legal
    range like [0, 255] on a 16-bit key ("\\x00".."\\xff") is rejected as low=0, high=2**8-1.
    Padded bounds are unambiguous, and servers accept padded byte strings in writes (omniplan-switch
    does, and answers reads in canonical form either way).
    """
    te = update.entity.table_entry
    if not te.match:
        return update
    table = schema.tables[te.table_id]
    for fm in te.match:
        if fm.WhichOneof("field_match_type") == "range":
            width = (table.match_fields[fm.field_id].bitwidth + 7) // 8
            fm.range.low = fm.range.low.rjust(width, b"\0")
            fm.range.high = fm.range.high.rjust(width, b"\0")
    return update


def from_finsy(ent: P4TableEntry, schema: Any) -> TableEntry:
    table = schema.tables[ent.table_id]
    matches = []
    for name, value in (ent.match or {}).items():
        fld = table.match_fields[name]
        kind = fld.match_type.name.lower()
        if kind in ("exact", "optional"):
            matches.append(Match(fld.name, kind, int(value)))
        elif kind == "lpm":
            v, plen = value
            matches.append(Match(fld.name, kind, int(v), prefix_len=int(plen)))
        elif kind == "ternary":
            v, mask = value
            matches.append(Match(fld.name, kind, int(v), mask=int(mask)))
        elif kind == "range":
            lo, hi = value
            matches.append(Match(fld.name, kind, int(lo), high=int(hi)))
    action = ""
    params: tuple[tuple[str, int], ...] = ()
    if isinstance(ent.action, P4TableAction):
        action = schema.actions[ent.action.name].name
        params = tuple(sorted((k, int(v)) for k, v in ent.action.args.items()))
    return TableEntry(table.name, tuple(matches), action, params, ent.priority)


def canonical(e: TableEntry, schema: Any) -> TableEntry:
    """Desired entry in the form a switch reads back: full P4Info names, don't-care matches dropped."""
    table = schema.tables[e.table]
    matches = []
    for m in e.matches:
        if m.kind == "ternary":
            if not m.mask:
                continue
            m = Match(m.field, m.kind, m.value & m.mask, mask=m.mask)
        elif m.kind == "lpm" and not m.prefix_len:
            continue
        matches.append(Match(table.match_fields[m.field].name, m.kind, m.value, m.mask, m.prefix_len, m.high))
    action = schema.actions[e.action].name
    return normalize(TableEntry(table.name, tuple(matches), action, tuple(e.params), e.priority))


def readable_error(exc: BaseException) -> str:
    """One line an operator can act on, instead of a gRPC status dump (which goes to the log)."""
    if isinstance(exc, P4ClientError):
        code = exc.code.name if hasattr(exc.code, "name") else str(exc.code)
        if exc.details:  # per-update errors of a Write
            first = next(iter(exc.details.values()))
            sub = first.canonical_code.name if hasattr(first.canonical_code, "name") else str(first.canonical_code)
            more = f" (and {len(exc.details) - 1} more)" if len(exc.details) > 1 else ""
            return f"rejected an update: {sub.lower().replace('_', ' ')}: {first.message.splitlines()[0][:120]}{more}"
        words = _CODE_WORDS.get(code)
        if words:
            return words
        msg = (exc.message or "").splitlines()[0][:160] if exc.message else ""
        return f"{code.lower().replace('_', ' ')}: {msg}" if msg else code.lower().replace("_", " ")
    if isinstance(exc, (asyncio.TimeoutError, TimeoutError)):
        return "did not answer in time"
    if isinstance(exc, (ConnectionError, OSError, asyncio.CancelledError)):
        return "not reachable (connection refused or lost)"
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:200]


def cancelled_by_channel(exc: BaseException) -> bool:
    """True when ``exc`` is a CancelledError that did not come from cancelling the running task.

    grpc.aio cancels every call in flight when its channel closes, which finsy does the moment a
    switch's connection fails: the awaiting coroutine then sees asyncio.CancelledError although
    nobody cancelled it. Left as it is, that error would unwind through a push and end the
    controller's planner task (a CancelledError is re-raised everywhere), leaving the intent in
    'deploying' for ever. It is a failed call to a switch that went away, so it becomes one.
    """
    if not isinstance(exc, asyncio.CancelledError):
        return False
    task = asyncio.current_task()
    return task is None or not task.cancelling()


class MastershipArbitrator(Arbitrator):
    """finsy's arbitration, made honest: never adopts another client's election id.

    finsy's own arbitrator answers "no primary" by taking the highest id the switch reports, i.e.
    the id of the client that just left, so that client cannot come back with its own id. Here the
    bid is always one above the highest id this switch has ever reported (so it is new), and a
    switch promoting us on its own (older PI/BMv2 behaviour) is accepted but never relied on.
    ``policy``: see ``MASTERSHIP_POLICIES``.
    """

    def __init__(self, initial_election_id: int, policy: str = "wait"):
        super().__init__(initial_election_id)
        if policy not in MASTERSHIP_POLICIES:
            raise SouthboundError(f"mastership policy {policy!r}: expected one of {', '.join(MASTERSHIP_POLICIES)}")
        self.policy = policy
        #: Highest election id this switch ever reported (ours included); bids go above it.
        self.highest_seen = 0
        #: Election id of the primary when it is another controller (None: we are primary, or none is).
        self.other_primary: int | None = None

    def _fresh_id(self) -> int:
        return max(self.election_id, self.highest_seen) + 1

    async def _arbitration_request(self, switch: Any):
        for _ in range(5):
            await self._send(switch)
            response = await self._receive(switch)
            if response is not None:
                return response
            self.election_id = self._fresh_id()  # "in use" by another stream: go above, never below
        raise SouthboundError("no free election id after 5 bids")

    async def handshake(self, switch: Any, *, conflict: bool = False) -> None:
        if conflict:
            self.election_id = self._fresh_id()
        response = await self._arbitration_request(switch)
        for _ in range(5):
            code = P4RpcStatus.from_status(response.status).code
            primary_id = U128.decode(response.election_id)
            self.highest_seen = max(self.highest_seen, primary_id, self.election_id)
            if code == GRPCStatusCode.OK:
                break
            if code == GRPCStatusCode.ALREADY_EXISTS and self.policy == "wait":
                break
            # NOT_FOUND (no primary now) or ALREADY_EXISTS under "takeover": bid above everything seen.
            self.election_id = self._fresh_id()
            response = await self._arbitration_request(switch)
        self.is_primary = code == GRPCStatusCode.OK
        self.primary_id = self.election_id if self.is_primary else (primary_id if code != GRPCStatusCode.NOT_FOUND else -1)
        self.other_primary = None if self.is_primary or code == GRPCStatusCode.NOT_FOUND else primary_id

    async def update(self, switch: Any, msg: Any) -> None:
        code = P4RpcStatus.from_status(msg.status).code
        new_primary = U128.decode(msg.election_id)
        self.highest_seen = max(self.highest_seen, new_primary)
        if code == GRPCStatusCode.OK and new_primary == self.election_id:
            self.primary_id, self.other_primary = new_primary, None
            if not self.is_primary:
                self.is_primary = True
                switch._become_primary()  # noqa: SLF001 - finsy's hook for this event
        elif code == GRPCStatusCode.ALREADY_EXISTS or (code == GRPCStatusCode.OK and new_primary != self.election_id):
            self.primary_id, self.other_primary = new_primary, new_primary
            if self.is_primary:
                self.is_primary = False
                switch._become_backup()  # noqa: SLF001
        elif code == GRPCStatusCode.NOT_FOUND:
            # The primary left: both policies bid now, with an id no client has used on this switch.
            self.is_primary, self.other_primary = False, None
            self.election_id = self._fresh_id()
            self.primary_id = -1
            await self._send(switch)
        else:
            log.warning("%s: unexpected arbitration status %s", getattr(switch, "name", "?"), code)

    def reset(self) -> None:
        super().reset()  # back to our configured id; highest_seen is kept, so a departed id is never reused
        self.other_primary = None


class FinsyDriver:
    """The deploy.Driver of one switch; also counts its errors for the network view's health rows."""

    def __init__(self, config: SwitchConfig, switch: fy.Switch):
        self.config = config
        self.name = config.device
        self.switch = switch
        self.ready = False
        self._digest_task: asyncio.Task | None = None
        self.info: dict[str, Any] = {"connected": False, "primary": False, "pipeline_cookie": None,
                                     "last_error": None, "connects": 0, "election_id": config.election_id,
                                     "mastership_policy": config.mastership, "read_errors": 0, "write_errors": 0}

    @property
    def arbitrator(self) -> MastershipArbitrator:
        return self.switch._arbitrator  # noqa: SLF001 - installed by Southbound

    def is_ready(self) -> bool:
        return self.ready and self.switch.is_up and self.switch.is_primary

    def unavailable_reason(self) -> str:
        """Why this switch cannot be written now; another primary is told apart from unreachable."""
        if self.switch.is_up and not self.switch.is_primary:
            other = self.arbitrator.other_primary
            if other is not None:
                return f"another controller (election id {other}) is primary on {self.name}"
            return f"{self.name} has no primary yet (bidding with election id {self.arbitrator.election_id})"
        return f"{self.name} unreachable"

    def _failed(self, kind: str, exc: BaseException) -> SouthboundError:
        words = readable_error(exc)
        self.info[f"{kind}_errors"] += 1
        self.info["last_error"] = f"{kind}: {words}"
        log.warning("%s: %s failed: %s", self.config.name, kind, exc)  # the full gRPC status, for the log only
        return SouthboundError(f"{self.config.name} {words}")

    @contextmanager
    def _call(self, failed: Callable[[BaseException], SouthboundError]) -> Iterator[None]:
        """Turn whatever a P4Runtime call to this switch raises into ``failed(exc)``: every error, and
        a CancelledError that came from the switch's channel closing (``cancelled_by_channel``), so a
        switch going away never cancels the controller task that was talking to it."""
        try:
            yield
        except asyncio.CancelledError as exc:
            if not cancelled_by_channel(exc):
                raise
            raise failed(exc) from exc
        except Exception as exc:
            raise failed(exc) from exc

    def _packet_out_failed(self, exc: BaseException) -> SouthboundError:
        return SouthboundError(f"{self.config.name} packet-out: {readable_error(exc)}")

    def _heartbeat_failed(self, exc: BaseException) -> SouthboundError:
        return SouthboundError(f"{self.config.name} {readable_error(exc)}")

    async def read_entries(self) -> list[TableEntry]:
        with self._call(lambda exc: self._failed("read", exc)):
            schema = self.switch.p4info
            out = []
            async for ent in self.switch.read(P4TableEntry()):
                if ent.is_default_action or not ent.table_id:
                    continue
                out.append(from_finsy(ent, schema))
            return out

    async def write(self, ops: Sequence[Op]) -> None:
        schema = self.switch.p4info
        updates = []
        for op, e in ops:
            ent = to_finsy(e)
            upd = (+ent if op == INSERT else ~ent if op == MODIFY else -ent).encode_update(schema)
            updates.append(pad_range_bounds(upd, schema))
        # A delete of an entry that is already gone has reached its goal (e.g. a reconcile ran first).
        only_deletes = all(op == DELETE for op, _ in ops)
        with self._call(lambda exc: self._failed("write", exc)):
            await self.switch.write(updates, strict=not only_deletes)

    async def packet_out(self, port: int, frame: bytes) -> None:
        """Send ``frame`` out of data-plane ``port`` (P4Runtime PacketOut with the program's packet_out header)."""
        with self._call(self._packet_out_failed):
            await self.switch.write([fy.P4PacketOut(frame, egress_port=port, _pad=0)])

    async def heartbeat(self, timeout_s: float) -> float:
        """One cheap round trip (the pipeline cookie); returns its duration, raises SouthboundError."""
        t0 = time.perf_counter()
        with self._call(self._heartbeat_failed):
            await asyncio.wait_for(self.switch._get_pipeline_config_request(), timeout_s)  # noqa: SLF001
        return time.perf_counter() - t0

    async def read_direct_counter(self, counter: str) -> list[tuple[dict[str, int], int]]:
        """(match field values by field name, packets) of every entry of a direct counter's table
        (P4Runtime DirectCounterEntry wildcard read, spec 9.3.1). Field names are the last part of
        the P4Info name (``final_label`` for ``meta.final_label``), as finsy reports them."""
        out = []
        async for dc in self.switch.read(fy.P4DirectCounterEntry(counter)):
            te = dc.table_entry
            match = te.match if te is not None and te.match is not None else {}
            out.append(({name.rsplit(".", 1)[-1]: int(v) for name, v in match.items()}, dc.packet_count))
        return out

    async def watch_unknown_tasks(self) -> None:
        """Enable inml.p4's ``unknown_task_t`` digest and record each report in ``info["unknown_tasks"]``
        (task id -> ingress port, lists received, last seen): traffic that arrives before its tables.
        A no-op for a program without that digest. Runs while this controller is primary."""
        if UNKNOWN_TASK_DIGEST not in {d.alias for d in self.switch.p4info.digests}:
            return
        entry = fy.P4DigestEntry(UNKNOWN_TASK_DIGEST, max_list_size=UNKNOWN_TASK_LIST_SIZE,
                                 max_timeout_ns=UNKNOWN_TASK_TIMEOUT_NS, ack_timeout_ns=UNKNOWN_TASK_ACK_NS)
        try:
            await self.switch.write([+entry])
        except Exception:  # already enabled (a previous primary did it): reconfigure instead
            try:
                await self.switch.write([~entry])
            except Exception as exc:
                self.info["last_error"] = f"digest: {exc}"
                return
        if self._digest_task is None or self._digest_task.done():  # one reader per switch stream
            self._digest_task = self.switch.create_task(self._read_unknown_tasks(), name="unknown-task digests")

    async def _read_unknown_tasks(self) -> None:
        seen = self.info.setdefault("unknown_tasks", {})
        async for digests in self.switch.read_digests(UNKNOWN_TASK_DIGEST):
            for data in digests.data:  # finsy decodes the struct by member name
                task_id, port = int(data["task_id"]), int(data["ingress_port"])
                row = seen.setdefault(str(task_id), {"ingress_port": port, "reports": 0})
                row.update(ingress_port=port, reports=row["reports"] + 1, last_seen=time.time())
                log.info("%s: packets of unknown task %d arrive on port %d", self.name, task_id, port)
            await self.switch.write([digests.ack()])

    def canonical(self, entries: Iterable[TableEntry]) -> list[TableEntry]:
        schema = self.switch.p4info
        return [canonical(e, schema) for e in entries]


class Southbound:
    """All managed switches, run by one finsy Controller inside the service's event loop."""

    def __init__(self, switches: list[SwitchConfig], *, p4info: Path = DEFAULT_P4INFO):
        _fy_switch._FAIL_THROTTLE_SECS = RECONNECT_THROTTLE_S
        _fy_client._DEFAULT_RPC_TIMEOUT = RPC_TIMEOUT_S
        if not Path(p4info).exists():
            raise SouthboundError(f"P4Info {p4info} not found (p4src/ is not built)")
        self.p4info_path = Path(p4info)
        self.on_ready: Callable[[str], Awaitable[None]] | None = None
        self.on_down: Callable[[str], Awaitable[None]] | None = None
        #: Called with (device, ingress port, frame) for every PacketIn (link probes).
        self.on_packet: Callable[[str, int, bytes], None] | None = None
        #: Called when another controller took primary on a switch (with the reason line).
        self.on_backup: Callable[[str, str], Awaitable[None]] | None = None
        self.drivers: dict[str, FinsyDriver] = {}
        blob = pipeline_blob()
        for cfg in switches:
            opts = fy.SwitchOptions(p4info=self.p4info_path, p4blob=blob, device_id=cfg.device_id,
                                    initial_election_id=cfg.election_id, ready_handler=self._ready_handler)
            sw = fy.Switch(cfg.name, cfg.grpc, opts, stash={"device": cfg.device})
            sw._arbitrator = MastershipArbitrator(cfg.election_id, cfg.mastership)  # noqa: SLF001
            driver = FinsyDriver(cfg, sw)
            sw.ee.on(fy.SwitchEvent.CHANNEL_DOWN, self._make_down_handler(driver))
            sw.ee.on(fy.SwitchEvent.BECOME_BACKUP, self._make_backup_handler(driver))
            self.drivers[cfg.device] = driver
        self.controller = fy.Controller([d.switch for d in self.drivers.values()])
        self._task: asyncio.Task | None = None
        self._entry_tables = self._find_entry_tables()

    def _find_entry_tables(self) -> set[str]:
        """Tables whose key has no version field: they stamp the version, so they flip last."""
        schema = next(iter(self.drivers.values())).switch.p4info if self.drivers else None
        if schema is None:
            return set()
        out = set()
        for table in schema.tables:
            if not any("version" in f.name for f in table.match_fields):
                out.add(table.name)
        return out

    def is_entry_point(self, e: TableEntry) -> bool:
        return e.table in self._entry_tables

    async def start(self) -> None:
        self._task = asyncio.create_task(self.controller.run(), name="omniplan-southbound")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):
                pass
            self._task = None

    async def _ready_handler(self, switch: fy.Switch) -> None:
        driver = self.drivers[switch.stash["device"]]
        driver.info.update(connected=True, primary=switch.is_primary, primary_id=switch.primary_id,
                           election_id=switch.election_id, connected_since=time.time())
        driver.info["connects"] += 1
        try:
            reply = await switch._get_pipeline_config_request()  # noqa: SLF001 - finsy has no public getter
            driver.info["pipeline_cookie"] = reply.config.cookie.cookie if reply.config.HasField("cookie") else None
        except Exception as exc:  # informational only
            driver.info["last_error"] = f"cookie: {readable_error(exc)}"
        driver.info["expected_cookie"] = switch.p4info.p4cookie
        driver.ready = True
        if switch.is_primary:
            await driver.watch_unknown_tasks()
            switch.create_task(self._read_packets(driver), name=f"{driver.name}-packet-in")
        if switch.is_primary and self.on_ready is not None:
            await self.on_ready(driver.name)

    async def _read_packets(self, driver: FinsyDriver) -> None:
        """Hand every PacketIn to ``on_packet``; ends with the switch's stream (finsy cancels it)."""
        async for pkt in driver.switch.read_packets():
            if self.on_packet is not None:
                try:
                    self.on_packet(driver.name, int(pkt.metadata.get("ingress_port", 0)), bytes(pkt.payload))
                except Exception:  # a bad packet must not end the reader
                    log.exception("%s: packet-in handler failed", driver.name)

    def _make_down_handler(self, driver: FinsyDriver) -> Callable:
        def handler(_switch: fy.Switch) -> None:
            driver.ready = False
            driver.info.update(connected=False, primary=False, disconnected_at=time.time())
            if self.on_down is not None:
                asyncio.ensure_future(self.on_down(driver.name))
        return handler

    def _make_backup_handler(self, driver: FinsyDriver) -> Callable:
        def handler(_switch: fy.Switch) -> None:
            driver.info.update(primary=False)
            if self.on_backup is not None:
                asyncio.ensure_future(self.on_backup(driver.name, driver.unavailable_reason()))
        return handler

    def note(self, device: str, **info: Any) -> None:
        self.drivers[device].info.update(info)

    def status(self) -> list[dict[str, Any]]:
        out = []
        for dev, d in self.drivers.items():
            row = {"device": dev, **d.info, "ready": d.is_ready()}
            arb = d.arbitrator
            row["election_id"] = arb.election_id  # the id we bid with now (may be above the configured one)
            row["primary_election_id"] = None
            row["mastership"] = "unreachable"
            if d.info.get("connected"):  # live: another controller may have taken over since connect
                row["primary"] = d.switch.is_primary
                row["primary_id"] = d.switch.primary_id
                row["primary_election_id"] = arb.election_id if d.switch.is_primary else arb.other_primary
                row["mastership"] = "primary" if d.switch.is_primary else "backup"
            if not d.is_ready():
                row["unavailable"] = d.unavailable_reason()
            out.append(row)
        return out

    def canonical_state(self, state: dict[str, list[TableEntry]]) -> dict[str, list[TableEntry]]:
        return {dev: self.drivers[dev].canonical(entries) if dev in self.drivers else list(entries)
                for dev, entries in state.items()}
