"""Issue 11, web: every administrative action leaves one audit row with who, from where, what
and which values (never a password), readable by admins through GET /api/v1/audit (filters,
paging; 403 for a supervisor or an agent) and purged only after its retention (≥ 183 days).
A real aiohttp server, the real Redis, SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import unused_port

from crm_bridge.audit.entry import AuditAction, AuditEntry
from crm_bridge.audit.repository import AuditQuery, AuditRepository
from crm_bridge.db import Database
from ivr_acd.settings import WebSettings
from ivr_acd.web.app import API, build_api
from ivr_acd.web.transport import start_site
from tests.integration.ivr_acd.web.hardening_stack import (
    BEARER,
    NOW,
    PASSWORD,
    Stack,
    client_from,
    signed_in_headers,
    stack,
)

pytestmark = [pytest.mark.integration, pytest.mark.security]

NEW_AGENT = {
    "extension": "8101",
    "name": "赵敏",
    "password": "first-password-8101",
    "languages": ["zh"],
    "team": "claims",
}
CAMPAIGN = {
    "name": "November dunning",
    "mode": "agentless",
    "rule": {"min_days_overdue": 1, "min_amount": "1.00"},
    "schedule": {"start_date": "2026-11-01", "end_date": "2026-12-31"},
    "caps": {"max_channels": 2, "max_calls_per_second": 1},
}


@dataclass
class Served:
    url: str
    client: aiohttp.ClientSession
    world: Stack

    async def call(
        self, method: str, path: str, headers: dict[str, str], body: Any = None
    ) -> tuple[int, Any]:
        url = f"{self.url}{API}{path}"
        async with self.client.request(method, url, json=body, headers=headers) as response:
            text = await response.text()
            return response.status, (await response.json()) if text else None

    async def audit(self, headers: dict[str, str], **query: str) -> list[dict[str, Any]]:
        status, body = await self.call("GET", "/audit?" + _query(query), headers)
        assert status == 200, body
        entries: list[dict[str, Any]] = body["entries"]
        return entries


def _query(query: dict[str, str]) -> str:
    return "&".join(f"{name}={value}" for name, value in query.items())


@pytest.fixture
async def served(database: Database) -> AsyncIterator[Served]:
    async with stack(database) as world:
        runner = web.AppRunner(build_api(world.deps()), access_log=None)
        await runner.setup()
        url = await start_site(runner, WebSettings(host="127.0.0.1", port=unused_port()))
        try:
            async with client_from("127.0.0.1") as client:
                yield Served(url, client, world)
        finally:
            await runner.cleanup()


async def test_agent_changes_and_passwords_leave_one_row_each_without_secrets(
    served: Served,
) -> None:
    admin = await signed_in_headers(served.client, served.url, "7001")
    steps = [
        ("POST", "/agents", NEW_AGENT, 201),
        ("PATCH", "/agents/8101", {"team": "sales", "password": "second-password"}, 200),
        ("POST", "/agents/8101/password", {"password": "third-password"}, 204),
        ("DELETE", "/agents/8101", None, 204),
    ]
    for method, path, body, status in steps:
        assert (await served.call(method, path, admin, body))[0] == status, path

    entries = await served.audit(admin, target="8101")
    assert [e["action"] for e in entries] == [
        "agent-deleted",
        "password-set",
        "agent-changed",
        "agent-created",
    ]
    for entry in entries:
        assert (entry["actor"], entry["actor_role"]) == ("7001", "admin")
        assert entry["client_address"] == "127.0.0.1" and entry["at"]
    created, changed = entries[3]["changes"], entries[2]["changes"]
    assert created["name"] == "赵敏" and created["password"] == "(set)"
    assert changed == {"team": "sales", "password": "(set)"}
    assert entries[1]["changes"] == {"password": "(set)"}
    text = str(entries)
    for secret in ("first-password-8101", "second-password", "third-password", PASSWORD):
        assert secret not in text


async def test_campaign_and_do_not_call_changes_leave_one_row_each(served: Served) -> None:
    status, campaign = await served.call("POST", "/campaigns", BEARER, CAMPAIGN)
    assert status == 201, campaign
    cid = campaign["id"]
    for action in ("start", "pause", "resume", "stop"):
        assert (await served.call("POST", f"/campaigns/{cid}/{action}", BEARER))[0] == 200
    dnc = {"number": "13800138000", "reason": "asked on the phone"}
    assert (await served.call("POST", "/do-not-call", BEARER, dnc))[0] == 201
    assert (await served.call("DELETE", "/do-not-call/13800138000", BEARER))[0] == 204

    runs = await served.audit(BEARER, target=cid)
    assert [e["action"] for e in reversed(runs)] == [
        "campaign-created",
        "campaign-started",
        "campaign-paused",
        "campaign-resumed",
        "campaign-stopped",
    ]
    assert runs[0]["changes"] == {"state": "stopped"}
    assert {(e["actor"], e["actor_role"]) for e in runs} == {("api-token", "admin")}
    numbers = await served.audit(BEARER, target="13800138000")
    assert [e["action"] for e in numbers] == ["do-not-call-removed", "do-not-call-added"]
    assert numbers[1]["changes"] == {"reason": "asked on the phone"}


async def test_the_audit_log_is_for_admins_only_filtered_and_paged(served: Served) -> None:
    for extension in ("8102", "8103", "8104"):
        body = {**NEW_AGENT, "extension": extension}
        assert (await served.call("POST", "/agents", BEARER, body))[0] == 201
    await served.call("DELETE", "/agents/8103", BEARER)

    for extension in ("9001", "8001"):  # a supervisor, an agent
        headers = await signed_in_headers(served.client, served.url, extension)
        status, body = await served.call("GET", "/audit", headers)
        assert (status, body["error"]) == (403, "forbidden")
    assert (await served.call("GET", "/audit", {}))[0] == 401

    created = await served.audit(BEARER, action="agent-created")
    assert [e["target"] for e in created] == ["8104", "8103", "8102"]
    page = await served.audit(BEARER, action="agent-created", limit="1", offset="1")
    assert [e["target"] for e in page] == ["8103"]
    assert [e["action"] for e in await served.audit(BEARER, actor="api-token", target="8103")] == [
        "agent-deleted",
        "agent-created",
    ]
    status, body = await served.call("GET", "/audit?action=nonsense", BEARER)
    assert (status, body["error"]) == (400, "bad-request")


async def test_entries_are_kept_183_days_at_least_and_purged_after_their_retention(
    database: Database,
) -> None:
    with pytest.raises(ValueError, match="183"):
        AuditRepository(database.sessions, retention_days=182)
    audit = AuditRepository(database.sessions, retention_days=183, now=lambda: NOW)
    for age in (184, 182, 1):
        entry = AuditEntry(
            NOW - timedelta(days=age),
            "7001",
            "admin",
            "10.0.0.1",
            AuditAction.AGENT_DELETED,
            f"{age}",
        )
        await audit.record(entry)
    assert await audit.purge_expired() == 1
    kept = await audit.list(AuditQuery())
    assert [e.target for e in kept] == ["1", "182"]
