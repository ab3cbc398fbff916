"""Supervision through the real sandbox: a customer (pjsua2, over the carrier trunk to the
ACD's direct line) talks to agent 8001's softphone; supervisor 9001's softphone is rung by the
REST API (or keys a feature code) and listens, whispers or barges. Each party plays its own
tone, so what each one hears is told apart by frequency in its recording."""

from __future__ import annotations

import array
import asyncio
import contextlib
import math
import struct
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from ivr_acd_dev.simulator import Call, Phone
from tests.system.conftest import DIRECT_LINE, Stack, eventually, utc_now_iso

pytestmark = pytest.mark.system

CUSTOMER_HZ = 440
AGENT_HZ = 660
SUPERVISOR_HZ = 1020
HEARD = 4000.0  # a tone another party plays, as heard (~12,400 here: pjsua2 tones at full level)
SILENT = 1000.0  # never reached by a tone not there (noise and clicks stay under ~100 here)
LISTEN_SECONDS = 2.5
WAV_HEADER = 44


def tone_level(path: Path, freq_hz: int, skip_s: float = 0.5, window_s: float = 0.25) -> float:
    """The amplitude of ``freq_hz`` in a WAV being recorded: Goertzel over each ``window_s``
    of the PCM after the header (the first ``skip_s`` left out while the audio path settles),
    the loudest window's. Heard = there at full level at some point; silent = never there."""
    data = path.read_bytes()
    rate = struct.unpack_from("<I", data, 24)[0] if len(data) >= WAV_HEADER else 8000
    samples = array.array("h")
    pcm = data[WAV_HEADER:]
    samples.frombytes(pcm[: len(pcm) - len(pcm) % 2])
    size = int(window_s * rate)
    start = int(skip_s * rate)
    windows = [samples[i : i + size] for i in range(start, len(samples) - size + 1, size)]
    return max((_goertzel(w, freq_hz, rate) for w in windows), default=0.0)


def _goertzel(window: Sequence[int], freq_hz: int, rate: int) -> float:
    coeff = 2 * math.cos(2 * math.pi * freq_hz / rate)
    s1 = s2 = 0.0
    for sample in window:
        s1, s2 = sample + coeff * s1 - s2, s1
    power = s1 * s1 + s2 * s2 - coeff * s1 * s2
    return 2 * math.sqrt(max(power, 0.0)) / len(window)


@dataclass
class LiveCall:
    stack: Stack
    caller: Phone
    customer: Call  # the customer's leg, on the caller's phone
    agent: Call  # the agent's leg, on 8001's softphone
    linkedid: str
    number: str

    async def answer(self) -> None:
        """The agent answers; both play their tone once Asterisk has bridged them."""
        await self.agent.answer()
        await self.agent.wait_state("CONFIRMED", 5)
        await self.customer.play_tone(CUSTOMER_HZ)
        await self.agent.play_tone(AGENT_HZ)

        async def bridged() -> bool:
            return any(
                c.linkedid == self.linkedid and c.channel.startswith("PJSIP/8001-") and c.bridged
                for c in await self.stack.live_channels()
            )

        await eventually(bridged, 5, "the agent bridged to the customer")

    async def end(self) -> None:
        with contextlib.suppress(Exception):
            await self.customer.hangup()
        with contextlib.suppress(Exception):
            await self.agent.wait_state("DISCONNECTED", 5)
        with contextlib.suppress(Exception):
            await self.caller.close()


class Room:
    """The calls one test makes (customers to 8001, 9001's spy legs), all ended afterwards
    whatever happens, so one failure stays one failure."""

    def __init__(self, stack: Stack, agent: Phone, supervisor: Phone) -> None:
        self.stack = stack
        self.agent = agent
        self.supervisor = supervisor
        self.calls: list[LiveCall] = []
        self.spy_legs: list[Call] = []

    async def dial(self, number: str, *, answer: bool = True) -> LiveCall:
        """``number`` calls the direct line to the ACD; 8001 rings (and answers)."""
        caller = await self.stack.caller(number)
        customer = await caller.call(f"sip:{DIRECT_LINE}@{self.stack.domain}")
        await customer.wait_state("CONFIRMED", 10)
        ring = await self.agent.wait_incoming(20)
        linkedid = await _linkedid(self.stack, number)
        call = LiveCall(self.stack, caller, customer, ring, linkedid, number)
        self.calls.append(call)
        if answer:
            await call.answer()
        return call

    async def spy_rings(self, started: float) -> Call:
        """9001's phone rings (the time since ``started`` is printed), answers, plays."""
        ring = await self.supervisor.wait_incoming(15)
        click_to_ring = time.monotonic() - started
        print(f"click-to-ring: {click_to_ring * 1000:.0f} ms from the API call to 9001 ringing")
        self.spy_legs.append(ring)
        await ring.answer()
        await ring.wait_state("CONFIRMED", 5)
        await ring.play_tone(SUPERVISOR_HZ)
        return ring

    async def dial_spy(self, code: str) -> Call:
        """9001 keys a feature code (``*228001``)."""
        leg = await self.supervisor.call(f"sip:{code}@{self.stack.domain}")
        self.spy_legs.append(leg)
        return leg

    async def close(self) -> None:
        for leg in self.spy_legs:
            with contextlib.suppress(Exception):
                await leg.hangup()
        for call in self.calls:
            await call.end()


@dataclass
class Ears:
    """Recordings of what each party hears during one phase."""

    folder: Path
    phase: str
    calls: dict[str, Call]

    async def start(self) -> None:
        for who, call in self.calls.items():
            await call.record(self.folder / f"{self.phase}-{who}.wav")

    def level(self, who: str, freq_hz: int) -> float:
        return tone_level(self.folder / f"{self.phase}-{who}.wav", freq_hz)

    def report(self) -> dict[str, dict[int, float]]:
        freqs = (CUSTOMER_HZ, AGENT_HZ, SUPERVISOR_HZ)
        return {who: {f: round(self.level(who, f)) for f in freqs} for who in self.calls}


async def hear(folder: Path, phase: str, **calls: Call) -> Ears:
    ears = Ears(folder, phase, calls)
    await ears.start()
    await asyncio.sleep(LISTEN_SECONDS)
    report = ears.report()
    print(f"{phase}: tone levels heard {report}")
    return ears


@pytest.fixture(scope="module")
async def supervisor_9001(stack: Stack) -> AsyncIterator[Phone]:
    phone = await stack.pool.add_phone(
        "supervisor-9001", "9001", stack.secret_of("9001"), stack.domain
    )
    await phone.register()
    yield phone
    await phone.close()


async def spy(stack: Stack, linkedid: str, mode: str, **body: Any) -> tuple[int, Any]:
    return await stack.send("POST", f"/calls/{linkedid}/spy", {"mode": mode, **body})


async def session(stack: Stack, spy_id: int, since: str) -> dict[str, Any]:
    status, body = await stack.get(f"/spy?since={since}")
    assert status == 200, body
    return next(s for s in body["sessions"] if s["spy_id"] == spy_id)


@pytest.fixture
async def room(stack: Stack, agent_8001: Phone, supervisor_9001: Phone) -> AsyncIterator[Room]:
    state = (await stack.agent_state("8001"))["state"]  # an earlier module may have changed it
    if state == "logged-out":
        await stack.agent_action("8001", "login")
    elif state == "paused":
        await stack.agent_action("8001", "unpause")
    the_room = Room(stack, agent_8001, supervisor_9001)
    try:
        yield the_room
    finally:
        await the_room.close()


async def test_listen_then_barge_by_the_api_with_an_audit_trail(
    stack: Stack, room: Room, tmp_path: Path
) -> None:
    since = utc_now_iso()
    call = await room.dial("13800138000")
    started = time.monotonic()
    status, created = await spy(stack, call.linkedid, "listen", supervisor="9001")
    print(f"POST /calls/{{call_id}}/spy answered in {(time.monotonic() - started) * 1000:.0f} ms")
    assert status == 201, created
    assert (created["call_id"], created["agent"], created["supervisor"], created["mode"]) == (
        call.linkedid,
        "8001",
        "9001",
        "listen",
    )
    assert created["started_at"] and isinstance(created["spy_id"], int)
    sup = await room.spy_rings(started)

    listen = await hear(tmp_path, "listen", sup=sup, customer=call.customer, agent=call.agent)
    stats = await sup.stats()
    assert stats.rx_packets > 50 and stats.rms > 300, stats
    assert listen.level("sup", CUSTOMER_HZ) > HEARD, "the supervisor hears the customer"
    assert listen.level("sup", AGENT_HZ) > HEARD, "the supervisor hears the agent"
    assert listen.level("customer", SUPERVISOR_HZ) < SILENT, "listen: the customer hears nothing"
    assert listen.level("agent", SUPERVISOR_HZ) < SILENT, "listen: the agent hears nothing"
    assert listen.level("customer", AGENT_HZ) > HEARD, "the call itself goes on"

    status, switched = await stack.send("POST", f"/spy/{created['spy_id']}/mode", {"mode": "barge"})
    assert status == 200, switched
    assert switched["mode"] == "barge"
    barge = await hear(tmp_path, "barge", sup=sup, customer=call.customer, agent=call.agent)
    assert barge.level("customer", SUPERVISOR_HZ) > HEARD, "barge: the customer hears them"
    assert barge.level("agent", SUPERVISOR_HZ) > HEARD, "barge: the agent hears them"
    assert barge.level("sup", CUSTOMER_HZ) > HEARD, "the supervisor still hears the call"
    assert sup.state == "CONFIRMED"

    status, ended = await stack.send("DELETE", f"/spy/{created['spy_id']}")
    assert status == 200, ended
    await sup.wait_state("DISCONNECTED", 5)
    assert call.customer.state == "CONFIRMED", "ending the spy leaves the call up"
    await call.end()

    audit = await session(stack, created["spy_id"], since)
    assert (audit["start_mode"], audit["mode"], audit["origin"]) == ("listen", "barge", "api")
    assert [(c["mode"], c["by"]) for c in audit["changes"]] == [("barge", "api")]
    assert audit["customer_number"] == "13800138000"
    assert audit["answered_at"] and audit["ended_at"]
    assert audit["end_reason"] == "ended-by-api"
    assert audit["requested_by"] == "api-token"


async def test_keys_on_the_supervisor_phone_switch_to_whisper_then_barge(
    stack: Stack, room: Room, tmp_path: Path
) -> None:
    since = utc_now_iso()
    call = await room.dial("13800138003")
    started = time.monotonic()
    status, created = await spy(stack, call.linkedid, "listen", supervisor="9001")
    assert status == 201, created
    sup = await room.spy_rings(started)
    await asyncio.sleep(1.0)

    await sup.dtmf("5")
    whisper = await hear(tmp_path, "whisper", sup=sup, customer=call.customer, agent=call.agent)
    assert whisper.level("agent", SUPERVISOR_HZ) > HEARD, "whisper: the agent hears them"
    assert whisper.level("customer", SUPERVISOR_HZ) < SILENT, "whisper: the customer does not"

    await sup.dtmf("6")
    barge = await hear(tmp_path, "barge", sup=sup, customer=call.customer, agent=call.agent)
    assert barge.level("customer", SUPERVISOR_HZ) > HEARD, "barge: the customer hears them"
    assert barge.level("agent", SUPERVISOR_HZ) > HEARD

    await call.customer.hangup()  # the call ends: so does the spy leg (ChanSpy's E option)
    await sup.wait_state("DISCONNECTED", 10)
    await call.end()

    async def ended() -> bool:
        return (await session(stack, created["spy_id"], since))["end_reason"] == "call-ended"

    await eventually(ended, 5, "the session to end with the call")
    audit = await session(stack, created["spy_id"], since)
    assert [(c["mode"], c["by"]) for c in audit["changes"]] == [
        ("whisper", "dtmf"),
        ("barge", "dtmf"),
    ]
    assert (audit["start_mode"], audit["mode"]) == ("listen", "barge")


async def test_feature_code_star_22_listens_from_the_supervisor_phone(
    stack: Stack, room: Room, tmp_path: Path
) -> None:
    since = utc_now_iso()
    call = await room.dial("13800138001")
    sup = await room.dial_spy("*228001")
    await sup.wait_state("CONFIRMED", 10)
    await sup.play_tone(SUPERVISOR_HZ)
    listen = await hear(tmp_path, "feature", sup=sup, customer=call.customer)
    stats = await sup.stats()
    assert stats.rx_packets > 50 and stats.rms > 300, stats
    assert listen.level("sup", CUSTOMER_HZ) > HEARD
    assert listen.level("customer", SUPERVISOR_HZ) < SILENT

    await sup.hangup()
    await eventually(
        lambda: _ended(stack, since, call.linkedid), 5, "the feature-code session to end"
    )
    _status, body = await stack.get(f"/spy?since={since}")
    audit = next(s for s in body["sessions"] if s["call_id"] == call.linkedid)
    assert (audit["origin"], audit["supervisor"], audit["agent"]) == (
        "feature-code",
        "9001",
        "8001",
    )
    assert (audit["start_mode"], audit["end_reason"]) == ("listen", "supervisor-hung-up")
    assert audit["answered_at"]
    assert call.customer.state == "CONFIRMED"
    await call.end()


async def _ended(stack: Stack, since: str, linkedid: str) -> bool:
    status, body = await stack.get(f"/spy?since={since}")
    found = [s for s in body["sessions"] if s["call_id"] == linkedid]
    return status == 200 and bool(found) and found[0]["ended_at"] is not None


async def test_the_api_refuses_what_it_cannot_do(stack: Stack, room: Room) -> None:
    status, body = await spy(stack, "1234567890.999", "listen", supervisor="9001")
    assert (status, body["error"]) == (404, "call-not-found")
    status, body = await stack.send("POST", "/calls/1.1/spy", {"mode": "shout"})
    assert (status, body["error"]) == (422, "invalid-spy-mode")
    status, body = await stack.send("POST", "/spy/999999/mode", {"mode": "listen"})
    assert (status, body["error"]) == (404, "spy-not-found")

    call = await room.dial("13800138002", answer=False)  # 8001 rings: no agent yet
    status, body = await spy(stack, call.linkedid, "listen", supervisor="9001")
    assert (status, body["error"]) == (409, "call-has-no-agent")
    await call.answer()
    status, body = await spy(stack, call.linkedid, "listen")  # the token has no phone
    assert (status, body["error"]) == (422, "supervisor-required")
    status, body = await spy(stack, call.linkedid, "listen", supervisor="8002")
    assert (status, body["error"]) == (422, "invalid-supervisor")
    status, body = await spy(stack, call.linkedid, "listen", supervisor="8001")
    assert (status, body["error"]) == (422, "invalid-supervisor")


async def _linkedid(stack: Stack, number: str) -> str:
    linkedid = ""

    async def listed() -> bool:
        nonlocal linkedid
        _status, body = await stack.get("/calls/live")
        found = [c["linkedid"] for c in body["calls"] if c["caller_number"] == number]
        linkedid = found[0] if found else ""
        return bool(linkedid)

    await eventually(listed, 5, f"{number}'s call in /calls/live")
    return linkedid


class Console:
    """A person signed in to the web console (session cookie and CSRF token)."""

    def __init__(self, stack: Stack, session: aiohttp.ClientSession, csrf: str) -> None:
        self.stack = stack
        self.session = session
        self.csrf = csrf

    @classmethod
    @contextlib.asynccontextmanager
    async def sign_in(cls, stack: Stack, extension: str) -> AsyncIterator[Console]:
        password = f"console-{extension}-password"
        status, body = await stack.send(
            "POST", f"/agents/{extension}/password", {"password": password}
        )
        assert status == 204, body
        jar = aiohttp.CookieJar(unsafe=True)  # the API listens on an IP address
        async with aiohttp.ClientSession(cookie_jar=jar) as session:
            credentials = {"extension": extension, "password": password}
            async with session.post(f"{stack.api}/auth/login", json=credentials) as resp:
                me = await resp.json()
                assert resp.status == 200, me
            yield cls(stack, session, str(me["csrf_token"]))

    async def spy(self, linkedid: str, mode: str) -> tuple[int, Any]:
        url = f"{self.stack.api}/calls/{linkedid}/spy"
        headers = {"X-CSRF-Token": self.csrf}
        async with self.session.post(url, json={"mode": mode}, headers=headers) as resp:
            return resp.status, await resp.json()


async def test_console_users_spy_by_the_rule(stack: Stack, room: Room) -> None:
    """Signed in to the console: an agent and another team's supervisor are refused; the
    agent's team supervisor gets their own phone rung without naming it."""
    call = await room.dial("13800138005")
    async with Console.sign_in(stack, "8003") as agent:
        status, body = await agent.spy(call.linkedid, "listen")
        assert (status, body["error"]) == (403, "forbidden")
    async with Console.sign_in(stack, "9002") as vip_supervisor:
        status, body = await vip_supervisor.spy(call.linkedid, "listen")
        assert (status, body["error"]) == (403, "forbidden")
    async with Console.sign_in(stack, "9001") as supervisor:
        started = time.monotonic()
        status, body = await supervisor.spy(call.linkedid, "whisper")
        assert status == 201, body
        assert (body["supervisor"], body["mode"], body["requested_by"]) == (
            "9001",
            "whisper",
            "9001",
        )
        sup = await room.spy_rings(started)
    await call.customer.hangup()
    await sup.wait_state("DISCONNECTED", 10)


async def test_a_spy_session_adds_no_inbound_customer_call(stack: Stack, room: Room) -> None:
    """Issue 12: the supervisor's spy leg was stored as an inbound customer call (one customer
    call counted 2 in the hourly chart). It is a record of its own kind, named by the audit."""
    since = utc_now_iso()
    call = await room.dial("13800138031")
    started = time.monotonic()
    status, created = await spy(stack, call.linkedid, "listen", supervisor="9001")
    assert status == 201, created
    sup = await room.spy_rings(started)
    await asyncio.sleep(1.5)
    await sup.hangup()
    await call.end()

    audit = await session(stack, created["spy_id"], since)
    leg = audit["leg_call_id"]
    assert leg and leg != call.linkedid, audit

    async def both_recorded() -> bool:
        status, body = await stack.get(f"/calls?since={since}")
        ids = {c["linkedid"] for c in body["calls"]}
        return status == 200 and {leg, call.linkedid} <= ids

    await eventually(both_recorded, 15, "the customer's and the spy leg's records")
    _, body = await stack.get(f"/calls?since={since}")
    kinds = {c["linkedid"]: (c["kind"], c["direction"]) for c in body["calls"]}
    assert kinds[call.linkedid] == ("customer", "inbound")
    assert kinds[leg][0] == "supervision", kinds
    # the spy leg is no customer call: not under the customer's number, not counted as one
    mine = [c for c in body["calls"] if c["linkedid"] in (leg, call.linkedid)]
    assert [c["linkedid"] for c in mine if c["kind"] == "customer"] == [call.linkedid]
    _, customer = await stack.get(f"/calls?caller=13800138031&since={since}")
    assert [c["linkedid"] for c in customer["calls"]] == [call.linkedid]
