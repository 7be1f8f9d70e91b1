"""`omniplan intent|status|switches`: talk to a running `omniplan serve` over its HTTP API.

--url and --token default to $OMNIPLAN_URL (else http://127.0.0.1:8181) and $OMNIPLAN_TOKEN.
`intent submit --wait` follows the server's event stream (/events?intent=ID) and shows each
lifecycle step with a rich spinner until the intent is deployed, pending or failed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.request
from typing import Any, Callable, Iterable, Sequence

from omniplan.errors import InputError, OmniPlanError

DEFAULT_URL = "http://127.0.0.1:8181"
FINAL = {"deployed", "failed", "withdrawn", "superseded", "validated", "pending"}
STEP_TEXT = {
    "queued": "queued for planning",
    "translated": "intent translated to a preference vector",
    "experts_activated": "experts activated, solving",
    "planned": "plan chosen",
    "validated": "plan validated (feasibility + pipeline twin)",
    "deploying": "pushing tables (make-before-break)",
    "pending": "waiting for switches",
    "deployed": "deployed",
    "failed": "failed",
    "withdrawn": "withdrawn",
}


class ApiClient:
    def __init__(self, url: str, token: str | None, timeout_s: float = 30.0):
        self.url = url.rstrip("/")
        self.token = token
        self.timeout_s = timeout_s

    def request(self, method: str, path: str, body: Any = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        req = urllib.request.Request(self.url + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=self.timeout_s) as resp:
                return json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as exc:
            try:
                message = json.loads(exc.read()).get("error", exc.reason)
            except (ValueError, AttributeError):
                message = exc.reason
            hint = " (set --token or OMNIPLAN_TOKEN)" if exc.code == 401 else ""
            raise OmniPlanError(f"{method} {path}: HTTP {exc.code}: {message}{hint}") from None
        except urllib.error.URLError as exc:
            raise InputError(f"cannot reach the controller at {self.url}: {exc.reason}") from None
        except (TimeoutError, ConnectionError) as exc:
            raise InputError(f"cannot reach the controller at {self.url}: {exc}") from None

    def events(self, intent_id: str):
        """Yield the intent's events from the SSE stream (blocking)."""
        req = urllib.request.Request(f"{self.url}/events?intent={intent_id}", headers={"Accept": "text/event-stream"})
        try:
            resp = urllib.request.urlopen(req, timeout=self.timeout_s)
        except urllib.error.URLError as exc:
            raise InputError(f"cannot reach the controller at {self.url}: {exc.reason}") from None
        with resp:
            for raw in resp:
                line = raw.decode("utf-8", "replace").strip()
                if line.startswith("data: "):
                    yield json.loads(line[6:])


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--url", default=os.environ.get("OMNIPLAN_URL", DEFAULT_URL),
                        help="controller URL (default $OMNIPLAN_URL or %(default)s)")
    common.add_argument("--token", default=os.environ.get("OMNIPLAN_TOKEN"), help="API token (default $OMNIPLAN_TOKEN)")
    common.add_argument("--json", action="store_true", help="print the raw JSON answer")

    p = subparsers.add_parser("intent", help="submit, show, list or withdraw intents")
    sub = p.add_subparsers(dest="intent_cmd", metavar="ACTION")
    s = sub.add_parser("submit", parents=[common], help="submit an intent")
    s.add_argument("text", nargs="?", help="the intent in plain language")
    s.add_argument("--prefer", help="preference instead of text, e.g. latency=1,resources=0.5")
    s.add_argument("--workload", help="workload file (omniplan-workload/1) to place")
    s.add_argument("--tasks", help="comma-separated names of tasks registered on the controller")
    s.add_argument("--channel", choices=("auto", "fast", "optimal"), default=None)
    s.add_argument("--time-limit", type=float, default=None, help="solver time limit (s)")
    s.add_argument("--wait", action="store_true", help="follow progress until deployed or failed")
    s.set_defaults(func=run_submit)
    sh = sub.add_parser("show", parents=[common], help="show one intent")
    sh.add_argument("id")
    sh.set_defaults(func=run_show)
    ls = sub.add_parser("list", parents=[common], help="list intents")
    ls.set_defaults(func=run_list)
    wd = sub.add_parser("withdraw", parents=[common], help="withdraw an intent")
    wd.add_argument("id")
    wd.set_defaults(func=run_withdraw)
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])

    st = subparsers.add_parser("status", parents=[common], help="controller status")
    st.set_defaults(func=run_status)
    sw = subparsers.add_parser("switches", parents=[common], help="switch connections and entries")
    sw.set_defaults(func=run_switches)


def _client(args: argparse.Namespace) -> ApiClient:
    return ApiClient(args.url, args.token)


def _print_json(obj: Any) -> None:
    print(json.dumps(obj, indent=1, sort_keys=True))


def run_submit(args: argparse.Namespace) -> int:
    body: dict[str, Any] = {}
    if args.text:
        body["text"] = args.text
    if args.prefer:
        body["preference"] = args.prefer
    if not body:
        raise InputError("give the intent text or --prefer")
    if args.workload:
        from omniplan.workload import load_workload

        body["workload"] = load_workload(args.workload).to_dict()
    if args.tasks:
        body["tasks"] = [t.strip() for t in args.tasks.split(",") if t.strip()]
    if args.channel:
        body["channel"] = args.channel
    if args.time_limit is not None:
        body["time_limit_s"] = args.time_limit
    client = _client(args)
    answer = client.request("POST", "/intents", body)
    intent_id = answer["id"]
    if not args.wait:
        _print_json(answer) if args.json else print(intent_id)
        return 0
    final = _follow(client, intent_id, quiet=args.json)
    if args.json:
        _print_json(final)
    else:
        _show(final)
    return 0 if final["state"] in ("deployed", "validated") else 1


def _follow(client: ApiClient, intent_id: str, quiet: bool = False) -> dict[str, Any]:
    """Follow the event stream with a spinner; fall back to polling if the stream breaks."""
    from rich.console import Console

    console = Console(stderr=True, quiet=quiet)
    current = client.request("GET", f"/intents/{intent_id}")
    if current["state"] in FINAL:
        return current
    with console.status(f"[bold]{intent_id}[/]: {STEP_TEXT.get(current['state'], current['state'])}") as status:
        t0 = time.monotonic()
        stream = client.events(intent_id)
        try:
            for event in stream:
                state = event.get("state")
                if event.get("type") == "push":
                    status.update(f"[bold]{intent_id}[/]: push {event.get('event')} "
                                  f"{event.get('phase', '')} ({event.get('written', 0)} entries)")
                    continue
                if state:
                    console.log(f"{STEP_TEXT.get(state, state)}  [dim]+{time.monotonic() - t0:.2f}s[/]")
                    status.update(f"[bold]{intent_id}[/]: {STEP_TEXT.get(state, state)}")
                if state in FINAL:
                    latest = client.request("GET", f"/intents/{intent_id}")
                    if latest["state"] in FINAL:
                        return latest
        except (OSError, ValueError):
            pass
        finally:
            stream.close()  # closes the HTTP connection now, not when garbage-collected
        while True:  # the stream closed early: poll
            latest = client.request("GET", f"/intents/{intent_id}")
            if latest["state"] in FINAL:
                return latest
            status.update(f"[bold]{intent_id}[/]: {STEP_TEXT.get(latest['state'], latest['state'])}")
            time.sleep(0.25)


def _show(rec: dict[str, Any]) -> None:
    from rich.console import Console

    console = Console()
    colour = {"deployed": "green", "failed": "red", "pending": "yellow"}.get(rec["state"], "cyan")
    console.print(f"intent [bold]{rec['id']}[/]  state [{colour}]{rec['state']}[/]")
    if rec.get("request", {}).get("text"):
        console.print(f"  text: {rec['request']['text']}")
    if rec.get("error"):
        console.print(f"  [red]reason:[/] {rec['error']}")
    if rec.get("pending"):
        console.print(f"  [yellow]{rec['pending']}[/]")
    if rec.get("preference"):
        pref = ", ".join(f"{k}={v:g}" for k, v in rec["preference"].items() if v)
        console.print(f"  preference: {pref or '(none)'}")
    for e in rec.get("experts", []) or []:
        mark = "*" if e.get("chosen") else " "
        console.print(f"  {mark} expert {e['name']} ({e.get('kind', '?')}, {e.get('status', '')}): {e.get('why', '')}")
    if rec.get("objectives"):
        _print_table("objectives", list(rec["objectives"]), [[f"{v:.4g}" for v in rec["objectives"].values()]])
    if rec.get("timings_s"):
        console.print("  timings: " + ", ".join(f"{k} {v * 1000:.1f} ms" for k, v in rec["timings_s"].items()))
    if rec.get("entries_written") is not None:
        console.print(f"  entries written: {rec['entries_written']} (version {rec.get('version')})")


def _request_and_show(args: argparse.Namespace, method: str, path: str, show: Callable[[Any], None]) -> int:
    """One API call, answered as JSON with --json or by ``show`` for people: every simple subcommand."""
    answer = _client(args).request(method, path)
    _print_json(answer) if args.json else show(answer)
    return 0


def _print_table(title: str, columns: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    """Print a rich table of plain strings (the human form of the listing subcommands)."""
    from rich.console import Console
    from rich.table import Table

    t = Table(title=title)
    for col in columns:
        t.add_column(col)
    for row in rows:
        t.add_row(*row)
    Console().print(t)


def run_show(args: argparse.Namespace) -> int:
    return _request_and_show(args, "GET", f"/intents/{args.id}", _show)


def _show_intents(answer: dict[str, Any]) -> None:
    _print_table("intents", ("id", "state", "text", "note"),
                 ((i["id"], i["state"], (i.get("text") or "")[:60], i.get("error") or i.get("pending") or "")
                  for i in answer["intents"]))


def run_list(args: argparse.Namespace) -> int:
    return _request_and_show(args, "GET", "/intents", _show_intents)


def run_withdraw(args: argparse.Namespace) -> int:
    return _request_and_show(args, "DELETE", f"/intents/{args.id}", lambda a: print(f"{a['id']}: {a['state']}"))


def _show_status(answer: dict[str, Any]) -> None:
    from rich.console import Console

    c = Console()
    c.print(f"topology [bold]{answer['topology']}[/] ({answer['devices']} devices), {answer['switches']} switches")
    c.print(f"active intent {answer['active_intent']} (plan {answer['active_plan']}, version {answer['active_version']})")
    c.print(f"queue depth {answer['queue_depth']}, working on {answer['working_on']}, pending {answer['pending']}")
    c.print("intents: " + ", ".join(f"{k} {v}" for k, v in sorted(answer["intents"].items())))


def run_status(args: argparse.Namespace) -> int:
    return _request_and_show(args, "GET", "/status", _show_status)


def _switch_row(s: dict[str, Any]) -> tuple[str, ...]:
    cookie = s.get("pipeline_cookie")
    return (s["name"], s["device"], s["grpc"], "yes" if s.get("connected") else "no",
            "yes" if s.get("primary") else "no", f"{cookie:#x}" if isinstance(cookie, int) else "-",
            str(s.get("entries_deployed", 0)), _inference_cell(s.get("inference_packets") or {}),
            s.get("last_error") or "")


def _inference_cell(per_task: dict[str, dict[str, int]]) -> str:
    """``task: label=packets ...`` per task, from the switch's per-class direct counters."""
    return "; ".join(f"{task}: " + " ".join(f"{label}={n}" for label, n in labels.items())
                     for task, labels in sorted(per_task.items())) or "-"


def _show_switches(answer: dict[str, Any]) -> None:
    _print_table("switches", ("name", "device", "grpc", "connected", "primary", "cookie", "entries",
                              "classified (task: label=packets)", "last error"),
                 map(_switch_row, answer["switches"]))


def run_switches(args: argparse.Namespace) -> int:
    return _request_and_show(args, "GET", "/switches", _show_switches)
