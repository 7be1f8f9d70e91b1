"""Hand-checked objective values of omniplan.evaluate on tiny instances.

Every expected number below is worked out by hand in the comments from the Tofino profile:
12 stages, 80 x 128 Kbit SRAM blocks per stage, PHV 4096 bits, 40 ns per stage, 400 ns per hop,
110 W idle + 4.5 W per used stage. One device pass = 400 + 12 * 40 = 880 ns.
"""

from __future__ import annotations

import pytest

from omniplan.evaluate import evaluate
from omniplan.plan import Plan
from omniplan.topology import line
from omniplan.workload import MAT, Dependency, Task, Workload

SRAM_PER_DEVICE = 12 * 80 * 128 * 1024  # 125_829_120 bits


def _task(name: str = "t", ingress: str | None = "s1") -> Task:
    return Task(
        name=name,
        kind="other",
        mats=(MAT("a", sram_bits=1000, phv_bits=16, stages=1), MAT("b", sram_bits=2000, phv_bits=8, stages=2)),
        deps=(Dependency("a", "b", 8),),
        ingress=ingress,
        rate_mpps=10.0,
        dispatch_sram_bits=100,
    )


def test_split_task_over_a_link():
    topo = line(2)  # s1 - s2, 5 us, 10 Gbit/s
    wl = Workload((_task(),))
    plan = Plan(placement={"t/a": "s1", "t/b": "s2"}, stages={"t/a": 0, "t/b": 0},
                routes={"t/a->b": ["s1", "s2"]})
    ev = evaluate(plan, wl, topo)
    o = ev.objectives
    # power: s1 uses stage 0 only -> 110 + 4.5 * 1 = 114.5; s2 uses stages 0-1 -> 110 + 4.5 * 2 = 119
    assert o["power"] == pytest.approx(233.5)
    # SRAM: s1 1000 + dispatch 100, s2 2000 + dispatch 100 = 3200 bits of 2 * 125_829_120
    assert o["resources"] == pytest.approx(100 * 3200 / (2 * SRAM_PER_DEVICE))
    assert ev.device_sram_bits == {"s1": 1100, "s2": 2100}
    # arc s1->s2 carries 10 Mpps * 8 bit = 80 Mbit/s of 10_000 -> 0.8 % used, 99.2 % headroom
    assert ev.arc_load_mbps == {("s1", "s2"): pytest.approx(80.0)}
    assert o["throughput"] == pytest.approx(99.2)
    # latency: a on the ingress device: 880 ns; b: 880 + 5000 (link) + 880 (pass on s2) = 6760 ns
    assert ev.task_latency_us["t"] == pytest.approx(6.76)
    assert o["latency"] == pytest.approx(6.76)
    # coordination: the only dependency (8 bits) crosses devices -> 100 %
    assert o["coordination"] == pytest.approx(100.0)
    # hops: ingress leg 0 links + dependency 1 link, one task -> 1
    assert o["hops"] == pytest.approx(1.0)
    assert o["coverage"] == pytest.approx(100.0)
    # PHV: s1 holds a (16); s2 holds b (8) plus the 8 metadata bits entering it -> 32 of 8192
    assert ev.device_phv_bits == {"s1": 16, "s2": 16}
    assert ev.phv_pct == pytest.approx(100 * 32 / 8192)


def test_task_on_one_device():
    topo = line(2)
    wl = Workload((_task(),))
    plan = Plan(placement={"t/a": "s1", "t/b": "s1"}, stages={"t/a": 0, "t/b": 1}, routes={})
    o = evaluate(plan, wl, topo).objectives
    # power: one device, stages 0..2 used (b starts at 1 and takes 2) -> 110 + 4.5 * 3 = 123.5; s2 is off
    assert o["power"] == pytest.approx(123.5)
    # SRAM: 1000 + 2000 + one dispatch table 100 = 3100 bits
    assert o["resources"] == pytest.approx(100 * 3100 / (2 * SRAM_PER_DEVICE))
    assert o["throughput"] == pytest.approx(100.0)
    # latency: one pass on s1, nothing crosses: 0.88 us
    assert o["latency"] == pytest.approx(0.88)
    assert o["coordination"] == 0.0
    assert o["hops"] == 0.0


def test_ingress_leg_counts_in_latency_and_hops_but_not_phv():
    topo = line(3)  # s1 - s2 - s3, 5 us links
    wl = Workload((_task(ingress="s3"),))
    plan = Plan(placement={"t/a": "s1", "t/b": "s1"}, stages={"t/a": 0, "t/b": 1},
                routes={"t/@ingress->a": ["s3", "s2", "s1"]})
    ev = evaluate(plan, wl, topo)
    # enter at s3 (880) + 2 links of 5000 + passes on s2 and s1 (2 * 880) = 12_640 ns
    assert ev.objectives["latency"] == pytest.approx(12.64)
    assert ev.objectives["hops"] == pytest.approx(2.0)
    # the ingress leg carries the packet, not metadata: PHV only holds the MATs' 16 + 8 bits
    assert sum(ev.device_phv_bits.values()) == 24
    assert ev.arc_load_mbps == {}


def test_partial_plan_means_over_placed_tasks_only():
    topo = line(2)
    wl = Workload((_task("t"), _task("u")))
    plan = Plan(placement={"t/a": "s1", "t/b": "s2"}, stages={"t/a": 0, "t/b": 0},
                routes={"t/a->b": ["s1", "s2"]})
    o = evaluate(plan, wl, topo).objectives
    # one of two tasks placed
    assert o["coverage"] == pytest.approx(50.0)
    # latency and hops average over the placed task only
    assert o["latency"] == pytest.approx(6.76)
    assert o["hops"] == pytest.approx(1.0)
    # coordination counts every requested dependency in the denominator: 8 of 16 bits
    assert o["coordination"] == pytest.approx(50.0)
