"""Model-compiler benchmark: compile time, table entries, accuracy (float vs compiled) and
packets/s through the in-process inml.p4 twin.

* accuracy: every dataset (iris, wine, breast_cancer, digits, generated netflow) x model (DT,
  RF 20 trees, XGBoost 20 trees, GaussianNB, LinearSVC; SVC(kernel="linear") where it compiles),
  70/30 stratified split, seed 0: float sklearn/XGBoost accuracy vs the compiled tables (replay),
  with entries, MATs, code-word bits and compile time.
* 100-tree random forest: compile time (ModelSpec -> program + Task) on each dataset, depth 6.
* packets/s: one switch holding the realised entries, InferencePipeline.process_loaded on the
  test set's packets, cold (first sight: the twin's ternary memo is empty) and warm (same packets
  again), and process() (warm + the per-call table-snapshot check); plus a 3-switch chain (cold,
  fresh pipelines). passes_per_pkt = pipeline passes the walk needs (recirculations + transits).
* mappings vs Planter: per model, our entries under each tree mapping (shared / grouped, see
  mlcompiler.treemap) and the one `auto` picks, side by side with Planter's entry counts derived
  from its published mapping rules on the same fitted model (bench/planter_counts.py says how),
  and the ratio Planter / ours.

Usage: .venv/bin/python bench/bench_compile.py [--quick]
Writes bench/results/compile_accuracy.csv, compile_rf100.csv, compile_pps.csv, compile_mappings.csv,
compile_accuracy.png, compile_mappings.png.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
warnings.filterwarnings("ignore")

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.progress import Progress  # noqa: E402
from rich.table import Table  # noqa: E402

from bench.common import write_csv  # noqa: E402
from bench.planter_counts import fmt_count, planter_counts  # noqa: E402
from mlcompiler.compiler import compile_model, compile_program, ranges_from_data  # noqa: E402
from mlcompiler.datasets import DATASETS, load_split, trained_model  # noqa: E402
from mlcompiler.realize import realize, walk  # noqa: E402
from mlcompiler.replay import CompiledModel  # noqa: E402
from mlcompiler.spec import spec_from_estimator  # noqa: E402
from omniplan.errors import InputError  # noqa: E402
from omniplan.plan import complete_plan  # noqa: E402
from omniplan.topology import line  # noqa: E402
from omniplan.workload import Workload, mat_id  # noqa: E402
from p4src.chain import SwitchChain  # noqa: E402
from p4src.pipeline import build_packet  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
console = Console(width=200)
KINDS = ("dt", "rf", "xgb", "nb", "svm", "svc")
PORTS3 = {"s1": {"h1": 1, "s2": 2}, "s2": {"s1": 1, "s3": 2}, "s3": {"s2": 1, "h3": 3}}


def accuracy(progress) -> list[dict]:
    rows = []
    job = progress.add_task("accuracy", total=len(DATASETS) * len(KINDS))
    for ds in DATASETS:
        for kind in KINDS:
            progress.advance(job)
            model, (Xtr, Xte, ytr, yte) = trained_model(ds, kind)
            t0 = time.perf_counter()
            try:
                task = compile_model(spec_from_estimator(model), f"{kind}_{ds}", ranges_from_data(Xtr))
            except InputError as exc:
                rows.append({"dataset": ds, "model": kind, "float_acc": float(np.mean(model.predict(Xte) == yte)),
                             "compiled_acc": "", "loss_pts": "", "entries": "", "mats": "", "code_bits": "",
                             "sram_kbit": "", "tcam_kbit": "", "compile_s": "", "note": str(exc)[:60]})
                continue
            dt = time.perf_counter() - t0
            fa = float(np.mean(model.predict(Xte) == yte))
            ca = float(np.mean(CompiledModel(task.program).predict(Xte) == yte))
            rows.append({"dataset": ds, "model": kind, "float_acc": round(fa, 4), "compiled_acc": round(ca, 4),
                         "loss_pts": round(100 * (fa - ca), 2), "entries": sum(m.entries for m in task.mats),
                         "mats": len(task.mats), "code_bits": sum(c[2] for c in task.program["codes"]),
                         "sram_kbit": task.sram_bits // 1024, "tcam_kbit": sum(m.tcam_bits for m in task.mats) // 1024,
                         "compile_s": round(dt, 3), "note": ""})
    return rows


def rf100(progress, quick: bool) -> list[dict]:
    from sklearn.ensemble import RandomForestClassifier

    rows = []
    names = ["netflow", "breast_cancer"] if quick else list(DATASETS)
    job = progress.add_task("100-tree RF", total=len(names))
    for ds in names:
        Xtr, Xte, ytr, yte = load_split(ds)
        model = RandomForestClassifier(n_estimators=100, max_depth=6, random_state=0, n_jobs=1).fit(Xtr, ytr)
        t0 = time.perf_counter()
        try:
            task = compile_model(spec_from_estimator(model), f"rf100_{ds}", ranges_from_data(Xtr))
        except InputError as exc:
            rows.append({"dataset": ds, "trees": 100, "max_depth": 6, "compile_s": "", "entries": "", "mats": "",
                         "float_acc": "", "compiled_acc": "", "note": str(exc)[:80]})
            progress.advance(job)
            continue
        dt = time.perf_counter() - t0
        cm = CompiledModel(task.program)
        rows.append({"dataset": ds, "trees": 100, "max_depth": 6, "compile_s": round(dt, 3),
                     "entries": sum(m.entries for m in task.mats), "mats": len(task.mats),
                     "float_acc": round(float(np.mean(model.predict(Xte) == yte)), 4),
                     "compiled_acc": round(float(np.mean(cm.predict(Xte) == yte)), 4), "note": ""})
        progress.advance(job)
    return rows


def pps(progress, quick: bool) -> list[dict]:
    rows = []
    cases = [("netflow", k) for k in ("dt", "rf", "xgb", "nb", "svm")] + [("iris", "rf"), ("digits", "rf")]
    job = progress.add_task("packets/s", total=len(cases))
    for ds, kind in cases:
        model, (Xtr, Xte, ytr, yte) = trained_model(ds, kind)
        task = compile_model(spec_from_estimator(model), f"{kind}_{ds}", ranges_from_data(Xtr), ingress="s1")
        wl = Workload((task,))
        q = CompiledModel(task.program).quantize(Xte)
        pkts = [build_packet(7, [int(v) for v in row]) for row in q]
        if quick:
            pkts = pkts[:100]
        for n_sw in (1, 3):
            topo = line(n_sw)
            ports = {"s1": {"h1": 1}} if n_sw == 1 else PORTS3
            order = task.topological_order()
            placement = {mat_id(task.name, m): f"s{1 + (i * n_sw) // len(order)}" for i, m in enumerate(order)}
            plan = complete_plan(wl, topo, placement, "bench")
            entries = realize(wl, plan, topo, ports, {task.name: 7}, 1)
            chain = SwitchChain(entries, ports)
            passes = len(walk(task, plan, topo))
            row = {"dataset": ds, "model": kind, "switches": n_sw, "passes_per_pkt": passes,
                   "entries": sum(len(v) for v in entries.values()), "packets": len(pkts),
                   "pps_cold": "", "pps_warm": "", "pps_process": "", "pps_chain": ""}
            if n_sw == 1:
                # cold: first time each packet is seen (ternary memo empty); warm: the same packets
                # again (memo filled); process(): warm plus the per-call table-snapshot check.
                sw = chain.switches["s1"]
                tables = {}
                for e in entries["s1"]:
                    tables.setdefault(e.table, []).append(e)
                sw.load(tables)
                for col in ("pps_cold", "pps_warm"):
                    t0 = time.perf_counter()
                    for p in pkts:
                        sw.process_loaded(p, 1)
                    row[col] = round(len(pkts) / (time.perf_counter() - t0))
                t0 = time.perf_counter()
                for p in pkts:
                    sw.process(p, 1, tables)
                row["pps_process"] = round(len(pkts) / (time.perf_counter() - t0))
            else:
                t0 = time.perf_counter()
                for p in pkts:
                    chain.send("s1", 1, p)
                row["pps_chain"] = round(len(pkts) / (time.perf_counter() - t0))
            rows.append(row)
        progress.advance(job)
    return rows


def _hard16(seed: int = 0):
    """16 features, 5 noisy classes: forests grow to full depth (the issue's 100 x depth 8 case)."""
    from sklearn.datasets import make_classification
    from sklearn.model_selection import train_test_split

    X, y = make_classification(n_samples=8000, n_features=16, n_informative=10, n_classes=5, flip_y=0.1,
                               random_state=seed)
    return train_test_split(X, y, test_size=0.3, random_state=seed)


def mapping_cases(quick: bool) -> list[tuple[str, object, tuple]]:
    """(label, fitted model, split) for the mapping comparison."""
    from sklearn.ensemble import RandomForestClassifier

    cases = []
    split = load_split("iris")
    cases.append(("iris RF 8x6", RandomForestClassifier(8, max_depth=6, random_state=0).fit(split[0], split[2]), split))
    for ds in ("iris", "netflow"):
        for kind, label in (("rf", "RF 20x6"), ("xgb", "XGB 20x3"), ("dt", "DT d8"), ("nb", "GaussianNB")):
            if ds == "iris" and kind in ("dt", "nb"):
                continue
            model, split = trained_model(ds, kind)
            cases.append((f"{ds} {label}", model, split))
    hard = _hard16()
    for n in ((10,) if quick else (10, 100)):
        rf = RandomForestClassifier(n, max_depth=8, random_state=0, n_jobs=1).fit(hard[0], hard[2])
        cases.append((f"hard16 RF {n}x8", rf, hard))
    return cases


def mappings(progress, quick: bool) -> list[dict]:
    rows = []
    cases = mapping_cases(quick)
    job = progress.add_task("mappings vs Planter", total=len(cases))
    for label, model, (Xtr, Xte, ytr, yte) in cases:
        spec = spec_from_estimator(model, ranges_from_data(Xtr))
        t0 = time.perf_counter()
        prog = compile_program(spec)
        dt = time.perf_counter() - t0
        ours = sum(len(m.get("entries", [None])) for m in prog["mats"])
        sizes = prog.get("mappings", {})
        pc = planter_counts(spec)
        rows.append({"model": label, "mapping": prog["mapping"], "entries": ours, "lookups": len(prog["mats"]),
                     "shared": fmt_count(sizes["shared"]["entries"]) if sizes else "",
                     "grouped": fmt_count(sizes["grouped"]["entries"]) if sizes else "",
                     "planter_feature": fmt_count(pc["feature"]), "planter_code": fmt_count(pc["code"]),
                     "planter_decision": fmt_count(pc["decision"]), "planter_total": fmt_count(pc["total"]),
                     "planter_over_ours": fmt_count(pc["total"] // max(1, ours)) if pc["total"] >= 10 ** 9
                     else round(pc["total"] / max(1, ours), 1),
                     "compiled_acc": round(float(np.mean(CompiledModel(prog).predict(Xte) == yte)), 4),
                     "float_acc": round(float(np.mean(model.predict(Xte) == yte)), 4),
                     "compile_s": round(dt, 3), "_planter": pc["total"]})
        progress.advance(job)
    return rows


def _table(title: str, rows: list[dict]) -> Table:
    t = Table(title=title)
    keys = [k for k in rows[0] if not k.startswith("_")]
    for k in keys:
        t.add_column(k, justify="right" if k not in ("dataset", "model", "note", "mapping") else "left")
    for r in rows:
        t.add_row(*[str(r[k]) for k in keys])
    return t


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer datasets for the 100-tree RF, 100 packets per pps case")
    args = ap.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    with Progress(console=console) as progress:
        acc = accuracy(progress)
        rf = rf100(progress, args.quick)
        pp = pps(progress, args.quick)
        mp = mappings(progress, args.quick)
    console.print(_table("Float vs compiled accuracy (test split), entries, compile time", acc))
    console.print(_table("100-tree random forest (max_depth 6): compile time", rf))
    console.print(_table("Packets/s through the in-process inml.p4 twin", pp))
    console.print(_table("Entries per mapping vs Planter's (derived from its mapping rules, bench/planter_counts.py)", mp))
    write_csv(RESULTS / "compile_accuracy.csv", acc)
    write_csv(RESULTS / "compile_rf100.csv", rf)
    write_csv(RESULTS / "compile_pps.csv", pp)
    write_csv(RESULTS / "compile_mappings.csv", [{k: v for k, v in r.items() if not k.startswith("_")} for r in mp])
    fig, ax = plt.subplots(figsize=(11, 4))
    x = np.arange(len(mp))
    ax.bar(x - 0.2, [r["entries"] for r in mp], 0.4, label="ours (auto mapping)")
    ax.bar(x + 0.2, [float(r["_planter"]) for r in mp], 0.4, label="Planter (derived)")
    ax.set_yscale("log")
    ax.set_xticks(x, [r["model"] for r in mp], fontsize=7, rotation=20)
    ax.set_ylabel("table entries (log)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(RESULTS / "compile_mappings.png", dpi=120)
    ok = [r for r in acc if r["compiled_acc"] != ""]
    fig, ax = plt.subplots(figsize=(12, 4))
    labels = [f"{r['dataset']}\n{r['model']}" for r in ok]
    x = np.arange(len(ok))
    ax.bar(x - 0.2, [r["float_acc"] for r in ok], 0.4, label="float")
    ax.bar(x + 0.2, [r["compiled_acc"] for r in ok], 0.4, label="compiled tables")
    ax.set_xticks(x, labels, fontsize=6)
    ax.set_ylim(0.5, 1.01)
    ax.set_ylabel("test accuracy")
    ax.legend()
    fig.tight_layout()
    fig.savefig(RESULTS / "compile_accuracy.png", dpi=120)
    console.print(f"wrote {RESULTS}/compile_accuracy.csv, compile_rf100.csv, compile_pps.csv, compile_mappings.csv, "
                  "compile_accuracy.png, compile_mappings.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
