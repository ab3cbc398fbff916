"""The REST API's agents, agent state, callbacks and queue endpoints over a real socket, with
the CRM on SQLite and PostgreSQL and a small in-memory ACD."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from crm_bridge.calls.records import CallRecord
from crm_bridge.db import Database
from crm_bridge.repositories import (
    AgentRepository,
    CallbackRepository,
    CallbackRequest,
    CallRepository,
)
from ivr_acd.web.app import API, ApiDeps, build_api
from ivr_acd.web.openapi import OPENAPI

pytestmark = pytest.mark.integration

TOKEN = "test-token-123"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
T0 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
NEW_AGENT: dict[str, Any] = {
    "extension": "8101",
    "name": "赵敏",
    "password": "first-password",
    "languages": ["zh"],
    "team": "claims",
    "skills": {"claims": 4},
}


class Refusal(Exception):
    """How the fake ACD refuses: an exception with a stable ``code``, as the real one does."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code


@dataclass
class FakeAcd:
    """Agent states in a dict: logged-out → ready ⇄ paused; 8003 is on a call."""

    known: set[str] = field(default_factory=lambda: {"8001", "8002", "8003", "8101"})
    states: dict[str, tuple[str, str]] = field(default_factory=lambda: {"8003": ("on-call", "")})
    queues: dict[str, Any] = field(default_factory=lambda: {"claims": {"waiting": 2}})
    broken: bool = False

    def _current(self, extension: str) -> str:
        if extension not in self.known:
            raise Refusal("unknown-agent", f"no agent {extension}")
        return self.states.get(extension, ("logged-out", ""))[0]

    async def login(self, extension: str) -> None:
        if self._current(extension) != "logged-out":
            raise Refusal("agent-already-logged-in", f"agent {extension} is logged in")
        self.states[extension] = ("ready", "")

    async def logout(self, extension: str) -> None:
        if self._current(extension) == "on-call":
            raise Refusal("agent-busy", f"agent {extension} is on a call")
        self.states[extension] = ("logged-out", "")

    async def pause(self, extension: str, reason: str) -> None:
        if self._current(extension) == "logged-out":
            raise Refusal("agent-not-logged-in", f"agent {extension} is not logged in")
        if reason == "nap":
            raise Refusal("no-such-reason-code", "nap is not a pause reason")
        self.states[extension] = ("paused", reason)

    async def unpause(self, extension: str) -> None:
        if self._current(extension) != "paused":
            raise Refusal("invalid-transition", f"agent {extension} is not paused")
        self.states[extension] = ("ready", "")

    async def state(self, extension: str) -> Mapping[str, Any]:
        state = self._current(extension)
        return {"extension": extension, "state": state, "reason": self.states[extension][1]}

    async def snapshot(self) -> Mapping[str, Any]:
        if self.broken:
            raise RuntimeError("redis went away")
        return {"queues": self.queues}


@dataclass
class Changes:
    seen: list[str] = field(default_factory=list)
    fail: bool = False

    async def __call__(self, extension: str) -> None:
        self.seen.append(extension)
        if self.fail:
            raise RuntimeError("PJSIP reload failed")


class NoCalls:
    async def list(
        self,
        since: datetime | None,
        until: datetime | None,
        caller: str | None,
        limit: int = 100,
        offset: int = 0,
        agent: str | None = None,
    ) -> list[CallRecord]:
        return []


async def _no_live_calls() -> list[Any]:
    return []


async def _healthy() -> dict[str, Any]:
    return {"database": {"ok": True}}


Client = TestClient[web.Request, web.Application]


@pytest.fixture
def acd() -> FakeAcd:
    return FakeAcd()


@pytest.fixture
def changes() -> Changes:
    return Changes()


async def _serve(deps: ApiDeps) -> AsyncIterator[Client]:
    client = TestClient(TestServer(build_api(deps)))
    await client.start_server()
    try:
        yield client
    finally:
        await client.close()


@pytest.fixture
async def client(database: Database, acd: FakeAcd, changes: Changes) -> AsyncIterator[Client]:
    """Everything wired: the CRM on the database under test, the fake ACD, the hook."""
    deps = ApiDeps(
        calls=CallRepository(database.sessions),
        live_calls=_no_live_calls,
        health=_healthy,
        api_token=TOKEN,
        agents=AgentRepository(database.sessions),
        callbacks=CallbackRepository(database.sessions),
        agent_control=acd,
        queue_stats=acd,
        on_agents_changed=changes,
    )
    async for served in _serve(deps):
        yield served


@pytest.fixture
async def acd_client(acd: FakeAcd) -> AsyncIterator[Client]:
    """The ACD's endpoints alone (no database)."""
    deps = ApiDeps(NoCalls(), _no_live_calls, _healthy, TOKEN, agent_control=acd, queue_stats=acd)
    async for served in _serve(deps):
        yield served


@pytest.fixture
async def bare_client() -> AsyncIterator[Client]:
    """Built as ivr_acd.controller built it before the ACD: no ACD ports at all."""
    async for served in _serve(ApiDeps(NoCalls(), _no_live_calls, _healthy, TOKEN)):
        yield served


ENDPOINTS = [
    ("GET", "/agents"),
    ("POST", "/agents"),
    ("GET", "/agents/8001"),
    ("PATCH", "/agents/8001"),
    ("DELETE", "/agents/8001"),
    ("GET", "/agents/8001/state"),
    ("POST", "/agents/8001/login"),
    ("POST", "/agents/8001/logout"),
    ("POST", "/agents/8001/pause"),
    ("POST", "/agents/8001/unpause"),
    ("GET", "/callbacks"),
    ("GET", "/queues"),
]


async def _json(response: Any, status: int) -> Any:
    assert response.status == status, await response.text()
    assert response.content_type == "application/json"
    return await response.json()


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
async def test_every_endpoint_needs_the_token(
    acd_client: Client, bare_client: Client, method: str, path: str
) -> None:
    anonymous = await acd_client.request(method, API + path, json={})
    unwired = await bare_client.request(method, API + path, json={})
    wrong = await acd_client.request(
        method, API + path, json={}, headers={"Authorization": "Bearer nope"}
    )
    assert (await _json(anonymous, 401))["error"] == "unauthenticated"
    assert (await _json(unwired, 401))["error"] == "unauthenticated"
    assert (await _json(wrong, 403))["error"] == "forbidden"


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
async def test_without_the_acd_ports_endpoints_answer_503(
    bare_client: Client, method: str, path: str
) -> None:
    body = {**NEW_AGENT} if method == "POST" else {"team": "vip", "reason": "lunch"}
    response = await bare_client.request(method, API + path, json=body, headers=AUTH)
    assert (await _json(response, 503))["error"] == "acd-unavailable"


async def test_agents_are_created_read_changed_and_deleted(
    client: Client, changes: Changes
) -> None:
    created = await client.post(f"{API}/agents", json=NEW_AGENT, headers=AUTH)
    agent = (await _json(created, 201))["agent"]
    assert created.headers["Location"] == f"{API}/agents/8101"
    assert agent["skills"] == {"claims": 4} and "password" not in agent

    listed = await _json(await client.get(f"{API}/agents", headers=AUTH), 200)
    read = await _json(await client.get(f"{API}/agents/8101", headers=AUTH), 200)
    patched = await client.patch(
        f"{API}/agents/8101", json={"skills": {"claims": 5, "vip": 2}}, headers=AUTH
    )
    deleted = await client.delete(f"{API}/agents/8101", headers=AUTH)
    gone = await client.get(f"{API}/agents/8101", headers=AUTH)

    assert listed == {"agents": [agent]} and read == {"agent": agent}
    assert (await _json(patched, 200))["agent"]["skills"] == {"claims": 5, "vip": 2}
    assert deleted.status == 204
    assert (await _json(gone, 404))["error"] == "unknown-agent"
    assert changes.seen == ["8101", "8101", "8101"]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({**NEW_AGENT, "skills": {"claims": 7}}, 422, "invalid-agent"),
        ({**NEW_AGENT, "skills": {"claims": "4"}}, 422, "invalid-agent"),
        ({**NEW_AGENT, "languages": ["fr"]}, 422, "invalid-agent"),
        ({**NEW_AGENT, "role": "root"}, 422, "invalid-agent"),
        ({**NEW_AGENT, "extension": "80x1"}, 422, "invalid-agent"),
        ({**NEW_AGENT, "password": "short"}, 422, "invalid-agent"),
        ({k: v for k, v in NEW_AGENT.items() if k != "name"}, 422, "invalid-agent"),
        ({**NEW_AGENT, "sip_secret": "mine"}, 422, "invalid-agent"),
        ({**NEW_AGENT, "extension": "8001"}, 409, "agent-exists"),
        ([NEW_AGENT], 400, "bad-request"),
    ],
)
async def test_a_bad_new_agent_gets_a_json_reason(
    client: Client, changes: Changes, body: object, status: int, code: str
) -> None:
    await client.post(f"{API}/agents", json={**NEW_AGENT, "extension": "8001"}, headers=AUTH)
    changes.seen.clear()
    response = await client.post(f"{API}/agents", json=body, headers=AUTH)
    answer = await _json(response, status)
    assert answer["error"] == code and answer["reason"]
    assert changes.seen == []


@pytest.mark.parametrize("raw", [b"{not json", b"", "\u00ff".encode("latin-1")])
async def test_a_body_that_is_not_json_is_a_400(client: Client, raw: bytes) -> None:
    for method, path in (("POST", "/agents"), ("PATCH", "/agents/8001")):
        response = await client.request(method, API + path, data=raw, headers=AUTH)
        assert (await _json(response, 400))["error"] == "bad-request"


@pytest.mark.parametrize(
    ("path", "body", "status", "code"),
    [
        ("/agents/8999", {"team": "vip"}, 404, "unknown-agent"),
        ("/agents/abc", {"team": "vip"}, 404, "unknown-agent"),
        ("/agents/8101", {}, 422, "invalid-agent"),
        ("/agents/8101", {"extension": "8102"}, 422, "invalid-agent"),
        ("/agents/8101", {"skills": {"claims": 0}}, 422, "invalid-agent"),
        ("/agents/8101", {"wrapup_seconds": "soon"}, 422, "invalid-agent"),
    ],
)
async def test_a_bad_change_gets_a_json_reason(
    client: Client, changes: Changes, path: str, body: object, status: int, code: str
) -> None:
    await client.post(f"{API}/agents", json=NEW_AGENT, headers=AUTH)
    changes.seen.clear()
    response = await client.patch(API + path, json=body, headers=AUTH)
    assert (await _json(response, status))["error"] == code
    assert changes.seen == []
    deleted = await client.delete(f"{API}/agents/8999", headers=AUTH)
    assert (await _json(deleted, 404))["error"] == "unknown-agent"


async def test_a_failing_hook_is_logged_and_the_change_stands(
    client: Client, changes: Changes, caplog: pytest.LogCaptureFixture
) -> None:
    changes.fail = True
    created = await client.post(f"{API}/agents", json=NEW_AGENT, headers=AUTH)
    await _json(created, 201)
    assert changes.seen == ["8101"]
    assert "on_agents_changed hook failed" in caplog.text
    assert (await client.get(f"{API}/agents/8101", headers=AUTH)).status == 200


async def test_an_agents_day_through_the_acd(acd_client: Client) -> None:
    client = acd_client
    base = f"{API}/agents/8001"
    steps = [
        await client.post(f"{base}/login", headers=AUTH),
        await client.post(f"{base}/pause", json={"reason": "lunch"}, headers=AUTH),
        await client.get(f"{base}/state", headers=AUTH),
        await client.post(f"{base}/unpause", headers=AUTH),
        await client.post(f"{base}/logout", headers=AUTH),
    ]
    seen = [await _json(response, 200) for response in steps]
    assert [(s["state"], s["reason"]) for s in seen] == [
        ("ready", ""),
        ("paused", "lunch"),
        ("paused", "lunch"),
        ("ready", ""),
        ("logged-out", ""),
    ]


@pytest.mark.parametrize(
    ("path", "body", "status", "code"),
    [
        ("/agents/8001/pause", {"reason": "lunch"}, 409, "agent-not-logged-in"),
        ("/agents/8001/unpause", None, 409, "invalid-transition"),
        ("/agents/8003/logout", None, 409, "agent-busy"),
        ("/agents/8003/login", None, 409, "agent-already-logged-in"),
        ("/agents/8999/login", None, 404, "unknown-agent"),
        ("/agents/abc/login", None, 404, "unknown-agent"),
        ("/agents/8003/pause", {"reason": "nap"}, 409, "no-such-reason-code"),
        ("/agents/8003/pause", {}, 400, "bad-request"),
        ("/agents/8003/pause", {"reason": ""}, 400, "bad-request"),
        ("/agents/8003/pause", {"reason": 5}, 400, "bad-request"),
        ("/agents/8003/pause", ["lunch"], 400, "bad-request"),
    ],
)
async def test_refusals_of_the_acd_keep_their_codes(
    acd_client: Client, path: str, body: object, status: int, code: str
) -> None:
    response = await acd_client.post(API + path, json=body, headers=AUTH)
    answer = await _json(response, status)
    assert answer["error"] == code and answer["reason"]


async def test_callbacks_are_listed_with_filters(client: Client, database: Database) -> None:
    callbacks = CallbackRepository(database.sessions)
    for linkedid, kind in (("1.1", "requested"), ("1.2", "abandoned")):
        await callbacks.create(
            CallbackRequest("13800138000", linkedid, kind, "claims", T0, T0 + timedelta(minutes=1))
        )

    every = await _json(await client.get(f"{API}/callbacks", headers=AUTH), 200)
    abandoned = await client.get(f"{API}/callbacks?kind=abandoned&status=pending", headers=AUTH)
    none_done = await client.get(f"{API}/callbacks?status=done", headers=AUTH)

    assert [c["call_linkedid"] for c in every["callbacks"]] == ["1.1", "1.2"]
    assert [c["kind"] for c in (await _json(abandoned, 200))["callbacks"]] == ["abandoned"]
    assert await _json(none_done, 200) == {"callbacks": []}
    for query in ("status=lost", "kind=later", "since=yesterday", "limit=-1"):
        response = await client.get(f"{API}/callbacks?{query}", headers=AUTH)
        assert (await _json(response, 400))["error"] == "bad-request"


async def test_queue_stats_come_from_the_acd(acd_client: Client, acd: FakeAcd) -> None:
    stats = await _json(await acd_client.get(f"{API}/queues", headers=AUTH), 200)
    acd.broken = True
    broken = await acd_client.get(f"{API}/queues", headers=AUTH)
    assert stats == {"queues": {"claims": {"waiting": 2}}}
    assert (await _json(broken, 500))["error"] == "internal-error"


async def test_calls_list_their_routing_facts(client: Client, database: Database) -> None:
    await CallRepository(database.sessions).save(
        CallRecord(
            linkedid="1.9",
            direction="inbound",
            caller_number="13800138000",
            did="4008001000",
            start_time=T0,
            answer_time=None,
            end_time=T0 + timedelta(seconds=90),
            duration=90,
            billsec=0,
            disposition="NO ANSWER",
            hangup_cause=16,
            hangup_cause_text="Normal Clearing",
            language="en",
            ivr_path="language:2>main:0>agents",
            agent_extension=None,
            queue="vip",
            wait_seconds=88,
            vip=True,
            escalation_step="relax-level",
            abandoned=True,
        )
    )
    [call] = (await _json(await client.get(f"{API}/calls", headers=AUTH), 200))["calls"]
    facts = {name: call[name] for name in ("queue", "wait_seconds", "vip", "abandoned")}
    assert facts == {"queue": "vip", "wait_seconds": 88, "vip": True, "abandoned": True}
    assert (call["escalation_step"], call["blacklisted"]) == ("relax-level", False)
    assert set(call) >= set(OPENAPI["components"]["schemas"]["Call"]["properties"])


async def test_the_openapi_document_has_every_route(bare_client: Client) -> None:
    document = await _json(await bare_client.get(f"{API}/openapi.json"), 200)
    assert bare_client.app is not None
    routes = {
        (route.method.lower(), re.sub(r"^/api/v1", "", route.resource.canonical))
        for route in bare_client.app.router.routes()
        if route.resource is not None and route.method not in ("HEAD", "*")
    }
    assert routes
    for method, path in routes:
        assert method in document["paths"].get(path, {}), (method, path)
