"""/api/v1/auth: signing in to the console with the CRM's extension and password, the session
middleware that recognises the session cookie, setting a console password and the console's
language.

- ``POST /auth/login`` ``{extension, password}`` → 200 ``{extension, name, role, team,
  csrf_token, locale}`` and the cookie ``ivracd_session`` (HttpOnly, SameSite=Strict, Path=/,
  Secure over HTTPS). A wrong password and an unknown extension get the same 401
  ``bad-credentials``; after ``attempts`` failures (5) for one extension from one client
  address, or from one client address over all extensions, within the window (5 minutes) every
  try from there is 429 ``too-many-attempts`` with ``Retry-After``; a request from another
  site (``Origin`` not this host, ``Sec-Fetch-Site: cross-site``) is 403 ``csrf``.
- ``POST /auth/logout`` → 204: the session ends and the cookie is cleared (204 without one too).
- ``GET /auth/me`` → 200, as the log-in answers (the bearer token: role admin, extension,
  team, csrf_token and locale null). ``locale`` is the console language kept on the account
  (``zh-CN`` or ``en``); null: the install's default.
- ``PUT /auth/me/locale`` ``{locale}`` → 200 as ``me``: the language is kept on the account
  and in the current session (other sessions get it at their next log-in), and in the cookie
  ``ivracd_lang`` (one year, SameSite=Lax, readable by the log-in page's script) so the log-in
  page speaks it after log-out; a log-in of an account with a language sets that cookie too.
  422 ``invalid-locale`` for another language, 409 ``no-account`` for the bearer token.
- ``POST /agents/{extension}/password`` ``{password, current_password}`` → 204: an admin for
  anyone (``current_password`` not needed), anyone else for themselves with their current
  password (403 ``wrong-password``, counted like a failed log-in). The agent's other sessions
  end.

CSRF: a request signed in by the cookie with POST, PUT, PATCH or DELETE must carry the header
``X-CSRF-Token`` with the session's token, else 403 ``csrf``. A request with an
``Authorization`` header is never read for the cookie: the bearer token needs no CSRF token.
"""

from __future__ import annotations

import dataclasses
import hmac
import logging
import re
from typing import Any, Final
from urllib.parse import urlsplit

from aiohttp import web

from crm_bridge.agent_specs import check_password
from crm_bridge.audit.entry import AuditAction
from crm_bridge.errors import UnknownAgentError
from crm_bridge.vocab import ConsoleLocale, Role
from ivr_acd.web.audit.record import audited
from ivr_acd.web.auth.principal import PRINCIPAL, SESSION, SESSION_ERROR, Principal, principal
from ivr_acd.web.auth.sessions import (
    LoginLimiter,
    SessionStore,
    SessionsUnavailableError,
    WebSession,
)
from ivr_acd.web.core import (
    API,
    DEPS,
    AgentDirectory,
    ApiError,
    Handler,
    json_object,
    unavailable,
)
from ivr_acd.web.i18n import COOKIE as LANG_COOKIE

log = logging.getLogger(__name__)

COOKIE: Final = "ivracd_session"
LANG_COOKIE_SECONDS: Final = 365 * 24 * 3600
CSRF_HEADER: Final = "X-CSRF-Token"
LOGIN_PATH: Final = f"{API}/auth/login"
UNSAFE_METHODS: Final = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MAX_PASSWORD_LENGTH: Final = 1024  # scrypt is fed no more than this
_EXTENSION: Final = re.compile(r"[0-9]{2,16}")


# ---- the session middleware ----------------------------------------------------------------


@web.middleware
async def session_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Sets the request's principal from a live session cookie (inside ``error_middleware``)."""
    await _read_session(request)
    return await handler(request)


async def _read_session(request: web.Request) -> None:
    sessions = request.app[DEPS].sessions
    token = request.cookies.get(COOKIE)
    if sessions is None or not token or "Authorization" in request.headers:
        return
    try:
        session = await sessions.get(token)
    except SessionsUnavailableError as exc:  # answered only where a principal is needed
        request[SESSION_ERROR] = exc
        return
    if session is None:
        return
    if request.method in UNSAFE_METHODS and request.path != LOGIN_PATH:
        _check_csrf(request, session)
    request[SESSION] = session
    request[PRINCIPAL] = _principal_of(session)


def _principal_of(session: WebSession) -> Principal:
    return Principal(session.role, session.extension, session.team, session.name, session.locale)


def _check_csrf(request: web.Request, session: WebSession) -> None:
    sent = request.headers.get(CSRF_HEADER, "")
    if not hmac.compare_digest(sent.encode(), session.csrf_token.encode()):
        raise ApiError("csrf", f"send the session's CSRF token in the {CSRF_HEADER} header")


def _same_site(request: web.Request) -> None:
    """A log-in must come from a page of this host (or from no browser page at all)."""
    origin = request.headers.get("Origin")
    cross = request.headers.get("Sec-Fetch-Site") == "cross-site"
    if origin is not None and not _is_this_host(origin, request.host):
        cross = True
    if cross:
        raise ApiError("csrf", "a log-in from another site is refused")


def _is_this_host(origin: str, host: str) -> bool:
    parts = urlsplit(origin)
    return parts.scheme in ("http", "https") and parts.netloc.lower() == host.lower()


# ---- ports ---------------------------------------------------------------------------------


def _sessions(request: web.Request) -> SessionStore:
    sessions = request.app[DEPS].sessions
    if sessions is None:
        raise ApiError("sessions-unavailable", "console sign-in is not enabled here", 503)
    return sessions


def _limiter(request: web.Request) -> LoginLimiter | None:
    return request.app[DEPS].login_limiter


def _agents(request: web.Request) -> AgentDirectory:
    agents = request.app[DEPS].agents
    if agents is None:
        raise unavailable("the agent directory")
    return agents


def _address(request: web.Request) -> str:
    return request.remote or "unknown"


async def end_sessions(request: web.Request, extension: str, keep: str | None = None) -> None:
    """End the console sessions of ``extension`` (but the one of token ``keep``) after their
    password, role or team changed or they were deleted; a failure is logged, not answered:
    the change is stored already."""
    sessions = request.app[DEPS].sessions
    if sessions is None:
        return
    try:
        ended = await sessions.end_all(extension, keep)
    except SessionsUnavailableError:
        log.exception("agent=%s changed, but their console sessions could not be ended", extension)
        return
    if ended:
        log.info("agent=%s: %d console session(s) ended", extension, ended)


# ---- log-in, log-out, me -------------------------------------------------------------------


def _credentials(body: dict[str, Any]) -> tuple[str, str]:
    extension, password = body.get("extension"), body.get("password")
    if not isinstance(extension, str) or not _EXTENSION.fullmatch(extension):
        raise ApiError("bad-request", "extension must be 2 to 16 digits")
    if not isinstance(password, str) or len(password) > MAX_PASSWORD_LENGTH:
        raise ApiError("bad-request", f"password must be text of at most {MAX_PASSWORD_LENGTH}")
    return extension, password


async def _counted(limiter: LoginLimiter | None, extension: str, address: str) -> None:
    """Count the attempt before the password is checked; 429 over the limit."""
    wait = 0 if limiter is None else await limiter.begin(extension, address)
    if wait:
        log.warning("console log-in blocked: extension=%s from %s, %d s", extension, address, wait)
        reason = f"too many failed log-ins; try again in {wait} s"
        raise ApiError("too-many-attempts", reason, 429, {"Retry-After": str(wait)})


async def _succeeded(limiter: LoginLimiter | None, extension: str, address: str) -> None:
    if limiter is not None:
        await limiter.succeeded(extension, address)


def _me(found: Principal, session: WebSession | None) -> dict[str, Any]:
    return {
        "extension": found.extension,
        "name": found.name,
        "role": found.role.value,
        "team": found.team,
        "csrf_token": None if session is None else session.csrf_token,
        "locale": found.locale,
    }


def _remember_language(response: web.Response, request: web.Request, locale: str) -> None:
    """The cookie that lets the log-in page speak ``locale`` after log-out: not HttpOnly, its
    script reads it; it holds no secret."""
    response.set_cookie(
        LANG_COOKIE,
        locale,
        path="/",
        max_age=LANG_COOKIE_SECONDS,
        samesite="Lax",
        secure=request.secure,
    )


async def login(request: web.Request) -> web.Response:
    _same_site(request)
    extension, password = _credentials(await json_object(request))
    sessions, agents, limiter = _sessions(request), _agents(request), _limiter(request)
    address = _address(request)
    await _counted(limiter, extension, address)
    profile = await agents.authenticate(extension, password)
    if profile is None:
        log.warning("console log-in refused: extension=%s from %s", extension, address)
        raise ApiError("bad-credentials", "wrong extension or password")
    await _succeeded(limiter, extension, address)
    previous: WebSession | None = request.get(SESSION)
    if previous is not None:  # a log-in always gets a new session id
        await sessions.end(previous.token)
    role = Role(profile.role)
    session = await sessions.create(extension, role, profile.team, profile.name, profile.locale)
    log.info("console log-in: extension=%s role=%s from %s", extension, profile.role, address)
    response = web.json_response(_me(_principal_of(session), session))
    if session.locale is not None:
        _remember_language(response, request, session.locale)
    response.set_cookie(
        COOKIE,
        session.token,
        path="/",
        httponly=True,
        samesite="Strict",
        secure=request.secure,
    )
    return response


async def logout(request: web.Request) -> web.Response:
    session: WebSession | None = request.get(SESSION)
    if session is not None:
        await _sessions(request).end(session.token)
        log.info("console log-out: extension=%s", session.extension)
    response = web.Response(status=204)
    response.del_cookie(COOKIE, path="/")
    return response


async def me(request: web.Request) -> web.Response:
    return web.json_response(_me(principal(request), request.get(SESSION)))


# ---- the console language -----------------------------------------------------------------


_LOCALES: Final = frozenset(locale.value for locale in ConsoleLocale)


def _chosen_locale(body: dict[str, Any]) -> ConsoleLocale:
    unknown = sorted(set(body) - {"locale"})
    if unknown:
        raise ApiError("bad-request", f"unknown field(s) {', '.join(unknown)}")
    chosen = body.get("locale")
    allowed = ", ".join(locale.value for locale in ConsoleLocale)
    if not isinstance(chosen, str) or chosen not in _LOCALES:
        raise ApiError("invalid-locale", f"locale must be one of {allowed}", 422)
    return ConsoleLocale(chosen)


async def set_locale(request: web.Request) -> web.Response:
    found = principal(request)
    if found.extension is None:
        raise ApiError("no-account", "the API token has no account to keep a language on", 409)
    chosen = _chosen_locale(await json_object(request))
    if not await _agents(request).set_locale(found.extension, chosen.value):
        raise UnknownAgentError(f"no agent {found.extension}")
    session: WebSession | None = request.get(SESSION)
    if session is not None:
        await _sessions(request).set_locale(session.token, chosen.value)
        session = dataclasses.replace(session, locale=chosen.value)
    log.info("agent=%s: console language %s", found.extension, chosen.value)
    response = web.json_response(_me(dataclasses.replace(found, locale=chosen.value), session))
    _remember_language(response, request, chosen.value)
    return response


# ---- passwords -----------------------------------------------------------------------------

_PASSWORD_FIELDS: Final = frozenset({"password", "current_password"})


async def _check_current(request: web.Request, extension: str, current: object) -> None:
    """The agent's own current password, limited like a log-in."""
    if not isinstance(current, str) or len(current) > MAX_PASSWORD_LENGTH:
        raise ApiError("bad-request", "current_password is required to change your password")
    limiter, address = _limiter(request), _address(request)
    await _counted(limiter, extension, address)
    if await _agents(request).authenticate(extension, current) is None:
        log.warning("agent=%s: password change refused (current password wrong)", extension)
        raise ApiError("wrong-password", "the current password is wrong")
    await _succeeded(limiter, extension, address)


async def set_password(request: web.Request) -> web.Response:
    found = principal(request)
    extension = request.match_info["extension"]
    if not _EXTENSION.fullmatch(extension):
        raise UnknownAgentError(f"no agent {extension!r} (extensions are 2 to 16 digits)")
    if found.role is not Role.ADMIN and found.extension != extension:
        raise ApiError("forbidden", "only an admin sets another person's password")
    body = await json_object(request)
    unknown = sorted(set(body) - _PASSWORD_FIELDS)
    if unknown:
        raise ApiError("bad-request", f"unknown field(s) {', '.join(unknown)}")
    password = check_password(body.get("password"))
    if found.role is not Role.ADMIN:
        await _check_current(request, extension, body.get("current_password"))
    if not await _agents(request).set_password(extension, password):
        raise UnknownAgentError(f"no agent {extension}")
    log.info("agent=%s: console password set by %s", extension, found.extension or found.name)
    await audited(request, AuditAction.PASSWORD_SET, extension, {"password": password})
    session: WebSession | None = request.get(SESSION)
    await end_sessions(request, extension, None if session is None else session.token)
    return web.Response(status=204)


def add_auth_routes(app: web.Application) -> None:
    app.router.add_post(LOGIN_PATH, login)
    app.router.add_post(f"{API}/auth/logout", logout)
    app.router.add_get(f"{API}/auth/me", me)
    app.router.add_put(f"{API}/auth/me/locale", set_locale)
    app.router.add_post(f"{API}/agents/{{extension}}/password", set_password)
