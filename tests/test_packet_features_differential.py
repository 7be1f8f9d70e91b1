"""Packet features on three switches, BMv2 against omniplan-switch, programmed by the controller.

The 3-switch line s1-s2-s3 of BMv2 simple_switch_grpc (p4c's build of inml.p4) and of
omniplan-switch, each kind as processes on veths in a private network namespace, both programmed
through the controller's southbound
(finsy: P4Info + BMv2 JSON, then the realised entries, task_select and deliver included). h1
sends 1,100 held-out packets of a generated IDS trace as plain IPv4; s1 keeps the flow state and
inserts the inml header, the tables are split over s1..s3, s3 delivers to h3 with the header kept.
* a model on time-free features: every frame out of BMv2 equals omniplan-switch's, byte for byte
  except the two timing words (each switch stamps its own clock), and every label equals sklearn's
  on the host-side features of the packet;
* the IDS model on all features: in each network every label equals sklearn's on the feature
  vector that network computed, and its time-free words equal host-side extraction;
* two flows that collide under zlib's CRC-32 evict each other alike (flow index and collision
  rule agree; BMv2's P4Runtime server cannot read registers, so this is how the hash is checked);
* edge packets (ICMP, UDP, IPv4 options, a non-first fragment, truncated TCP) are classified
  alike with the L4 fields 0 where not parsed; truncated IPv4 and ARP are dropped alike;
* with deliver_plain, h3 gets back exactly the frames h1 sent.
"""

from __future__ import annotations

import subprocess
import warnings
from collections import defaultdict

import numpy as np
import pytest
from sklearn.tree import DecisionTreeClassifier

from controller.switch_networks import NamespaceSwitchNetwork, push
from mlcompiler.compiler import compile_model
from mlcompiler.packet_traces import IDS_FEATURES, generate_trace, ipv4_frame, packet_dataset
from mlcompiler.realize import realize
from mlcompiler.spec import spec_from_estimator
from omniplan.plan import complete_plan
from omniplan.topology import line
from omniplan.workload import Workload, mat_id
from p4src import features as pf
from p4src import layout as L
from p4src.pipeline import parse_inml

pytestmark = pytest.mark.slow
warnings.filterwarnings("ignore")
TOPO = line(3)
PORTS = {"s1": {"h1": 1, "s2": 2}, "s2": {"s1": 1, "s3": 2}, "s3": {"s2": 1, "h3": 3}}
TID = 21
N_PACKETS = 1100
TIME_FREE = ("ip.len", "ip.proto", "ip.ttl", "l4.dport", "tcp.flags", "tcp.window", "flow.pkts", "flow.bytes",
             "flow.mean_len")
TIMED = ("flow.iat", "flow.duration")
#: a 1500-byte IPv4 packet plus the inml header does not fit veth's default 1500-byte MTU
MTU = 9000


@pytest.fixture(scope="module")
def trace():
    """Training and held-out packets; each held-out frame's last 4 bytes carry its sequence number
    (they are TCP/UDP payload, checksum or urgent pointer: no feature reads them)."""
    train, test = generate_trace(120, seed=1), generate_trace(60, seed=2)[:N_PACKETS]
    frames = [p.frame[:-4] + k.to_bytes(4, "big") for k, p in enumerate(test)]
    assert pf.extract((p.time_us, f) for p, f in zip(test, frames)) == pf.extract((p.time_us, p.frame) for p in test)
    return train, test, frames


def _set_mtu(netns: str) -> None:
    links = subprocess.run(["ip", "-n", netns, "-o", "link"], check=True, capture_output=True, text=True)
    for entry in links.stdout.splitlines():
        name = entry.split(":")[1].strip().split("@")[0]
        if name != "lo":
            subprocess.run(["ip", "-n", netns, "link", "set", name, "mtu", str(MTU)], check=True)


@pytest.fixture
def networks(bmv2_program):
    """omniplan-switch and BMv2 networks, fresh per test: flow registers outlive table entries
    (and BMv2's P4Runtime server answers UNIMPLEMENTED to register reads)."""
    nets: list[NamespaceSwitchNetwork] = []
    try:
        for kind in ("omni", "bmv2"):
            nets.append(NamespaceSwitchNetwork(PORTS, kind=kind))
            _set_mtu(nets[-1].net.netns)
        yield tuple(nets)
    finally:
        for net in nets:
            net.close()


def _entries(est, names, keep_header=True):
    task = compile_model(spec_from_estimator(est), "ids", packet_features=names, ingress="s1")
    order = task.topological_order()
    placement = {mat_id(task.name, m): f"s{1 + (i * 3) // len(order)}" for i, m in enumerate(order)}
    wl = Workload((task,))
    plan = complete_plan(wl, TOPO, placement, "test")
    assert len(set(plan.placement.values())) == 3
    return realize(wl, plan, TOPO, PORTS, {task.name: TID}, version=1, deliver_to={task.name: "h3"},
                   keep_header=keep_header)


def _delivered(net, frames) -> dict[int, bytes]:
    """Sequence number -> the frame h3 got for it (at most one each, all from s3)."""
    got = defaultdict(list)
    for dev, host, frame in net.exchange([("s1", "h1", f) for f in frames]):
        got[int.from_bytes(frame[-4:], "big")].append((dev, host, frame))
    assert all(len(v) == 1 and v[0][:2] == ("s3", "h3") for v in got.values()), net.kind
    return {k: v[0][2] for k, v in got.items()}


def _run(net, frames) -> list[bytes]:
    """The frame h3 got for each sequence number (exactly one each)."""
    got = _delivered(net, frames)
    assert sorted(got) == list(range(len(frames))), f"{net.kind} delivered {len(got)} of {len(frames)} packets"
    return [got[k] for k in range(len(frames))]


def _features(frame: bytes, names) -> list[int]:
    h = parse_inml(frame)
    assert h.task_id == TID and h.version == 1 and h.flags & L.FLAG_DONE
    return [(h.features >> L.feature_shift(s)) & L.FEATURE_MAX for s in pf.slots_of(names)]


def _mask_timing(frame: bytes) -> bytes:
    b = bytearray(frame)
    for name in TIMED:
        off = L.ETH_BYTES + 8 + 2 * pf.BY_NAME[name].slot
        b[off:off + 2] = b"\0\0"
    return bytes(b)


def test_time_free_model_bmv2_equals_omniplan_switch_and_sklearn(networks, trace):
    omni, bmv2 = networks
    train, test, frames = trace
    X, y = packet_dataset(train, TIME_FREE)
    est = DecisionTreeClassifier(max_depth=8, random_state=0).fit(np.asarray(X), y)
    entries = _entries(est, TIME_FREE)
    for net in (omni, bmv2):
        push(net, entries)
    out_omni, out_bmv2 = _run(omni, frames), _run(bmv2, frames)
    differing = [k for k, (a, b) in enumerate(zip(out_omni, out_bmv2)) if _mask_timing(a) != _mask_timing(b)]
    assert not differing, f"{len(differing)} of {len(frames)} frames differ, first {differing[:5]}"
    Xte, _ = packet_dataset(test, TIME_FREE)
    assert [_features(f, TIME_FREE) for f in out_bmv2] == Xte
    labels = [parse_inml(f).label for f in out_bmv2]
    assert np.array_equal(np.asarray(est.classes_)[labels], est.predict(np.asarray(Xte)))


def test_ids_model_labels_equal_sklearn_on_each_networks_features(networks, trace):
    train, test, frames = trace
    X, y = packet_dataset(train, IDS_FEATURES)
    est = DecisionTreeClassifier(max_depth=8, random_state=0).fit(np.asarray(X), y)
    entries = _entries(est, IDS_FEATURES)
    Xte, _ = packet_dataset(test, IDS_FEATURES)
    keep = [j for j, n in enumerate(IDS_FEATURES) if n not in TIMED]
    for net in networks:
        push(net, entries)
        out = _run(net, frames)
        feats = np.asarray([_features(f, IDS_FEATURES) for f in out])
        labels = [parse_inml(f).label for f in out]
        assert np.array_equal(np.asarray(est.classes_)[labels], est.predict(feats)), net.kind
        assert np.array_equal(feats[:, keep], np.asarray(Xte)[:, keep]), net.kind


def _fit(train, names):
    X, y = packet_dataset(train, names)
    return DecisionTreeClassifier(max_depth=8, random_state=0).fit(np.asarray(X), y)


def test_crc32_collisions_evict_alike(networks, trace):
    train, _, _ = trace
    entries = _entries(_fit(train, TIME_FREE), TIME_FREE)

    def frame(sport: int) -> bytes:
        return ipv4_frame(0x0A000001, 0x0A010001, pf.PROTO_TCP, 100, sport=sport, dport=80, flags=0x10)

    ia = pf.flow_index(pf.parse_headers(frame(1000)).five_tuple)
    b = next(sp for sp in range(1001, 65536) if pf.flow_index(pf.parse_headers(frame(sp)).five_tuple) == ia)
    seq = [frame(sp)[:-4] + k.to_bytes(4, "big") for k, sp in enumerate([1000, b, 1000, b, 1000, 1000])]
    outs = []
    for net in networks:
        push(net, entries)
        outs.append([_mask_timing(f) for f in _run(net, seq)])
    assert outs[0] == outs[1]
    pkts = [_features(f, ["flow.pkts"])[0] for f in outs[1]]
    assert pkts == [1, 1, 1, 1, 1, 2]  # zlib's CRC-32 collision: each packet evicts the other flow


def _edge_frames() -> list[tuple[str, bytes]]:
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
        ("truncated tcp", tcp[:14 + 20 + 6]),
        ("truncated ipv4", tcp[:14 + 8]),
        ("arp", bytes(12) + b"\x08\x06" + bytes(24)),
    ]


def test_edge_packets_are_parsed_alike(networks, trace):
    train, _, _ = trace
    entries = _entries(_fit(train, TIME_FREE), TIME_FREE)
    edges = _edge_frames()
    frames = [f + k.to_bytes(4, "big") for k, (_, f) in enumerate(edges)]  # the sequence number rides at the end
    outs = []
    for net in networks:
        push(net, entries)
        outs.append({k: _mask_timing(f) for k, f in _delivered(net, frames).items()})
    assert outs[0] == outs[1]
    assert [edges[k][0] for k in sorted(outs[1])] == ["icmp", "udp", "options", "fragment", "truncated tcp"]
    l4 = [_features(outs[1][k], ["l4.dport", "tcp.flags"]) for k in sorted(outs[1])]
    assert l4 == [[0, 0], [53, 0], [0, 0], [0, 0], [0, 0]]  # L4 only behind a plain, first-fragment header


def test_deliver_plain_gives_back_the_sent_frames(networks, trace):
    train, _, frames = trace
    entries = _entries(_fit(train, TIME_FREE), TIME_FREE, keep_header=False)
    for net in networks:
        push(net, entries)
        assert _run(net, frames[:300]) == frames[:300], net.kind
