"""Tail-first stage schedules (experts.stage_schedule) against first-fit and the independent checker."""

from __future__ import annotations

import pytest

from experts.stage_schedule import schedule_stages, tighten_stages
from omniplan.feasibility import check_plan
from omniplan.plan import Plan, StageOverflow, assign_stages, shortest_routes
from omniplan.topology import DeviceProfile, line
from omniplan.workload import MAT, Dependency, Task, Workload

#: 3 stages of 2 TCAM bits: two one-bit tables per stage.
TIGHT = DeviceProfile(name="tight", stages=3, sram_bits_per_stage=1000, tcam_bits_per_stage=2, phv_bits=256,
                      stage_latency_ns=40, hop_latency_ns=400, idle_power_w=10.0, power_per_stage_w=1.5)


def _mat(name: str) -> MAT:
    return MAT(name, 10, tcam_bits=1, phv_bits=8)


def _fragmenting() -> Workload:
    """Two one-table tasks, then a three-table chain: first-fit in workload order fills stage 0
    with the singles and the chain's last table finds no stage; the chain first packs all five."""
    singles = [Task(f"single{i}", "dt", (_mat("a"),), ingress="s1", dispatch_sram_bits=10) for i in range(2)]
    chain = Task("chain", "dt", (_mat("c"), _mat("d"), _mat("e")), (Dependency("c", "d", 8), Dependency("d", "e", 8)),
                 ingress="s1", dispatch_sram_bits=10)
    return Workload((*singles, chain))


def test_tail_first_packs_what_first_fit_cannot():
    wl, topo = _fragmenting(), line(1, profile=TIGHT)
    placement = {mid: "s1" for mid in wl.mat_ids()}
    with pytest.raises(StageOverflow):
        assign_stages(wl, topo, placement)
    stages = schedule_stages(wl, topo, placement)
    plan = Plan(placement, stages, shortest_routes(wl, topo, placement))
    assert check_plan(plan, wl, topo, require_all=True) == []
    assert [stages[f"chain/{m}"] for m in "cde"] == [0, 1, 2]


def test_overfull_device_still_raises():
    wl, topo = _fragmenting(), line(1, profile=TIGHT)
    extra = Task("third", "dt", (_mat("a"), _mat("b")), ingress="s1", dispatch_sram_bits=10)
    wl = Workload((*wl.tasks, extra, Task("fourth", "dt", (_mat("a"),), ingress="s1", dispatch_sram_bits=10)))
    with pytest.raises(StageOverflow) as err:
        schedule_stages(wl, topo, {mid: "s1" for mid in wl.mat_ids()})  # 8 tables, 6 slots
    assert err.value.device == "s1"


def test_never_ends_later_than_first_fit_on_a_real_instance():
    # The SPD-H plan on Abilene[8] / 30 compiled tasks: every device's schedule is valid (the
    # checker) and ends no later than first-fit's; tighten_stages keeps the plan valid.
    from experts.registry import PlanRequest, get
    from omniplan.topology import load_topology
    from omniplan.workload import generate_compiled_workload

    topo = load_topology("abilene").subset(8)
    wl = generate_compiled_workload(30, 3, [d.name for d in topo.devices])
    plan = get("spd-h").solve(PlanRequest(wl, topo))
    mats = wl.mats()

    def ends(stages):
        out: dict[str, int] = {}
        for mid, s in stages.items():
            d = plan.placement[mid]
            out[d] = max(out.get(d, 0), s + mats[mid].stages)
        return out

    first = ends(assign_stages(wl, topo, plan.placement))
    ours = schedule_stages(wl, topo, plan.placement)
    assert all(e <= first[d] for d, e in ends(ours).items())
    again = Plan(dict(plan.placement), ours, dict(plan.routes))
    assert check_plan(again, wl, topo, require_all=True) == []
    tight = Plan(dict(plan.placement), tighten_stages(wl, topo, plan.placement, plan.stages), dict(plan.routes))
    assert check_plan(tight, wl, topo, require_all=True) == []
    assert sum(ends(tight.stages).values()) <= sum(ends(plan.stages).values())
