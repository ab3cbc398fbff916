"""Issue 11, finding 3, replayed over real sockets against the real FastAgiServer: a local
process without the install's secret, a peer off the allow-list, a stalled peer and a flood
of sessions are all refused or ended; the `agent` route is the real one (acd/agi.py) over an
ACD that records the feature codes it is asked for."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import pytest

from acd.agi import AcdCalls
from acd.config import AcdSettings
from acd.core.model import AgentState, AgentStatus
from tests.agi_client import AgiClient
from wire import names
from wire.agi import AgiChannel, AgiTimeout, FastAgiServer, Handler
from wire.agi_guard import AgiGuard, CommandTimeouts, networks

pytestmark = [pytest.mark.integration, pytest.mark.security]

SECRET = "agi-test-secret-0123456789"
AGENT_8002 = {"CHANNEL(endpoint)": "8002", names.VAR_ACD_FEATURE: "login"}


class RecordingAcd:
    """Agent 8002, logged out until a feature code logs it in."""

    def __init__(self) -> None:
        self.state = AgentState.LOGGED_OUT
        self.features: list[tuple[str, str]] = []

    async def feature(self, extension: str, feature: str) -> AgentStatus:
        self.features.append((extension, feature))
        self.state = AgentState.READY if feature == "login" else AgentState.LOGGED_OUT
        return AgentStatus(extension=extension, state=self.state)


@asynccontextmanager
async def serving(
    routes: dict[str, Handler], guard: AgiGuard | None = None
) -> AsyncIterator[FastAgiServer]:
    async def fallback(channel: AgiChannel) -> None:
        await channel.set_variable("FALLBACK", "1")

    server = FastAgiServer("127.0.0.1", 0, routes, fallback, guard or AgiGuard(SECRET))
    await server.start()
    try:
        yield server
    finally:
        await server.stop_accepting()
        await server.drain(2)


def agent_route(acd: RecordingAcd) -> dict[str, Handler]:
    calls = AcdCalls(acd, None, None, AcdSettings())  # type: ignore[arg-type]
    return {names.AGI_ROUTE_AGENT: calls.agent_feature}


@pytest.mark.parametrize(
    "script",
    ["agent", "wrong-secret-0123456789/agent", f"{SECRET[:-1]}/agent", "秘密/agent", "/agent"],
)
async def test_the_agent_route_without_the_secret_does_not_log_8002_in(
    script: str, caplog: pytest.LogCaptureFixture
) -> None:
    acd = RecordingAcd()
    async with serving(agent_route(acd)) as server:
        client = await AgiClient(AGENT_8002).session(server.port, script)
    assert client.closed_by_server
    assert client.commands == []  # nothing ran: not even a GET VARIABLE
    assert acd.features == [] and acd.state == AgentState.LOGGED_OUT
    assert "no or wrong AGI secret" in caplog.text
    assert SECRET not in caplog.text


async def test_with_the_secret_the_same_client_logs_8002_in(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The control: the refusal above is the secret's doing, not a broken client."""
    acd = RecordingAcd()
    async with serving(agent_route(acd)) as server:
        client = await AgiClient(AGENT_8002).session(server.port, f"{SECRET}/agent")
    assert acd.features == [("8002", "login")] and acd.state == AgentState.READY
    assert "GET VARIABLE CHANNEL(endpoint)" in client.commands
    assert SECRET not in caplog.text


async def test_a_route_never_sees_the_secret() -> None:
    seen: list[dict[str, str]] = []

    async def route(channel: AgiChannel) -> None:
        seen.append(dict(channel.headers))

    async with serving({"ivr": route}) as server:
        await AgiClient().session(server.port, f"{SECRET}/ivr")
    assert seen and seen[0]["agi_network_script"] == "ivr"
    assert seen[0]["agi_request"] == "agi://127.0.0.1:4573/ivr"
    assert not any(SECRET in value for value in seen[0].values())


async def test_a_peer_off_the_allow_list_is_refused_before_its_headers(
    caplog: pytest.LogCaptureFixture,
) -> None:
    ran: list[str] = []

    async def route(channel: AgiChannel) -> None:
        ran.append(channel.route)
        await channel.answer()

    guard = AgiGuard(SECRET, allowed_peers=networks(["127.0.0.1/32"]))
    async with serving({"ivr": route}, guard) as server:
        stranger = await AgiClient().session(server.port, f"{SECRET}/ivr", source="127.0.0.2")
        assert stranger.commands == [] and ran == []
        assert "not an allowed Asterisk address" in caplog.text
        asterisk = await AgiClient().session(server.port, f"{SECRET}/ivr", source="127.0.0.1")
    assert asterisk.commands == ["ANSWER"] and ran == ["ivr"]


async def test_a_stalled_peer_ends_the_session_after_the_command_timeout(
    caplog: pytest.LogCaptureFixture,
) -> None:
    ended: list[BaseException] = []

    async def route(channel: AgiChannel) -> None:
        try:
            await channel.set_variable("X", "1")
        except AgiTimeout as exc:
            ended.append(exc)
            raise

    guard = AgiGuard(SECRET, timeouts=CommandTimeouts(margin=0.3, media=0.3))
    async with serving({"ivr": route}, guard) as server:
        started = asyncio.get_running_loop().time()
        client = await AgiClient(stall=True).session(server.port, f"{SECRET}/ivr", timeout=5)
        took = asyncio.get_running_loop().time() - started
        await asyncio.sleep(0.05)
        assert server.live_sessions == 0
    assert client.closed_by_server and client.commands == ['SET VARIABLE X "1"']
    assert len(ended) == 1 and 0.3 <= took < 2.0
    assert "FastAGI peer stalled" in caplog.text


async def test_a_long_command_gets_its_own_duration_before_the_margin() -> None:
    """GET DATA waiting 1 s for a key is not a stall; a SET VARIABLE as slow is."""
    outcome: dict[str, str] = {}

    async def route(channel: AgiChannel) -> None:
        outcome["get_data"] = str(await channel.get_data("beep", 1000, 1))
        try:
            await channel.set_variable("X", "1")
        except AgiTimeout:
            outcome["set_variable"] = "timed out"
            raise

    guard = AgiGuard(SECRET, timeouts=CommandTimeouts(margin=0.3, media=0.2))
    async with serving({"ivr": route}, guard) as server:
        await AgiClient(delay=0.8).session(server.port, f"{SECRET}/ivr")
    assert outcome == {"get_data": "0", "set_variable": "timed out"}


async def test_sessions_over_the_cap_are_refused_at_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    release = asyncio.Event()
    served: list[str] = []

    async def route(channel: AgiChannel) -> None:
        served.append(channel.uniqueid)
        await channel.answer()
        await release.wait()

    async with serving({"ivr": route}, AgiGuard(SECRET, max_sessions=2)) as server:
        holding = [
            asyncio.create_task(AgiClient().session(server.port, f"{SECRET}/ivr")) for _ in range(2)
        ]
        await _until(lambda: len(served) == 2)
        over = await AgiClient().session(server.port, f"{SECRET}/ivr", timeout=2)
        assert over.closed_by_server and over.commands == []
        assert "sessions already (the cap)" in caplog.text
        release.set()
        await asyncio.gather(*holding)
        again = await AgiClient().session(server.port, f"{SECRET}/ivr")
    assert again.commands == ["ANSWER"] and len(served) == 3


async def _until(check: Callable[[], bool], timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not check():
            await asyncio.sleep(0.01)


@pytest.mark.parametrize(
    "send",
    [
        lambda ch: ch.set_variable("X", "1\r\nEXEC System touch /tmp/pwned"),
        lambda ch: ch.set_variable("X\n", "1"),
        lambda ch: ch.set_variables({"A": "1", "B": "2\nEXEC System x"}),
        lambda ch: ch.exec("Playback", "hello\x00"),
        lambda ch: ch.verbose("line\rbreak"),
        lambda ch: ch.get_data("prompt\nHANGUP", 1000, 1),
        lambda ch: ch.stream_file("prompt\n"),
        lambda ch: ch.run("ANSWER\nHANGUP"),
    ],
)
async def test_a_value_with_cr_lf_or_nul_raises_and_nothing_is_written(
    send: Callable[[AgiChannel], object], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    refused: list[str] = []

    async def route(channel: AgiChannel) -> None:
        try:
            await send(channel)  # type: ignore[misc]
        except ValueError as exc:
            refused.append(str(exc))
        await channel.answer()  # the session itself goes on

    async with serving({"ivr": route}) as server:
        client = await AgiClient().session(server.port, f"{SECRET}/ivr")
    assert len(refused) == 1 and "refused" in refused[0]
    assert client.commands == ["ANSWER"]  # the refused command wrote nothing at all
