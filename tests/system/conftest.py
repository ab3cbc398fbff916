"""One real stack per test session: the Asterisk sandbox (instance `test`, its own ports, so a
demo can run beside it), the controller as a child process, a SQLite CRM, the real Redis, and
simulated phones (pjsua2) registered as agents."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from playwright.async_api import Browser, async_playwright

from crm_bridge.calls.records import CallRecord
from ivr_acd.asterisk_config import ProvisionedPhone
from ivr_acd.secrets import with_secrets
from ivr_acd.settings import Settings, load_settings
from ivr_acd.wiring.agi import agi_guard
from ivr_acd_dev.sandbox import Sandbox
from ivr_acd_dev.simulator import Call, Phone, PhonePool
from ivr_acd_dev.stack import BackgroundController, prepare_crm, settings_env
from wire import names
from wire.agi import AgiChannel, FastAgiServer
from wire.ami import AmiClient
from wire.replies import ChannelRow

log = logging.getLogger(__name__)

HOTLINE = "4008001000"
RING_SECONDS = 8  # ring-no-answer
DIRECT_LINE = "4008001009"  # skips the IVR: straight to the ACD, skill service
# The ACD's timers, short enough for tests: escalation steps, the account manager's window.
ACD_TEST_SETTINGS = {
    "announce_every": 10,
    "account_manager_seconds": 8,
    "escalation": [
        {"after_seconds": 8, "name": "relax-level", "min_level": 1},
        {"after_seconds": 16, "name": "any-agent-with-language", "any_agent_with_language": True},
        {"after_seconds": 24, "name": "offer-callback", "offer_callback": True},
    ],
    "wrapup_seconds": {"default": 0},
    "tick_interval": 0.5,
}


# IVR_ACD_TEST_SLOT=n (1-9) runs a second system tier beside the first on this machine: its
# own sandbox instance (`test<n>`, so its own Redis keys) and ports.
SLOT = int(os.environ.get("IVR_ACD_TEST_SLOT", "0"))


def _test_settings(state_dir: Path) -> Settings:
    return with_secrets(
        load_settings(
            state_dir=state_dir,
            sandbox={"instance": f"test{SLOT}" if SLOT else "test"},
            asterisk={
                "sip_port": 25060 + 100 * SLOT,
                "ami_port": 25038 + 100 * SLOT,
                "rtp_start": 30000 + 1000 * SLOT,
                "rtp_end": 30999 + 1000 * SLOT,
                "agent_ring_seconds": RING_SECONDS,
                "direct_lines": {DIRECT_LINE: "service"},
            },
            agi={"port": 24573 + 10 * SLOT},
            web={"port": 28080 + 10 * SLOT},
            controller={"grace_period": 5.0, "cdr_settle": 0.5, "spool_replay_interval": 0.5},
            acd=ACD_TEST_SETTINGS,
        )
    )


@dataclass
class Stack:
    settings: Settings
    sandbox: Sandbox
    controller: BackgroundController
    phones: list[ProvisionedPhone]
    pool: PhonePool
    ami: AmiClient

    @property
    def domain(self) -> str:
        return f"127.0.0.1:{self.settings.asterisk.sip_port}"

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.settings.web.port}/api/v1"

    @property
    def token(self) -> str:
        return self.settings.secret(self.settings.web.api_token, "api_token")

    def secret_of(self, extension: str) -> str:
        return next(p.sip_secret for p in self.phones if p.extension == extension)

    async def start_controller(self, **extra_env: str) -> None:
        self.controller.start({**settings_env(self.settings), **extra_env}, detach=False)
        await self.controller.wait_healthy(30)

    async def caller(self, number: str) -> Phone:
        ast = self.settings.asterisk
        return await self.pool.add_phone(
            f"caller-{number}-{time.monotonic_ns()}",
            ast.carrier_username,
            self.settings.secret(ast.carrier_password, "carrier_password"),
            self.domain,
            register=False,
            from_user=number,
        )

    async def dial(self, number: str, keys: str = "") -> tuple[Phone, Call]:
        """``number`` calls the hotline over the carrier trunk and keys ``keys``, one a second."""
        caller = await self.caller(number)
        call = await caller.call(f"sip:{HOTLINE}@{self.domain}")
        await call.wait_state("CONFIRMED", 10)
        for key in keys:
            await asyncio.sleep(1.0)
            await call.dtmf(key)
        return caller, call

    async def send(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {self.token}"}
        async with (
            aiohttp.ClientSession() as session,
            session.request(method, f"{self.api}{path}", json=body, headers=headers) as resp,
        ):
            return resp.status, (await resp.json() if resp.status != 204 else None)

    async def agent_action(self, extension: str, action: str, **body: Any) -> dict[str, Any]:
        status, answer = await self.send("POST", f"/agents/{extension}/{action}", body or None)
        assert status == 200, answer
        return dict(answer)

    async def agent_state(self, extension: str) -> dict[str, Any]:
        status, answer = await self.get(f"/agents/{extension}/state")
        assert status == 200, answer
        return dict(answer)

    async def get(self, path: str, token: str | None = "") -> tuple[int, Any]:
        headers = {}
        if token is not None:
            headers["Authorization"] = f"Bearer {token or self.token}"
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"{self.api}{path}", headers=headers) as resp,
        ):
            return resp.status, await resp.json()

    async def cdr(self, caller: str, since: str, timeout_s: float = 15) -> CallRecord:
        """Wait for the CDR of ``caller``'s call that started at or after ``since``."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            status, body = await self.get(f"/calls?caller={caller}&since={since}")
            assert status == 200, body
            if body["calls"]:
                assert len(body["calls"]) == 1, body
                return CallRecord.from_dict(body["calls"][0])
            await asyncio.sleep(0.3)
        raise AssertionError(f"no CDR for {caller} since {since}")

    async def live_channels(self) -> list[ChannelRow]:
        return list(await self.ami.channels())

    def controller_log(self) -> str:
        return (self.settings.state_dir / "controller.log").read_text(errors="replace")


def utc_now_iso() -> str:
    from datetime import UTC, datetime

    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


async def clear_redis(settings: Settings, pattern: str = "*") -> None:
    """Delete this instance's Redis keys matching ``pattern`` (below the instance prefix)."""
    import redis.asyncio as aioredis

    from wire import redis_keys

    client = aioredis.from_url(settings.redis.url)
    try:
        prefix = redis_keys.prefix_for(settings.sandbox.instance)
        keys = [key async for key in client.scan_iter(f"{prefix}:{pattern}")]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


@pytest.fixture(scope="session")
async def stack(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    settings = _test_settings(tmp_path_factory.mktemp("stack"))
    phones = await prepare_crm(settings)
    sandbox = Sandbox(settings)
    await asyncio.to_thread(sandbox.build)
    await sandbox.start(phones, fresh=True)
    controller = BackgroundController(settings)
    ast = settings.asterisk
    ami = AmiClient(
        "127.0.0.1", ast.ami_port, ast.ami_username, settings.secret(ast.ami_secret, "ami_secret")
    )
    ami.start()
    pool = PhonePool(rtp_base=41000 + 2000 * SLOT)
    the_stack = Stack(settings, sandbox, controller, phones, pool, ami)
    try:
        await clear_redis(settings)  # no agent state or line left by an earlier run
        await ami.wait_ready(10)
        await the_stack.start_controller()
        yield the_stack
    finally:
        await pool.close()
        await ami.close()
        await controller.stop()
        await sandbox.stop()


@pytest.fixture(autouse=True)
async def healthy_stack(request: pytest.FixtureRequest) -> None:
    """Before each test that uses the stack: whatever an earlier test broke (an Asterisk that
    died or stopped answering, a phone worker that died, a stopped controller) is restored, so
    one failure stays one failure. Every repair is logged as a warning."""
    if "stack" not in request.fixturenames:
        return
    stack: Stack = request.getfixturevalue("stack")
    if not await _asterisk_answers(stack):
        log.warning("repairing the stack: Asterisk does not answer; restarting it")
        await stack.sandbox.stop()
        await stack.sandbox.start(stack.phones)
        await stack.ami.wait_ready(15)
    for phone in await stack.pool.revive():
        log.warning("repairing the stack: phone %s moved off a dead worker", phone.name)
        if phone.account["register"]:
            await phone.register(15)
    if stack.controller.pid() is None:
        log.warning("repairing the stack: the controller is down; starting it")
        await stack.start_controller()


async def _asterisk_answers(stack: Stack) -> bool:
    if stack.sandbox.pid() is None:
        return False
    with contextlib.suppress(Exception):
        await asyncio.wait_for(stack.ami.action("Ping"), 5)
        return True
    return False


GENERALIST = {
    "wrapup_seconds": 0,
    "languages": ["zh", "en"],
    "skills": {
        "service": 4,
        "sales": 2,
        "complaints": 2,
        "collections": 2,
        "auto": 2,
        "health": 2,
        "accident": 2,
    },
}


@pytest.fixture(scope="session")
async def agent_8001(stack: Stack) -> Phone:
    """Agent 8001's softphone, registered and logged in to the ACD: the generalist every IVR
    hand-off can reach (both languages, every skill the flows ask for), without wrap-up."""
    phone = await stack.pool.add_phone("agent-8001", "8001", stack.secret_of("8001"), stack.domain)
    await phone.register()
    status, body = await stack.send("PATCH", "/agents/8001", GENERALIST)
    assert status == 200, body
    state = await stack.agent_state("8001")
    if state["state"] == "logged-out":
        await stack.agent_action("8001", "login")
    return phone


async def eventually(check: Callable[[], Awaitable[bool]], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            if await check():
                return
        await asyncio.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def dump(obj: Any) -> str:
    return json.dumps(obj, indent=1, default=str)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _hold(channel: AgiChannel) -> None:
    """The IVR route, played by a test: keep the answered call a while, then hang up."""
    await asyncio.sleep(8)
    await channel.set_variable(names.VAR_NEXT, names.NEXT_HANGUP)


@pytest.fixture
async def agi_target(stack: Stack) -> AsyncIterator[str]:
    """A FastAGI server of the test's own that holds every call: the AGI_TARGET (with the
    install's secret) an Originate into the IVR's context may name."""
    port = _free_port()
    guard = agi_guard(stack.settings)
    server = FastAgiServer("127.0.0.1", port, {names.AGI_ROUTE_IVR: _hold}, _hold, guard)
    await server.start()
    try:
        yield f"127.0.0.1:{port}/{guard.secret}"
    finally:
        await server.stop_accepting()
        await server.drain(1)


CHROMIUM = os.environ.get("IVR_ACD_CHROMIUM", "/usr/bin/chromium")


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    """Debian's headless Chromium, driven by Playwright (the console's browser tests)."""
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox"]
        )
        try:
            yield chromium
        finally:
            await chromium.close()
