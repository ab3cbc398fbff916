"""REST API under /api/v1 (aiohttp). Handlers parse, call one use case, serialise; errors carry
stable codes and map to HTTP statuses in one table (``crm_bridge.api_core``)."""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web

from crm_bridge.api_agents import acd_call, add_agent_routes
from crm_bridge.api_core import (
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
    LiveCalls,
    LiveCallView,
    QueueStats,
    choice_param,
    error_middleware,
    int_param,
    require_token,
    time_param,
    unavailable,
)
from crm_bridge.openapi import OPENAPI
from crm_bridge.records import CallRecord
from crm_bridge.vocab import CallbackKind, CallbackStatus

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
    "LiveCallView",
    "LiveCalls",
    "QueueStats",
    "build_api",
]

CALLBACK_STATUSES = frozenset(status.value for status in CallbackStatus)
CALLBACK_KINDS = frozenset(kind.value for kind in CallbackKind)


def call_json(record: CallRecord) -> dict[str, Any]:
    return record.to_dict()


async def list_calls(request: web.Request) -> web.Response:
    require_token(request)
    caller = request.query.get("caller") or None
    if caller is not None and not caller.lstrip("+").isdigit():
        raise ApiError("bad-request", "caller must be a phone number (digits)")
    records = await request.app[DEPS].calls.list(
        since=time_param(request, "since"),
        until=time_param(request, "until"),
        caller=caller,
        limit=int_param(request, "limit", 100, 1000),
        offset=int_param(request, "offset", 0, 10_000_000),
    )
    return web.json_response({"calls": [call_json(r) for r in records]})


async def list_live_calls(request: web.Request) -> web.Response:
    require_token(request)
    calls = await request.app[DEPS].live_calls()
    return web.json_response({"calls": [c.to_dict() for c in calls]})


async def list_callbacks(request: web.Request) -> web.Response:
    require_token(request)
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
    require_token(request)
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
    app = web.Application(middlewares=[error_middleware])
    app[DEPS] = deps
    app.router.add_get(f"{API}/health", health)
    app.router.add_get(f"{API}/calls", list_calls)
    app.router.add_get(f"{API}/calls/live", list_live_calls)
    add_agent_routes(app)
    app.router.add_get(f"{API}/callbacks", list_callbacks)
    app.router.add_get(f"{API}/queues", queue_stats)
    app.router.add_get(f"{API}/openapi.json", openapi)
    app.router.add_route("*", f"{API}/{{tail:.*}}", not_found)
    return app
