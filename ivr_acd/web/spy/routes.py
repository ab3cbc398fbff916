"""/api/v1 supervision: a supervisor listens to, whispers to or barges into a live call
(``POST /calls/{call_id}/spy``), switches mode (``POST /spy/{spy_id}/mode``), ends it
(``DELETE /spy/{spy_id}``); ``GET /spy`` reads the audit trail. Supervisors and admins only
(``ivr_acd.web.auth.principal.require_role``); whose calls they may join is the port's rule."""

from __future__ import annotations

import re
from typing import Any, Final

from aiohttp import web

from acd.supervision.port import SpyControl
from acd.supervision.rules import Requester
from crm_bridge.vocab import Role, SpyMode
from ivr_acd.web.agents import acd_call
from ivr_acd.web.auth.principal import Principal, require_role
from ivr_acd.web.core import API, DEPS, ApiError, int_param, json_object, time_param, unavailable

_EXTENSION: Final = re.compile(r"[0-9]{2,16}")
_CALL_ID: Final = re.compile(r"[0-9A-Za-z._-]{1,64}")
MODES: Final = frozenset(mode.value for mode in SpyMode)


def requester_of(found: Principal) -> Requester:
    return Requester(
        role=found.role.value,
        extension=found.extension,
        team=found.team,
        name=found.extension or found.name or found.role.value,  # audited as requested_by
    )


def _spy(request: web.Request) -> tuple[SpyControl, Requester]:
    found = require_role(request, Role.SUPERVISOR, Role.ADMIN)
    control = request.app[DEPS].supervision
    if control is None:
        raise unavailable("supervision")
    return control, requester_of(found)


def _mode(body: dict[str, Any]) -> str:
    mode = body.get("mode")
    if not isinstance(mode, str) or mode not in MODES:
        raise ApiError("invalid-spy-mode", f"mode must be one of {', '.join(sorted(MODES))}")
    return mode


def _supervisor(body: dict[str, Any]) -> str | None:
    supervisor = body.get("supervisor")
    if supervisor is None:
        return None
    if not isinstance(supervisor, str) or not _EXTENSION.fullmatch(supervisor):
        raise ApiError("invalid-supervisor", "supervisor must be an extension (2 to 16 digits)")
    return supervisor


def _spy_id(request: web.Request) -> int:
    raw = request.match_info["spy_id"]
    if not raw.isdigit() or len(raw) > 12:
        raise ApiError("spy-not-found", f"no spy session {raw!r}")
    return int(raw)


async def start_spy(request: web.Request) -> web.Response:
    control, requester = _spy(request)
    call_id = request.match_info["call_id"]
    if not _CALL_ID.fullmatch(call_id):
        raise ApiError("call-not-found", f"no live call {call_id!r}")
    body = await json_object(request)
    mode, supervisor = _mode(body), _supervisor(body)
    stored = await acd_call(control.start(call_id, mode, supervisor, requester))
    location = f"{API}/spy/{stored.id}"
    return web.json_response(stored.to_dict(), status=201, headers={"Location": location})


async def change_spy_mode(request: web.Request) -> web.Response:
    control, requester = _spy(request)
    spy_id = _spy_id(request)
    mode = _mode(await json_object(request))
    stored = await acd_call(control.change_mode(spy_id, mode, requester))
    return web.json_response(stored.to_dict())


async def end_spy(request: web.Request) -> web.Response:
    control, requester = _spy(request)
    stored = await acd_call(control.end(_spy_id(request), requester))
    return web.json_response(stored.to_dict())


async def list_spy_sessions(request: web.Request) -> web.Response:
    control, requester = _spy(request)
    sessions = await acd_call(
        control.audit(
            requester,
            since=time_param(request, "since"),
            limit=int_param(request, "limit", 100, 1000),
        )
    )
    return web.json_response({"sessions": [s.to_dict() for s in sessions]})


def add_spy_routes(app: web.Application) -> None:
    app.router.add_post(f"{API}/calls/{{call_id}}/spy", start_spy)
    app.router.add_post(f"{API}/spy/{{spy_id}}/mode", change_spy_mode)
    app.router.add_delete(f"{API}/spy/{{spy_id}}", end_spy)
    app.router.add_get(f"{API}/spy", list_spy_sessions)
