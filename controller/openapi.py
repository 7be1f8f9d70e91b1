"""OpenAPI 3 description of the northbound API, served at GET /openapi.json.

Kept as data next to the handlers (controller/api.py); a test checks every route the app
serves is described here and vice versa.
"""

from __future__ import annotations

from typing import Any

from omniplan.objectives import OBJECTIVES, UNITS

_ERROR = {"$ref": "#/components/schemas/Error"}


def _err(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ERROR}}}


def _ok(description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema or {"type": "object"}}}}


_WRITE_ERRORS = {
    "400": _err("malformed JSON (says line and column), nested deeper than 400 levels, a control character "
                "(NUL, ESC, ...) in a string (named with its field), unknown fields (named), or invalid values"),
    "401": _err("missing or wrong bearer token"),
    "403": _err("the read-only token was sent: it cannot change state"),
    "413": _err("body larger than the configured limit (stated in the message)"),
}
#: Every GET except /health and /openapi.json: the admin or the read-only token (unless --public-reads).
_READ = {"security": [{"bearer": []}]}
_READ_ERRORS = {"401": _err("missing or wrong bearer token (reads need the admin or the read-only token)")}

SPEC: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {
        "title": "OmniPlan controller",
        "version": "1.0.0",
        "description": "Intent-driven placement of in-network ML inference tables on P4Runtime switches. "
                       "Calls that change state need 'Authorization: Bearer <admin token>'; reads need the admin "
                       "or the read-only token (unless the server runs with --public-reads); /health and "
                       "/openapi.json are open.",
    },
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "schemas": {
            "Error": {"type": "object", "required": ["error", "status"],
                      "properties": {"error": {"type": "string"}, "status": {"type": "integer"}}},
            "Preference": {"type": "object", "additionalProperties": False,
                           "properties": {o: {"type": "number", "minimum": 0, "maximum": 1} for o in OBJECTIVES}},
            "IntentRequest": {
                "type": "object", "additionalProperties": False,
                "description": "Give 'text' or 'preference'. Tasks: an inline 'workload', names of registered "
                               "'tasks', or (neither) every registered task.",
                "properties": {
                    "text": {"type": "string", "maxLength": 4000},
                    "preference": {"oneOf": [{"$ref": "#/components/schemas/Preference"},
                                             {"type": "string", "example": "latency=1,resources=0.5"}]},
                    "workload": {"type": "object", "description": "an omniplan-workload/1 document"},
                    "tasks": {"type": "array", "items": {"type": "string"}},
                    "channel": {"type": "string", "enum": ["auto", "fast", "optimal"]},
                    "time_limit_s": {"type": "number", "exclusiveMinimum": True, "minimum": 0, "maximum": 600},
                    "allow_partial": {"type": "boolean"},
                    "confirm": {"type": "boolean", "description": "plan even if no objective is recognised in "
                                                                  "'text' (otherwise: needs_confirmation)"},
                },
            },
            "Intent": {
                "type": "object",
                "properties": {
                    "id": {"type": "string"},
                    "objective_units": {"type": "object", "description": "unit of each objective value",
                                        "example": dict(UNITS)},
                    "state": {"type": "string", "enum": ["queued", "translated", "experts_activated", "planned",
                                                         "validated", "deploying", "pending", "deployed", "failed",
                                                         "withdrawn", "superseded", "needs_confirmation"]},
                    "error": {"type": "string", "nullable": True},
                    "pending": {"type": "string", "nullable": True},
                    "preference": {"$ref": "#/components/schemas/Preference"},
                    "experts": {"type": "array", "items": {"type": "object"}},
                    "objectives": {"type": "object", "properties": {
                        o: {"type": "number", "description": f"in {UNITS[o]}"} for o in OBJECTIVES}},
                    "timings_s": {"type": "object", "additionalProperties": {"type": "number"}},
                },
            },
        },
    },
    "paths": {
        "/health": {"get": {"summary": "Liveness and switch readiness", "responses": {"200": _ok("healthy")}}},
        "/openapi.json": {"get": {"summary": "This document", "responses": {"200": _ok("OpenAPI 3 spec")}}},
        "/metrics": {"get": {"summary": "Prometheus metrics: intents, steps, HTTP, push failures, rollbacks, switch "
                                        "and link up/down, entries per switch", **_READ,
                             "responses": {"200": {"description": "text exposition format",
                                                   "content": {"text/plain": {"schema": {"type": "string"}}}},
                                           **_READ_ERRORS}}},
        "/intents": {
            "get": {"summary": "List intents", **_READ, "parameters": [
                {"name": "state", "in": "query", "required": False, "schema": {"type": "string"}}],
                    "responses": {"200": _ok("intents"), **_READ_ERRORS}},
            "post": {"summary": "Submit an intent; it is queued and planned in order",
                     "security": [{"bearer": []}],
                     "requestBody": {"required": True, "content": {"application/json": {
                         "schema": {"$ref": "#/components/schemas/IntentRequest"}}}},
                     "responses": {"202": _ok("accepted", {"type": "object", "properties": {
                         "id": {"type": "string"}, "state": {"type": "string"},
                         "last_event_id": {"type": "integer", "description": "resume /events?intent=ID with "
                                           "Last-Event-ID set to this to see every step of the intent"}}}),
                                   **_WRITE_ERRORS}},
        },
        "/intents/{id}": {
            "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}],
            "get": {"summary": "One intent's lifecycle, preference, experts, objectives (with units) and timings",
                    **_READ, "responses": {"200": _ok("intent", {"$ref": "#/components/schemas/Intent"}),
                                           "404": _err("no such intent"), **_READ_ERRORS}},
            "delete": {"summary": "Withdraw an intent. The active one is replaced by the most recent earlier "
                                  "superseded intent's plan, or all tables are removed if there is none.",
                       "security": [{"bearer": []}],
                       "responses": {"202": _ok("withdrawing or withdrawn"), "401": _err("no token"),
                                     "403": _err("read-only token"), "404": _err("no such intent")}},
        },
        "/intents/{id}/confirm": {
            "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}],
            "post": {"summary": "Plan an intent waiting in needs_confirmation (no objective was recognised in its "
                                "text, e.g. a prompt injection); it is queued again and planned with the defaults",
                     "security": [{"bearer": []}],
                     "responses": {"202": _ok("queued"), "401": _err("no token"), "403": _err("read-only token"),
                                   "404": _err("no such intent"),
                                   "409": _err("the intent is not waiting for confirmation")}},
        },
        "/plan": {"get": {"summary": "The active plan, its version and entries per switch", **_READ,
                          "responses": {"200": _ok("plan"), **_READ_ERRORS}}},
        "/switches": {"get": {"summary": "Connection, primary status, pipeline cookie, entries, last error", **_READ,
                              "responses": {"200": _ok("switches"), **_READ_ERRORS}}},
        "/status": {"get": {"summary": "Queue, active intent and recent pushes", **_READ,
                            "responses": {"200": _ok("status"), **_READ_ERRORS}}},
        "/models": {
            "get": {"summary": "Registered tasks", **_READ, "responses": {"200": _ok("models"), **_READ_ERRORS}},
            "post": {"summary": "Register a task: a compiled task JSON, or a skops model (compiled by mlcompiler; "
                                "loaded with skops' trusted-type checks)",
                     "security": [{"bearer": []}],
                     "parameters": [{"name": "name", "in": "query", "required": False, "schema": {"type": "string"}}],
                     "requestBody": {"required": True, "content": {
                         "application/json": {"schema": {"type": "object"}},
                         "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}},
                     "responses": {"201": _ok("registered"), **_WRITE_ERRORS}},
        },
        "/events": {"get": {"summary": "Server-Sent Events: intent lifecycle, push phases, switch changes. Open until "
                                       "the client leaves (a ': keep-alive' comment when idle); every event has an "
                                       "id; a 'gap' event means events after the resume point were no longer kept",
                            **_READ,
                            "parameters": [{"name": "intent", "in": "query", "required": False,
                                            "schema": {"type": "string"}},
                                           {"name": "Last-Event-ID", "in": "header", "required": False,
                                            "description": "replay the kept events after this id first",
                                            "schema": {"type": "integer"}},
                                           {"name": "after", "in": "query", "required": False,
                                            "description": "same as Last-Event-ID, for clients that cannot set it",
                                            "schema": {"type": "integer"}}],
                            "responses": {"200": {"description": "event stream",
                                                  "content": {"text/event-stream": {"schema": {"type": "string"}}}},
                                          "400": _err("Last-Event-ID is not an event id"), **_READ_ERRORS}}},
    },
}
