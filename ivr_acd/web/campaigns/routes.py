"""/api/v1/campaigns: outbound dunning campaigns — create, list, read with their progress,
start / pause / resume / stop, their attempts, every dial decision with its reason (and the
``params`` it names, for the console's translations), the results as CSV (the header row in a
person's language with ``lang``, see ``ivr_acd.web.exports``); an attempt's disposition
recorded by the agent who took it (progressive mode); the do-not-call list.

Who may (``ivr_acd.web.auth.principal``): supervisors and admins (the bearer token is admin) for
all of it;
the disposition also the agent of the attempt. A bad campaign is 422 ``campaign-invalid`` with
the field named; a transition its state does not allow is 409 ``campaign-state``."""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from aiohttp import web

from acd.dunning.core.attempts import Why
from acd.dunning.core.codec import spec_from
from acd.dunning.core.model import CampaignError, PromiseToPay
from acd.dunning.facts import CampaignFacts
from acd.dunning.repository import (
    CampaignRepository,
    StoredAttempt,
    StoredCampaign,
)
from crm_bridge.audit.entry import CAMPAIGN_ACTIONS, AuditAction
from crm_bridge.vocab import CampaignState, Disposition, Role
from ivr_acd.web.audit.record import audited
from ivr_acd.web.auth.principal import Principal, require_role
from ivr_acd.web.core import (
    API,
    DEPS,
    ApiError,
    choice_param,
    int_param,
    json_object,
    unavailable,
)
from ivr_acd.web.exports import csv_response, csv_text, export_locale, header_row

MANAGERS: Final = (Role.SUPERVISOR, Role.ADMIN)
ACTIONS: Final = frozenset({"start", "pause", "resume", "stop"})
CSV_FIELDS: Final = (
    "attempt_id",
    "policy_number",
    "policy_id",
    "customer_id",
    "number",
    "seq",
    "started_at",
    "answered_at",
    "ended_at",
    "disposition",
    "promise_date",
    "promise_amount",
    "amd_status",
    "agent",
    "reason",
)
_NUMBER: Final = re.compile(r"^\+?[0-9]{3,20}$")


def _repo(request: web.Request) -> CampaignRepository:
    campaigns = request.app[DEPS].campaigns
    if campaigns is None:
        raise ApiError("campaigns-unavailable", "campaigns are not served by this process", 503)
    return campaigns


def _facts(request: web.Request) -> CampaignFacts:
    facts = request.app[DEPS].campaign_facts
    if facts is None:
        raise unavailable("the do-not-call list")
    return facts


def _invalid(exc: CampaignError) -> ApiError:
    return ApiError(exc.code, str(exc), 422)


def new_campaign_id(name: str) -> str:
    """``november-dunning-3f9a1c``: the name's letters and digits, and a random suffix."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40] or "campaign"
    return f"{slug}-{secrets.token_hex(3)}"


async def _with_progress(repo: CampaignRepository, stored: StoredCampaign) -> dict[str, Any]:
    return {**stored.to_dict(), "progress": (await repo.progress(stored.id)).to_dict()}


# ---- campaigns ------------------------------------------------------------------------------


async def create_campaign(request: web.Request) -> web.Response:
    who = require_role(request, *MANAGERS)
    repo = _repo(request)
    body = await json_object(request)
    try:
        spec = spec_from(body, campaign_id=new_campaign_id(str(body.get("name", ""))))
    except CampaignError as exc:
        raise _invalid(exc) from exc
    stored = await repo.create(spec.campaign, spec.machine_message, created_by=_who(who))
    await audited(request, AuditAction.CAMPAIGN_CREATED, stored.id, body)
    return web.json_response(await _with_progress(repo, stored), status=201)


async def list_campaigns(request: web.Request) -> web.Response:
    require_role(request, *MANAGERS)
    repo = _repo(request)
    state = choice_param(request, "state", frozenset(s.value for s in CampaignState))
    listed = [await _with_progress(repo, c) for c in await repo.list(state=state)]
    return web.json_response({"campaigns": listed})


async def get_campaign(request: web.Request) -> web.Response:
    require_role(request, *MANAGERS)
    repo = _repo(request)
    return web.json_response(await _with_progress(repo, await repo.get(_campaign_id(request))))


async def change_state(request: web.Request) -> web.Response:
    require_role(request, *MANAGERS)
    action = request.match_info["action"]
    if action not in ACTIONS:
        raise ApiError("not-found", f"no action {action!r}; one of {', '.join(sorted(ACTIONS))}")
    repo = _repo(request)
    stored = await repo.set_state(_campaign_id(request), action)
    state = stored.campaign.state.value
    await audited(request, CAMPAIGN_ACTIONS[action], stored.id, {"state": state})
    return web.json_response(await _with_progress(repo, stored))


# ---- attempts, decisions, results -----------------------------------------------------------


async def list_attempts(request: web.Request) -> web.Response:
    require_role(request, *MANAGERS)
    repo = _repo(request)
    campaign_id = (await repo.get(_campaign_id(request))).id
    found = await repo.attempts(
        campaign_id,
        limit=int_param(request, "limit", 100, 1000),
        offset=int_param(request, "offset", 0, 10_000_000),
    )
    return web.json_response({"attempts": [a.to_dict() for a in found]})


async def list_decisions(request: web.Request) -> web.Response:
    require_role(request, *MANAGERS)
    repo = _repo(request)
    campaign_id = (await repo.get(_campaign_id(request))).id
    policy = request.query.get("policy_id")
    if policy is not None and not policy.isdigit():
        raise ApiError("bad-request", "policy_id must be a whole number")
    found = await repo.decisions(
        campaign_id,
        limit=int_param(request, "limit", 100, 1000),
        offset=int_param(request, "offset", 0, 10_000_000),
        policy_id=int(policy) if policy is not None else None,
    )
    return web.json_response({"decisions": [d.to_dict() for d in found]})


def results_csv(rows: list[tuple[StoredAttempt, str]], header: Sequence[str] = CSV_FIELDS) -> str:
    """A header row, then one row per attempt in the order they were made."""
    values = ({**attempt.to_dict(), "policy_number": number} for attempt, number in rows)
    return csv_text(header, ([v[name] for name in CSV_FIELDS] for v in values))


async def results(request: web.Request) -> web.Response:
    require_role(request, *MANAGERS)
    locale = export_locale(request)
    repo = _repo(request)
    campaign_id = (await repo.get(_campaign_id(request))).id
    header = header_row(request, locale, "campaign-results", CSV_FIELDS)
    text = results_csv(await repo.results(campaign_id), header)
    return csv_response(text, f"{campaign_id}-results.csv", locale)


async def record_disposition(request: web.Request) -> web.Response:
    """The agent's disposition of a call they took (progressive), or a supervisor's."""
    who = require_role(request, Role.AGENT, *MANAGERS)
    repo = _repo(request)
    attempt = await repo.attempt(request.match_info["attempt_id"])
    if attempt is None or attempt.campaign_id != _campaign_id(request):
        raise ApiError("attempt-not-found", "no such attempt in this campaign")
    if who.role is Role.AGENT and attempt.agent_extension != who.extension:
        raise ApiError("forbidden", "an agent records the disposition of their own calls only")
    disposition, promise, note = _disposition(await json_object(request))
    reason = note or "recorded by the agent"
    params = {"note": note} if note else {}
    written = await repo.finish(
        attempt.attempt_id, disposition, repo.now(), reason, promise, why=Why.AGENT, params=params
    )
    if not written:
        raise ApiError("campaign-state", "the attempt has a disposition already", 409)
    stored = await repo.attempt(attempt.attempt_id)
    return web.json_response(stored.to_dict() if stored else {})


def _disposition(body: dict[str, Any]) -> tuple[Disposition, PromiseToPay | None, str]:
    try:
        disposition = Disposition(str(body.get("disposition", "")))
    except ValueError:
        allowed = ", ".join(d.value for d in Disposition)
        raise ApiError("campaign-invalid", f"disposition must be one of {allowed}", 422) from None
    note = str(body.get("reason", ""))[:500]  # the agent's own words, if any
    if disposition is not Disposition.PROMISED:
        return disposition, None, note
    try:
        promise = PromiseToPay(
            Decimal(str(body["promise_amount"])), date.fromisoformat(str(body["promise_date"]))
        )
    except (KeyError, ValueError, InvalidOperation, CampaignError) as exc:
        why = "promised needs promise_date (YYYY-MM-DD) and a positive promise_amount"
        raise ApiError("campaign-invalid", why, 422) from exc
    return disposition, promise, note


# ---- the do-not-call list -------------------------------------------------------------------


async def list_do_not_call(request: web.Request) -> web.Response:
    require_role(request, *MANAGERS)
    entries = await _facts(request).do_not_call()
    return web.json_response(
        {
            "numbers": [
                {"number": e.number, "reason": e.reason, "added_at": e.added_at.isoformat()}
                for e in entries
            ]
        }
    )


async def add_do_not_call(request: web.Request) -> web.Response:
    require_role(request, *MANAGERS)
    body = await json_object(request)
    number = str(body.get("number", "")).strip()
    if not _NUMBER.match(number):
        raise ApiError("campaign-invalid", "number must be a phone number (digits)", 422)
    reason = str(body.get("reason", ""))[:200]
    added = await _facts(request).add_do_not_call(number, reason)
    if added:
        await audited(request, AuditAction.DO_NOT_CALL_ADDED, number, {"reason": reason})
    return web.json_response({"number": number, "added": added}, status=201 if added else 200)


async def remove_do_not_call(request: web.Request) -> web.Response:
    require_role(request, *MANAGERS)
    number = request.match_info["number"]
    if not await _facts(request).remove_do_not_call(number):
        raise ApiError("not-found", f"{number} is not on the do-not-call list")
    await audited(request, AuditAction.DO_NOT_CALL_REMOVED, number)
    return web.Response(status=204)


def _campaign_id(request: web.Request) -> str:
    return request.match_info["campaign_id"]


def _who(who: Principal) -> str:
    return who.name or who.extension or who.role.value


def add_campaign_routes(app: web.Application) -> None:
    app.router.add_post(f"{API}/campaigns", create_campaign)
    app.router.add_get(f"{API}/campaigns", list_campaigns)
    app.router.add_get(f"{API}/campaigns/{{campaign_id}}", get_campaign)
    app.router.add_post(f"{API}/campaigns/{{campaign_id}}/{{action}}", change_state)
    app.router.add_get(f"{API}/campaigns/{{campaign_id}}/attempts", list_attempts)
    app.router.add_get(f"{API}/campaigns/{{campaign_id}}/decisions", list_decisions)
    app.router.add_get(f"{API}/campaigns/{{campaign_id}}/results.csv", results)
    app.router.add_post(
        f"{API}/campaigns/{{campaign_id}}/attempts/{{attempt_id}}/disposition",
        record_disposition,
    )
    app.router.add_get(f"{API}/do-not-call", list_do_not_call)
    app.router.add_post(f"{API}/do-not-call", add_do_not_call)
    app.router.add_delete(f"{API}/do-not-call/{{number}}", remove_do_not_call)
