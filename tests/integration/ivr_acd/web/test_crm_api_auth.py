"""Console sign-in and the roles over a real socket: sessions and log-in counters in the real
Redis (127.0.0.1:6379, a prefix of the test's own), the CRM's agents on SQLite and PostgreSQL,
a small in-memory ACD."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
import redis.asyncio as aioredis
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from crm_bridge.agent_specs import NewAgent
from crm_bridge.db import Database
from crm_bridge.repositories import AgentRepository, CallRepository
from crm_bridge.vocab import Role
from ivr_acd.web.app import API, ApiDeps, build_api
from ivr_acd.web.auth.routes import COOKIE, CSRF_HEADER
from ivr_acd.web.auth.sessions import LoginLimiter, SessionStore, token_digest
from ivr_acd.web.openapi import OPENAPI
from tests.call_records import call_record
from wire import redis_keys

pytestmark = pytest.mark.integration

REDIS_URL = "redis://127.0.0.1:6379/0"
TOKEN = "test-token-123"
BEARER = {"Authorization": f"Bearer {TOKEN}"}
PASSWORD = "secret-password"
IDLE_SECONDS = 600.0
# extension -> (name, team, role)
PEOPLE = {
    "8001": ("李娜", "claims", "agent"),
    "8002": ("王伟", "claims", "agent"),
    "8003": ("Mary Chen", "sales", "agent"),
    "9001": ("张敏", "claims", "supervisor"),
    "9002": ("Tom Wu", "sales", "supervisor"),
    "7001": ("Admin", "ops", "admin"),
}


@dataclass
class FakeAcd:
    """Agent states in a dict: logged-out → ready → logged-out."""

    states: dict[str, str] = field(default_factory=dict)

    def _known(self, extension: str) -> None:
        if extension not in PEOPLE:
            raise LookupError(extension)

    async def login(self, extension: str) -> None:
        self._known(extension)
        self.states[extension] = "ready"

    async def logout(self, extension: str) -> None:
        self.states[extension] = "logged-out"

    async def pause(self, extension: str, reason: str) -> None:
        self.states[extension] = "paused"

    async def unpause(self, extension: str) -> None:
        self.states[extension] = "ready"

    async def state(self, extension: str) -> Mapping[str, Any]:
        return {"extension": extension, "state": self.states.get(extension, "logged-out")}

    async def snapshot(self) -> Mapping[str, Any]:
        return {"queues": {}}


async def _no_live_calls() -> list[Any]:
    return []


async def _healthy() -> dict[str, Any]:
    return {"database": {"ok": True}}


Client = TestClient[web.Request, web.Application]


@dataclass
class World:
    redis: aioredis.Redis
    prefix: str
    database: Database
    acd: FakeAcd

    def deps(self, redis: aioredis.Redis | None = None) -> ApiDeps:
        store = redis or self.redis
        return ApiDeps(
            calls=CallRepository(self.database.sessions),
            live_calls=_no_live_calls,
            health=_healthy,
            api_token=TOKEN,
            agents=AgentRepository(self.database.sessions),
            agent_control=self.acd,
            queue_stats=self.acd,
            sessions=SessionStore(store, self.prefix, IDLE_SECONDS),
            login_limiter=LoginLimiter(store, self.prefix),
        )


async def _drop(client: aioredis.Redis, prefix: str) -> None:
    keys = [k async for k in client.scan_iter(f"{prefix}:*")]
    if keys:
        await client.delete(*keys)


@pytest.fixture
async def world(database: Database) -> AsyncIterator[World]:
    agents = AgentRepository(database.sessions)
    for extension, (name, team, role) in PEOPLE.items():
        await agents.create(_new_agent(extension, name, team, role))
    redis = aioredis.from_url(REDIS_URL)
    prefix = f"test-{uuid.uuid4().hex[:8]}"
    try:
        yield World(redis, prefix, database, FakeAcd())
    finally:
        await _drop(redis, prefix)
        await redis.aclose()


def _new_agent(extension: str, name: str, team: str, role: str) -> NewAgent:
    return NewAgent(extension, name, PASSWORD, ("zh",), team, role, skills={team: 3})


async def _serve(deps: ApiDeps) -> AsyncIterator[Client]:
    """A client that keeps no cookies: each request says whose session it is."""
    client = TestClient(TestServer(build_api(deps)), cookie_jar=aiohttp.DummyCookieJar())
    await client.start_server()
    try:
        yield client
    finally:
        await client.close()


@pytest.fixture
async def client(world: World) -> AsyncIterator[Client]:
    async for served in _serve(world.deps()):
        yield served


@dataclass(frozen=True)
class Signed:
    """A signed-in console user: the cookie value and the CSRF token."""

    token: str
    csrf: str

    def headers(self, csrf: str | None = "own") -> dict[str, str]:
        headers = {"Cookie": f"{COOKIE}={self.token}"}
        if csrf is not None:
            headers[CSRF_HEADER] = self.csrf if csrf == "own" else csrf
        return headers


async def _json(response: Any, status: int) -> Any:
    assert response.status == status, await response.text()
    assert response.content_type == "application/json"
    return await response.json()


async def _login(client: Client, extension: str, password: str = PASSWORD, **headers: str) -> Any:
    body = {"extension": extension, "password": password}
    return await client.post(f"{API}/auth/login", json=body, headers=headers)


async def sign_in(client: Client, extension: str, password: str = PASSWORD) -> Signed:
    response = await _login(client, extension, password)
    answer = await _json(response, 200)
    return Signed(response.cookies[COOKIE].value, answer["csrf_token"])


# ---- log-in, me, log-out -------------------------------------------------------------------


async def test_a_log_in_answers_who_and_sets_a_strict_http_only_cookie(
    client: Client, world: World
) -> None:
    response = await _login(client, "9001")
    answer = await _json(response, 200)
    cookie = response.headers["Set-Cookie"]
    token = response.cookies[COOKIE].value

    assert answer["extension"] == "9001" and answer["name"] == "张敏"
    assert (answer["role"], answer["team"]) == ("supervisor", "claims")
    assert len(answer["csrf_token"]) >= 43 and len(token) == 43
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
    stored = await world.redis.hgetall(redis_keys.web_session(token_digest(token), world.prefix))
    assert stored[b"extension"] == b"9001" and token.encode() not in stored.values()
    assert not [k async for k in world.redis.scan_iter(f"{world.prefix}:*{token}*")]

    me = await client.get(f"{API}/auth/me", headers={"Cookie": f"{COOKIE}={token}"})
    assert await _json(me, 200) == answer


async def test_the_bearer_token_is_an_admin_without_extension(client: Client) -> None:
    me = await _json(await client.get(f"{API}/auth/me", headers=BEARER), 200)
    assert me == {
        "extension": None,
        "name": "api-token",
        "role": "admin",
        "team": None,
        "csrf_token": None,
        "locale": None,
    }


async def test_a_wrong_password_and_an_unknown_agent_get_the_same_401(client: Client) -> None:
    wrong = await _login(client, "8001", "not-the-password")
    unknown = await _login(client, "8999", PASSWORD)
    answers = [await _json(wrong, 401), await _json(unknown, 401)]
    assert answers[0] == answers[1]
    assert answers[0]["error"] == "bad-credentials" and answers[0]["reason"]
    assert COOKIE not in wrong.cookies and COOKIE not in unknown.cookies


@pytest.mark.parametrize(
    "body", [{"extension": "8001"}, {"extension": 8001, "password": "x"}, ["8001"], {}]
)
async def test_a_malformed_log_in_is_a_400(client: Client, body: object) -> None:
    response = await client.post(f"{API}/auth/login", json=body)
    assert (await _json(response, 400))["error"] == "bad-request"


async def test_a_log_in_from_another_site_is_refused(client: Client) -> None:
    host = f"{client.host}:{client.port}"
    other = await _login(client, "8001", Origin="https://evil.example")
    blank = await _login(client, "8001", Origin="null")
    fetched = await _login(client, "8001", **{"Sec-Fetch-Site": "cross-site"})
    same = await _login(client, "8001", Origin=f"http://{host}")
    for response in (other, blank, fetched):
        assert (await _json(response, 403))["error"] == "csrf"
    assert (await _json(same, 200))["extension"] == "8001"


async def test_logging_out_ends_the_session(client: Client, world: World) -> None:
    user = await sign_in(client, "8001")
    key = redis_keys.web_session(token_digest(user.token), world.prefix)
    refused = await client.post(f"{API}/auth/logout", headers=user.headers(csrf=None))
    assert (await _json(refused, 403))["error"] == "csrf"

    out = await client.post(f"{API}/auth/logout", headers=user.headers())
    after = await client.get(f"{API}/auth/me", headers=user.headers())
    again = await client.post(f"{API}/auth/logout")

    assert out.status == 204 and f"{COOKIE}=" in out.headers["Set-Cookie"]
    assert (await _json(after, 401))["error"] == "unauthenticated"
    assert not await world.redis.exists(key)
    assert again.status == 204


async def test_a_session_expires_when_idle_and_use_keeps_it(client: Client, world: World) -> None:
    user, other = await sign_in(client, "8001"), await sign_in(client, "8002")
    key = redis_keys.web_session(token_digest(user.token), world.prefix)
    assert 0 < await world.redis.pttl(key) <= IDLE_SECONDS * 1000

    await world.redis.pexpire(key, 5000)  # nearly idle for long enough...
    await _json(await client.get(f"{API}/auth/me", headers=user.headers()), 200)
    assert await world.redis.pttl(key) > (IDLE_SECONDS - 60) * 1000  # ...used: a full term

    other_key = redis_keys.web_session(token_digest(other.token), world.prefix)
    await world.redis.pexpire(other_key, 1)
    await asyncio.sleep(0.05)
    expired = await client.get(f"{API}/auth/me", headers=other.headers())
    assert (await _json(expired, 401))["error"] == "unauthenticated"


async def test_a_new_log_in_replaces_the_session_it_came_with(client: Client, world: World) -> None:
    first = await sign_in(client, "8001")
    body = {"extension": "8001", "password": PASSWORD}
    response = await client.post(f"{API}/auth/login", json=body, headers=first.headers(None))
    second = response.cookies[COOKIE].value
    assert second != first.token
    old = await client.get(f"{API}/auth/me", headers=first.headers())
    assert old.status == 401


# ---- 401 and 403 ---------------------------------------------------------------------------

SIGNED_IN_ENDPOINTS = [
    ("GET", "/auth/me"),
    ("PUT", "/auth/me/locale"),
    ("GET", "/calls"),
    ("GET", "/calls/live"),
    ("GET", "/queues"),
    ("GET", "/agents"),
    ("POST", "/agents"),
    ("GET", "/agents/8001"),
    ("PATCH", "/agents/8001"),
    ("DELETE", "/agents/8001"),
    ("GET", "/agents/8001/state"),
    ("POST", "/agents/8001/login"),
    ("POST", "/agents/8001/password"),
]


@pytest.mark.parametrize(("method", "path"), SIGNED_IN_ENDPOINTS)
async def test_without_a_session_or_token_it_is_a_401(
    client: Client, method: str, path: str
) -> None:
    stale = {"Cookie": f"{COOKIE}={'x' * 43}", CSRF_HEADER: "whatever"}
    for headers in ({}, stale):
        response = await client.request(method, API + path, json={}, headers=headers)
        answer = await _json(response, 401)
        assert answer["error"] == "unauthenticated" and answer["reason"]


async def test_health_and_the_openapi_document_stay_open(client: Client) -> None:
    assert (await client.get(f"{API}/health")).status == 200
    document = await _json(await client.get(f"{API}/openapi.json"), 200)
    assert document["components"]["securitySchemes"]["session"]["name"] == COOKIE
    for path in ("/auth/login", "/auth/logout", "/auth/me", "/agents/{extension}/password"):
        assert path in document["paths"]
    assert document == OPENAPI


@pytest.mark.parametrize("extension", ["8001", "9001"])
async def test_only_an_admin_manages_agents(client: Client, extension: str) -> None:
    user = await sign_in(client, extension)
    new = {"extension": "8101", "name": "赵敏", "password": "first-password"}
    new |= {"languages": ["zh"], "team": "claims"}
    refused = [
        await client.post(f"{API}/agents", json=new, headers=user.headers()),
        await client.patch(f"{API}/agents/8002", json={"team": "x"}, headers=user.headers()),
        await client.delete(f"{API}/agents/8002", headers=user.headers()),
    ]
    for response in refused:
        answer = await _json(response, 403)
        assert answer["error"] == "forbidden" and "admin" in answer["reason"]

    admin = await sign_in(client, "7001")
    created = await client.post(f"{API}/agents", json=new, headers=admin.headers())
    assert (await _json(created, 201))["agent"]["extension"] == "8101"
    listed = await _json(await client.get(f"{API}/agents", headers=user.headers()), 200)
    assert "8101" in {agent["extension"] for agent in listed["agents"]}


async def test_every_signed_in_role_reads_queues_live_calls_and_agents(client: Client) -> None:
    for extension in ("8001", "9001", "7001"):
        user = await sign_in(client, extension)
        for path in ("/queues", "/calls/live", "/agents", "/agents/8003", "/calls"):
            response = await client.get(API + path, headers=user.headers(csrf=None))
            assert response.status == 200, (extension, path, await response.text())


# ---- CSRF ----------------------------------------------------------------------------------


async def test_an_unsafe_request_of_a_session_needs_its_csrf_token(
    client: Client, world: World
) -> None:
    user, other = await sign_in(client, "8001"), await sign_in(client, "8002")
    path = f"{API}/agents/8001/login"
    missing = await client.post(path, headers=user.headers(csrf=None))
    wrong = await client.post(path, headers=user.headers(csrf="x" * 43))
    someone_elses = await client.post(path, headers=user.headers(csrf=other.csrf))
    for response in (missing, wrong, someone_elses):
        answer = await _json(response, 403)
        assert answer["error"] == "csrf" and CSRF_HEADER in answer["reason"]
    assert world.acd.states == {}

    done = await client.post(path, headers=user.headers())
    assert (await _json(done, 200))["state"] == "ready"


async def test_the_bearer_token_needs_no_csrf_token_even_beside_a_cookie(
    client: Client, world: World
) -> None:
    user = await sign_in(client, "8001")
    headers = {**BEARER, **user.headers(csrf=None)}
    response = await client.post(f"{API}/agents/8002/login", headers=headers)
    assert (await _json(response, 200))["state"] == "ready"  # as admin, not as 8001


# ---- who may act for whom -------------------------------------------------------------------


async def test_an_agent_acts_for_themself_only(client: Client, world: World) -> None:
    agent = await sign_in(client, "8001")
    own = await client.post(f"{API}/agents/8001/login", headers=agent.headers())
    mine = await client.get(f"{API}/agents/8001/state", headers=agent.headers())
    theirs = [
        await client.post(f"{API}/agents/8002/login", headers=agent.headers()),
        await client.post(f"{API}/agents/8002/logout", headers=agent.headers()),
        await client.post(
            f"{API}/agents/8002/pause", json={"reason": "lunch"}, headers=agent.headers()
        ),
        await client.post(f"{API}/agents/8002/unpause", headers=agent.headers()),
        await client.get(f"{API}/agents/8002/state", headers=agent.headers()),
    ]
    assert (await _json(own, 200))["state"] == "ready"
    assert (await _json(mine, 200))["state"] == "ready"
    for response in theirs:
        assert (await _json(response, 403))["error"] == "forbidden"
    assert world.acd.states == {"8001": "ready"}


async def test_a_supervisor_acts_for_their_own_team(client: Client, world: World) -> None:
    supervisor = await sign_in(client, "9001")  # claims
    team = await client.post(f"{API}/agents/8002/login", headers=supervisor.headers())
    other_team = await client.post(f"{API}/agents/8003/login", headers=supervisor.headers())
    other_state = await client.get(f"{API}/agents/8003/state", headers=supervisor.headers())
    unknown = await client.post(f"{API}/agents/8999/login", headers=supervisor.headers())
    own = await client.post(f"{API}/agents/9001/logout", headers=supervisor.headers())

    assert (await _json(team, 200))["state"] == "ready"
    for response in (other_team, other_state):
        answer = await _json(response, 403)
        assert answer["error"] == "forbidden" and "team" in answer["reason"]
    assert (await _json(unknown, 404))["error"] == "unknown-agent"
    assert own.status == 200

    sales = await sign_in(client, "9002")
    assert (await client.post(f"{API}/agents/8003/login", headers=sales.headers())).status == 200
    admin = await sign_in(client, "7001")
    assert (await client.post(f"{API}/agents/8001/login", headers=admin.headers())).status == 200
    assert world.acd.states == {
        "8002": "ready",
        "9001": "logged-out",
        "8003": "ready",
        "8001": "ready",
    }


async def test_an_agent_sees_their_own_calls_only(client: Client, world: World) -> None:
    calls = CallRepository(world.database.sessions)
    for linkedid, agent in (("1.1", "8001"), ("1.2", "8002"), ("1.3", None)):
        await calls.save(call_record(linkedid, agent_extension=agent))

    agent = await sign_in(client, "8001")
    supervisor = await sign_in(client, "9001")

    async def linkedids(user: Signed, query: str = "") -> list[str]:
        response = await client.get(f"{API}/calls{query}", headers=user.headers(None))
        return sorted(call["linkedid"] for call in (await _json(response, 200))["calls"])

    assert await linkedids(agent) == ["1.1"]
    assert await linkedids(agent, "?agent=8001") == ["1.1"]
    assert await linkedids(supervisor) == ["1.1", "1.2", "1.3"]
    assert await linkedids(supervisor, "?agent=8002") == ["1.2"]
    snooping = await client.get(f"{API}/calls?agent=8002", headers=agent.headers(None))
    assert (await _json(snooping, 403))["error"] == "forbidden"
    bad = await client.get(f"{API}/calls?agent=me", headers=supervisor.headers(None))
    assert (await _json(bad, 400))["error"] == "bad-request"


# ---- log-in limits -------------------------------------------------------------------------


async def test_after_five_failures_log_ins_wait_on_every_controller(world: World) -> None:
    async for first in _serve(world.deps()):
        for _ in range(5):
            await _json(await _login(first, "8001", "wrong-password"), 401)
        blocked = await _login(first, "8001")  # even with the right password
        answer = await _json(blocked, 429)
        assert answer["error"] == "too-many-attempts" and answer["reason"]
        assert 0 < int(blocked.headers["Retry-After"]) <= 300
        # another controller, its own Redis connection, the same counters
        other_redis = aioredis.from_url(REDIS_URL)
        try:
            async for second in _serve(world.deps(other_redis)):
                again = await _login(second, "8001")
                assert (await _json(again, 429))["error"] == "too-many-attempts"
        finally:
            await other_redis.aclose()


async def test_attempts_count_per_extension_at_an_address_and_per_address(world: World) -> None:
    limiter = LoginLimiter(world.redis, world.prefix, attempts=3, window_seconds=60)
    for _ in range(3):  # one extension from one place
        assert await limiter.begin("8001", "10.0.0.1") == 0
    assert 0 < await limiter.begin("8001", "10.0.0.1") <= 60
    assert await limiter.begin("8001", "10.0.0.9") == 0  # the same extension elsewhere
    for extension in ("8002", "8003", "8004"):  # one place, many extensions
        assert await limiter.begin(extension, "10.0.0.5") == 0
    assert 0 < await limiter.begin("8005", "10.0.0.5") <= 60
    assert await limiter.begin("8006", "10.0.0.6") == 0


async def test_a_success_gives_its_attempt_back(world: World) -> None:
    limiter = LoginLimiter(world.redis, world.prefix, attempts=3, window_seconds=60)
    for _ in range(2):
        assert await limiter.begin("8001", "10.0.0.1") == 0  # two failures
    assert await limiter.begin("8001", "10.0.0.1") == 0
    await limiter.succeeded("8001", "10.0.0.1")  # the third was right
    ext = redis_keys.login_failures("ext-ip", "8001@10.0.0.1", world.prefix)
    address = redis_keys.login_failures("ip", "10.0.0.1", world.prefix)
    assert not await world.redis.exists(ext)
    assert int(await world.redis.get(address)) == 2
    assert await limiter.begin("8002", "10.0.0.1") == 0  # the address's third attempt
    await limiter.succeeded("8009", "10.0.0.7")  # nothing counted: nothing goes below 0
    assert not await world.redis.exists(redis_keys.login_failures("ip", "10.0.0.7", world.prefix))


async def test_parallel_guesses_are_all_counted(world: World) -> None:
    limiter = LoginLimiter(world.redis, world.prefix)
    waits = await asyncio.gather(*(limiter.begin("8001", "10.0.0.1") for _ in range(20)))
    assert sum(1 for wait in waits if wait == 0) == 5


async def test_failures_from_one_address_add_up_over_extensions(client: Client) -> None:
    for extension in ("8001", "8002", "8003", "8001", "8002"):
        await _json(await _login(client, extension, "wrong-password"), 401)
    blocked = await _login(client, "9001")
    assert (await _json(blocked, 429))["error"] == "too-many-attempts"


# ---- passwords -----------------------------------------------------------------------------


async def test_an_agent_changes_their_own_password(client: Client, world: World) -> None:
    here, elsewhere = await sign_in(client, "8001"), await sign_in(client, "8001")
    path = f"{API}/agents/8001/password"
    no_current = await client.post(
        path, json={"password": "new-password-1"}, headers=here.headers()
    )
    wrong = await client.post(
        path,
        json={"password": "new-password-1", "current_password": "guess"},
        headers=here.headers(),
    )
    short = await client.post(
        path, json={"password": "short", "current_password": PASSWORD}, headers=here.headers()
    )
    other = await client.post(
        f"{API}/agents/8002/password",
        json={"password": "new-password-1", "current_password": PASSWORD},
        headers=here.headers(),
    )
    done = await client.post(
        path,
        json={"password": "new-password-1", "current_password": PASSWORD},
        headers=here.headers(),
    )

    assert (await _json(no_current, 400))["error"] == "bad-request"
    assert (await _json(wrong, 403))["error"] == "wrong-password"
    assert (await _json(short, 422))["error"] == "invalid-agent"
    assert (await _json(other, 403))["error"] == "forbidden"
    assert done.status == 204
    assert (await client.get(f"{API}/auth/me", headers=here.headers())).status == 200
    assert (await client.get(f"{API}/auth/me", headers=elsewhere.headers())).status == 401
    assert (await _login(client, "8001")).status == 401
    assert (await _login(client, "8001", "new-password-1")).status == 200


async def test_an_admin_sets_any_password_and_role_changes_end_sessions(
    client: Client, world: World
) -> None:
    agent, admin = await sign_in(client, "8002"), await sign_in(client, "7001")
    body = {"password": "from-the-admin"}
    set_by_admin = await client.post(
        f"{API}/agents/8002/password", json=body, headers=admin.headers()
    )
    by_token = await client.post(f"{API}/agents/8003/password", json=body, headers=BEARER)
    nobody = await client.post(f"{API}/agents/8999/password", json=body, headers=BEARER)
    assert set_by_admin.status == 204 and by_token.status == 204
    assert (await _json(nobody, 404))["error"] == "unknown-agent"
    assert (await client.get(f"{API}/auth/me", headers=agent.headers())).status == 401
    assert (await _login(client, "8003", "from-the-admin")).status == 200

    supervisor = await sign_in(client, "9002")
    promoted = await client.patch(
        f"{API}/agents/9002", json={"role": "admin"}, headers=admin.headers()
    )
    assert (await _json(promoted, 200))["agent"]["role"] == "admin"
    assert (await client.get(f"{API}/auth/me", headers=supervisor.headers())).status == 401
    me = await _json(await client.get(f"{API}/auth/me", headers=admin.headers()), 200)
    assert me["role"] == "admin"


# ---- Redis down ----------------------------------------------------------------------------


async def test_without_redis_sign_in_is_a_503_and_health_stays_open(world: World) -> None:
    dead = aioredis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=1)
    try:
        async for client in _serve(world.deps(dead)):
            login = await _login(client, "8001")
            cookie = {"Cookie": f"{COOKIE}={'a' * 43}"}
            me = await client.get(f"{API}/auth/me", headers=cookie)
            health = await client.get(f"{API}/health", headers=cookie)
            token = await client.get(f"{API}/agents", headers=BEARER)
            assert (await _json(login, 503))["error"] == "sessions-unavailable"
            assert (await _json(me, 503))["error"] == "sessions-unavailable"
            assert health.status == 200 and token.status == 200
    finally:
        await dead.aclose()


async def test_a_session_store_gives_roles_back_as_stored(world: World) -> None:
    store = SessionStore(world.redis, world.prefix, 30)
    session = await store.create("9001", Role.SUPERVISOR, "claims", "张敏")
    found = await store.get(session.token)
    assert found == session
    assert await store.get("not a token") is None
    assert await store.end_all("9001", keep=session.token) == 0
    assert await store.end_all("9001") == 1
    assert await store.get(session.token) is None
