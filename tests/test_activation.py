"""Algorithm 1 (dual-channel expert activation): which experts run for which preference, how the
MIP is configured and warm-started, which plan is chosen, and how failures degrade."""

from __future__ import annotations

import math

import pytest

from experts import registry
from experts.activation import DEFAULT_FAST_EXPERT, MIP_EXPERT, activate, cosine, run_single, select_experts
from experts.registry import Expert, PlanRequest, capability
from omniplan.errors import InfeasibleError, InputError
from omniplan.feasibility import check_plan
from omniplan.objectives import OBJECTIVES, Preference
from omniplan.topology import load_topology
from omniplan.workload import generate_workload


@pytest.fixture(scope="module")
def abilene():
    return load_topology("abilene")


@pytest.fixture(scope="module")
def small(abilene):
    return generate_workload(6, 3, ingress_choices=[d.name for d in abilene.devices])


def _mip_available() -> bool:
    try:
        registry.get(MIP_EXPERT)
    except KeyError:
        return False
    return True


def test_cosine():
    assert cosine([1, 0], [1, 0]) == pytest.approx(1.0)
    assert cosine([1, 0], [0, 1]) == 0.0
    assert cosine([0, 0], [1, 1]) == 0.0
    assert cosine([1, 1], [1, 0]) == pytest.approx(1 / math.sqrt(2))


@pytest.mark.parametrize("objective", OBJECTIVES)
def test_dominant_objective_activates_a_capability_one_fast_expert(objective):
    # normalised: objective 1 / 1.05 = 0.952 >= tau, latency 0.048
    sel = select_experts(Preference({objective: 1.0, **({"latency": 0.05} if objective != "latency" else {})}))
    assert sel.rule == "dominant" and sel.dominant == objective and not sel.use_mip
    first = registry.get(sel.fast[0])
    assert first.fast
    assert first.capability[OBJECTIVES.index(objective)] == 1.0
    # Among the eligible experts (capability 1), the first has the best cosine similarity.
    i = OBJECTIVES.index(objective)
    eligible = [e for e in registry.fast_experts() if e.capability[i] == 1.0]
    assert sel.similarities[first.name] == max(sel.similarities[e.name] for e in eligible)


def test_dominant_respects_tau():
    # normalised s = (latency 0.85 / 1.05 = 0.81, power 0.19): over 0.8, under 0.9
    pref = Preference({"latency": 0.85, "power": 0.2})
    assert select_experts(pref, tau=0.9).rule == "mixed"
    assert select_experts(pref, tau=0.8).rule == "dominant"


@pytest.mark.parametrize("intensity", [0.3, 0.75, 1.0])
def test_a_single_objective_at_any_intensity_takes_the_fast_channel(intensity):
    # The paper thresholds s, "a normalized preference vector": "minimize latency" translated to
    # latency=0.75 and nothing else is one dominant objective (s_latency = 1), not a mixed intent.
    sel = select_experts(Preference({"latency": intensity}))
    assert sel.rule == "dominant" and sel.dominant == "latency" and not sel.use_mip


def test_two_objectives_asked_alike_take_the_mip_channel():
    sel = select_experts(Preference({"latency": 1.0, "resources": 0.3}))  # s = (0.77, 0.23)
    assert sel.rule == "mixed" and sel.use_mip


@pytest.mark.parametrize("text", ["latency=1,power=1", "latency=0.5,resources=0.5", "hops=0.3,coverage=0.6,power=0.2"])
def test_mixed_preference_best_cosine_fast_expert_plus_mip(text):
    pref = Preference.parse(text)
    sel = select_experts(pref)
    assert sel.rule == "mixed" and sel.use_mip
    s = pref.as_list()
    best = max(cosine(e.capability, s) for e in registry.fast_experts())
    assert cosine(registry.get(sel.fast[0]).capability, s) == pytest.approx(best)
    assert all(registry.get(n).fast for n in sel.fast)


def test_zero_preference_runs_the_default_fast_expert_alone():
    sel = select_experts(Preference({}))
    assert sel.rule == "default" and not sel.use_mip
    assert sel.fast[0] == DEFAULT_FAST_EXPERT


def test_bad_tau():
    with pytest.raises(InputError, match="tau"):
        select_experts(Preference({"latency": 1}), tau=1.5)


def test_dominant_runs_only_the_fast_expert(small, abilene):
    res = activate(Preference({"coverage": 1.0}), small, abilene)
    assert res.selection.rule == "dominant"
    assert res.chosen in {r.name for r in res.runs}
    assert all(r.role == "fast" for r in res.runs)
    run = res.chosen_run
    assert registry.get(run.name).capability[OBJECTIVES.index("coverage")] == 1.0
    assert check_plan(res.plan, small, abilene, require_all=True) == []
    assert res.evaluation.objectives["coverage"] == 100.0
    d = res.as_dict()
    assert d["rule"] == "dominant" and d["activated"] == res.activated and d["chosen"] == res.chosen
    assert d["runs"][-1]["objectives"]["coverage"] == 100.0


def test_failing_fast_expert_falls_back_to_the_next(small, abilene, monkeypatch):
    # A test-only expert that always fails (it stands in for e.g. a DRL policy that is not trained).
    def fail(request: PlanRequest):
        raise InfeasibleError("test expert: always infeasible")

    broken = Expert("test-broken", "heuristic", capability(throughput=1.0, coordination=1.0), fail)
    monkeypatch.setitem(registry._REGISTRY, broken.name, broken)
    res = activate(Preference({"throughput": 1.0, "coordination": 0.5}), small, abilene)
    assert res.runs[0].name == "test-broken" and res.runs[0].status == "INFEASIBLE"
    assert res.chosen != "test-broken" and res.chosen_run.ok
    assert any("test-broken" in n for n in res.notes)


@pytest.mark.slow
def test_mixed_runs_mip_warm_started_and_chooses_by_weighted_cost(small, abilene):
    if not _mip_available():
        res = activate(Preference.parse("power=1,latency=1"), small, abilene, time_limit_s=5)
        assert any("not registered" in n for n in res.notes)
        return
    seen = {}

    def configure(pref, request):
        # The hook sees the preference and the instance; it returns the MIP's weights.
        seen["pref"], seen["tasks"] = pref, len(request.workload.tasks)
        return [0.6, 0.0, 0.0, 0.4, 0.0, 0.0, 0.0]

    res = activate(Preference.parse("power=1,latency=1"), small, abilene, time_limit_s=20, configure=configure,
                   skip_mip_at_bound=False)
    assert res.selection.rule == "mixed"
    assert [r.role for r in res.runs][-1] == "mip" and res.runs[-1].name == MIP_EXPERT
    assert seen == {"pref": Preference.parse("power=1,latency=1"), "tasks": len(small.tasks)}
    assert res.mip_weights == [0.6, 0.0, 0.0, 0.4, 0.0, 0.0, 0.0]
    assert res.compare_weights == pytest.approx([0.5, 0, 0, 0.5, 0, 0, 0])
    fast, mip = res.runs[-2], res.runs[-1]
    assert fast.role == "fast" and fast.ok
    # The MIP got the fast plan as its hint.
    assert mip.plan is not None and mip.plan.info.get("warm_start")
    if mip.ok and mip.weighted_cost <= fast.weighted_cost + 1e-9:
        assert res.chosen == MIP_EXPERT
    else:
        assert res.chosen == fast.name
    assert check_plan(res.plan, small, abilene, require_all=True) == []


def test_mixed_skips_the_mip_when_the_fast_plan_is_at_the_lower_bound(small, abilene):
    if not _mip_available():
        pytest.skip("the bound comes from the MIP's normalisation")
    # Every task whole on its ingress device: latency and hops both at their instance lower bound.
    res = activate(Preference.parse("latency=0.6,hops=0.6"), small, abilene)
    assert res.selection.rule == "mixed" and res.selection.use_mip
    assert res.chosen == "latency-greedy" and res.chosen_run.weighted_cost == pytest.approx(0.0, abs=1e-9)
    assert [r.role for r in res.runs] == ["fast"] and res.mip_weights is None
    assert any("MIP was not run" in n for n in res.notes)


def test_mip_runs_as_last_resort_when_every_fast_expert_fails(small, abilene, monkeypatch):
    if not _mip_available():
        pytest.skip("needs the cpsat expert")

    # A test-only fast expert that always fails stands in for fast experts that cannot place an instance.
    def fail(request: PlanRequest):
        raise InfeasibleError("test expert: cannot place")

    broken = Expert("test-broken", "heuristic", capability(latency=1.0), fail)
    monkeypatch.setattr(registry, "fast_experts", lambda: [broken])
    monkeypatch.setitem(registry._REGISTRY, broken.name, broken)
    res = activate(Preference({"latency": 1.0}), small, abilene, time_limit_s=5)
    assert [(r.name, r.role) for r in res.runs] == [("test-broken", "fast"), (MIP_EXPERT, "mip")]
    assert res.chosen == MIP_EXPERT and res.chosen_run.ok
    assert any("MIP ran as last resort" in n for n in res.notes)
    assert check_plan(res.plan, small, abilene, require_all=True) == []


def test_unasked_objectives_are_tie_breakers():
    from experts.activation import TIE_BREAK_EPS, tie_break

    w = tie_break(Preference({"latency": 1.0}).normalized())
    assert w[OBJECTIVES.index("latency")] == pytest.approx(1 / (1 + 6 * TIE_BREAK_EPS))
    assert all(x == pytest.approx(TIE_BREAK_EPS / (1 + 6 * TIE_BREAK_EPS)) for o, x in zip(OBJECTIVES, w) if o != "latency")


def test_keep_deployed_when_the_new_plan_is_not_better(small, abilene):
    from experts.activation import keep_deployed
    from omniplan.evaluate import evaluate

    pref = Preference({"power": 1.0})
    req = PlanRequest(small, abilene)
    consolidated = registry.get("consolidate").solve(req)
    spread = registry.get("latency-greedy").solve(req)
    ev_c, ev_s = evaluate(consolidated, small, abilene), evaluate(spread, small, abilene)
    assert ev_c.objectives["power"] < ev_s.objectives["power"]
    keep, why = keep_deployed(ev_s, ev_c, pref, small, abilene)
    assert keep and "keeping the deployed placement" in why
    keep, why = keep_deployed(ev_c, ev_s, pref, small, abilene)
    assert not keep and "better" in why
    keep, _ = keep_deployed(ev_c, ev_c, pref, small, abilene)  # equal: no change for no gain
    assert keep


def test_mixed_without_mip_degrades_with_a_note(small, abilene, monkeypatch):
    monkeypatch.delitem(registry._REGISTRY, MIP_EXPERT, raising=False)
    monkeypatch.setattr(registry, "_load_builtin", lambda: None)
    res = activate(Preference.parse("power=1,latency=1"), small, abilene)
    assert res.selection.use_mip
    assert [r.role for r in res.runs] == ["fast"] * len(res.runs)
    assert any(f"{MIP_EXPERT!r} is not registered" in n for n in res.notes)
    assert res.mip_weights is None


def test_bad_configure_weights_fall_back_with_a_note(small, abilene):
    if not _mip_available():
        pytest.skip("needs the cpsat expert")
    res = activate(Preference.parse("latency=0.5,resources=0.5"), small, abilene, time_limit_s=2,
                   configure=lambda p, r: [1.0, -1.0], skip_mip_at_bound=False)
    assert any("weight configuration failed" in n for n in res.notes)
    # the MIP falls back to the normalised preference, unasked objectives as tie-breakers
    from experts.activation import tie_break

    assert res.mip_weights == pytest.approx(tie_break(Preference.parse("latency=0.5,resources=0.5").normalized()))


def test_run_single(small, abilene):
    res = run_single("coordination-greedy", Preference.parse("coordination=1"), small, abilene)
    assert res.selection.rule == "forced" and res.chosen == "coordination-greedy"
    assert check_plan(res.plan, small, abilene, require_all=True) == []
    with pytest.raises(InputError, match="unknown expert 'nope'"):
        run_single("nope", Preference({}), small, abilene)


def test_infeasible_everywhere_raises(abilene):
    w = generate_workload(400, 1, ingress_choices=[d.name for d in abilene.devices], scale=12)
    with pytest.raises(InfeasibleError, match="SRAM demand"):
        activate(Preference({"latency": 1.0}), w, abilene)
