"""Fault campaign on Mininet: what a failed switch, link or controller costs the traffic, and how fast it heals.

One emulated network (default: a line of 3 omniplan-switch nodes, one host each) with the
controller in front, an intent whose plan holds the MATs off the ingress (``power=1``: the
classifier runs on the switch next to the sender), and h1 sending quantised iris samples at
``--rate`` (500 pkt/s) through every fault:

* ``kill-holder``: kill -9 the switch holding the plan's MATs, then restart it;
* ``kill-transit``: kill -9 a switch the plan only routes through, then restart it. On a line
  no plan crosses a switch it does not use, so this fault runs on its own network,
  ``--transit-topo`` (default ``detour``, mininet_topos/detour.py: MATs on s4, packets
  s1 -> s2 -> s4, detour over s3); skipped, with why, if that plan crosses none;
* ``link-down``: take the link ingress -> holder down (``link s1 s2 down``), then up;
* ``kill-controller``: kill -9 ``omniplan serve`` while it pushes a new intent, then restart it.

Printed per fault: detection time (fault -> the controller marks it down), time to a new deployed
plan (fault -> replanned plan committed), packets sent / lost / misclassified (must be 0) /
unlabelled, the longest loss burst in ms, and whether every switch's entries read back (plain
P4Runtime Read by the softswitch's own client, not the controller's code) equal what the
controller says it deployed (contents compared, not only counts), after the fault was repaired;
for switch kills also the packets lost / mislabelled while the plan moves back onto the
restarted switch. Every frame carries a sequence
number, so the receivers tell exactly which packets were lost or labelled differently from
scikit-learn's ``model.predict``.

Run (root, holding the emulation lock):
``flock /tmp/omniplan-mininet.lock .venv/bin/python -m bench.bench_faults --rate 500``
Writes ``bench/results/faults.csv``.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sqlite3
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

RESULTS = Path(__file__).resolve().parent / "results"
FAULTS = ("kill-holder", "kill-transit", "link-down", "kill-controller")


@dataclass
class FaultResult:
    fault: str
    target: str
    detected_s: float | None = None
    new_plan_s: float | None = None
    sent: int = 0
    lost: int = 0
    misclassified: int = 0
    unlabelled: int = 0
    longest_loss_ms: float = 0.0
    consistent: bool | None = None
    #: traffic while the failed switch returns and the plan moves back onto it (switch kills only)
    return_lost: int | None = None
    return_misclassified: int | None = None
    note: str = ""


# ---------------------------------------------------------------------- fault injection (also used by tests)

def switch_node(sc: Any, device: str) -> Any:
    """The Mininet node (a ProcessSwitch) realising topology device ``device``."""
    return sc.emulation.net.get(sc.layout.device_to_switch[device])


def kill_switch(sc: Any, device: str) -> float:
    """kill -9 the switch process of ``device``; returns the wall-clock time of the kill."""
    from mininet_topos import cleanup

    node = switch_node(sc, device)
    at = time.time()
    node.proc.send_signal(signal.SIGKILL)
    node.proc.wait(timeout=10)
    cleanup.forget_pid(node.proc.pid)
    return at


def restart_switch(sc: Any, device: str) -> None:
    """Start the switch again on its interfaces and gRPC port (it comes back empty, like a reboot)."""
    node = switch_node(sc, device)
    node.start([])
    node.wait_ready()


def _entry_identity(pb: Any) -> tuple:
    """A P4Runtime table entry as a comparable value: table, priority, match fields and action with
    parameters, each in a fixed order (byte strings are canonical on both sides: the switch
    canonicalises what it answers, ``encode_entry`` writes canonical ones)."""
    matches = tuple(sorted(m.SerializeToString(deterministic=True) for m in pb.match))
    act = pb.action
    if act.WhichOneof("type") == "action":
        action: Any = (act.action.action_id, tuple(sorted((p.param_id, p.value) for p in act.action.params)))
    else:
        action = act.SerializeToString(deterministic=True)
    return (pb.table_id, pb.priority, matches, action)


def _controller_deployed(db_path: Path) -> dict[str, list[Any]]:
    """What the controller committed per device, from its own store (read-only; it may be running)."""
    from controller.entry_codec import entry_from_dict

    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=5)
    try:
        rows = db.execute("SELECT switch, entry FROM deployed").fetchall()
    finally:
        db.close()
    out: dict[str, list[Any]] = {}
    for device, entry in rows:
        out.setdefault(device, []).append(entry_from_dict(json.loads(entry)))
    return out


def readback(sc: Any) -> dict[str, tuple[Counter, Counter]]:
    """Per device: (entries the switch holds, entries the controller committed there), comparable.

    The switch side is read with the softswitch's plain-gRPC client (independent of the
    controller's finsy code) and its own P4Info (GetForwardingPipelineConfig); the controller's
    side is its store's committed state, encoded to P4Runtime against that P4Info. Each side is a
    multiset of (table, priority, matches, action, parameters).
    """
    from softswitch.client import P4RuntimeClient
    from softswitch.codec import encode_entry
    from softswitch.p4info import P4InfoIndex

    deployed = _controller_deployed(sc.paths["db"])
    out: dict[str, tuple[Counter, Counter]] = {}
    for spec in sc.layout.switches:
        client = P4RuntimeClient(spec.grpc_address, spec.device_id)
        try:
            held = Counter(_entry_identity(e) for e in client.read_table())
            index = P4InfoIndex(client.get_pipeline().p4info)
        finally:
            client.close()
        out[spec.device] = held, Counter(_entry_identity(encode_entry(index, e)) for e in deployed.get(spec.device, []))
    return out


def readback_consistent(sc: Any) -> tuple[bool, str]:
    """Every switch holds exactly the entries the controller says it deployed there, content included.

    A stale entry left on a switch, a missing one, or one with other parameters (a MODIFY that
    never landed) shows, and so does a store that disagrees with the per-switch count the API reports.
    """
    rows = {s["device"]: s for s in sc.api.get("/switches")["switches"]}
    problems = []
    for device, (held, want) in readback(sc).items():
        if sum(want.values()) != rows[device]["entries_deployed"]:
            problems.append(f"{device}: the API says {rows[device]['entries_deployed']} entries deployed, "
                            f"the store holds {sum(want.values())}")
        stale, missing = held - want, want - held
        if stale or missing:
            problems.append(f"{device} holds {sum(held.values())}, controller deployed {sum(want.values())}: "
                            f"{sum(stale.values())} not deployed (stale or altered), {sum(missing.values())} missing")
    return not problems, "; ".join(problems)


def wait_until(predicate: Callable[[], Any], timeout_s: float, poll_s: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            value = predicate()
        except Exception:  # the controller may be restarting
            value = None
        if value:
            return value
        time.sleep(poll_s)
    return None


def wait_replanned(api: Any, intent_id: str, replans_before: int, timeout_s: float,
                   done: Callable[[dict], bool] = lambda rec: True) -> dict | None:
    """The intent's record once a replan after ``replans_before`` committed (and ``done`` holds)."""
    def check():
        rec = api.get(f"/intents/{intent_id}")
        ok = rec["state"] == "deployed" and int(rec.get("replans", 0)) > replans_before and rec.get("recovery")
        return rec if ok and done(rec) else None
    return wait_until(check, timeout_s)


def switch_down_at(api: Any, device: str) -> float | None:
    row = {s["device"]: s for s in api.get("/switches")["switches"]}[device]
    return row.get("health_since") if row.get("health") == "down" else None


def wait_all_up(api: Any, timeout_s: float) -> bool:
    def up():
        rows = api.get("/switches")["switches"]
        return all(r.get("health") == "up" and not r.get("stale") for r in rows)
    return bool(wait_until(up, timeout_s, 0.2))


# ---------------------------------------------------------------------- the campaign

def _delivery(sc: Any, tx: dict, rate: float) -> dict[str, Any]:
    from mininet_topos.traffic import check_delivery

    rx = sc.wait_received(tx["seqs"], timeout_s=5)
    rep = check_delivery(tx["sent"], rx, sc.samples, tx["seqs"])
    return {"sent": tx["sent"], "lost": len(rep.lost), "misclassified": len(rep.misclassified),
            "unlabelled": len(rep.not_done), "longest_loss_ms": round(_longest_run(rep.lost) * 1000.0 / rate, 1)}


def _longest_run(seqs: list[int]) -> int:
    best = run = 0
    prev = None
    for s in sorted(seqs):
        run = run + 1 if prev is not None and s == prev + 1 else 1
        best = max(best, run)
        prev = s
    return best


def plan_devices(api: Any, ingress: str) -> tuple[list[str], list[str]]:
    """(devices holding MATs, devices only routed through) of the active plan."""
    plan = (api.get("/plan").get("active") or {}).get("plan") or {}
    holders = sorted(set(plan.get("placement", {}).values()))
    on_routes = {d for route in plan.get("routes", {}).values() for d in route}
    transit = sorted(on_routes - set(holders) - {ingress})
    return holders, transit


def run_switch_kill(sc: Any, intent_id: str, device: str, fault: str, rate: float, after_s: float,
                    timeout_s: float) -> FaultResult:
    res = FaultResult(fault, device)
    before = int(sc.api.get(f"/intents/{intent_id}").get("replans", 0))
    first = sc.next_seq
    sc.start_sender(rate_pps=rate)
    sc.wait_received(range(first, first + 1), timeout_s=20)
    time.sleep(1.0)
    t_kill = kill_switch(sc, device)
    down_at = wait_until(lambda: switch_down_at(sc.api, device), timeout_s)
    res.detected_s = round(down_at - t_kill, 3) if down_at else None
    rec = wait_replanned(sc.api, intent_id, before, timeout_s)
    if rec:
        res.new_plan_s = round(rec["recovery"]["deployed_at"] - t_kill, 3)
        holders, transit = plan_devices(sc.api, sc.layout.switch(sc.layout.host(sc.sender).switch).device)
        res.note = "uncovered: " + ", ".join(f"{u['task']} ({u['why']})" for u in rec.get("uncovered", [])) \
            if rec.get("uncovered") else "all tasks covered"
        res.note += (f"; new plan: MATs on {', '.join(holders) or 'none'}, through {', '.join(transit) or 'nothing'}"
                     f"; affected tasks: {', '.join(rec.get('affected_tasks') or []) or 'none'}")
    else:
        now = sc.api.get(f"/intents/{intent_id}")
        res.note = (f"no new plan within the timeout (intent {now['state']}, replans {now.get('replans', 0)}, "
                    f"replan error: {now.get('replan_error')})")
    time.sleep(after_s)
    tx = sc.stop_sender(now=True)
    for k, v in _delivery(sc, tx, rate).items():
        setattr(res, k, v)
    # repair, under traffic: the switch returns, is reconciled (stale entries removed) and the plan
    # moves back onto it; packets lost or mislabelled during that switch-over count as well
    replans = int(sc.api.get(f"/intents/{intent_id}").get("replans", 0))
    first = sc.next_seq
    sc.start_sender(rate_pps=rate)
    sc.wait_received(range(first, first + 1), timeout_s=20)
    restart_switch(sc, device)
    back = wait_replanned(sc.api, intent_id, replans, timeout_s, lambda r: not r.get("excluded", {}).get("devices"))
    wait_all_up(sc.api, timeout_s)
    time.sleep(after_s)
    tx = sc.stop_sender(now=True)
    on_return = _delivery(sc, tx, rate)
    res.return_lost, res.return_misclassified = on_return["lost"], on_return["misclassified"]
    if not back:
        res.note += "; the plan did not move back after the restart"
    res.consistent, problems = readback_consistent(sc)
    if problems:
        res.note += f"; {problems}"
    return res


def run_link_down(sc: Any, intent_id: str, a: str, b: str, rate: float, after_s: float,
                  timeout_s: float) -> FaultResult:
    res = FaultResult("link-down", f"{a}-{b}")
    na, nb = (sc.layout.device_to_switch[d] for d in (a, b))
    before = int(sc.api.get(f"/intents/{intent_id}").get("replans", 0))
    first = sc.next_seq
    sc.start_sender(rate_pps=rate)
    sc.wait_received(range(first, first + 1), timeout_s=20)
    time.sleep(1.0)
    t_fault = time.time()
    sc.emulation.net.configLinkStatus(na, nb, "down")

    def link_down_seen():
        rows = sc.api.get("/status").get("links", [])
        return next((r.get("since") for r in rows if {r["a"], r["b"]} == {a, b} and r.get("state") == "down"), None)
    down_at = wait_until(link_down_seen, timeout_s)
    res.detected_s = round(down_at - t_fault, 3) if down_at else None
    rec = wait_replanned(sc.api, intent_id, before, timeout_s) if down_at else None
    res.new_plan_s = round(rec["recovery"]["deployed_at"] - t_fault, 3) if rec else None
    res.note = "" if down_at else "the controller did not detect the link failure"
    time.sleep(after_s)
    tx = sc.stop_sender(now=True)
    for k, v in _delivery(sc, tx, rate).items():
        setattr(res, k, v)
    sc.emulation.net.configLinkStatus(na, nb, "up")
    time.sleep(2.0)
    wait_all_up(sc.api, timeout_s)
    res.consistent, problems = readback_consistent(sc)
    if problems:
        res.note += f"; {problems}"
    return res


def run_controller_kill(sc: Any, prefer: str, rate: float, after_s: float, timeout_s: float) -> FaultResult:
    """kill -9 the controller while it pushes an intent that moves the MATs, then restart it."""
    from mininet_topos import cleanup

    res = FaultResult("kill-controller", "omniplan serve")
    first = sc.next_seq
    sc.start_sender(rate_pps=rate)
    sc.wait_received(range(first, first + 1), timeout_s=20)
    time.sleep(1.0)
    intent_id = sc.api.submit(None, preference=prefer)
    db = sqlite3.connect(sc.paths["db"], timeout=5)
    t_kill = None
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        row = db.execute("SELECT state FROM pushes WHERE intent_id=? ORDER BY id DESC LIMIT 1", (intent_id,)).fetchone()
        if row and row[0] == "started":
            t_kill = time.time()
            sc.controller.send_signal(signal.SIGKILL)
            break
        if row and row[0] != "started":
            break
        time.sleep(0.002)
    db.close()
    if t_kill is None:
        res.note = "the push finished before the kill could land (not mid-push); killed after it"
        t_kill = time.time()
        sc.controller.send_signal(signal.SIGKILL)
    sc.controller.wait(timeout=10)
    cleanup.forget_pid(sc.controller.pid)
    sc.controller = None
    t_restart = time.time()
    sc._start_controller()  # noqa: SLF001 - the scenario's own start, same files and port
    sc.wait_switches_ready()
    rec = wait_until(lambda: (lambda r: r if r["state"] in ("failed", "deployed") else None)(
        sc.api.get(f"/intents/{intent_id}")), timeout_s)
    ok = wait_all_up(sc.api, timeout_s)
    res.detected_s = None
    res.new_plan_s = round(time.time() - t_kill, 3) if ok else None
    res.note += (f"{'; ' if res.note else ''}intent {rec['state'] if rec else 'unknown'} after restart "
                 f"(restart -> all switches reconciled {time.time() - t_restart:.2f}s)")
    time.sleep(after_s)
    tx = sc.stop_sender(now=True)
    for k, v in _delivery(sc, tx, rate).items():
        setattr(res, k, v)
    res.consistent, problems = readback_consistent(sc)
    if problems:
        res.note += f"; {problems}"
    return res


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench.bench_faults", description=__doc__.splitlines()[0])
    p.add_argument("--topo", default="line3", help="topology of every fault but kill-transit (default line3)")
    p.add_argument("--transit-topo", default="detour",
                   help="topology of kill-transit (default detour, mininet_topos/detour.py: the power=1 plan "
                        "holds its MATs on s4 and routes s1 -> s2 -> s4, so s2 carries traffic and no MAT)")
    p.add_argument("--switches", type=int, default=0, help="subset size (0 = whole topology)")
    p.add_argument("--rate", type=float, default=500.0, help="sender packets per second (default 500)")
    p.add_argument("--prefer", default="power=1", help="preference of the intent under test (default power=1: "
                                                       "the MATs sit on the switch next to the sender)")
    p.add_argument("--prefer-move", default="latency=1", help="preference of the intent pushed when the "
                                                              "controller is killed (moves the MATs)")
    p.add_argument("--faults", default=",".join(FAULTS), help=f"comma-separated subset of {', '.join(FAULTS)}")
    p.add_argument("--after", type=float, default=2.0, help="seconds of traffic after the recovery")
    p.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for each detection/recovery")
    p.add_argument("--port", type=int, default=8193, help="controller HTTP port")
    p.add_argument("--out", type=Path, default=RESULTS / "faults.csv")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    faults = [f.strip() for f in args.faults.split(",") if f.strip()]
    unknown = [f for f in faults if f not in FAULTS]
    if unknown:
        print(f"bench_faults: error: unknown fault(s) {', '.join(unknown)}; choose from {', '.join(FAULTS)}",
              file=sys.stderr)
        return 2
    if os.geteuid() != 0:
        print("bench_faults: error: needs root (Mininet)", file=sys.stderr)
        return 2
    from bench.common import write_csv
    from mininet_topos.layout import build_layout

    # kill-transit needs a plan that crosses a switch holding no MAT: its own network (--transit-topo)
    groups: dict[str, list[str]] = {}
    for fault in faults:
        groups.setdefault(args.transit_topo if fault == "kill-transit" else args.topo, []).append(fault)
    results: list[FaultResult] = []
    names: list[str] = []
    for topo, group in groups.items():
        layout = build_layout(topo, max_switches=None if topo == args.transit_topo and topo != args.topo
                              else args.switches or None)
        names.append(f"{', '.join(group)} on {layout.topology.name} ({len(layout.switches)} omniplan-switch nodes)")
        results += _campaign(layout, group, args)
    print(f"\nFault campaign on Mininet, {args.rate:g} pkt/s: {'; '.join(names)}")
    for res in results:
        print(_line(res))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    write_csv(args.out, [asdict(r) for r in results])
    print(f"wrote {args.out}")
    return 0 if all(r.misclassified == 0 and not r.return_misclassified for r in results) else 1


def _campaign(layout: Any, faults: list[str], args: argparse.Namespace) -> list[FaultResult]:
    """Run ``faults`` one after the other on one emulated network (fresh intent per fault)."""
    import tempfile

    from mininet_topos.scenario import Scenario

    ingress = layout.switch(layout.host("h1").switch).device
    results: list[FaultResult] = []
    with tempfile.TemporaryDirectory(prefix="omniplan-faults-") as tmp, \
            Scenario(layout, Path(tmp), http_port=args.port, warm_translator=False, rate_pps=args.rate) as sc:
        for fault in faults:
            intent_id = sc.api.submit(None, preference=args.prefer)
            sc.api.wait(intent_id, timeout_s=120)
            holders, transit = plan_devices(sc.api, ingress)
            print(f"[{fault}] plan of intent {intent_id}: MATs on {', '.join(holders)}; "
                  f"routed through {', '.join(transit) or 'nothing else'}", flush=True)
            if fault == "kill-holder":
                target = next((d for d in holders if d != ingress), None)
                res = (run_switch_kill(sc, intent_id, target, fault, args.rate, args.after, args.timeout) if target
                       else FaultResult(fault, "-", note="skipped: the plan's MATs all sit on the ingress switch"))
            elif fault == "kill-transit":
                res = (run_switch_kill(sc, intent_id, transit[0], fault, args.rate, args.after, args.timeout)
                       if transit else FaultResult(fault, "-", note="skipped: the plan routes through no switch "
                                                                    "that holds no MAT"))
            elif fault == "link-down":
                target = next((d for d in holders if d != ingress), None)
                res = (run_link_down(sc, intent_id, ingress, target, args.rate, args.after, args.timeout) if target
                       else FaultResult(fault, "-", note="skipped: no inter-switch link on the plan"))
            else:
                res = run_controller_kill(sc, args.prefer_move, args.rate, args.after, args.timeout)
            results.append(res)
            print(_line(res), flush=True)
    return results


def _line(r: FaultResult) -> str:
    def s(v: float | None) -> str:
        return "-" if v is None else f"{v:.3f}s"
    return (f"{r.fault:16s} {r.target:14s} detected {s(r.detected_s):>8s}  new plan {s(r.new_plan_s):>8s}  "
            f"sent {r.sent:5d}  lost {r.lost:5d}  misclassified {r.misclassified}  unlabelled {r.unlabelled}  "
            f"longest loss {r.longest_loss_ms:.0f}ms  consistent {r.consistent}  "
            + (f"on return: lost {r.return_lost} misclassified {r.return_misclassified}  "
               if r.return_lost is not None else "")
            + r.note)


if __name__ == "__main__":
    sys.exit(main())
