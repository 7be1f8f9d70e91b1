"""Northbound HTTP/JSON API (aiohttp). The contract is ``controller.openapi.SPEC`` (GET /openapi.json).

Rules every handler follows:

* Reads are open; every call that changes state (POST, DELETE) needs ``Authorization: Bearer
  <token>`` and answers 401 otherwise (compared in constant time).
* Request bodies must be JSON objects, at most ``max_body`` bytes (413 says the limit);
  malformed JSON is a 400 that says the line and column; unknown fields are a 400 that names them.
* Errors are ``{"error": "...", "status": N}``; nothing is half-applied (validation happens
  before the store is touched).
"""

from __future__ import annotations

import asyncio
import hmac
import json
import time
from typing import Any, Mapping

from aiohttp import web

from controller.openapi import SPEC
from controller.service import Controller
from omniplan.errors import OmniPlanError

DEFAULT_MAX_BODY = 1 << 20  # 1 MiB: a compiled forest with thousands of entries still fits
CONTROLLER_KEY = web.AppKey("controller", Controller)
TOKEN_KEY = web.AppKey("token", str)
MAX_BODY_KEY = web.AppKey("max_body", int)
STREAMS_KEY = web.AppKey("streams", set)


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
        if request.method in ("POST", "PUT", "PATCH", "DELETE"):
            _authorize(request)
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
    except OmniPlanError as exc:
        status = 400
        raise ApiError(400, str(exc)) from None
    finally:
        route = _route_name(request)
        ctl.metrics.http_requests.labels(request.method, route, str(status)).inc()
        ctl.metrics.http_seconds.labels(route).observe(time.perf_counter() - t0)


def _authorize(request: web.Request) -> None:
    token = request.app[TOKEN_KEY]
    header = request.headers.get("Authorization", "")
    scheme, _, given = header.partition(" ")
    if scheme.lower() != "bearer" or not given or not hmac.compare_digest(given.strip().encode(), token.encode()):
        raise ApiError(401, "missing or wrong bearer token (send 'Authorization: Bearer <token>')")


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
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ApiError(400, f"malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}",
                       line=exc.lineno, column=exc.colno) from None
    if not isinstance(data, dict):
        raise ApiError(400, f"expected a JSON object, got {type(data).__name__}")
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
    await ctl.refresh_inference_counts()
    return web.Response(body=ctl.metrics.render(), content_type="text/plain", charset="utf-8")


async def submit_intent(request: web.Request) -> web.Response:
    from controller.service import REQUEST_FIELDS

    ctl = request.app[CONTROLLER_KEY]
    body = await _json_object(request, REQUEST_FIELDS)
    rec = ctl.submit(body, actor=_actor(request))
    return web.json_response({"id": rec.id, "state": rec.state, "href": f"/intents/{rec.id}"}, status=202,
                             headers={"Location": f"/intents/{rec.id}"})


def _intent_or_404(ctl: Controller, intent_id: str):
    rec = ctl.store.get_intent(intent_id)
    if rec is None:
        raise ApiError(404, f"no intent {intent_id!r}")
    return rec


async def get_intent(request: web.Request) -> web.Response:
    ctl = request.app[CONTROLLER_KEY]
    return web.json_response(_intent_or_404(ctl, request.match_info["id"]).to_dict())


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


async def events(request: web.Request) -> web.StreamResponse:
    """Server-Sent Events; ``?intent=ID`` keeps one intent's events, ``Last-Event-ID`` resumes."""
    ctl = request.app[CONTROLLER_KEY]
    only = request.query.get("intent")
    last = request.headers.get("Last-Event-ID") or request.query.get("after")
    after = int(last) if last and last.isdigit() else None
    resp = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"})
    await resp.prepare(request)
    await resp.write(b": omniplan events\n\n")
    stream = ctl.events.subscribe(after)
    streams: set = request.app[STREAMS_KEY]
    task = asyncio.current_task()
    streams.add(task)
    try:
        while True:
            try:
                event = await asyncio.wait_for(stream.__anext__(), timeout=15.0)
            except asyncio.TimeoutError:
                await resp.write(b": keep-alive\n\n")
                continue
            if only and event.get("intent") != only:
                continue
            data = json.dumps(event, default=str)
            await resp.write(f"id: {event['id']}\nevent: {event['type']}\ndata: {data}\n\n".encode())
    except (ConnectionResetError, asyncio.CancelledError):
        pass
    finally:
        streams.discard(task)
        await stream.aclose()
    return resp


def build_app(controller: Controller, token: str, *, max_body: int = DEFAULT_MAX_BODY) -> web.Application:
    if not token:
        raise ValueError("an API token is required")
    app = web.Application(middlewares=[errors_and_metrics], client_max_size=max_body)
    app[CONTROLLER_KEY] = controller
    app[TOKEN_KEY] = token
    app[MAX_BODY_KEY] = max_body
    app[STREAMS_KEY] = set()
    app.router.add_get("/health", health)
    app.router.add_get("/openapi.json", openapi)
    app.router.add_get("/metrics", metrics)
    app.router.add_post("/intents", submit_intent)
    app.router.add_get("/intents", list_intents)
    app.router.add_get("/intents/{id}", get_intent)
    app.router.add_delete("/intents/{id}", delete_intent)
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
