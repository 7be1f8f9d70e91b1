"""BMv2 as the oracle for the compiler's new programs: grouped tree mappings (code regions re-used
group after group, recirculating walks) and the new model kinds (BernoulliNB, k-means, isolation
forest, binarised MLP), byte-identical on BMv2 (p4c-compiled inml.p4) and omniplan-switch, labels
equal to the replay. Same harness as test_bmv2_differential (one process per switch on veths in a
private namespace, entries pushed through the controller's southbound; its ``networks`` fixture)."""

from __future__ import annotations

import warnings
from collections import defaultdict

import numpy as np
import pytest
from sklearn.cluster import KMeans
from sklearn.datasets import make_classification
from sklearn.ensemble import IsolationForest, RandomForestClassifier
from sklearn.naive_bayes import BernoulliNB
from sklearn.neural_network import MLPClassifier

from controller.switch_networks import push
from mlcompiler.compiler import compile_model, ranges_from_data
from mlcompiler.datasets import load_split
from mlcompiler.realize import realize
from mlcompiler.replay import CompiledModel
from mlcompiler.spec import spec_from_estimator
from omniplan.plan import Plan
from omniplan.workload import Workload, mat_id
from p4src import layout
from p4src.pipeline import build_packet, parse_inml
from test_bmv2_differential import PORTS, TOPO, networks  # noqa: F401  (the same 3-switch BMv2/omni fixture)

pytestmark = pytest.mark.slow
warnings.filterwarnings("ignore")
PACKETS = 300


def _models():
    X, y = make_classification(n_samples=3000, n_features=16, n_informative=10, n_classes=5, flip_y=0.1,
                               random_state=0)
    nf = load_split("netflow")
    return {
        "rf10x8_grouped": (RandomForestClassifier(10, max_depth=8, random_state=0, n_jobs=1).fit(X, y), X),
        "bnb": (BernoulliNB(binarize=100.0).fit(nf[0], nf[2]), nf[0]),
        "kmeans": (KMeans(5, n_init=5, random_state=0).fit(nf[0]), nf[0]),
        "iforest": (IsolationForest(n_estimators=10, random_state=0).fit(nf[0]), nf[0]),
        "bmlp": (MLPClassifier((8,), activation="tanh", solver="lbfgs", max_iter=2000, random_state=0)
                 .fit(nf[0], nf[2]), nf[0]),
    }


CASES = list(_models())
_MODELS: dict = {}


def _chunked_plan(task):
    """Consecutive chunks of the topological order on s1..s3, stages round-robin on each device
    (the walk recirculates when a device's next MAT is not in a later stage)."""
    order = task.topological_order()
    placement, stages, per_dev = {}, {}, defaultdict(int)
    for i, m in enumerate(order):
        dev = f"s{1 + (i * 3) // len(order)}"
        placement[mat_id(task.name, m)] = dev
        stages[mat_id(task.name, m)] = per_dev[dev] % layout.NUM_STAGES
        per_dev[dev] += 1
    return Plan(placement=placement, stages=stages, routes={}, expert="test")


@pytest.mark.parametrize("case", CASES)
def test_bmv2_and_omniplan_switch_agree_on_new_programs(networks, case):
    if not _MODELS:
        _MODELS.update(_models())
    omni, bmv2 = networks
    tid = 100 + CASES.index(case)
    model, X = _MODELS[case]
    task = compile_model(spec_from_estimator(model, ranges_from_data(X)), case, ingress="s1")
    if case.endswith("grouped"):
        assert task.program["mapping"] == "grouped"
    wl = Workload((task,))
    entries = realize(wl, _chunked_plan(task), TOPO, PORTS, {task.name: tid}, version=1, deliver_to={task.name: "h3"})
    for net in (omni, bmv2):
        push(net, entries)
    cm = CompiledModel(task.program)
    q, ref = cm.quantize(X[:PACKETS]), cm.predict_index(X[:PACKETS])
    packets = [("s1", "h1", build_packet(tid, [int(v) for v in row], payload=i.to_bytes(4, "big")))
               for i, row in enumerate(q)]
    got = []
    for net in (omni, bmv2):
        by_seq = defaultdict(list)
        for dev, host, frame in net.exchange(packets):
            by_seq[int.from_bytes(frame[-4:], "big")].append((dev, host, frame))
        got.append(by_seq)
    assert sorted(got[1]) == list(range(PACKETS)), f"BMv2 delivered {len(got[1])} of {PACKETS}"
    assert all(got[0].get(i) == got[1][i] for i in range(PACKETS)), "omniplan-switch and BMv2 differ"
    labels = [parse_inml(got[1][i][0][2]).label for i in range(PACKETS)]
    assert labels == ref.tolist()
