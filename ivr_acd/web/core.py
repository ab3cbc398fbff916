"""What every /api/v1 handler shares: the ports it is handed (``ApiDeps``), the error → HTTP
status table, the error middleware and request parsing (who may call:
``ivr_acd.web.auth.principal``)."""

from __future__ import annotations

import builtins
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from aiohttp import web
from sqlalchemy.exc import DataError, IntegrityError, SQLAlchemyError

from acd.dunning.facts import CampaignFacts
from acd.dunning.repository import CampaignRepository
from acd.supervision.port import SpyControl
from crm_bridge.agent_repository import AgentProfile
from crm_bridge.agent_specs import AgentChanges, NewAgent
from crm_bridge.callback_repository import StoredCallback
from crm_bridge.calls.records import CallRecord
from crm_bridge.errors import CrmError
from crm_bridge.kpis.figures import DayKpis
from ivr_acd.web.auth.sessions import LoginLimiter, SessionStore

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
    "bad-request": 400,
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


AgentsChanged = Callable[[str], Awaitable[None]]
"""Called with the extension after an agent is created, updated or deleted through the API
(e.g. to re-provision PJSIP and refresh the ACD's profiles). Its failure is logged, not
answered: the change is stored already."""


async def no_change_hook(_extension: str) -> None:
    return None


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


async def json_object(request: web.Request) -> dict[str, Any]:
    """The body as a JSON object; 400 ``bad-request`` for anything else."""
    try:
        data = await request.json()
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError("bad-request", "the body must be a JSON object") from exc
    if not isinstance(data, dict):
        raise ApiError("bad-request", "the body must be a JSON object")
    return data


def unavailable(part: str) -> ApiError:
    return ApiError("acd-unavailable", f"{part} is not running in this process", 503)
