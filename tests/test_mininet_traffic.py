"""The traffic codec against the real realizer and pipeline twin, hop by hop over the emulation's port map.

No root needed: each switch of a line3 layout runs ``p4src.pipeline.InferencePipeline`` with the
entries ``mlcompiler.realize`` makes from a plan and the port map of our generated switch list;
a frame from ``encode_frame`` is carried from port to port along the layout's links. This pins
the contract the Mininet end-to-end test relies on: the header we write is the one the program
parses, the label it writes is sklearn's, the trailer (sequence number) survives, and the packet
is delivered to the host of the last MAT's switch.
"""

from __future__ import annotations

import dataclasses

import pytest

from mininet_topos.demo_model import build
from mininet_topos.layout import build_layout
from mininet_topos.traffic import Samples, check_delivery, decode_frame, encode_frame

realize_mod = pytest.importorskip("mlcompiler.realize")
pipeline_mod = pytest.importorskip("p4src.pipeline")


def _carry(layout, tables, frame: bytes, switch: str, port: int, max_hops: int = 20):
    """Run the frame through switches until it leaves on a host port; returns (host, frame)."""
    pipes = {s.name: pipeline_mod.InferencePipeline() for s in layout.switches}
    peer = {}
    for l in layout.links:
        peer[(l.a, l.a_port)] = (l.b, l.b_port)
        peer[(l.b, l.b_port)] = (l.a, l.a_port)
    for _ in range(max_hops):
        dev = layout.switch(switch).device
        out = pipes[switch].process(frame, port, tables.get(dev, {}))
        if not out:
            return None, None
        (egress, frame), = out
        if (switch, egress) in peer:
            switch, port = peer[(switch, egress)]
            continue
        hosts = [h.name for h in layout.hosts_of(switch) if h.port == egress]
        return (hosts[0] if hosts else f"{switch}:{egress}"), frame
    raise AssertionError("packet looped")


@pytest.mark.slow
@pytest.mark.parametrize("spread", [False, True], ids=["one-switch", "spread-over-3"])
def test_frames_are_classified_like_sklearn_along_the_line(spread):
    from controller.config import parse_switches, port_map
    from omniplan.plan import complete_plan
    from omniplan.workload import Workload, mat_id

    layout = build_layout("line3")
    task, samples = build("rf", ingress="s1", n_samples=30)
    devices = ["s1", "s2", "s3"]
    # The task's traffic leaves where its last MAT runs, so the walk ends there (omniplan/walk.py:
    # ingress -> hosting devices in DAG order -> egress; without an egress it returns to s1).
    task = dataclasses.replace(task, egress=devices[2] if spread else "s1")
    wl = Workload((task,))
    names = [m.name for m in task.mats]
    placement = {mat_id(task.name, m): (devices[min(i * 3 // len(names), 2)] if spread else "s1")
                 for i, m in enumerate(names)}
    plan = complete_plan(wl, layout.topology, placement, "test")
    pm = port_map(parse_switches(layout.switch_list_document()))
    entries = realize_mod.realize(wl, plan, layout.topology, pm, {task.name: samples.task_id}, version=3)
    tables = {}
    for dev, ents in entries.items():
        for e in ents:
            tables.setdefault(dev, {}).setdefault(e.table, []).append(e)
    h1 = layout.host("h1")
    rx = {"packets": {}, "duplicates": 0}
    last_dev = placement[mat_id(task.name, names[-1])]
    for seq, feats in enumerate(samples.features):
        frame = encode_frame("ff:ff:ff:ff:ff:ff", h1.mac, samples.task_id, feats, seq + 1000, seq)
        host, out = _carry(layout, tables, frame, "s1", h1.port)
        assert host == layout.hosts_of(last_dev)[0].name
        d = decode_frame(out)
        assert d is not None and d.seq == seq + 1000 and d.sample == seq and d.version == 3
        rx["packets"][str(d.seq)] = [d.label, d.flags, d.version, d.sample, 0]
    report = check_delivery(len(samples.features), rx, Samples(1, samples.features, samples.expected),
                            range(1000, 1000 + len(samples.features)))
    assert report.ok, report.summary()


def test_check_delivery_reports_each_kind_of_failure():
    samples = Samples(1, [[0], [0], [0], [0]], expected=[0, 1, 2, 0])
    rx = {"packets": {"0": [0, 1, 1, 0, 0], "1": [2, 1, 1, 1, 0], "3": [0, 0, 1, 3, 0]}, "duplicates": 1}
    report = check_delivery(4, rx, samples)
    assert report.lost == [2] and report.misclassified == [1] and report.not_done == [3] and report.duplicates == 1
    assert not report.ok and "lost 1" in report.summary()


def test_decode_ignores_foreign_frames():
    assert decode_frame(b"\xff" * 12 + b"\x08\x00" + bytes(400)) is None
    frame = encode_frame("00:00:00:00:00:02", "00:00:00:00:00:01", 5, [1, 2, 3], 7, 1)
    assert decode_frame(frame[:-1]) is None
    d = decode_frame(frame)
    assert (d.task_id, d.seq, d.sample, d.label, d.flags) == (5, 7, 1, 0, 0)


def test_lost_counts_only_packets_due_after_the_first_deploy():
    """The `make run` line's lost counter, from a sender's --progress output (schedule: 100 pkt/s from t=10 s)."""
    from mininet_topos.run import after_deploy
    from mininet_topos.traffic import SenderProgress

    s = 1_000_000_000
    progress = SenderProgress.parse(f"start {10 * s} 100 500\nsent 100 {11 * s}\nsent 2")  # last line cut short
    assert (progress.started_ns, progress.rate_pps, progress.seq_start, progress.sent) == (10 * s, 100.0, 500, 100)
    assert progress.first_seq_due_after(10.5 * s) == 550 and progress.first_seq_due_after(9 * s) == 500
    assert progress.sent_before(10.9 * s) == 500 and progress.sent_before(11 * s) == 600
    received = {str(q): [0] for q in range(500, 600) if q not in (560, 561)}
    # deploy at 10.5 s; live: only packets sent more than a second before `now` count
    assert after_deploy(progress, 10.5 * s, received, now_ns=12.0 * s) == (50, 2)
    assert after_deploy(progress, 10.5 * s, received, now_ns=11.5 * s) == (0, 0)  # all may still be in flight
    assert after_deploy(progress, 10.5 * s, received, upto=600) == (50, 2)  # final: the sender's exact end
    assert after_deploy(progress, None, received) is None and after_deploy(None, 10.5 * s, received) is None
    assert SenderProgress.parse("sent 5 123") is None  # no schedule line: not a sender log
