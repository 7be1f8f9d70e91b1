"""`omniplan intent|status|switches`: talk to a running `omniplan serve` over its HTTP API.

--url and --token default to $OMNIPLAN_URL (else http://127.0.0.1:8181) and $OMNIPLAN_TOKEN (the
admin token, or the read-only one for the read commands).
`intent submit --wait` follows the server's event stream from the intent's first event (it resumes
/events?intent=ID with the ``last_event_id`` the submission answered), so it shows every lifecycle
step even when planning finishes before the stream is open, and returns as soon as the final
event arrives. Everything printed that came from the server (intent texts, errors) is shown with
control characters escaped and rich markup disabled, so a stored ESC cannot drive the terminal.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.request
from typing import Any, Callable, Iterable, Iterator, Sequence

from omniplan.errors import InputError, OmniPlanError

DEFAULT_URL = "http://127.0.0.1:8181"
#: States after which `--wait` stops following (``validated`` too, when no switch deploy follows).
WAIT_ENDS = {"deployed", "failed", "withdrawn", "superseded", "pending", "needs_confirmation"}
STEP_TEXT = {
    "queued": "queued for planning",
    "translated": "intent translated to a preference vector",
    "experts_activated": "experts activated, solving",
    "planned": "plan chosen",
    "validated": "plan validated (feasibility + pipeline twin)",
    "deploying": "pushing tables (make-before-break)",
    "pending": "waiting for switches",
    "needs_confirmation": "needs confirmation: no objective recognised, nothing deployed",
    "deployed": "deployed",
    "failed": "failed",
    "withdrawn": "withdrawn",
    "superseded": "superseded by a newer intent",
}
#: Times the event stream is reopened (from the last event seen) before falling back to polling.
STREAM_RETRIES = 3


def wait_is_over(rec: dict[str, Any]) -> bool:
    """Whether an intent record is in a state `--wait` reports as its outcome."""
    if rec["state"] in WAIT_ENDS:
        return True
    return rec["state"] == "validated" and str(rec.get("deploy", "")).startswith("skipped")


def safe(text: Any) -> str:
    """Server-supplied text as a terminal may show it: control characters escaped, rich markup inert."""
    from rich.markup import escape

    from controller.request_checks import printable

    return escape(printable(text))


class ApiClient:
    def __init__(self, url: str, token: str | None, timeout_s: float = 30.0):
        self.url = url.rstrip("/")
        self.token = token
        self.timeout_s = timeout_s

    def request(self, method: str, path: str, body: Any = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        headers = self._headers(Accept="application/json")
        if data is not None:
            headers["Content-Type"] = "application/json"
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

    def _headers(self, **extra: str) -> dict[str, str]:
        headers = dict(extra)
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return headers

    def events(self, intent_id: str, after: int | None = None) -> Iterator[dict[str, Any]]:
        """Yield the intent's events from the SSE stream (blocking), replaying those after event id ``after``.

        Each event carries its stream ``id`` (``None`` for a ``gap`` marker). The server sends a
        keep-alive comment every few seconds, so the read timeout only fires if it is gone.
        """
        headers = self._headers(Accept="text/event-stream")
        if after is not None:
            headers["Last-Event-ID"] = str(after)
        req = urllib.request.Request(f"{self.url}/events?intent={intent_id}", headers=headers)
        try:
            resp = urllib.request.urlopen(req, timeout=self.timeout_s)
        except urllib.error.HTTPError as exc:
            raise OmniPlanError(f"GET /events: HTTP {exc.code}") from None
        except urllib.error.URLError as exc:
            raise InputError(f"cannot reach the controller at {self.url}: {exc.reason}") from None
        with resp:
            for raw in resp:
                line = raw.decode("utf-8", "replace").strip()
                if line.startswith("data:"):
                    yield json.loads(line[5:])


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
    s.add_argument("--proceed", action="store_true",
                   help="plan even if no objective is recognised in the text (else it waits in needs_confirmation)")
    s.set_defaults(func=run_submit)
    cf = sub.add_parser("confirm", parents=[common], help="plan an intent waiting in needs_confirmation")
    cf.add_argument("id")
    cf.add_argument("--wait", action="store_true", help="follow progress until deployed or failed")
    cf.set_defaults(func=run_confirm)
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
    if args.proceed:
        body["confirm"] = True
    client = _client(args)
    answer = client.request("POST", "/intents", body)
    if not args.wait:
        _print_json(answer) if args.json else print(answer["id"])
        return 0
    return _follow_and_show(client, answer, args.json)


def run_confirm(args: argparse.Namespace) -> int:
    client = _client(args)
    answer = client.request("POST", f"/intents/{args.id}/confirm", {})
    if not args.wait:
        _print_json(answer) if args.json else print(f"{safe(answer['id'])}: {safe(answer['state'])}")
        return 0
    return _follow_and_show(client, answer, args.json)


def _follow_and_show(client: ApiClient, answer: dict[str, Any], as_json: bool) -> int:
    """`--wait`: follow from the answer's stream position, show the outcome; 0 only if it was planned/deployed."""
    final = follow(client, answer["id"], answer.get("last_event_id"), quiet=as_json)
    if as_json:
        _print_json(final)
    else:
        _show(final)
    return 0 if final["state"] in ("deployed", "validated") else 1


def follow(client: ApiClient, intent_id: str, after: int | None, quiet: bool = False) -> dict[str, Any]:
    """Show every lifecycle step of an intent until `--wait` is over; returns the final record.

    The stream is opened from ``after`` (the event id the submission answered), so the intent's
    steps are replayed from its first event however late the stream opens; a broken stream is
    reopened from the last event seen; a ``gap`` (events no longer kept) or the end fills in the
    steps from the intent's recorded history, so no step is ever missing from the output.
    """
    from rich.console import Console

    console = Console(stderr=True, quiet=quiet, highlight=False)
    shown: list[str] = []
    t0 = time.monotonic()

    def step(state: str, at: str | None = None) -> None:
        if shown and shown[-1] == state:
            return  # the no-switch path records "validated" twice
        shown.append(state)
        when = at if at is not None else f"+{time.monotonic() - t0:.2f}s"
        console.print(f"  {safe(STEP_TEXT.get(state, state))}  [dim]{when}[/]")

    def backfill(rec: dict[str, Any]) -> None:
        """Print the recorded transitions the stream did not show (events lost in a gap), in order."""
        history: list[str] = []
        for h in rec.get("history", []):
            if not history or history[-1] != h["state"]:
                history.append(h["state"])
        k = 0
        for state in history:  # what was shown is a subsequence of the history
            if k < len(shown) and shown[k] == state:
                k += 1
            else:
                console.print(f"  {safe(STEP_TEXT.get(state, state))}  [dim](from the intent's history)[/]")
        if k == len(shown):
            shown[:] = history

    with console.status(f"[bold]{safe(intent_id)}[/]: submitted") as status:
        attempts = 0
        while attempts <= STREAM_RETRIES:
            try:
                for event in client.events(intent_id, after):
                    if event.get("type") == "gap":
                        latest = client.request("GET", f"/intents/{intent_id}")
                        backfill(latest)
                        if wait_is_over(latest):
                            return latest
                        continue
                    after = event.get("id", after)
                    if event.get("type") == "push":
                        status.update(f"[bold]{safe(intent_id)}[/]: push {safe(event.get('event'))} "
                                      f"{safe(event.get('phase', ''))} ({event.get('written', 0)} entries)")
                        continue
                    state = event.get("state")
                    if not state:
                        continue
                    step(state)
                    status.update(f"[bold]{safe(intent_id)}[/]: {safe(STEP_TEXT.get(state, state))}")
                    if state in WAIT_ENDS or state == "validated":
                        latest = client.request("GET", f"/intents/{intent_id}")
                        # a record already past this event (validated -> deploying): its events are coming
                        if latest["state"] == state and wait_is_over(latest):
                            backfill(latest)
                            return latest
                attempts += 1  # the server closed the stream (restart?): resume from the last event seen
            except (OSError, ValueError):
                attempts += 1
            if after is None:
                break
            time.sleep(0.2)
        while True:  # no stream: poll
            latest = client.request("GET", f"/intents/{intent_id}")
            if wait_is_over(latest):
                backfill(latest)
                return latest
            status.update(f"[bold]{safe(intent_id)}[/]: {safe(STEP_TEXT.get(latest['state'], latest['state']))}")
            time.sleep(0.25)


def _experts_lines(rec: dict[str, Any]) -> list[str]:
    """What ran, from the recorded runs (not the selection rule, which names the MIP even when it was skipped)."""
    runs = rec.get("experts") or []
    act = rec.get("activation") or {}
    lines = []
    for e in runs:
        mark = "*" if e.get("chosen") else " "
        took = f", {e['solve_time_s']:.3f} s" if isinstance(e.get("solve_time_s"), (int, float)) else ""
        lines.append(f"  {mark} ran {e['name']} ({e.get('role', e.get('kind', '?'))}, {e.get('status') or '?'}{took})"
                     + (" - chosen" if e.get("chosen") else ""))
    reason = str(act.get("reason") or "")
    mip_ran = any(e.get("role") == "mip" for e in runs)
    if not mip_ran and reason.endswith(" plus the MIP expert"):
        reason = reason[: -len(" plus the MIP expert")]
    if act.get("rule"):
        lines.append(f"  activation {act['rule']}: {reason}")
    if act.get("rule") == "mixed" and not mip_ran:
        why = next((n for n in act.get("notes", []) if "MIP" in n), "the MIP expert did not run")
        lines.append(f"  MIP expert not run: {why}")
    return lines


def _show(rec: dict[str, Any]) -> None:
    from rich.console import Console

    from omniplan.objectives import UNITS

    console = Console(highlight=False)
    colour = {"deployed": "green", "failed": "red", "pending": "yellow",
              "needs_confirmation": "yellow"}.get(rec["state"], "cyan")
    console.print(f"intent [bold]{safe(rec['id'])}[/]  state [{colour}]{safe(rec['state'])}[/]")
    if rec.get("request", {}).get("text"):
        console.print(f"  text: {safe(rec['request']['text'])}")
    if rec.get("error"):
        console.print(f"  [red]reason:[/] {safe(rec['error'])}")
    if rec.get("pending"):
        console.print(f"  [yellow]{safe(rec['pending'])}[/]")
    if rec["state"] == "needs_confirmation":
        console.print(f"  [yellow]no objective recognised in the text: nothing was planned or deployed[/]; to plan it "
                      f"with the default expert anyway: omniplan intent confirm {safe(rec['id'])}")
    if rec.get("preference"):
        pref = ", ".join(f"{safe(k)}={v:g}" for k, v in rec["preference"].items() if v)
        console.print(f"  preference: {pref or '(none)'}")
    for line in _experts_lines(rec):
        console.print(safe(line))
    if rec.get("objectives"):
        units = {**UNITS, **(rec.get("objective_units") or {})}
        _print_table("objectives", ("objective", "value", "unit"),
                     [(k, f"{v:.4g}", units.get(k) or "") for k, v in rec["objectives"].items()])
    if rec.get("timings_s"):
        console.print("  timings: " + ", ".join(f"{safe(k)} {v * 1000:.1f} ms" for k, v in rec["timings_s"].items()))
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
        t.add_row(*(safe(cell) for cell in row))  # cells may hold server-supplied text
    Console(highlight=False).print(t)


def run_show(args: argparse.Namespace) -> int:
    return _request_and_show(args, "GET", f"/intents/{args.id}", _show)


def _show_intents(answer: dict[str, Any]) -> None:
    _print_table("intents", ("id", "state", "text", "note"),
                 ((i["id"], i["state"], (i.get("text") or "")[:60], i.get("error") or i.get("pending") or
                   (f"omniplan intent confirm {i['id']}" if i["state"] == "needs_confirmation" else ""))
                  for i in answer["intents"]))


def run_list(args: argparse.Namespace) -> int:
    return _request_and_show(args, "GET", "/intents", _show_intents)


def run_withdraw(args: argparse.Namespace) -> int:
    return _request_and_show(args, "DELETE", f"/intents/{args.id}", lambda a: print(f"{a['id']}: {a['state']}"))


def _show_status(answer: dict[str, Any]) -> None:
    from rich.console import Console

    c = Console(highlight=False)
    c.print(f"topology [bold]{safe(answer['topology'])}[/] ({answer['devices']} devices), {answer['switches']} switches")
    if answer.get("active_intent"):
        where = ", ".join(f"{k} {answer[f'active_{k}']}" for k in ("plan", "version")
                          if answer.get(f"active_{k}") is not None)
        c.print(f"active intent {safe(answer['active_intent'])}" + (f" ({where})" if where else ""))
    else:
        c.print("active intent: none (no plan deployed)")
    working = answer.get("working_on")
    doing = ("idle" if working is None else "loading the intent translator" if working == ""
             else f"working on intent {safe(working)}")
    pending = answer.get("pending")
    if isinstance(pending, dict):
        waits = ", ".join(map(str, pending.get("waiting_for") or [])) or "switches"
        waiting = f"intent {safe(pending.get('intent'))} pending, waiting for {safe(waits)}"
    else:
        waiting = "nothing pending"
    c.print(f"queue depth {answer['queue_depth']}, {doing}, {waiting}")
    c.print("intents: " + (", ".join(f"{safe(k)} {v}" for k, v in sorted(answer["intents"].items())) or "none"))


def run_status(args: argparse.Namespace) -> int:
    return _request_and_show(args, "GET", "/status", _show_status)


def _switch_row(s: dict[str, Any]) -> tuple[str, ...]:
    cookie = s.get("pipeline_cookie")
    ours, primary = s.get("election_id"), s.get("primary_election_id")
    role = s.get("mastership") or ("primary" if s.get("primary") else "connected" if s.get("connected") else "no")
    if role == "backup" and primary is not None:
        role = f"backup (primary: id {primary})"
    note = s.get("unavailable") or s.get("health_reason") or s.get("last_error") or ""
    return (s["name"], s["device"], s["grpc"], s.get("health") or ("up" if s.get("connected") else "down"), role,
            "-" if ours is None else str(ours), f"{cookie:#x}" if isinstance(cookie, int) else "-",
            str(s.get("entries_deployed", 0)), _inference_cell(s.get("inference_packets") or {}), note)


def _inference_cell(per_task: dict[str, dict[str, int]]) -> str:
    """``task: label=packets ...`` per task, from the switch's per-class direct counters."""
    return "; ".join(f"{task}: " + " ".join(f"{label}={n}" for label, n in labels.items())
                     for task, labels in sorted(per_task.items())) or "-"


def _show_switches(answer: dict[str, Any]) -> None:
    _print_table("switches", ("name", "device", "grpc", "health", "mastership", "our election id", "cookie", "entries",
                              "classified (task: label=packets)", "note"), map(_switch_row, answer["switches"]))


def run_switches(args: argparse.Namespace) -> int:
    return _request_and_show(args, "GET", "/switches", _show_switches)
