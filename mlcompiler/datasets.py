"""Datasets for accuracy checks: sklearn's bundled sets and a generated network-flow set.

WHY a generated flow set: in-network classifiers see per-flow packet statistics, and no such
dataset may be downloaded here. ``netflow`` synthesises flows of five traffic classes packet by
packet and aggregates per-flow features, so the features have the shapes (counts, byte sums,
heavy-tailed timings, port numbers, flag fractions) a switch would compute.

How each flow is drawn (per class; sizes in bytes, inter-arrival times (IAT) in ms):

=======  =====  ===============  ======================================  =====================  ==============
class    proto  packets/flow     packet size                             IAT                    dst port, flags
=======  =====  ===============  ======================================  =====================  ==============
web      TCP    5 + Geom(1/25)   50% U(40,90) (ACKs), 50% U(300,1500)    LogN(ln 15, 1.0)       80/443/8080; SYN first, FIN last, ACK, PSH 30%
video    TCP    60 + Geom(1/200) 85% U(1100,1500), 15% U(40,90)         LogN(ln 4, 0.5)        443/1935/8080; ACK, PSH 60%
dns      UDP    1 + Geom(1/1.5)  U(60,320)                               LogN(ln 20, 1.0)       53; none
scan     TCP    1 + Geom(1/1.3)  U(40,64)                                LogN(ln 0.5, 1.0)      U(1,65535); SYN, 40% RST
dos      TCP    40 + Geom(1/150) U(40,80)                                LogN(ln 0.05, 0.7)     80/443; SYN 90%, ACK 10%
=======  =====  ===============  ======================================  =====================  ==============

10% of web flows borrow the video size mix and 10% of video flows the web timing, so classes
overlap. Features per flow (16): packets, bytes, mean/std/min/max size, mean/std IAT, duration,
dst port, protocol, fraction of SYN/ACK/FIN/RST/PSH packets.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
from sklearn.model_selection import train_test_split

NETFLOW_CLASSES = ("web", "video", "dns", "scan", "dos")
NETFLOW_FEATURES = ("packets", "bytes", "size_mean", "size_std", "size_min", "size_max", "iat_mean_ms",
                    "iat_std_ms", "duration_ms", "dst_port", "proto", "syn_frac", "ack_frac", "fin_frac",
                    "rst_frac", "psh_frac")


def _flow(cls: str, rng: np.random.Generator) -> list[float]:
    mix_video = cls == "web" and rng.random() < 0.1
    web_timing = cls == "video" and rng.random() < 0.1
    if cls == "web":
        n = 5 + rng.geometric(1 / 25)
        if mix_video:
            big = rng.random(n) < 0.85
            sizes = np.where(big, rng.uniform(1100, 1500, n), rng.uniform(40, 90, n))
        else:
            big = rng.random(n) < 0.5
            sizes = np.where(big, rng.uniform(300, 1500, n), rng.uniform(40, 90, n))
        iat = rng.lognormal(np.log(15), 1.0, n)
        port, proto = rng.choice([80, 443, 8080]), 6
        syn = np.zeros(n); syn[0] = 1
        fin = np.zeros(n); fin[-1] = 1
        ack = np.ones(n); ack[0] = 0
        psh = rng.random(n) < 0.3
        rst = np.zeros(n)
    elif cls == "video":
        n = 60 + rng.geometric(1 / 200)
        big = rng.random(n) < 0.85
        sizes = np.where(big, rng.uniform(1100, 1500, n), rng.uniform(40, 90, n))
        iat = rng.lognormal(np.log(15), 1.0, n) if web_timing else rng.lognormal(np.log(4), 0.5, n)
        port, proto = rng.choice([443, 1935, 8080]), 6
        syn, fin, rst = np.zeros(n), np.zeros(n), np.zeros(n)
        ack = np.ones(n)
        psh = rng.random(n) < 0.6
    elif cls == "dns":
        n = rng.geometric(1 / 1.5)
        sizes = rng.uniform(60, 320, n)
        iat = rng.lognormal(np.log(20), 1.0, n)
        port, proto = 53, 17
        syn = ack = fin = rst = psh = np.zeros(n)
    elif cls == "scan":
        n = rng.geometric(1 / 1.3)
        sizes = rng.uniform(40, 64, n)
        iat = rng.lognormal(np.log(0.5), 1.0, n)
        port, proto = int(rng.integers(1, 65536)), 6
        syn = np.ones(n)
        rst = rng.random(n) < 0.4
        ack = fin = psh = np.zeros(n)
    else:  # dos
        n = 40 + rng.geometric(1 / 150)
        sizes = rng.uniform(40, 80, n)
        iat = rng.lognormal(np.log(0.05), 0.7, n)
        port, proto = rng.choice([80, 443]), 6
        syn = rng.random(n) < 0.9
        ack = ~syn
        fin = rst = psh = np.zeros(n)
    sizes = np.round(sizes)
    iat = iat[1:] if n > 1 else np.zeros(1)
    return [n, sizes.sum(), sizes.mean(), sizes.std(), sizes.min(), sizes.max(), iat.mean(), iat.std(), iat.sum(),
            float(port), float(proto), np.mean(syn), np.mean(ack), np.mean(fin), np.mean(rst), np.mean(psh)]


def netflow(n_per_class: int = 400, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(X, y): ``n_per_class`` flows of each of NETFLOW_CLASSES, features NETFLOW_FEATURES."""
    rng = np.random.default_rng(seed)
    X, y = [], []
    for k, cls in enumerate(NETFLOW_CLASSES):
        for _ in range(n_per_class):
            X.append(_flow(cls, rng))
            y.append(k)
    return np.asarray(X, dtype=float), np.asarray(y)


def _sk(name: str) -> Callable[[], tuple[np.ndarray, np.ndarray]]:
    from sklearn import datasets

    loader = getattr(datasets, f"load_{name}")
    return lambda: loader(return_X_y=True)


DATASETS: dict[str, Callable[[], tuple[np.ndarray, np.ndarray]]] = {
    "iris": _sk("iris"),
    "wine": _sk("wine"),
    "breast_cancer": _sk("breast_cancer"),
    "digits": _sk("digits"),
    "netflow": netflow,
}


def load_split(name: str, test_size: float = 0.3, seed: int = 0):
    """(X_train, X_test, y_train, y_test), stratified and seeded."""
    if name not in DATASETS:
        raise KeyError(f"unknown dataset {name!r}; known: {', '.join(DATASETS)}")
    X, y = DATASETS[name]()
    return train_test_split(X, y, test_size=test_size, random_state=seed, stratify=y)


def make_models(seed: int = 0, *, rf_trees: int = 20, xgb_trees: int = 20) -> dict[str, object]:
    """The model zoo the checks and the benchmark train: one of each supported family."""
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.naive_bayes import GaussianNB
    from sklearn.svm import LinearSVC
    from sklearn.tree import DecisionTreeClassifier
    from xgboost import XGBClassifier

    return {
        "dt": DecisionTreeClassifier(max_depth=8, random_state=seed),
        "rf": RandomForestClassifier(n_estimators=rf_trees, max_depth=6, random_state=seed),
        "xgb": XGBClassifier(n_estimators=xgb_trees, max_depth=3, learning_rate=0.3, random_state=seed, n_jobs=1),
        "nb": GaussianNB(),
        "svm": LinearSVC(C=1.0, max_iter=20000, random_state=seed),
    }


_TRAINED: dict[tuple[str, str], tuple[object, tuple]] = {}


def trained_model(dataset: str, kind: str, seed: int = 0) -> tuple[object, tuple]:
    """(fitted model, (X_train, X_test, y_train, y_test)), memoised per process for tests/bench.
    ``kind`` is a key of make_models() or ``svc`` (SVC(kernel="linear"), one-vs-one)."""
    key = (dataset, kind)
    if key not in _TRAINED:
        split = load_split(dataset, seed=seed)
        if kind == "svc":
            from sklearn.svm import SVC

            model = SVC(kernel="linear", C=1.0)
        else:
            model = make_models(seed)[kind]
        model.fit(split[0], split[2])
        _TRAINED[key] = (model, split)
    return _TRAINED[key]
