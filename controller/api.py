"""Northbound HTTP/JSON API (aiohttp). The contract is ``controller.openapi.SPEC`` (GET /openapi.json).

Rules every handler follows:

* Every call that changes state (POST, DELETE) needs ``Authorization: Bearer <admin token>``.
  Reads (GET) need the admin token or the read-only token, unless the server was started with
  ``public_reads`` (``omniplan serve --public-reads``). ``/health`` and ``/openapi.json`` are open.
  A missing or wrong token is 401, the read-only token on a write is 403 (compared in constant time).
* Request bodies must be JSON objects, at most ``max_body`` bytes (413 says the limit), nested at
  most ``MAX_JSON_DEPTH`` levels; malformed JSON is a 400 that says the line and column; unknown
  fields are a 400 that names them; control characters (NUL, ESC, ...) in any string or query
  parameter are a 400 that names the field and the character (``controller.request_checks``).
* Errors are ``{"error": "...", "status": N}``; nothing is half-applied (validation happens
  before the store is touched).
* ``/events`` is a Server-Sent Events stream that stays open until the client leaves: a comment
  line every ``keepalive_s`` seconds keeps proxies and clients from timing it out; every event has
  an ``id:`` and ``Last-Event-ID`` (or ``?after=``) resumes after it (``controller.events``).
"""

from __future__ import annotations

import asyncio
import hmac
import json
import time
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from controller.openapi import SPEC
from controller.request_checks import RequestRejected, check_depth, check_query, check_strings
from controller.service import Controller
from omniplan.errors import OmniPlanError
from omniplan.objectives import UNITS

DEFAULT_MAX_BODY = 1 << 20  # 1 MiB: a compiled forest with thousands of entries still fits
#: Seconds between SSE keep-alive comments: well under the common 30-60 s idle timeouts of proxies
#: and HTTP clients, and cheap (a 14-byte comment).
DEFAULT_KEEPALIVE_S = 10.0
#: Paths anyone may read: liveness for load balancers, and the API description itself.
OPEN_PATHS = frozenset({"/health", "/openapi.json"})
CONTROLLER_KEY = web.AppKey("controller", Controller)
AUTH_KEY = web.AppKey("auth", object)
MAX_BODY_KEY = web.AppKey("max_body", int)
KEEPALIVE_KEY = web.AppKey("keepalive_s", float)
STREAMS_KEY = web.AppKey("streams", set)


@dataclass(frozen=True)
class Access:
    """Who may call what. Example: ``Access("adm1n", read_token="r3ad")``; ``Access("adm1n", public_reads=True)``."""

    token: str
    read_token: str | None = None
    #: GETs need no token at all (an explicit operator choice: ``omniplan serve --public-reads``).
    public_reads: bool = False


class ApiError(web.HTTPException):
    def __init__(self, status: int, message: str, **extra: Any):
        self.status_code = status
        super().__init__(text=json.dumps({"error": message, "status": status, **extra}), content_type="application/json")


def _route_name(request: web.Request) -> str:
    info = request.match_info.route.resource
    return info.canonical if info is not None else "unmatched"


@web.middleware
async def errors_and_metrics(request: web.Request, handler):
    ctl: Controller = request.app[CONTROLLER_KEY]
    t0 = time.perf_counter()
    status = 500
    try:
        _authorize(request)
        check_query(request.query)
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPRequestEntityTooLarge:
        status = 413
        limit = request.app[MAX_BODY_KEY]
        raise ApiError(413, f"request body exceeds the limit of {limit} bytes") from None
    except ApiError as exc:
        status = exc.status_code
        raise
    except web.HTTPException as exc:
        status = exc.status
        if exc.content_type == "application/json":
            raise
        raise ApiError(exc.status, exc.reason) from None
    except (OmniPlanError, RequestRejected) as exc:
        status = 400
        raise ApiError(400, str(exc)) from None
    finally:
        route = _route_name(request)
        ctl.metrics.http_requests.labels(request.method, route, str(status)).inc()
        ctl.metrics.http_seconds.labels(route).observe(time.perf_counter() - t0)


def _authorize(request: web.Request) -> None:
    access: Access = request.app[AUTH_KEY]  # type: ignore[assignment]
    write = request.method not in ("GET", "HEAD", "OPTIONS")
    if not write and (access.public_reads or request.path in OPEN_PATHS):
        return
    header = request.headers.get("Authorization", "")
    scheme, _, given = header.partition(" ")
    given_b = given.strip().encode()
    ok = scheme.lower() == "bearer" and bool(given_b)
    is_admin = ok and hmac.compare_digest(given_b, access.token.encode())
    is_reader = ok and access.read_token is not None and hmac.compare_digest(given_b, access.read_token.encode())
    if is_admin or (is_reader and not write):
        return
    if is_reader:
        raise ApiError(403, "the read-only token cannot change state; use the admin token")
    need = "the admin token" if write else "the admin or the read-only token"
    raise ApiError(401, f"missing or wrong bearer token (this call needs {need}; send 'Authorization: Bearer <token>')")


async def _json_object(request: web.Request, allowed: set[str] | None = None) -> dict[str, Any]:
    limit = request.app[MAX_BODY_KEY]
    if request.content_length is not None and request.content_length > limit:
        raise ApiError(413, f"request body exceeds the limit of {limit} bytes")
    raw = await request.read()
    if len(raw) > limit:
        raise ApiError(413, f"request body exceeds the limit of {limit} bytes")
    if not raw.strip():
        raise ApiError(400, "empty body; expected a JSON object")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ApiError(400, f"body is not UTF-8 (byte {exc.start})") from None
    check_depth(text)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ApiError(400, f"malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}",
                       line=exc.lineno, column=exc.colno) from None
    except RecursionError:  # check_depth should have caught it; never a 500
        raise ApiError(400, "JSON nested too deeply") from None
    if not isinstance(data, dict):
        raise ApiError(400, f"expected a JSON object, got {type(data).__name__}")
    check_strings(data)
    if allowed is not None:
        unknown = sorted(set(data) - allowed)
        if unknown:
            raise ApiError(400, f"unknown field(s): {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}",
                           fields=unknown)
    return data


def _actor(request: web.Request) -> str:
    return f"token@{request.remote or 'local'}"


# ---------------------------------------------------------------------------- handlers
async def health(request: web.Request) -> web.Response:
    ctl = request.app[CONTROLLER_KEY]
    up = sum(1 for s in ctl.switch_status() if s.get("ready"))
    return web.json_response({"status": "ok", "switches": len(ctl.switches), "switches_ready": up,
                              "queue_depth": ctl.queue.qsize()})


async def openapi(request: web.Request) -> web.Response:
    return web.json_response(SPEC)


async def metrics(request: web.Request) -> web.Response:
    ctl = request.app[CONTROLLER_KEY]
    ctl.metrics.switches_up.set(sum(1 for s in ctl.switch_status() if s.get("ready")))
    ctl.metrics.queue_depth.set(ctl.queue.qsize())
    ctl.metrics.set_entries(ctl.store.deployed_counts(), [s.device for s in ctl.switches])
    await ctl.refresh_inference_counts()
    return web.Response(body=ctl.metrics.render(), content_type="text/plain", charset="utf-8")


async def submit_intent(request: web.Request) -> web.Response:
    from controller.service import REQUEST_FIELDS

    ctl = request.app[CONTROLLER_KEY]
    body = await _json_object(request, REQUEST_FIELDS)
    before = ctl.events.last_id
    rec = ctl.submit(body, actor=_actor(request))
    # Resuming /events?intent=ID with Last-Event-ID = last_event_id replays the intent from its first
    # event, so a client that subscribes after this answer still sees every step.
    return web.json_response({"id": rec.id, "state": rec.state, "href": f"/intents/{rec.id}",
                              "last_event_id": before}, status=202, headers={"Location": f"/intents/{rec.id}"})


def _intent_or_404(ctl: Controller, intent_id: str):
    rec = ctl.store.get_intent(intent_id)
    if rec is None:
        raise ApiError(404, f"no intent {intent_id!r}")
    return rec


async def get_intent(request: web.Request) -> web.Response:
    ctl = request.app[CONTROLLER_KEY]
    rec = _intent_or_404(ctl, request.match_info["id"]).to_dict()
    if rec.get("objectives"):
        rec["objective_units"] = {k: UNITS.get(k) for k in rec["objectives"]}
    return web.json_response(rec)


async def list_intents(request: web.Request) -> web.Response:
    ctl = request.app[CONTROLLER_KEY]
    state = request.query.get("state")
    recs = ctl.store.list_intents([state] if state else None)
    return web.json_response({"intents": [
        {"id": r.id, "seq": r.seq, "state": r.state, "created": r.created, "updated": r.updated,
         "text": r.request.get("text"), "error": r.error, "pending": r.pending} for r in recs]})


async def delete_intent(request: web.Request) -> web.Response:
    ctl = request.app[CONTROLLER_KEY]
    intent_id = request.match_info["id"]
    _intent_or_404(ctl, intent_id)
    rec = ctl.withdraw(intent_id, actor=_actor(request))
    state = "withdrawing" if rec.state == "deployed" else rec.state
    return web.json_response({"id": intent_id, "state": state}, status=202)


async def confirm_intent(request: web.Request) -> web.Response:
    """Plan an intent that stopped in ``needs_confirmation`` (no objective recognised in its text)."""
    ctl = request.app[CONTROLLER_KEY]
    intent_id = request.match_info["id"]
    rec = _intent_or_404(ctl, intent_id)
    if rec.state != "needs_confirmation":
        raise ApiError(409, f"intent {intent_id} is {rec.state}, not waiting for confirmation")
    before = ctl.events.last_id
    ctl.confirm(intent_id, actor=_actor(request))
    return web.json_response({"id": intent_id, "state": "queued", "href": f"/intents/{intent_id}",
                              "last_event_id": before}, status=202)


async def get_plan(request: web.Request) -> web.Response:
    ctl = request.app[CONTROLLER_KEY]
    plan_id = ctl.store.get_meta("active_plan_id")
    if plan_id is None:
        return web.json_response({"active": None, "intent": ctl.store.get_meta("active_intent_id"),
                                  "version": ctl.store.get_meta("active_version")})
    row = ctl.store.get_plan(plan_id)
    return web.json_response({"active": row, "intent": ctl.store.get_meta("active_intent_id"),
                              "version": ctl.store.get_meta("active_version"),
                              "entries": ctl.store.deployed_counts()})


async def get_switches(request: web.Request) -> web.Response:
    ctl = request.app[CONTROLLER_KEY]
    await ctl.refresh_inference_counts()
    return web.json_response({"switches": ctl.switch_status()})


async def get_status(request: web.Request) -> web.Response:
    ctl = request.app[CONTROLLER_KEY]
    return web.json_response({**ctl.status(), "recent_pushes": ctl.store.pushes(10)})


async def post_model(request: web.Request) -> web.Response:
    from controller import models

    ctl = request.app[CONTROLLER_KEY]
    ctype = request.content_type
    if ctype == "application/json":
        body = await _json_object(request, models.JSON_FIELDS)
        task = models.task_from_json(body)
        source = "json"
    else:
        limit = request.app[MAX_BODY_KEY]
        raw = await request.read()
        if len(raw) > limit:
            raise ApiError(413, f"request body exceeds the limit of {limit} bytes")
        name = request.query.get("name")
        task = await asyncio.to_thread(models.task_from_skops, raw, name, dict(request.query))
        source = "skops"
    ctl.store.put_model(task["name"], task, source)
    ctl.store.audit(_actor(request), "model.register", {"name": task["name"], "source": source})
    return web.json_response({"name": task["name"], "mats": len(task.get("mats", [])), "source": source}, status=201)


async def list_models(request: web.Request) -> web.Response:
    ctl = request.app[CONTROLLER_KEY]
    return web.json_response({"models": [
        {"name": n, "kind": t.get("kind"), "mats": len(t.get("mats", []))} for n, t in ctl.store.models().items()]})


def _resume_point(request: web.Request) -> int | None:
    last = request.headers.get("Last-Event-ID") or request.query.get("after")
    if last is None or last == "":
        return None
    if not last.strip().isdigit():
        raise ApiError(400, f"Last-Event-ID must be a non-negative integer event id, got {last[:40]!r}")
    return int(last)


def _sse(event: dict[str, Any]) -> bytes:
    data = json.dumps(event, default=str)  # one line: json.dumps escapes newlines and control characters
    head = f"id: {event['id']}\n" if event.get("id") is not None else ""
    return f"{head}event: {event['type']}\ndata: {data}\n\n".encode()


async def events(request: web.Request) -> web.StreamResponse:
    """Server-Sent Events until the client leaves; ``?intent=ID`` keeps one intent's events.

    ``Last-Event-ID`` (header, as browsers resend it) or ``?after=`` replays the kept events after
    that id first; a ``gap`` event says some were no longer kept (the client should re-read state).
    """
    ctl = request.app[CONTROLLER_KEY]
    only = request.query.get("intent")
    after = _resume_point(request)
    keepalive = request.app[KEEPALIVE_KEY]
    subscription = ctl.events.subscribe(after)  # before the response starts: nothing published from now is missed
    resp = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache",
                                       "X-Accel-Buffering": "no"})
    streams: set = request.app[STREAMS_KEY]
    task = asyncio.current_task()
    streams.add(task)
    try:
        await resp.prepare(request)
        await resp.write(b"retry: 1000\n: omniplan events\n\n")
        while True:
            event = await subscription.next(timeout=keepalive)
            if event is None:
                await resp.write(b": keep-alive\n\n")
                continue
            if only and event["type"] != "gap" and event.get("intent") != only:
                continue
            await resp.write(_sse(event))
    except (ConnectionResetError, asyncio.CancelledError):
        pass  # the client left, or the server is shutting down
    finally:
        streams.discard(task)
        subscription.close()
    return resp


def build_app(controller: Controller, token: str, *, max_body: int = DEFAULT_MAX_BODY, read_token: str | None = None,
              public_reads: bool = False, keepalive_s: float = DEFAULT_KEEPALIVE_S) -> web.Application:
    """The northbound app. ``token`` may change state; ``read_token`` may only read; see the module doc."""
    if not token:
        raise ValueError("an API token is required")
    if read_token is not None and (not read_token or read_token == token):
        raise ValueError("the read-only token must be non-empty and differ from the admin token")
    if keepalive_s <= 0:
        raise ValueError("keepalive_s must be > 0")
    app = web.Application(middlewares=[errors_and_metrics], client_max_size=max_body)
    app[CONTROLLER_KEY] = controller
    app[AUTH_KEY] = Access(token, read_token, public_reads)
    app[MAX_BODY_KEY] = max_body
    app[KEEPALIVE_KEY] = float(keepalive_s)
    app[STREAMS_KEY] = set()
    app.router.add_get("/health", health)
    app.router.add_get("/openapi.json", openapi)
    app.router.add_get("/metrics", metrics)
    app.router.add_post("/intents", submit_intent)
    app.router.add_get("/intents", list_intents)
    app.router.add_get("/intents/{id}", get_intent)
    app.router.add_delete("/intents/{id}", delete_intent)
    app.router.add_post("/intents/{id}/confirm", confirm_intent)
    app.router.add_get("/plan", get_plan)
    app.router.add_get("/switches", get_switches)
    app.router.add_get("/status", get_status)
    app.router.add_post("/models", post_model)
    app.router.add_get("/models", list_models)
    app.router.add_get("/events", events)

    async def on_startup(app: web.Application) -> None:
        await controller.start()

    async def on_cleanup(app: web.Application) -> None:
        await controller.stop()

    async def on_shutdown(app: web.Application) -> None:
        for task in list(app[STREAMS_KEY]):  # end open event streams now, not at their next keep-alive
            task.cancel()

    app.on_startup.append(on_startup)
    app.on_shutdown.append(on_shutdown)
    app.on_cleanup.append(on_cleanup)
    return app
