"""A real phone call through the real Asterisk into the controller, ending as a CDR."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from ivr_acd_dev.simulator import Phone, PhoneError, PhoneTimeout
from tests.system.conftest import HOTLINE, Stack, eventually, utc_now_iso

pytestmark = pytest.mark.system


async def test_caller_presses_2_then_0_and_talks_to_agent_8001(
    stack: Stack, agent_8001: Phone, tmp_path: Path
) -> None:
    since = utc_now_iso()
    caller, call = await stack.dial("13800138000")
    await call.play_tone(440)
    await asyncio.sleep(1.0)
    await call.dtmf("2")
    await asyncio.sleep(1.0)
    await call.dtmf("0")

    ring = await agent_8001.wait_incoming(20)
    assert ring.remote_user == "13800138000"
    assert ring.remote_name, "the agent's phone shows the CRM's name for the caller"
    await ring.answer()
    await ring.wait_state("CONFIRMED", 5)
    await ring.play_tone(660)
    await call.record(tmp_path / "caller-hears.wav")
    await ring.record(tmp_path / "agent-hears.wav")
    await asyncio.sleep(3)
    heard_by_caller, heard_by_agent = await call.stats(), await ring.stats()
    await call.hangup()
    await ring.wait_state("DISCONNECTED", 5)

    assert heard_by_caller.rx_packets > 100 and heard_by_agent.rx_packets > 100
    assert heard_by_agent.rms > 500, "the agent hears the caller's tone"
    assert heard_by_caller.rms > 500, "the caller hears the agent's tone"
    record = await stack.cdr("13800138000", since)
    assert record.did == HOTLINE
    assert record.agent_extension == "8001"
    assert record.ivr_path == "language:2>main:0>person"
    assert record.language == "en"
    assert record.billsec > 0 and record.duration >= record.billsec
    assert record.disposition == "ANSWERED"
    await caller.close()


async def test_hang_up_during_the_language_prompt_leaves_a_cdr_and_nothing_behind(
    stack: Stack,
) -> None:
    since = utc_now_iso()
    caller, call = await stack.dial("13800138002")
    await asyncio.sleep(1.0)
    await call.hangup()

    record = await stack.cdr("13800138002", since)
    assert record.ivr_path == "language"
    assert record.agent_extension is None and record.language is None

    async def no_channels() -> bool:
        return await stack.live_channels() == []

    await eventually(no_channels, 5, "Asterisk to have no channel left")
    status, health = await stack.get("/health", token=None)
    assert status == 200, health
    assert health["ivr_sessions"]["live"] == 0
    await caller.close()


async def test_the_api_needs_a_token_and_explains_bad_input(stack: Stack) -> None:
    status, body = await stack.get("/calls", token=None)
    assert (status, body["error"]) == (401, "unauthenticated")
    status, body = await stack.get("/calls", token="wrong")
    assert (status, body["error"]) == (403, "forbidden")
    status, body = await stack.get("/calls?since=yesterday")
    assert status == 400 and "since" in body["reason"]
    status, body = await stack.get("/calls?limit=-3")
    assert status == 400
    status, body = await stack.get("/openapi.json", token=None)
    assert status == 200 and "/calls" in body["paths"]


async def test_a_call_in_progress_is_listed_live_and_gone_after_hang_up(stack: Stack) -> None:
    caller, call = await stack.dial("13800138011")

    async def listed() -> bool:
        _, body = await stack.get("/calls/live")
        return any(c["caller_number"] == "13800138011" for c in body["calls"])

    await eventually(listed, 5, "the call in /calls/live")
    _, body = await stack.get("/calls/live")
    live = next(c for c in body["calls"] if c["caller_number"] == "13800138011")
    assert live["did"] == HOTLINE
    await call.hangup()

    async def gone() -> bool:
        return not await listed()

    await eventually(gone, 10, "the call to leave /calls/live")
    await caller.close()


async def test_the_carrier_cannot_reach_outside_numbers_or_agents_directly(
    stack: Stack, agent_8001: Phone
) -> None:
    caller = await stack.caller("13800138012")
    for target in ("008613912345678", "13912345678", "8001", "*50"):
        call = await caller.call(f"sip:{target}@{stack.domain}")
        with pytest.raises(PhoneError):
            await call.wait_state("CONFIRMED", 5)
    with pytest.raises(PhoneTimeout):
        await agent_8001.wait_incoming(1)
    await caller.close()
