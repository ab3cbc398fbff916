"""The OpenAPI document of /api/v1, kept beside the handlers; a test checks every route is in it."""

from __future__ import annotations

from typing import Any, Final

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
        "billsec": {"type": "integer"},
        "disposition": {"type": "string"},
        "hangup_cause": {"type": "integer"},
        "hangup_cause_text": {"type": "string"},
        "language": {"type": ["string", "null"], "enum": ["zh", "en", None]},
        "ivr_path": {"type": "string"},
        "agent_extension": {"type": ["string", "null"]},
    },
}


def _errors(*codes: int) -> dict[str, Any]:
    return {
        str(code): {
            "description": "error",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        }
        for code in codes
    }


OPENAPI: Final[dict[str, Any]] = {
    "openapi": "3.1.0",
    "info": {"title": "ivr-acd", "version": "1"},
    "servers": [{"url": "/api/v1"}],
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "schemas": {"Error": _ERROR, "Call": _CALL},
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
                "security": [{"bearer": []}],
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
                "security": [{"bearer": []}],
                "responses": {
                    "200": {"description": "linkedid, caller_number, did, started, channel"},
                    **_errors(401, 403),
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
