"""/api/v1/audit: the audit log of administrative actions, newest first, for admins only (the
bearer token is admin; anyone else 403 ``forbidden``). Filters: ``since`` / ``until`` (ISO 8601
with a zone), ``actor``, ``action``, ``target``; paging: ``limit`` (≤ 1000), ``offset``.

The log is purged of entries older than its retention (``web.audit_retention_days``, at least
183) once when the app starts and then daily."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Final

from aiohttp import web

from crm_bridge.audit.entry import AuditAction
from crm_bridge.audit.repository import AuditQuery
from crm_bridge.vocab import Role
from ivr_acd.web.auth.principal import require_role
from ivr_acd.web.core import (
    API,
    DEPS,
    ApiError,
    AuditLog,
    choice_param,
    int_param,
    time_param,
)

log = logging.getLogger(__name__)

ACTIONS: Final = frozenset(action.value for action in AuditAction)
PURGE_INTERVAL_SECONDS: Final = 24 * 3600
MAX_TEXT: Final = 100


def _audit(request: web.Request) -> AuditLog:
    audit = request.app[DEPS].audit
    if audit is None:
        raise ApiError("audit-unavailable", "the audit log is not kept by this process", 503)
    return audit


def _text(request: web.Request, name: str) -> str | None:
    value = request.query.get(name) or None
    if value is not None and len(value) > MAX_TEXT:
        raise ApiError("bad-request", f"{name} may have at most {MAX_TEXT} characters")
    return value


async def list_audit(request: web.Request) -> web.Response:
    require_role(request, Role.ADMIN)
    query = AuditQuery(
        since=time_param(request, "since"),
        until=time_param(request, "until"),
        actor=_text(request, "actor"),
        action=choice_param(request, "action", ACTIONS),
        target=_text(request, "target"),
        limit=int_param(request, "limit", 100, 1000),
        offset=int_param(request, "offset", 0, 10_000_000),
    )
    entries = await _audit(request).list(query)
    return web.json_response({"entries": [entry.to_dict() for entry in entries]})


async def _purge_daily(audit: AuditLog) -> None:
    while True:
        try:
            purged = await audit.purge_expired()
        except Exception:
            log.exception("audit: purging expired entries failed; trying again tomorrow")
        else:
            if purged:
                log.info("audit: %d entries past their retention purged", purged)
        await asyncio.sleep(PURGE_INTERVAL_SECONDS)


async def audit_purge(app: web.Application) -> AsyncIterator[None]:
    """The app's cleanup context: the daily purge runs while the app does."""
    audit = app[DEPS].audit
    if audit is None:
        yield
        return
    task = asyncio.create_task(_purge_daily(audit), name="audit-purge")
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


def add_audit_routes(app: web.Application) -> None:
    app.router.add_get(f"{API}/audit", list_audit)
    app.cleanup_ctx.append(audit_purge)
