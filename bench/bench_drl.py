"""Benchmarks of the learning-based parts: DRL weight configuration and the DRL placement experts.

(a) ``config``: the paper's Exp#7/Table 13 setting - intent "maximize the bandwidth with the
    highest priority, then minimize latency and SRAM" as the preference throughput=1, latency=0.5,
    resources=0.5 - on Abilene with N tasks: per-epoch weights and latency / throughput / SRAM of the
    CP-SAT plan, next to the unconfigured weights.
(b) ``experts``: drl-hops / drl-latency vs the heuristics vs cpsat on hops, latency, coverage and
    time, 200 tasks on 8..32-device sub-topologies of GEANT (paper Exp#12), partial plans allowed.

    .venv/bin/python bench/bench_drl.py config   [--tasks 60] [--epochs 10] [--time-limit 30] [--work 3]
    .venv/bin/python bench/bench_drl.py experts  [--tasks 200] [--devices 8,16,24,32] [--mip-time 20]
    .venv/bin/python bench/bench_drl.py heldout --expert drl-hops --a OLD.npz --b experts/models/drl_hops.npz

Writes bench/results/drl_config.csv|png and bench/results/drl_experts.csv|png.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.progress import Progress  # noqa: E402
from rich.table import Table  # noqa: E402

from bench.common import write_csv  # noqa: E402
from experts.registry import PlanRequest, get  # noqa: E402
from omniplan.errors import OmniPlanError  # noqa: E402
from omniplan.evaluate import evaluate  # noqa: E402
from omniplan.feasibility import check_plan  # noqa: E402
from omniplan.objectives import OBJECTIVES, Preference  # noqa: E402
from omniplan.topology import load_topology  # noqa: E402
from omniplan.workload import generate_workload  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
console = Console(width=170)


# --------------------------------------------------------------------------- (a) configuration


def bench_config(args) -> None:
    from experts.configure import configure_weights

    topo = load_topology("abilene")
    names = [d.name for d in topo.devices]
    ingress = names[: args.ingress] if args.ingress > 0 else names
    wl = generate_workload(args.tasks, seed=args.seed, ingress_choices=ingress, scale=args.scale)
    request = PlanRequest(wl, topo, time_limit_s=args.time_limit, workers=2, seed=0,
                          work_limit=args.work if args.work > 0 else None)
    pref = Preference.parse(args.prefer)
    console.print(f"Exp#7 setting: Abilene ({len(names)} devices), {args.tasks} tasks (scale {args.scale}), "
                  f"cpsat {args.time_limit}s per epoch, preference {pref.as_dict()}")
    with Progress(console=console) as progress:
        bar = progress.add_task("configuring", total=args.epochs + 2)
        res = configure_weights(pref, request, epochs=args.epochs, seed=args.seed,
                                progress=lambda rec: progress.advance(bar))
    shown = tuple(o for o in OBJECTIVES if pref[o] > 0)
    table = Table(title=f"DRL weight configuration (stop: {res.stop_reason}, best epoch {res.best_epoch}, {res.elapsed_s:.0f} s)")
    for col in ("epoch", *(f"w_{k}" for k in shown), "lr", "SRAM %", "latency us", "thpt headroom %",
                "max link Gbps", "power W", "reward", "score", "solve s", "note"):
        table.add_column(col)
    rows = []
    for rec in res.history:
        o = rec.objectives
        max_util = (100.0 - o["throughput"]) / 100.0 if o else float("nan")
        row = {
            "epoch": rec.epoch, **{f"w_{k}": rec.weights[OBJECTIVES.index(k)] for k in OBJECTIVES},
            "lr": rec.lr, **{k: o.get(k, float("nan")) for k in OBJECTIVES},
            "max_link_gbps": max_util * 10.0, "reward": rec.reward, "mu": rec.mu, "score": rec.score,
            "violations": rec.violations, "solve_s": rec.solve_time_s, "note": rec.note,
        }
        rows.append(row)
        mark = " *" if rec.epoch == res.best_epoch else ""
        table.add_row(f"{rec.epoch}{mark}", *(f"{row[f'w_{k}']:.4f}" for k in shown), f"{rec.lr:+.2f}",
                      f"{o.get('resources', 0):.3f}", f"{o.get('latency', 0):.1f}", f"{o.get('throughput', 0):.2f}",
                      f"{row['max_link_gbps']:.2f}", f"{o.get('power', 0):.1f}", f"{rec.reward:+.4f}", f"{rec.score:+.4f}", f"{rec.solve_time_s:.1f}", rec.note)
    console.print(table)
    base, best = res.base_objectives, res.objectives
    console.print("best vs unconfigured: " + ", ".join(
        f"{k} {base[k]:.3f} -> {best[k]:.3f}" for k in OBJECTIVES))
    RESULTS.mkdir(parents=True, exist_ok=True)
    stem = "drl_config" if not args.tag else f"drl_config_{args.tag}"
    path = RESULTS / f"{stem}.csv"
    write_csv(path, rows)
    plots = list(dict.fromkeys(["latency", "throughput", "resources", *shown]))
    fig, axes = plt.subplots(1, 1 + len(plots), figsize=(4 * (1 + len(plots)), 3.5))
    ep = [r["epoch"] for r in rows]
    for k in shown:
        axes[0].plot(ep, [r[f"w_{k}"] for r in rows], marker="o", label=k)
    axes[0].set_title("weights")
    axes[0].legend()
    labels = {"latency": "latency (us)", "throughput": "throughput headroom (%)", "resources": "SRAM (%)", "power": "power (W)"}
    for ax, k in zip(axes[1:], plots):
        label = labels.get(k, k)
        ax.plot(ep, [r[k] for r in rows], marker="o")
        ax.set_title(label)
    for ax in axes:
        ax.set_xlabel("epoch (-1 = unconfigured)")
    fig.tight_layout()
    fig.savefig(RESULTS / f"{stem}.png", dpi=110)
    console.print(f"wrote {path} and {RESULTS / f'{stem}.png'}")


# --------------------------------------------------------------------------- (b) experts


def bench_experts(args) -> None:
    import experts.drl_expert  # noqa: F401  (registers drl-*)

    base_topo = load_topology("geant2012")
    sizes = [int(x) for x in args.devices.split(",")]
    methods = [m for m in args.methods.split(",") if m]
    rows = []
    with Progress(console=console) as progress:
        bar = progress.add_task("planning", total=len(sizes) * len(methods))
        for n in sizes:
            topo = base_topo.subset(n)
            names = [d.name for d in topo.devices]
            wl = generate_workload(args.tasks, seed=args.seed, ingress_choices=names, scale=args.scale)
            warm = None
            for name in methods:
                is_mip = get(name).kind == "mip"
                limit = args.mip_time if is_mip else 30.0
                # The MIP is warm-started from drl-hops' plan, as expert activation does.
                req = PlanRequest(wl, topo, time_limit_s=limit, allow_partial=True, workers=2, seed=0,
                                  warm_start=warm if is_mip else None)
                progress.update(bar, description=f"{name} on {n} devices")
                t0 = time.perf_counter()
                try:
                    plan = get(name).solve(req)
                except OmniPlanError as exc:
                    rows.append({"devices": n, "method": name, "error": str(exc)[:80], "time_s": time.perf_counter() - t0})
                    progress.advance(bar)
                    continue
                elapsed = time.perf_counter() - t0
                if name == "drl-hops":
                    warm = plan
                ev = evaluate(plan, wl, topo)
                viol = check_plan(plan, wl, topo)
                rows.append({"devices": n, "method": name, "placed": ev.placed_tasks, **ev.objectives,
                             "time_s": elapsed, "violations": len(viol), "status": plan.info.get("status", ""), "error": ""})
                progress.advance(bar)
    table = Table(title=f"{args.tasks} tasks (scale {args.scale}) on GEANT sub-topologies, partial plans allowed")
    for col in ("devices", "method", "placed", "coverage %", "cov / drl-hops", "hops", "latency us", "time ms", "viol.", "status"):
        table.add_column(col)
    ref = {r["devices"]: r for r in rows if r["method"] == "drl-hops" and not r.get("error")}
    for r in rows:
        if r.get("error"):
            table.add_row(str(r["devices"]), r["method"], "-", "-", "-", "-", "-", f"{1000 * r['time_s']:.0f}", "-", r["error"])
            continue
        base = ref.get(r["devices"])
        ratio = r["placed"] / base["placed"] if base and base["placed"] else float("nan")
        table.add_row(str(r["devices"]), r["method"], str(r["placed"]), f"{r['coverage']:.1f}", f"{ratio:.2f}",
                      f"{r['hops']:.2f}", f"{r['latency']:.0f}", f"{1000 * r['time_s']:.0f}", str(r["violations"]), str(r["status"]))
    console.print(table)
    RESULTS.mkdir(parents=True, exist_ok=True)
    stem = "drl_experts" if not args.tag else f"drl_experts_{args.tag}"
    path = RESULTS / f"{stem}.csv"
    fields = ["devices", "method", "placed", *OBJECTIVES, "time_s", "violations", "status", "error"]
    with path.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=fields, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    fig, axes = plt.subplots(1, 4, figsize=(17, 3.8))
    for name in methods:
        pts = [r for r in rows if r["method"] == name and not r.get("error")]
        if not pts:
            continue
        for ax, key in zip(axes, ("coverage", "hops", "latency", "time_s")):
            # hops and latency of a plan that placed nothing are not 0, they are undefined
            shown = [r for r in pts if key in ("coverage", "time_s") or r["placed"] > 0]
            ax.plot([r["devices"] for r in shown], [r[key] for r in shown], marker="o", label=name)
    for ax, title in zip(axes, ("coverage (%)", "hops per task", "latency (us)", "planning time (s)")):
        ax.set_title(title)
        ax.set_xlabel("devices")
    axes[3].set_yscale("log")
    axes[0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(RESULTS / f"{stem}.png", dpi=110)
    console.print(f"wrote {path} and {RESULTS / f'{stem}.png'}")


# --------------------------------------------------------------------------- (c) held-out return


def bench_heldout(args) -> None:
    """Two placement scorers on the same held-out episodes of the training distribution.

    The episodes are drawn from ``train_drl.placement_case`` with seeds ``--seed`` .. +N (training
    uses seed 0's stream), and each scorer is rolled out greedily; the total MDP return (coverage,
    hop/latency detour and resource terms of the expert's reward) is what PPO maximised.
    """
    import numpy as np

    from experts.drl_expert import SPECS
    from experts.drl_scorer import DeviceScorer
    from experts.placement_env import PlacementEnv
    from experts.train_drl import placement_case

    scorers = {"A": DeviceScorer.load(args.a), "B": DeviceScorer.load(args.b)}
    returns = {k: [] for k in scorers}
    for k in range(args.episodes):
        for tag, scorer in scorers.items():
            env = PlacementEnv(placement_case, SPECS[args.expert].reward, seed=args.seed + k)
            env.reset(seed=args.seed + k)
            total, done = 0.0, env.pos >= len(env.order)
            while not done:
                rows = env.state.features(env.order[env.pos]).astype(np.float64)
                _, r, done, _, _ = env.step(int(np.argmax(scorer.scores(rows))))
                total += r
            returns[tag].append(total)
    a, b = np.array(returns["A"]), np.array(returns["B"])
    console.print(f"{args.expert}: {len(a)} held-out episodes (seeds {args.seed}..{args.seed + len(a) - 1}); "
                  f"mean return A {a.mean():.2f} ({args.a}), B {b.mean():.2f} ({args.b}); "
                  f"B better in {(b > a + 1e-9).sum()}, worse in {(b < a - 1e-9).sum()}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="what", required=True)
    a = sub.add_parser("config", help="(a) Exp#7: per-epoch weight configuration")
    a.add_argument("--tasks", type=int, default=60)
    a.add_argument("--epochs", type=int, default=10)
    a.add_argument("--time-limit", type=float, default=30.0, help="cpsat seconds per epoch (wall cap with --work)")
    a.add_argument("--work", type=float, default=3.0,
                   help="CP-SAT deterministic work per epoch: the same weights give the same plan (0 = wall time only)")
    a.add_argument("--scale", type=float, default=5.0, help="workload size scale (generate_workload)")
    a.add_argument("--seed", type=int, default=0)
    a.add_argument("--prefer", default="throughput=1,latency=0.5,resources=0.5",
                   help="preference vector (default: the Exp#7 intent)")
    a.add_argument("--ingress", type=int, default=0, help="draw ingress from the first K devices only (0 = all)")
    a.add_argument("--tag", default="", help="suffix of the output files")
    b = sub.add_parser("experts", help="(b) Exp#12: DRL experts vs heuristics vs cpsat")
    b.add_argument("--tasks", type=int, default=200)
    b.add_argument("--devices", default="8,16,24,32")
    b.add_argument("--methods", default="drl-hops,drl-latency,latency-greedy,resource-greedy,coverage-greedy,coordination-greedy,cpsat")
    b.add_argument("--mip-time", type=float, default=20.0)
    b.add_argument("--scale", type=float, default=10.0)
    b.add_argument("--seed", type=int, default=0)
    b.add_argument("--tag", default="", help="suffix of the output files")
    c = sub.add_parser("heldout", help="(c) two placement scorers' return on held-out episodes")
    c.add_argument("--expert", choices=["drl-hops", "drl-latency"], required=True)
    c.add_argument("--a", required=True, help="scorer .npz (e.g. the previous one, from git show)")
    c.add_argument("--b", required=True, help="scorer .npz (e.g. experts/models/drl_hops.npz)")
    c.add_argument("--episodes", type=int, default=30)
    c.add_argument("--seed", type=int, default=12345)
    args = ap.parse_args()
    {"config": bench_config, "experts": bench_experts, "heldout": bench_heldout}[args.what](args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
