"""The switch's data plane: ports, per-port counters, packet-in/out, and the pipeline that forwards.

Packets come from Linux interfaces (raw AF_PACKET sockets, ``-i PORT@IFACE``) or from the
in-process API (``inject``) that tests and benchmarks use; both run the same ``receive`` path.
Forwarding is done by the pipeline twin (p4src.pipeline.InferencePipeline) when the pushed
P4Info is that program; for any other program the control plane still works but every packet is
dropped (and counted), because we have no executable model of it.

Packet-out/packet-in follow BMv2: a PacketOut is serialised into the program's ``packet_out``
controller header, prepended to the payload and injected on the CPU port; whatever the pipeline
emits on the CPU port has its ``packet_in`` header parsed (widths from the P4Info) and stripped.
"""

from __future__ import annotations

import logging
import os
import select
import socket
import struct
import sys
from collections import defaultdict, deque
from dataclasses import dataclass
from typing import Callable, Protocol

from softswitch.bytestrings import encode
from softswitch.errors import invalid, out_of_range
from softswitch.p4info import P4InfoIndex, PacketMetadataInfo
from softswitch.proto import p4d

log = logging.getLogger("softswitch.dataplane")

#: CPU port when --cpu-port is not given: inml.p4's CPU_PORT (BMv2 must be told the same).
DEFAULT_CPU_PORT = 255
ETH_P_ALL = 0x0003
SOL_PACKET = 263
PACKET_ADD_MEMBERSHIP = 1
PACKET_MR_PROMISC = 1
PACKET_OUTGOING = 4
MAX_FRAME = 65535


@dataclass
class PortCounters:
    rx_packets: int = 0
    rx_bytes: int = 0
    tx_packets: int = 0
    tx_bytes: int = 0
    tx_errors: int = 0
    dropped: int = 0  # packets received on this port that the pipeline sent nowhere


class PortIO(Protocol):
    def send(self, frame: bytes) -> None: ...


class RawSocketPort:
    """A switch port bound to a Linux interface through an AF_PACKET socket (promiscuous)."""

    def __init__(self, port: int, iface: str):
        self.port, self.iface = port, iface
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        try:
            self.sock.bind((iface, 0))
            ifindex = socket.if_nametoindex(iface)
            mreq = struct.pack("iHH8s", ifindex, PACKET_MR_PROMISC, 0, b"")
            self.sock.setsockopt(SOL_PACKET, PACKET_ADD_MEMBERSHIP, mreq)
            self.sock.setblocking(False)
        except OSError:
            self.sock.close()
            raise

    def fileno(self) -> int:
        return self.sock.fileno()

    def send(self, frame: bytes) -> None:
        self.sock.send(frame)

    def recv_ready(self) -> list[bytes]:
        """Every frame waiting on the socket, except the ones this host sent out of it."""
        frames = []
        while True:
            try:
                data, addr = self.sock.recvfrom(MAX_FRAME)
            except (BlockingIOError, InterruptedError):
                return frames
            if addr[2] != PACKET_OUTGOING:
                frames.append(data)

    def close(self) -> None:
        self.sock.close()


def pack_header(meta: PacketMetadataInfo, values: dict[str, int]) -> bytes:
    """Bit-pack controller metadata in P4Info order, padded at the end to whole bytes."""
    bits = 0
    number = 0
    for f in meta.fields:
        number = (number << f.bitwidth) | values.get(f.name, 0)
        bits += f.bitwidth
    pad = (-bits) % 8
    return (number << pad).to_bytes((bits + pad) // 8, "big") if bits else b""


def unpack_header(meta: PacketMetadataInfo, frame: bytes) -> tuple[dict[str, int], bytes]:
    """Split a frame into its controller header fields and the payload behind it."""
    bits = sum(f.bitwidth for f in meta.fields)
    nbytes = (bits + 7) // 8
    number = int.from_bytes(frame[:nbytes], "big") >> (nbytes * 8 - bits)
    values: dict[str, int] = {}
    for f in reversed(meta.fields):
        values[f.name] = number & ((1 << f.bitwidth) - 1)
        number >>= f.bitwidth
    return {f.name: values[f.name] for f in meta.fields}, frame[nbytes:]


class TableSource(Protocol):
    """What the data plane reads table state from (softswitch.tables.TableStore)."""

    version: int

    def snapshot(self) -> tuple[dict, dict]: ...


PacketInSink = Callable[[bytes, dict[str, int]], None]


class DataPlane:
    """Ports + pipeline. Not thread-safe: the server drives it from its asyncio loop."""

    def __init__(self, cpu_port: int = DEFAULT_CPU_PORT):
        self.cpu_port = cpu_port
        self.ports: dict[int, PortIO] = {}
        self.counters: dict[int, PortCounters] = defaultdict(PortCounters)
        self.captured: dict[int, deque[bytes]] = defaultdict(deque)
        self.pipeline = None
        self.program = ""
        self.tables: TableSource | None = None
        self.externs = None
        self._digest_ids: dict[str, int] = {}
        #: receives (digest id, p4.v1.P4Data) for each digest the pipeline emits (Notifier.digest)
        self.digest_sink: Callable | None = None
        self._loaded_version = -1
        self._failed_version = -1
        self.packet_in_sink: PacketInSink | None = None
        self.packet_in_meta: PacketMetadataInfo | None = None
        self.packet_out_meta: PacketMetadataInfo | None = None
        self.dropped_no_pipeline = 0

    # ---- configuration ------------------------------------------------------------------------
    def add_port(self, port: int, io: PortIO) -> None:
        if port == self.cpu_port:
            raise invalid(f"port {port} is the CPU port")
        if port in self.ports:
            raise invalid(f"port {port} is already attached")
        self.ports[port] = io

    def load_program(self, index: P4InfoIndex | None, tables: TableSource | None, externs=None) -> None:
        """Switch to the pipeline for ``index`` (None = no pipeline: drop everything).

        ``externs`` (softswitch.externs.ExternStore) receives the twin's counter/register updates."""
        self.tables = tables
        self.externs = externs
        self._loaded_version = self._failed_version = -1
        self.pipeline = None
        self.program = index.program_name if index else ""
        self.packet_in_meta = index.packet_metadata.get("packet_in") if index else None
        self.packet_out_meta = index.packet_metadata.get("packet_out") if index else None
        if index is None:
            return
        self.pipeline, why = make_pipeline(index, self.cpu_port)
        if self.pipeline is None:
            log.warning("data plane: %s; the control plane works but packets are dropped", why)
            return
        log.info("data plane: executing program %r with the pipeline twin", self.program)
        if hasattr(self.pipeline, "on_hit") and hasattr(tables, "direct"):
            self.pipeline.on_hit = DirectCounting(index, tables).hit
        if hasattr(self.pipeline, "on_digest"):
            self.pipeline.on_digest = self._emit_digest
            self._digest_ids = {name: did for did, name in index.digests.items()}
        twin_cpu = getattr(sys.modules[type(self.pipeline).__module__], "CPU_PORT", self.cpu_port)
        if twin_cpu != self.cpu_port:
            log.warning("data plane: --cpu-port %d differs from the program's CPU_PORT %d: packet-in/out "
                        "will not reach the controller (as on BMv2 with a mismatched --cpu-port)",
                        self.cpu_port, twin_cpu)

    def _emit_digest(self, name: str, values: tuple) -> None:
        """The twin called digest<name>(...): hand a P4Data struct of bitstrings to the digest sink."""
        did = self._digest_ids.get(name)
        if did is None or self.digest_sink is None:
            return
        data = p4d.P4Data()
        for v in values:
            data.struct.members.add().bitstring = encode(v)
        self.digest_sink(did, data)

    # ---- packet path ----------------------------------------------------------------------------
    def receive(self, port: int, frame: bytes) -> list[tuple[int, bytes]]:
        """Run one frame that arrived on ``port`` and deliver the results; returns them."""
        c = self.counters[port]
        c.rx_packets += 1
        c.rx_bytes += len(frame)
        outputs = self._run(frame, port)
        if not outputs:
            c.dropped += 1
        for egress, data in outputs:
            self._deliver(egress, data)
        return outputs

    inject = receive  # the in-process API's name for it

    def packet_out(self, payload: bytes, metadata: dict[int, int]) -> list[tuple[int, bytes]]:
        """A controller PacketOut (metadata by P4Info id): validate, add the header, run from CPU."""
        meta = self.packet_out_meta
        values: dict[str, int] = {}
        if meta is None:
            if metadata:
                raise invalid("the program declares no packet_out header, but metadata was given")
            frame = payload
        else:
            by_id = meta.by_id
            for mid, value in metadata.items():
                f = by_id.get(mid)
                if f is None:
                    raise invalid(f"packet_out has no metadata id {mid}")
                if value >> f.bitwidth:
                    raise out_of_range(f"packet_out metadata {f.name!r}: {value} does not fit in {f.bitwidth} bits")
                values[f.name] = value
            frame = pack_header(meta, values) + payload
        return self.receive(self.cpu_port, frame)

    def collect(self, port: int) -> list[bytes]:
        """Drain the frames sent to an in-process port (one with no interface attached)."""
        q = self.captured[port]
        out = list(q)
        q.clear()
        return out

    def _run(self, frame: bytes, port: int) -> list[tuple[int, bytes]]:
        pipeline, tables = self.pipeline, self.tables
        if pipeline is None or tables is None:
            self.dropped_no_pipeline += 1
            return []
        if hasattr(pipeline, "process_loaded"):
            # compile the table state once per change instead of checking it per packet
            if tables.version != self._loaded_version:
                if tables.version == self._failed_version:
                    return []  # this state did not compile; already logged
                try:
                    pipeline.load(*tables.snapshot())
                except Exception:
                    log.exception("pipeline twin cannot load table state version %d; dropping until the "
                                  "next write", tables.version)
                    self._failed_version = tables.version
                    return []
                self._loaded_version = tables.version
            try:
                return pipeline.process_loaded(frame, port)
            except Exception:  # a malformed packet must not take the switch down
                log.exception("pipeline failed on a %d-byte packet from port %d; dropped", len(frame), port)
                return []
        try:
            return list(pipeline.process(frame, port, *tables.snapshot()))
        except Exception:
            log.exception("pipeline failed on a %d-byte packet from port %d; dropped", len(frame), port)
            return []

    def _deliver(self, egress: int, data: bytes) -> None:
        c = self.counters[egress]
        if egress == self.cpu_port:
            c.tx_packets += 1
            c.tx_bytes += len(data)
            meta: dict[str, int] = {}
            if self.packet_in_meta is not None:
                meta, data = unpack_header(self.packet_in_meta, data)
            if self.packet_in_sink is not None:
                self.packet_in_sink(data, meta)
            else:
                self.captured[egress].append(data)
            return
        io = self.ports.get(egress)
        if io is None:
            self.captured[egress].append(data)
            c.tx_packets += 1
            c.tx_bytes += len(data)
            return
        try:
            io.send(data)
            c.tx_packets += 1
            c.tx_bytes += len(data)
        except OSError as exc:
            c.tx_errors += 1
            log.warning("port %d: send failed: %s", egress, exc)

    # ---- raw sockets ----------------------------------------------------------------------------
    def raw_ports(self) -> list[RawSocketPort]:
        return [io for io in self.ports.values() if isinstance(io, RawSocketPort)]

    def poll(self, timeout: float) -> int:
        """Wait up to ``timeout`` s for frames on the raw ports and process them; returns how many."""
        ports = self.raw_ports()
        if not ports:
            return 0
        ready, _, _ = select.select(ports, [], [], timeout)
        n = 0
        for rp in ready:
            for frame in rp.recv_ready():
                self.receive(rp.port, frame)
                n += 1
        return n

    def on_readable(self, rp: RawSocketPort) -> None:
        """asyncio add_reader callback."""
        for frame in rp.recv_ready():
            self.receive(rp.port, frame)

    def close(self) -> None:
        for rp in self.raw_ports():
            rp.close()

    def counters_table(self) -> dict[int, dict[str, int]]:
        return {p: vars(c).copy() for p, c in sorted(self.counters.items())}


class DirectCounting:
    """Turns the twin's table hits (table name, exact key values) into direct-counter updates.

    Why here: the twin knows P4 names and key values, the table store keys entries by P4Runtime
    field ids; this maps one to the other once per pipeline, so a hit costs two dict lookups."""

    def __init__(self, index: P4InfoIndex, tables) -> None:
        self.tables = tables
        self.by_name = {}
        for tid, info in index.tables.items():
            if tid in tables.direct:
                self.by_name[info.name] = (tid, [f.id for f in info.fields.values()])

    def hit(self, table: str, values: tuple, nbytes: int) -> None:
        found = self.by_name.get(table)
        if found is None:
            return
        tid, fids = found
        state = self.tables.direct[tid].get((tuple(sorted(zip(fids, values))), 0))
        if state is not None:
            state.hit(nbytes)


def make_pipeline(index: P4InfoIndex, cpu_port: int):
    """The pipeline twin for ``index`` if it is our program, else (None, why)."""
    try:
        from p4src.pipeline import InferencePipeline
    except ImportError as exc:
        return None, f"no pipeline twin available ({exc})"
    if index.program_name != InferencePipeline.PROGRAM_NAME:
        return None, (f"program {index.program_name!r} is not {InferencePipeline.PROGRAM_NAME!r}, "
                      "the only one with an executable twin")
    return InferencePipeline(), ""


def interface_exists(iface: str) -> bool:
    return os.path.exists(f"/sys/class/net/{iface}")
