"""Issue 12, finding 2: with two controllers, one of them SIGKILLed, every caller still gets the
IVR (the dialplan tries the other controller before the ring-all fallback), and a caller in the
IVR when their controller is killed goes on at the main menu on the other one, in the language
they chose."""

from __future__ import annotations

import asyncio
import os
import signal

import pytest

from ivr_acd.wiring.agi import dialplan_agi_targets
from ivr_acd_dev.simulator import Phone
from ivr_acd_dev.stack import BackgroundController
from tests.system.conftest import Stack, utc_now_iso
from tests.system.test_acd_cluster import second_controller  # noqa: F401 - the fixture
from wire import names

pytestmark = pytest.mark.system


def _kill(controller: BackgroundController) -> None:
    pid = controller.pid()
    assert pid is not None, "the second controller is not running"
    os.kill(pid, signal.SIGKILL)


def _asterisk_log(stack: Stack) -> str:
    log = stack.sandbox.inside(stack.sandbox.paths.log) / "messages.log"
    return log.read_text(errors="replace") if log.exists() else ""


async def _set_targets(stack: Stack, targets: list[str], count: int) -> None:
    await stack.ami.action("Setvar", Variable=names.GLOBAL_AGI_TARGETS, Value="&".join(targets))
    await stack.ami.action("Setvar", Variable=names.GLOBAL_AGI_TARGET_COUNT, Value=str(count))


async def test_with_one_of_two_controllers_killed_ten_callers_in_a_row_all_get_the_ivr(
    stack: Stack,
    second_controller: BackgroundController,  # noqa: F811
) -> None:
    _kill(second_controller)
    failovers_before = _asterisk_log(stack).count("unreachable for ivr")
    since = utc_now_iso()
    numbers = [f"139001390{n:02d}" for n in range(1, 11)]
    for number in numbers:
        caller, call = await stack.dial(number, keys="2")
        await asyncio.sleep(1.5)  # the English main menu starts
        await call.hangup()
        await caller.close()
    for number in numbers:
        record = await stack.cdr(number, since)
        assert record.ivr_path.startswith("language:2>main"), (number, record.ivr_path)
        assert "fallback" not in record.ivr_path and record.language == "en"
    # the dead controller was drawn first for some of them (each call draws one at random)
    assert _asterisk_log(stack).count("unreachable for ivr") > failovers_before


async def test_a_caller_whose_controller_dies_mid_ivr_goes_on_at_the_main_menu_on_the_other(
    stack: Stack,
    second_controller: BackgroundController,  # noqa: F811
    agent_8001: Phone,
) -> None:
    first = dialplan_agi_targets(stack.settings)
    second = dialplan_agi_targets(second_controller.settings)
    await _set_targets(stack, [*second, *first], 1)  # the caller's IVR runs on the second
    since = utc_now_iso()
    caller, call = await stack.dial("13900139020", keys="2")  # English
    await _set_targets(stack, [*second, *first], 2)
    await asyncio.sleep(1.5)  # in the main menu now, on the second controller
    _kill(second_controller)
    await asyncio.sleep(2.0)  # the first controller has taken over: the main menu again
    await call.dtmf("0")
    ring = await agent_8001.wait_incoming(25)
    await ring.answer()
    await ring.wait_state("CONFIRMED", 5)
    await asyncio.sleep(1.0)
    await call.hangup()
    await ring.wait_state("DISCONNECTED", 5)
    await caller.close()
    record = await stack.cdr("13900139020", since)
    assert record.ivr_path == "language:2>main>resume>main:0>person", record.ivr_path
    assert record.language == "en" and record.agent_extension == "8001"
    assert "ivr resumed at main (language en)" in stack.controller_log()
