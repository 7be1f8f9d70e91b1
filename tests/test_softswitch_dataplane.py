"""omniplan-switch's data plane with the inml.p4 pipeline twin: entries written over P4Runtime
forward frames, packet-in/out cross the StreamChannel, other programs drop, compiled models
classify like scikit-learn, and raw AF_PACKET ports move real frames between veth pairs.
"""

from __future__ import annotations

import os
import re
import select
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from p4src.entries import Match, TableEntry
from softswitch.client import P4RuntimeClient, update
from softswitch.codec import encode_entry
from softswitch.demo_p4info import demo_p4info
from softswitch.embedded import EmbeddedSwitch
from softswitch.p4info import P4InfoIndex, load_p4info
from softswitch.proto import p4r

pipeline_mod = pytest.importorskip("p4src.pipeline", reason="the inml.p4 pipeline twin is not available")

ROOT = Path(__file__).resolve().parents[1]
INML_P4INFO = ROOT / "p4src" / "inml.p4info.txtpb"
INSERT = p4r.Update.INSERT
HOST_A, HOST_B, PUNT = 0x020000000001, 0x020000000002, 0x02000000CAFE


def frame(dst: int, src: int = HOST_A, payload: bytes = b"omniplan-test") -> bytes:
    return dst.to_bytes(6, "big") + src.to_bytes(6, "big") + b"\x08\x00" + payload.ljust(46, b".")


def l2(index: P4InfoIndex, dst: int, action: str, **params: int) -> p4r.Update:
    entry = TableEntry("MyIngress.l2_fwd", (Match("hdr.ethernet.dstAddr", "exact", dst),), action,
                       tuple(params.items()))
    return update(INSERT, encode_entry(index, entry))


@pytest.fixture(scope="module")
def inml():
    return load_p4info(INML_P4INFO)


@pytest.fixture
def sw(inml):
    with EmbeddedSwitch(device_id=0) as e, P4RuntimeClient(e.address, device_id=0, election_id=9) as c:
        assert c.arbitrate().status.code == 0
        c.set_pipeline(inml)
        yield e, c, P4InfoIndex(inml)


def test_l2_forwarding_and_port_counters(sw):
    e, c, index = sw
    c.write([l2(index, HOST_B, "MyIngress.l2_forward", port=2)])
    f = frame(HOST_B)
    assert e.inject(1, f) == [(2, f)]
    assert e.collect(2) == [f]
    assert e.inject(1, frame(0x02000000BEEF)) == []  # no entry: the table's default drops
    counters = e.counters()
    assert counters[1]["rx_packets"] == 2 and counters[1]["dropped"] == 1
    assert counters[2]["tx_packets"] == 1 and counters[2]["tx_bytes"] == len(f)


def test_packet_in_and_packet_out_cross_the_stream(sw):
    e, c, index = sw
    c.write([l2(index, PUNT, "MyIngress.send_to_cpu")])
    f = frame(PUNT, payload=b"punt me")
    e.inject(3, f)
    pkt = c.next_stream("packet").packet
    assert pkt.payload == f
    assert {m.metadata_id: int.from_bytes(m.value, "big") for m in pkt.metadata}[1] == 3  # ingress_port
    out = frame(HOST_B, payload=b"from the controller")
    c.packet_out(out, {1: (4).to_bytes(2, "big")})  # egress_port = 4 (padded bytes are fine)
    for _ in range(100):
        got = e.collect(4)
        if got:
            break
        time.sleep(0.02)
    assert got == [out]


def test_other_programs_keep_control_plane_but_drop(sw):
    e, c, _ = sw
    c.set_pipeline(demo_p4info())
    assert e.inject(1, frame(HOST_B)) == []
    assert e.call(lambda: e.switch.dataplane.dropped_no_pipeline) == 1


def test_write_after_packets_is_seen_by_the_next_packet(sw):
    e, c, index = sw
    f = frame(HOST_B)
    assert e.inject(1, f) == []
    c.write([l2(index, HOST_B, "MyIngress.l2_forward", port=5)])
    assert e.inject(1, f) == [(5, f)]
    c.write([update(p4r.Update.DELETE, encode_entry(index, TableEntry(
        "MyIngress.l2_fwd", (Match("hdr.ethernet.dstAddr", "exact", HOST_B),), "MyIngress.drop")))])
    assert e.inject(1, f) == []


@pytest.mark.slow
def _push_demo_model(c, index: P4InfoIndex, n_samples: int):
    """Realizer entries for a one-switch placement of the demo decision tree, written over P4Runtime."""
    demo = pytest.importorskip("mininet_topos.demo_model")
    realize_mod = pytest.importorskip("mlcompiler.realize")
    from controller.config import parse_switches, port_map
    from mininet_topos.layout import build_layout
    from omniplan.plan import complete_plan
    from omniplan.workload import Workload, mat_id

    layout = build_layout("line3")
    task, samples = demo.build("dt", ingress="s1", n_samples=n_samples)
    wl = Workload((task,))
    placement = {mat_id(task.name, m.name): "s1" for m in task.mats}
    plan = complete_plan(wl, layout.topology, placement, "test")
    pm = port_map(parse_switches(layout.switch_list_document()))
    entries = realize_mod.realize(wl, plan, layout.topology, pm, {task.name: samples.task_id}, version=1)["s1"]
    updates = [update(INSERT, encode_entry(index, x)) for x in entries]
    for start in range(0, len(updates), 500):
        c.write(updates[start:start + 500])
    assert len(c.read_table()) == len(entries)
    return layout, task, samples


def test_compiled_model_over_p4runtime_classifies_like_sklearn(sw):
    """Realizer entries for a one-switch placement, pushed over P4Runtime, label frames as sklearn does."""
    from mininet_topos.traffic import decode_frame, encode_frame

    e, c, index = sw
    layout, task, samples = _push_demo_model(c, index, 20)
    h1 = layout.host("h1")
    for seq, (feats, want) in enumerate(zip(samples.features, samples.expected)):
        out = e.inject(h1.port, encode_frame("ff:ff:ff:ff:ff:ff", h1.mac, samples.task_id, feats, seq, seq))
        assert len(out) == 1 and out[0][0] == h1.port
        d = decode_frame(out[0][1])
        assert d is not None and d.label == want, (seq, d, want)


def test_inference_direct_counters_equal_what_the_receiver_got(sw, tmp_path):
    """inml.p4's direct counters, read over P4Runtime (raw DirectCounterEntry and the controller's
    finsy driver), count per task the fresh packets (dispatch) and per class the delivered ones."""
    import asyncio
    from collections import Counter

    import finsy as fy
    from google.protobuf import text_format

    from controller.config import SwitchConfig
    from controller.southbound import FinsyDriver
    from mininet_topos.traffic import decode_frame, encode_frame

    e, c, index = sw
    layout, task, samples = _push_demo_model(c, index, 40)
    h1 = layout.host("h1")
    received: Counter = Counter()
    for seq, feats in enumerate(samples.features):
        for egress, data in e.inject(h1.port, encode_frame("ff:ff:ff:ff:ff:ff", h1.mac, samples.task_id, feats, seq, seq)):
            received[decode_frame(data).label] += 1
    e.inject(h1.port, encode_frame("ff:ff:ff:ff:ff:ff", h1.mac, samples.task_id + 1, samples.features[0], 0, 0))
    assert sum(received.values()) == len(samples.features) and len(received) > 1

    def direct(counter: str) -> dict[tuple, int]:
        table = index.tables[index.direct_counters[next(i for i, d in index.direct_counters.items()
                                                           if d.name == counter)].size]
        q = p4r.Entity()
        q.direct_counter_entry.table_entry.table_id = table.id
        return {tuple(int.from_bytes(m.exact.value, "big") for m in x.direct_counter_entry.table_entry.match):
                x.direct_counter_entry.data.packet_count for x in c.read([q])}

    per_label = direct("MyIngress.label_packets")
    assert {label: n for (tid, label), n in per_label.items() if n} == dict(received)
    assert all(tid == samples.task_id for tid, _ in per_label)
    assert direct("MyIngress.dispatch_packets") == {(samples.task_id,): len(samples.features)}  # not the unknown task

    p4info_path = tmp_path / "inml.p4info.txtpb"
    p4info_path.write_text(text_format.MessageToString(load_p4info(INML_P4INFO)))

    async def via_controller_driver():
        opts = fy.SwitchOptions(p4info=p4info_path, device_id=0, initial_election_id=1)
        async with fy.Switch("s1", e.address, opts) as switch:  # a backup: reading needs no primary
            driver = FinsyDriver(SwitchConfig(name="s1", device="s1", device_id=0, grpc=e.address), switch)
            return await driver.read_direct_counter("MyIngress.label_packets")

    rows = asyncio.run(via_controller_driver())
    assert {m["final_label"]: n for m, n in rows if n} == dict(received)


# ---- raw AF_PACKET ports on veth pairs --------------------------------------------------------
def _ip(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["ip", *args], capture_output=True, text=True)


@pytest.fixture
def veths():
    if os.geteuid() != 0:
        pytest.skip("raw AF_PACKET ports need root")
    tag = uuid.uuid4().hex[:5]
    pairs = [(f"osw{tag}{i}a", f"osw{tag}{i}b") for i in (1, 2)]
    made = []
    try:
        for a, b in pairs:
            res = _ip("link", "add", a, "type", "veth", "peer", "name", b)
            if res.returncode != 0:
                if "not supported" in res.stderr.lower() or "unknown" in res.stderr.lower():
                    pytest.skip(f"kernel lacks veth: {res.stderr.strip()}")
                raise RuntimeError(f"ip link add {a}: {res.stderr}")
            made.append(a)
            for ifc in (a, b):
                subprocess.run(["sysctl", "-qw", f"net.ipv6.conf.{ifc}.disable_ipv6=1"], capture_output=True)
                assert _ip("link", "set", ifc, "up").returncode == 0
        yield pairs
    finally:
        for a in made:
            _ip("link", "del", a)


def _raw(iface: str) -> socket.socket:
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
    s.bind((iface, 0))
    return s


def _wait_for(sock: socket.socket, marker: bytes, timeout: float = 5.0) -> bytes | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([sock], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            break
        data, addr = sock.recvfrom(65535)
        if addr[2] != 4 and marker in data:  # not our own outgoing frames
            return data
    return None


def test_raw_socket_ports_forward_between_veth_pairs(veths, inml, tmp_path):
    (sw1, host1), (sw2, host2) = veths
    proc = subprocess.Popen([sys.executable, "-m", "softswitch.main", "--grpc-port", "0", "--device-id", "0",
                             "-i", f"1@{sw1}", "-i", f"2@{sw2}", "--log-level", "info"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        m = re.search(r"listening on ([\d.]+:\d+)", proc.stdout.readline())
        assert m, proc.stderr.read()
        index = P4InfoIndex(inml)
        tx, rx = _raw(host1), _raw(host2)
        with P4RuntimeClient(m.group(1), device_id=0, election_id=1) as c, tx, rx:
            c.arbitrate()
            c.set_pipeline(inml)
            c.write([l2(index, HOST_B, "MyIngress.l2_forward", port=2),
                     l2(index, PUNT, "MyIngress.send_to_cpu")])
            marker = uuid.uuid4().bytes
            tx.send(frame(HOST_B, payload=marker))
            got = _wait_for(rx, marker)
            assert got is not None and got[:6] == HOST_B.to_bytes(6, "big")
            # a frame punted from a veth port arrives at the controller as a PacketIn
            punt_marker = uuid.uuid4().bytes
            tx.send(frame(PUNT, payload=punt_marker))
            pkt = c.next_stream("packet", timeout=5).packet
            assert punt_marker in pkt.payload and pkt.metadata[0].value == b"\x01"
            # and a PacketOut leaves through the veth port it names
            out_marker = uuid.uuid4().bytes
            c.packet_out(frame(HOST_A, payload=out_marker), {1: b"\x01"})
            assert _wait_for(tx, out_marker) is not None
    finally:
        proc.terminate()
        try:
            _, err = proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, err = proc.communicate()
    counters = re.search(r"port counters: (\{.*\})", err)
    assert counters, err[-2000:]
    assert "1: {'rx_packets':" in counters.group(1)


def test_controller_hears_of_packets_for_an_unknown_task():
    """inml.p4 digests a fresh packet of a task without a dispatch entry; the controller's southbound
    enables that digest when it becomes primary and records the task and the port it arrived on."""
    import asyncio

    from controller.config import SwitchConfig
    from controller.southbound import Southbound
    from controller.testing import wait_for
    from p4src.pipeline import build_packet

    with EmbeddedSwitch(device_id=0) as e:
        async def main() -> dict:
            sb = Southbound([SwitchConfig("s1", 0, e.address, "s1", {}, election_id=5)])
            await sb.start()
            try:
                await wait_for(lambda: sb.drivers["s1"].is_ready(), 20)
                await asyncio.to_thread(e.inject, 3, build_packet(42, [1, 2, 3]))
                await wait_for(lambda: "42" in sb.drivers["s1"].info.get("unknown_tasks", {}), 10)
                return sb.drivers["s1"].info["unknown_tasks"]["42"]
            finally:
                await sb.stop()

        seen = asyncio.run(main())
    assert seen["ingress_port"] == 3 and seen["reports"] == 1
