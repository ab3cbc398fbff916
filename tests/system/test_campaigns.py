"""Outbound dunning through the real sandbox: the controller's dialer originates every call over
the carrier trunk, and one registered pjsua2 UA plays the carrier — every customer — answering
as the number dialled says (the INVITE's request-URI):

- 13911110001 answers with a short "Hello?", keys 1, proves to be the customer with the birth
  date, hears the payment flow and keys a promise date;
- 13911110002 is busy (486), twice: retried after the busy delay, then no more;
- 13911110003 never answers (rings out), twice;
- 13911110004 answers with a long spoken greeting: AMD says machine;
- 13911110005's policy is paid between scheduling and dialling: never dialled, reason logged;
- 13911110006 is outside its calling hours when the campaign starts (08:59 in Shanghai on the
  dialer's clock, which the test sets): dialled once its window opens at 09:00, keys 9 (wrong
  number).

Midway the controller is killed and started again: no attempt is lost (the one ringing is
resolved) or repeated (every attempt id once, every number rung once per attempt).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import subprocess
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update

from crm_bridge.db import Database
from crm_bridge.models import Customer, CustomerPhone, Policy
from ivr_acd_dev.simulator import Call, Phone, PhonePool
from tests.system.conftest import SLOT, Stack, eventually

pytestmark = pytest.mark.system

CLOCK_START = datetime(2026, 11, 23, 0, 59, 0, tzinfo=UTC)  # 08:59 Shanghai, 09:59 Tokyo
PROMISE, BUSY, NO_ANSWER, MACHINE, PAID, LATE = (f"1391111000{n}" for n in range(1, 7))
TOKYO, SHANGHAI = "Asia/Tokyo", "Asia/Shanghai"
ZONES = {PROMISE: TOKYO, BUSY: TOKYO, NO_ANSWER: TOKYO, MACHINE: TOKYO, PAID: SHANGHAI}
ZONES[LATE] = SHANGHAI
CONNECTED, ABANDONED = "13911120001", "13911120002"  # progressive mode
DECLINED = tuple(f"139111300{n:02d}" for n in range(1, 21))  # answer with 603 Decline
# Amounts due set the order of the first calls (larger first): the call that rings out and the
# busy one before anyone reaches the payment flow, so the restart (while the first rings) kills
# no payment flow in the middle.
AMOUNTS = {NO_ANSWER: 330, BUSY: 320, MACHINE: 310, PROMISE: 300, PAID: 290, LATE: 280}
AMOUNTS |= {CONNECTED: 300, ABANDONED: 290}
AMOUNTS |= {number: 300 - n for n, number in enumerate(DECLINED)}
RETRY_SECONDS = 15
BORN = date(1980, 1, 1)  # every dunning customer's birth date: the answerer's proof
DIALER_ENV = {
    "IVR_ACD_CAMPAIGNS__RING_SECONDS": "10",
    "IVR_ACD_CAMPAIGNS__SETTLE_SECONDS": "1",
    "IVR_ACD_CAMPAIGNS__EXPLAIN_EVERY": "2",
    "IVR_ACD_CAMPAIGNS__RECOVER_AFTER": "45",
    "IVR_ACD_CAMPAIGNS__TICK_INTERVAL": "0.5",
}


def speech(text: str, wav: Path, pad_after: float) -> Path:
    """``text`` by espeak-ng as 8 kHz mono PCM, then ``pad_after`` seconds of silence."""
    if shutil.which("espeak-ng") is None or shutil.which("sox") is None:
        pytest.fail("espeak-ng and sox are needed (make setup installs them)")
    raw = wav.with_suffix(".raw.wav")
    subprocess.run(["espeak-ng", "-v", "en", "-w", str(raw), text], check=True)
    pcm = ["-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer"]
    subprocess.run(["sox", str(raw), *pcm, str(wav), "pad", "0.2", str(pad_after)], check=True)
    raw.unlink()
    return wav


@dataclass
class Carrier:
    """The carrier's one contact: every outbound call lands here; each number behaves."""

    phone: Phone
    hello: Path
    greeting: Path
    promise_date: date
    rung: Counter[str] = field(default_factory=Counter)
    rung_at: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    tasks: set[asyncio.Task[None]] = field(default_factory=set)
    errors: list[str] = field(default_factory=list)

    async def serve(self) -> None:
        while True:
            try:
                call = await self.phone.wait_incoming(3600)
            except Exception as exc:  # noqa: BLE001 - reported by the test
                self.errors.append(f"carrier: {exc}")
                return
            self.rung[call.dialled] += 1
            self.rung_at[call.dialled].append(time.monotonic())
            task = asyncio.create_task(self._answer(call))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    async def _answer(self, call: Call) -> None:
        try:
            await self._behave(call)
        except Exception as exc:  # noqa: BLE001 - a customer's script failing is reported
            self.errors.append(f"{call.dialled}: {exc}")
            with contextlib.suppress(Exception):
                await call.hangup()

    async def _behave(self, call: Call) -> None:
        number = call.dialled
        if number == BUSY:
            await call.hangup(486)
        elif number in DECLINED:
            await call.hangup(603)  # at once, before any ringing
        elif number == NO_ANSWER:
            await call.wait_state("DISCONNECTED", 40)  # rings until the dialer gives up
        elif number == MACHINE:
            await call.answer()
            await call.wait_state("CONFIRMED", 10)
            await call.play(self.greeting)
            await call.wait_state("DISCONNECTED", 60)
        elif number in (CONNECTED, ABANDONED):
            await call.answer()
            await call.wait_state("CONFIRMED", 10)
            await call.play(self.hello)
            await call.wait_state("DISCONNECTED", 60)
        elif number in (PROMISE, LATE):
            await call.answer()
            await call.wait_state("CONFIRMED", 10)
            await call.play(self.hello)
            if number == LATE:
                await self._keys(call, [5.0, "9"])
            else:
                date_keys = f"{self.promise_date:%Y%m%d}#"
                born = f"{BORN:%Y%m%d}#"
                await self._keys(call, [5.0, "1", 6.0, born, 6.0, "2", 9.0, date_keys])
            await call.wait_state("DISCONNECTED", 60)
        else:
            self.errors.append(f"an unexpected call to {number!r}")
            await call.hangup(404)

    @staticmethod
    async def _keys(call: Call, steps: list[str | float]) -> None:
        for step in steps:
            if isinstance(step, float):
                await asyncio.sleep(step)
            else:
                await call.dtmf(step)


async def _add_customers(
    stack: Stack, region: str, zones: dict[str, str] = ZONES
) -> dict[str, int]:
    """One customer and one overdue policy per number; returns number -> policy id."""
    database = Database(stack.settings.database_url)
    policies: dict[str, int] = {}
    try:
        async with database.sessions.begin() as session:
            for n, (number, zone) in enumerate(zones.items()):
                customer = Customer(
                    name=f"Dunning {n}",
                    id_number=f"DUN-{region}-{n}",
                    region=region,
                    time_zone=zone,
                    language="en",
                    birth_date=BORN,
                    phones=[CustomerPhone(number=number, kind="mobile")],
                )
                session.add(customer)
                await session.flush()
                policy = Policy(
                    number=f"PD{int(region[-6:], 16) % 10**6:06d}{n}",
                    customer_id=customer.id,
                    product="auto",
                    premium=Decimal(AMOUNTS[number]),
                    due_date=date(2026, 10, 1),
                    status="overdue",
                )
                session.add(policy)
                await session.flush()
                policies[number] = policy.id
    finally:
        await database.close()
    return policies


async def _mark_paid(stack: Stack, policy_id: int, paid: date) -> None:
    database = Database(stack.settings.database_url)
    try:
        async with database.sessions.begin() as session:
            await session.execute(
                update(Policy).where(Policy.id == policy_id).values(paid_date=paid)
            )
    finally:
        await database.close()


@dataclass
class DialerClock:
    """Restarts the controller with the dialer's clock running from ``CLOCK_START``."""

    stack: Stack
    began: float = 0.0

    async def start(self) -> None:
        now = CLOCK_START + timedelta(seconds=time.monotonic() - self.began if self.began else 0)
        if not self.began:
            self.began = time.monotonic()
        env = {**DIALER_ENV, "IVR_ACD_CAMPAIGNS__CLOCK_START": now.isoformat()}
        await self.stack.start_controller(**env)

    async def kill_and_restart(self) -> None:
        pid = self.stack.controller.pid()
        assert pid is not None
        os.kill(pid, signal.SIGKILL)
        await eventually(lambda: _gone(self.stack), 10, "the controller to die")
        self.stack.controller.pid_file.unlink(missing_ok=True)
        await self.start()


async def _gone(stack: Stack) -> bool:
    return stack.controller.pid() is None


@pytest.fixture
async def dialer_clock(stack: Stack) -> AsyncIterator[DialerClock]:
    await stack.controller.stop()
    clock = DialerClock(stack)
    await clock.start()
    try:
        yield clock
    finally:
        await _stop_campaigns(stack)  # none dials on under the real clock in later tests
        await stack.controller.stop()
        await stack.start_controller()


async def _stop_campaigns(stack: Stack) -> None:
    with contextlib.suppress(Exception):
        for state in ("running", "paused"):
            _, body = await stack.get(f"/campaigns?state={state}")
            for campaign in body.get("campaigns", []):
                await stack.send("POST", f"/campaigns/{campaign['id']}/stop")


@pytest.fixture
async def carrier(stack: Stack, tmp_path: Path) -> AsyncIterator[Carrier]:
    ast = stack.settings.asterisk
    pool = PhonePool(rtp_base=42500 + 2000 * SLOT)
    phone = await pool.add_phone(
        "dunning-carrier",
        ast.carrier_username,
        stack.settings.secret(ast.carrier_password, "carrier_password"),
        stack.domain,
    )
    await phone.register()
    today = datetime.now(ZoneInfo(stack.settings.ivr.time_zone)).date()
    the_carrier = Carrier(
        phone,
        speech("Hello?", tmp_path / "hello.wav", 30.0),
        speech(
            "Hello, you have reached the Zhang family. We cannot take your call right now. "
            "Please leave your name, your number and a short message after the tone, and we "
            "will call you back as soon as we can. Thank you, and have a nice day.",
            tmp_path / "greeting.wav",
            1.0,
        ),
        today + timedelta(days=5),
    )
    server = asyncio.create_task(the_carrier.serve())
    try:
        yield the_carrier
    finally:
        server.cancel()
        for task in list(the_carrier.tasks):
            task.cancel()
        await pool.close()


def _campaign(region: str, mode: str = "agentless") -> dict[str, Any]:
    retry = {"delay_seconds": RETRY_SECONDS, "max_attempts": 2}
    return {
        "name": f"System dunning {region}",
        "mode": mode,
        "rule": {"min_days_overdue": 5, "min_amount": "100", "regions": [region]},
        "schedule": {
            "start_date": "2026-11-23",
            "end_date": "2026-11-30",
            "weekdays": [0, 1, 2, 3, 4, 5, 6],
            "hours": {"start": "09:00", "end": "20:00"},
        },
        "caps": {"max_channels": 2, "max_calls_per_second": 1},
        "retry": {
            "busy": retry,
            "no_answer": retry,
            "machine": retry,
            "failed": retry,
            "max_attempts_per_policy": 3,
            "max_attempts_per_number_per_day": 3,
        },
        "machine_message": "This is your insurer. A premium is due; please call us back.",
    }


async def _attempts(stack: Stack, campaign_id: str) -> list[dict[str, Any]]:
    status, body = await stack.get(f"/campaigns/{campaign_id}/attempts?limit=1000")
    assert status == 200, body
    return list(body["attempts"])


async def _decisions(stack: Stack, campaign_id: str) -> list[dict[str, Any]]:
    status, body = await stack.get(f"/campaigns/{campaign_id}/decisions?limit=1000")
    assert status == 200, body
    return list(body["decisions"])


def _by_number(attempts: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for attempt in attempts:
        found[attempt["number"]].append(attempt)
    return found


async def test_a_dunning_campaign_end_to_end(
    stack: Stack, dialer_clock: DialerClock, carrier: Carrier
) -> None:
    region = f"dun-{uuid.uuid4().hex[:8]}"
    policies = await _add_customers(stack, region)
    status, created = await stack.send("POST", "/campaigns", _campaign(region))
    assert status == 201, created
    cid = created["id"]
    status, body = await stack.send("POST", f"/campaigns/{cid}/start")
    assert (status, body["state"]) == (200, "running"), body

    async def scheduled_but_waiting() -> bool:
        reasons = {(d["policy_id"], d["check"]) for d in await _decisions(stack, cid)}
        return {(policies[PAID], "calling-hours"), (policies[LATE], "calling-hours")} <= reasons

    await eventually(scheduled_but_waiting, 20, "the Shanghai targets to wait for 09:00")
    await _mark_paid(stack, policies[PAID], date(2026, 11, 22))

    async def first_no_answer_ringing() -> bool:
        return (
            any(
                a["number"] == NO_ANSWER and a["disposition"] is None
                for a in await _attempts(stack, cid)
            )
            and carrier.rung[NO_ANSWER] >= 1
        )

    await eventually(first_no_answer_ringing, 60, "the first call that rings out")
    assert carrier.rung[PROMISE] == 0  # nobody is in the payment flow yet
    await dialer_clock.kill_and_restart()

    async def finished() -> bool:
        status, body = await stack.get(f"/campaigns/{cid}")
        return status == 200 and body["state"] == "completed"

    await eventually(finished, 240, "the campaign to complete")
    assert carrier.errors == []
    attempts = await _attempts(stack, cid)
    decisions = await _decisions(stack, cid)
    seen = _by_number(attempts)

    # one disposition per attempt, as each customer behaved
    outcomes = {number: [a["disposition"] for a in found] for number, found in seen.items()}
    assert outcomes == {
        PROMISE: ["promised"],
        BUSY: ["busy", "busy"],
        NO_ANSWER: ["no_answer", "no_answer"],
        MACHINE: ["machine", "machine"],
        LATE: ["wrong_number"],
    }, attempts
    promise = seen[PROMISE][0]
    assert promise["promise_date"] == carrier.promise_date.isoformat()
    assert promise["promise_amount"] == "300.00"
    assert all("MACHINE" in a["reason"] for a in seen[MACHINE])  # AMD's verdict (or the CDR's)
    assert seen[PROMISE][0]["amd_status"] in ("HUMAN", "NOTSURE")

    # neither lost nor repeated: every attempt id once, numbered 1, 2, ... per policy, and
    # every number rung exactly as often as it has attempts
    assert len({a["attempt_id"] for a in attempts}) == len(attempts)
    for found in seen.values():
        assert [a["seq"] for a in found] == list(range(1, len(found) + 1))
    assert dict(carrier.rung) == {number: len(found) for number, found in seen.items()}

    # retried after the configured delay (on the dialer's clock)
    for number in (BUSY, NO_ANSWER, MACHINE):
        first, second = seen[number]
        gap = datetime.fromisoformat(second["started_at"]) - datetime.fromisoformat(
            first["ended_at"]
        )
        assert gap >= timedelta(seconds=RETRY_SECONDS), (number, first, second)

    # paid between scheduling and dialling: never dialled, and why
    assert PAID not in seen and carrier.rung[PAID] == 0
    paid = [d for d in decisions if d["policy_id"] == policies[PAID] and d["check"] == "paid"]
    assert paid and paid[0]["reason"].startswith("skipped: paid 2026-11-22"), decisions

    # outside its calling hours: waited, then dialled once the window opened (09:00 Shanghai)
    late_start = datetime.fromisoformat(seen[LATE][0]["started_at"])
    assert late_start >= datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
    waited = [d for d in decisions if d["policy_id"] == policies[LATE] and not d["dial"]]
    assert any("outside calling hours" in d["reason"] for d in waited), decisions

    status, body = await stack.get(f"/campaigns/{cid}")
    progress = body["progress"]
    assert (progress["attempted"], progress["promised"], progress["promised_amount"]) == (
        8,
        1,
        "300.00",
    )
    assert progress["in_progress"] == 0


async def test_progressive_a_reserved_agent_takes_the_call_or_it_is_abandoned(
    stack: Stack, dialer_clock: DialerClock, carrier: Carrier, agent_8001: Phone
) -> None:
    region = f"dun-{uuid.uuid4().hex[:8]}"
    policies = await _add_customers(stack, region, {CONNECTED: TOKYO, ABANDONED: TOKYO})
    status, created = await stack.send("POST", "/campaigns", _campaign(region, "progressive"))
    assert status == 201, created
    cid = created["id"]
    status, body = await stack.send("POST", f"/campaigns/{cid}/start")
    assert status == 200, body

    ring = await agent_8001.wait_incoming(40)  # reserved first; rung once the customer answers
    assert ring.remote_user == CONNECTED
    await ring.answer()
    await ring.wait_state("CONFIRMED", 5)
    (attempt,) = [a for a in await _attempts(stack, cid) if a["number"] == CONNECTED]
    path = f"/campaigns/{cid}/attempts/{attempt['attempt_id']}/disposition"
    promise = {"disposition": "promised", "promise_date": "2026-11-27", "promise_amount": "300"}
    status, body = await stack.send("POST", path, promise)
    assert status == 200 and body["agent"] == "8001", body
    await asyncio.sleep(1)
    await ring.hangup()

    second = await agent_8001.wait_incoming(60)  # the next customer; nobody answers in 2 s
    assert second.remote_user == ABANDONED
    await second.wait_state("DISCONNECTED", 15)

    async def abandoned() -> bool:
        found = {a["number"]: a for a in await _attempts(stack, cid)}
        return found.get(ABANDONED, {}).get("disposition") == "abandoned"

    await eventually(abandoned, 30, "the second call to be abandoned")
    found = {a["number"]: a for a in await _attempts(stack, cid)}
    assert found[CONNECTED]["disposition"] == "promised", found
    assert "no agent within the connect time" in found[ABANDONED]["reason"]
    assert (await stack.agent_state("8001"))["state"] == "ready"  # let go, not paused
    status, body = await stack.get(f"/campaigns/{cid}")
    assert body["progress"]["reached"] == 2 and body["progress"]["abandon_rate"] == 0.5
    assert policies[CONNECTED] != policies[ABANDONED]


async def test_a_603_decline_is_refused_every_time_and_not_called_again(
    stack: Stack, dialer_clock: DialerClock, carrier: Carrier
) -> None:
    """Issue 12: an instant 603 Decline was classified by a race as "no_answer: rang out" or
    "failed" (5/1, 4/2, 6/0 over identical runs), so a different retry rule applied: 20 declines
    in one run, all alike."""
    region = f"dun-{uuid.uuid4().hex[:8]}"
    await _add_customers(stack, region, dict.fromkeys(DECLINED, TOKYO))
    spec = _campaign(region)
    spec["caps"] = {"max_channels": 4, "max_calls_per_second": 4}
    status, created = await stack.send("POST", "/campaigns", spec)
    assert status == 201, created
    cid = created["id"]
    status, body = await stack.send("POST", f"/campaigns/{cid}/start")
    assert status == 200, body

    async def all_ended() -> bool:
        found = await _attempts(stack, cid)
        return len(found) == len(DECLINED) and all(a["disposition"] for a in found)

    await eventually(all_ended, 60, "every declined call to be classified")
    await asyncio.sleep(RETRY_SECONDS + 3)  # a retry rule would have dialled again by now
    found = await _attempts(stack, cid)
    assert sorted(a["number"] for a in found) == sorted(DECLINED), "each dialled once"
    assert {a["disposition"] for a in found} == {"refused"}, found
    assert all("603" in a["reason"] for a in found), [a["reason"] for a in found]
    assert all(carrier.rung[n] == 1 for n in DECLINED), carrier.rung
    assert not carrier.errors, carrier.errors
