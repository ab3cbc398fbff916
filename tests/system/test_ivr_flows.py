"""Every self-service flow through the real sandbox, with a pjsua2 caller keying RFC 4733 DTMF."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from crm_bridge.db import Database
from ivr.handoff import Handoff
from ivr.handoff_store import HandoffStore
from ivr_acd_dev.simulator import Call, Phone
from tests.system.conftest import Stack, eventually, utc_now_iso
from wire import redis_keys

pytestmark = pytest.mark.system

PAUSE = 1.2  # between keys: the prompt starts, the key barges in
LIU_YANG_BORN = "19921111#"  # the seeded holder of 13800138003's policies


async def keys(call: Call, steps: Sequence[str | float]) -> None:
    for step in steps:
        if isinstance(step, float):
            await asyncio.sleep(step)
        else:
            await asyncio.sleep(PAUSE)
            await call.dtmf(step)


async def rows(stack: Stack, sql: str, **params: Any) -> list[Any]:
    database = Database(stack.settings.database_url)
    try:
        async with database.engine.connect() as conn:
            return list((await conn.execute(text(sql), params)).all())
    finally:
        await database.close()


async def handoff_of(stack: Stack, linkedid: str) -> Handoff | None:
    import redis.asyncio as aioredis

    client = aioredis.from_url(stack.settings.redis.url)
    try:
        prefix = redis_keys.prefix_for(stack.settings.sandbox.instance)
        return await HandoffStore(client, prefix).get(linkedid)
    finally:
        await client.aclose()


async def reach_person(stack: Stack, agent: Phone, call: Call, within_s: float = 25) -> None:
    ring = await agent.wait_incoming(within_s)
    await ring.answer()
    await ring.wait_state("CONFIRMED", 5)
    await call.hangup()
    await ring.wait_state("DISCONNECTED", 5)


async def no_leftovers(stack: Stack) -> None:
    async def clean() -> bool:
        _, health = await stack.get("/health", token=None)
        return await stack.live_channels() == [] and health["ivr_sessions"]["live"] == 0

    await eventually(clean, 10, "no channel and no IVR session left")


# ---- field-agent verification ------------------------------------------------------------------
async def test_a_genuine_badge_then_back_then_a_person(stack: Stack, agent_8001: Phone) -> None:
    since = utc_now_iso()
    caller, call = await stack.dial("13800138000")
    await keys(call, ["2", "1", "100234#", 2.0, "*", "0"])
    await reach_person(stack, agent_8001, call)
    record = await stack.cdr("13800138000", since)
    assert record.ivr_path == (
        "language:2>main:1>verify:badge>verify:found_active>verify:next:*>main:0>person"
    )
    found = await rows(
        stack, "SELECT outcome FROM field_agent_lookups WHERE linkedid = :l", l=record.linkedid
    )
    assert [r[0] for r in found] == ["found_active"]
    await caller.close()


async def test_a_terminated_agents_badge_warns_and_is_reported(
    stack: Stack, agent_8001: Phone
) -> None:
    since = utc_now_iso()
    caller, call = await stack.dial("13800138002")
    await keys(call, ["2", "1", "100237#", 2.0, "1", 2.0, "0"])
    await reach_person(stack, agent_8001, call)
    record = await stack.cdr("13800138002", since)
    assert "verify:found_terminated>verify:warning:1>verify:reported:0>person" in record.ivr_path
    reports = await rows(
        stack, "SELECT badge_number FROM fraud_reports WHERE linkedid = :l", l=record.linkedid
    )
    assert [r[0] for r in reports] == ["100237"]
    await caller.close()


async def test_a_wrong_badge_three_times_goes_to_a_person_who_knows_the_badges(
    stack: Stack, agent_8001: Phone
) -> None:
    since = utc_now_iso()
    caller, call = await stack.dial("13800138020")
    await keys(call, ["2", "1", "555#", 2.0, "2", "556#", 2.0, "2", "557#"])
    await reach_person(stack, agent_8001, call)
    record = await stack.cdr("13800138020", since)
    assert record.ivr_path.endswith("verify:unknown>person")
    handoff = await handoff_of(stack, record.linkedid)
    assert handoff is not None and handoff.intent == "verify-agent"
    assert handoff.facts["badges"] == "555,556,557"
    await caller.close()


# ---- quote ------------------------------------------------------------------------------------
async def test_a_quote_with_an_out_of_range_value_then_sales(
    stack: Stack, agent_8001: Phone
) -> None:
    since = utc_now_iso()
    caller, call = await stack.dial("13800138005")
    await keys(call, ["2", "2", "1", "100#", 2.0, "200000#", "35#", "3#", "2#", 2.0, "1"])
    await reach_person(stack, agent_8001, call)
    record = await stack.cdr("13800138005", since)
    assert "quote:vehicle_value>quote:driver_age>quote:claim_free_years" in record.ivr_path
    quotes = await rows(
        stack, "SELECT product, premium FROM quotes WHERE linkedid = :l", l=record.linkedid
    )
    # 200,000 x 1.8% = 3,600; age 35 x 1.00; 3 claim-free years x 0.70 = 2,520.00
    assert [(q[0], float(q[1])) for q in quotes] == [("auto", 2520.0)]
    handoff = await handoff_of(stack, record.linkedid)
    assert handoff is not None and handoff.skills == ("sales", "auto")
    assert handoff.facts["vehicle_value"] == "200000"
    await caller.close()


# ---- premium due ------------------------------------------------------------------------------
async def test_premium_due_with_a_promise_in_the_past_refused_then_kept(
    stack: Stack, agent_8001: Phone
) -> None:
    since = utc_now_iso()
    promised = datetime.now(ZoneInfo(stack.settings.ivr.time_zone)).date() + timedelta(days=7)
    caller, call = await stack.dial("13800138003")
    await keys(
        call,
        ["2", "3", 3.0, LIU_YANG_BORN, 3.0, "2", "20200101#", 3.0, f"{promised:%Y%m%d}#", 3.0, "0"],
    )
    await reach_person(stack, agent_8001, call)
    record = await stack.cdr("13800138003", since)
    assert (
        "main:3>premium:confirm>premium:confirmed>premium:policy:2>premium:promise_date"
        ">premium:promised"
    ) in record.ivr_path
    assert record.ivr_path.endswith("main:0>person")
    promises = await rows(
        stack,
        "SELECT promised_date, channel FROM payment_promises WHERE linkedid = :l",
        l=record.linkedid,
    )
    assert [(str(p[0])[:10], p[1]) for p in promises] == [(promised.isoformat(), "inbound")]
    await caller.close()


@pytest.mark.security
async def test_premium_due_from_a_customers_number_without_a_proof_reveals_nothing(
    stack: Stack, agent_8001: Phone
) -> None:
    """Issue 11, finding 5: caller ID alone (Zhang Wei's number, policies due) keying 1 then 3,
    then what the old menu took as pay / promise / dispute: no policy read, a person."""
    since = utc_now_iso()
    caller, call = await stack.dial("13800138000")
    await keys(call, ["1", "3", 6.0, "1#", 4.0, "2#", 4.0, "3#"])
    await reach_person(stack, agent_8001, call, within_s=40)
    record = await stack.cdr("13800138000", since)
    assert record.ivr_path == "language:1>main:3>premium:confirm:retries>person"
    handoff = await handoff_of(stack, record.linkedid)
    assert handoff is not None and "policy" not in handoff.facts
    promises = "SELECT id FROM payment_promises WHERE linkedid = :l"
    assert await rows(stack, promises, l=record.linkedid) == []
    await caller.close()


# ---- complaint --------------------------------------------------------------------------------
async def test_a_complaint_is_recorded_and_handed_to_complaints(
    stack: Stack, agent_8001: Phone
) -> None:
    since = utc_now_iso()
    caller, call = await stack.dial("13800138006")
    await call.play_tone(500)
    await keys(call, ["2", "4", "2", 6.0, "#"])
    await reach_person(stack, agent_8001, call)
    record = await stack.cdr("13800138006", since)
    assert "complaint:category:2>complaint:recorded>person" in record.ivr_path
    tickets = await rows(
        stack,
        "SELECT category, recording_file FROM complaints WHERE linkedid = :l",
        l=record.linkedid,
    )
    assert tickets and tickets[0][0] == "claims"
    recording = stack.sandbox.inside(tickets[0][1])
    assert recording.is_file() and recording.stat().st_size > 8000
    await caller.close()


# ---- the rules every menu shares --------------------------------------------------------------
async def test_silence_until_the_retries_run_out_reaches_a_person(
    stack: Stack, agent_8001: Phone
) -> None:
    since = utc_now_iso()
    caller, call = await stack.dial("13800138008")
    await keys(call, ["2"])
    await reach_person(stack, agent_8001, call, within_s=75)  # 3 x (menu, reason, timeout)
    record = await stack.cdr("13800138008", since)
    assert record.ivr_path == "language:2>main:retries>person"
    await caller.close()


@pytest.mark.parametrize(
    ("number", "steps", "path_part"),
    [
        ("13700000001", ["2", "1", "1002"], "verify"),
        ("13700000002", ["2", "2", "1"], "quote:product:1"),
        ("13700000003", ["2", "3", "2024"], "main:3"),
        ("13700000004", ["2", "4", "3", 2.0], "complaint:category:3"),
    ],
)
async def test_a_hang_up_in_the_middle_of_each_flow_leaves_a_cdr_and_nothing_else(
    stack: Stack, number: str, steps: list[str | float], path_part: str
) -> None:
    since = utc_now_iso()
    caller, call = await stack.dial(number)
    await keys(call, steps)
    await asyncio.sleep(0.5)
    await call.hangup()
    record = await stack.cdr(number, since)
    assert path_part in record.ivr_path and not record.ivr_path.endswith("person")
    await no_leftovers(stack)
    await caller.close()
