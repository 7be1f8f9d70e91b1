"""inml.p4's per-task inference counters count the same on BMv2 as on omniplan-switch, and both
report a packet of an unknown task with the same digest.

The same p4c-compiled program, the same realizer entries (a decision tree placed on one switch) and
the same frames go to both switches: omniplan-switch in-process (frames injected), BMv2
``simple_switch_grpc`` reading them from a pcap file (``--use-files``: no network needed). Then the
``dispatch_packets`` and ``label_packets`` direct counters are read over P4Runtime from both and
must be equal, and equal to the labels the frames came out with.
"""

from __future__ import annotations

import struct
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest

from softswitch import reference
from softswitch.client import P4RuntimeClient, update
from softswitch.codec import encode_entry
from softswitch.embedded import EmbeddedSwitch
from softswitch.p4info import P4InfoIndex, load_p4info
from softswitch.proto import p4r

pytestmark = [pytest.mark.slow,  # compiles inml.p4 and waits for BMv2 to read its pcap: ~25 s
              pytest.mark.skipif(reference.bmv2_binary() is None,
                                 reason="BMv2 simple_switch_grpc is not installed; nothing to compare with")]
#: seconds BMv2 waits before reading its pcap files: time to push the pipeline and the entries
PCAP_DELAY_S = 4


def _pcap(path: Path, frames: list[bytes]) -> None:
    """A classic pcap file (Ethernet link type) holding ``frames``."""
    with path.open("wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, fr in enumerate(frames):
            f.write(struct.pack("<IIII", 1, i, len(fr), len(fr)) + fr)


def _read_pcap(path: Path) -> list[bytes]:
    data = path.read_bytes() if path.exists() else b""
    out, off = [], 24
    while off + 16 <= len(data):
        _, _, incl, _ = struct.unpack_from("<IIII", data, off)
        out.append(data[off + 16:off + 16 + incl])
        off += 16 + incl
    return out


def _counters(c: P4RuntimeClient, index: P4InfoIndex, counter: str) -> dict[tuple, int]:
    table_id = next(d.size for d in index.direct_counters.values() if d.name == counter)  # size = its table
    q = p4r.Entity()
    q.direct_counter_entry.table_entry.table_id = table_id
    return {tuple(int.from_bytes(m.exact.value, "big") for m in x.direct_counter_entry.table_entry.match):
            x.direct_counter_entry.data.packet_count for x in c.read([q])}


def _digest_values(dl: "p4r.DigestList") -> list[tuple[int, ...]]:
    return [tuple(int.from_bytes(m.bitstring, "big") for m in d.struct.members) for d in dl.data]


def _wait(predicate, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise TimeoutError("condition not met in time")


def test_inference_counters_equal_on_bmv2_and_omniplan_switch(tmp_path):
    toolchain = pytest.importorskip("p4src.toolchain")
    demo = pytest.importorskip("mininet_topos.demo_model")
    from controller.config import parse_switches, port_map
    from mininet_topos.layout import build_layout
    from mininet_topos.traffic import decode_frame, encode_frame
    from mlcompiler.realize import realize
    from omniplan.plan import complete_plan
    from omniplan.workload import Workload, mat_id

    try:
        built = toolchain.compile_inml(out_dir=tmp_path / "build")
    except FileNotFoundError as exc:
        pytest.skip(f"p4c is not installed: {exc}")
    assert built.returncode == 0, built.output
    p4info = load_p4info(built.p4info_path)
    index = P4InfoIndex(p4info)
    layout = build_layout("line3")
    task, samples = demo.build("dt", ingress="s1", n_samples=30)
    wl = Workload((task,))
    plan = complete_plan(wl, layout.topology, {mat_id(task.name, m.name): "s1" for m in task.mats}, "test")
    pm = port_map(parse_switches(layout.switch_list_document()))
    entries = realize(wl, plan, layout.topology, pm, {task.name: samples.task_id}, version=1)["s1"]
    updates = [update(p4r.Update.INSERT, encode_entry(index, e)) for e in entries]
    digest = p4r.Entity()  # enable the unknown-task digest: one message per list, sent at once
    digest.digest_entry.digest_id = next(did for did, name in index.digests.items() if name == "unknown_task_t")
    digest.digest_entry.config.max_list_size = 1
    updates.append(p4r.Update(type=p4r.Update.INSERT, entity=digest))
    h1 = layout.host("h1")
    frames = [encode_frame("ff:ff:ff:ff:ff:ff", h1.mac, samples.task_id, f, i, i) for i, f in enumerate(samples.features)]
    frames.append(encode_frame("ff:ff:ff:ff:ff:ff", h1.mac, samples.task_id + 7, samples.features[0], 99, 99))

    # omniplan-switch, in-process
    with EmbeddedSwitch(device_id=0) as sw, P4RuntimeClient(sw.address, device_id=0, election_id=1) as c:
        c.arbitrate()
        c.set_pipeline(p4info, built.json_path.read_bytes())
        c.write(updates)
        ours_out = [data for fr in frames for _, data in sw.inject(h1.port, fr)]
        ours = (_counters(c, index, "MyIngress.dispatch_packets"), _counters(c, index, "MyIngress.label_packets"))
        our_digest = _digest_values(c.next_stream("digest", 10).digest)

    # BMv2, frames from a pcap on the host's port
    ports = sorted(set(pm["s1"].values()))
    for p in ports:
        _pcap(tmp_path / f"p{p}_in.pcap", frames if p == h1.port else [])
    port = reference.free_port()
    cmd = [reference.bmv2_binary(), "--device-id", "0", "--use-files", str(PCAP_DELAY_S)]
    for p in ports:
        cmd += ["-i", f"{p}@{tmp_path}/p{p}"]
    cmd += ["--no-p4", "--", f"--grpc-server-addr=127.0.0.1:{port}", "--cpu-port=255"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp_path)
    try:
        reference.wait_listening(port, proc, 20)
        with P4RuntimeClient(f"127.0.0.1:{port}", device_id=0, election_id=1) as c:
            c.arbitrate()
            c.set_pipeline(p4info, built.json_path.read_bytes())
            c.write(updates)
            want = len(samples.features)
            _wait(lambda: sum(_counters(c, index, "MyIngress.label_packets").values()) >= want, 30)
            time.sleep(0.5)  # the unknown-task frame comes last; let it through too
            theirs = (_counters(c, index, "MyIngress.dispatch_packets"),
                      _counters(c, index, "MyIngress.label_packets"))
            their_digest = _digest_values(c.next_stream("digest", 10).digest)
    finally:
        reference.stop(proc)
    bmv2_out = _read_pcap(tmp_path / f"p{h1.port}_out.pcap")

    received = Counter(decode_frame(d).label for d in ours_out)
    assert ours == theirs
    assert ours[0] == {(samples.task_id,): len(samples.features)}  # the unknown task matched no entry
    assert {label: n for (_, label), n in ours[1].items() if n} == dict(received)
    assert Counter(decode_frame(d).label for d in bmv2_out) == received
    assert our_digest == their_digest == [(samples.task_id + 7, h1.port)]  # (task id, ingress port)
