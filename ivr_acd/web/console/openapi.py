"""The OpenAPI part of the console's endpoints (``ivr_acd.web.console.routes``); merged by
``ivr_acd.web.openapi``."""

from __future__ import annotations

from typing import Any, Final

_SIGNED_IN: list[dict[str, list[str]]] = [{"bearer": []}, {"session": []}]
_ERROR_REF = {"$ref": "#/components/schemas/Error"}


def _errors(*codes: int) -> dict[str, Any]:
    return {
        str(code): {
            "description": "error",
            "content": {"application/json": {"schema": _ERROR_REF}},
        }
        for code in codes
    }


_QUEUE = {
    "type": "object",
    "properties": {
        "queue": {"type": "string"},
        "offered": {"type": "integer"},
        "answered": {"type": "integer"},
        "abandoned": {"type": "integer"},
        "asa_seconds": {"type": "number", "description": "average speed of answer"},
        "service_level": {"type": "number", "description": "answered within 20 s, share"},
        "abandon_rate": {"type": "number"},
        "waiting": {"type": "integer", "description": "callers in line now"},
        "longest_wait_seconds": {"type": "number"},
        "vip_waiting": {"type": "integer"},
        "agents": {
            "type": "object",
            "description": "agents with the queue's skill, by state (logged-out not counted)",
            "additionalProperties": {"type": "integer"},
        },
    },
}

QUEUE_STATS: Final[dict[str, Any]] = {
    "type": "object",
    "properties": {
        "at": {"type": "string", "format": "date-time"},
        "queues": {"type": "array", "items": _QUEUE},
        "waiting": {
            "type": "array",
            "description": "calls in line, oldest first (call, caller, name, queue, vip, "
            "waiting_seconds, enqueued_at, ringing: the agent offered it now)",
            "items": {"type": "object"},
        },
        "agents": {
            "type": "array",
            "description": "extension, name, team, state, reason, call, caller, since, "
            "seconds_in_state",
            "items": {"type": "object"},
        },
    },
}

_STATS_GET = {
    "summary": "Live queue figures: per queue today (offered, answered, abandoned, ASA, service "
    "level, abandon rate), the line (waiting, longest wait) and agents by state; the calls "
    "waiting; the agents' states",
    "security": _SIGNED_IN,
    "responses": {
        "200": {
            "description": "queue statistics",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Queues"}}},
        },
        **_errors(401, 403, 503),
    },
}

CONSOLE_SCHEMAS: Final[dict[str, Any]] = {"Queues": QUEUE_STATS}

CONSOLE_PATHS: Final[dict[str, Any]] = {
    "/stream": {
        "get": {
            "summary": "Live board (websocket): hello, snapshot, then agent / queue / offer / "
            "snapshot events, and screen-pop on the desktop of the agent a call is offered to",
            "description": "A supervisor or admin sees every queue, call and agent; an agent "
            "the queue figures, their own state and their screen-pops (identity numbers "
            "masked). A session cookie must come with an Origin of this host.",
            "security": _SIGNED_IN,
            "parameters": [
                {
                    "name": "agent",
                    "in": "query",
                    "description": "the desktop of this extension (whoever may act for them)",
                    "schema": {"type": "string", "pattern": "^[0-9]{2,16}$"},
                }
            ],
            "responses": {
                "101": {"description": "switching to the websocket"},
                **_errors(400, 401, 403, 503),
            },
        }
    },
    "/queues/stats": {"get": _STATS_GET},
    "/calls/hourly": {
        "get": {
            "summary": "A day's calls per local hour (inbound, outbound, answered, abandoned)",
            "security": _SIGNED_IN,
            "parameters": [
                {
                    "name": "day",
                    "in": "query",
                    "description": "YYYY-MM-DD in the contact centre's time zone; default today",
                    "schema": {"type": "string", "format": "date"},
                }
            ],
            "responses": {
                "200": {
                    "description": "{day, time_zone, total, now_hour (today only), hours: "
                    "[{hour, inbound, outbound, answered, abandoned}] x 24}"
                },
                **_errors(400, 401, 403, 503),
            },
        }
    },
    "/agents/{extension}/ready": {
        "post": {
            "summary": "End the agent's wrap-up now: ready for the next call",
            "security": _SIGNED_IN,
            "parameters": [
                {
                    "name": "extension",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string", "pattern": "^[0-9]{2,16}$"},
                }
            ],
            "responses": {
                "200": {
                    "description": "the agent's live state after the action",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/AgentState"}}
                    },
                },
                **_errors(401, 403, 404, 409, 503),
            },
        }
    },
}
