"""What the issue-11 web tests share: a real CRM (SQLite / PostgreSQL), sessions and log-in
counters in the real Redis under a prefix of the test's own, a dict-backed ACD; clients that
connect from a chosen loopback address (127.0.0.x) so the server sees different clients."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import aiohttp
import redis.asyncio as aioredis

from acd.core.wallboard import wallboard
from acd.dunning.facts import CampaignFacts
from acd.dunning.repository import CampaignRepository
from crm_bridge.agent_specs import NewAgent
from crm_bridge.audit.repository import AuditRepository
from crm_bridge.db import Database
from crm_bridge.repositories import AgentRepository, CallRepository
from ivr_acd.web.app import API, ApiDeps
from ivr_acd.web.auth.routes import COOKIE, CSRF_HEADER
from ivr_acd.web.auth.sessions import LoginLimiter, SessionStore

REDIS_URL = "redis://127.0.0.1:6379/0"
TOKEN = "hardening-test-token"
BEARER = {"Authorization": f"Bearer {TOKEN}"}
PASSWORD = "secret-password"
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
# extension -> (name, team, role)
PEOPLE = {
    "8001": ("李娜", "claims", "agent"),
    "9001": ("张敏", "claims", "supervisor"),
    "7001": ("Admin", "ops", "admin"),
}


@dataclass
class DictAcd:
    states: dict[str, str] = field(default_factory=dict)

    async def login(self, extension: str) -> None:
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
        return wallboard([], [], [], {}, NOW.timestamp())  # the real shape, nobody in line


async def _no_live_calls() -> list[Any]:
    return []


async def _healthy() -> dict[str, Any]:
    return {"database": {"ok": True}}


@dataclass
class Stack:
    redis: aioredis.Redis
    prefix: str
    database: Database
    acd: DictAcd = field(default_factory=DictAcd)

    def deps(self, **overrides: Any) -> ApiDeps:
        sessions = self.database.sessions
        deps = ApiDeps(
            calls=CallRepository(sessions),
            live_calls=_no_live_calls,
            health=_healthy,
            api_token=TOKEN,
            agents=AgentRepository(sessions),
            agent_control=self.acd,
            queue_stats=self.acd,
            sessions=SessionStore(self.redis, self.prefix, 600.0),
            login_limiter=LoginLimiter(self.redis, self.prefix),
            campaigns=CampaignRepository(sessions, lambda: NOW),
            campaign_facts=CampaignFacts(sessions, lambda: NOW),
            audit=AuditRepository(sessions),
        )
        return replace(deps, **overrides)


@asynccontextmanager
async def stack(database: Database) -> AsyncIterator[Stack]:
    agents = AgentRepository(database.sessions)
    for extension, (name, team, role) in PEOPLE.items():
        new = NewAgent(extension, name, PASSWORD, ("zh",), team, role, skills={team: 3})
        await agents.create(new)
    redis = aioredis.from_url(REDIS_URL)
    prefix = f"test-{uuid.uuid4().hex[:8]}"
    try:
        yield Stack(redis, prefix, database)
    finally:
        keys = [k async for k in redis.scan_iter(f"{prefix}:*")]
        if keys:
            await redis.delete(*keys)
        await redis.aclose()


@asynccontextmanager
async def client_from(address: str, **kwargs: Any) -> AsyncIterator[aiohttp.ClientSession]:
    """A client whose connections leave from ``address`` (a 127.0.0.x) and keep no cookies."""
    connector = aiohttp.TCPConnector(local_addr=(address, 0), **kwargs)
    async with aiohttp.ClientSession(
        connector=connector, cookie_jar=aiohttp.DummyCookieJar()
    ) as session:
        yield session


async def log_in(
    session: aiohttp.ClientSession,
    base: str,
    extension: str,
    password: str = PASSWORD,
    **headers: str,
) -> aiohttp.ClientResponse:
    body = {"extension": extension, "password": password}
    async with session.post(f"{base}{API}/auth/login", json=body, headers=headers) as response:
        await response.read()
        return response


async def signed_in_headers(
    session: aiohttp.ClientSession, base: str, extension: str
) -> dict[str, str]:
    """The cookie and CSRF headers of a fresh console session of ``extension``."""
    response = await log_in(session, base, extension)
    assert response.status == 200, await response.text()
    answer = await response.json()
    cookie = response.cookies[COOKIE].value
    return {"Cookie": f"{COOKIE}={cookie}", CSRF_HEADER: answer["csrf_token"]}
