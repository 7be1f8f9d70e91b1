"""gRPC (grpc.aio) face of the soft switch: the P4Runtime v1 service over a SoftSwitch.

Errors follow PI/BMv2 so that third-party clients (finsy, p4runtime-shell) read them: a failed
Write answers UNKNOWN with one p4.v1.Error per update in the ``grpc-status-details-bin``
trailer (google.rpc.Status); whole-RPC failures carry their own canonical code.
"""

from __future__ import annotations

import asyncio
import logging

import grpc
from google.protobuf import any_pb2

from softswitch.arbitration import Connection
from softswitch.errors import P4RuntimeError
from softswitch.notifications import TICK_S
from softswitch.proto import p4r, p4r_grpc, rpc_status
from softswitch.switch import SoftSwitch, WriteFailed

log = logging.getLogger("softswitch.server")
API_VERSION = "1.4.0"
READ_CHUNK = 2000  # entities per ReadResponse: keeps each message far below gRPC's 4 MB default
_CLOSE = object()
MAX_MESSAGE = 256 * 1024 * 1024


def write_error_status(results) -> rpc_status.Status:
    failed = sum(1 for code, _ in results if code != grpc.StatusCode.OK)
    status = rpc_status.Status(code=grpc.StatusCode.UNKNOWN.value[0],
                               message=f"Write failed: {failed} of {len(results)} updates had errors")
    for code, message in results:
        detail = any_pb2.Any()
        detail.Pack(p4r.Error(canonical_code=code.value[0], message=message, space="omniplan-switch"))
        status.details.append(detail)
    return status


class P4RuntimeService(p4r_grpc.P4RuntimeServicer):
    """Translates P4Runtime RPCs to SoftSwitch calls and P4RuntimeError to gRPC statuses."""

    def __init__(self, switch: SoftSwitch):
        self.switch = switch

    async def Capabilities(self, request, context):
        return p4r.CapabilitiesResponse(p4runtime_api_version=API_VERSION)

    async def SetForwardingPipelineConfig(self, request, context):
        try:
            self.switch.set_pipeline(request)
        except P4RuntimeError as exc:
            log.info("SetForwardingPipelineConfig from %s refused: %s", context.peer(), exc)
            await context.abort(exc.code, exc.message)
        return p4r.SetForwardingPipelineConfigResponse()

    async def GetForwardingPipelineConfig(self, request, context):
        try:
            return self.switch.get_pipeline(request)
        except P4RuntimeError as exc:
            await context.abort(exc.code, exc.message)

    async def Write(self, request, context):
        try:
            self.switch.write(request)
            if log.isEnabledFor(logging.DEBUG):  # context.peer() is not free: only when logged
                log.debug("Write from %s: %d updates applied", context.peer(), len(request.updates))
        except P4RuntimeError as exc:
            log.info("Write from %s refused: %s", context.peer(), exc)
            await context.abort(exc.code, exc.message)
        except WriteFailed as exc:
            log.info("Write from %s: %s", context.peer(), exc)
            status = write_error_status(exc.results)
            await context.abort(grpc.StatusCode.UNKNOWN, status.message,
                                trailing_metadata=(("grpc-status-details-bin", status.SerializeToString()),))
        return p4r.WriteResponse()

    async def Read(self, request, context):
        try:
            responses = self.switch.read_responses(request, READ_CHUNK)
        except P4RuntimeError as exc:
            await context.abort(exc.code, exc.message)
        for resp in responses:
            yield resp

    async def StreamChannel(self, request_iterator, context):
        conn = Connection(peer=context.peer())

        async def pump() -> None:
            try:
                async for req in request_iterator:
                    self._on_stream_request(conn, req)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # client went away mid-read
                log.debug("stream %s closed: %s", conn.peer, exc)
            finally:
                conn.send(_CLOSE)

        task = asyncio.ensure_future(pump())
        try:
            while True:
                item = await conn.out.get()
                if item is _CLOSE:
                    break
                if isinstance(item, P4RuntimeError):
                    await context.abort(item.code, item.message)
                yield item
        finally:
            task.cancel()
            self.switch.arbiter.remove(conn)

    def _on_stream_request(self, conn: Connection, req: "p4r.StreamMessageRequest") -> None:
        kind = req.WhichOneof("update")
        if kind == "arbitration":
            try:
                self.switch.arbiter.arbitrate(conn, req.arbitration)
            except P4RuntimeError as exc:  # spec: these errors terminate the stream
                conn.send(exc)
        elif kind == "digest_ack":
            self.switch.notifier.ack(req.digest_ack)
        elif kind == "packet":
            try:
                self.switch.packet_out(conn, req.packet)
            except P4RuntimeError as exc:
                err = p4r.StreamMessageResponse()
                err.error.canonical_code = exc.code.value[0]
                err.error.message = exc.message
                err.error.packet_out.packet_out.CopyFrom(req.packet)
                conn.send(err)
        else:
            err = p4r.StreamMessageResponse()
            err.error.canonical_code = grpc.StatusCode.UNIMPLEMENTED.value[0]
            err.error.message = f"stream message {kind!r} is not supported"
            conn.send(err)


async def _tick(switch: SoftSwitch) -> None:
    """Digest timeouts, the ack cache and idle-timeout scans run between RPCs on the server's loop."""
    while True:
        await asyncio.sleep(TICK_S)
        if switch.notifier.busy():
            try:
                switch.notifier.tick()
            except Exception:  # a bug here must not stop notifications for good
                log.exception("notification tick failed")


async def start_server(switch: SoftSwitch, addr: str = "127.0.0.1", port: int = 9559) -> tuple[grpc.aio.Server, int]:
    """Start serving ``switch``; returns the server and the bound port (useful with port 0)."""
    server = grpc.aio.server(options=[
        ("grpc.max_receive_message_length", MAX_MESSAGE),
        ("grpc.max_send_message_length", MAX_MESSAGE),
        ("grpc.so_reuseport", 0),
    ])
    p4r_grpc.add_P4RuntimeServicer_to_server(P4RuntimeService(switch), server)
    ticker = asyncio.ensure_future(_tick(switch))
    grpc_stop = server.stop

    async def stop(grace: float | None) -> None:
        """Stopping the server also stops its notification timer (no task left pending)."""
        ticker.cancel()
        await grpc_stop(grace)

    server.stop = stop
    # "unix:/path" (a switch in a network namespace, reached from outside through the socket file)
    target = addr if addr.startswith("unix:") else f"{addr}:{port}"
    try:
        bound = server.add_insecure_port(target)
    except RuntimeError:
        bound = 0
    if bound == 0:
        raise OSError(f"cannot listen on {target}")
    await server.start()
    return server, bound
