"""Compile one model of each family (DT, RF, XGB, NB, SVM) on each shipped dataset with our own
compiler and write the MAT sizes and dependency bits to ``omniplan/data/task_library.json``.

WHY a committed cache: the workload generator (``omniplan.workload.generate_workload``) must size
MATs like the real compiler does, but training and compiling 25 models takes minutes and the core
package may not import ``mlcompiler`` (it sits above the core). Rerun after a compiler change:

    PYTHONPATH=$PWD .venv/bin/python bench/make_task_library.py
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mlcompiler.compiler import compile_model  # noqa: E402
from mlcompiler.datasets import DATASETS, load_split, make_models  # noqa: E402
from mlcompiler.export import export_spec  # noqa: E402
from omniplan.workload import task_to_dict  # noqa: E402

OUT = ROOT / "omniplan" / "data" / "task_library.json"
KINDS = ("dt", "rf", "xgb", "nb", "svm")
#: Ensembles small enough that a 60-task instance stays a few thousand MATs (the paper's in-network
#: models are small too: Planter-style RF/XGB use a handful of shallow trees). digits (64 features
#: -> 64 feature tables per task) is left out for the same reason.
RF_TREES, XGB_TREES = 6, 3
SKIP = {"digits"}


def main() -> None:
    entries = []
    for dataset in DATASETS:
        if dataset in SKIP:
            continue
        split = load_split(dataset, seed=0)
        models = make_models(0, rf_trees=RF_TREES, xgb_trees=XGB_TREES)
        for kind in KINDS:
            t0 = time.perf_counter()
            model = models[kind]
            model.fit(split[0], split[2])
            spec = export_spec(model, split[0])
            task = compile_model(spec, f"{kind}-{dataset}")
            d = task_to_dict(task)
            d.pop("program", None)
            d["dataset"] = dataset
            entries.append(d)
            print(f"{kind:4s} {dataset:14s} mats={len(task.mats):3d} sram={task.sram_bits/8192:9.0f} KiB "
                  f"entries={sum(m.entries for m in task.mats):7d} ({time.perf_counter() - t0:.1f} s)", flush=True)
    OUT.write_text(json.dumps({"format": "omniplan-task-library/1",
                               "generated_by": "bench/make_task_library.py", "tasks": entries}, indent=0) + "\n")
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
