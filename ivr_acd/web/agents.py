"""/api/v1/agents: the CRM's agents (create, read, update, delete) and their live state in the
ACD (login, logout, pause, unpause, state). Handlers parse, call one port, serialise.

Roles (``ivr_acd.web.auth.principal``): any principal reads agents; only an admin creates, changes
or
deletes one (a change of password, role or team, and a deletion, end the agent's console
sessions); an agent's state and state actions need ``Principal.may_act_for`` (the agent
themself, a supervisor of their team, an admin)."""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable
from typing import Any, Final, TypeVar

from aiohttp import web

from crm_bridge.agent_repository import AgentProfile
from crm_bridge.agent_specs import agent_changes, new_agent
from crm_bridge.audit.entry import AuditAction
from crm_bridge.errors import InvalidAgentError, UnknownAgentError
from crm_bridge.vocab import Role
from ivr_acd.web.audit.record import audited
from ivr_acd.web.auth.principal import principal, require_act_for, require_role
from ivr_acd.web.auth.routes import end_sessions
from ivr_acd.web.core import (
    API,
    DEPS,
    AgentControl,
    AgentDirectory,
    ApiError,
    json_object,
    unavailable,
)

log = logging.getLogger(__name__)

_T = TypeVar("_T")
_EXTENSION: Final = re.compile(r"[0-9]{2,16}")
MAX_REASON_LENGTH: Final = 32
ACD_REFUSAL_STATUS: Final = 409


def _directory(request: web.Request, *roles: Role) -> AgentDirectory:
    """The agent directory, for any principal or for one of ``roles`` (401 / 403 first)."""
    if roles:
        require_role(request, *roles)
    else:
        principal(request)
    agents = request.app[DEPS].agents
    if agents is None:
        raise unavailable("the agent directory")
    return agents


def _control(request: web.Request) -> AgentControl:
    control = request.app[DEPS].agent_control
    if control is None:
        raise unavailable("the ACD")
    return control


async def _acting(request: web.Request) -> tuple[AgentControl, str]:
    """The ACD and the extension, if the principal may act for that agent (401 / 403 first)."""
    principal(request)
    extension = _extension(request)
    await require_act_for(request, extension)
    return _control(request), extension


def _extension(request: web.Request) -> str:
    extension = request.match_info["extension"]
    if not _EXTENSION.fullmatch(extension):
        raise UnknownAgentError(f"no agent {extension!r} (extensions are 2 to 16 digits)")
    return extension


async def acd_call(action: Awaitable[_T]) -> _T:
    """Await an ACD port; an exception with a string ``code`` becomes an :class:`ApiError`
    (the one place the ACD's refusals are translated)."""
    try:
        return await action
    except Exception as exc:
        code = getattr(exc, "code", None)
        if isinstance(code, str) and code:
            raise ApiError(code, str(exc) or code, ACD_REFUSAL_STATUS) from exc
        raise


async def _changed(request: web.Request, extension: str) -> None:
    try:
        await request.app[DEPS].on_agents_changed(extension)
    except Exception:
        log.exception("agent=%s changed, but the on_agents_changed hook failed", extension)


def _agent_json(profile: AgentProfile) -> dict[str, Any]:
    return {"agent": profile.to_dict()}


async def list_agents(request: web.Request) -> web.Response:
    profiles = await _directory(request).list_profiles()
    return web.json_response({"agents": [p.to_dict() for p in profiles]})


async def create_agent(request: web.Request) -> web.Response:
    agents = _directory(request, Role.ADMIN)
    body = await json_object(request)
    profile = await agents.create(new_agent(body))
    log.info("agent=%s created (%s, team %s)", profile.extension, profile.role, profile.team)
    await audited(request, AuditAction.AGENT_CREATED, profile.extension, body)
    await _changed(request, profile.extension)
    location = f"{API}/agents/{profile.extension}"
    return web.json_response(_agent_json(profile), status=201, headers={"Location": location})


async def get_agent(request: web.Request) -> web.Response:
    agents = _directory(request)
    extension = _extension(request)
    profile = await agents.by_extension(extension)
    if profile is None:
        raise UnknownAgentError(f"no agent {extension}")
    return web.json_response(_agent_json(profile))


async def update_agent(request: web.Request) -> web.Response:
    agents = _directory(request, Role.ADMIN)
    extension = _extension(request)
    body = await json_object(request)
    changes = agent_changes(body)
    if changes.is_empty():
        raise InvalidAgentError("nothing to change")
    profile = await agents.update(extension, changes)
    log.info("agent=%s updated", extension)
    await audited(request, AuditAction.AGENT_CHANGED, extension, body)
    if changes.password is not None or changes.role is not None or changes.team is not None:
        await end_sessions(request, extension)
    await _changed(request, extension)
    return web.json_response(_agent_json(profile))


async def delete_agent(request: web.Request) -> web.Response:
    agents = _directory(request, Role.ADMIN)
    extension = _extension(request)
    await agents.delete(extension)
    log.info("agent=%s deleted", extension)
    await audited(request, AuditAction.AGENT_DELETED, extension)
    await end_sessions(request, extension)
    await _changed(request, extension)
    return web.Response(status=204)


async def _state(control: AgentControl, extension: str) -> web.Response:
    return web.json_response(dict(await acd_call(control.state(extension))))


async def agent_state(request: web.Request) -> web.Response:
    return await _state(*await _acting(request))


async def login(request: web.Request) -> web.Response:
    control, extension = await _acting(request)
    await acd_call(control.login(extension))
    return await _state(control, extension)


async def logout(request: web.Request) -> web.Response:
    control, extension = await _acting(request)
    await acd_call(control.logout(extension))
    return await _state(control, extension)


async def pause(request: web.Request) -> web.Response:
    control, extension = await _acting(request)
    reason = (await json_object(request)).get("reason")
    if not isinstance(reason, str) or not 0 < len(reason) <= MAX_REASON_LENGTH:
        raise ApiError("bad-request", f"reason must be text of 1 to {MAX_REASON_LENGTH} chars")
    await acd_call(control.pause(extension, reason))
    return await _state(control, extension)


async def unpause(request: web.Request) -> web.Response:
    control, extension = await _acting(request)
    await acd_call(control.unpause(extension))
    return await _state(control, extension)


def add_agent_routes(app: web.Application) -> None:
    agent = f"{API}/agents/{{extension}}"
    app.router.add_get(f"{API}/agents", list_agents)
    app.router.add_post(f"{API}/agents", create_agent)
    app.router.add_get(agent, get_agent)
    app.router.add_patch(agent, update_agent)
    app.router.add_delete(agent, delete_agent)
    app.router.add_get(f"{agent}/state", agent_state)
    app.router.add_post(f"{agent}/login", login)
    app.router.add_post(f"{agent}/logout", logout)
    app.router.add_post(f"{agent}/pause", pause)
    app.router.add_post(f"{agent}/unpause", unpause)
