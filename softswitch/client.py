"""A minimal synchronous P4Runtime client (plain grpcio) for tests, benchmarks and quick pokes.

It is deliberately thin — raw protobufs in, raw protobufs out — so a test sees exactly what the
server answered; the controller uses finsy. ``write`` raises ``WriteError`` carrying the
per-update p4.v1.Error details decoded from the gRPC status trailer.
"""

from __future__ import annotations

import queue
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

import grpc

from softswitch.proto import p4r, p4r_grpc, rpc_status, to_u128

if TYPE_CHECKING:
    from finsy.proto import p4i

    from p4src.entries import TableEntry

_STOP = object()


@dataclass
class UpdateError:
    code: grpc.StatusCode
    message: str


class WriteError(Exception):
    """A Write RPC failed: ``code`` of the RPC and, for per-update failures, ``errors``."""

    def __init__(self, err: grpc.RpcError):
        self.code = err.code()
        self.details = err.details()
        self.errors: list[UpdateError] = []
        for key, value in err.trailing_metadata() or ():
            if key == "grpc-status-details-bin":
                status = rpc_status.Status.FromString(value)
                for any_msg in status.details:
                    e = p4r.Error()
                    any_msg.Unpack(e)
                    self.errors.append(UpdateError(_code(e.canonical_code), e.message))
        super().__init__(f"{self.code.name}: {self.details} {[(e.code.name, e.message) for e in self.errors]}")


def _code(number: int) -> grpc.StatusCode:
    for c in grpc.StatusCode:
        if c.value[0] == number:
            return c
    return grpc.StatusCode.UNKNOWN


class P4RuntimeClient:
    """One controller connection: a channel, an optional StreamChannel and an election id."""

    def __init__(self, address: str, device_id: int = 0, election_id: int = 1, role: str = ""):
        self.address, self.device_id, self.election_id, self.role = address, device_id, election_id, role
        self.channel = grpc.insecure_channel(address, options=[
            ("grpc.max_receive_message_length", 256 * 1024 * 1024),
            ("grpc.max_send_message_length", 256 * 1024 * 1024)])
        self.stub = p4r_grpc.P4RuntimeStub(self.channel)
        self._out: queue.Queue | None = None
        self.stream_in: queue.Queue = queue.Queue()
        self._stream = None
        self._reader: threading.Thread | None = None

    # ---- stream ----------------------------------------------------------------------------
    def open_stream(self) -> None:
        self._out = queue.Queue()

        def requests():
            while True:
                item = self._out.get()
                if item is _STOP:
                    return
                yield item

        self._stream = self.stub.StreamChannel(requests())

        def read():
            try:
                for msg in self._stream:
                    self.stream_in.put(msg)
            except grpc.RpcError as exc:
                self.stream_in.put(exc)
            self.stream_in.put(None)

        self._reader = threading.Thread(target=read, daemon=True)
        self._reader.start()

    def arbitrate(self, election_id: int | None = None, timeout: float = 5.0) -> "p4r.MasterArbitrationUpdate":
        """Send a MasterArbitrationUpdate and return the server's answer (raises on stream error)."""
        if self._out is None:
            self.open_stream()
        if election_id is not None:
            self.election_id = election_id
        req = p4r.StreamMessageRequest()
        req.arbitration.device_id = self.device_id
        req.arbitration.election_id.CopyFrom(to_u128(self.election_id))
        if self.role:
            req.arbitration.role.name = self.role
        self._out.put(req)
        return self.next_stream("arbitration", timeout).arbitration

    def next_stream(self, kind: str, timeout: float = 5.0) -> "p4r.StreamMessageResponse":
        """The next stream message of ``kind`` (arbitration/packet/error), skipping others."""
        while True:
            msg = self.stream_in.get(timeout=timeout)
            if isinstance(msg, grpc.RpcError):
                raise msg
            if msg is None:
                raise EOFError("stream closed")
            if msg.WhichOneof("update") == kind:
                return msg

    def send_stream(self, msg: "p4r.StreamMessageRequest") -> None:
        self._out.put(msg)

    def packet_out(self, payload: bytes, metadata: dict[int, bytes]) -> None:
        req = p4r.StreamMessageRequest()
        req.packet.payload = payload
        for mid, value in metadata.items():
            req.packet.metadata.add(metadata_id=mid, value=value)
        self._out.put(req)

    def close(self) -> None:
        if self._out is not None:
            self._out.put(_STOP)
            if self._stream is not None:
                self._stream.cancel()
            if self._reader is not None:
                self._reader.join(timeout=5)
            self._out = None
        self.channel.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ---- unary RPCs ------------------------------------------------------------------------
    def set_pipeline(self, p4info, device_config: bytes = b"", cookie: int = 0,
                     action: int = p4r.SetForwardingPipelineConfigRequest.VERIFY_AND_COMMIT) -> None:
        req = p4r.SetForwardingPipelineConfigRequest(device_id=self.device_id, role=self.role, action=action)
        req.election_id.CopyFrom(to_u128(self.election_id))
        if p4info is not None:
            req.config.p4info.CopyFrom(p4info)
            req.config.p4_device_config = device_config
            req.config.cookie.cookie = cookie
        self.stub.SetForwardingPipelineConfig(req)

    def get_pipeline(self, response_type: int = 0) -> "p4r.ForwardingPipelineConfig":
        req = p4r.GetForwardingPipelineConfigRequest(device_id=self.device_id, response_type=response_type)
        return self.stub.GetForwardingPipelineConfig(req).config

    def write(self, updates: list["p4r.Update"], atomicity: int = p4r.WriteRequest.CONTINUE_ON_ERROR) -> None:
        req = p4r.WriteRequest(device_id=self.device_id, role=self.role, atomicity=atomicity, updates=updates)
        req.election_id.CopyFrom(to_u128(self.election_id))
        try:
            self.stub.Write(req)
        except grpc.RpcError as exc:
            raise WriteError(exc) from None

    def read(self, entities: list["p4r.Entity"]) -> list["p4r.Entity"]:
        req = p4r.ReadRequest(device_id=self.device_id, entities=entities)
        out: list = []
        for resp in self.stub.Read(req):
            out.extend(resp.entities)
        return out

    def read_table(self, table_id: int = 0) -> list["p4r.TableEntry"]:
        return [e.table_entry for e in self.read([p4r.Entity(table_entry=p4r.TableEntry(table_id=table_id))])]


def update(kind: int, entry: "p4r.TableEntry") -> "p4r.Update":
    """An Update of ``kind`` (p4r.Update.INSERT/MODIFY/DELETE) for a table entry."""
    return p4r.Update(type=kind, entity=p4r.Entity(table_entry=entry))


def install(client: P4RuntimeClient, p4info: "p4i.P4Info", entries: "list[TableEntry]", device_config: bytes = b"") -> None:
    """Push ``p4info`` (with the target's ``device_config``, e.g. BMv2's JSON) and insert our
    P4Info-name entries: what a test does to stand a switch up without the controller."""
    from softswitch.codec import encode_entry
    from softswitch.p4info import P4InfoIndex

    client.set_pipeline(p4info, device_config)
    index = P4InfoIndex(p4info)
    client.write([update(p4r.Update.INSERT, encode_entry(index, e)) for e in entries])
