"""BMv2 (simple_switch_grpc running p4c's build of inml.p4) on plain IPv4 packets: it computes
the packet features, flow state and labels that the twin and sklearn do.

BMv2 is the reference we did not write. It stamps packets with its own clock, so the timing
features (flow.iat, flow.duration) cannot equal a replay's; the checks are therefore:
* a model on time-free features: BMv2's output frames equal the twin's byte for byte, except the
  two timing feature words it carries but does not read;
* the IDS model on all features: BMv2's label equals sklearn's prediction on the feature vector
  BMv2 itself computed (carried in the inml header it delivers), on every packet;
* the last switch's deliver_plain gives back the original frame;
* two flows that collide under zlib's CRC-32 evict each other in BMv2 as in the twin (the flow
  index and the collision rule agree; BMv2's P4Runtime server cannot read registers).
Needs root (veth pairs) and the P4 toolchain; skips with the reason otherwise."""

from __future__ import annotations

import os
import select
import socket
import subprocess
import time
import warnings

import numpy as np
import pytest
from sklearn.tree import DecisionTreeClassifier

from mlcompiler.compiler import compile_model
from mlcompiler.packet_traces import IDS_FEATURES, generate_trace, ipv4_frame, packet_dataset
from mlcompiler.realize import realize
from mlcompiler.spec import spec_from_estimator
from omniplan.plan import complete_plan
from omniplan.topology import line
from omniplan.workload import Workload, mat_id
from p4src import features as pf
from p4src import layout, toolchain
from p4src.chain import SwitchChain
from p4src.pipeline import parse_inml
from softswitch.bmv2 import SwitchSpec, bmv2_command, wait_for_port
from softswitch.client import P4RuntimeClient, install
from softswitch.p4info import load_p4info

warnings.filterwarnings("ignore")
TC = toolchain.find_toolchain()
pytestmark = [
    pytest.mark.slow,
    pytest.mark.root,
    pytest.mark.skipif(TC.compiler is None or TC.bmv2 is None, reason=f"no P4 toolchain: {toolchain.HOW_TO_GET}"),
    pytest.mark.skipif(os.geteuid() != 0, reason="veth pairs need root"),
]
TOPO = line(3)
#: one switch: the host h1 on port 1, the receiver h3 on port 2
PORTS = {"s1": {"h1": 1, "h3": 2, "s2": 3}, "s2": {"s1": 1, "s3": 2}, "s3": {"s2": 1}}
TID = 9
TIME_FREE = ("ip.len", "ip.proto", "ip.ttl", "l4.dport", "tcp.flags", "tcp.window", "flow.pkts", "flow.bytes",
             "flow.mean_len")
N_PACKETS = 1100


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Bmv2Switch:
    """simple_switch_grpc on two veth pairs; frames go in on port 1 and come out of port 2."""

    def __init__(self, tmp_path, build):
        tag = f"{os.getpid() % 100000}"
        self.ifs = {1: (f"pfa{tag}", f"pfb{tag}"), 2: (f"pfc{tag}", f"pfd{tag}")}
        self.proc = self.client = None
        try:
            self._start(tmp_path, build)
        except BaseException:
            self.close()
            raise

    def _start(self, tmp_path, res) -> None:
        for a, b in self.ifs.values():
            subprocess.run(["ip", "link", "add", a, "type", "veth", "peer", "name", b], check=True)
            for i in (a, b):
                subprocess.run(["sysctl", "-q", "-w", f"net.ipv6.conf.{i}.disable_ipv6=1"], check=False)
                # a 1500-byte IPv4 packet plus the inml header exceeds the default MTU
                subprocess.run(["ip", "link", "set", i, "mtu", "9000", "up"], check=True)
        self.spec = SwitchSpec(grpc_port=_free_port(), interfaces={p: ab[0] for p, ab in self.ifs.items()},
                               log_level="error")
        self.proc = subprocess.Popen(bmv2_command(self.spec, res.json_path, binary=str(TC.bmv2)),
                                     stdout=open(tmp_path / "bmv2.log", "wb"), stderr=subprocess.STDOUT)
        wait_for_port(self.spec.grpc_addr, self.spec.grpc_port, self.proc, timeout=30)
        self.info = load_p4info(res.p4info_path)
        self.json = res.json_path.read_bytes()
        self.client = P4RuntimeClient(f"127.0.0.1:{self.spec.grpc_port}", device_id=0)
        self.client.open_stream()
        self.client.arbitrate()
        self.tx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
        self.tx.bind((self.ifs[1][1], 0))
        self.rx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
        self.rx.bind((self.ifs[2][1], 0))

    def write(self, entries) -> None:
        install(self.client, self.info, entries, self.json)

    def send(self, frame: bytes, timeout: float = 2.0) -> bytes | None:
        self.tx.send(frame)
        ready, _, _ = select.select([self.rx], [], [], timeout)
        return self.rx.recv(65535) if ready else None

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for a, _ in self.ifs.values():
            subprocess.run(["ip", "link", "del", a], check=False)


@pytest.fixture(scope="module")
def trace():
    train, test = generate_trace(120, seed=1), generate_trace(60, seed=2)
    return train, test[:N_PACKETS]


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    """inml.p4 compiled by p4c once for the module (BMv2 JSON + P4Info)."""
    res = toolchain.compile_inml(tmp_path_factory.mktemp("p4"))
    assert res.returncode == 0, res.output
    return res


@pytest.fixture
def bmv2(tmp_path, build):
    sw = Bmv2Switch(tmp_path, build)
    yield sw
    sw.close()


def _entries(est, names, keep_header=True):
    task = compile_model(spec_from_estimator(est), "ids", packet_features=names, ingress="s1")
    wl = Workload((task,))
    plan = complete_plan(wl, TOPO, {mat_id(task.name, m.name): "s1" for m in task.mats}, "test")
    return realize(wl, plan, TOPO, PORTS, {task.name: TID}, version=1, deliver_to={task.name: "h3"},
                   keep_header=keep_header)["s1"]


def _fit(train, names):
    X, y = packet_dataset(train, names)
    return DecisionTreeClassifier(max_depth=8, random_state=0).fit(np.asarray(X), y)


TIMING_WORDS = [pf.BY_NAME["flow.iat"].slot, pf.BY_NAME["flow.duration"].slot]


def _mask_timing(frame: bytes) -> bytes:
    b = bytearray(frame)
    for s in TIMING_WORDS:
        off = layout.ETH_BYTES + 8 + 2 * s
        b[off:off + 2] = b"\0\0"
    return bytes(b)


def test_bmv2_equals_twin_and_sklearn_on_plain_ipv4_packets(bmv2, trace):
    train, test = trace
    est = _fit(train, TIME_FREE)
    entries = _entries(est, TIME_FREE)
    bmv2.write(entries)
    twin = SwitchChain({"s1": entries}, PORTS)
    X, _ = packet_dataset(test, TIME_FREE)
    ref = est.predict(np.asarray(X))
    same = 0
    for k, p in enumerate(test):
        got = bmv2.send(p.frame)
        assert got is not None, f"packet {k}: BMv2 sent nothing"
        (want,) = twin.send("s1", 1, p.frame, now_us=p.time_us)
        assert _mask_timing(got) == _mask_timing(want.packet), f"packet {k}: BMv2 and the twin differ"
        same += parse_inml(got).label == ref[k]
    assert same == len(test) >= 1000
    # the CRC-32 index and the eviction rule agree: two flows that collide under zlib's CRC-32
    # evict each other in the twin (flow.pkts stays 1); BMv2 must do the same
    a = ipv4_frame(0x0A000001, 0x0A010001, pf.PROTO_TCP, 100, sport=1000, dport=80, flags=0x10)
    ia = pf.flow_index(pf.parse_headers(a).five_tuple)
    b = next(f for sp in range(1001, 65536)
             if pf.flow_index(pf.parse_headers(f := ipv4_frame(0x0A000001, 0x0A010001, pf.PROTO_TCP, 100, sport=sp,
                                                                dport=80, flags=0x10)).five_tuple) == ia)
    t = test[-1].time_us
    pkts = []
    for k, f in enumerate([a, b, a, b, a, a]):
        got = bmv2.send(f)
        (want,) = twin.send("s1", 1, f, now_us=t + k)
        assert _mask_timing(got) == _mask_timing(want.packet)
        pkts.append((parse_inml(got).features >> layout.feature_shift(pf.BY_NAME["flow.pkts"].slot)) & 0xFFFF)
    assert pkts == [1, 1, 1, 1, 1, 2]


def test_bmv2_ids_labels_equal_sklearn_on_its_own_features(bmv2, trace):
    train, test = trace
    est = _fit(train, IDS_FEATURES)
    bmv2.write(_entries(est, IDS_FEATURES))
    slots = pf.slots_of(IDS_FEATURES)
    feats, labels = [], []
    for p in test:
        h = parse_inml(bmv2.send(p.frame))
        feats.append([(h.features >> layout.feature_shift(s)) & layout.FEATURE_MAX for s in slots])
        labels.append(h.label)
    assert np.array_equal(est.predict(np.asarray(feats)), np.asarray(labels))
    # the time-free words equal the host-side extraction (times come from BMv2's clock)
    X, _ = packet_dataset(test, IDS_FEATURES)
    timed = [IDS_FEATURES.index("flow.iat"), IDS_FEATURES.index("flow.duration")]
    keep = [j for j in range(len(IDS_FEATURES)) if j not in timed]
    assert np.array_equal(np.asarray(feats)[:, keep], np.asarray(X)[:, keep])
    assert max(f[timed[1]] for f in feats) > 0  # BMv2's clock advanced


def test_bmv2_last_switch_delivers_the_original_frame(bmv2, trace):
    train, test = trace
    bmv2.write(_entries(_fit(train, TIME_FREE), TIME_FREE, keep_header=False))
    for p in test[:200]:
        assert bmv2.send(p.frame) == p.frame


def _edge_frames() -> list[tuple[str, bytes]]:
    """Packets the parser must handle the way the twin does: L4 it must not read, short ones."""
    tcp = ipv4_frame(0x0A000001, 0x0A010001, pf.PROTO_TCP, 60, sport=1234, dport=443, flags=0x02, window=100)
    opts = bytearray(tcp[:34] + b"\x01\x01\x01\x01" + tcp[34:])  # 4 bytes of IPv4 options (NOPs)
    opts[14] = 0x46
    opts[16:18] = (64).to_bytes(2, "big")
    frag = bytearray(tcp)
    frag[20:22] = (0x2000 | 1).to_bytes(2, "big")  # more fragments, offset 8 bytes: not the first
    return [
        ("icmp", ipv4_frame(0x0A000002, 0x0A010002, 1, 84)),
        ("udp", ipv4_frame(0x0A000003, 0x0A010003, pf.PROTO_UDP, 76, sport=5353, dport=53)),
        ("options", bytes(opts)),
        ("fragment", bytes(frag)),
        ("truncated tcp", tcp[:14 + 20 + 10]),
        ("truncated ipv4", tcp[:14 + 12]),
        ("arp", bytes(12) + b"\x08\x06" + bytes(28)),
    ]


def test_bmv2_parses_edge_packets_like_the_twin(bmv2, trace):
    train, _ = trace
    entries = _entries(_fit(train, TIME_FREE), TIME_FREE)
    bmv2.write(entries)
    twin = SwitchChain({"s1": entries}, PORTS)
    classified = []
    for k, (what, frame) in enumerate(_edge_frames()):
        got = bmv2.send(frame, timeout=0.5)
        (want,) = twin.send("s1", 1, frame, now_us=k)
        if want.packet is None:
            assert got is None, f"{what}: the twin drops it, BMv2 sent {got.hex()}"
            continue
        assert got is not None, f"{what}: BMv2 sent nothing"
        assert _mask_timing(got) == _mask_timing(want.packet), f"{what}: BMv2 and the twin differ"
        classified.append(what)
    # every IPv4 packet the parser can extract is classified (L4 fields 0 where not parsed)
    assert classified == ["icmp", "udp", "options", "fragment", "truncated tcp"]
