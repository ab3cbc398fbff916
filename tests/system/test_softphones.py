"""The simulated softphones themselves, through the sandbox: agent to agent by extension."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import pytest

from ivr_acd_dev.simulator import Phone, PhoneError
from tests.system.conftest import Stack, eventually

pytestmark = pytest.mark.system


async def _agent(stack: Stack, extension: str, **options: object) -> Phone:
    phone = await stack.pool.add_phone(
        f"agent-{extension}", extension, stack.secret_of(extension), stack.domain, **options
    )
    await phone.register()
    return phone


async def test_agent_calls_agent_with_audio_both_ways_and_busy_is_reported(
    stack: Stack, tmp_path: Path
) -> None:
    a = await _agent(stack, "8002")
    b = await _agent(stack, "8003", auto_answer_ms=200)
    busy = await _agent(stack, "8004", reject_code=486)
    call = await a.call(f"sip:8003@{stack.domain}")
    incoming = await b.wait_incoming(10)
    assert incoming.remote_user == "8002"
    await call.wait_state("CONFIRMED", 10)
    await call.play_tone(440)
    await incoming.play_tone(660)
    await call.record(tmp_path / "a.wav")
    await incoming.record(tmp_path / "b.wav")
    await asyncio.sleep(2)
    sa, sb = await call.stats(), await incoming.stats()
    assert sa.rx_packets > 50 and sb.rx_packets > 50
    assert sa.rms > 500 and sb.rms > 500
    await call.hangup()
    await incoming.wait_state("DISCONNECTED", 5)

    rejected = await a.call(f"sip:8004@{stack.domain}")
    with pytest.raises(PhoneError):
        await rejected.wait_state("CONFIRMED", 10)
    for phone in (a, b, busy):
        await phone.close()


async def test_phones_of_a_worker_that_died_move_to_a_new_worker_and_work(stack: Stack) -> None:
    a = await _agent(stack, "8002")
    b = await _agent(stack, "8003", auto_answer_ms=200)
    dead = b.worker
    assert dead.pid is not None
    os.kill(dead.pid, signal.SIGKILL)

    async def gone() -> bool:
        return not dead.alive

    await eventually(gone, 5, "the killed worker to be seen gone")
    with pytest.raises(PhoneError, match=r"not running.*exit code -9"):
        await dead.request("stats")
    moved = await stack.pool.revive()
    assert b in moved and b.worker is not dead and b.worker.alive
    await b.register()
    call = await a.call(f"sip:8003@{stack.domain}")
    await call.wait_state("CONFIRMED", 10)
    await call.hangup()
    for phone in (a, b):
        await phone.close()
