"""REST API under /api/v1 (aiohttp). Handlers parse, call one use case, serialise; errors carry
stable codes and map to HTTP statuses in one table."""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from aiohttp import web

from crm_bridge.openapi import OPENAPI
from crm_bridge.records import CallRecord

log = logging.getLogger(__name__)

API = "/api/v1"

STATUS_BY_CODE: dict[str, int] = {
    "unauthenticated": 401,
    "forbidden": 403,
    "bad-request": 400,
    "not-found": 404,
    "database-unavailable": 503,
}


class ApiError(Exception):
    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


class CallQuery(Protocol):
    async def list(
        self,
        since: datetime | None,
        until: datetime | None,
        caller: str | None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[CallRecord]: ...


HealthCheck = Callable[[], Awaitable[dict[str, Any]]]


class LiveCallView(Protocol):
    def to_dict(self) -> dict[str, str]: ...


LiveCalls = Callable[[], Awaitable[Sequence[LiveCallView]]]


@dataclass(frozen=True)
class ApiDeps:
    calls: CallQuery
    live_calls: LiveCalls
    health: HealthCheck
    api_token: str


DEPS: web.AppKey[ApiDeps] = web.AppKey("api_deps", ApiDeps)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ApiError as exc:
        status = STATUS_BY_CODE.get(exc.code, 400)
        return web.json_response({"error": exc.code, "reason": exc.reason}, status=status)
    except web.HTTPException as exc:
        if exc.status >= 400:
            return web.json_response(
                {"error": "http-error", "reason": exc.reason}, status=exc.status
            )
        raise


def _require_token(request: web.Request) -> None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise ApiError("unauthenticated", "a bearer token is required")
    if not hmac.compare_digest(token.encode(), request.app[DEPS].api_token.encode()):
        raise ApiError("forbidden", "this token is not allowed here")


def _time_param(request: web.Request, name: str) -> datetime | None:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return None
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ApiError("bad-request", f"{name} must be an ISO 8601 time") from exc
    if value.tzinfo is None:
        raise ApiError("bad-request", f"{name} must carry a time zone (e.g. Z)")
    return value


def _int_param(request: web.Request, name: str, default: int, high: int) -> int:
    raw = request.query.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or not 0 <= int(raw) <= high:
        raise ApiError("bad-request", f"{name} must be an integer from 0 to {high}")
    return int(raw)


def call_json(record: CallRecord) -> dict[str, Any]:
    return record.to_dict()


async def list_calls(request: web.Request) -> web.Response:
    _require_token(request)
    caller = request.query.get("caller") or None
    if caller is not None and not caller.lstrip("+").isdigit():
        raise ApiError("bad-request", "caller must be a phone number (digits)")
    records = await request.app[DEPS].calls.list(
        since=_time_param(request, "since"),
        until=_time_param(request, "until"),
        caller=caller,
        limit=_int_param(request, "limit", 100, 1000),
        offset=_int_param(request, "offset", 0, 10_000_000),
    )
    return web.json_response({"calls": [call_json(r) for r in records]})


async def list_live_calls(request: web.Request) -> web.Response:
    _require_token(request)
    calls = await request.app[DEPS].live_calls()
    return web.json_response({"calls": [c.to_dict() for c in calls]})


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
    app.router.add_get(f"{API}/openapi.json", openapi)
    app.router.add_route("*", f"{API}/{{tail:.*}}", not_found)
    return app
