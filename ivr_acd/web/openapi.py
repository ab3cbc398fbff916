"""The OpenAPI document of /api/v1, kept beside the handlers; a test checks every route is in it."""

from __future__ import annotations

from typing import Any, Final

from ivr_acd.web.audit.openapi import AUDIT_PATHS, AUDIT_SCHEMAS
from ivr_acd.web.auth.openapi import AUTH_PATHS, AUTH_SCHEMAS, SECURITY_SCHEMES, SIGNED_IN
from ivr_acd.web.campaigns.openapi import CAMPAIGN_PATHS, CAMPAIGN_SCHEMAS
from ivr_acd.web.console.openapi import CONSOLE_PATHS, CONSOLE_SCHEMAS
from ivr_acd.web.kpis.openapi import AGENT_KPIS, KPI_PATHS
from ivr_acd.web.spy.openapi import SPY_PATHS, SPY_SCHEMAS

_ERROR = {
    "type": "object",
    "required": ["error", "reason"],
    "properties": {"error": {"type": "string"}, "reason": {"type": "string"}},
}

_CALL = {
    "type": "object",
    "properties": {
        "linkedid": {"type": "string", "description": "Asterisk linkedid; idempotency key"},
        "direction": {"type": "string", "enum": ["inbound", "outbound"]},
        "caller_number": {"type": "string"},
        "did": {"type": "string"},
        "start_time": {"type": "string", "format": "date-time"},
        "answer_time": {"type": ["string", "null"], "format": "date-time"},
        "end_time": {"type": "string", "format": "date-time"},
        "duration": {"type": "integer"},
        "billsec": {
            "type": "integer",
            "description": "the caller's leg from its answer: IVR, queue and agent time",
        },
        "disposition": {"type": "string"},
        "hangup_cause": {"type": "integer"},
        "hangup_cause_text": {"type": "string"},
        "language": {"type": ["string", "null"], "enum": ["zh", "en", None]},
        "ivr_path": {"type": "string"},
        "agent_extension": {"type": ["string", "null"]},
        "queue": {"type": ["string", "null"], "description": "queue the call waited in"},
        "wait_seconds": {"type": ["integer", "null"], "description": "time in queue"},
        "vip": {"type": "boolean"},
        "escalation_step": {
            "type": ["string", "null"],
            "description": "routing step that chose the agent",
        },
        "blacklisted": {"type": "boolean"},
        "abandoned": {"type": "boolean", "description": "hung up while queued"},
        "agent_answer_time": {
            "type": ["string", "null"],
            "format": "date-time",
            "description": "when the agent answered (their own leg)",
        },
        "agent_end_time": {
            "type": ["string", "null"],
            "format": "date-time",
            "description": "when the agent's leg ended",
        },
        "talk_seconds": {
            "type": "integer",
            "description": "the agent's talk time, from the agent's answer",
        },
        "kind": {
            "type": "string",
            "enum": ["customer", "supervision", "internal"],
            "description": "a customer's call, a supervisor's spy leg, a staff phone's own call",
        },
    },
}

_SKILLS = {
    "type": "object",
    "description": "skill name -> level, 1 (novice) to 5 (expert)",
    "propertyNames": {"pattern": "^[a-z][a-z0-9_-]{0,49}$"},
    "additionalProperties": {"type": "integer", "minimum": 1, "maximum": 5},
}
_AGENT_FIELDS: dict[str, Any] = {
    "name": {"type": "string", "minLength": 1, "maxLength": 100},
    "languages": {
        "type": "array",
        "minItems": 1,
        "items": {"type": "string", "enum": ["zh", "en"]},
    },
    "team": {"type": "string", "minLength": 1, "maxLength": 50},
    "role": {"type": "string", "enum": ["agent", "supervisor", "admin"]},
    "wrapup_seconds": {
        "type": ["integer", "null"],
        "minimum": 0,
        "maximum": 3600,
        "description": "after-call work; null = the ACD's default",
    },
    "skills": _SKILLS,
}
_EXTENSION = {"type": "string", "pattern": "^[0-9]{2,16}$"}
_PASSWORD = {"type": "string", "minLength": 8, "maxLength": 128, "writeOnly": True}

_AGENT = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "extension": _EXTENSION,
        **_AGENT_FIELDS,
        "locale": {
            "type": ["string", "null"],
            "enum": ["zh-CN", "en", None],
            "readOnly": True,
            "description": "the console language the agent chose (PUT /auth/me/locale); "
            "null: the install's default",
        },
    },
}
_NEW_AGENT = {
    "type": "object",
    "required": ["extension", "name", "password", "languages", "team"],
    "additionalProperties": False,
    "properties": {"extension": _EXTENSION, "password": _PASSWORD, **_AGENT_FIELDS},
}
_AGENT_CHANGES = {
    "type": "object",
    "minProperties": 1,
    "additionalProperties": False,
    "description": "only the fields to change; skills, when given, replace the whole set",
    "properties": {"password": _PASSWORD, **_AGENT_FIELDS},
}
_AGENT_STATE = {
    "type": "object",
    "description": "the ACD's live view of the agent (state, reason, since, call...)",
    "additionalProperties": True,
}
_CALLBACK_STATUSES = ["pending", "dialling", "done", "failed", "cancelled"]
_CALLBACK_KINDS = ["requested", "abandoned"]
_CALLBACK = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "caller_number": {"type": "string"},
        "call_linkedid": {"type": "string"},
        "kind": {"type": "string", "enum": _CALLBACK_KINDS},
        "queue": {"type": "string"},
        "skills": {"type": "array", "items": {"type": "string"}},
        "language": {"type": ["string", "null"], "enum": ["zh", "en", None]},
        "vip": {"type": "boolean"},
        "enqueued_at": {
            "type": "string",
            "format": "date-time",
            "description": "when the caller first queued: their place in line",
        },
        "requested_at": {"type": "string", "format": "date-time"},
        "status": {"type": "string", "enum": _CALLBACK_STATUSES},
        "attempts": {"type": "integer"},
        "agent_extension": {"type": ["string", "null"]},
        "done_at": {"type": ["string", "null"], "format": "date-time"},
    },
}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _listing(key: str, item: str) -> dict[str, Any]:
    return {"type": "object", "properties": {key: {"type": "array", "items": _ref(item)}}}


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict[str, Any]:
    return {
        str(code): {
            "description": "error",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        }
        for code in codes
    }


_EXTENSION_PARAM = {"name": "extension", "in": "path", "required": True, "schema": _EXTENSION}
_AGENT_RESPONSE = _json("the agent", {"type": "object", "properties": {"agent": _ref("Agent")}})
_STATE_RESPONSE = _json("the agent's live state after the action", _ref("AgentState"))
_BEARER: list[dict[str, list[str]]] = SIGNED_IN  # the bearer token or a console session


def _agent_action(summary: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "summary": summary,
        "security": _BEARER,
        "parameters": [_EXTENSION_PARAM],
        "responses": {"200": _STATE_RESPONSE, **_errors(400, 401, 403, 404, 409, 422, 503)},
    }
    if body is not None:
        operation["requestBody"] = _body(body)
    return {"post": operation}


_PAUSE = {
    "type": "object",
    "required": ["reason"],
    "properties": {
        "reason": {
            "type": "string",
            "minLength": 1,
            "maxLength": 32,
            "description": "break, lunch, training, meeting, back-office",
        }
    },
}

_AGENT_PATHS: dict[str, Any] = {
    "/agents": {
        "get": {
            "summary": "Agents, supervisors and admins with skills, languages and team",
            "security": _BEARER,
            "responses": {
                "200": _json("the agents", _listing("agents", "Agent")),
                **_errors(401, 403, 503),
            },
        },
        "post": {
            "summary": "Create an agent (a SIP secret is generated; re-provisions PJSIP)",
            "security": _BEARER,
            "requestBody": _body(_ref("NewAgent")),
            "responses": {
                "201": _AGENT_RESPONSE,
                **_errors(400, 401, 403, 409, 422, 503),
            },
        },
    },
    "/agents/{extension}": {
        "parameters": [_EXTENSION_PARAM],
        "get": {
            "summary": "One agent",
            "security": _BEARER,
            "responses": {"200": _AGENT_RESPONSE, **_errors(401, 403, 404, 503)},
        },
        "patch": {
            "summary": "Change an agent (skills, languages, team, role, wrap-up, password)",
            "security": _BEARER,
            "requestBody": _body(_ref("AgentChanges")),
            "responses": {"200": _AGENT_RESPONSE, **_errors(400, 401, 403, 404, 422, 503)},
        },
        "delete": {
            "summary": "Delete an agent (history and CDRs keep the extension)",
            "security": _BEARER,
            "responses": {"204": {"description": "deleted"}, **_errors(401, 403, 404, 503)},
        },
    },
    "/agents/{extension}/state": {
        "get": {
            "summary": "The agent's live state in the ACD",
            "security": _BEARER,
            "parameters": [_EXTENSION_PARAM],
            "responses": {
                "200": _json("the live state", _ref("AgentState")),
                **_errors(401, 403, 404, 503),
            },
        }
    },
    "/agents/{extension}/login": _agent_action("Log the agent in: ready for calls"),
    "/agents/{extension}/logout": _agent_action("Log the agent out"),
    "/agents/{extension}/pause": _agent_action("Pause the agent with a reason", _PAUSE),
    "/agents/{extension}/unpause": _agent_action("End the agent's pause: ready again"),
}

OPENAPI: Final[dict[str, Any]] = {
    "openapi": "3.1.0",
    "info": {"title": "ivr-acd", "version": "1"},
    "servers": [{"url": "/api/v1"}],
    "components": {
        "securitySchemes": SECURITY_SCHEMES,
        "schemas": {
            "Error": _ERROR,
            "Call": _CALL,
            "Agent": _AGENT,
            "NewAgent": _NEW_AGENT,
            "AgentChanges": _AGENT_CHANGES,
            "AgentState": _AGENT_STATE,
            "Callback": _CALLBACK,
            "AgentKpis": AGENT_KPIS,
            **CONSOLE_SCHEMAS,
            **AUTH_SCHEMAS,
            **SPY_SCHEMAS,
            **CAMPAIGN_SCHEMAS,
            **AUDIT_SCHEMAS,
        },
    },
    "paths": {
        "/health": {
            "get": {
                "summary": "Health of AMI, the database and Redis",
                "security": [],
                "responses": {
                    "200": {"description": "every part is reachable"},
                    "503": {"description": "a part is down; the body says which"},
                },
            }
        },
        "/calls": {
            "get": {
                "summary": "Call detail records, newest first",
                "security": _BEARER,
                "parameters": [
                    {
                        "name": "since",
                        "in": "query",
                        "schema": {"type": "string", "format": "date-time"},
                    },
                    {
                        "name": "until",
                        "in": "query",
                        "schema": {"type": "string", "format": "date-time"},
                    },
                    {"name": "caller", "in": "query", "schema": {"type": "string"}},
                    {
                        "name": "agent",
                        "in": "query",
                        "description": "only calls this extension answered (an agent: always "
                        "their own)",
                        "schema": {"type": "string"},
                    },
                    {
                        "name": "limit",
                        "in": "query",
                        "schema": {"type": "integer", "maximum": 1000},
                    },
                    {"name": "offset", "in": "query", "schema": {"type": "integer"}},
                ],
                "responses": {
                    "200": {
                        "description": "the calls",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "calls": {
                                            "type": "array",
                                            "items": {"$ref": "#/components/schemas/Call"},
                                        }
                                    },
                                }
                            }
                        },
                    },
                    **_errors(400, 401, 403),
                },
            }
        },
        "/calls/live": {
            "get": {
                "summary": "Calls in progress (from Redis), oldest first",
                "security": _BEARER,
                "responses": {
                    "200": {"description": "linkedid, caller_number, did, started, channel"},
                    **_errors(401, 403),
                },
            }
        },
        **_AGENT_PATHS,
        **KPI_PATHS,
        **CONSOLE_PATHS,
        **SPY_PATHS,
        **AUTH_PATHS,
        **CAMPAIGN_PATHS,
        **AUDIT_PATHS,
        "/callbacks": {
            "get": {
                "summary": "Callbacks owed to callers, in line order (original queue time)",
                "security": _BEARER,
                "parameters": [
                    {"name": "status", "in": "query", "schema": {"enum": _CALLBACK_STATUSES}},
                    {"name": "kind", "in": "query", "schema": {"enum": _CALLBACK_KINDS}},
                    {
                        "name": "since",
                        "in": "query",
                        "description": "requested at or after",
                        "schema": {"type": "string", "format": "date-time"},
                    },
                    {
                        "name": "limit",
                        "in": "query",
                        "schema": {"type": "integer", "maximum": 1000},
                    },
                    {"name": "offset", "in": "query", "schema": {"type": "integer"}},
                ],
                "responses": {
                    "200": _json("the callbacks", _listing("callbacks", "Callback")),
                    **_errors(400, 401, 403, 503),
                },
            }
        },
        "/queues": {
            "get": {
                "summary": "Live queue figures from the ACD (waiting, longest wait, agents...)",
                "security": _BEARER,
                "responses": {
                    "200": _json("queue statistics", {"type": "object"}),
                    **_errors(401, 403, 503),
                },
            }
        },
        "/openapi.json": {
            "get": {
                "summary": "This document",
                "security": [],
                "responses": {"200": {"description": "OpenAPI 3.1"}},
            }
        },
    },
}
