"""`omniplan plan`: preference (or intent) -> expert activation -> plan, shown as a table or JSON.

Everything the operator supplies is validated before any expert runs, and output files
(--out, --plot) are first written to temporary files next to their targets and only renamed into
place once both are complete, so a failed run leaves nothing behind.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from omniplan.errors import InfeasibleError, InputError
from omniplan.objectives import UNITS  # unit shown next to each objective


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "plan",
        help="place ML-inference MATs for a preference or intent",
        description="Plan where each task's match-action tables run. Activates experts per Algorithm 1: one fast "
                    "expert when a single objective dominates (>= tau), else the most similar fast expert plus "
                    "the CP-SAT MIP expert warm-started from it.",
    )
    p.add_argument("--topology", default="abilene", help="Topology Zoo name, fattree4 / fattree:K, or a .graphml file")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--tasks", type=int, default=None, help="generate this many tasks (default 20)")
    src.add_argument("--workload", metavar="FILE", help="omniplan-workload/1 JSON or YAML file")
    p.add_argument("--seed", type=int, default=0, help="seed of the generated workload and of the solvers")
    p.add_argument("--scale", type=float, default=1.0,
                   help="multiply the generated tasks' compiled table sizes (1 = as compiled; 4 forces splits)")
    want = p.add_mutually_exclusive_group()
    want.add_argument("--prefer", default="", metavar="OBJ=V,...",
                      help="objective intensities in [0,1], e.g. latency=1,resources=0.5")
    want.add_argument("--intent", metavar="TEXT", help="natural-language intent, translated by the intent module")
    p.add_argument("--expert", metavar="NAME", help="run this expert only (skips activation)")
    p.add_argument("--devices", type=int, metavar="N", help="use the first N devices (BFS from the busiest node)")
    p.add_argument("--profile", choices=("tofino", "bmv2"), default="tofino", help="device profile for every switch")
    p.add_argument("--tau", type=float, default=None, help="dominance threshold of Algorithm 1 (default 0.9)")
    p.add_argument("--time-limit", type=float, default=30.0, metavar="S", help="MIP time limit in seconds")
    p.add_argument("--tune-weights", action="store_true",
                   help="let the DRL weight configurator (experts/configure.py) set the MIP's weights")
    p.add_argument("--allow-partial", action="store_true", help="place as many tasks as fit instead of failing")
    p.add_argument("--json", action="store_true", help="print machine-readable JSON instead of tables")
    p.add_argument("--plot", metavar="FILE", help="draw the plan on the topology (e.g. plan.png)")
    p.add_argument("--out", metavar="FILE", help="save the chosen plan as JSON")
    p.set_defaults(func=run)
    return p


# --------------------------------------------------------------------------- validation

def _check_output_path(path: str, option: str) -> Path:
    target = Path(path)
    if target.exists() and target.is_dir():
        raise InputError(f"{option} {path}: is a directory")
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise InputError(f"{option} {path}: directory {parent} does not exist")
    if not os.access(parent, os.W_OK):
        raise InputError(f"{option} {path}: directory {parent} is not writable")
    return target


def _preference(args: argparse.Namespace):
    from omniplan.objectives import Preference, PreferenceError

    if args.intent is not None:
        if not args.intent.strip():
            raise InputError("--intent: empty text")
        try:
            from intent import translate
        except ImportError as exc:
            raise InputError(f"--intent needs the intent translator, which cannot be imported ({exc}); "
                             "use --prefer instead") from None
        result = translate(args.intent)
        return result.preference, result
    try:
        return Preference.parse(args.prefer), None
    except PreferenceError as exc:
        raise InputError(f"--prefer: {exc}") from None


def _inputs(args: argparse.Namespace):
    from omniplan.topology import PROFILES, load_topology
    from omniplan.workload import generate_compiled_workload, load_workload

    if args.tau is not None and not 0.0 <= args.tau <= 1.0:
        raise InputError(f"--tau must be in [0, 1], got {args.tau}")
    if not args.time_limit > 0:
        raise InputError(f"--time-limit must be > 0 seconds, got {args.time_limit}")
    if args.devices is not None and args.devices < 1:
        raise InputError(f"--devices must be >= 1, got {args.devices}")
    if args.tasks is not None and args.tasks < 1:
        raise InputError(f"--tasks must be >= 1, got {args.tasks}")
    if not args.scale > 0:
        raise InputError(f"--scale must be > 0, got {args.scale}")
    out = _check_output_path(args.out, "--out") if args.out else None
    plot = _check_output_path(args.plot, "--plot") if args.plot else None
    if plot is not None:
        from omniplan.plot import supported_format

        if not supported_format(plot):
            raise InputError(f"--plot {args.plot}: unknown image format {plot.suffix or '(no suffix)'!r}; use .png, .svg or .pdf")
    if args.expert:
        from experts import registry

        try:
            registry.get(args.expert)
        except KeyError as exc:
            raise InputError(f"--expert: {exc.args[0]}") from None
    pref, translation = _preference(args)
    topology = load_topology(args.topology, profile=PROFILES[args.profile])
    if args.devices is not None:
        topology = topology.subset(args.devices)
    if args.workload:
        workload = load_workload(args.workload)
    else:
        # Tasks sized by our compiler, each with an ingress and an egress (omniplan.workload).
        workload = generate_compiled_workload(args.tasks or 20, args.seed, [d.name for d in topology.devices],
                                              scale=args.scale)
    return pref, translation, topology, workload, out, plot


# --------------------------------------------------------------------------- output

def _report(result, topology, workload, translation) -> dict[str, Any]:
    act = result.as_dict()
    runs = act.pop("runs")
    ev = result.evaluation
    out: dict[str, Any] = {
        "topology": {"name": topology.name, "devices": len(topology.devices), "links": len(topology.links)},
        "workload": {"tasks": len(workload.tasks), "mats": len(workload.mat_ids())},
        "preference": result.preference.as_dict(),
        "activation": act,
        "experts": runs,
        "chosen": result.chosen,
        "objectives": dict(ev.objectives),
        "units": dict(UNITS),
        "evaluation": {"phv_pct": ev.phv_pct, "max_link_util_pct": ev.max_link_util_pct,
                       "placed_tasks": ev.placed_tasks, "total_tasks": ev.total_tasks,
                       "split_tasks_pct": ev.split_pct, "off_path_tasks_pct": ev.off_path_pct},
        "plan": result.plan.to_dict(),
    }
    if translation is not None:
        out["intent"] = {
            "text": getattr(translation, "text", None),
            "preference": result.preference.as_dict(),
            "confidence": getattr(translation, "confidence", None),
            "backend": getattr(translation, "backend", None),
            "notes": list(getattr(translation, "notes", []) or []),
        }
    return out


def _print_tables(result, topology, workload, translation=None) -> None:
    from rich.console import Console
    from rich.table import Table

    from omniplan.objectives import DIRECTION, OBJECTIVES

    console = Console()
    sel = result.selection
    if translation is not None:
        asked = ", ".join(f"{k}={v:g}" for k, v in result.preference.as_dict().items() if v) or "nothing"
        console.print(f"intent {getattr(translation, 'text', '')!r} -> {asked}", highlight=False)
    runs = [r for r in result.runs if r.evaluation is not None]
    table = Table(title=f"{topology.name} ({len(topology.devices)} devices), {len(workload.tasks)} tasks: "
                        f"chosen plan from {result.chosen}")
    table.add_column("objective")
    table.add_column("unit")
    table.add_column("better")
    table.add_column("pref", justify="right")
    for r in runs:
        table.add_column(r.name + (" *" if r.name == result.chosen else ""), justify="right")
    for o in OBJECTIVES:
        table.add_row(o, UNITS[o], "higher" if DIRECTION[o] > 0 else "lower", f"{result.preference[o]:g}",
                      *[_fmt(r.evaluation.objectives[o]) for r in runs])
    console.print(table)

    solve = Table(title="experts")
    for col in ("expert", "kind", "role", "status", "time (s)", "gap", "weighted cost", "cosine"):
        solve.add_column(col, justify="right" if col in ("time (s)", "gap", "weighted cost", "cosine") else "left")
    for r in result.runs:
        solve.add_row(r.name, r.kind, r.role, r.status, f"{r.solve_time_s:.3f}",
                      "-" if r.gap is None else f"{100 * r.gap:.2f}%",
                      "-" if r.weighted_cost is None else f"{r.weighted_cost:.4f}",
                      f"{sel.similarities[r.name]:.3f}" if r.name in sel.similarities else "-")
    console.print(solve)
    console.print(f"activation: [bold]{sel.rule}[/bold] - {sel.reason}", highlight=False)
    # The rule says which experts the channel calls for; this line says which actually ran (the MIP
    # may be skipped at the bound, and fast experts may fall through), so the two never get confused.
    ran = ", ".join(f"{r.name} ({r.role})" for r in result.runs)
    console.print(f"experts that ran: {ran}; chosen: {result.chosen}", highlight=False)
    top = sorted(sel.similarities.items(), key=lambda kv: -kv[1])[:6]
    console.print("cosine similarity: " + ", ".join(f"{k} {v:.3f}" for k, v in top), highlight=False)
    for note in result.notes:
        console.print(f"note: {note}", highlight=False)
    ev = result.evaluation
    console.print(f"placed {ev.placed_tasks}/{ev.total_tasks} tasks; split {ev.split_pct:.1f}%; "
                  f"off their flow path {ev.off_path_pct:.1f}%; PHV {ev.phv_pct:.1f}%; "
                  f"busiest link {ev.max_link_util_pct:.1f}%", highlight=False)


def _fmt(value: float) -> str:
    return f"{value:.2f}" if abs(value) < 1e5 else f"{value:.4g}"


def _write_outputs(result, workload, topology, out: Path | None, plot: Path | None) -> None:
    """Write both files to temporaries first; rename only when both succeeded."""
    staged: list[tuple[Path, Path]] = []
    try:
        if out is not None:
            fd, tmp = tempfile.mkstemp(prefix=".omniplan-", suffix=".json", dir=out.parent if str(out.parent) else ".")
            with os.fdopen(fd, "w") as fh:
                json.dump(result.plan.to_dict(), fh, indent=1)
                fh.write("\n")
            staged.append((Path(tmp), out))
        if plot is not None:
            from omniplan.plot import draw_plan

            fd, tmp = tempfile.mkstemp(prefix=".omniplan-", suffix=plot.suffix, dir=plot.parent if str(plot.parent) else ".")
            os.close(fd)
            draw_plan(result.plan, workload, topology, tmp)
            staged.append((Path(tmp), plot))
    except BaseException as exc:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise InputError(f"cannot write output: {exc}") from None
        raise
    for tmp, target in staged:
        os.replace(tmp, target)


def run(args: argparse.Namespace) -> int:
    from experts.activation import DEFAULT_TAU, activate, run_single
    from omniplan.diagnose import diagnose

    pref, translation, topology, workload, out, plot = _inputs(args)
    problems = diagnose(workload, topology)
    if problems and not args.allow_partial:
        raise InfeasibleError("cannot place every task: " + "; ".join(problems) + " (try --allow-partial)")
    tau = DEFAULT_TAU if args.tau is None else args.tau
    common = dict(time_limit_s=args.time_limit, allow_partial=args.allow_partial, seed=args.seed)
    if args.expert:
        result = run_single(args.expert, pref, workload, topology, **common)
    else:
        configure = None
        if args.tune_weights:
            try:
                from experts.configure import configure
            except ImportError as exc:
                raise InputError(f"--tune-weights needs experts.configure, which cannot be imported ({exc})") from None
        result = activate(pref, workload, topology, tau=tau, configure=configure, **common)
    _write_outputs(result, workload, topology, out, plot)
    if args.json:
        print(json.dumps(_report(result, topology, workload, translation), indent=1, default=str))
    else:
        _print_tables(result, topology, workload, translation)
        for path in (out, plot):
            if path is not None:
                print(f"wrote {path}")
    return 0
