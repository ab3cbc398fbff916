"""Issue 13: each console user's language remembered on their account. ``PUT /auth/me/locale``
over a real socket keeps it in the CRM (SQLite and PostgreSQL) and in the session in the real
Redis, answers as ``/auth/me`` and sets the log-in page's cookie ``ivracd_lang``; a later log-in
of the same person gets it back."""

from __future__ import annotations

import dataclasses
from http.cookies import SimpleCookie
from typing import Any

import pytest

from crm_bridge.repositories import AgentRepository
from crm_bridge.vocab import Role
from ivr_acd.web.app import API
from ivr_acd.web.auth.routes import COOKIE, LANG_COOKIE
from ivr_acd.web.auth.sessions import SessionStore
from tests.integration.ivr_acd.web.test_crm_api_auth import (
    BEARER,
    PASSWORD,
    Client,
    World,
    _json,
    _login,
    _serve,
    client,  # noqa: F401 - the API over a real socket (a fixture)
    sign_in,
    world,  # noqa: F401 - the CRM's people, the real Redis (a fixture)
)

pytestmark = pytest.mark.integration

LOCALE = f"{API}/auth/me/locale"
ONE_YEAR = 365 * 24 * 3600


def _lang_cookie(response: Any) -> dict[str, Any]:
    """The ``ivracd_lang`` Set-Cookie of ``response``: its value and attributes."""
    for header in response.headers.getall("Set-Cookie", []):
        parsed = SimpleCookie(header)
        if LANG_COOKIE in parsed:
            morsel = parsed[LANG_COOKIE]
            return {"value": morsel.value, "raw": header, **dict(morsel.items())}
    raise AssertionError(f"no {LANG_COOKIE} cookie in {response.headers!r}")


async def test_a_chosen_language_is_kept_on_the_account_and_in_the_session(
    client: Client,  # noqa: F811
    world: World,  # noqa: F811
) -> None:
    user = await sign_in(client, "8001")
    before = await _json(await client.get(f"{API}/auth/me", headers=user.headers(None)), 200)
    assert before["locale"] is None  # never chosen: the install's default

    response = await client.put(LOCALE, json={"locale": "en"}, headers=user.headers())
    answer = await _json(response, 200)
    me = await _json(await client.get(f"{API}/auth/me", headers=user.headers(None)), 200)

    assert answer == me == {**before, "locale": "en"}
    assert answer["csrf_token"] == user.csrf  # the same session goes on
    profile = await AgentRepository(world.database.sessions).by_extension("8001")
    assert profile is not None and profile.locale == "en"
    stored = await world.redis.hgetall(SessionStore(world.redis, world.prefix).key_for(user.token))
    assert stored[b"locale"] == b"en"

    back = await client.put(LOCALE, json={"locale": "zh-CN"}, headers=user.headers())
    assert (await _json(back, 200))["locale"] == "zh-CN"
    me = await _json(await client.get(f"{API}/auth/me", headers=user.headers(None)), 200)
    assert me["locale"] == "zh-CN"


async def test_a_new_log_in_of_the_same_person_gets_the_language_back(
    client: Client,  # noqa: F811
) -> None:
    first = await sign_in(client, "9001")
    await _json(await client.put(LOCALE, json={"locale": "en"}, headers=first.headers()), 200)
    await client.post(f"{API}/auth/logout", headers=first.headers())

    again = await _login(client, "9001")
    answer = await _json(again, 200)
    token = again.cookies[COOKIE].value
    me = await _json(
        await client.get(f"{API}/auth/me", headers={"Cookie": f"{COOKIE}={token}"}), 200
    )
    someone_else = await _login(client, "8002")

    assert answer["locale"] == me["locale"] == "en"
    assert _lang_cookie(again)["value"] == "en"  # this browser's log-in page speaks it too
    assert (await _json(someone_else, 200))["locale"] is None
    assert LANG_COOKIE not in someone_else.cookies  # no choice: the page's cookie is left alone


async def test_the_language_cookie_is_for_the_log_in_page_script_for_a_year(
    client: Client,  # noqa: F811
) -> None:
    user = await sign_in(client, "8003")
    response = await client.put(LOCALE, json={"locale": "zh-CN"}, headers=user.headers())
    await _json(response, 200)
    cookie = _lang_cookie(response)

    assert cookie["value"] == "zh-CN"
    assert (cookie["path"], cookie["max-age"], cookie["samesite"]) == ("/", str(ONE_YEAR), "Lax")
    assert "HttpOnly" not in cookie["raw"]  # the log-in page's script reads it
    assert "Secure" not in cookie["raw"]  # plain HTTP here


async def test_over_https_the_language_cookie_is_secure(world: World) -> None:  # noqa: F811
    deps = dataclasses.replace(world.deps(), trusted_proxies=("127.0.0.1",))
    https = {"X-Forwarded-Proto": "https"}
    async for proxied in _serve(deps):
        signed = await _login(proxied, "8001", PASSWORD, **https)
        csrf = (await _json(signed, 200))["csrf_token"]
        headers = {"Cookie": f"{COOKIE}={signed.cookies[COOKIE].value}", "X-CSRF-Token": csrf}
        response = await proxied.put(LOCALE, json={"locale": "en"}, headers={**headers, **https})
        await _json(response, 200)
        assert "Secure" in _lang_cookie(response)["raw"]


@pytest.mark.parametrize("wrong", ["fr", "zh", "zh_CN", "EN", "", 7, None, ["en"]])
async def test_a_language_the_console_lacks_is_a_422_and_nothing_changes(
    client: Client,  # noqa: F811
    world: World,  # noqa: F811
    wrong: object,
) -> None:
    user = await sign_in(client, "8001")
    response = await client.put(LOCALE, json={"locale": wrong}, headers=user.headers())
    answer = await _json(response, 422)
    assert answer["error"] == "invalid-locale" and "zh-CN" in answer["reason"]
    assert LANG_COOKIE not in response.cookies
    profile = await AgentRepository(world.database.sessions).by_extension("8001")
    assert profile is not None and profile.locale is None


@pytest.mark.parametrize("body", [{"locale": "en", "theme": "dark"}, ["en"], "en"])
async def test_a_malformed_body_is_a_400(client: Client, body: object) -> None:  # noqa: F811
    user = await sign_in(client, "8001")
    response = await client.put(LOCALE, json=body, headers=user.headers())
    assert (await _json(response, 400))["error"] == "bad-request"


async def test_the_api_token_has_no_account_to_keep_a_language_on(
    client: Client,  # noqa: F811
) -> None:
    response = await client.put(LOCALE, json={"locale": "en"}, headers=BEARER)
    answer = await _json(response, 409)
    assert answer["error"] == "no-account" and answer["reason"]
    assert LANG_COOKIE not in response.cookies


async def test_without_a_session_it_is_a_401(client: Client) -> None:  # noqa: F811
    stale = {"Cookie": f"{COOKIE}={'x' * 43}", "X-CSRF-Token": "whatever"}
    for headers in ({}, stale):
        response = await client.put(LOCALE, json={"locale": "en"}, headers=headers)
        assert (await _json(response, 401))["error"] == "unauthenticated"


async def test_without_the_sessions_csrf_token_it_is_a_403_and_nothing_changes(
    client: Client,  # noqa: F811
    world: World,  # noqa: F811
) -> None:
    user, other = await sign_in(client, "8001"), await sign_in(client, "8002")
    for csrf in (None, "x" * 43, other.csrf):
        response = await client.put(LOCALE, json={"locale": "en"}, headers=user.headers(csrf))
        assert (await _json(response, 403))["error"] == "csrf"
        assert LANG_COOKIE not in response.cookies
    profile = await AgentRepository(world.database.sessions).by_extension("8001")
    me = await _json(await client.get(f"{API}/auth/me", headers=user.headers(None)), 200)
    assert profile is not None and profile.locale is None and me["locale"] is None


# ---- the session store ---------------------------------------------------------------------


async def test_a_session_keeps_its_language_and_an_older_session_has_none(
    world: World,  # noqa: F811
) -> None:
    store = SessionStore(world.redis, world.prefix, 30)
    chosen = await store.create("8001", Role.AGENT, "claims", "李娜", "en")
    older = await store.create("8002", Role.AGENT, "claims", "王伟")
    odd = await store.create("8003", Role.AGENT, "sales", "Mary Chen")
    await world.redis.hset(store.key_for(odd.token), "locale", "klingon")

    assert await store.get(chosen.token) == chosen and chosen.locale == "en"
    found = await store.get(older.token)
    assert found is not None and found.locale is None
    assert b"locale" not in await world.redis.hgetall(store.key_for(older.token))
    strange = await store.get(odd.token)
    assert strange is not None and strange.locale is None  # a language the console lacks


async def test_an_ended_session_is_never_written_again(world: World) -> None:  # noqa: F811
    store = SessionStore(world.redis, world.prefix, 30)
    session = await store.create("8001", Role.AGENT, "claims", "李娜")
    assert await store.set_locale(session.token, "zh-CN") is True
    found = await store.get(session.token)
    assert found is not None and found.locale == "zh-CN"

    await store.end(session.token)
    assert await store.set_locale(session.token, "en") is False
    assert not await world.redis.exists(store.key_for(session.token))
    assert await store.set_locale("not a token", "en") is False
