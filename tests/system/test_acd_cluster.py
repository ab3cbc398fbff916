"""Two controllers on one Redis under a burst of 200 calls (SIPp through the carrier trunk, a
direct line into the ACD): Asterisk spreads the calls across both controllers, both reserve
agents, and Asterisk's own events show that no agent was ever offered two calls at once and no
call was offered to two agents at once."""

from __future__ import annotations

import asyncio
import contextlib
import random
import shutil
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from acd.events import endpoint_of
from ivr_acd.settings import DatabaseSettings, Settings
from ivr_acd.wiring.agi import dialplan_agi_targets
from ivr_acd_dev.simulator import Phone, PhoneError, PhoneTimeout
from ivr_acd_dev.stack import BackgroundController, settings_env
from tests.system.conftest import DIRECT_LINE, Stack, eventually
from wire.events import AmiEvent, DialBegin, DialEnd, Hangup

pytestmark = pytest.mark.system

BURST = 200
AGENTS = ("8002", "8003", "8004", "8005")  # with 8001: five agents with the skill `service`
SCENARIO = Path(__file__).parent / "sipp" / "burst_caller.xml"


@dataclass
class OfferAudit:
    """Replays Asterisk's dial events in their order and records every double offer."""

    agent_call: dict[str, str] = field(default_factory=dict)  # agent -> call it rings/talks to
    call_agent: dict[str, str] = field(default_factory=dict)  # call -> agent
    answered: dict[str, int] = field(default_factory=dict)  # call -> answers
    offers: int = 0
    double_offers: list[str] = field(default_factory=list)

    def apply(self, event: AmiEvent) -> None:
        if isinstance(event, DialBegin):
            agent = endpoint_of(event.dest_channel)
            if agent.isdigit():
                self._begin(agent, event.linkedid)
        elif isinstance(event, DialEnd):
            agent = endpoint_of(event.dest_channel)
            if event.dial_status == "ANSWER":
                self.answered[event.linkedid] = self.answered.get(event.linkedid, 0) + 1
            elif agent.isdigit():
                self._end(agent, event.linkedid)
        elif isinstance(event, Hangup):
            agent = endpoint_of(event.channel)
            if agent.isdigit():
                self._end(agent, event.linkedid)

    def _begin(self, agent: str, call: str) -> None:
        self.offers += 1
        if agent in self.agent_call:
            self.double_offers.append(
                f"agent {agent} offered {call} while on {self.agent_call[agent]}"
            )
        if call in self.call_agent:
            self.double_offers.append(
                f"call {call} offered to {agent} while with {self.call_agent[call]}"
            )
        self.agent_call[agent] = call
        self.call_agent[call] = agent

    def _end(self, agent: str, call: str) -> None:
        if self.agent_call.get(agent) == call:
            del self.agent_call[agent]
        if self.call_agent.get(call) == agent:
            del self.call_agent[call]


def _second_settings(stack: Stack, state_dir: Path) -> Settings:
    first = stack.settings
    state_dir.mkdir(parents=True, exist_ok=True)
    shutil.copy(first.state_dir / "secrets.json", state_dir / "secrets.json")
    return first.model_copy(
        update={
            "state_dir": state_dir,
            "agi": first.agi.model_copy(update={"port": first.agi.port + 1}),
            "web": first.web.model_copy(update={"port": first.web.port + 1}),
            "database": DatabaseSettings(url=first.database_url),
        }
    )


@pytest.fixture
async def second_controller(stack: Stack, tmp_path: Path) -> AsyncIterator[BackgroundController]:
    settings = _second_settings(stack, tmp_path / "second")
    controller = BackgroundController(settings)
    controller.start(settings_env(settings), detach=False)
    both = "&".join([*dialplan_agi_targets(stack.settings), *dialplan_agi_targets(settings)])
    try:
        await controller.wait_healthy(30)
        await stack.ami.action("Setvar", Variable="AGI_TARGETS", Value=both)
        await stack.ami.action("Setvar", Variable="AGI_TARGET_COUNT", Value="2")
        yield controller
    finally:
        await stack.ami.action(
            "Setvar", Variable="AGI_TARGETS", Value="&".join(dialplan_agi_targets(stack.settings))
        )
        await stack.ami.action("Setvar", Variable="AGI_TARGET_COUNT", Value="1")
        await controller.stop()


@pytest.fixture
async def agents(stack: Stack, agent_8001: Phone) -> AsyncIterator[dict[str, Phone]]:
    phones = {"8001": agent_8001}
    for extension in AGENTS:
        phone = await stack.pool.add_phone(
            f"cluster-{extension}", extension, stack.secret_of(extension), stack.domain
        )
        await phone.register()
        phones[extension] = phone
    for extension in AGENTS:
        if (await stack.agent_state(extension))["state"] == "logged-out":
            await stack.agent_action(extension, "login")
    try:
        yield phones
    finally:
        for extension in AGENTS:
            with contextlib.suppress(AssertionError):
                await stack.agent_action(extension, "logout")
            await phones[extension].close()


async def _answer_calls(phone: Phone, stop: asyncio.Event, seed: int) -> int:
    """An agent at work: answer, talk a moment, hang up, next."""
    rng = random.Random(seed)
    handled = 0
    while not stop.is_set():
        try:
            ring = await phone.wait_incoming(1.0)
        except PhoneTimeout:
            continue
        with contextlib.suppress(PhoneTimeout, PhoneError):  # the caller may be gone already
            await ring.answer()
            await ring.wait_state("CONFIRMED", 10)
            await asyncio.sleep(rng.uniform(0.2, 0.6))
            await ring.hangup()
            handled += 1
    return handled


async def _audit(stack: Stack, audit: OfferAudit, stop: asyncio.Event) -> None:
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            audit.apply(await asyncio.wait_for(stack.ami.events.get(), 0.5))


async def _sipp(stack: Stack, workdir: Path) -> tuple[int, int]:
    settings = stack.settings
    secret = settings.secret(settings.asterisk.carrier_password, "carrier_password")
    stats = workdir / "burst.csv"
    proc = await asyncio.create_subprocess_exec(
        *("sipp", f"127.0.0.1:{settings.asterisk.sip_port}", "-sf", str(SCENARIO)),
        *("-s", DIRECT_LINE, "-au", settings.asterisk.carrier_username, "-ap", secret),
        *("-i", "127.0.0.1", "-p", "0", "-r", "25", "-m", str(BURST), "-l", str(BURST)),
        *("-nostdin", "-trace_stat", "-stf", str(stats), "-fd", "1", "-timeout", "240s"),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
        cwd=workdir,
    )
    await proc.wait()
    last = stats.read_text().splitlines()[-1].split(";")
    header = stats.read_text().splitlines()[0].split(";")
    row = dict(zip(header, last, strict=False))
    return int(row["SuccessfulCall(C)"]), int(row["FailedCall(C)"])


async def test_two_controllers_never_offer_one_agent_two_calls_under_a_burst(
    stack: Stack,
    second_controller: BackgroundController,
    agents: dict[str, Phone],
    tmp_path: Path,
) -> None:
    while not stack.ami.events.empty():
        stack.ami.events.get_nowait()
    stop = asyncio.Event()
    audit = OfferAudit()
    auditor = asyncio.create_task(_audit(stack, audit, stop))
    workers = [
        asyncio.create_task(_answer_calls(phone, stop, seed))
        for seed, phone in enumerate(agents.values())
    ]
    started = time.monotonic()
    try:
        succeeded, failed = await _sipp(stack, tmp_path)
        with contextlib.suppress(AssertionError):  # Asterisk's events may trail SIPp's end
            await eventually(lambda: _all_seen(audit), 30, "every answer in the AMI events")
    finally:
        stop.set()
        handled = await asyncio.gather(*workers)
        await auditor
    took = time.monotonic() - started
    assert (succeeded, failed) == (BURST, 0), (succeeded, failed, took)
    assert audit.double_offers == [], audit.double_offers[:5]
    assert len(audit.answered) == BURST and set(audit.answered.values()) == {1}
    assert sum(handled) == BURST
    first_log = stack.controller_log()
    second_log = (second_controller.settings.state_dir / "controller.log").read_text()
    assert "-> reserved" in first_log and "-> reserved" in second_log
    for extension in ("8001", *AGENTS):
        await eventually(
            lambda e=extension: _free(stack, e), 10, f"agent {extension} free after the burst"
        )


async def _all_seen(audit: OfferAudit) -> bool:
    return len(audit.answered) >= BURST


async def _free(stack: Stack, extension: str) -> bool:
    """Nobody is left reserved or on a call (8005 has 20 s of wrap-up of its own)."""
    return (await stack.agent_state(extension))["state"] in ("ready", "wrap-up")
