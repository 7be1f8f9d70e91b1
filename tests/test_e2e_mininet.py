"""End to end on Mininet: intents in, tables pushed, packets classified in the network like scikit-learn.

One scenario (module fixture) runs everything an operator runs with ``make run``: a line of
three omniplan-switch nodes with one host each, the controller (``omniplan serve``) with the
generated switch list, label receivers on h2/h3 and a paced sender on h1 that puts quantised
iris features into the inference header. Nothing is mocked: intents go through the controller's
HTTP API, plans are realised into P4Runtime writes, and the switches' pipeline writes the label.
The fixture stops Mininet and removes every process/interface it created, also on failure.
"""

from __future__ import annotations

from collections import Counter

import pytest

from mininet_topos.preflight import mininet_skip_reason

pytestmark = [pytest.mark.root, pytest.mark.slow,
              pytest.mark.skipif(mininet_skip_reason() is not None, reason=str(mininet_skip_reason()))]

#: Two intents whose plans place the MATs differently: power -> consolidated off the flow path
#: (the consolidate expert), then latency -> the MATs back on the flow path; the test checks that
#: MATs moved. The second intent must be better than the first on its own objective, or the
#: controller rightly keeps the deployed placement ("no change for no gain", issue 13).
#: Preference vectors rather than text, so the sentence encoder is not loaded here (20-40 s on this
#: 2-core machine under load, which would dwarf the deployment being tested); text intents on
#: Mininet are exercised by ``python -m mininet_topos.run --intent "..."`` and the benchmark.
INTENT_A = {"preference": "power=1"}
INTENT_B = {"preference": "latency=1"}
MODEL = "rf"


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    from mininet_topos.layout import build_layout
    from mininet_topos.scenario import Scenario

    layout = build_layout("line3", grpc_base_port=51800)
    sc = Scenario(layout, tmp_path_factory.mktemp("e2e"), model=MODEL, http_port=0, warm_translator=False)
    with sc:
        yield sc
    from mininet_topos import cleanup

    assert cleanup._load() == {"pids": {}, "intfs": []}  # nothing of the run is left behind


def _placement(sc) -> dict[str, str]:
    active = sc.api.get("/plan")["active"]
    return dict(active["plan"]["placement"]) if active else {}


def _deploy(sc, intent: dict) -> dict:
    return sc.api.wait(sc.api.submit(None, **intent), timeout_s=90)


def test_samples_carry_sklearn_predictions(scenario):
    """The labels we check the network against are model.predict on the very rows sent."""
    from mininet_topos.demo_model import train

    model, X, _ = train(MODEL)
    classes = list(model.classes_)
    samples = scenario.samples
    assert len(samples.rows) == len(samples.features) == 150
    assert samples.expected == [classes.index(c) for c in model.predict(X[samples.rows])]


def test_network_classifies_like_sklearn(scenario):
    from mininet_topos.traffic import check_delivery

    rec = _deploy(scenario, INTENT_A)
    assert rec["state"] == "deployed"
    placement = _placement(scenario)
    assert placement, "no active plan after deployment"
    before = _metrics_counts(scenario)
    scenario.start_sender(rate_pps=300, count=len(scenario.samples.features))
    tx = scenario.stop_sender(timeout_s=30)
    rx = scenario.wait_received(tx["seqs"], timeout_s=10)
    report = check_delivery(tx["sent"], rx, scenario.samples, tx["seqs"])
    assert report.ok, report.summary()
    # every sample went through once; the labels are sklearn's, class by class
    labels = [rx["packets"][str(s)][0] for s in tx["seqs"]]
    assert labels == [scenario.samples.expected[s % 150] for s in tx["seqs"]]
    assert len(set(labels)) == 3
    # /metrics relays the switches' own per-class counters: the same counts as the receiver's
    after = _metrics_counts(scenario)
    delta = {k: after.get(k, 0) - before.get(k, 0) for k in after}
    names = [str(c) for c in scenario.samples.classes]
    want = Counter(names[label] for label in labels)
    assert {label: n for (task, label), n in delta.items() if task == scenario.task_name and n} == dict(want)


def _metrics_counts(sc) -> dict[tuple[str, str], int]:
    """(task, label) -> packets, summed over switches, from GET /metrics
    (omniplan_inference_packets_total{task,label,switch})."""
    import re
    import urllib.request

    req = urllib.request.Request(sc.api.base + "/metrics", headers={"Authorization": f"Bearer {sc.token}"})
    with urllib.request.urlopen(req, timeout=10) as resp:  # reads need a token too
        text = resp.read().decode()
    out: dict[tuple[str, str], int] = {}
    for m in re.finditer(r'^omniplan_inference_packets_total\{([^}]*)\} ([0-9.e+]+)$', text, re.M):
        labels = dict(re.findall(r'(\w+)="([^"]*)"', m.group(1)))
        key = (labels["task"], labels["label"])
        out[key] = out.get(key, 0) + int(float(m.group(2)))
    return out


def test_live_reconfiguration_at_500pps_loses_nothing(scenario):
    """Intent B moves every MAT while h1 sends 500 pkt/s: each sequence number arrives once, labelled right."""
    import time

    from mininet_topos.traffic import check_delivery

    if not _placement(scenario):
        _deploy(scenario, INTENT_A)
    before = _placement(scenario)
    first = scenario.next_seq
    scenario.start_sender(rate_pps=500)
    scenario.wait_received(range(first, first + 100), timeout_s=20)  # the sender is up and classified
    time.sleep(1.0)  # steady traffic on the old placement first
    t0 = time.perf_counter()
    rec = _deploy(scenario, INTENT_B)
    deploy_s = time.perf_counter() - t0
    time.sleep(1.5)  # ... and on the new one afterwards
    tx = scenario.stop_sender(now=True)
    after = _placement(scenario)
    moved = {m for m in after if before.get(m) != after[m]}
    assert moved, f"intent B did not move any MAT: {after}"
    assert tx["rate_pps"] >= 475, f"sender could not hold 500 pkt/s: {tx}"
    rx = scenario.wait_received(tx["seqs"], timeout_s=10)
    report = check_delivery(tx["sent"], rx, scenario.samples, tx["seqs"])
    assert report.ok, (report.summary() + f"; moved {sorted(moved)}; intent {rec['id']} deployed in {deploy_s:.2f}s; "
                       f"lost {report.lost[:20]}")
    # packets before and after the switch-over were handled by different config versions
    versions = [rx["packets"][str(s)][2] for s in tx["seqs"]]
    assert len(set(versions)) == 2, set(versions)
    old, new = versions[0], versions[-1]
    assert versions.count(old) >= 500 and versions.count(new) >= 500  # >= 1 s of traffic on each side
    # ... and the switch-over happened once: old version first, new version after, never back
    flips = sum(1 for a, b in zip(versions, versions[1:]) if a != b)
    assert flips == 1, f"version changed {flips} times along the sequence"
