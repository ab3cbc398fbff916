"""Console sign-in through the real controller: the session cookie, CSRF and roles, with the
session kept in the real Redis under the instance's prefix."""

from __future__ import annotations

import aiohttp
import pytest
import redis.asyncio as aioredis

from ivr_acd.web.auth.sessions import token_digest
from tests.system.conftest import Stack
from wire import redis_keys

pytestmark = pytest.mark.system

PASSWORD = "agent-8002-console"


async def test_an_agent_signs_in_acts_for_themself_only_and_signs_out(stack: Stack) -> None:
    status, _ = await stack.send("POST", "/agents/8002/password", {"password": PASSWORD})
    assert status == 204
    jar = aiohttp.CookieJar(unsafe=True)  # a browser: keeps the cookie for 127.0.0.1
    async with aiohttp.ClientSession(cookie_jar=jar) as browser:
        login = await browser.post(
            f"{stack.api}/auth/login", json={"extension": "8002", "password": PASSWORD}
        )
        me = await login.json()
        assert login.status == 200, me
        assert (me["extension"], me["role"], me["team"]) == ("8002", "agent", "service")
        token = login.cookies["ivracd_session"].value
        csrf = {"X-CSRF-Token": me["csrf_token"]}

        own = await browser.get(f"{stack.api}/agents/8002/state")
        other = await browser.get(f"{stack.api}/agents/9001/state")
        no_csrf = await browser.post(f"{stack.api}/agents/8002/pause", json={"reason": "break"})
        assert own.status == 200
        assert (other.status, (await other.json())["error"]) == (403, "forbidden")
        assert (no_csrf.status, (await no_csrf.json())["error"]) == (403, "csrf")

        prefix = redis_keys.prefix_for(stack.settings.sandbox.instance)
        redis = aioredis.from_url(stack.settings.redis.url)
        try:
            key = redis_keys.web_session(token_digest(token), prefix)
            assert await redis.hget(key, "extension") == b"8002"
            out = await browser.post(f"{stack.api}/auth/logout", headers=csrf)
            assert out.status == 204
            assert not await redis.exists(key)
        finally:
            await redis.aclose()
        after = await browser.get(f"{stack.api}/auth/me")
        assert (after.status, (await after.json())["error"]) == (401, "unauthenticated")
