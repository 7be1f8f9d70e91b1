"""Hand-checked objective values of omniplan.evaluate (and the checker) on tiny instances.

Every expected number below is worked out by hand in the comments from the Tofino profile:
12 stages, 80 x 128 Kbit SRAM blocks per stage, PHV 4096 bits, 40 ns per stage, 400 ns per hop,
110 W idle + 4.5 W per used stage. One device pass = 400 + 12 * 40 = 880 ns. ``line(n)`` has
5 us, 10 Gbit/s links. The traffic model is omniplan/walk.py: ingress -> hosts in DAG order -> egress.
"""

from __future__ import annotations

import pytest

from omniplan.evaluate import evaluate
from omniplan.feasibility import check_plan
from omniplan.plan import Plan, assign_stages, complete_plan
from omniplan.topology import line
from omniplan.workload import MAT, Dependency, Task, Workload

SRAM_PER_DEVICE = 12 * 80 * 128 * 1024  # 125_829_120 bits


def _task(name: str = "t", ingress: str | None = "s1", egress: str | None = None, packet_bytes: int = 0) -> Task:
    return Task(
        name=name,
        kind="other",
        mats=(MAT("a", sram_bits=1000, phv_bits=16, stages=1), MAT("b", sram_bits=2000, phv_bits=8, stages=2)),
        deps=(Dependency("a", "b", 8),),
        ingress=ingress,
        egress=egress,
        rate_mpps=10.0,
        packet_bytes=packet_bytes,
        dispatch_sram_bits=100,
    )


def test_split_task_on_a_three_switch_line_from_ingress_to_egress():
    topo = line(3)  # s1 - s2 - s3
    wl = Workload((_task(ingress="s1", egress="s3", packet_bytes=100),))
    plan = complete_plan(wl, topo, {"t/a": "s1", "t/b": "s2"}, "hand")
    ev = evaluate(plan, wl, topo)
    o = ev.objectives
    # walk: s1 (a runs) -> s2 (b runs) -> s3 (egress): 3 passes + 2 links = 2640 + 10000 ns
    assert ev.walks["t"].devices == ["s1", "s2", "s3"]
    assert o["latency"] == pytest.approx(12.64)
    # hops: the walk's 2 links, counted once
    assert o["hops"] == pytest.approx(2.0)
    # links: s1->s2 carries the packet (800 bit) + a->b metadata (8 bit) at 10 Mpps = 8080 Mbit/s,
    # s2->s3 the packet only = 8000 Mbit/s; busiest 80.8 % of 10 Gbit/s -> headroom 19.2 %
    assert ev.arc_load_mbps == {("s1", "s2"): pytest.approx(8080.0), ("s2", "s3"): pytest.approx(8000.0)}
    assert o["throughput"] == pytest.approx(19.2)
    # power: s1 stage 0 only -> 110 + 4.5 = 114.5; s2 runs b in stages 0-1 -> 110 + 9 = 119
    assert o["power"] == pytest.approx(233.5)
    # SRAM: 1000 + 2000 + a dispatch table (100) on each of the two hosts
    assert o["resources"] == pytest.approx(100 * 3200 / (3 * SRAM_PER_DEVICE))
    # coordination: the only dependency crosses devices -> 100 %
    assert o["coordination"] == pytest.approx(100.0)
    # PHV per packet: s1 holds a's 16 bits; s2 b's 8 + 8 bits of metadata carried in -> peak 16 of 4096
    assert ev.walks["t"].phv_bits == [16, 16, 0]
    assert ev.phv_pct == pytest.approx(100 * 16 / 4096)
    # split, but on the s1 -> s3 path
    assert ev.split_pct == 100.0 and ev.off_path_pct == 0.0
    assert check_plan(plan, wl, topo) == []


def test_split_task_off_its_path_walks_there_and_back():
    topo = line(3)
    wl = Workload((_task(ingress="s1", egress="s2", packet_bytes=100),))
    plan = complete_plan(wl, topo, {"t/a": "s1", "t/b": "s3"}, "hand")
    ev = evaluate(plan, wl, topo)
    # walk s1 (a) -> s2 -> s3 (b) -> s2 (egress): 4 passes + 3 links = 3520 + 15000 ns
    assert ev.walks["t"].devices == ["s1", "s2", "s3", "s2"]
    assert ev.objectives["latency"] == pytest.approx(18.52)
    assert ev.objectives["hops"] == pytest.approx(3.0)
    # metadata rides s1->s2->s3 (until b runs), the packet rides all three links
    assert ev.arc_load_mbps == {("s1", "s2"): pytest.approx(8080.0), ("s2", "s3"): pytest.approx(8080.0),
                                ("s3", "s2"): pytest.approx(8000.0)}
    # s3 is not on the lowest-latency s1 -> s2 path
    assert ev.off_path_pct == 100.0


def test_task_whole_on_its_ingress_with_default_egress():
    topo = line(2)
    wl = Workload((_task(),))  # no egress: leaves where it entered (older workloads)
    plan = Plan(placement={"t/a": "s1", "t/b": "s1"}, stages={"t/a": 0, "t/b": 1}, routes={})
    o = evaluate(plan, wl, topo).objectives
    # power: one device, stages 0..2 used (b starts at 1 and takes 2) -> 110 + 4.5 * 3 = 123.5
    assert o["power"] == pytest.approx(123.5)
    assert o["resources"] == pytest.approx(100 * 3100 / (2 * SRAM_PER_DEVICE))
    assert o["throughput"] == pytest.approx(100.0)
    # one pass on s1
    assert o["latency"] == pytest.approx(0.88)
    assert o["coordination"] == 0.0
    assert o["hops"] == 0.0


def test_remote_task_with_default_egress_returns_to_the_ingress():
    topo = line(3)
    wl = Workload((_task(ingress="s3"),))
    plan = complete_plan(wl, topo, {"t/a": "s1", "t/b": "s1"}, "hand")
    ev = evaluate(plan, wl, topo)
    # s3 -> s2 -> s1 (a, b) -> s2 -> s3: 5 passes + 4 links = 4400 + 20000 ns; nothing counted twice
    assert ev.walks["t"].devices == ["s3", "s2", "s1", "s2", "s3"]
    assert ev.objectives["latency"] == pytest.approx(24.4)
    assert ev.objectives["hops"] == pytest.approx(4.0)
    # no packet size given and no metadata crosses: no link load
    assert ev.arc_load_mbps == {}


def test_partial_plan_means_over_placed_tasks_only():
    topo = line(2)
    wl = Workload((_task("t", egress="s2"), _task("u")))
    plan = complete_plan(wl, topo, {"t/a": "s1", "t/b": "s2"}, "hand")
    o = evaluate(plan, wl, topo).objectives
    assert o["coverage"] == pytest.approx(50.0)
    # t: s1 -> s2, 2 passes + 1 link = 1760 + 5000 ns
    assert o["latency"] == pytest.approx(6.76)
    assert o["hops"] == pytest.approx(1.0)
    # coordination counts every requested dependency in the denominator: 8 of 16 bits
    assert o["coordination"] == pytest.approx(50.0)


def test_checker_rejects_a_walk_that_skips_a_host_or_the_egress():
    topo = line(3)
    wl = Workload((_task(ingress="s1", egress="s3"),))
    plan = complete_plan(wl, topo, {"t/a": "s2", "t/b": "s1"}, "hand")
    assert check_plan(plan, wl, topo) == []  # default walk s1 -> s2 (a) -> s1 (b) -> s2 -> s3
    plan.routes["t/@walk"] = ["s1", "s2", "s3"]  # b's device s1 never comes after a's
    assert any(v.constraint == "walk" for v in check_plan(plan, wl, topo))
    plan.routes["t/@walk"] = ["s1", "s2", "s1", "s2"]  # ends at s2, the egress is s3
    assert any(v.constraint == "walk" for v in check_plan(plan, wl, topo))
    plan.routes["t/@walk"] = ["s1", "s3"]  # not a link
    assert any(v.constraint in ("walk", "routing") for v in check_plan(plan, wl, topo))


def test_per_stage_capacity_is_checked_and_the_schedule_spreads_tables():
    topo = line(1)
    # two 40,000-entry tables: together over one stage's 65,536 entries (inml.p4's stage table size)
    big = Task(name="t", kind="other", mats=(MAT("x", sram_bits=1024, entries=40_000), MAT("y", sram_bits=1024, entries=40_000)),
               ingress="s1")
    wl = Workload((big,))
    crowded = Plan(placement={"t/x": "s1", "t/y": "s1"}, stages={"t/x": 0, "t/y": 0}, routes={})
    bad = check_plan(crowded, wl, topo)
    assert [v.constraint for v in bad] == ["stage-capacity"]
    assert "80000 of 65536 entries" in str(bad[0])
    # the first-fit schedule puts y in the next stage
    assert assign_stages(wl, topo, crowded.placement) == {"t/x": 0, "t/y": 1}
    # one stage's SRAM (80 blocks of 128 Kbit) is also per stage, not pooled per device
    sram_task = Task(name="u", kind="other", mats=tuple(MAT(f"m{i}", sram_bits=6 * 1024 * 1024) for i in range(2)),
                     ingress="s1")
    wl2 = Workload((sram_task,))
    plan2 = Plan(placement={"u/m0": "s1", "u/m1": "s1"}, stages={"u/m0": 3, "u/m1": 3}, routes={})
    assert [v.constraint for v in check_plan(plan2, wl2, topo)] == ["stage-capacity"]
