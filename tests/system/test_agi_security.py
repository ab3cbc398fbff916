"""Issue 11, finding 3, against the running controller: a local process that speaks FastAGI
without the install's secret cannot log agent 8002 in; Asterisk, which carries the secret in
every AGI URL, still serves a real call through the IVR."""

from __future__ import annotations

import asyncio

import pytest

from ivr_acd.wiring.agi import agi_secret
from ivr_acd_dev.simulator import Phone
from tests.agi_client import AgiClient
from tests.system.conftest import Stack, utc_now_iso
from wire import names

pytestmark = [pytest.mark.system, pytest.mark.security]

LOG_8002_IN = {"CHANNEL(endpoint)": "8002", names.VAR_ACD_FEATURE: "login"}


async def test_a_local_process_without_the_secret_cannot_log_agent_8002_in(stack: Stack) -> None:
    before = await stack.agent_state("8002")
    port = stack.settings.agi.port
    for script in ("agent", "not-the-secret-0123456789/agent", "agent/agent"):
        client = await AgiClient(LOG_8002_IN).session(port, script)
        assert client.closed_by_server and client.commands == [], script
    await asyncio.sleep(0.5)
    after = await stack.agent_state("8002")
    # not logged in, not even touched (only the clock moved on)
    after.pop("seconds_in_state")
    before.pop("seconds_in_state")
    assert after == before
    log = stack.controller_log()
    assert log.count("no or wrong AGI secret") >= 3
    assert agi_secret(stack.settings) not in log


async def test_asterisk_carries_the_secret_and_a_real_call_is_served(
    stack: Stack, agent_8001: Phone
) -> None:
    since = utc_now_iso()
    caller, call = await stack.dial("13800138011", keys="20")
    ring = await agent_8001.wait_incoming(25)
    assert ring.remote_user == "13800138011"
    await ring.answer()
    await ring.wait_state("CONFIRMED", 5)
    await asyncio.sleep(1.0)
    await call.hangup()
    await ring.wait_state("DISCONNECTED", 5)
    await caller.close()
    record = await stack.cdr("13800138011", since)
    assert record.ivr_path == "language:2>main:0>person"  # the IVR ran, not the fallback
    assert agi_secret(stack.settings) not in stack.controller_log()
