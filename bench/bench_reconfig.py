"""Live reconfiguration on Mininet: packets lost or misclassified while MATs move, and intent-to-deployed time.

One emulated network (default: a line of 3 omniplan-switch nodes, one host each) with the
controller in front. Intent A is deployed first; then, for each rate, h1 sends quantised iris
samples at that rate while intent B (a different placement) is submitted and deployed (traffic
starts --submit-at seconds before the submit and lasts until --after seconds after deployment),
and the next rate alternates back to A. For comparison each rate also runs --duration seconds of
steady traffic with no intent. Every frame carries a sequence number, so the receivers tell
exactly which packets were lost, duplicated, left unlabelled or labelled differently from
scikit-learn's ``model.predict`` -- overall and inside the reconfiguration window (from the
submit to the deployed answer). Intent-to-deployed latency is measured at the client (submit ->
``deployed`` seen by polling) and split by the controller's own step timings.

Run (root): ``.venv/bin/python -m bench.bench_reconfig --rates 500,1000,2000``
Writes ``bench/results/reconfig.csv`` and ``bench/results/reconfig.png``.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
DEFAULT_A = "minimize latency"
DEFAULT_B = "spread the model over as many switches as possible"


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench.bench_reconfig", description=__doc__.splitlines()[0])
    p.add_argument("--topo", default="line3", help="topology (default line3)")
    p.add_argument("--switches", type=int, default=0, help="subset size (0 = whole topology)")
    p.add_argument("--rates", default="500,1000,2000", help="comma-separated packet rates (pkt/s)")
    p.add_argument("--duration", type=float, default=6.0, help="seconds of steady traffic per rate (no reconfiguration)")
    p.add_argument("--submit-at", type=float, default=1.5,
                   help="seconds of traffic on the old placement before the intent is submitted")
    p.add_argument("--after", type=float, default=2.0,
                   help="seconds of traffic on the new placement after the intent is deployed")
    p.add_argument("--model", default="rf", choices=["dt", "rf", "nb", "svm"])
    p.add_argument("--intent-a", default=DEFAULT_A, help="the first intent (text)")
    p.add_argument("--intent-b", default=DEFAULT_B, help="the intent that moves the MATs (text)")
    p.add_argument("--prefer-a", default="latency=1",
                   help="preference vector of the first intent (default latency=1: every MAT on the ingress); "
                        "'' = use the --intent-a text")
    p.add_argument("--prefer-b", default="power=1",
                   help="preference vector of the second intent (default power=1: consolidated on the next switch); "
                        "'' = use the --intent-b text")
    p.add_argument("--port", type=int, default=8191, help="controller HTTP port")
    p.add_argument("--out", type=Path, default=RESULTS / "reconfig.csv")
    return p


def _placement(api) -> dict[str, str]:
    plan = api.get("/plan").get("active") or {}
    return dict((plan.get("plan") or plan).get("placement", {}))


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if os.geteuid() != 0:
        print("bench_reconfig: error: needs root (Mininet)", file=sys.stderr)
        return 2
    from rich.console import Console
    from rich.progress import Progress
    from rich.table import Table

    from mininet_topos.layout import build_layout
    from mininet_topos.scenario import Scenario
    from mininet_topos.traffic import check_delivery

    rates = [float(r) for r in args.rates.split(",") if r.strip()]
    console = Console(width=None if sys.stdout.isatty() else 200)
    layout = build_layout(args.topo, max_switches=args.switches or None)
    intents = [(args.intent_a, args.prefer_a), (args.intent_b, args.prefer_b)]
    rows = []
    with tempfile.TemporaryDirectory(prefix="omniplan-bench-") as tmp, \
            Scenario(layout, Path(tmp), model=args.model, http_port=args.port,
                     warm_translator=not (args.prefer_a and args.prefer_b)) as sc:
        api = sc.api

        def submit(which: int) -> tuple[str, float, dict]:
            text, prefer = intents[which]
            t0 = time.perf_counter()
            intent_id = api.submit(None if prefer else text, **({"preference": prefer} if prefer else {}))
            rec = api.wait(intent_id, timeout_s=120, poll_s=0.02)
            return intent_id, time.perf_counter() - t0, rec

        _, first_s, _ = submit(0)
        console.print(f"intent A deployed in {first_s:.2f}s; placement {_placement(api)}")
        current = 0
        with Progress(console=console) as progress:
            bar = progress.add_task("rates", total=len(rates) * 2)
            for rate in rates:
                for phase in ("steady", "reconfig"):
                    before = _placement(api)
                    first = sc.next_seq
                    intent_id, latency_s, rec = "", 0.0, {}
                    window = range(first, first)
                    if phase == "steady":
                        sc.start_sender(rate_pps=rate, duration_s=args.duration)
                        tx = sc.stop_sender(timeout_s=args.duration + 30)
                    else:
                        # traffic runs until the new placement has carried it for --after seconds
                        sc.start_sender(rate_pps=rate)
                        sc.wait_received(range(first, first + 1), timeout_s=20)  # the sender is up
                        time.sleep(args.submit_at)
                        submitted = first + int(rate * args.submit_at)
                        target = 1 - current
                        intent_id, latency_s, rec = submit(target)
                        current = target
                        time.sleep(args.after)
                        tx = sc.stop_sender(now=True)
                        window = range(submitted, submitted + int(rate * latency_s) + 1)
                    after = _placement(api)
                    rx = sc.wait_received(tx["seqs"], timeout_s=10)
                    overall = check_delivery(tx["sent"], rx, sc.samples, tx["seqs"])
                    window = range(window.start, min(window.stop, tx["seqs"].stop))
                    in_window = check_delivery(tx["sent"], rx, sc.samples, window)
                    timings = rec.get("timings_s") or (rec.get("detail") or {}).get("timings_s", {})
                    rows.append({
                        "rate_pps": rate, "phase": phase, "achieved_pps": tx["rate_pps"], "sent": tx["sent"],
                        "received": overall.received, "lost": len(overall.lost),
                        "misclassified": len(overall.misclassified), "unlabelled": len(overall.not_done),
                        "duplicates": overall.duplicates, "longest_loss_burst": _longest_run(overall.lost),
                        "window_packets": in_window.sent, "window_lost": len(in_window.lost),
                        "mats_moved": sum(1 for m in after if before.get(m) != after[m]),
                        "intent_to_deployed_s": round(latency_s, 3) if phase == "reconfig" else "",
                        "plan_s": timings.get("plan", ""), "deploy_s": timings.get("deploy", ""),
                        "intent": intent_id,
                    })
                    progress.advance(bar)
    _print_switch_counters(console, layout, rows)
    table = Table(title=f"Live reconfiguration on Mininet ({layout.topology.name}, {len(layout.switches)} omniplan-switch nodes)")
    cols = ["rate_pps", "phase", "achieved_pps", "sent", "received", "lost", "misclassified", "unlabelled",
            "duplicates", "longest_loss_burst", "window_packets", "window_lost", "mats_moved", "intent_to_deployed_s",
            "deploy_s"]
    for c in cols:
        table.add_column(c, justify="right")
    for r in rows:
        table.add_row(*[str(r[c]) for c in cols])
    console.print(table)
    steady = {r["rate_pps"]: r for r in rows if r["phase"] == "steady"}
    for r in rows:
        if r["phase"] == "reconfig":
            s0 = steady[r["rate_pps"]]
            console.print(f"{r['rate_pps']:g} pkt/s: loss rate during reconfiguration {r['lost'] / max(r['sent'], 1):.2%} "
                          f"vs steady {s0['lost'] / max(s0['sent'], 1):.2%}; intent -> deployed {r['intent_to_deployed_s']}s")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]) if rows else cols)
        w.writeheader()
        w.writerows(rows)
    _plot(rows, args.out.with_suffix(".png"))
    console.print(f"wrote {args.out} and {args.out.with_suffix('.png')}")
    return 0


def _print_switch_counters(console, layout, rows: list[dict]) -> None:
    """Where losses happened: the ingress switch's own receive counter vs frames sent (whole run).

    omniplan-switch logs its per-port counters when it stops; a receive count below what h1 sent
    means frames were dropped by the kernel before the switch process read them (its socket
    buffer overflowed while it was busy), not by the pipeline.
    """
    import ast
    import re

    from mininet_topos.cleanup import RUN_DIR

    sender = layout.hosts[0]
    log = RUN_DIR / f"{sender.switch}.log"
    try:
        text = log.read_text()
    except OSError:
        return
    m = re.search(r"port counters: (\{.*\})", text)
    if not m:
        return
    counters = ast.literal_eval(m.group(1))
    rx = counters.get(sender.port, {}).get("rx_packets")
    sent = sum(r["sent"] for r in rows)
    if rx is not None:
        console.print(f"ingress switch {sender.switch} port {sender.port} received {rx} of the {sent} frames "
                      f"{sender.name} sent (frames dropped by the kernel before the "
                      f"switch read them: {max(sent - rx, 0)})")


def _longest_run(seqs: list[int]) -> int:
    """Length of the longest run of consecutive sequence numbers (a loss burst)."""
    best = run = 0
    prev = None
    for s in seqs:
        run = run + 1 if prev is not None and s == prev + 1 else 1
        best = max(best, run)
        prev = s
    return best


def _plot(rows: list[dict], path: Path) -> None:
    if not rows:
        return
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (a1, a2) = plt.subplots(1, 2, figsize=(9, 3.5))
    rates = sorted({r["rate_pps"] for r in rows})
    x = range(len(rates))
    for off, phase, color in ((-0.2, "steady", "tab:gray"), (0.2, "reconfig", "tab:red")):
        vals = [next((r["lost"] + r["misclassified"] + r["unlabelled"] for r in rows
                      if r["rate_pps"] == rate and r["phase"] == phase), 0) for rate in rates]
        a1.bar([i + off for i in x], vals, width=0.4, color=color, label=phase)
    a1.set_xticks(list(x), [f"{r:g}" for r in rates])
    a1.set_xlabel("packet rate (pkt/s)")
    a1.set_ylabel("lost + wrong + unlabelled packets")
    a1.legend()
    rc = [r for r in rows if r["phase"] == "reconfig"]
    a2.bar([f"{r['rate_pps']:g}" for r in rc], [r["intent_to_deployed_s"] for r in rc], color="tab:blue")
    a2.set_xlabel("packet rate (pkt/s)")
    a2.set_ylabel("intent -> deployed (s)")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


if __name__ == "__main__":
    sys.exit(main())
