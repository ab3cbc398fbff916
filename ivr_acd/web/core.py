"""What every /api/v1 handler shares: the ports it is handed (``ApiDeps``), the error → HTTP
status table, the error middleware and request parsing (who may call:
``ivr_acd.web.auth.principal``)."""

from __future__ import annotations

import builtins
import json
import logging
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Final, Protocol

from aiohttp import web
from sqlalchemy.exc import DataError, IntegrityError, SQLAlchemyError

from acd.dunning.facts import CampaignFacts
from acd.dunning.repository import CampaignRepository
from acd.supervision.port import SpyControl
from crm_bridge.agent_repository import AgentProfile
from crm_bridge.agent_specs import AgentChanges, NewAgent
from crm_bridge.audit.entry import AuditEntry
from crm_bridge.audit.repository import AuditQuery
from crm_bridge.callback_repository import StoredCallback
from crm_bridge.calls.records import CallRecord
from crm_bridge.errors import CrmError
from crm_bridge.kpis.figures import DayKpis
from ivr_acd.web.auth.sessions import LoginLimiter, SessionStore
from ivr_acd.web.i18n import Catalogs, packaged_catalogs

log = logging.getLogger(__name__)

API = "/api/v1"

STATUS_BY_CODE: dict[str, int] = {
    "unauthenticated": 401,
    "forbidden": 403,
    # console sign-in (ivr_acd.web.auth.routes)
    "bad-credentials": 401,
    "wrong-password": 403,
    "csrf": 403,
    "too-many-attempts": 429,
    "sessions-unavailable": 503,
    # the console language kept on the account (PUT /auth/me/locale)
    "invalid-locale": 422,
    "no-account": 409,
    "bad-request": 400,
    "body-too-large": 413,
    "json-too-deep": 422,
    "not-found": 404,
    "internal-error": 500,
    "database-unavailable": 503,
    "crm-rejected": 422,
    "policy-not-found": 404,
    "quote-not-found": 404,
    "promise-date-out-of-range": 422,
    # agents (CRM) and their live state (ACD)
    "unknown-agent": 404,
    "agent-exists": 409,
    "invalid-agent": 422,
    "invalid-state-record": 422,
    "agent-not-logged-in": 409,
    "agent-already-logged-in": 409,
    "agent-busy": 409,
    "invalid-transition": 409,
    "invalid-pause-reason": 422,
    "acd-unavailable": 503,
    # callbacks
    "callback-not-found": 404,
    "invalid-callback": 422,
    "invalid-callback-transition": 409,
    # supervision (ivr_acd.web.spy.routes)
    "call-not-found": 404,
    "call-has-no-agent": 409,
    "invalid-spy-mode": 422,
    "supervisor-required": 422,
    "invalid-supervisor": 422,
    "supervisor-unavailable": 409,
    "spy-not-found": 404,
    "spy-ended": 409,
    "invalid-spy-session": 422,
    "asterisk-unavailable": 503,
    # outbound dunning campaigns (ivr_acd.web.campaigns.routes)
    "campaign-invalid": 422,
    "campaign-not-found": 404,
    "campaign-exists": 409,
    "campaign-state": 409,
    "attempt-not-found": 404,
    "campaigns-unavailable": 503,
    # the audit log (ivr_acd.web.audit.routes)
    "audit-unavailable": 503,
}


class ApiError(Exception):
    """An error to answer with; ``default_status`` applies to a code not in the table."""

    def __init__(
        self,
        code: str,
        reason: str,
        default_status: int = 400,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason
        self.default_status = default_status
        self.headers = dict(headers or {})  # e.g. Retry-After


class CallQuery(Protocol):
    async def list(
        self,
        since: datetime | None,
        until: datetime | None,
        caller: str | None,
        limit: int = 100,
        offset: int = 0,
        agent: str | None = None,
    ) -> list[CallRecord]: ...


HealthCheck = Callable[[], Awaitable[dict[str, Any]]]


class LiveCallView(Protocol):
    def to_dict(self) -> dict[str, str]: ...


LiveCalls = Callable[[], Awaitable[Sequence[LiveCallView]]]


class AgentDirectory(Protocol):
    """The CRM's agents (``crm_bridge.agent_repository.AgentRepository``)."""

    async def list_profiles(self) -> builtins.list[AgentProfile]: ...
    async def by_extension(self, extension: str) -> AgentProfile | None: ...
    async def create(self, agent: NewAgent) -> AgentProfile: ...
    async def update(self, extension: str, changes: AgentChanges) -> AgentProfile: ...
    async def delete(self, extension: str) -> None: ...
    async def authenticate(self, extension: str, password: str) -> AgentProfile | None: ...
    async def set_password(self, extension: str, password: str) -> bool: ...
    async def set_locale(self, extension: str, locale: str) -> bool: ...


class CallbackQuery(Protocol):
    """Callbacks owed (``crm_bridge.callback_repository.CallbackRepository``)."""

    async def list(
        self,
        status: str | None = None,
        kind: str | None = None,
        since: datetime | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> builtins.list[StoredCallback]: ...


class KpiQuery(Protocol):
    """Agent KPIs per calendar day (``crm_bridge.kpis.agents.KpiRepository``); ``day`` None is today
    in the contact centre's zone."""

    async def agents_day(
        self, day: date | None = None, extension: str | None = None
    ) -> DayKpis: ...


class AgentControl(Protocol):
    """The ACD's agent state machine, as the API drives it.

    Refusals raise an exception with a stable string ``code`` attribute (``unknown-agent``,
    ``agent-not-logged-in``, ``agent-busy``, ``invalid-transition``...): the API answers
    ``{"error": code, "reason": str(exc)}`` with the status ``STATUS_BY_CODE`` gives it (409 for
    a code not there). What the actions return is ignored: the API answers with ``state()``.
    """

    async def login(self, extension: str) -> object: ...
    async def logout(self, extension: str) -> object: ...
    async def pause(self, extension: str, reason: str) -> object: ...
    async def unpause(self, extension: str) -> object: ...
    async def state(self, extension: str) -> Mapping[str, Any]: ...


class QueueStats(Protocol):
    """Live queue figures for wallboards; JSON-able (errors as for ``AgentControl``)."""

    async def snapshot(self) -> Mapping[str, Any]: ...


class AuditLog(Protocol):
    """The audit log of administrative actions (``crm_bridge.audit.repository``)."""

    async def record(self, entry: AuditEntry) -> int: ...
    async def list(self, query: AuditQuery) -> builtins.list[AuditEntry]: ...
    async def purge_expired(self) -> int: ...


AgentsChanged = Callable[[str], Awaitable[None]]
"""Called with the extension after an agent is created, updated or deleted through the API
(e.g. to re-provision PJSIP and refresh the ACD's profiles). Its failure is logged, not
answered: the change is stored already."""


async def no_change_hook(_extension: str) -> None:
    return None


DEFAULT_MAX_BODY_BYTES: Final = 256 * 1024
DEFAULT_MAX_JSON_DEPTH: Final = 32


@dataclass(frozen=True)
class BodyLimits:
    """How big a request body may be and how deep its JSON may nest (``web.max_body_bytes``;
    the depth is fixed: no document of this API nests deeper than a few levels)."""

    max_bytes: int = DEFAULT_MAX_BODY_BYTES
    max_depth: int = DEFAULT_MAX_JSON_DEPTH


@dataclass(frozen=True)
class ApiDeps:
    """The ports the API works through; the ACD ones are optional (their endpoints answer
    503 ``acd-unavailable`` without them)."""

    calls: CallQuery
    live_calls: LiveCalls
    health: HealthCheck
    api_token: str
    agents: AgentDirectory | None = None
    callbacks: CallbackQuery | None = None
    kpis: KpiQuery | None = None
    agent_control: AgentControl | None = None
    queue_stats: QueueStats | None = None
    on_agents_changed: AgentsChanged = no_change_hook
    sessions: SessionStore | None = None  # console sign-in (Redis); none: bearer token only
    login_limiter: LoginLimiter | None = None
    supervision: SpyControl | None = None  # listen / whisper / barge (ivr_acd.web.spy.routes)
    campaigns: CampaignRepository | None = None  # dunning campaigns (ivr_acd.web.campaigns.routes)
    campaign_facts: CampaignFacts | None = None  # the do-not-call list, opt-outs
    audit: AuditLog | None = None  # administrative actions (ivr_acd.web.audit); none: not kept
    limits: BodyLimits = BodyLimits()
    trusted_proxies: tuple[str, ...] = ()  # whose X-Forwarded-* is believed (web.transport)
    i18n: Catalogs = field(default_factory=packaged_catalogs)  # the console's languages


DEPS: web.AppKey[ApiDeps] = web.AppKey("api_deps", ApiDeps)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _error(
    code: str, reason: str, default_status: int = 400, headers: Mapping[str, str] | None = None
) -> web.Response:
    status = STATUS_BY_CODE.get(code, default_status)
    return web.json_response({"error": code, "reason": reason}, status=status, headers=headers)


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The one place errors become HTTP answers: always JSON ``{"error", "reason"}``."""
    try:
        return await handler(request)
    except ApiError as exc:
        return _error(exc.code, exc.reason, exc.default_status, exc.headers)
    except CrmError as exc:
        return _error(exc.code, str(exc))
    except web.HTTPException as exc:
        if exc.status >= 400:
            return _error("http-error", exc.reason, exc.status)
        raise
    except (IntegrityError, DataError) as exc:
        log.warning("%s %s: database refused the data: %s", request.method, request.path, exc)
        return _error("crm-rejected", "the database refused the data")
    except (SQLAlchemyError, OSError) as exc:
        log.warning("%s %s: database unavailable: %s", request.method, request.path, exc)
        return _error("database-unavailable", "the database cannot be reached")
    except Exception:
        log.exception("%s %s failed", request.method, request.path)
        return _error("internal-error", "unexpected error; see the controller's log")


def time_param(request: web.Request, name: str) -> datetime | None:
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


def int_param(request: web.Request, name: str, default: int, high: int) -> int:
    raw = request.query.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or not 0 <= int(raw) <= high:
        raise ApiError("bad-request", f"{name} must be an integer from 0 to {high}")
    return int(raw)


def choice_param(request: web.Request, name: str, allowed: frozenset[str]) -> str | None:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return None
    if raw not in allowed:
        raise ApiError("bad-request", f"{name} must be one of {', '.join(sorted(allowed))}")
    return raw


_STRUCTURAL: Final = re.compile(rb'[\[\]{}"\\]')
_OPEN: Final = frozenset(b"[{")
_CLOSE: Final = frozenset(b"]}")


def nests_deeper_than(raw: bytes, limit: int) -> bool:
    """Whether JSON text opens more than ``limit`` arrays / objects inside each other; one
    linear pass over the brackets, quotes and backslashes (brackets inside strings don't
    count), so a hostile document never reaches the parser's recursion."""
    depth, in_string, skip = 0, False, -1
    for found in _STRUCTURAL.finditer(raw):
        at = found.start()
        char = raw[at]
        if at == skip:  # the character after a backslash in a string
            continue
        if in_string:
            if char == 0x5C:  # backslash
                skip = at + 1
            elif char == 0x22:  # closing quote
                in_string = False
        elif char == 0x22:
            in_string = True
        elif char in _OPEN:
            depth += 1
            if depth > limit:
                return True
        elif char in _CLOSE:
            depth -= 1
    return False


async def _body(request: web.Request, limit: int) -> bytes:
    """The raw body, at most ``limit`` bytes (413 ``body-too-large``)."""
    too_large = ApiError("body-too-large", f"the body may have at most {limit} bytes", 413)
    if request.content_length is not None and request.content_length > limit:
        raise too_large
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge as exc:
        raise too_large from exc
    if len(raw) > limit:
        raise too_large
    return raw


async def json_object(request: web.Request) -> dict[str, Any]:
    """The body as a JSON object, the one place every handler's body is parsed: 413
    ``body-too-large`` over the size limit, 422 ``json-too-deep`` nested deeper than the
    depth limit (checked before parsing), 400 ``bad-request`` for anything but an object."""
    limits = request.app[DEPS].limits
    raw = await _body(request, limits.max_bytes)
    if nests_deeper_than(raw, limits.max_depth):
        raise ApiError("json-too-deep", f"JSON may nest at most {limits.max_depth} levels", 422)
    try:
        data = json.loads(raw) if raw.strip() else None
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise ApiError("bad-request", "the body must be a JSON object") from exc
    if not isinstance(data, dict):
        raise ApiError("bad-request", "the body must be a JSON object")
    return data


def unavailable(part: str) -> ApiError:
    return ApiError("acd-unavailable", f"{part} is not running in this process", 503)
