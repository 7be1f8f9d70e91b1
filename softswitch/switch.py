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
from softswitch.errors import P4RuntimeError, invalid
from softswitch.p4info import P4InfoIndex
from softswitch.proto import p4i, p4r, u128
from softswitch.tables import TableStore

log = logging.getLogger("softswitch")

SetAction = p4r.SetForwardingPipelineConfigRequest
GetType = p4r.GetForwardingPipelineConfigRequest
Atomicity = p4r.WriteRequest
#: Read entity kind -> the P4Info list that declares such objects (None: no P4Info object).
_EMPTY_UNLESS_DECLARED = {
    "packet_replication_engine_entry": None,
    "action_profile_member": "action_profiles", "action_profile_group": "action_profiles",
    "counter_entry": "counters", "direct_counter_entry": "direct_counters", "meter_entry": "meters",
    "direct_meter_entry": "direct_meters", "register_entry": "registers", "digest_entry": "digests",
    "value_set_entry": "value_sets",
}
NO_PIPELINE = "No forwarding pipeline config set for this device"


class WriteFailed(Exception):
    """Some updates of a Write failed; ``results`` has one (code, message) per update, in order."""

    def __init__(self, results: list[tuple[grpc.StatusCode, str]]):
        super().__init__(f"{sum(1 for c, _ in results if c != grpc.StatusCode.OK)} of {len(results)} updates failed")
        self.results = results


@dataclass
class Pipeline:
    config: "p4r.ForwardingPipelineConfig"
    index: P4InfoIndex


class SoftSwitch:
    """One P4Runtime device (``device_id``) with its data plane."""

    def __init__(self, device_id: int = 0, cpu_port: int = DEFAULT_CPU_PORT):
        self.device_id = device_id
        self.arbiter = Arbiter(device_id)
        self.dataplane = DataPlane(cpu_port)
        self.dataplane.packet_in_sink = self._packet_in
        self.pipeline: Pipeline | None = None
        self.saved: Pipeline | None = None  # VERIFY_AND_SAVE'd, waiting for COMMIT
        self.store: TableStore | None = None

    # ---- checks shared by RPCs -------------------------------------------------------------------
    def check_device(self, device_id: int) -> None:
        if device_id != self.device_id:
            raise P4RuntimeError(grpc.StatusCode.NOT_FOUND,
                                 f"unknown device id {device_id} (this switch is {self.device_id})")

    def check_primary(self, role: str, election_id: "p4r.Uint128", what: str) -> None:
        eid = u128(election_id)
        if not self.arbiter.is_primary(role, eid):
            primary = self.arbiter.primary(role)
            who = f"primary has election id {primary.election_id}" if primary else "no controller is primary"
            raise P4RuntimeError(grpc.StatusCode.PERMISSION_DENIED,
                                 f"{what} needs the primary controller of role {role!r}: "
                                 f"election id {eid} is not primary ({who})")

    def require_pipeline(self) -> Pipeline:
        if self.pipeline is None or self.store is None:
            raise P4RuntimeError(grpc.StatusCode.FAILED_PRECONDITION, NO_PIPELINE)
        return self.pipeline

    # ---- pipeline config ----------------------------------------------------------------------
    def set_pipeline(self, req: "p4r.SetForwardingPipelineConfigRequest") -> None:
        self.check_device(req.device_id)
        self.check_primary(req.role, req.election_id, "SetForwardingPipelineConfig")
        action = req.action
        if action == SetAction.UNSPECIFIED:
            raise invalid("SetForwardingPipelineConfig: action is UNSPECIFIED")
        if action == SetAction.COMMIT:
            if self.saved is None:
                raise P4RuntimeError(grpc.StatusCode.FAILED_PRECONDITION,
                                     "COMMIT without a config saved by VERIFY_AND_SAVE")
            self._commit(self.saved, TableStore(self.saved.index))
            self.saved = None
            return
        if not req.HasField("config") or not req.config.HasField("p4info"):
            raise invalid("SetForwardingPipelineConfig: config.p4info is missing")
        new = Pipeline(req.config, P4InfoIndex(req.config.p4info))  # raises on a bad P4Info
        if action == SetAction.VERIFY:
            return
        if action == SetAction.VERIFY_AND_SAVE:
            self.saved = new
            log.info("pipeline %r verified and saved; waiting for COMMIT", new.index.program_name)
            return
        if action == SetAction.VERIFY_AND_COMMIT:
            self._commit(new, TableStore(new.index))
        elif action == SetAction.RECONCILE_AND_COMMIT:
            store = self.store.reconcile(new.index) if self.store is not None else TableStore(new.index)
            self._commit(new, store)
        else:
            raise invalid(f"SetForwardingPipelineConfig: unknown action {action}")
        self.saved = None

    def commit_p4info(self, p4info: "p4i.P4Info", device_config: bytes = b"") -> None:
        """Commit a P4Info directly (``omniplan-switch --p4info``), as a VERIFY_AND_COMMIT would."""
        index = P4InfoIndex(p4info)
        self._commit(Pipeline(p4r.ForwardingPipelineConfig(p4info=p4info, p4_device_config=device_config), index),
                     TableStore(index))

    def _commit(self, pipeline: Pipeline, store: TableStore) -> None:
        self.pipeline, self.store = pipeline, store
        self.dataplane.load_program(pipeline.index, store)
        log.info("pipeline %r committed (cookie %d, %d tables, %d entries kept)",
                 pipeline.index.program_name, pipeline.config.cookie.cookie,
                 len(pipeline.index.tables), len(store))

    def get_pipeline(self, req: "p4r.GetForwardingPipelineConfigRequest") -> "p4r.GetForwardingPipelineConfigResponse":
        self.check_device(req.device_id)
        pipeline = self.require_pipeline()
        resp = p4r.GetForwardingPipelineConfigResponse()
        cfg, rt = pipeline.config, req.response_type
        if cfg.HasField("cookie"):
            resp.config.cookie.CopyFrom(cfg.cookie)
        if rt in (GetType.ALL, GetType.P4INFO_AND_COOKIE):
            resp.config.p4info.CopyFrom(cfg.p4info)
        if rt in (GetType.ALL, GetType.DEVICE_CONFIG_AND_COOKIE):
            resp.config.p4_device_config = cfg.p4_device_config
        if rt not in (GetType.ALL, GetType.COOKIE_ONLY, GetType.P4INFO_AND_COOKIE, GetType.DEVICE_CONFIG_AND_COOKIE):
            raise invalid(f"GetForwardingPipelineConfig: unknown response type {rt}")
        return resp

    # ---- write / read ----------------------------------------------------------------------------
    def write(self, req: "p4r.WriteRequest") -> None:
        """Apply a Write; raises P4RuntimeError (whole RPC) or WriteFailed (per update)."""
        self.check_device(req.device_id)
        self.require_pipeline()
        self.check_primary(req.role, req.election_id, "Write")
        if self.saved is not None:
            raise P4RuntimeError(grpc.StatusCode.FAILED_PRECONDITION,
                                 "a config saved by VERIFY_AND_SAVE awaits COMMIT; writes are refused until then")
        atomic = req.atomicity
        if atomic not in (Atomicity.CONTINUE_ON_ERROR, Atomicity.ROLLBACK_ON_ERROR, Atomicity.DATAPLANE_ATOMIC):
            raise invalid(f"Write: unknown atomicity {atomic}")
        all_or_nothing = atomic != Atomicity.CONTINUE_ON_ERROR
        store = self.store
        apply = store.apply
        undo = []
        errors: dict[int, P4RuntimeError] = {}
        # The whole batch runs without yielding to the event loop, so no packet is processed
        # half-way through it: DATAPLANE_ATOMIC holds for every atomicity mode.
        for i, update in enumerate(req.updates):
            try:
                entity = update.entity
                kind = entity.WhichOneof("entity")
                if kind != "table_entry":
                    raise P4RuntimeError(grpc.StatusCode.UNIMPLEMENTED,
                                         f"writing {kind or 'an empty entity'} is not supported")
                undo.append(apply(update.type, entity.table_entry))
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
        self.require_pipeline()
        if not len(req.entities):
            raise invalid("Read: no entities requested")
        queries = []
        p4info = self.store.index.p4info
        for entity in req.entities:  # validate every query before answering any
            kind = entity.WhichOneof("entity")
            if kind in _EMPTY_UNLESS_DECLARED:
                # We support none of these objects. A program that declares none of them has
                # nothing to read (clients such as finsy wildcard-read them all); one that
                # does gets UNIMPLEMENTED rather than a silently empty answer.
                declared = _EMPTY_UNLESS_DECLARED[kind]
                if declared is None or not len(getattr(p4info, declared)):
                    continue
            if kind != "table_entry":
                raise P4RuntimeError(grpc.StatusCode.UNIMPLEMENTED,
                                     f"reading {kind or 'an empty entity'} is not supported")
            q = entity.table_entry
            if q.table_id:
                self.store.index.table(q.table_id)
            queries.append(q)
        responses = [p4r.ReadResponse()]
        for q in queries:
            for pb, padded in self.store.read_raw(q):
                entities = responses[-1].entities
                if len(entities) >= chunk:
                    responses.append(p4r.ReadResponse())
                    entities = responses[-1].entities
                te = entities.add().table_entry
                te.CopyFrom(pb)
                if padded:
                    canonicalize(te)
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
        primaries = self.arbiter.primaries()
        if not primaries:
            log.debug("packet-in dropped: no primary controller connected")
        for conn in primaries:
            conn.send(msg)
