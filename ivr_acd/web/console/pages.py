"""The web console in a controller: its pages (``/console`` the supervisors' wallboard,
``/console/campaigns`` their dunning campaigns, ``/console/agent`` the agent desktop,
``/console/login``) served from the package folder ``ivr_acd/web/console/static`` (plain HTML,
CSS and JavaScript; no build step), and the ports behind ``/api/v1/stream`` and the console's
other endpoints (``ivr_acd.web.console.routes``; the campaigns page polls
``ivr_acd.web.campaigns.routes``).

A page asked for without a console session redirects to the log-in page, which comes back to
it; an agent asking for a supervisors' page (the wallboard, the campaigns) gets their desktop."""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, Final
from urllib.parse import quote
from zoneinfo import ZoneInfo

import redis.asyncio as aioredis
from aiohttp import web

from acd.runtime import AcdRuntime
from crm_bridge.calls.call_volume import CallVolume
from crm_bridge.calls.live import LiveCallStore
from crm_bridge.customer_cache import CustomerLookup
from crm_bridge.db import Database
from crm_bridge.screen_pop import CustomerPolicies
from ivr.handoff_store import HandoffStore
from ivr_acd.settings import Settings
from ivr_acd.web.auth.principal import PRINCIPAL, Principal
from ivr_acd.web.console.hub import ConsoleHub
from ivr_acd.web.console.routes import ConsolePorts
from ivr_acd.web.console.sources import AcdBoard, ScreenPops, ami_ivr_path
from ivr_acd.web.console.view import WALLBOARD_ROLES
from ivr_acd.web.core import Handler
from wire.ami import AmiClient

log = logging.getLogger(__name__)

STATIC_DIR: Final = Path(__file__).with_name("static")
LOGIN: Final = "/console/login"
SECURITY_HEADERS: Final = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}

Spawn = Callable[[Coroutine[Any, Any, None], str], None]


def _page(name: str, *, signed_in: bool, wallboard: bool = False) -> Handler:
    async def handler(request: web.Request) -> web.StreamResponse:
        who: Principal | None = request.get(PRINCIPAL)
        if signed_in and who is None:
            raise web.HTTPFound(f"{LOGIN}?next={quote(request.path, safe='/')}")
        if wallboard and who is not None and who.role not in WALLBOARD_ROLES:
            raise web.HTTPFound("/console/agent")
        return web.FileResponse(STATIC_DIR / name, headers=SECURITY_HEADERS)

    return handler


def add_console_pages(app: web.Application) -> None:
    """The console's pages and static files (outside /api/v1)."""
    app.router.add_get("/console", _page("wallboard.html", signed_in=True, wallboard=True))
    app.router.add_get(
        "/console/campaigns", _page("campaigns.html", signed_in=True, wallboard=True)
    )
    app.router.add_get("/console/agent", _page("agent.html", signed_in=True))
    app.router.add_get(LOGIN, _page("login.html", signed_in=False))
    app.router.add_static("/console/static", STATIC_DIR)


def console_ports(
    settings: Settings,
    *,
    acd: AcdRuntime,
    live: LiveCallStore,
    redis: aioredis.Redis,
    database: Database,
    customers: CustomerLookup,
    ami: AmiClient,
    spawn: Spawn,
) -> ConsolePorts:
    """The live stream's hub (its two tasks started with ``spawn``), the hourly volume and
    the end of wrap-up, for ``app[ivr_acd.web.console.routes.CONSOLE]``."""
    prefix = settings.paths.redis_prefix
    pops = ScreenPops(
        acd,
        live,
        HandoffStore(redis, prefix),
        customers,
        CustomerPolicies(database.sessions),
        ami_ivr_path(ami),
    )
    hub = ConsoleHub(AcdBoard(acd, live), pops, acd.changes)
    spawn(hub.follow_changes(), "console-changes")
    spawn(hub.refresh_forever(), "console-snapshots")
    return ConsolePorts(
        feed=hub,
        volume=CallVolume(database.sessions, ZoneInfo(settings.ivr.time_zone)),
        end_wrapup=acd.ready,
    )
