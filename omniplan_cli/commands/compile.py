"""`omniplan compile`: a trained model file -> an omniplan-workload/1 file holding one task.

The task carries the MAT DAG the planner places (SRAM/TCAM bits, stages, PHV bits, dependency
bits) and, in ``program``, the compiled table entries the controller realises on the switches.
Input is validated first (missing file, pickle refused, untrusted skops types named, unsupported
model type named); the output is written to a temporary file and renamed, so errors leave nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
from pathlib import Path

from omniplan.errors import InputError


#: How features are quantised, shown in --help (the README says the same).
QUANT_HELP = """\
quantisation: every feature travels as a 16-bit code q = round(interp(x, knots)) clipped to
0..65535. --ranges FILE (or the ranges saved in a .json export) gives, per feature, either
  [lo, hi]                                  linear map of [lo, hi] plus a 5% margin; if lo and hi are
                                            integers and hi - lo <= 65535, every integer keeps its own
                                            code (ports: [0, 65535] maps each port to itself)
  [lo, hi, is_integer, knot1, knot2, ...]   what mlcompiler.compiler.ranges_from_data(X_train) writes:
                                            interior training quantiles as knots (equal code share per
                                            quantile); is_integer = 1 keeps integer values exact
Without ranges, trees use their own thresholds' span and GaussianNB mean +- 4 sd; linear SVMs need
ranges. The best accuracy comes from the knot form written from the training data. With
--packet-features no ranges are needed: the switch matches the fields' own 16-bit values exactly.

mappings (trees): 'shared' = one code word per feature for all trees (fewest lookups, entries can
explode as products of prefix counts); 'grouped' = trees packed into groups whose thresholds fit the
code region as thermometer codes, one entry per threshold and per leaf (entries linear in nodes, more
lookups). 'auto' keeps 'shared' unless it needs more than 4x the entries of 'grouped' (stages are
scarcer than entries), among mappings that fit --max-entries and 65,536-entry stage tables; the output
line names the mapping used and sizes the other.
"""


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "compile",
        help="compile a trained classifier into match-action tables (a workload task)",
        description="Compile a DecisionTree / RandomForest / GaussianNB / linear SVM / XGBoost classifier "
                    "(.skops, loaded with an allow-list; our .json export; or XGBoost's own JSON model, "
                    "booster.save_model('m.json')) into inml.p4 match-action tables.",
        epilog=QUANT_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("model", help="model file: .skops or .json (ours or XGBoost's); pickle files are refused")
    p.add_argument("--out", required=True, metavar="FILE", help="where to write the workload (one task)")
    p.add_argument("--name", help="task name (default: the model file's stem)")
    p.add_argument("--format", choices=("json", "yaml"), default=None,
                   help="output format (default: from --out's suffix, else json)")
    p.add_argument("--ranges", metavar="FILE",
                   help="JSON list per feature of [lo, hi] or [lo, hi, is_integer, knots...] for quantisation "
                        "(overrides ranges in the model file; see below)")
    p.add_argument("--packet-features", metavar="NAMES",
                   help="comma-separated packet feature names, one per model column in order (catalogue: "
                        "p4src/features.py, e.g. ip.len,l4.dport,flow.pkts): the switch computes them from "
                        "IPv4/TCP/UDP headers and flow state and matches their 16-bit values exactly")
    p.add_argument("--bins", type=int, default=256, help="bins per feature table for NB / SVM (default 256)")
    p.add_argument("--mapping", choices=("auto", "shared", "grouped"), default="auto",
                   help="tree mapping (default auto; see below)")
    p.add_argument("--max-entries", type=int, default=1_000_000, metavar="N",
                   help="refuse a model needing more table entries than N (default 1,000,000); a single "
                        "table over inml.p4's 65,536-entry stage tables is always refused")
    p.add_argument("--ingress", metavar="DEVICE", help="device where the task's traffic enters")
    p.add_argument("--rate-mpps", type=float, default=1.0, help="packet rate of the task's traffic (Mpps)")
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    from mlcompiler.compiler import compile_model
    from mlcompiler.loader import load_model, load_ranges
    from omniplan.workload import FORMAT, task_to_dict

    model = Path(args.model)
    name = args.name or re.sub(r"[^A-Za-z0-9_.-]", "_", model.stem)
    if not name or "/" in name or "->" in name or "@" in name:
        raise InputError(f"--name {name!r}: task names may not be empty or contain '/', '->' or '@'")
    if args.bins < 2:
        raise InputError("--bins must be >= 2")
    if args.rate_mpps <= 0:
        raise InputError("--rate-mpps must be > 0")
    if args.max_entries < 1:
        raise InputError("--max-entries must be >= 1")
    out = Path(args.out)
    if out.is_dir():
        raise InputError(f"--out {out}: is a directory")
    if not out.parent.exists():
        raise InputError(f"--out {out}: directory {out.parent} does not exist")
    fmt = args.format or ("yaml" if out.suffix.lower() in (".yaml", ".yml") else "json")
    packet_features = [n.strip() for n in args.packet_features.split(",")] if args.packet_features else None
    if packet_features is not None and args.ranges:
        raise InputError("--ranges and --packet-features exclude each other: packet features are matched exactly")
    ranges = load_ranges(args.ranges) if args.ranges else None
    spec = load_model(model, ranges)
    task = compile_model(spec, name, n_bins=args.bins, mapping=args.mapping, max_entries=args.max_entries,
                         ingress=args.ingress, rate_mpps=args.rate_mpps, packet_features=packet_features)
    doc = {"format": FORMAT, "tasks": [task_to_dict(task)]}
    if fmt == "yaml":
        import yaml

        text = yaml.safe_dump(doc, sort_keys=False, width=120)
    else:
        text = json.dumps(doc, separators=(",", ":")) + "\n"
    fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    entries = sum(m.entries for m in task.mats)
    prog = task.program or {}
    sizes = prog.get("mappings", {})
    others = "; ".join(f"{k}: {v['entries']:,} entries, {v['lookups']} lookups" for k, v in sizes.items()
                       if k != prog.get("mapping"))
    print(f"{name}: {spec.model} -> {prog.get('mapping', '?')} mapping, {len(task.mats)} MATs, {len(task.deps)} "
          f"dependencies, {entries} entries, {task.sram_bits} SRAM bits, {sum(m.tcam_bits for m in task.mats)} TCAM bits"
          f"{f' (not chosen: {others})' if others else ''} -> {out} ({fmt})", file=sys.stdout)
    return 0
