"""What the web console reads and does beyond the rest of /api/v1:

- ``GET /stream`` (websocket): the live board. First ``hello`` (who is watching, the pause
  reasons), then a ``snapshot`` (queues, waiting calls, agents, live calls), then events as they
  happen: ``agent`` (a new state), ``queue`` (a call joins, returns to or leaves the line),
  ``offer`` (a call rings an agent), ``snapshot`` again whenever more than the clock changed,
  and ``screen-pop`` on the desktop of the agent a call is offered to. A supervisor or admin
  sees everything; an agent sees the queue figures, their own state and their screen-pops
  (``ivr_acd.web.console.view``). ``?agent=EXT``: the desktop of another agent, for whoever
  may act for them. A browser signed in by the cookie must open it from this host (``Origin``).
- ``GET /queues/stats``: the same figures as ``/queues``.
- ``GET /calls/hourly?day=YYYY-MM-DD``: the day's calls per local hour (default today).
- ``POST /agents/{extension}/ready``: end wrap-up now.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import date
from typing import Any, Final, Protocol
from urllib.parse import urlsplit

from aiohttp import WSCloseCode, web

from crm_bridge.errors import UnknownAgentError
from ivr_acd.web.agents import acd_call
from ivr_acd.web.auth.principal import SESSION, Principal, principal, require_act_for
from ivr_acd.web.console.view import Viewer
from ivr_acd.web.core import API, DEPS, ApiError, unavailable

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS: Final = 20.0
_EXTENSION: Final = re.compile(r"[0-9]{2,16}")


class EventStream(Protocol):
    async def next(self) -> Mapping[str, Any] | None:
        """The next event for this viewer; None when the stream ends (a console too slow to
        keep up is dropped, and reconnects for a fresh snapshot)."""


class ConsoleFeed(Protocol):
    """The live board of this controller (``ivr_acd.web.console.hub.ConsoleHub``)."""

    def subscribe(self, viewer: Viewer) -> AbstractAsyncContextManager[EventStream]: ...


class HourlyVolume(Protocol):
    """Calls per local hour (``crm_bridge.calls.call_volume.CallVolume``)."""

    def today(self) -> date: ...
    async def hourly(self, day: date) -> Mapping[str, Any]: ...


EndWrapUp = Callable[[str], Awaitable[object]]


@dataclass(frozen=True)
class ConsolePorts:
    feed: ConsoleFeed | None = None
    volume: HourlyVolume | None = None
    end_wrapup: EndWrapUp | None = None


CONSOLE: web.AppKey[ConsolePorts] = web.AppKey("console_ports", ConsolePorts)
OPEN_STREAMS: web.AppKey[set[web.WebSocketResponse]] = web.AppKey("console_streams", set)


def _ports(request: web.Request) -> ConsolePorts:
    return request.app.get(CONSOLE) or ConsolePorts()


# ---- the stream ----------------------------------------------------------------------------


def _same_origin(request: web.Request) -> None:
    """A browser signed in by the cookie opens the stream from a page of this host only."""
    origin = request.headers.get("Origin")
    if request.get(SESSION) is None or origin is None:
        return
    parts = urlsplit(origin)
    if parts.scheme not in ("http", "https") or parts.netloc.lower() != request.host.lower():
        raise ApiError("csrf", "the stream is opened from this console's own pages only")


async def _viewer(request: web.Request, who: Principal) -> Viewer:
    extension = request.query.get("agent") or ""
    if extension and not _EXTENSION.fullmatch(extension):
        raise ApiError("bad-request", "agent must be an extension (2 to 16 digits)")
    if extension and extension != who.extension:
        await require_act_for(request, extension)
    return Viewer(who.role, who.name, extension or who.extension or "")


async def stream(request: web.Request) -> web.StreamResponse:
    who = principal(request)
    _same_origin(request)
    feed = _ports(request).feed
    if feed is None:
        raise unavailable("the live stream")
    viewer = await _viewer(request, who)
    ws = web.WebSocketResponse(heartbeat=HEARTBEAT_SECONDS)
    await ws.prepare(request)
    open_streams = request.app[OPEN_STREAMS]
    open_streams.add(ws)
    log.info("console stream opened: %s %s", viewer.role.value, viewer.extension or who.name)
    try:
        await _serve(ws, feed, viewer)
    except Exception:  # the socket is open: no JSON answer any more, close it instead
        log.exception("console stream failed")
        await ws.close(code=WSCloseCode.INTERNAL_ERROR, message=b"stream failed; reconnect")
    finally:
        open_streams.discard(ws)
        log.info("console stream closed: %s %s", viewer.role.value, viewer.extension or who.name)
    return ws


async def _serve(ws: web.WebSocketResponse, feed: ConsoleFeed, viewer: Viewer) -> None:
    async with feed.subscribe(viewer) as events:
        sender = asyncio.create_task(_send(ws, events), name="console-stream-send")
        try:
            async for _message in ws:  # the console sends nothing; this sees it close
                pass
        finally:
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sender


async def _send(ws: web.WebSocketResponse, events: EventStream) -> None:
    try:
        while (event := await events.next()) is not None:
            await ws.send_json(dict(event))
        await ws.close(code=WSCloseCode.TRY_AGAIN_LATER, message=b"too slow; reconnect")
    except ConnectionError:
        pass  # the console went away; the reader loop ends with it


async def _close_streams(app: web.Application) -> None:
    """At shutdown: consoles are told the controller is going (they reconnect to another)."""
    streams = app[OPEN_STREAMS]
    for ws in list(streams):
        await ws.close(code=WSCloseCode.GOING_AWAY, message=b"controller stopping")


# ---- figures -------------------------------------------------------------------------------


async def queue_stats(request: web.Request) -> web.Response:
    principal(request)
    stats = request.app[DEPS].queue_stats
    if stats is None:
        raise unavailable("the ACD")
    return web.json_response(dict(await acd_call(stats.snapshot())))


def _day(request: web.Request, volume: HourlyVolume) -> date:
    raw = request.query.get("day")
    if not raw:
        return volume.today()
    try:
        return date.fromisoformat(raw)
    except ValueError as exc:
        raise ApiError("bad-request", "day must be a date, YYYY-MM-DD") from exc


async def hourly(request: web.Request) -> web.Response:
    principal(request)
    volume = _ports(request).volume
    if volume is None:
        raise unavailable("the call volume")
    return web.json_response(dict(await volume.hourly(_day(request, volume))))


# ---- agent actions -------------------------------------------------------------------------


async def ready(request: web.Request) -> web.Response:
    """End the agent's wrap-up now; answers with the agent's state, as the other actions."""
    principal(request)
    extension = request.match_info["extension"]
    if not _EXTENSION.fullmatch(extension):
        raise UnknownAgentError(f"no agent {extension!r} (extensions are 2 to 16 digits)")
    await require_act_for(request, extension)
    end_wrapup, control = _ports(request).end_wrapup, request.app[DEPS].agent_control
    if end_wrapup is None or control is None:
        raise unavailable("the ACD")
    await acd_call(end_wrapup(extension))
    return web.json_response(dict(await acd_call(control.state(extension))))


def add_console_api_routes(app: web.Application) -> None:
    """Before the API's catch-all route; the ports come later, as ``app[CONSOLE]``."""
    streams: set[web.WebSocketResponse] = set()
    app[OPEN_STREAMS] = streams
    app.on_shutdown.append(_close_streams)
    app.router.add_get(f"{API}/stream", stream)
    app.router.add_get(f"{API}/queues/stats", queue_stats)
    app.router.add_get(f"{API}/calls/hourly", hourly)
    app.router.add_post(f"{API}/agents/{{extension}}/ready", ready)
