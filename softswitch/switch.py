"""The P4Runtime device model, independent of gRPC: pipeline config, tables, arbitration, data plane.

Keeping this free of gRPC lets tests and benchmarks drive the exact logic the server runs, and
keeps the server a thin translation of RPCs and status codes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Iterator

import grpc

from softswitch.arbitration import Arbiter
from softswitch.bytestrings import decode, encode
from softswitch.codec import canonicalize
from softswitch.dataplane import DEFAULT_CPU_PORT, DataPlane
from softswitch.errors import P4RuntimeError, invalid, not_found
from softswitch.externs import ExternStore
from softswitch.notifications import Notifier
from softswitch.p4info import P4InfoIndex
from softswitch.proto import p4i, p4r, u128
from softswitch.codec import DELETE, INSERT, MODIFY
from softswitch.tables import TableStore

log = logging.getLogger("softswitch")

SetAction = p4r.SetForwardingPipelineConfigRequest
GetType = p4r.GetForwardingPipelineConfigRequest
Atomicity = p4r.WriteRequest
#: Entity kinds stored by softswitch.externs (the rest of the oneof, but table_entry, is unsupported)
EXTERN_KINDS = frozenset({"counter_entry", "direct_counter_entry", "meter_entry", "direct_meter_entry",
                          "register_entry", "digest_entry"})
#: Read entity kinds we do not implement; they answer empty when the program declares no such
#: object (clients such as finsy wildcard-read them all) and UNIMPLEMENTED when it does.
_EMPTY_UNLESS_DECLARED = {
    "packet_replication_engine_entry": None,
    "action_profile_member": "action_profiles", "action_profile_group": "action_profiles",
    "value_set_entry": "value_sets", "extern_entry": "externs",
}
NO_PIPELINE = "No forwarding pipeline config set for this device"


class WriteFailed(Exception):
    """Some updates of a Write failed; ``results`` has one (code, message) per update, in order."""

    def __init__(self, results: list[tuple[grpc.StatusCode, str]]):
        super().__init__(f"{sum(1 for c, _ in results if c != grpc.StatusCode.OK)} of {len(results)} updates failed")
        self.results = results


@dataclass
class Pipeline:
    """A pipeline config with the state Read/Write act on: its tables and externs."""

    config: "p4r.ForwardingPipelineConfig"
    index: P4InfoIndex
    store: TableStore | None = None
    externs: ExternStore | None = None

    def with_state(self, store: TableStore) -> "Pipeline":
        self.store, self.externs = store, ExternStore(self.index, store)
        return self


class SoftSwitch:
    """One P4Runtime device (``device_id``) with its data plane."""

    def __init__(self, device_id: int = 0, cpu_port: int = DEFAULT_CPU_PORT):
        self.device_id = device_id
        self.arbiter = Arbiter(device_id)
        self.dataplane = DataPlane(cpu_port)
        self.dataplane.packet_in_sink = self._packet_in
        self.pipeline: Pipeline | None = None
        self.saved: Pipeline | None = None  # VERIFY_AND_SAVE'd, waiting for COMMIT
        self.notifier = Notifier(self._to_primaries)
        self.dataplane.digest_sink = self.notifier.digest

    @property
    def store(self) -> TableStore | None:
        """The committed pipeline's tables (what the data plane executes)."""
        return self.pipeline.store if self.pipeline else None

    @property
    def externs(self) -> ExternStore | None:
        return self.pipeline.externs if self.pipeline else None

    # ---- checks shared by RPCs -------------------------------------------------------------------
    def check_device(self, device_id: int) -> None:
        if device_id != self.device_id:
            raise not_found(f"unknown device id {device_id} (this switch is {self.device_id})")

    def check_device_and_role(self, device_id: int, role: str) -> None:
        """Write / SetForwardingPipelineConfig check 1 (12, 14): unknown device or role is NOT_FOUND."""
        self.check_device(device_id)
        if not self.arbiter.knows_role(role):
            raise not_found(f"unknown role {role!r}: no controller has arbitrated for it")

    def check_primary(self, role: str, election_id: "p4r.Uint128 | None", what: str) -> None:
        """Check 2 (12, 14): only the primary of (device, role), named by its election id, may write.
        An unset election id names no client (16.2.1)."""
        eid = u128(election_id) if election_id is not None else None
        if not self.arbiter.is_primary(role, eid):
            primary = self.arbiter.primary(role)
            who = f"primary has election id {primary.election_id}" if primary else "no controller is primary"
            given = "unset" if eid is None else str(eid)
            raise P4RuntimeError(grpc.StatusCode.PERMISSION_DENIED,
                                 f"{what} needs the primary controller of role {role!r}: "
                                 f"election id {given} is not primary ({who})")

    def require_pipeline(self) -> Pipeline:
        if self.pipeline is None:
            raise P4RuntimeError(grpc.StatusCode.FAILED_PRECONDITION, NO_PIPELINE)
        return self.pipeline

    def _target(self) -> Pipeline:
        """What Read/Write act on: the saved config once VERIFY_AND_SAVE has run, else the
        committed one (14: after VERIFY_AND_SAVE "any subsequent Read / Write requests must refer
        to fields in the new config"; COMMIT realizes it with the writes made since)."""
        return self.saved if self.saved is not None else self.require_pipeline()

    # ---- pipeline config ----------------------------------------------------------------------
    def set_pipeline(self, req: "p4r.SetForwardingPipelineConfigRequest") -> None:
        self.check_device_and_role(req.device_id, req.role)
        self.check_primary(req.role, req.election_id if req.HasField("election_id") else None,
                           "SetForwardingPipelineConfig")
        action = req.action
        if action == SetAction.UNSPECIFIED:
            raise invalid("SetForwardingPipelineConfig: action is UNSPECIFIED")
        if action == SetAction.COMMIT:
            if req.HasField("config"):  # 14: COMMIT carrying a config is INVALID_ARGUMENT
                raise invalid("SetForwardingPipelineConfig: COMMIT takes no config (it realizes the saved one)")
            if self.saved is None:  # 14: nothing saved is NOT_FOUND
                raise not_found("COMMIT without a config saved by VERIFY_AND_SAVE")
            saved, self.saved = self.saved, None
            self._commit(saved)
            return
        if action not in (SetAction.VERIFY, SetAction.VERIFY_AND_SAVE, SetAction.VERIFY_AND_COMMIT,
                          SetAction.RECONCILE_AND_COMMIT):
            raise invalid(f"SetForwardingPipelineConfig: unknown action {action}")
        if not req.HasField("config") or not req.config.HasField("p4info"):
            raise invalid("SetForwardingPipelineConfig: config.p4info is missing")
        new = Pipeline(req.config, P4InfoIndex(req.config.p4info))  # raises on a bad P4Info
        if action == SetAction.VERIFY:
            return
        if action == SetAction.VERIFY_AND_SAVE:
            # writes until COMMIT go to the saved config's (empty) state; the data plane keeps
            # forwarding with the committed one ("the forwarding state is not modified")
            self.saved = new.with_state(TableStore(new.index))
            log.info("pipeline %r verified and saved; waiting for COMMIT", new.index.program_name)
            return
        if action == SetAction.VERIFY_AND_COMMIT:
            new.with_state(TableStore(new.index))
        else:  # RECONCILE_AND_COMMIT keeps every entry that still fits, or changes nothing
            current = self._target() if self.pipeline is not None or self.saved is not None else None
            new.with_state(current.store.reconcile(new.index) if current else TableStore(new.index))
        self.saved = None
        self._commit(new)

    def commit_p4info(self, p4info: "p4i.P4Info", device_config: bytes = b"") -> None:
        """Commit a P4Info directly (``omniplan-switch --p4info``), as a VERIFY_AND_COMMIT would."""
        index = P4InfoIndex(p4info)
        pipeline = Pipeline(p4r.ForwardingPipelineConfig(p4info=p4info, p4_device_config=device_config), index)
        self._commit(pipeline.with_state(TableStore(index)))

    def _commit(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline
        self.dataplane.load_program(pipeline.index, pipeline.store, pipeline.externs)
        self.on_commit(pipeline)
        log.info("pipeline %r committed (cookie %d, %d tables, %d entries kept)",
                 pipeline.index.program_name, pipeline.config.cookie.cookie,
                 len(pipeline.index.tables), len(pipeline.store))

    def on_commit(self, pipeline: Pipeline) -> None:
        """Digests and idle-timeout notifications follow the committed pipeline."""
        self.notifier.reset(pipeline.externs.digests, pipeline.store)

    def get_pipeline(self, req: "p4r.GetForwardingPipelineConfigRequest") -> "p4r.GetForwardingPipelineConfigResponse":
        self.check_device(req.device_id)
        rt = req.response_type
        if rt not in (GetType.ALL, GetType.COOKIE_ONLY, GetType.P4INFO_AND_COOKIE, GetType.DEVICE_CONFIG_AND_COOKIE):
            raise invalid(f"GetForwardingPipelineConfig: unknown response type {rt}")
        resp = p4r.GetForwardingPipelineConfigResponse()
        if self.pipeline is None and self.saved is None:
            # 15: "If a P4Runtime server is in a state where the forwarding-pipeline config is not
            # known, the top-level config field will be unset in the response" (OK, not an error;
            # BMv2 answers FAILED_PRECONDITION here: see docs/p4runtime-conformance.md)
            return resp
        # After VERIFY_AND_SAVE we answer the saved config, the one Read/Write refer to. The spec
        # does not say which; BMv2's PI server does the same.
        cfg = self._target().config
        resp.config.SetInParent()
        if cfg.HasField("cookie"):
            resp.config.cookie.CopyFrom(cfg.cookie)
        if rt in (GetType.ALL, GetType.P4INFO_AND_COOKIE):
            resp.config.p4info.CopyFrom(cfg.p4info)
        if rt in (GetType.ALL, GetType.DEVICE_CONFIG_AND_COOKIE):
            resp.config.p4_device_config = cfg.p4_device_config
        return resp

    # ---- write / read ----------------------------------------------------------------------------
    def write(self, req: "p4r.WriteRequest") -> None:
        """Apply a Write; raises P4RuntimeError (whole RPC) or WriteFailed (per update).

        Checks in the order of section 12: device/role (NOT_FOUND), primary (PERMISSION_DENIED),
        pipeline set (FAILED_PRECONDITION)."""
        self.check_device_and_role(req.device_id, req.role)
        self.check_primary(req.role, req.election_id if req.HasField("election_id") else None, "Write")
        target = self._target()
        atomic = req.atomicity
        if atomic not in (Atomicity.CONTINUE_ON_ERROR, Atomicity.ROLLBACK_ON_ERROR, Atomicity.DATAPLANE_ATOMIC):
            raise invalid(f"Write: unknown atomicity {atomic}")
        all_or_nothing = atomic != Atomicity.CONTINUE_ON_ERROR
        apply = target.store.apply
        externs = target.externs
        undo = []
        errors: dict[int, P4RuntimeError] = {}
        # The whole batch runs without yielding to the event loop, so no packet is processed
        # half-way through it: DATAPLANE_ATOMIC holds for every atomicity mode.
        for i, update in enumerate(req.updates):
            try:
                entity = update.entity
                kind = entity.WhichOneof("entity")
                if kind == "table_entry":
                    undo.append(apply(update.type, entity.table_entry))
                elif kind in EXTERN_KINDS:
                    if update.type not in (INSERT, MODIFY, DELETE):
                        raise invalid("update type must be INSERT, MODIFY or DELETE")
                    undo.append(externs.apply(update.type, kind, entity))
                elif kind is None:
                    raise invalid("update has an empty entity")
                else:
                    raise P4RuntimeError(grpc.StatusCode.UNIMPLEMENTED, f"writing {kind} is not supported")
            except P4RuntimeError as exc:
                errors[i] = exc
                if all_or_nothing:
                    break
        if not errors:
            return
        n = len(req.updates)
        if all_or_nothing:
            for u in reversed(undo):
                u()
            results = [(grpc.StatusCode.ABORTED, "not applied: the batch was rolled back")] * n
        else:
            results = [(grpc.StatusCode.OK, "")] * n
        for i, exc in errors.items():
            results[i] = (exc.code, exc.message)
        raise WriteFailed(results)

    def read(self, req: "p4r.ReadRequest") -> Iterator["p4r.Entity"]:
        for resp in self.read_responses(req):
            yield from resp.entities

    def read_responses(self, req: "p4r.ReadRequest", chunk: int = 2000) -> list["p4r.ReadResponse"]:
        """A Read's answer as ReadResponses of at most ``chunk`` entities (one copy per entry).

        Everything is validated before anything is produced, so an error answers the whole RPC.
        """
        self.check_device(req.device_id)
        target = self._target()
        queries = []
        p4info = target.index.p4info
        for entity in req.entities:  # validate every query before answering any
            kind = entity.WhichOneof("entity")
            if kind is None:  # 13.2: an empty Entity is INVALID_ARGUMENT
                raise invalid("Read: every entity must set one kind (an empty Entity is not a wildcard)")
            if kind in _EMPTY_UNLESS_DECLARED:
                declared = _EMPTY_UNLESS_DECLARED[kind]
                if declared is None or not len(getattr(p4info, declared)):
                    continue
                raise P4RuntimeError(grpc.StatusCode.UNIMPLEMENTED, f"reading {kind} is not supported")
            if kind == "table_entry":
                q = entity.table_entry
                if q.table_id:
                    target.index.table(q.table_id)
                target.store.read_raw(q)  # validates the filters; the answer is produced below
            else:
                target.externs.check_read(kind, entity)
            queries.append((kind, entity))
        responses = [p4r.ReadResponse()]
        for kind, entity in queries:
            if kind != "table_entry":
                for out in target.externs.read(kind, entity):
                    if len(responses[-1].entities) >= chunk:
                        responses.append(p4r.ReadResponse())
                    responses[-1].entities.append(out)
                continue
            q = entity.table_entry
            for pb, padded, state in target.store.read_raw(q):
                entities = responses[-1].entities
                if len(entities) >= chunk:
                    responses.append(p4r.ReadResponse())
                    entities = responses[-1].entities
                te = entities.add().table_entry
                te.CopyFrom(pb)
                if padded:
                    canonicalize(te)
                if state is not None:
                    state.fill(te, q)
        return responses

    # ---- packet I/O ----------------------------------------------------------------------------
    def packet_out(self, conn, packet: "p4r.PacketOut") -> None:
        if conn.election_id is None or not self.arbiter.is_primary(conn.role, conn.election_id):
            raise P4RuntimeError(grpc.StatusCode.PERMISSION_DENIED, "PacketOut needs the primary controller")
        self.require_pipeline()
        meta = self.dataplane.packet_out_meta
        widths = meta.by_id if meta else {}
        values: dict[int, int] = {}
        for m in packet.metadata:
            if m.metadata_id in values:
                raise invalid(f"packet_out metadata id {m.metadata_id} given twice")
            f = widths.get(m.metadata_id)
            values[m.metadata_id] = decode(m.value, f.bitwidth if f else 1 << 16,
                                           f"packet_out metadata {f.name if f else m.metadata_id!r}")
        self.dataplane.packet_out(packet.payload, values)

    def _packet_in(self, payload: bytes, metadata: dict[str, int]) -> None:
        meta = self.dataplane.packet_in_meta
        ids = {f.name: f.id for f in meta.fields} if meta else {}
        msg = p4r.StreamMessageResponse()
        msg.packet.payload = payload
        for name, value in metadata.items():
            msg.packet.metadata.add(metadata_id=ids[name], value=encode(value))
        if not self._to_primaries(msg):
            log.debug("packet-in dropped: no primary controller connected")

    def _to_primaries(self, msg: "p4r.StreamMessageResponse") -> int:
        """Send a stream message to the primary of every role; returns how many got it."""
        primaries = self.arbiter.primaries()
        for conn in primaries:
            conn.send(msg)
        return len(primaries)
