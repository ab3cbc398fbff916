"""The ACD through the real sandbox: pjsua2 callers reach pjsua2 agent softphones with
different skills, chosen by the router; agents log in, pause and come back by feature code and
REST; ring-no-answer, wrap-up and abandoned calls as a contact centre expects them."""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from ivr_acd_dev.simulator import Call, Phone, PhonePool, PhoneTimeout
from tests.system.conftest import RING_SECONDS, Stack, clear_redis, eventually, utc_now_iso

pytestmark = pytest.mark.system

FLOOR = ("8002", "8004", "8005", "8006")
ENGLISH_PERSON = "20"  # English, then 0 for a person
MANDARIN_PERSON = "10"


class Floor:
    def __init__(self, stack: Stack, phones: dict[str, Phone]) -> None:
        self.stack = stack
        self.phones = phones
        self.saved: dict[str, dict[str, Any]] = {}

    async def login(self, *extensions: str) -> None:
        """Log in one after the other: the first has been idle longest."""
        for extension in extensions:
            await self.stack.agent_action(extension, "login")
            await asyncio.sleep(0.3)

    async def state(self, extension: str) -> dict[str, Any]:
        return await self.stack.agent_state(extension)

    async def change(self, extension: str, **changes: Any) -> None:
        """Change an agent in the CRM (restored after the test)."""
        if extension not in self.saved:
            status, body = await self.stack.get(f"/agents/{extension}")
            assert status == 200, body
            agent = body["agent"]
            self.saved[extension] = {k: agent[k] for k in ("skills", "languages", "wrapup_seconds")}
        status, body = await self.stack.send("PATCH", f"/agents/{extension}", changes)
        assert status == 200, body

    async def ring(self, extension: str, timeout_s: float = 20) -> Call:
        return await self.phones[extension].wait_incoming(timeout_s)

    async def no_ring(self, extension: str, seconds: float) -> None:
        with pytest.raises(PhoneTimeout):
            await self.phones[extension].wait_incoming(seconds)

    async def reset(self) -> None:
        await eventually(self._nobody_waiting, 15, "no caller left in line")
        for extension in ("8001", *FLOOR):
            with contextlib.suppress(AssertionError):
                await eventually(
                    lambda e=extension: self._idle(e), 15, f"agent {extension} off the phone"
                )
            if (await self.state(extension))["state"] != "logged-out":
                await self.stack.agent_action(extension, "logout")
        for extension, fields in self.saved.items():
            await self.stack.send("PATCH", f"/agents/{extension}", fields)
        self.saved.clear()

    async def _nobody_waiting(self) -> bool:
        status, body = await self.stack.get("/queues")
        return status == 200 and not body["waiting"]

    async def _idle(self, extension: str) -> bool:
        return (await self.state(extension))["state"] not in ("reserved", "on-call")


@pytest.fixture(scope="module")
async def phones(stack: Stack) -> AsyncIterator[dict[str, Phone]]:
    registered: dict[str, Phone] = {}
    for extension in FLOOR:
        phone = await stack.pool.add_phone(
            f"acd-{extension}", extension, stack.secret_of(extension), stack.domain
        )
        await phone.register()
        registered[extension] = phone
    yield registered
    for phone in registered.values():
        await phone.close()


@pytest.fixture
async def floor(stack: Stack, phones: dict[str, Phone]) -> AsyncIterator[Floor]:
    the_floor = Floor(stack, phones)
    await the_floor.reset()
    try:
        yield the_floor
    finally:
        await the_floor.reset()


async def talk(ring: Call, seconds: float = 1.5) -> None:
    await ring.answer()
    await ring.wait_state("CONFIRMED", 10)
    await asyncio.sleep(seconds)


async def test_a_vip_reaches_the_expert_although_a_non_expert_idled_longer(
    stack: Stack, floor: Floor
) -> None:
    await floor.login("8002", "8005")  # 8002: service 3 (no expert), idle longer
    since = utc_now_iso()
    caller, _call = await stack.dial("13800138004", ENGLISH_PERSON)  # VIP; AM 8006 logged out
    ring = await floor.ring("8005")
    assert ring.remote_user == "13800138004"
    assert ring.remote_name == "陈静"
    await talk(ring)
    await ring.hangup()
    record = await stack.cdr("13800138004", since)
    assert (record.agent_extension, record.vip, record.queue) == ("8005", True, "service")
    assert record.escalation_step == "initial"
    assert record.wait_seconds is not None and record.wait_seconds < 10
    assert not record.abandoned
    await caller.close()


async def test_a_standard_caller_reaches_the_longest_idle_qualified_agent(
    stack: Stack, floor: Floor
) -> None:
    # equal fit (service 4) and equal other skills: only idle time tells them apart
    same = {"service": 4, "sales": 3, "auto": 3, "health": 2}  # as 8004's
    await floor.change("8002", skills=same, languages=["zh", "en"])
    await floor.login("8002", "8004")
    first, _call = await stack.dial("13800138000", ENGLISH_PERSON)
    ring = await floor.ring("8002")
    await talk(ring)
    await ring.hangup()
    await eventually(lambda: _state_is(floor, "8002", "ready"), 10, "8002 ready again")
    second, _call = await stack.dial("13800138003", ENGLISH_PERSON)
    ring = await floor.ring("8004")  # now idle longer than 8002
    await talk(ring)
    await ring.hangup()
    await first.close()
    await second.close()


async def test_the_account_manager_is_preferred(stack: Stack, floor: Floor) -> None:
    await floor.login("8005", "8006")  # 8005 fits better and idled longer; 8006 is the AM
    since = utc_now_iso()
    caller, _call = await stack.dial("13800138004", MANDARIN_PERSON)
    ring = await floor.ring("8006")
    await talk(ring)
    await ring.hangup()
    record = await stack.cdr("13800138004", since)
    assert record.agent_extension == "8006"
    await caller.close()


async def test_no_expert_free_escalates_to_a_relaxed_level(stack: Stack, floor: Floor) -> None:
    await floor.login("8002")  # service 3: not an expert for a VIP
    since = utc_now_iso()
    caller, _call = await stack.dial("13800138004", ENGLISH_PERSON)
    await floor.no_ring("8002", 5)
    ring = await floor.ring("8002", 15)  # the relax-level step (8 s in the tests)
    await talk(ring)
    await ring.hangup()
    record = await stack.cdr("13800138004", since)
    assert record.escalation_step == "relax-level"
    assert record.wait_seconds is not None and record.wait_seconds >= 7
    await caller.close()


async def test_ring_no_answer_pauses_the_agent_and_the_call_goes_on(
    stack: Stack, floor: Floor
) -> None:
    await floor.login("8002", "8004")  # 8002 first: fewer other skills (8004's stay free)
    caller, _call = await stack.dial("13800138000", ENGLISH_PERSON)
    unanswered = await floor.ring("8002")
    started = time.monotonic()
    ring = await floor.ring("8004", RING_SECONDS + 10)
    assert time.monotonic() - started >= RING_SECONDS - 1
    state = await floor.state("8002")
    assert (state["state"], state["reason"]) == ("paused", "no-answer")
    await talk(ring)
    await ring.hangup()
    assert unanswered.ended or unanswered.state in ("DISCONNECTED", "NULL")
    await caller.close()


async def test_wrap_up_is_respected(stack: Stack, floor: Floor) -> None:
    await floor.change("8004", wrapup_seconds=6)
    await floor.login("8004")
    first, _call = await stack.dial("13800138000", ENGLISH_PERSON)
    ring = await floor.ring("8004")
    await talk(ring)
    await ring.hangup()
    ended = time.monotonic()
    await eventually(lambda: _state_is(floor, "8004", "wrap-up"), 5, "8004 in wrap-up")
    second, _call = await stack.dial("13800138003", ENGLISH_PERSON)
    ring = await floor.ring("8004", 20)
    assert time.monotonic() - ended >= 5.5
    await talk(ring, 0.5)
    await ring.hangup()
    await first.close()
    await second.close()


async def test_feature_codes_and_a_paused_agent_is_skipped(stack: Stack, floor: Floor) -> None:
    for extension in ("8004", "8002"):
        await _feature(floor.phones[extension], stack, "*50")
    assert (await floor.state("8004"))["state"] == "ready"
    await _feature(floor.phones["8004"], stack, "*522")  # pause: lunch
    state = await floor.state("8004")
    assert (state["state"], state["reason"]) == ("paused", "lunch")
    caller, _call = await stack.dial("13800138000", ENGLISH_PERSON)
    ring = await floor.ring("8002")  # 8004 fits better, but is paused
    await talk(ring, 0.5)
    await ring.hangup()
    await _feature(floor.phones["8004"], stack, "*53")
    assert (await floor.state("8004"))["state"] == "ready"
    await _feature(floor.phones["8004"], stack, "*51")
    assert (await floor.state("8004"))["state"] == "logged-out"
    await caller.close()


async def test_an_abandoned_call_is_counted_and_listed_for_callback(
    stack: Stack, floor: Floor
) -> None:
    since = utc_now_iso()
    before = await _abandoned(stack)
    caller, call = await stack.dial("13800138005", ENGLISH_PERSON)  # nobody logged in
    await asyncio.sleep(4)
    await call.hangup()
    record = await stack.cdr("13800138005", since)
    assert record.abandoned and record.agent_extension is None
    status, body = await stack.get("/callbacks?kind=abandoned")
    assert status == 200, body
    assert any(c["call_linkedid"] == record.linkedid for c in body["callbacks"]), body
    assert await _abandoned(stack) == before + 1
    await caller.close()


async def _abandoned(stack: Stack) -> int:
    status, body = await stack.get("/queues")
    assert status == 200, body
    return sum(q["abandoned"] for q in body["queues"])


async def _state_is(floor: Floor, extension: str, state: str) -> bool:
    return (await floor.state(extension))["state"] == state


async def _feature(phone: Phone, stack: Stack, code: str) -> None:
    """Key a feature code on the softphone: the controller answers and confirms it."""
    call = await phone.call(f"sip:{code}@{stack.domain}")
    await call.wait_state("CONFIRMED", 10)
    await call.wait_state("DISCONNECTED", 20)


async def test_a_callback_keeps_the_callers_place(stack: Stack, floor: Floor) -> None:
    ast = stack.settings.asterisk
    # The carrier's side receives the callback; alone in its worker, so the INVITE for the
    # customer's number (no account of that name) lands on it.
    carrier_pool = PhonePool(rtp_base=42000)
    carrier = await carrier_pool.add_phone(
        "carrier-ua",
        ast.carrier_username,
        stack.settings.secret(ast.carrier_password, "carrier_password"),
        stack.domain,
    )
    await carrier.register()
    try:
        first, first_call = await stack.dial("13800138000", ENGLISH_PERSON)  # nobody logged in
        await asyncio.sleep(1)
        since = utc_now_iso()  # after the waiting call began: only the callback's record is newer
        await asyncio.sleep(3)
        await first_call.dtmf("1")  # call me back
        await first_call.wait_state("DISCONNECTED", 20)
        second, _call = await stack.dial("13800138003", ENGLISH_PERSON)  # joins behind it
        await asyncio.sleep(2)
        await floor.login("8004")
        ring = await floor.ring("8004")  # the callback first: its place came first
        assert ring.remote_user == "13800138000"
        await ring.answer()
        customer = await carrier.wait_incoming(15)
        await customer.answer()
        await customer.wait_state("CONFIRMED", 10)
        await asyncio.sleep(1)
        await ring.hangup()
        ring = await floor.ring("8004", 20)  # then the caller who waited on the line
        assert ring.remote_user == "13800138003"
        await talk(ring, 0.5)
        await ring.hangup()
        status, body = await stack.get("/callbacks?kind=requested")
        assert status == 200, body
        assert any(c["caller_number"] == "13800138000" for c in body["callbacks"]), body
        callback = await stack.cdr("13800138000", since)  # the callback's own record
        assert (callback.direction, callback.agent_extension) == ("outbound", "8004")
        assert callback.ivr_path == "callback" and callback.linkedid.endswith("-cb")
        await first.close()
        await second.close()
    finally:
        await carrier_pool.close()


async def test_waiting_callers_hear_their_place_in_line(stack: Stack, floor: Floor) -> None:
    first, first_call = await stack.dial("13800138000", ENGLISH_PERSON)  # nobody logged in
    await asyncio.sleep(2)
    second, second_call = await stack.dial("13800138003", ENGLISH_PERSON)
    await eventually(
        lambda: _logged(stack, "waits: position=2 ewt="), 15, "the second caller told their place"
    )
    # every announce_every seconds (10 in the tests) they hear it again, still waiting
    await eventually(lambda: _announced_again(stack), 25, "the place announced again")
    assert first_call.state == "CONFIRMED" and second_call.state == "CONFIRMED"
    for phone, call in ((first, first_call), (second, second_call)):
        await call.hangup()
        await call.wait_state("DISCONNECTED", 10)
        await phone.close()


async def test_a_blacklisted_number_is_turned_away_and_flagged(stack: Stack, floor: Floor) -> None:
    await floor.login("8004")
    since = utc_now_iso()
    caller, call = await stack.dial("13900000666", ENGLISH_PERSON)  # policy: reject
    await call.wait_state("DISCONNECTED", 30)
    await floor.no_ring("8004", 1)
    record = await stack.cdr("13900000666", since)
    assert record.blacklisted and record.agent_extension is None
    await caller.close()


async def test_an_agent_added_through_the_api_can_register_and_take_calls_at_once(
    stack: Stack, floor: Floor
) -> None:
    status, body = await stack.send(
        "POST",
        "/agents",
        {
            "extension": "8010",
            "name": "New Hire",
            "password": "welcome-8010",
            "languages": ["en", "zh"],
            "team": "service",
            "skills": {"service": 2},
        },
    )
    assert status == 201, body
    try:
        secret = await _sip_secret(stack, "8010")
        phone = await stack.pool.add_phone("new-8010", "8010", secret, stack.domain)
        assert await phone.register() == 200  # provisioned live: no Asterisk restart
        await stack.agent_action("8010", "login")
        caller, _call = await stack.dial("13800138000", ENGLISH_PERSON)
        ring = await phone.wait_incoming(20)
        await talk(ring, 0.5)
        await ring.hangup()
        await eventually(lambda: _state_is(floor, "8010", "ready"), 10, "8010 off the phone")
        await stack.agent_action("8010", "logout")
        await phone.close()
        await caller.close()
    finally:
        await stack.send("DELETE", "/agents/8010")


async def test_a_pause_reason_survives_a_controller_restart_and_a_redis_loss(
    stack: Stack, floor: Floor
) -> None:
    await floor.login("8004")
    await stack.agent_action("8004", "pause", reason="training")
    await stack.controller.stop()
    await stack.start_controller()
    await eventually(lambda: _paused_for(floor, "8004", "training"), 10, "pause kept")
    await stack.controller.stop()
    await clear_redis(stack.settings, "acd:*")  # as if Redis restarted empty
    await stack.start_controller()
    await eventually(lambda: _paused_for(floor, "8004", "training"), 10, "pause restored")


async def _paused_for(floor: Floor, extension: str, reason: str) -> bool:
    state = await floor.state(extension)
    return (state["state"], state["reason"]) == ("paused", reason)


async def _sip_secret(stack: Stack, extension: str) -> str:
    from crm_bridge.db import Database
    from crm_bridge.repositories import AgentRepository

    database = Database(stack.settings.database_url)
    try:
        phones = await AgentRepository(database.sessions).list_provisioned()
    finally:
        await database.close()
    return next(p.sip_secret for p in phones if p.extension == extension)


async def _announced_again(stack: Stack) -> bool:
    return re.search(r"call=\S+ position=2 ewt=", stack.controller_log()) is not None


async def _logged(stack: Stack, text: str) -> bool:
    return text in stack.controller_log()
