"""Issue 11, web: hostile bodies (50,000-deep JSON, oversize), HTTPS from a certificate made here
with the openssl CLI, X-Forwarded-* believed from a trusted proxy only, and the log-in lock-out
by extension and client address together. Real aiohttp servers on the loopback, clients leaving
from different 127.0.0.x addresses, the real Redis, SQLite and PostgreSQL."""

from __future__ import annotations

import ssl
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import unused_port

from crm_bridge.db import Database
from ivr_acd.settings import WebSettings
from ivr_acd.web.app import API, ApiDeps, build_api
from ivr_acd.web.auth.routes import COOKIE
from ivr_acd.web.core import BodyLimits
from ivr_acd.web.transport import start_site
from tests.integration.ivr_acd.web.hardening_stack import (
    BEARER,
    Stack,
    client_from,
    log_in,
    stack,
)

pytestmark = [pytest.mark.integration, pytest.mark.security]

HOST = "127.0.0.1"
LIMIT = 120_000  # a 50,000-deep document fits; the depth must refuse it


@pytest.fixture
async def world(database: Database) -> AsyncIterator[Stack]:
    async with stack(database) as built:
        yield built


async def _serve(deps: ApiDeps, settings: WebSettings) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(build_api(deps), access_log=None)
    await runner.setup()
    return runner, await start_site(runner, settings)


@pytest.fixture
async def plain(world: Stack) -> AsyncIterator[str]:
    """A plain-HTTP server whose only trusted proxy is 127.0.0.2."""
    runner, url = await _serve(
        world.deps(trusted_proxies=("127.0.0.2",), limits=BodyLimits(max_bytes=LIMIT)),
        WebSettings(host=HOST, port=unused_port(), trusted_proxies=["127.0.0.2"]),
    )
    try:
        yield url
    finally:
        await runner.cleanup()


def _certificate(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "cert.pem", folder / "key.pem"
    subject = ["-subj", f"/CN={HOST}", "-addext", f"subjectAltName=IP:{HOST}"]
    files = ["-keyout", str(key), "-out", str(cert)]
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            *subject,
            *files,
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


# ---- bodies --------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/auth/login", "/agents", "/do-not-call"])
async def test_a_50000_deep_document_is_a_422_with_a_json_reason(plain: str, path: str) -> None:
    deep = "[" * 50_000 + "]" * 50_000
    async with client_from(HOST) as client:
        headers = {"Content-Type": "application/json", **BEARER}
        async with client.post(f"{plain}{API}{path}", data=deep, headers=headers) as response:
            assert response.status == 422, await response.text()
            answer = await response.json()
    assert answer["error"] == "json-too-deep" and "32" in answer["reason"]


async def test_brackets_inside_strings_do_not_count_as_depth(plain: str) -> None:
    body = {"extension": "8001", "password": "[" * 100 + '\\"{' * 100}
    async with client_from(HOST) as client:
        response = await log_in(client, plain, "8001", body["password"])
    assert response.status == 401  # parsed: a wrong password


async def test_a_body_over_the_limit_is_a_413_with_a_json_reason(plain: str) -> None:
    body = {"number": "13800138000", "reason": "x" * LIMIT}
    async with client_from(HOST) as client:
        url = f"{plain}{API}/do-not-call"
        async with client.post(url, json=body, headers=BEARER) as response:
            assert response.status == 413, await response.text()
            answer = await response.json()
        chunks = (part async for part in _chunks(b'{"number": "1380013800' + b"0" * LIMIT))
        async with client.post(url, data=chunks, headers=BEARER) as streamed:  # no length
            assert streamed.status == 413
            assert (await streamed.json())["error"] == "body-too-large"
    assert answer["error"] == "body-too-large" and str(LIMIT) in answer["reason"]


async def _chunks(raw: bytes) -> AsyncIterator[bytes]:
    for start in range(0, len(raw), 1000):
        yield raw[start : start + 1000]


# ---- TLS and the Secure cookie ---------------------------------------------------------------


async def test_https_from_settings_serves_and_its_cookie_is_secure(
    world: Stack, tmp_path: Path
) -> None:
    cert, key = _certificate(tmp_path)
    settings = WebSettings(host=HOST, port=unused_port(), tls_cert=cert, tls_key=key)
    runner, url = await _serve(world.deps(), settings)
    trusting = ssl.create_default_context(cafile=str(cert))
    try:
        assert url.startswith("https://")
        async with client_from(HOST, ssl=trusting) as client:
            response = await log_in(client, url, "8001")
            assert response.status == 200
            assert "Secure" in response.headers["Set-Cookie"]
        async with client_from(HOST) as plain_client:  # no plain HTTP on the TLS port
            with pytest.raises(aiohttp.ClientError):
                await log_in(plain_client, url.replace("https", "http"), "8001")
    finally:
        await runner.cleanup()


async def test_over_plain_http_the_cookie_is_not_secure(plain: str) -> None:
    async with client_from(HOST) as client:
        response = await log_in(client, plain, "8001")
    assert response.status == 200
    cookie = response.headers["Set-Cookie"]
    assert COOKIE in cookie and "Secure" not in cookie


# ---- trusted proxies ----------------------------------------------------------------------


async def test_x_forwarded_proto_from_an_untrusted_address_is_ignored(plain: str) -> None:
    async with client_from("127.0.0.3") as client:
        response = await log_in(client, plain, "8001", **{"X-Forwarded-Proto": "https"})
    assert response.status == 200 and "Secure" not in response.headers["Set-Cookie"]


async def test_x_forwarded_proto_from_a_trusted_proxy_makes_the_cookie_secure(plain: str) -> None:
    async with client_from("127.0.0.2") as proxy:
        response = await log_in(proxy, plain, "8001", **{"X-Forwarded-Proto": "https"})
    assert response.status == 200 and "Secure" in response.headers["Set-Cookie"]


# ---- lock-out by extension and client address together --------------------------------------


async def test_six_failures_lock_one_address_out_but_not_the_user_elsewhere(plain: str) -> None:
    async with client_from("127.0.0.1") as stranger:
        for _ in range(6):
            await log_in(stranger, plain, "8001", "wrong-password")
        blocked = await log_in(stranger, plain, "8001")  # even with the right password
        assert blocked.status == 429
    async with client_from("127.0.0.4") as owner:
        response = await log_in(owner, plain, "8001")
    assert response.status == 200, "the owner is locked out by a stranger's guesses"


async def test_a_forwarded_client_address_counts_from_a_trusted_proxy_only(plain: str) -> None:
    async with client_from("127.0.0.2") as proxy:
        for _ in range(6):  # the proxy relays a stranger's guesses
            guess = {"X-Forwarded-For": "203.0.113.9"}
            await log_in(proxy, plain, "8001", "wrong-password", **guess)
        stranger = await log_in(proxy, plain, "8001", **{"X-Forwarded-For": "203.0.113.9"})
        owner = await log_in(proxy, plain, "8001", **{"X-Forwarded-For": "198.51.100.7"})
    assert (stranger.status, owner.status) == (429, 200)
    async with client_from("127.0.0.3") as liar:  # an untrusted client claims the owner's address
        for _ in range(6):
            await log_in(liar, plain, "8001", "wrong-password", **{"X-Forwarded-For": "10.9.9.9"})
    async with client_from("127.0.0.2") as proxy:
        owner = await log_in(proxy, plain, "8001", **{"X-Forwarded-For": "10.9.9.9"})
    assert owner.status == 200
