"""REST API under /api/v1 (aiohttp). Handlers parse, call one use case, serialise; errors carry
stable codes and map to HTTP statuses in one table (``ivr_acd.web.core``).

Who may do what (``ivr_acd.web.auth.principal``; a console session or the bearer token, which is
admin):
``/health`` and ``/openapi.json`` are open; ``/auth/login`` needs the credentials it checks;
everything else needs a principal (401 ``unauthenticated`` without one). Reading calls, live
calls, queues, callbacks and agents is for any principal, except that an agent's ``/calls``
lists only the calls they answered (``agent=`` another extension is 403). An agent's state and
state actions: ``Principal.may_act_for`` (the agent, their team's supervisors, admins; else
403 ``forbidden``). Creating, changing and deleting agents: admin only. A password: admins for
anyone, anyone for themselves with the current one (``ivr_acd.web.auth.routes``). The audit log
of administrative actions: admin only (``ivr_acd.web.audit``).

Bodies: at most ``web.max_body_bytes`` (413 ``body-too-large``), JSON nested at most 32 deep
(422 ``json-too-deep``), both checked before parsing (``ivr_acd.web.core.json_object``).
``X-Forwarded-Proto`` / ``-For`` count only from ``web.trusted_proxies``
(``ivr_acd.web.transport``)."""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web

from crm_bridge.calls.records import CallRecord
from crm_bridge.vocab import CallbackKind, CallbackStatus, Role
from ivr_acd.web.agents import acd_call, add_agent_routes
from ivr_acd.web.audit.routes import add_audit_routes
from ivr_acd.web.auth.principal import principal
from ivr_acd.web.auth.routes import add_auth_routes, session_middleware
from ivr_acd.web.campaigns.routes import add_campaign_routes
from ivr_acd.web.console.routes import add_console_api_routes
from ivr_acd.web.core import (
    API,
    DEPS,
    STATUS_BY_CODE,
    AgentControl,
    AgentDirectory,
    AgentsChanged,
    ApiDeps,
    ApiError,
    CallbackQuery,
    CallQuery,
    HealthCheck,
    KpiQuery,
    LiveCalls,
    LiveCallView,
    QueueStats,
    choice_param,
    error_middleware,
    int_param,
    time_param,
    unavailable,
)
from ivr_acd.web.i18n import I18N
from ivr_acd.web.kpis.routes import add_kpi_routes
from ivr_acd.web.openapi import OPENAPI
from ivr_acd.web.spy.routes import add_spy_routes
from ivr_acd.web.transport import forwarded_middleware

log = logging.getLogger(__name__)

__all__ = [
    "API",
    "DEPS",
    "STATUS_BY_CODE",
    "AgentControl",
    "AgentDirectory",
    "AgentsChanged",
    "ApiDeps",
    "ApiError",
    "CallQuery",
    "CallbackQuery",
    "HealthCheck",
    "KpiQuery",
    "LiveCallView",
    "LiveCalls",
    "QueueStats",
    "build_api",
]

CALLBACK_STATUSES = frozenset(status.value for status in CallbackStatus)
CALLBACK_KINDS = frozenset(kind.value for kind in CallbackKind)


def call_json(record: CallRecord) -> dict[str, Any]:
    return record.to_dict()


def _agent_filter(request: web.Request) -> str | None:
    """The ``agent`` whose calls to list; an agent's own extension, whatever they ask."""
    found = principal(request)
    agent = request.query.get("agent") or None
    if agent is not None and not agent.isdigit():
        raise ApiError("bad-request", "agent must be an extension (digits)")
    if found.role is not Role.AGENT:
        return agent
    if agent not in (None, found.extension):
        raise ApiError("forbidden", "an agent sees their own calls only")
    return found.extension


async def list_calls(request: web.Request) -> web.Response:
    agent = _agent_filter(request)
    caller = request.query.get("caller") or None
    if caller is not None and not caller.lstrip("+").isdigit():
        raise ApiError("bad-request", "caller must be a phone number (digits)")
    records = await request.app[DEPS].calls.list(
        since=time_param(request, "since"),
        until=time_param(request, "until"),
        caller=caller,
        limit=int_param(request, "limit", 100, 1000),
        offset=int_param(request, "offset", 0, 10_000_000),
        agent=agent,
    )
    return web.json_response({"calls": [call_json(r) for r in records]})


async def list_live_calls(request: web.Request) -> web.Response:
    principal(request)
    calls = await request.app[DEPS].live_calls()
    return web.json_response({"calls": [c.to_dict() for c in calls]})


async def list_callbacks(request: web.Request) -> web.Response:
    principal(request)
    callbacks = request.app[DEPS].callbacks
    if callbacks is None:
        raise unavailable("the callback list")
    stored = await callbacks.list(
        status=choice_param(request, "status", CALLBACK_STATUSES),
        kind=choice_param(request, "kind", CALLBACK_KINDS),
        since=time_param(request, "since"),
        limit=int_param(request, "limit", 100, 1000),
        offset=int_param(request, "offset", 0, 10_000_000),
    )
    return web.json_response({"callbacks": [c.to_dict() for c in stored]})


async def queue_stats(request: web.Request) -> web.Response:
    principal(request)
    stats = request.app[DEPS].queue_stats
    if stats is None:
        raise unavailable("the ACD")
    return web.json_response(dict(await acd_call(stats.snapshot())))


async def health(request: web.Request) -> web.Response:
    report = await request.app[DEPS].health()
    ok = all(part.get("ok") for part in report.values() if isinstance(part, dict))
    return web.json_response(
        {"status": "ok" if ok else "degraded", **report}, status=200 if ok else 503
    )


async def openapi(_request: web.Request) -> web.Response:
    return web.json_response(OPENAPI)


async def not_found(_request: web.Request) -> web.Response:
    raise ApiError("not-found", "no such resource")


def build_api(deps: ApiDeps) -> web.Application:
    app = web.Application(
        middlewares=[
            forwarded_middleware(deps.trusted_proxies),  # first: the client as the others see it
            error_middleware,
            session_middleware,
        ],
        client_max_size=deps.limits.max_bytes,
    )
    app[DEPS] = deps
    app[I18N] = deps.i18n  # CSV headers for people, the console's pages
    app.router.add_get(f"{API}/health", health)
    app.router.add_get(f"{API}/calls", list_calls)
    app.router.add_get(f"{API}/calls/live", list_live_calls)
    add_console_api_routes(app)  # /stream, /queues/stats, /calls/hourly, /agents/{ext}/ready
    add_agent_routes(app)
    add_auth_routes(app)
    app.router.add_get(f"{API}/callbacks", list_callbacks)
    app.router.add_get(f"{API}/queues", queue_stats)
    add_kpi_routes(app)
    add_spy_routes(app)  # /calls/{call_id}/spy, /spy, /spy/{spy_id}[/mode]
    add_campaign_routes(app)  # /campaigns..., /do-not-call
    add_audit_routes(app)  # /audit, and its daily purge
    app.router.add_get(f"{API}/openapi.json", openapi)
    app.router.add_route("*", f"{API}/{{tail:.*}}", not_found)
    return app
