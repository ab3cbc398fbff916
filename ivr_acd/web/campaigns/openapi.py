"""The OpenAPI part of /api/v1/campaigns and /api/v1/do-not-call (``ivr_acd.web.campaigns.routes``);
``ivr_acd.web.openapi`` merges it."""

from __future__ import annotations

from typing import Any, Final

from ivr_acd.web.exports import LANG_PARAM

_BEARER: list[dict[str, list[str]]] = [{"bearer": []}]
_DISPOSITIONS = [
    "paid",
    "promised",
    "disputed",
    "wrong_number",
    "refused",
    "no_answer",
    "busy",
    "failed",
    "machine",
    "abandoned",
]
_DATE = {"type": "string", "format": "date"}
_TIME = {"type": "string", "format": "date-time"}
_TIME_OR_NULL = {"type": ["string", "null"], "format": "date-time"}
_RETRY_RULE = {
    "type": "object",
    "properties": {
        "delay_seconds": {"type": "number", "minimum": 0},
        "max_attempts": {"type": "integer", "minimum": 1},
    },
}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _errors(*codes: int) -> dict[str, Any]:
    return {
        str(code): {
            "description": "error",
            "content": {"application/json": {"schema": _ref("Error")}},
        }
        for code in codes
    }


def _json(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _listing(key: str, item: str) -> dict[str, Any]:
    return {"type": "object", "properties": {key: {"type": "array", "items": _ref(item)}}}


_NEW_CAMPAIGN: dict[str, Any] = {
    "type": "object",
    "required": ["name", "rule", "schedule"],
    "description": "a new campaign (a draft until started); every part but the dates has a "
    "default; an unknown field is refused",
    "properties": {
        "id": {
            "type": "string",
            "pattern": "^[A-Za-z0-9_.-]{1,64}$",
            "description": "derived from the name when absent",
        },
        "name": {"type": "string"},
        "mode": {"enum": ["agentless", "progressive"], "default": "progressive"},
        "rule": {
            "type": "object",
            "description": "policies overdue at least N days (customer's local date) with at "
            "least this amount due, of these products and regions (empty: any)",
            "properties": {
                "min_days_overdue": {"type": "integer", "minimum": 0, "default": 1},
                "min_amount": {"type": "string", "default": "0.01"},
                "products": {"type": "array", "items": {"type": "string"}},
                "regions": {"type": "array", "items": {"type": "string"}},
            },
        },
        "schedule": {
            "type": "object",
            "required": ["start_date", "end_date"],
            "description": "dates, weekdays (0 = Monday) and hours in each customer's own zone",
            "properties": {
                "start_date": _DATE,
                "end_date": _DATE,
                "weekdays": {"type": "array", "items": {"type": "integer", "minimum": 0}},
                "hours": {
                    "type": "object",
                    "properties": {
                        "start": {"type": "string", "example": "09:00"},
                        "end": {"type": "string", "example": "20:00"},
                    },
                },
                "holidays": {"type": "array", "items": _DATE},
            },
        },
        "caps": {
            "type": "object",
            "properties": {
                "max_channels": {"type": "integer", "minimum": 1, "default": 10},
                "max_calls_per_second": {"type": "number", "exclusiveMinimum": 0, "default": 2},
            },
        },
        "retry": {
            "type": "object",
            "description": "per outcome: the delay before a retry and the most attempts ending "
            "that way; and caps per policy (campaign) and per number (local day, any campaign)",
            "properties": {
                "busy": _RETRY_RULE,
                "no_answer": _RETRY_RULE,
                "failed": _RETRY_RULE,
                "machine": _RETRY_RULE,
                "abandoned": _RETRY_RULE,
                "max_attempts_per_policy": {"type": "integer", "minimum": 1},
                "max_attempts_per_number_per_day": {"type": "integer", "minimum": 1},
            },
        },
        "abandon": {
            "type": "object",
            "description": "progressive mode's abandon-rate control (acd.dunning.core.pacing): "
            "target 0.02, ceiling 0.03 by default",
        },
        "machine_message": {
            "type": ["string", "null"],
            "description": "left on an answering machine; null: hang up",
        },
    },
}
_PROGRESS = {
    "type": "object",
    "properties": {
        "attempted": {"type": "integer"},
        "in_progress": {"type": "integer"},
        "reached": {"type": "integer", "description": "a person answered"},
        "promised": {"type": "integer"},
        "promised_amount": {"type": "string"},
        "paid": {"type": "integer", "description": "transferred to pay"},
        "abandoned": {"type": "integer"},
        "abandon_rate": {"type": "number", "description": "abandoned / reached"},
        "by_disposition": {"type": "object"},
        "policies_dialled": {"type": "integer"},
        "skipped_decisions": {"type": "integer"},
    },
}
_CAMPAIGN = {
    "allOf": [
        _NEW_CAMPAIGN,
        {
            "type": "object",
            "properties": {
                "state": {"enum": ["draft", "running", "paused", "stopped", "completed"]},
                "created_by": {"type": "string"},
                "created_at": _TIME,
                "updated_at": _TIME,
                "progress": _PROGRESS,
            },
        },
    ]
}
_PARAMS: dict[str, Any] = {
    "type": "object",
    "additionalProperties": {"type": "string"},
    "description": "the facts the reason names (ISO dates and instants, local HH:MM), so a "
    "console can say it in its reader's language; ``kind`` names the cause of a check with "
    "several",
}
_ATTEMPT = {
    "type": "object",
    "properties": {
        "attempt_id": {"type": "string", "description": "campaign:policy:seq, unique"},
        "campaign_id": {"type": "string"},
        "policy_id": {"type": "integer"},
        "customer_id": {"type": "integer"},
        "seq": {"type": "integer"},
        "number": {"type": "string"},
        "linkedid": {"type": "string"},
        "started_at": _TIME,
        "answered_at": _TIME_OR_NULL,
        "ended_at": _TIME_OR_NULL,
        "disposition": {"enum": [*_DISPOSITIONS, None]},
        "promise_date": {"type": ["string", "null"], "format": "date"},
        "promise_amount": {"type": ["string", "null"]},
        "amd_status": {"type": ["string", "null"]},
        "agent": {"type": ["string", "null"]},
        "reason": {"type": "string", "description": "in English, for the log"},
        "reason_code": {
            "type": "string",
            "description": "the reason as a stable code (acd.dunning.core.attempts.Why); "
            "empty for attempts in progress and rows from before it",
        },
        "reason_params": _PARAMS,
    },
}
_DECISION = {
    "type": "object",
    "properties": {
        "policy_id": {"type": "integer"},
        "number": {"type": "string"},
        "attempt_id": {"type": ["string", "null"]},
        "dial": {"type": "boolean"},
        "check": {"type": "string", "description": "the check that decided (compliance.Check)"},
        "final": {"type": "boolean", "description": "never in this campaign"},
        "reason": {"type": "string", "example": "skipped: paid 2026-11-20"},
        "params": {
            **_PARAMS,
            "example": {"zone": "Asia/Shanghai", "date": "2026-11-20"},
        },
        "not_before": _TIME_OR_NULL,
        "at": _TIME,
    },
}
_PAGING = [
    {"name": "limit", "in": "query", "schema": {"type": "integer", "maximum": 1000}},
    {"name": "offset", "in": "query", "schema": {"type": "integer"}},
]
_ID = {"name": "campaign_id", "in": "path", "required": True, "schema": {"type": "string"}}

CAMPAIGN_SCHEMAS: Final[dict[str, Any]] = {
    "NewCampaign": _NEW_CAMPAIGN,
    "Campaign": _CAMPAIGN,
    "CampaignAttempt": _ATTEMPT,
    "DialDecision": _DECISION,
}

CAMPAIGN_PATHS: Final[dict[str, Any]] = {
    "/campaigns": {
        "post": {
            "summary": "Create a dunning campaign (a draft); supervisor or admin",
            "security": _BEARER,
            "requestBody": {"content": {"application/json": {"schema": _ref("NewCampaign")}}},
            "responses": {
                "201": _json("created", _ref("Campaign")),
                **_errors(400, 401, 403, 409, 422, 503),
            },
        },
        "get": {
            "summary": "Every campaign with its progress",
            "security": _BEARER,
            "parameters": [{"name": "state", "in": "query", "schema": {"type": "string"}}],
            "responses": {
                "200": _json("campaigns", _listing("campaigns", "Campaign")),
                **_errors(400, 401, 403, 503),
            },
        },
    },
    "/campaigns/{campaign_id}": {
        "get": {
            "summary": "A campaign and its progress (attempted, reached, promised amount, paid, "
            "abandon rate)",
            "security": _BEARER,
            "parameters": [_ID],
            "responses": {
                "200": _json("the campaign", _ref("Campaign")),
                **_errors(401, 403, 404, 503),
            },
        }
    },
    "/campaigns/{campaign_id}/{action}": {
        "post": {
            "summary": "start (draft), pause (running), resume (paused) or stop (for good)",
            "security": _BEARER,
            "parameters": [
                _ID,
                {
                    "name": "action",
                    "in": "path",
                    "required": True,
                    "schema": {"enum": ["start", "pause", "resume", "stop"]},
                },
            ],
            "responses": {
                "200": _json("the campaign in its new state", _ref("Campaign")),
                **_errors(401, 403, 404, 409, 503),
            },
        }
    },
    "/campaigns/{campaign_id}/attempts": {
        "get": {
            "summary": "The campaign's attempts, in the order they were made",
            "security": _BEARER,
            "parameters": [_ID, *_PAGING],
            "responses": {
                "200": _json("attempts", _listing("attempts", "CampaignAttempt")),
                **_errors(400, 401, 403, 404),
            },
        }
    },
    "/campaigns/{campaign_id}/decisions": {
        "get": {
            "summary": "Every decision to dial or not, with its reason, newest first",
            "security": _BEARER,
            "parameters": [
                _ID,
                *_PAGING,
                {"name": "policy_id", "in": "query", "schema": {"type": "integer"}},
            ],
            "responses": {
                "200": _json("decisions", _listing("decisions", "DialDecision")),
                **_errors(400, 401, 403, 404),
            },
        }
    },
    "/campaigns/{campaign_id}/results.csv": {
        "get": {
            "summary": "The attempts as a CSV attachment (with the policy number)",
            "security": _BEARER,
            "parameters": [_ID, LANG_PARAM],
            "responses": {
                "200": {
                    "description": "CSV",
                    "content": {"text/csv": {"schema": {"type": "string"}}},
                },
                **_errors(401, 403, 404, 422),
            },
        }
    },
    "/campaigns/{campaign_id}/attempts/{attempt_id}/disposition": {
        "post": {
            "summary": "Record a connected call's disposition: the agent who took it, a "
            "supervisor or an admin; once",
            "security": _BEARER,
            "parameters": [
                _ID,
                {
                    "name": "attempt_id",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string"},
                },
            ],
            "requestBody": {
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["disposition"],
                            "properties": {
                                "disposition": {"enum": _DISPOSITIONS},
                                "promise_date": _DATE,
                                "promise_amount": {"type": "string"},
                                "reason": {"type": "string"},
                            },
                        }
                    }
                }
            },
            "responses": {
                "200": _json("the attempt", _ref("CampaignAttempt")),
                **_errors(400, 401, 403, 404, 409, 422),
            },
        }
    },
    "/do-not-call": {
        "get": {
            "summary": "Numbers no campaign ever calls",
            "security": _BEARER,
            "responses": {
                "200": {"description": "numbers with reason and date"},
                **_errors(401, 403),
            },
        },
        "post": {
            "summary": "Add a number ({number, reason}); 201, or 200 when listed already",
            "security": _BEARER,
            "responses": {"201": {"description": "listed"}, **_errors(400, 401, 403, 422)},
        },
    },
    "/do-not-call/{number}": {
        "delete": {
            "summary": "Take a number off the list",
            "security": _BEARER,
            "parameters": [
                {"name": "number", "in": "path", "required": True, "schema": {"type": "string"}}
            ],
            "responses": {"204": {"description": "removed"}, **_errors(401, 403, 404)},
        }
    },
}
