"""The web console in a controller: its pages (``/console`` the supervisors' wallboard,
``/console/campaigns`` their dunning campaigns, ``/console/agent`` the agent desktop,
``/console/login``), Jinja2 templates in ``ivr_acd/web/console/templates`` rendered once per
language at start-up with the catalogs of ``ivr_acd.web.i18n`` (each page carries its catalog
for its script), the scripts and styles in ``static`` (plain JavaScript; no build step), and the
ports behind ``/api/v1/stream`` and the console's other endpoints
(``ivr_acd.web.console.routes``; the campaigns page polls ``ivr_acd.web.campaigns.routes``).

A page asked for without a console session redirects to the log-in page, which comes back to
it; an agent asking for a supervisors' page (the wallboard, the campaigns) gets their desktop.
A page is in its user's language (``ivr_acd.web.i18n.Catalogs.negotiate``)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, Final
from urllib.parse import quote
from zoneinfo import ZoneInfo

import jinja2
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
from ivr_acd.web.i18n import I18N, LOCALES, Catalogs
from wire.ami import AmiClient

log = logging.getLogger(__name__)

STATIC_DIR: Final = Path(__file__).with_name("static")
TEMPLATES_DIR: Final = Path(__file__).with_name("templates")
PAGES: Final = ("login", "wallboard", "agent", "campaigns")
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


class ConsolePages:
    """Every page in every language, rendered once (a broken template fails at start-up)."""

    def __init__(self, catalogs: Catalogs, time_zone: str) -> None:
        env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
        )
        self.catalogs = catalogs
        self._html: dict[tuple[str, str], str] = {}
        for locale in LOCALES:
            catalog = catalogs[locale]
            for page in PAGES:
                self._html[page, locale] = env.get_template(f"{page}.html").render(
                    _=catalog.text,
                    lang=locale,
                    locales=LOCALES,
                    time_zone=time_zone,
                    catalog=catalog.for_script(),
                )

    def response(self, request: web.Request, page: str, who: Principal | None) -> web.Response:
        locale = self.catalogs.for_request(request, None if who is None else who.locale).locale
        return web.Response(
            text=self._html[page, locale],
            content_type="text/html",
            headers={**SECURITY_HEADERS, "Content-Language": locale, "Vary": "Cookie"},
        )


PAGES_KEY: Final = web.AppKey("ivracd_console_pages", ConsolePages)


def _page(name: str, *, signed_in: bool, wallboard: bool = False) -> Handler:
    async def handler(request: web.Request) -> web.StreamResponse:
        who: Principal | None = request.get(PRINCIPAL)
        if signed_in and who is None:
            raise web.HTTPFound(f"{LOGIN}?next={quote(request.path, safe='/')}")
        if wallboard and who is not None and who.role not in WALLBOARD_ROLES:
            raise web.HTTPFound("/console/agent")
        return request.app[PAGES_KEY].response(request, name, who)

    return handler


def add_console_pages(app: web.Application, time_zone: str = "Asia/Shanghai") -> None:
    """The console's pages and static files (outside /api/v1), in the languages of
    ``app[I18N]`` (set by ``build_api``); ``time_zone`` is the centre's, for dates and times."""
    app[PAGES_KEY] = ConsolePages(app[I18N], time_zone)
    app.router.add_get("/console", _page("wallboard", signed_in=True, wallboard=True))
    app.router.add_get("/console/campaigns", _page("campaigns", signed_in=True, wallboard=True))
    app.router.add_get("/console/agent", _page("agent", signed_in=True))
    app.router.add_get(LOGIN, _page("login", signed_in=False))
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
