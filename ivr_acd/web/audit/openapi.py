"""The OpenAPI part of /api/v1/audit (``ivr_acd.web.audit.routes``); ``ivr_acd.web.openapi``
merges it."""

from __future__ import annotations

from typing import Any, Final

from crm_bridge.audit.entry import AuditAction
from ivr_acd.web.auth.openapi import SIGNED_IN

_ACTIONS = [action.value for action in AuditAction]
_TEXT = {"type": "string", "maxLength": 100}
_TIME = {"type": "string", "format": "date-time"}

AUDIT_SCHEMAS: Final[dict[str, Any]] = {
    "AuditEntry": {
        "type": "object",
        "required": ["id", "at", "actor", "actor_role", "client_address", "action", "target"],
        "properties": {
            "id": {"type": "integer"},
            "at": _TIME,
            "actor": {"type": "string", "description": "extension, or api-token"},
            "actor_role": {"type": "string", "enum": ["agent", "supervisor", "admin"]},
            "client_address": {"type": "string"},
            "action": {"type": "string", "enum": _ACTIONS},
            "target": {"type": "string", "description": "extension, campaign id or number"},
            "changes": {
                "type": "object",
                "description": "the values set; a password or other secret only as (set)",
            },
        },
    }
}

_ERRORS = {
    str(code): {
        "description": "error",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }
    for code in (400, 401, 403, 503)
}

AUDIT_PATHS: Final[dict[str, Any]] = {
    "/audit": {
        "get": {
            "summary": "The audit log of administrative actions, newest first (admins only)",
            "description": "Agents created / changed / deleted, passwords set, campaigns "
            "created / started / paused / resumed / stopped, do-not-call changes; kept at "
            "least 183 days. Spy sessions have their own trail (/spy).",
            "security": SIGNED_IN,
            "parameters": [
                {"name": "since", "in": "query", "schema": _TIME},
                {"name": "until", "in": "query", "schema": _TIME},
                {"name": "actor", "in": "query", "schema": _TEXT},
                {"name": "action", "in": "query", "schema": {"type": "string", "enum": _ACTIONS}},
                {"name": "target", "in": "query", "schema": _TEXT},
                {
                    "name": "limit",
                    "in": "query",
                    "schema": {"type": "integer", "minimum": 0, "maximum": 1000},
                },
                {
                    "name": "offset",
                    "in": "query",
                    "schema": {"type": "integer", "minimum": 0, "maximum": 10_000_000},
                },
            ],
            "responses": {
                "200": {
                    "description": "the entries",
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["entries"],
                                "properties": {
                                    "entries": {
                                        "type": "array",
                                        "items": {"$ref": "#/components/schemas/AuditEntry"},
                                    }
                                },
                            }
                        }
                    },
                },
                **_ERRORS,
            },
        }
    }
}
