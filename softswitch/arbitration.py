"""Controller arbitration (P4Runtime spec "Client Arbitration and Controller Replication").

Per (device_id, role) the open stream with the highest election id is the primary. Every change
of primary is announced to all streams of that role: the primary gets status OK, the others
ALREADY_EXISTS, both carrying the primary's election id. When the primary's stream closes, the
next highest remaining stream is promoted (as PI/BMv2 do) and everyone is told.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from dataclasses import dataclass, field

import grpc

from softswitch.errors import P4RuntimeError
from softswitch.proto import p4r, rpc_code, to_u128

log = logging.getLogger("softswitch.arbitration")
_ids = itertools.count(1)


@dataclass(eq=False)
class Connection:
    """One StreamChannel: its outbound queue and, once arbitrated, its device/role/election id."""

    peer: str = ""
    out: asyncio.Queue = field(default_factory=asyncio.Queue)
    device_id: int | None = None
    role: str = ""
    election_id: int | None = None
    id: int = field(default_factory=lambda: next(_ids))

    def send(self, msg: object) -> None:
        self.out.put_nowait(msg)


class Arbiter:
    """Tracks every arbitrated stream of one device and who is primary per role."""

    def __init__(self, device_id: int):
        self.device_id = device_id
        self.groups: dict[str, list[Connection]] = {}

    def primary(self, role: str = "") -> Connection | None:
        group = self.groups.get(role)
        if not group:
            return None
        return max(group, key=lambda c: c.election_id)

    def primaries(self) -> list[Connection]:
        return [p for p in (self.primary(r) for r in self.groups) if p is not None]

    def is_primary(self, role: str, election_id: int) -> bool:
        primary = self.primary(role)
        return primary is not None and primary.election_id == election_id

    def arbitrate(self, conn: Connection, update: "p4r.MasterArbitrationUpdate") -> None:
        """Handle a MasterArbitrationUpdate; raises P4RuntimeError when the stream must close."""
        if update.device_id != self.device_id:
            raise P4RuntimeError(grpc.StatusCode.NOT_FOUND,
                                 f"unknown device id {update.device_id} (this switch is {self.device_id})")
        role = update.role.name if update.HasField("role") else ""
        election_id = (update.election_id.high << 64) | update.election_id.low
        if conn.election_id is not None and (conn.device_id, conn.role) != (update.device_id, role):
            raise P4RuntimeError(grpc.StatusCode.FAILED_PRECONDITION,
                                 "a stream cannot change its device id or role; open a new stream")
        group = self.groups.setdefault(role, [])
        for other in group:
            if other is not conn and other.election_id == election_id:
                raise P4RuntimeError(grpc.StatusCode.INVALID_ARGUMENT,
                                     f"election id {election_id} is already used by another controller "
                                     f"for role {role!r}")
        before = self.primary(role)
        conn.device_id, conn.role, conn.election_id = update.device_id, role, election_id
        if conn not in group:
            group.append(conn)
        after = self.primary(role)
        if after is not before:
            log.info("role %r: primary is now election id %d (%s)", role, after.election_id, after.peer)
            self._announce(role)
        else:
            self._tell(conn, after)

    def remove(self, conn: Connection) -> None:
        """A stream closed: forget it and, if it was primary, promote the next one."""
        if conn.election_id is None:
            return
        group = self.groups.get(conn.role, [])
        was_primary = self.primary(conn.role) is conn
        if conn in group:
            group.remove(conn)
        if not group:
            self.groups.pop(conn.role, None)
            return
        if was_primary:
            new = self.primary(conn.role)
            log.info("role %r: primary left; promoting election id %d", conn.role, new.election_id)
            self._announce(conn.role)

    def _announce(self, role: str) -> None:
        primary = self.primary(role)
        for c in self.groups.get(role, []):
            self._tell(c, primary)

    def _tell(self, conn: Connection, primary: Connection | None) -> None:
        msg = p4r.StreamMessageResponse()
        arb = msg.arbitration
        arb.device_id = self.device_id
        if conn.role:
            arb.role.name = conn.role
        if primary is not None:
            arb.election_id.CopyFrom(to_u128(primary.election_id))
        if conn is primary:
            arb.status.code = rpc_code.OK
            arb.status.message = "you are the primary controller"
        else:
            arb.status.code = rpc_code.ALREADY_EXISTS
            arb.status.message = "a controller with a higher election id is primary"
        conn.send(msg)
