"""The OpenAPI part of supervision (``ivr_acd.web.spy.routes``); ``ivr_acd.web.openapi`` merges
it."""

from __future__ import annotations

from typing import Any, Final

from ivr_acd.web.auth.openapi import SIGNED_IN

_EXTENSION = {"type": "string", "pattern": "^[0-9]{2,16}$"}
_TIME = {"type": "string", "format": "date-time"}
_TIME_OR_NULL = {"type": ["string", "null"], "format": "date-time"}
_MODES = ["listen", "whisper", "barge"]
_MODE = {
    "type": "string",
    "enum": _MODES,
    "description": "listen: nobody hears the supervisor; whisper: only the agent does; "
    "barge: the agent and the customer do",
}

SPY_SESSION: Final[dict[str, Any]] = {
    "type": "object",
    "required": ["spy_id", "call_id", "agent", "supervisor", "mode", "started_at"],
    "properties": {
        "spy_id": {"type": "integer"},
        "call_id": {"type": "string", "description": "the call's linkedid (/calls/live)"},
        "agent": _EXTENSION,
        "supervisor": {**_EXTENSION, "description": "whose phone was rung"},
        "mode": {**_MODE, "description": "the current mode"},
        "started_at": _TIME,
        "start_mode": {"type": "string", "enum": _MODES},
        "customer_number": {"type": ["string", "null"]},
        "origin": {"type": "string", "enum": ["api", "feature-code"]},
        "requested_by": {"type": "string", "description": "the principal that asked"},
        "answered_at": {**_TIME_OR_NULL, "description": "the supervisor's phone answered"},
        "ended_at": _TIME_OR_NULL,
        "leg_call_id": {
            "type": ["string", "null"],
            "description": "the supervisor leg's own call record (/calls, kind supervision)",
        },
        "end_reason": {
            "type": ["string", "null"],
            "enum": [
                "call-ended",
                "supervisor-hung-up",
                "ended-by-api",
                "not-answered",
                "lost",
                None,
            ],
        },
        "changes": {
            "type": "array",
            "description": "every switch of mode after the start",
            "items": {
                "type": "object",
                "properties": {
                    "mode": {"type": "string", "enum": _MODES},
                    "at": _TIME,
                    "by": {"type": "string", "enum": ["api", "dtmf"]},
                },
            },
        },
    },
}
SPY_SCHEMAS: Final[dict[str, Any]] = {"SpySession": SPY_SESSION}

_SESSION_REF = {"$ref": "#/components/schemas/SpySession"}
_START = {
    "type": "object",
    "required": ["mode"],
    "properties": {
        "mode": _MODE,
        "supervisor": {
            **_EXTENSION,
            "description": "whose phone rings; by default the signed-in supervisor's own. "
            "Required with the API token (no phone of its own); only admins may name another",
        },
    },
}
_MODE_BODY = {"type": "object", "required": ["mode"], "properties": {"mode": _MODE}}
_SPY_ID = {"name": "spy_id", "in": "path", "required": True, "schema": {"type": "integer"}}


def _json(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict[str, Any]:
    return {str(code): _json("error", {"$ref": "#/components/schemas/Error"}) for code in codes}


SPY_PATHS: Final[dict[str, Any]] = {
    "/calls/{call_id}/spy": {
        "post": {
            "summary": "Listen to, whisper to or barge into a live call: the supervisor's "
            "phone rings and, once answered, joins the call's agent in the mode asked "
            "(keys 4 listen, 5 whisper, 6 barge switch it). Supervisors of the agent's team "
            "and admins only",
            "security": SIGNED_IN,
            "parameters": [
                {
                    "name": "call_id",
                    "in": "path",
                    "required": True,
                    "description": "a linkedid from /calls/live",
                    "schema": {"type": "string"},
                }
            ],
            "requestBody": _body(_START),
            "responses": {
                "201": _json("the session (audited), ringing", _SESSION_REF),
                **_errors(400, 401, 403, 404, 409, 422, 503),
            },
        }
    },
    "/spy/{spy_id}/mode": {
        "post": {
            "summary": "Switch the session's mode (audited, by: api)",
            "security": SIGNED_IN,
            "parameters": [_SPY_ID],
            "requestBody": _body(_MODE_BODY),
            "responses": {
                "200": _json("the session", _SESSION_REF),
                **_errors(400, 401, 403, 404, 409, 422, 503),
            },
        }
    },
    "/spy/{spy_id}": {
        "delete": {
            "summary": "End the session: the supervisor's leg hangs up (an ended one is "
            "returned as it is)",
            "security": SIGNED_IN,
            "parameters": [_SPY_ID],
            "responses": {
                "200": _json("the ended session", _SESSION_REF),
                **_errors(401, 403, 404, 503),
            },
        }
    },
    "/spy": {
        "get": {
            "summary": "The supervision audit trail, newest first: an admin's all of it, a "
            "supervisor's own sessions",
            "security": SIGNED_IN,
            "parameters": [
                {
                    "name": "since",
                    "in": "query",
                    "description": "started at or after",
                    "schema": _TIME,
                },
                {"name": "limit", "in": "query", "schema": {"type": "integer", "maximum": 1000}},
            ],
            "responses": {
                "200": _json(
                    "the sessions",
                    {
                        "type": "object",
                        "properties": {"sessions": {"type": "array", "items": _SESSION_REF}},
                    },
                ),
                **_errors(400, 401, 403, 503),
            },
        }
    },
}
