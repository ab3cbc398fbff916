"""The caller still reaches a person when the controller misbehaves, is gone, or Asterisk
restarts under it."""

from __future__ import annotations

import asyncio
import os
import signal

import pytest

from ivr_acd.wiring.agi import dialplan_agi_targets
from ivr_acd_dev.simulator import Phone
from tests.system.conftest import Stack, eventually, utc_now_iso

pytestmark = pytest.mark.system


async def _call_reaches_agent(stack: Stack, agent: Phone, number: str, keys: str = "") -> None:
    caller, call = await stack.dial(number, keys)
    ring = await agent.wait_incoming(25)
    assert ring.remote_user == number
    await ring.answer()
    await ring.wait_state("CONFIRMED", 5)
    await asyncio.sleep(1.5)
    assert (await ring.stats()).rx_packets > 0
    await call.hangup()
    await ring.wait_state("DISCONNECTED", 5)
    await caller.close()


async def test_garbage_on_the_fastagi_port_is_logged_and_the_controller_keeps_serving(
    stack: Stack, agent_8001: Phone
) -> None:
    port = stack.settings.agi.port
    for junk in (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", b"\xff\xfe\x00garbage", b""):
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(junk)
        await writer.drain()
        writer.close()
    long_line = b"agi_x: " + b"y" * 40000 + b"\n"
    _, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(long_line)
    writer.close()

    since = utc_now_iso()
    await _call_reaches_agent(stack, agent_8001, "13800138006", keys="20")
    record = await stack.cdr("13800138006", since)
    assert record.ivr_path == "language:2>main:0>person"
    assert "rejected a connection" in stack.controller_log()


async def test_an_unknown_agi_route_sends_the_caller_to_the_fallback(
    stack: Stack, agent_8001: Phone
) -> None:
    target = dialplan_agi_targets(stack.settings)[0]  # host:port/<secret>
    await stack.ami.action(
        "Setvar", Variable="AGI_TARGETS", Value=f"{target}/no-such-route"
    )  # the dialplan then asks for agi://<target>/no-such-route/ivr
    try:
        since = utc_now_iso()
        await _call_reaches_agent(stack, agent_8001, "13800138007")
    finally:
        await stack.ami.action("Setvar", Variable="AGI_TARGETS", Value=target)
    record = await stack.cdr("13800138007", since)
    assert record.ivr_path == "unknown-route:no-such-route/ivr>fallback"
    assert record.agent_extension == "8001"
    assert "unknown route 'no-such-route/ivr'" in stack.controller_log()


async def test_with_the_controller_stopped_the_fallback_still_reaches_agent_8001(
    stack: Stack, agent_8001: Phone
) -> None:
    await stack.controller.stop()
    try:
        await _call_reaches_agent(stack, agent_8001, "13800138008")
    finally:
        await stack.start_controller()


async def test_after_an_asterisk_restart_the_controller_reconnects_and_calls_work(
    stack: Stack, agent_8001: Phone
) -> None:
    await stack.sandbox.stop()
    await stack.sandbox.start(stack.phones)
    await stack.ami.wait_ready(15)

    async def ami_reconnected() -> bool:
        status, health = await stack.get("/health", token=None)
        return status == 200 and health["ami"]["ok"]

    await eventually(ami_reconnected, 20, "the controller to log in to the new Asterisk")
    await agent_8001.register()
    since = utc_now_iso()
    await _call_reaches_agent(stack, agent_8001, "13800138009", keys="10")
    record = await stack.cdr("13800138009", since)
    assert record.ivr_path == "language:1>main:0>person" and record.language == "zh"


async def test_sigterm_takes_no_new_calls_lets_the_ivr_session_finish_and_loses_no_cdr(
    stack: Stack, agent_8001: Phone
) -> None:
    since = utc_now_iso()
    caller, call = await stack.dial("13800138010", "2")
    await asyncio.sleep(0.5)
    pid = stack.controller.pid()
    assert pid is not None
    os.kill(pid, signal.SIGTERM)

    async def agi_closed() -> bool:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", stack.settings.agi.port)
        except OSError:
            return True
        writer.close()
        return False

    await eventually(agi_closed, 3, "the controller to stop taking new IVR sessions")
    assert stack.controller.pid() is not None, "the live IVR session is still being served"
    await call.dtmf("0")
    ring = await agent_8001.wait_incoming(20)
    await ring.answer()
    await ring.wait_state("CONFIRMED", 5)

    async def controller_gone() -> bool:
        return stack.controller.pid() is None

    await eventually(controller_gone, 10, "the controller to exit once the session ended")
    await asyncio.sleep(1.0)
    await call.hangup()
    await ring.wait_state("DISCONNECTED", 5)
    await caller.close()

    await stack.start_controller()  # the call ended while no controller ran
    record = await stack.cdr("13800138010", since)
    assert record.ivr_path == "language:2>main:0>person"
    assert record.agent_extension == "8001"
    assert record.billsec > 0 and record.hangup_cause == 16
