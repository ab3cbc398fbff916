"""The OpenAPI part of /api/v1/kpis (``ivr_acd.web.kpis.routes``); ``ivr_acd.web.openapi`` merges
it."""

from __future__ import annotations

from typing import Any, Final

from ivr_acd.web.exports import LANG_PARAM

_EXTENSION = {"type": "string", "pattern": "^[0-9]{2,16}$"}
_SECONDS = {"type": "integer", "minimum": 0}
_BEARER: list[dict[str, list[str]]] = [{"bearer": []}]

AGENT_KPIS: Final[dict[str, Any]] = {
    "type": "object",
    "description": "one agent's figures for the day (definitions: crm_bridge.kpis.agents)",
    "properties": {
        "extension": _EXTENSION,
        "name": {"type": "string", "description": "empty for an extension no longer in the CRM"},
        "calls_handled": {"type": "integer", "description": "inbound calls the agent answered"},
        "outbound_calls": {"type": "integer", "description": "outbound calls (callbacks)"},
        "talk_seconds": {**_SECONDS, "description": "billsec of the calls handled"},
        "online_seconds": {**_SECONDS, "description": "time not logged out (state log)"},
        "wrapup_seconds": {**_SECONDS, "description": "time in wrap-up (state log)"},
        "missed_offers": {"type": "integer", "description": "ring-no-answer"},
        "complaint_rate": {
            "type": ["number", "null"],
            "description": "handled calls with a complaint / calls handled; null without calls",
        },
    },
}

_PARAMS = [
    {
        "name": "day",
        "in": "query",
        "description": "YYYY-MM-DD, a calendar day in the contact centre's zone; today if absent",
        "schema": {"type": "string", "format": "date"},
    },
    {"name": "extension", "in": "query", "schema": _EXTENSION},
]
_REPORT = {
    "type": "object",
    "properties": {
        "day": {"type": "string", "format": "date"},
        "agents": {"type": "array", "items": {"$ref": "#/components/schemas/AgentKpis"}},
    },
}
_CSV: dict[str, Any] = {"text/csv": {"schema": {"type": "string"}}}
_ERRORS = {
    str(code): {
        "description": "error",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }
    for code in (400, 401, 403, 422, 503)
}

KPI_PATHS: Final[dict[str, Any]] = {
    "/kpis/agents": {
        "get": {
            "summary": "Agent KPIs for one day: the caller's own row (agent), their team's "
            "(supervisor) or everyone's (admin, the API token)",
            "security": _BEARER,
            "parameters": [
                *_PARAMS,
                {"name": "format", "in": "query", "schema": {"enum": ["json", "csv"]}},
                LANG_PARAM,
            ],
            "responses": {
                "200": {
                    "description": "the figures; with format=csv a CSV attachment (header row: "
                    "day, then the AgentKpis fields)",
                    "content": {"application/json": {"schema": _REPORT}, **_CSV},
                },
                **_ERRORS,
            },
        }
    },
    "/kpis/agents.csv": {
        "get": {
            "summary": "Agent KPIs for one day as a CSV attachment",
            "security": _BEARER,
            "parameters": [*_PARAMS, LANG_PARAM],
            "responses": {"200": {"description": "CSV", "content": _CSV}, **_ERRORS},
        }
    },
}
