"""Controller arbitration, to the letter of P4Runtime v1.4.1 section 5 ("Client Arbitration and
Controller Replication") and section 16.2 ("Client Arbitration Update").

Why "highest ever seen" and not "highest live": the spec makes the primary the client whose
election id equals the highest id the device has *ever* received for a (device_id, role). When the
primary's stream breaks, nobody is promoted: every other client is told NOT_FOUND and the role
stays without a primary until some client sends an id >= that highest one (5.3). This is what
keeps two controllers from both writing after a failover: a backup must re-arbitrate on purpose,
and a stale primary that comes back with its old, now lower, id stays a backup.

Rules implemented (section numbers are v1.4.1's):

* 5.3 first message on a stream: unknown device -> NOT_FOUND; an election id already held by
  another live client of the same (device, role) -> INVALID_ARGUMENT; both end the stream.
* 5.3 later messages: a different device id or role -> FAILED_PRECONDITION (stream ends);
  the election id may change (raise it to take over, lower it to step down).
* 5.3 election: id >= highest ever seen -> primary (re-sending the primary's id keeps it primary
  and advises everyone); otherwise backup: everyone is advised if it was primary (it stepped
  down), else only the sender.
* 16.2.1 unset election id: the client is a backup that can never become primary (an id of
  0 is a real id and can be primary).
* 5.4 notifications: election_id = highest ever seen (unset if there never was a primary);
  status OK for the primary, ALREADY_EXISTS for backups, NOT_FOUND for everyone when there
  is no primary; role.config = the config last received from a primary.
* 5.2 role config: we agree on no role-config scheme, so any ``role.config`` (or none) is
  accepted, means full pipeline access, is remembered per (device, role) from the primary and
  echoed in notifications. PI/BMv2 likewise accept an arbitrary config.

Writes in flight during a change of primary need no draining: the server runs each Write to
completion on its event loop before it handles the next stream message (5.3 steps 2.1-2.4).
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
    """One StreamChannel: its outbound queue and, once arbitrated, its device/role/election id.

    ``election_id`` is None both before arbitration and for a client that left it unset; ``live``
    says whether a MasterArbitrationUpdate was accepted on this stream.
    """

    peer: str = ""
    out: asyncio.Queue = field(default_factory=asyncio.Queue)
    device_id: int | None = None
    role: str = ""
    election_id: int | None = None
    live: bool = False
    id: int = field(default_factory=lambda: next(_ids))

    def send(self, msg: object) -> None:
        self.out.put_nowait(msg)


@dataclass
class RoleState:
    """Arbitration state of one (device, role): live clients, the highest id ever seen, the primary."""

    clients: list[Connection] = field(default_factory=list)
    highest: int | None = None  # None until some client has been primary (5.4: election_id unset)
    primary: Connection | None = None
    config: "p4r.Role | None" = None  # role.config last received from a primary (5.4)


class Arbiter:
    """Tracks every arbitrated stream of one device and who is primary per role."""

    def __init__(self, device_id: int):
        self.device_id = device_id
        self.roles: dict[str, RoleState] = {}

    # ---- queries -------------------------------------------------------------------------------
    def primary(self, role: str = "") -> Connection | None:
        state = self.roles.get(role)
        return state.primary if state else None

    def primaries(self) -> list[Connection]:
        return [s.primary for s in self.roles.values() if s.primary is not None]

    def highest(self, role: str = "") -> int | None:
        state = self.roles.get(role)
        return state.highest if state else None

    def is_primary(self, role: str, election_id: int | None) -> bool:
        """Whether (role, election_id) identifies the current primary (5: Write uses all three)."""
        primary = self.primary(role)
        return primary is not None and election_id is not None and primary.election_id == election_id

    def knows_role(self, role: str) -> bool:
        """Whether any client ever arbitrated for ``role`` (the default role always exists)."""
        return role == "" or role in self.roles

    # ---- MasterArbitrationUpdate ---------------------------------------------------------------
    def arbitrate(self, conn: Connection, update: "p4r.MasterArbitrationUpdate") -> None:
        """Handle a MasterArbitrationUpdate; raises P4RuntimeError when the stream must end."""
        role = update.role.name if update.HasField("role") else ""
        election_id = ((update.election_id.high << 64) | update.election_id.low
                       if update.HasField("election_id") else None)
        if conn.live:  # 5.3 case 2: an already live controller
            if update.device_id != conn.device_id:
                raise P4RuntimeError(grpc.StatusCode.FAILED_PRECONDITION,
                                     f"this stream is arbitrated for device {conn.device_id}, not "
                                     f"{update.device_id}; open a new stream")
            if role != conn.role:
                raise P4RuntimeError(grpc.StatusCode.FAILED_PRECONDITION,
                                     f"this stream is arbitrated for role {conn.role!r}, not {role!r}; "
                                     "open a new stream to change role")
        elif update.device_id != self.device_id:  # 5.3 case 1.1
            raise P4RuntimeError(grpc.StatusCode.NOT_FOUND,
                                 f"unknown device id {update.device_id} (this switch is {self.device_id})")
        state = self.roles.setdefault(role, RoleState())
        if election_id is not None:
            for other in state.clients:
                if other is not conn and other.election_id == election_id:
                    raise P4RuntimeError(grpc.StatusCode.INVALID_ARGUMENT,
                                         f"election id {election_id} is already used by another live "
                                         f"controller for role {role!r}")
        was_primary = state.primary is conn
        conn.device_id, conn.role, conn.election_id, conn.live = update.device_id, role, election_id, True
        if conn not in state.clients:
            state.clients.append(conn)
        if election_id is not None and (state.highest is None or election_id >= state.highest):
            state.highest = election_id
            state.primary = conn
            if update.HasField("role"):
                state.config = p4r.Role(name=role, config=update.role.config) \
                    if update.role.HasField("config") else None
            log.info("role %r: primary is election id %d (%s)", role, election_id, conn.peer)
            self._announce(state)
            return
        if was_primary:  # it lowered its id: it steps down and the role has no primary
            state.primary = None
            log.info("role %r: primary %s stepped down to election id %s", role, conn.peer, election_id)
            self._announce(state)
        else:
            self._tell(state, conn)

    def remove(self, conn: Connection) -> None:
        """A stream closed: forget it; if it was primary, the role has no primary until someone
        re-arbitrates with an id >= the highest ever seen (5, "When a primary channel gets broken")."""
        if not conn.live:
            return
        conn.live = False
        state = self.roles.get(conn.role)
        if state is None:
            return
        if conn in state.clients:
            state.clients.remove(conn)
        if state.primary is conn:
            state.primary = None
            log.info("role %r: primary %s left; no primary until a client sends election id >= %d",
                     conn.role, conn.peer, state.highest)
            self._announce(state)

    # ---- notifications (5.4) ---------------------------------------------------------------------
    def _announce(self, state: RoleState) -> None:
        # the new primary is told last (5.3 steps 2.2 then 2.5)
        for c in state.clients:
            if c is not state.primary:
                self._tell(state, c)
        if state.primary is not None:
            self._tell(state, state.primary)

    def _tell(self, state: RoleState, conn: Connection) -> None:
        msg = p4r.StreamMessageResponse()
        arb = msg.arbitration
        arb.device_id = self.device_id
        if conn.role:
            arb.role.name = conn.role
        if state.config is not None:
            arb.role.CopyFrom(state.config)
        if state.highest is not None:
            arb.election_id.CopyFrom(to_u128(state.highest))
        if state.primary is None:
            arb.status.code = rpc_code.NOT_FOUND
            arb.status.message = "there is no primary controller"
        elif conn is state.primary:
            arb.status.code = rpc_code.OK
            arb.status.message = "you are the primary controller"
        else:
            arb.status.code = rpc_code.ALREADY_EXISTS
            arb.status.message = "another controller is primary"
        conn.send(msg)
