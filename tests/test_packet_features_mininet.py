"""In Mininet: an IDS model trained on host-side features of generated flows classifies live
plain-IPv4 packets by their real headers and flow state, split over three omniplan-switch nodes.

h1 replays a generated trace (no inference header: plain Ethernet/IPv4/TCP|UDP frames) through
s1 - s2 - s3; s1 selects the task, keeps flow state, inserts the inml header with the features;
the tables run on s1, s2 and s3; s3 delivers to h3 with the header kept (a monitor), so the test
sees for every packet the feature vector the switches used and their label. References: sklearn's
prediction on that vector (labels must be equal on every packet) and host-side extraction of the
sent trace (time-free features must be equal; the switches' clock sets the timing ones)."""

from __future__ import annotations

import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pytest

from mininet_topos.preflight import mininet_skip_reason

pytestmark = [pytest.mark.root, pytest.mark.slow,
              pytest.mark.skipif(mininet_skip_reason() is not None, reason=str(mininet_skip_reason()))]
warnings.filterwarnings("ignore")
REPO = Path(__file__).resolve().parent.parent
N_PACKETS = 1100
RATE_PPS = 250
TID = 11
#: a 1500-byte IPv4 packet plus the inml header does not fit the default 1500-byte MTU
MTU = 9000


def _set_mtu(emu) -> None:
    for node in emu.net.hosts + emu.net.switches:
        for intf in node.intfList():
            if intf.name != "lo":
                node.cmd(f"ip link set dev {intf.name} mtu {MTU}")


def test_mininet_switches_classify_plain_ipv4_like_sklearn(tmp_path):
    from sklearn.tree import DecisionTreeClassifier

    from mininet_topos.emulation import Emulation
    from mininet_topos.layout import build_layout
    from mlcompiler.compiler import compile_model
    from mlcompiler.packet_traces import IDS_FEATURES, generate_trace, packet_dataset, read_pcap, write_pcap
    from mlcompiler.realize import realize
    from mlcompiler.spec import spec_from_estimator
    from omniplan.plan import complete_plan
    from omniplan.workload import Workload, mat_id
    from p4src import features as pf
    from p4src import layout as L
    from p4src.p4info import load_p4info
    from p4src.pipeline import parse_inml
    from softswitch.client import P4RuntimeClient, install

    train, test = generate_trace(120, seed=1), generate_trace(60, seed=2)[:N_PACKETS]
    Xtr, ytr = packet_dataset(train)
    est = DecisionTreeClassifier(max_depth=8, random_state=0).fit(np.asarray(Xtr), ytr)

    lay = build_layout("line3", grpc_base_port=51950)
    devs = [s.device for s in lay.switches]
    port_map = {s.device: {**{n: p for n, p in s.neighbor_ports.items()}, **dict(s.host_ports)} for s in lay.switches}
    h1, h3 = lay.hosts_of(devs[0])[0], lay.hosts_of(devs[2])[0]
    task = compile_model(spec_from_estimator(est), "ids", packet_features=IDS_FEATURES, ingress=devs[0])
    order = task.topological_order()
    placement = {mat_id(task.name, m): devs[(i * 3) // len(order)] for i, m in enumerate(order)}
    wl = Workload((task,))
    plan = complete_plan(wl, lay.topology, placement, "test")
    entries = realize(wl, plan, lay.topology, port_map, {task.name: TID}, version=1, deliver_to={task.name: h3.name},
                      keep_header=True)
    assert set(entries) == set(devs)  # the model is split over the three switches
    pcap = tmp_path / "trace.pcap"
    write_pcap(pcap, test)
    got_pcap, ready = tmp_path / "got.pcap", tmp_path / "ready"
    info = load_p4info()
    cmd = [sys.executable, "-m", "mininet_topos.pcap_replay"]

    with Emulation(lay, "omni", link_delay=False) as emu:
        _set_mtu(emu)
        for s in lay.switches:
            with P4RuntimeClient(s.grpc_address, device_id=s.device_id) as c:
                c.open_stream()
                c.arbitrate()
                install(c, info, entries[s.device])
        rx = emu.popen(h3.name, [*cmd, "capture", f"{h3.name}-eth0", str(got_pcap), "--count", str(len(test)),
                                 "--timeout", "90", "--ready", str(ready)], cwd=REPO,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while not ready.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert ready.exists(), "the capture on h3 did not start"
        tx = emu.popen(h1.name, [*cmd, "send", f"{h1.name}-eth0", str(pcap), "--rate", str(RATE_PPS)], cwd=REPO,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        tx_out = tx.communicate(timeout=120)[0].decode()
        rx_out = rx.communicate(timeout=120)[0].decode()
    assert f"sent {len(test)}" in tx_out, tx_out
    got = read_pcap(got_pcap)
    assert len(got) == len(test), rx_out
    slots = pf.slots_of(IDS_FEATURES)
    feats, labels = [], []
    for k, (sent, p) in enumerate(zip(test, got)):
        h = parse_inml(p.frame)  # raises if the frame carries no inml header
        assert h.task_id == TID and h.flags & L.FLAG_DONE
        assert p.frame[L.ETH_BYTES + L.INML_BYTES:] == sent.frame[L.ETH_BYTES:], f"packet {k}: not the packet h1 sent"
        feats.append([(h.features >> L.feature_shift(s)) & L.FEATURE_MAX for s in slots])
        labels.append(h.label)
    # every label is sklearn's on the feature vector the switches computed ...
    assert np.array_equal(np.asarray(est.classes_)[labels], est.predict(np.asarray(feats)))
    # ... and that vector is the packet's own headers and flow state (timing: the switch clock)
    X, _ = packet_dataset(test)
    timed = [IDS_FEATURES.index("flow.iat"), IDS_FEATURES.index("flow.duration")]
    keep = [j for j in range(len(IDS_FEATURES)) if j not in timed]
    assert np.array_equal(np.asarray(feats)[:, keep], np.asarray(X)[:, keep])
    assert len(set(labels)) >= 4  # several traffic classes were told apart
