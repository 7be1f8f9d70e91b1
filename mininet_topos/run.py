"""``make run`` / ``python -m mininet_topos.run``: the OmniPlan demo network, up until Ctrl-C.

Starts a Mininet network of omniplan-switch nodes (default: 4 switches of Abilene, one host each),
the controller (``omniplan serve`` with the generated switch list), a label receiver on every
host (classified packets go to the host of the switch where the last MAT runs, which moves with
the plan) and a paced sender on h1 putting quantised iris features into the inference header.
It then prints how to submit intents from another terminal, and every few seconds one line with
packets sent/received, labels seen, how many labels match scikit-learn's prediction, and how
many packets sent after the first deploy were lost (the last second's are still in flight and
not counted yet; the final line stops the sender and waits for them).
Ctrl-C (or --duration) stops everything and removes what was created (the scoped ``mn -c``).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from mininet_topos.traffic import SenderProgress
from omniplan.errors import OmniPlanError
from p4src.layout import FLAG_DONE

#: what the status banner calls each --switch kind
SWITCH_LABELS = {"omni": "omniplan-switch", "bmv2": "BMv2 simple_switch_grpc (p4c-compiled inml.p4)"}


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m mininet_topos.run", description=__doc__.splitlines()[0])
    p.add_argument("--topo", default="Abilene", help="topology name (Abilene, Abvt, fattree4, line3, any Topology Zoo name)")
    p.add_argument("--switches", type=int, default=4,
                   help="emulate a connected subset of this many switches (0 = all; default 4: a 2-core machine "
                        "runs one Python switch process per node)")
    p.add_argument("--hosts", type=int, default=1, help="hosts per host-bearing switch (default 1)")
    p.add_argument("--rate", type=float, default=50.0, help="sender packets per second (default 50)")
    p.add_argument("--switch", default="omni", choices=["omni", "bmv2"],
                   help="switch kind: omni (omniplan-switch, default) or bmv2 (BMv2 simple_switch_grpc running the "
                        "p4c-compiled inml.p4; needs `make setup`, compiles it if `make p4` has not)")
    p.add_argument("--model", default="rf", choices=["dt", "rf", "nb", "svm"], help="iris classifier to compile")
    p.add_argument("--port", type=int, default=8181, help="controller HTTP port (default 8181)")
    p.add_argument("--token", default=os.environ.get("OMNIPLAN_TOKEN", "omniplan-demo"), help="controller API token")
    p.add_argument("--workdir", type=Path, default=Path("/tmp/omniplan-run"), help="generated files and logs")
    p.add_argument("--intent", help="submit this intent text once everything is up (and wait for it)")
    p.add_argument("--prefer", help="submit this preference vector once up, e.g. latency=1 (instead of --intent)")
    p.add_argument("--no-warm", action="store_true",
                   help="do not preload the controller's intent translator (faster start; first text intent is slow)")
    p.add_argument("--duration", type=float, help="stop after this many seconds (default: run until Ctrl-C)")
    p.add_argument("--every", type=float, default=2.0, help="seconds between status lines")
    return p


def _instructions(sc, url: str) -> str:
    lay = sc.layout
    sw = ", ".join(f"{s.name}={s.device}" for s in lay.switches)
    receivers = ", ".join(h for h in sc.receivers)
    client = Path(sys.executable).parent / "omniplan"
    return "\n".join([
        f"OmniPlan emulation is up: topology {lay.topology.name} ({sw})",
        f"  switches: {SWITCH_LABELS[sc.switch]}, P4Runtime on 127.0.0.1:{lay.switches[0].grpc_port}.."
        f"{lay.switches[-1].grpc_port}; logs in /tmp/omniplan-mininet/",
        f"  controller: {url} (log {sc.paths['controller_log']})",
        f"  traffic: {sc.sender} sends iris samples (task {sc.task_name}, id {sc.samples.task_id}) at "
        f"{sc.rate_pps:g} pkt/s; receivers on {receivers}",
        "",
        "Submit intents from another terminal:",
        f"  export OMNIPLAN_URL={url} OMNIPLAN_TOKEN={sc.token}",
        f'  {client} intent submit "minimize latency" --wait',
        f'  {client} intent submit "save power, use as few switches as possible" --wait',
        f"  {client} status",
        f"  {client} switches",
        "Until an intent is deployed the switches hold no inference tables and drop the packets.",
        "Ctrl-C stops the network, the controller and the traffic, and cleans up.",
    ])


#: Packets sent less than this long ago may still be in flight through the (Python) switches, so a
#: live status line does not count them as lost yet; the final line waits for them instead.
IN_FLIGHT_S = 1.0


@dataclass
class DeployClock:
    """When the first plan went live (wall clock, ns), learned from the controller's push records."""

    first_ns: float | None = None

    def update(self, sc) -> float | None:
        if self.first_ns is None:
            pushes = sc.api.get("/status").get("recent_pushes", [])
            done = [p["finished"] for p in pushes if p.get("state") == "committed" and p.get("finished")]
            if done:
                self.first_ns = min(done) * 1e9
        return self.first_ns


def after_deploy(progress: SenderProgress | None, first_ns: float | None, packets: dict, upto: int | None = None,
                 now_ns: float | None = None) -> tuple[int, int] | None:
    """(sent after the first deploy, of those not received); ``upto``: the exact end of what was sent.

    Without ``upto`` only packets sent at least ``IN_FLIGHT_S`` before ``now_ns`` are counted.
    """
    if progress is None or first_ns is None:
        return None
    lo = progress.first_seq_due_after(first_ns)
    hi = upto if upto is not None else progress.sent_before((now_ns or time.time_ns()) - IN_FLIGHT_S * 1e9)
    window = range(lo, max(lo, hi))
    return len(window), sum(1 for seq in window if str(seq) not in packets)


def _status_line(sc, started: float, clock: DeployClock, final_sent: int | None = None) -> str:
    progress = _sender_progress(sc)
    sent = final_sent if final_sent is not None else progress.sent if progress else 0
    rx = sc.received()
    packets = rx["packets"]
    labels: dict[int, int] = {}
    right = wrong = unlabelled = 0
    for v in packets.values():
        label, flags, _version, sample = v[0], v[1], v[2], v[3]
        if not flags & FLAG_DONE:
            unlabelled += 1
            continue
        labels[label] = labels.get(label, 0) + 1
        if label == sc.samples.expected[sample]:
            right += 1
        else:
            wrong += 1
    try:
        plan = sc.api.get("/plan")
        active = f"plan v{plan.get('version')} (intent {plan.get('intent')})" if plan.get("active") else "no plan deployed"
        first = clock.update(sc)
        counted = _switch_counts(sc.api.get("/switches"), sc.task_name)
    except Exception as exc:  # the status line must not kill the run
        active, first, counted = f"controller: {exc}", clock.first_ns, {}
    upto = None if final_sent is None or progress is None else progress.seq_start + final_sent
    window = after_deploy(progress, first, packets, upto)
    lost = "lost - (no deploy yet)" if window is None else f"lost {window[1]} of {window[0]} sent after the first deploy"
    names = {i: str(c) for i, c in enumerate(sc.samples.classes)}
    shown = ", ".join(f"{names.get(k, k)}:{n}" for k, n in sorted(labels.items()))
    on_switches = ", ".join(f"{k}:{n}" for k, n in sorted(counted.items()))
    return (f"[{time.monotonic() - started:6.1f}s] sent {sent}  received {len(packets)}  labels {{{shown}}}  "
            f"switch counters {{{on_switches}}}  "
            f"match sklearn {right}  mismatch {wrong}  unlabelled {unlabelled}  {lost}  {active}")


def _switch_counts(answer: dict, task: str) -> dict[str, int]:
    """Per class label, the packets the switches counted for ``task`` (inml.p4's label_packets direct
    counters, as the controller read them for GET /switches), summed over switches."""
    out: dict[str, int] = {}
    for s in answer.get("switches", []):
        for label, n in (s.get("inference_packets") or {}).get(task, {}).items():
            out[label] = out.get(label, 0) + n
    return out


def _sender_progress(sc) -> SenderProgress | None:
    try:
        return SenderProgress.parse((sc.workdir / "tx.log").read_text())
    except OSError:
        return None


def _final_line(sc, started: float, clock: DeployClock) -> str:
    """Stop the sender, let what it sent after the deploy arrive (or time out), then report exactly."""
    try:
        report = sc.stop_sender(now=True)
    except Exception:  # the sender is gone without a report: fall back to the live count
        return _status_line(sc, started, clock)
    progress = _sender_progress(sc)
    if progress is not None and clock.first_ns is not None:
        lo = progress.first_seq_due_after(clock.first_ns)
        sc.wait_received(range(lo, max(lo, report["seq_start"] + report["sent"])), timeout_s=5.0)
    return _status_line(sc, started, clock, final_sent=report["sent"])


def _bmv2_ready() -> str | None:
    """None when BMv2 can run the compiled program (compiling it now if needed), else what is missing."""
    from p4src.toolchain import HOW_TO_GET, built_json, compile_inml, find_toolchain

    tc = find_toolchain()
    if tc.bmv2 is None or tc.compiler is None:
        return f"the P4 toolchain is not installed; {HOW_TO_GET}"
    if built_json() is None:
        res = compile_inml(toolchain=tc)
        if res.returncode != 0:
            return f"p4c failed on inml.p4:\n{res.output}"
    return None


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if os.geteuid() != 0:
        print("mininet_topos.run: error: Mininet needs root (run `sudo make run`)", file=sys.stderr)
        return 2
    from mininet_topos.layout import build_layout
    from mininet_topos.scenario import Scenario, ScenarioError

    stop = {"flag": False}

    def on_signal(*_):
        stop["flag"] = True

    if args.switch == "bmv2":
        problem = _bmv2_ready()
        if problem:
            print(f"mininet_topos.run: error: --switch bmv2: {problem}", file=sys.stderr)
            return 2
    try:
        layout = build_layout(args.topo, hosts_per_switch=args.hosts, max_switches=args.switches or None)
        sc = Scenario(layout, args.workdir, model=args.model, http_port=args.port, token=args.token,
                      rate_pps=args.rate, warm_translator=not args.no_warm, switch=args.switch)
    except (OmniPlanError, ValueError) as exc:
        print(f"mininet_topos.run: error: {exc}", file=sys.stderr)
        return 2
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    print(f"*** starting {len(layout.switches)} switches, {len(layout.hosts)} hosts and the controller"
          + ("" if args.no_warm else " (it preloads its intent translator: up to a minute on a 2-core machine)")
          + " ...", flush=True)
    try:
        with sc:
            with open(sc.workdir / "tx.log", "w") as txlog:
                sc.start_sender(progress_s=0.25, stdout=txlog)  # fine-grained: the lost window is read from it
            url = sc.api.base
            print(_instructions(sc, url), flush=True)
            if args.intent or args.prefer:
                intent_id = sc.api.submit(args.intent, **({"preference": args.prefer} if args.prefer else {}))
                rec = sc.api.wait(intent_id, timeout_s=180)
                placement = (sc.api.get("/plan").get("active") or {}).get("plan", {}).get("placement", {})
                where = ", ".join(f"{m.split('/')[-1]}@{d}" for m, d in sorted(placement.items()))
                asked = ", ".join(f"{k}={v:g}" for k, v in (rec.get("preference") or {}).items() if v) or "none"
                print(f"intent {intent_id}: {rec['state']} (preference {asked}); MATs {where}", flush=True)
            started = time.monotonic()
            clock = DeployClock()
            next_line = started + args.every
            while not stop["flag"]:
                if args.duration is not None and time.monotonic() - started >= args.duration:
                    break
                if time.monotonic() >= next_line:
                    print(_status_line(sc, started, clock), flush=True)
                    next_line += args.every
                time.sleep(0.1)
            print(_final_line(sc, started, clock), flush=True)
            print("*** stopping", flush=True)
    except (ScenarioError, OmniPlanError, RuntimeError) as exc:
        print(f"mininet_topos.run: error: {exc}", file=sys.stderr)
        return 1
    print(json.dumps({"workdir": str(args.workdir)}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
