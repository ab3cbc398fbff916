"""Who is calling the API or the console, and what they may do.

A request is made by a ``Principal``: the holder of the API's bearer token (a machine client,
with the admin role and no extension), or a person signed in to the console (an agent,
supervisor or admin of the CRM, with their extension and team). ``principal(request)`` finds it
or raises 401 ``unauthenticated``; ``require_role`` also raises 403 ``forbidden`` for a role not
allowed, ``require_act_for`` for an agent the principal may not act for. Handlers ask for what
they need and never read headers themselves; the console session is read by the session
middleware (``ivr_acd.web.auth.routes``), which sets ``request[PRINCIPAL]``."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Final

from aiohttp import web

from crm_bridge.errors import UnknownAgentError
from crm_bridge.vocab import Role
from ivr_acd.web.auth.sessions import WebSession
from ivr_acd.web.core import DEPS, ApiError, unavailable

# request keys the session middleware (ivr_acd.web.auth.routes) sets: the principal, the console
# session, or why the session could not be read (Redis down)
PRINCIPAL: Final[web.RequestKey[Principal]] = web.RequestKey("ivracd_principal")
SESSION: Final = web.RequestKey("ivracd_session", WebSession)
SESSION_ERROR: Final = web.RequestKey("ivracd_session_error", Exception)


@dataclass(frozen=True)
class Principal:
    role: Role
    extension: str | None = None  # None: the API token
    team: str | None = None
    name: str = ""
    locale: str | None = None  # the console's language (vocab.ConsoleLocale); None: default

    @property
    def is_token(self) -> bool:
        return self.extension is None

    def may_act_for(self, extension: str, team: str | None) -> bool:
        """An admin for anyone, a supervisor for their team, an agent for themselves."""
        if self.role is Role.ADMIN:
            return True
        if self.role is Role.SUPERVISOR:
            return (team is not None and team == self.team) or extension == self.extension
        return extension == self.extension


TOKEN_PRINCIPAL = Principal(Role.ADMIN, name="api-token")


def bearer_principal(request: web.Request) -> Principal | None:
    """The API token's principal when the request carries it; a wrong token is 403."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    if not hmac.compare_digest(token.encode(), request.app[DEPS].api_token.encode()):
        raise ApiError("forbidden", "this token is not allowed here")
    return TOKEN_PRINCIPAL


def principal(request: web.Request) -> Principal:
    """The request's principal (set by the auth middleware), else 401."""
    found: Principal | None = request.get(PRINCIPAL)
    if found is None:
        found = bearer_principal(request)
    if found is None:
        unreadable: Exception | None = request.get(SESSION_ERROR)
        if unreadable is not None:
            raise unreadable
        raise ApiError("unauthenticated", "sign in or send a bearer token")
    return found


def require_role(request: web.Request, *roles: Role) -> Principal:
    """The principal, if its role is one of ``roles``; else 401 / 403 with a JSON reason."""
    found = principal(request)
    if found.role not in roles:
        allowed = ", ".join(role.value for role in roles)
        raise ApiError("forbidden", f"this needs the role {allowed}; you are {found.role.value}")
    return found


async def require_act_for(request: web.Request, extension: str) -> Principal:
    """The principal, if it may act for the agent ``extension`` (``Principal.may_act_for``:
    an admin for anyone, a supervisor for their team, an agent for themselves); else 401 / 403.
    A supervisor's question about someone else needs the agent's team from the CRM: 404
    ``unknown-agent`` if there is no such agent, 503 without the agent directory."""
    found = principal(request)
    if found.may_act_for(extension, None):
        return found
    if found.role is Role.SUPERVISOR:
        agents = request.app[DEPS].agents
        if agents is None:
            raise unavailable("the agent directory")
        profile = await agents.by_extension(extension)
        if profile is None:
            raise UnknownAgentError(f"no agent {extension}")
        if found.may_act_for(extension, profile.team):
            return found
        raise ApiError("forbidden", f"agent {extension} is not in your team ({found.team})")
    raise ApiError("forbidden", f"you may act for yourself ({found.extension}) only")
