"""Exact call figures through the real sandbox (issue 12): talk time is the agent's own leg;
an Asterisk crash mid-call keeps the call's path, agent and talk time; a new CRM on an old
sandbox instance imports none of the instance's history."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import sqlite3
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from ivr_acd_dev.simulator import Phone
from tests.system.conftest import Stack, eventually, utc_now_iso

pytestmark = pytest.mark.system

Check = Callable[[], Awaitable[bool]]


async def _agent_ready(stack: Stack) -> None:
    state = (await stack.agent_state("8001"))["state"]
    if state == "paused":
        await stack.agent_action("8001", "unpause")
    elif state == "logged-out":
        await stack.agent_action("8001", "login")

    async def ready() -> bool:
        return (await stack.agent_state("8001"))["state"] == "ready"

    await eventually(ready, 20, "agent 8001 to be ready")


async def test_talk_time_is_the_agent_legs_connected_time(stack: Stack, agent_8001: Phone) -> None:
    await _agent_ready(stack)
    since = utc_now_iso()
    caller, call = await stack.dial("13800138041", "20")  # English, a person: 3 s of IVR
    ring = await agent_8001.wait_incoming(25)
    await asyncio.sleep(2.0)  # it rings: queue time, not talk
    await ring.answer()
    await ring.wait_state("CONFIRMED", 5)
    answered = time.monotonic()
    await asyncio.sleep(4.0)
    await call.hangup()
    await ring.wait_state("DISCONNECTED", 5)
    connected = time.monotonic() - answered
    await caller.close()

    record = await stack.cdr("13800138041", since)
    print(
        f"agent leg {connected:.2f} s; CDR talk {record.talk_seconds} s, billsec {record.billsec} s"
    )
    assert record.agent_extension == "8001"
    assert abs(record.talk_seconds - connected) <= 1.0, (record, connected)
    assert record.billsec >= record.talk_seconds + 2, "the caller's leg counts the IVR too"
    assert record.agent_answer_time is not None and record.agent_end_time is not None
    measured = (record.agent_end_time - record.agent_answer_time).total_seconds()
    assert abs(measured - connected) <= 1.0


async def test_an_asterisk_crash_mid_call_keeps_path_agent_and_the_agent_legs_time(
    stack: Stack, agent_8001: Phone
) -> None:
    await _agent_ready(stack)
    since = utc_now_iso()
    caller, call = await stack.dial("13800138042", "20")
    ring = await agent_8001.wait_incoming(25)
    await ring.answer()
    await ring.wait_state("CONFIRMED", 5)
    answered = time.monotonic()
    await asyncio.sleep(5.0)
    pid = stack.sandbox.pid()
    assert pid is not None
    os.kill(pid, signal.SIGKILL)  # Asterisk dies with the call: no CDR, no hang-up event
    killed = time.monotonic()
    try:
        await eventually(_asterisk_gone(stack), 10, "Asterisk to die")
        await stack.sandbox.start(stack.phones)
        await stack.ami.wait_ready(15)
        await eventually(_ami_back(stack), 20, "the controller to log in to the new Asterisk")
        record = await stack.cdr("13800138042", since, timeout_s=30)
    finally:
        with contextlib.suppress(Exception):
            await call.hangup()
        with contextlib.suppress(Exception):
            await ring.hangup()
        await caller.close()
        with contextlib.suppress(Exception):
            await agent_8001.register()
    print(
        f"crash record: path={record.ivr_path} agent={record.agent_extension} "
        f"talk={record.talk_seconds} billsec={record.billsec}"
    )
    assert record.ivr_path == "language:2>main:0>person"
    assert record.agent_extension == "8001" and record.queue
    assert abs(record.talk_seconds - (killed - answered)) <= 1.0, record
    assert record.billsec >= record.talk_seconds and record.disposition == "ANSWERED"


def _asterisk_gone(stack: Stack) -> Check:
    async def gone() -> bool:
        return stack.sandbox.pid() is None

    return gone


def _ami_back(stack: Stack) -> Check:
    async def back() -> bool:
        _, health = await stack.get("/health", token=None)
        return bool(health["ami"]["ok"])

    return back


@contextlib.asynccontextmanager
async def _fresh(stack: Stack) -> AsyncIterator[str]:
    """The controller restarted on a new CRM: the stack's agents and phones, no call records,
    no journal cursor, as a CRM set up today next to an Asterisk that has run for a while."""
    url = stack.settings.database_url
    assert url.startswith("sqlite"), "the system stack's CRM is SQLite"
    current = stack.settings.paths.crm_db
    fresh = current.with_name("fresh-crm.db")
    await stack.controller.stop()
    shutil.copyfile(current, fresh)
    with sqlite3.connect(fresh) as db:
        db.execute("DELETE FROM calls")
        db.execute("DELETE FROM journal_cursors")
    # nor a cursor in the state folder, where a controller once kept it (a fresh stack's
    # folder has none: that is how the old history came in)
    (stack.settings.state_dir / "journal.cursor").unlink(missing_ok=True)
    try:
        await stack.start_controller(
            IVR_ACD_DATABASE__URL=f"sqlite+aiosqlite:///{fresh}",
            IVR_ACD_CONTROLLER__JOURNAL_INTERVAL="1",
        )
        yield str(fresh)
    finally:
        await stack.controller.stop()
        await stack.start_controller()
        fresh.unlink(missing_ok=True)


async def test_a_new_crm_on_an_old_sandbox_instance_imports_nothing_old(
    stack: Stack, agent_8001: Phone
) -> None:
    since = "2000-01-01T00:00:00Z"
    old_since = utc_now_iso()
    caller, call = await stack.dial("13800138043", "2")  # a call the old CRM records
    await asyncio.sleep(1.0)
    await call.hangup()
    await caller.close()
    await stack.cdr("13800138043", old_since)
    journal = stack.settings.paths.cdr_journal
    await eventually(_journal_has(journal, "13800138043"), 10, "the call in Asterisk's journal")

    async with _fresh(stack):
        await asyncio.sleep(3.0)  # the resync at log-in and two journal checks since
        status, body = await stack.get(f"/calls?since={since}")
        assert status == 200 and body["calls"] == [], [c["linkedid"] for c in body["calls"]]
        new_since = utc_now_iso()
        caller, call = await stack.dial("13800138044", "2")  # a call of its own: recorded
        await asyncio.sleep(1.0)
        await call.hangup()
        await caller.close()
        record = await stack.cdr("13800138044", new_since)
        assert record.caller_number == "13800138044"
        status, body = await stack.get(f"/calls?since={since}")
        assert [c["caller_number"] for c in body["calls"]] == ["13800138044"]


def _journal_has(journal: Path, number: str) -> Check:
    async def has() -> bool:
        text = await asyncio.to_thread(journal.read_text, encoding="utf-8", errors="replace")
        return number in text

    return has
