"""Who is calling the API or the console, and what they may do.

A request is made by a ``Principal``: the holder of the API's bearer token (a machine client,
with the admin role and no extension), or a person signed in to the console (an agent,
supervisor or admin of the CRM, with their extension and team). ``principal(request)`` finds it
or raises 401 ``unauthenticated``; ``require_role`` also raises 403 ``forbidden`` for a role not
allowed. Handlers ask for what they need and never read headers themselves."""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from aiohttp import web

from crm_bridge.api_core import DEPS, ApiError
from crm_bridge.vocab import Role

PRINCIPAL = "ivracd.principal"  # request key the session middleware sets


@dataclass(frozen=True)
class Principal:
    role: Role
    extension: str | None = None  # None: the API token
    team: str | None = None
    name: str = ""

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
        raise ApiError("unauthenticated", "sign in or send a bearer token")
    return found


def require_role(request: web.Request, *roles: Role) -> Principal:
    """The principal, if its role is one of ``roles``; else 401 / 403 with a JSON reason."""
    found = principal(request)
    if found.role not in roles:
        allowed = ", ".join(role.value for role in roles)
        raise ApiError("forbidden", f"this needs the role {allowed}; you are {found.role.value}")
    return found
