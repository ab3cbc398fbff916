"""/api/v1/campaigns and /api/v1/do-not-call over a real CRM (SQLite and PostgreSQL): created as
drafts (201), read with their progress, moved through their states, attempts and decisions,
results as CSV, an agent's disposition; 4xx with a JSON reason for anything wrong."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from acd.dunning.core.compliance import Check, Decision
from acd.dunning.core.model import Attempt
from acd.dunning.core.targets import target_of
from acd.dunning.facts import CampaignFacts
from acd.dunning.repository import CampaignRepository, NewAttempt
from crm_bridge.calls.repository import CallRepository
from crm_bridge.db import Database
from crm_bridge.seed import seed
from crm_bridge.vocab import Disposition
from ivr_acd.web.app import API, ApiDeps, build_api
from ivr_acd.web.campaigns.routes import CSV_FIELDS
from ivr_acd.web.i18n import packaged_catalogs

pytestmark = pytest.mark.integration

TOKEN = "campaign-test-token"
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
Client = TestClient[web.Request, web.Application]
BODY: dict[str, Any] = {
    "name": "November dunning",
    "mode": "agentless",
    "rule": {"min_days_overdue": 1, "min_amount": "1.00"},
    "schedule": {"start_date": "2026-11-01", "end_date": "2026-12-31"},
    "caps": {"max_channels": 2, "max_calls_per_second": 1},
    "retry": {"busy": {"delay_seconds": 60, "max_attempts": 2}},
    "machine_message": "Please call us back.",
}


async def _no_live_calls() -> list[Any]:
    return []


async def _healthy() -> dict[str, Any]:
    return {"database": {"ok": True}}


@pytest.fixture
async def client(database: Database) -> AsyncIterator[Client]:
    deps = ApiDeps(
        calls=CallRepository(database.sessions),
        live_calls=_no_live_calls,
        health=_healthy,
        api_token=TOKEN,
        campaigns=CampaignRepository(database.sessions, lambda: NOW),
        campaign_facts=CampaignFacts(database.sessions, lambda: NOW),
    )
    served = TestClient(TestServer(build_api(deps)))
    await served.start_server()
    try:
        yield served
    finally:
        await served.close()


def _auth() -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKEN}"}


async def _call(client: Client, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    response = await client.request(method, f"{API}{path}", json=body, headers=_auth())
    if response.content_type == "application/json":
        return response.status, await response.json()
    return response.status, await response.text()


async def test_a_campaign_is_created_as_a_draft_and_listed(client: Client) -> None:
    status, created = await _call(client, "POST", "/campaigns", BODY)
    assert status == 201, created
    assert created["state"] == "draft" and created["mode"] == "agentless"
    assert created["id"].startswith("november-dunning-")
    assert created["retry"]["busy"] == {"delay_seconds": 60.0, "max_attempts": 2}
    assert created["progress"]["attempted"] == 0 and created["created_by"] == "api-token"

    status, listed = await _call(client, "GET", "/campaigns")
    assert status == 200 and [c["id"] for c in listed["campaigns"]] == [created["id"]]
    status, again = await _call(client, "POST", "/campaigns", {**BODY, "id": created["id"]})
    assert (status, again["error"]) == (409, "campaign-exists")


@pytest.mark.parametrize(
    ("body", "status", "code", "named"),
    [
        ({**BODY, "mode": "predictive"}, 422, "campaign-invalid", "mode"),
        (
            {**BODY, "schedule": {"start_date": "2026-13-01", "end_date": "2026-12-31"}},
            422,
            "campaign-invalid",
            "start_date",
        ),
        ({**BODY, "caps": {"max_channels": 0}}, 422, "campaign-invalid", "max_channels"),
        ({"rule": {}}, 422, "campaign-invalid", "name"),
        ({**BODY, "surprise": 1}, 422, "campaign-invalid", "surprise"),
    ],
)
async def test_bad_input_is_a_4xx_with_a_json_reason(
    client: Client, body: dict[str, Any], status: int, code: str, named: str
) -> None:
    got, answer = await _call(client, "POST", "/campaigns", body)
    assert (got, answer["error"]) == (status, code)
    assert named in answer["reason"]


async def test_a_body_that_is_not_an_object_and_no_token_are_refused(client: Client) -> None:
    response = await client.post(f"{API}/campaigns", data=b"[1]", headers=_auth())
    assert response.status == 400
    response = await client.get(f"{API}/campaigns")
    assert response.status == 401 and (await response.json())["error"] == "unauthenticated"


async def test_start_pause_resume_stop(client: Client) -> None:
    _, created = await _call(client, "POST", "/campaigns", BODY)
    cid = created["id"]
    for action, state in (("start", "running"), ("pause", "paused"), ("resume", "running")):
        status, body = await _call(client, "POST", f"/campaigns/{cid}/{action}")
        assert (status, body["state"]) == (200, state)
    status, body = await _call(client, "POST", f"/campaigns/{cid}/start")
    assert (status, body["state"]) == (200, "running")  # already: nothing to do
    status, body = await _call(client, "POST", f"/campaigns/{cid}/stop")
    assert (status, body["state"]) == (200, "stopped")
    status, body = await _call(client, "POST", f"/campaigns/{cid}/resume")
    assert (status, body["error"]) == (409, "campaign-state")
    status, body = await _call(client, "POST", f"/campaigns/{cid}/explode")
    assert status == 404
    status, body = await _call(client, "GET", "/campaigns/nope")
    assert (status, body["error"]) == (404, "campaign-not-found")


async def test_attempts_decisions_results_and_a_disposition(
    client: Client, database: Database
) -> None:
    await seed(database.sessions, today=NOW.date())
    _, created = await _call(client, "POST", "/campaigns", {**BODY, "mode": "progressive"})
    cid = created["id"]
    repo = CampaignRepository(database.sessions, lambda: NOW)
    facts = CampaignFacts(database.sessions, lambda: NOW)
    policy = (await facts.unpaid_policies((await repo.get(cid)).campaign.rule))[0]
    target = target_of(policy, NOW)
    assert target is not None
    attempt = Attempt(cid, target.policy_id, 1, target.number, NOW)
    assert await repo.claim(NewAttempt(attempt, target.customer_id, "dun-api-1"))
    await repo.answered(attempt.id, NOW, "HUMAN", agent="8001")
    paid = {"date": "2026-11-20"}
    skip = Decision(False, "skipped: paid 2026-11-20", None, Check.PAID, True, paid)
    dial = Decision(True, "dial: attempt 1")
    await repo.log_decisions(cid, [(target, dial, attempt.id), (target, skip, None)], NOW)

    status, body = await _call(client, "GET", f"/campaigns/{cid}/attempts")
    assert status == 200 and body["attempts"][0]["attempt_id"] == attempt.id
    assert body["attempts"][0]["disposition"] is None
    status, body = await _call(client, "GET", f"/campaigns/{cid}/decisions")
    assert status == 200
    assert {d["reason"] for d in body["decisions"]} == {
        "dial: attempt 1",
        "skipped: paid 2026-11-20",
    }
    assert {d["check"]: d["params"] for d in body["decisions"]} == {"dial": {}, "paid": paid}
    status, body = await _call(client, "GET", f"/campaigns/{cid}/decisions?policy_id=x")
    assert status == 400

    path = f"/campaigns/{cid}/attempts/{attempt.id}/disposition"
    status, body = await _call(client, "POST", path, {"disposition": "promised"})
    assert (status, body["error"]) == (422, "campaign-invalid")
    promised = {"disposition": "promised", "promise_date": "2026-11-30", "promise_amount": "580"}
    status, body = await _call(client, "POST", path, promised)
    assert status == 200 and body["disposition"] == Disposition.PROMISED.value
    assert (body["promise_date"], body["promise_amount"]) == ("2026-11-30", "580.00")
    assert (body["reason_code"], body["reason_params"]) == ("agent", {})
    status, body = await _call(client, "POST", path, {"disposition": "refused"})
    assert (status, body["error"]) == (409, "campaign-state")

    status, body = await _call(client, "GET", f"/campaigns/{cid}")
    assert body["progress"]["promised_amount"] == "580.00" and body["progress"]["reached"] == 1
    status, text = await _call(client, "GET", f"/campaigns/{cid}/results.csv")
    assert status == 200
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["attempt_id"], r["disposition"], r["promise_amount"]) for r in rows] == [
        (attempt.id, "promised", "580.00")
    ]
    assert rows[0]["policy_number"] == target.policy_number
    assert not text.startswith("\ufeff")  # no lang: for programs, as it always was
    for lang in ("zh-CN", "en"):
        await _results_for_people(client, cid, lang, text)
    status, body = await _call(client, "GET", f"/campaigns/{cid}/results.csv?lang=de")
    assert (status, body["error"]) == (422, "invalid-locale")


async def _results_for_people(client: Client, cid: str, lang: str, machine: str) -> None:
    """With ``lang`` the header row is in that language and a BOM leads; the rows are the
    same as the machine CSV's."""
    status, text = await _call(client, "GET", f"/campaigns/{cid}/results.csv?lang={lang}")
    assert status == 200 and text.startswith("\ufeff")
    header, *rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    catalogs = packaged_catalogs()
    fields = [f"exports.campaign-results.{field}" for field in CSV_FIELDS]
    assert header == [catalogs.text(lang, key) for key in fields]
    assert header[1] == {"zh-CN": "保单号", "en": "Policy number"}[lang]
    assert rows == list(csv.reader(io.StringIO(machine)))[1:]


async def test_the_do_not_call_list(client: Client) -> None:
    status, body = await _call(client, "POST", "/do-not-call", {"number": "13800138000"})
    assert (status, body["added"]) == (201, True)
    status, body = await _call(client, "POST", "/do-not-call", {"number": "13800138000"})
    assert (status, body["added"]) == (200, False)
    status, body = await _call(client, "POST", "/do-not-call", {"number": "call me"})
    assert (status, body["error"]) == (422, "campaign-invalid")
    status, body = await _call(client, "GET", "/do-not-call")
    assert [n["number"] for n in body["numbers"]] == ["13800138000"]
    status, _ = await _call(client, "DELETE", "/do-not-call/13800138000")
    assert status == 204
    status, body = await _call(client, "DELETE", "/do-not-call/13800138000")
    assert status == 404
