"""Controller benchmark: intent-to-deployed latency, API latency under load, entries written per second.

Everything runs for real on loopback: one omniplan-switch process per Abilene device, the
controller (API + planning queue + finsy southbound) in this process, compiled sklearn tasks.

* intent -> deployed: POST /intents (naming tasks registered with POST /models) until GET /intents/{id} says deployed, for 20/60/100 tasks on
  Abilene, fast channel (best fast expert) and optimal channel (CP-SAT), ``--reps`` intents per
  cell alternating two preferences so every push after the first moves tables (median reported).
* API latency: ``--clients`` concurrent clients each sending ``--requests`` GETs (intent, plan,
  health), bounded; p50/p99.
* entries/s: table updates written by each push over the push's wall time.

Usage: .venv/bin/python bench/bench_controller.py [--sizes 20,60,100] [--reps 3] [--time-limit 10]
Writes bench/results/bench_controller.csv, bench_controller_api.csv and bench_controller.png.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

RESULTS = ROOT / "bench" / "results"
TOKEN = "bench"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
PREFS = ({"coordination": 1}, {"power": 1})


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    if not values:
        return float("nan")
    k = min(len(values) - 1, max(0, int(round(q / 100 * (len(values) - 1)))))
    return values[k]


def _append_row(row: dict) -> None:
    """Rows land on disk as they are measured, so an interrupted run keeps what it measured."""
    path = RESULTS / "bench_controller.partial.csv"
    new = not path.exists()
    with open(path, "a", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(row))
        if new:
            w.writeheader()
        w.writerow(row)


def build_tasks(n: int, devices: list[str]):
    from controller.testing import compiled_tasks

    ingress = [devices[i % len(devices)] for i in range(n)]
    tasks, _ = compiled_tasks(ingress, seed=0)
    return tasks


async def run_cell(topo, sp, tasks, channel: str, reps: int, time_limit: float, progress, task_id) -> list[dict]:
    import aiohttp

    from controller.service import Controller, ServiceOptions
    from controller.southbound import Southbound
    from controller.store import Store
    from controller.testing import serve_api, wait_for
    from omniplan.workload import task_to_dict

    cfg = sp.configs()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        ctl = Controller(Store(Path(tmp) / "c.db"), topo, cfg, southbound=Southbound(cfg),
                         options=ServiceOptions(time_limit_s=time_limit, batch_size=256, drain_s=0.0))
        async with serve_api(ctl, TOKEN, max_body=64 << 20) as url, aiohttp.ClientSession(headers=AUTH) as http:
            await wait_for(lambda: all(d.is_ready() for d in ctl.southbound.drivers.values()), 60)
            # a fresh controller reconciles every switch to its (empty) desired state on connect,
            # which clears the previous cell's tables; wait for that before timing anything
            await wait_for(lambda: all(d.info.get("reconciled") for d in ctl.southbound.drivers.values()), 120)
            # the compiled tasks are registered once (POST /models); intents name them
            for t in tasks:
                body = json.loads(json.dumps({"task": task_to_dict(t)}, default=int))
                async with http.post(f"{url}/models", json=body, headers=AUTH) as r:
                    assert r.status == 201, await r.text()
            names = [t.name for t in tasks]
            for rep in range(reps):
                body = {"preference": PREFS[rep % 2], "tasks": names, "channel": channel,
                        "time_limit_s": time_limit}
                t0 = time.perf_counter()
                async with http.post(f"{url}/intents", json=body, headers=AUTH) as r:
                    assert r.status == 202, await r.text()
                    intent_id = (await r.json())["id"]

                async def done():
                    async with http.get(f"{url}/intents/{intent_id}") as r:
                        rec = await r.json()
                    return rec if rec["state"] in ("deployed", "failed", "pending") else None
                rec = await wait_for(done, 900, 0.01)
                wall = time.perf_counter() - t0
                tm = rec.get("timings_s", {})
                push = rec.get("push", {})
                deploy_s = tm.get("deploy", float("nan"))
                written = push.get("written", 0)
                rows.append({
                    "tasks": len(tasks), "channel": channel, "rep": rep, "state": rec["state"],
                    "expert": rec.get("expert"), "intent_to_deployed_s": round(wall, 4),
                    "plan_s": tm.get("plan"), "realize_s": tm.get("realize"), "twin_s": tm.get("twin"),
                    "deploy_s": deploy_s, "entries_written": written,
                    "entries_per_s": round(written / deploy_s, 1) if written and deploy_s else 0.0,
                    "error": rec.get("error") or "",
                })
                progress.advance(task_id)
                progress.console.print(f"{len(tasks)} tasks {channel} rep {rep}: {rec['state']} in {wall:.2f} s "
                                       f"(plan {tm.get('plan')}, deploy {deploy_s}, {written} entries) {rows[-1]['error'][:120]}")
                _append_row(rows[-1])
        ctl.store.close()
    return rows


async def api_load(topology: str, clients: int, requests: int) -> dict:
    """p50/p99 of GETs from ``clients`` concurrent clients against an `omniplan serve` subprocess.

    The server runs in its own process so the load generator does not share its event loop.
    """
    import re
    import subprocess

    import aiohttp

    from controller.testing import wait_for
    from omniplan.topology import load_topology
    from omniplan.workload import generate_workload

    topo = load_topology(topology)
    with tempfile.TemporaryDirectory() as tmp:
        wl = Path(tmp) / "wl.json"
        generate_workload(5, seed=1, ingress_choices=[d.name for d in topo.devices]).save(wl)
        proc = subprocess.Popen([sys.executable, "-m", "omniplan_cli", "serve", "--port", "0", "--db", f"{tmp}/c.db",
                                 "--token", TOKEN, "--topology", topology, "--workload", str(wl), "--no-warm"],
                                cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            m = re.search(r"http://[\d.]+:(\d+)", proc.stdout.readline())
            assert m, "omniplan serve did not start"
            url = f"http://127.0.0.1:{m.group(1)}"
            conn = aiohttp.TCPConnector(limit=clients)
            async with aiohttp.ClientSession(connector=conn) as http:
                async with http.post(f"{url}/intents", json={"preference": {"power": 1}, "channel": "fast"},
                                     headers=AUTH) as r:
                    intent_id = (await r.json())["id"]

                async def settled():
                    async with http.get(f"{url}/intents/{intent_id}") as r:
                        return (await r.json())["state"] in ("validated", "failed")
                await wait_for(settled, 120)
                paths = [f"/intents/{intent_id}", "/plan", "/health", "/intents"]
                lat: list[float] = []

                async def client(i: int) -> None:
                    for k in range(requests):
                        t0 = time.perf_counter()
                        async with http.get(url + paths[(i + k) % len(paths)]) as r:
                            await r.read()
                            assert r.status == 200
                        lat.append(time.perf_counter() - t0)

                t0 = time.perf_counter()
                await asyncio.gather(*(client(i) for i in range(clients)))
                wall = time.perf_counter() - t0
        finally:
            proc.terminate()
            proc.wait(timeout=20)
            proc.stdout.close()
    return {"clients": clients, "requests": len(lat), "p50_ms": round(_pct(lat, 50) * 1000, 3),
            "p99_ms": round(_pct(lat, 99) * 1000, 3), "max_ms": round(max(lat) * 1000, 3),
            "throughput_rps": round(len(lat) / wall, 1)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="20,60,100")
    ap.add_argument("--channels", default="fast,optimal")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--time-limit", type=float, default=10.0)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--requests", type=int, default=40)
    ap.add_argument("--topology", default="abilene")
    ap.add_argument("--profile", default="bmv2", choices=("bmv2", "tofino"),
                    help="device profile the planner assumes (the switches are software targets: bmv2)")
    args = ap.parse_args(argv)

    import logging

    from rich.console import Console
    from rich.progress import Progress
    from rich.table import Table

    from bench.common import write_csv
    from controller.testing import SwitchProcesses
    from omniplan.topology import load_topology

    logging.getLogger("finsy").setLevel(logging.ERROR)
    console = Console()
    sizes = [int(s) for s in args.sizes.split(",")]
    channels = args.channels.split(",")
    from omniplan.topology import PROFILES

    topo = load_topology(args.topology, profile=PROFILES[args.profile])
    devices = sorted(topo.device_index)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "bench_controller.partial.csv").unlink(missing_ok=True)
    rows: list[dict] = []
    with SwitchProcesses(topo) as sp, Progress(console=console) as progress:
        bar = progress.add_task("intents", total=len(sizes) * len(channels) * args.reps)
        for n in sizes:
            tasks = build_tasks(n, devices)
            for ch in channels:
                rows += asyncio.run(run_cell(topo, sp, tasks, ch, args.reps, args.time_limit, progress, bar))
    api = asyncio.run(api_load(args.topology, args.clients, args.requests))

    (RESULTS / "bench_controller.partial.csv").unlink(missing_ok=True)
    write_csv(RESULTS / "bench_controller.csv", rows)
    write_csv(RESULTS / "bench_controller_api.csv", [api])

    t = Table(title=f"intent -> deployed on {topo.name} ({len(devices)} omniplan-switch processes, {args.profile} profile), "
                    f"median of {args.reps}, solver limit {args.time_limit:g} s")
    for col in ("tasks", "channel", "deployed", "median s", "plan s", "twin s", "deploy s", "entries", "entries/s", "vs fast"):
        t.add_column(col, justify="right")
    summary = []
    for n in sizes:
        fast_med = None
        for ch in channels:
            cell = [r for r in rows if r["tasks"] == n and r["channel"] == ch]
            ok = [r for r in cell if r["state"] == "deployed"]
            med = statistics.median(r["intent_to_deployed_s"] for r in ok) if ok else float("nan")
            if ch == "fast":
                fast_med = med
            def m(key):
                vals = [r[key] for r in ok if isinstance(r[key], (int, float))]
                return statistics.median(vals) if vals else float("nan")
            ratio = med / fast_med if fast_med else float("nan")
            summary.append((n, ch, med))
            t.add_row(str(n), ch, f"{len(ok)}/{len(cell)}", f"{med:.3f}", f"{m('plan_s'):.3f}", f"{m('twin_s'):.3f}",
                      f"{m('deploy_s'):.3f}", f"{m('entries_written'):.0f}", f"{m('entries_per_s'):.0f}", f"{ratio:.2f}x")
    console.print(t)
    for r in rows:
        if r["state"] != "deployed":
            console.print(f"[red]{r['tasks']} tasks {r['channel']} rep {r['rep']}: {r['state']}: {r['error']}[/]")
    at = Table(title=f"API latency, {api['clients']} concurrent clients, {api['requests']} GETs (loopback)")
    for k in api:
        at.add_column(k, justify="right")
    at.add_row(*(str(v) for v in api.values()))
    console.print(at)

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for ch in channels:
        pts = [(n, med) for n, c, med in summary if c == ch]
        ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=f"{ch} channel")
    ax.set_xlabel("tasks")
    ax.set_ylabel("intent -> deployed, median (s)")
    ax.set_title(f"OmniPlan controller on {topo.name}")
    ax.legend()
    fig.tight_layout()
    fig.savefig(RESULTS / "bench_controller.png", dpi=120)
    console.print(f"wrote {RESULTS / 'bench_controller.csv'}, {RESULTS / 'bench_controller_api.csv'}, "
                  f"{RESULTS / 'bench_controller.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
