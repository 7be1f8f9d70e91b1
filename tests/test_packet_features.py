"""Packet features in the data plane: a model trained on host-side features of generated IDS flows
classifies plain IPv4 packets in the switch twin by their real headers and flow state.

References not written by us: sklearn's predictions on the host-side feature vectors (labels must
be equal on every packet), zlib's CRC-32 (the flow index), and the packets' own bytes (the
receiver gets the original frame back when the last switch removes the inml header). The hosts
send no inml header: every frame injected here is plain Ethernet/IPv4/TCP|UDP."""

from __future__ import annotations

import warnings
import zlib

import numpy as np
import pytest
from sklearn.ensemble import RandomForestClassifier
from sklearn.tree import DecisionTreeClassifier

from mlcompiler.compiler import compile_model
from mlcompiler.packet_traces import (IDS_FEATURES, TracePacket, generate_trace, ipv4_frame, packet_dataset,
                                      read_pcap, write_pcap)
from mlcompiler.realize import realize
from mlcompiler.spec import spec_from_estimator
from omniplan.errors import InputError
from omniplan.plan import complete_plan
from omniplan.topology import line
from omniplan.workload import Workload, mat_id
from p4src import features as pf
from p4src import layout
from p4src.chain import SwitchChain
from p4src.pipeline import parse_inml

warnings.filterwarnings("ignore")
TOPO = line(3)
PORTS = {"s1": {"h1": 1, "s2": 2}, "s2": {"s1": 1, "s3": 2}, "s3": {"s2": 1, "h3": 3}}
TID = 7


@pytest.fixture(scope="module")
def data():
    """Train on one generated trace, classify another (held out, other seed)."""
    train, test = generate_trace(120, seed=1), generate_trace(60, seed=2)
    Xtr, ytr = packet_dataset(train)
    return np.asarray(Xtr), np.asarray(ytr), test


def _deploy(est, n_switches: int, keep_header: bool) -> SwitchChain:
    task = compile_model(spec_from_estimator(est), "ids", packet_features=IDS_FEATURES, ingress="s1")
    order = task.topological_order()
    placement = {mat_id(task.name, m): f"s{1 + (i * n_switches) // len(order)}" for i, m in enumerate(order)}
    wl = Workload((task,))
    plan = complete_plan(wl, TOPO, placement, "test")
    entries = realize(wl, plan, TOPO, PORTS, {task.name: TID}, version=1, deliver_to={task.name: "h3"},
                      keep_header=keep_header)
    assert sum(e.table == "MyIngress.task_select" for es in entries.values() for e in es) == 1
    return SwitchChain(entries, PORTS)


def _estimator(kind: str):
    if kind == "xgb":
        from xgboost import XGBClassifier

        return XGBClassifier(n_estimators=10, max_depth=4, random_state=0)
    if kind == "dt":
        return DecisionTreeClassifier(max_depth=8, random_state=0)
    return RandomForestClassifier(8, max_depth=6, random_state=0)


@pytest.mark.parametrize("kind,n_switches", [("dt", 1), ("dt", 3), ("rf", 2), ("xgb", 1)])
def test_switch_labels_equal_sklearn_on_live_packets(data, kind, n_switches):
    Xtr, ytr, test = data
    est = _estimator(kind).fit(Xtr, ytr)
    chain = _deploy(est, n_switches, keep_header=True)
    labels, feats = [], []
    for p in test:
        assert p.frame[12:14] == b"\x08\x00"  # the host sends plain IPv4
        out = chain.send("s1", PORTS["s1"]["h1"], p.frame, now_us=p.time_us)
        assert len(out) == 1 and out[0].host == "h3", out
        h = parse_inml(out[0].packet)
        assert h.task_id == TID and h.version == 1 and h.flags & layout.FLAG_DONE
        labels.append(h.label)
        feats.append([(h.features >> layout.feature_shift(s)) & layout.FEATURE_MAX for s in pf.slots_of(IDS_FEATURES)])
        assert out[0].packet[14 + layout.INML_BYTES:] == p.frame[14:]  # the IPv4 packet rides intact behind inml
    Xte, yte = packet_dataset(test)
    assert len(labels) >= 1000
    # the switch computed the host-side features from headers and its flow registers ...
    assert feats == Xte
    # ... and classified every packet as sklearn does on the same feature vectors
    ref = est.predict(np.asarray(Xte))
    assert np.array_equal(np.asarray(est.classes_)[labels], ref), f"{np.mean(np.asarray(labels) == ref):.4f}"
    assert np.mean(ref == np.asarray(yte)) > 0.9  # and the model is a useful IDS on the held-out trace


def test_last_switch_removes_the_inference_header(data):
    Xtr, ytr, test = data
    chain = _deploy(DecisionTreeClassifier(max_depth=6, random_state=0).fit(Xtr, ytr), 3, keep_header=False)
    for p in test[:300]:
        out = chain.send("s1", PORTS["s1"]["h1"], p.frame, now_us=p.time_us)
        assert [o.host for o in out] == ["h3"] and out[0].packet == p.frame


def test_non_ipv4_and_unselected_packets_are_plain_traffic(data):
    Xtr, ytr, _ = data
    chain = _deploy(DecisionTreeClassifier(max_depth=4, random_state=0).fit(Xtr, ytr), 1, keep_header=True)
    arp = bytes(12) + b"\x08\x06" + bytes(28)
    assert chain.send("s1", 1, arp, now_us=0)[0].packet is None  # l2_fwd has no entry: dropped
    assert chain.switches["s1"].flows.pkts == [0] * pf.FLOW_SLOTS  # no flow state touched
    short_ip = bytes(12) + b"\x08\x00" + bytes(10)  # IPv4 parser cannot extract: not classified
    assert chain.send("s1", 1, short_ip, now_us=0)[0].packet is None


def test_flow_index_is_crc32_of_the_five_tuple():
    ft = (0x0A000001, 0x0A010002, 6, 40000, 80)
    data = bytes.fromhex("0a000001" "0a010002" "06" "9c40" "0050")
    assert pf.flow_index(ft) == zlib.crc32(data) % pf.FLOW_SLOTS


def test_flow_state_per_packet_and_eviction_on_collision():
    t = pf.FlowTable(slots=1)  # every flow collides
    a = pf.parse_headers(ipv4_frame(1, 2, pf.PROTO_TCP, 100, sport=5, dport=80, flags=0x12, window=777))
    b = pf.parse_headers(ipv4_frame(3, 4, pf.PROTO_UDP, 60, sport=9, dport=53))
    v1 = t.update(a, 1_000)
    assert v1 == [100, 6, 64, 0, 5, 80, 0x12, 777, 1, 100 >> 6, 100, 0, 0]
    v2 = t.update(a, 1_000 + 512)
    mean16 = (100 << 4) - ((100 << 4) >> 3) + ((100 << 4) >> 3)
    assert v2[8:] == [2, 200 >> 6, mean16 >> 4, 512 >> pf.IAT_SHIFT, 512 >> pf.DURATION_SHIFT]
    v3 = t.update(b, 5_000)  # b evicts a: fresh state
    assert v3[4:6] == [9, 53] and v3[6:8] == [0, 0] and v3[8:] == [1, 0, 60, 0, 0]
    assert t.update(a, 9_000)[8] == 1  # a restarts after its eviction
    # saturation: counts and times stop at 65535
    t2 = pf.FlowTable()
    for i in range(70_000):
        v = t2.update(a, i * 10_000)
    assert v[8] == 0xFFFF and v[11] == 10_000 >> pf.IAT_SHIFT and v[12] == 0xFFFF


def test_parser_ignores_l4_behind_options_and_fragments():
    f = bytearray(ipv4_frame(1, 2, pf.PROTO_TCP, 60, sport=5, dport=80, flags=2))
    assert pf.parse_headers(bytes(f)).dport == 80
    g = bytearray(f)
    g[14] = 0x46  # IHL 6: options; inml.p4 does not parse L4 then
    assert (pf.parse_headers(bytes(g)).sport, pf.parse_headers(bytes(g)).dport) == (0, 0)
    g = bytearray(f)
    g[14 + 7] = 1  # fragment offset 1
    h = pf.parse_headers(bytes(g))
    assert (h.sport, h.tcp_flags) == (0, 0) and h.proto == 6


def test_unknown_feature_name_is_refused(data):
    Xtr, ytr, _ = data
    spec = spec_from_estimator(DecisionTreeClassifier(max_depth=2).fit(Xtr, ytr))
    names = list(IDS_FEATURES)
    names[0] = "ip.length"
    with pytest.raises(InputError, match="unknown packet feature 'ip.length'"):
        compile_model(spec, "x", packet_features=names)
    with pytest.raises(InputError, match="packet feature names"):
        compile_model(spec, "x", packet_features=names[:3])


def test_integer_thresholds_compile_exactly():
    """A port threshold of 80.5 keeps 80 left and 81 right (quantised ranges would merge them)."""
    X = np.array([[80], [81], [443], [53]] * 5)
    y = np.array([0, 1, 1, 0] * 5)
    est = DecisionTreeClassifier(random_state=0).fit(X, y)
    task = compile_model(spec_from_estimator(est), "p", packet_features=["l4.dport"])
    from mlcompiler.replay import CompiledModel
    cm = CompiledModel(task.program)
    xs = np.arange(0, 65536, 7).reshape(-1, 1)
    assert np.array_equal(cm.predict(xs), est.predict(xs))
    assert np.array_equal(cm.predict(X), est.predict(X))


def test_pcap_round_trip(tmp_path):
    trace = generate_trace(5, seed=3)
    write_pcap(tmp_path / "t.pcap", trace)
    back = read_pcap(tmp_path / "t.pcap")
    assert [(p.time_us, p.frame) for p in back] == [(p.time_us, p.frame) for p in trace]
    assert pf.extract((p.time_us, p.frame) for p in back) == pf.extract((p.time_us, p.frame) for p in trace)
    (tmp_path / "bad.pcap").write_bytes(b"\x00" * 30)
    with pytest.raises(ValueError, match="not a microsecond pcap"):
        read_pcap(tmp_path / "bad.pcap")
    assert isinstance(back[0], TracePacket)


def test_cli_compiles_a_packet_feature_model(data, tmp_path, capsys):
    import skops.io as sio

    from omniplan.workload import load_workload
    from omniplan_cli.main import main

    Xtr, ytr, _ = data
    src = tmp_path / "ids.skops"
    sio.dump(DecisionTreeClassifier(max_depth=5, random_state=0).fit(Xtr, ytr), src)
    out = tmp_path / "ids.json"
    assert main(["compile", str(src), "--out", str(out), "--packet-features", ",".join(IDS_FEATURES)]) == 0
    (task,) = load_workload(out).tasks
    assert task.program["packet_features"] == list(IDS_FEATURES)
    assert task.program["slots"] == pf.slots_of(IDS_FEATURES)
    bad = list(IDS_FEATURES)
    bad[3] = "tcp.dport"
    for argv, needle in ((["--packet-features", ",".join(bad)], "unknown packet feature 'tcp.dport'"),
                         (["--packet-features", ",".join(IDS_FEATURES), "--ranges", str(out)], "exclude each other")):
        capsys.readouterr()
        dest = tmp_path / "no.json"
        assert main(["compile", str(src), "--out", str(dest), *argv]) == 2
        err = capsys.readouterr().err
        assert needle in err and "Traceback" not in err and not dest.exists()


def test_controller_validation_accepts_packet_tasks_and_catches_a_wrong_slot(data):
    """The controller's pre-write twin check probes a packet-feature task at its catalogue slots."""
    from dataclasses import replace

    from controller.twin import validate

    Xtr, ytr, _ = data
    task = compile_model(spec_from_estimator(DecisionTreeClassifier(max_depth=6, random_state=0).fit(Xtr, ytr)), "ids",
                         packet_features=IDS_FEATURES, ingress="s1")
    wl = Workload((task,))
    order = task.topological_order()
    plan = complete_plan(wl, TOPO, {mat_id(task.name, m): f"s{1 + (i * 3) // len(order)}" for i, m in enumerate(order)},
                         "test")
    target = realize(wl, plan, TOPO, PORTS, {task.name: TID}, version=1, deliver_to={task.name: "h3"})
    report = validate(wl, plan, TOPO, PORTS, target, {task.name: TID})
    assert report.ok and report.checked[task.name] > 0, report.to_dict()
    # key_select reading the wrong slots is caught (fault injected into the entries)
    broken = {d: [replace(e, params=tuple((n, 0) for n, _ in e.params)) if e.table == "MyIngress.key_select" else e
                  for e in es] for d, es in target.items()}
    assert not validate(wl, plan, TOPO, PORTS, broken, {task.name: TID}).ok
