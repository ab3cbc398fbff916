"""The dialer's scheduler over a real CRM (SQLite and PostgreSQL) with Asterisk, the lease and
the prompts as small fakes: it claims each attempt before the originate, paces by the channel
cap, records what AMI reports, and a new dialer (a restarted controller) adopts the call still
up, resolves the one that ended unseen from its CDR, and repeats none."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from acd.dunning.core.attempts import Live
from acd.dunning.core.codec import spec_from
from acd.dunning.dialer import Dialer, linkedid_for
from acd.dunning.events import AttemptTracker, Tracked
from acd.dunning.facts import CampaignFacts
from acd.dunning.repository import CampaignRepository
from crm_bridge.calls.records import CallRecord
from crm_bridge.db import Database
from crm_bridge.models import Customer, CustomerPhone, Policy
from crm_bridge.vocab import CampaignMode
from tests.fake_ami import FakeAmi as BaseFakeAmi
from tests.integration.acd.dunning.fakes import make_dialer
from wire import names
from wire.events import DunningAmd, Hangup, OriginateResponse, Resync
from wire.replies import ChannelRow

pytestmark = pytest.mark.integration

START = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai, a Monday
NUMBERS = ("13911130001", "13911130002", "13911130003")


@dataclass
class Clock:
    now: datetime = START

    def __call__(self) -> datetime:
        return self.now


@dataclass
class FakeAmi(BaseFakeAmi):
    """The dialer's Asterisk: the Originates it was sent; the calls still up (``alive``)."""

    alive: set[str] = field(default_factory=set)

    @property
    def originated(self) -> list[dict[str, str]]:
        return self.sent("Originate")

    async def channels(self) -> tuple[ChannelRow, ...]:
        self.rows = [
            ChannelRow(f"PJSIP/carrier-{n}", ln, ln) for n, ln in enumerate(sorted(self.alive))
        ]
        return await super().channels()


@dataclass
class FakeCdrs:
    records: dict[str, CallRecord] = field(default_factory=dict)

    async def get(self, linkedid: str) -> CallRecord | None:
        return self.records.get(linkedid)


def _cdr(linkedid: str, disposition: str) -> CallRecord:
    cause = {"BUSY": 17, "ANSWERED": 16}.get(disposition, 19)  # as Asterisk pairs them
    return CallRecord(
        linkedid, "inbound", "4008001000", "", START, None, START, 10, 0, disposition, cause,
        "", None, "", None,
    )  # fmt: skip


async def _people(database: Database) -> list[int]:
    policies = []
    async with database.sessions.begin() as session:
        for n, number in enumerate(NUMBERS):
            customer = Customer(
                name=f"Dialer {n}",
                id_number=f"DIAL-{n}",
                region="dialer-test",
                time_zone="Asia/Shanghai",
                language="zh",
                phones=[CustomerPhone(number=number, kind="mobile")],
            )
            session.add(customer)
            await session.flush()
            policy = Policy(
                number=f"PT{n}",
                customer_id=customer.id,
                product="auto",
                premium=Decimal(900 - n),
                due_date=date(2026, 10, 1),
                status="overdue",
            )
            session.add(policy)
            await session.flush()
            policies.append(policy.id)
    return policies


def _dialer(database: Database, ami: FakeAmi, cdrs: FakeCdrs, clock: Clock) -> Dialer:
    campaigns = CampaignRepository(database.sessions, clock)
    facts = CampaignFacts(database.sessions, clock)
    tracker = AttemptTracker(campaigns, facts, ami, cdrs, None, clock, settle_seconds=0)
    return make_dialer(campaigns, facts, tracker, clock)


async def test_claimed_before_the_dial_and_neither_lost_nor_repeated_over_a_restart(
    database: Database,
) -> None:
    policies = await _people(database)
    clock, ami, cdrs = Clock(), FakeAmi(), FakeCdrs()
    repo = CampaignRepository(database.sessions, clock)
    spec = spec_from(
        {
            "id": "dial-test",
            "name": "dialer steps",
            "mode": "agentless",
            "rule": {"min_days_overdue": 5, "regions": ["dialer-test"]},
            "schedule": {"start_date": "2026-11-01", "end_date": "2026-11-30"},
            "caps": {"max_channels": 2, "max_calls_per_second": 5},
            "retry": {"busy": {"delay_seconds": 600, "max_attempts": 2}},
        }
    )
    await repo.create(spec.campaign)
    await repo.set_state("dial-test", "start")

    first = _dialer(database, ami, cdrs, clock)
    await first.step()
    assert [o["Channel"] for o in ami.originated] == [
        f"PJSIP/{NUMBERS[0]}@carrier",
        f"PJSIP/{NUMBERS[1]}@carrier",
    ]  # most due first, two channels
    claimed = await repo.in_progress("dial-test")
    assert [a.linkedid for a in claimed] == [o["ChannelId"] for o in ami.originated]
    one, two = claimed
    assert one.linkedid == linkedid_for(one.attempt_id)
    assert ami.originated[0]["Variable"].startswith(f"DUNNING_ATTEMPT={one.attempt_id},")
    # the customer's number on the CDR before the dial: the call's record names it, answered
    # or not (crm_bridge.calls.assembly)
    assert f"{names.CDR_DID}={NUMBERS[0]}" in ami.originated[0]["Variable"].split(",")

    await first.step()  # channels full: nothing more
    assert len(ami.originated) == 2
    busy = OriginateResponse(uniqueid=one.linkedid, channel="", success=False, reason=5)
    await first.tracker.apply(busy)
    assert (await repo.attempt(one.attempt_id)).disposition.value == "busy"  # type: ignore[union-attr]

    # the controller dies; the second call is still up in Asterisk, then ends while nobody
    # watches a third... a new dialer takes over
    ami.alive = {two.linkedid}
    clock.now += timedelta(seconds=5)
    second = _dialer(database, ami, cdrs, clock)
    await second.step()
    assert two.linkedid in second.tracker.calls  # adopted
    assert [o["Channel"] for o in ami.originated[2:]] == [f"PJSIP/{NUMBERS[2]}@carrier"]
    three = next(a for a in await repo.in_progress("dial-test") if a.policy_id == policies[2])

    await second.tracker.apply(Hangup("PJSIP/carrier-1", two.linkedid, two.linkedid, 19, ""))
    assert (await repo.attempt(two.attempt_id)).disposition.value == "no_answer"  # type: ignore[union-attr]

    # the third call ends while this dialer is down too: resolved from its CDR
    cdrs.records[three.linkedid] = _cdr(three.linkedid, "BUSY")
    ami.alive = set()
    clock.now += timedelta(seconds=5)
    third = _dialer(database, ami, cdrs, clock)
    await third.step()
    stored = await repo.attempt(three.attempt_id)
    assert stored is not None and stored.disposition is not None
    assert stored.disposition.value == "busy" and "from the CDR" in stored.reason

    attempts = await repo.attempts("dial-test")
    assert len({a.attempt_id for a in attempts}) == len(attempts) == len(ami.originated) == 3
    assert [a.seq for a in attempts] == [1, 1, 1]
    assert not await repo.in_progress("dial-test")

    # AMD's verdict on a call nobody follows is ignored
    await third.tracker.apply(DunningAmd("dun-nobody", "", "HUMAN", ""))


async def test_a_paused_campaign_dials_nothing_and_decisions_are_logged(
    database: Database,
) -> None:
    await _people(database)
    clock, ami, cdrs = Clock(), FakeAmi(), FakeCdrs()
    repo = CampaignRepository(database.sessions, clock)
    spec = spec_from(
        {
            "id": "dial-pause",
            "name": "paused",
            "mode": "agentless",
            "rule": {"min_days_overdue": 5, "regions": ["dialer-test"]},
            "schedule": {"start_date": "2026-11-01", "end_date": "2026-11-30"},
            "caps": {"max_channels": 1, "max_calls_per_second": 1},
        }
    )
    await repo.create(spec.campaign)
    await repo.set_state("dial-pause", "start")
    await repo.set_state("dial-pause", "pause")
    dialer = _dialer(database, ami, cdrs, clock)
    await dialer.step()
    assert ami.originated == []
    await repo.set_state("dial-pause", "resume")
    await dialer.step()
    assert len(ami.originated) == 1
    reasons = [d.reason for d in await repo.decisions("dial-pause")]
    assert any(r.startswith("dial: attempt 1") for r in reasons), reasons


async def test_a_reconnect_forgets_the_calls_asterisk_no_longer_has_without_asking(
    database: Database,
) -> None:
    clock, ami, cdrs = Clock(), FakeAmi(), FakeCdrs()
    tracker = _dialer(database, ami, cdrs, clock).tracker
    for linkedid in ("dun-up", "dun-gone"):
        live = Live(f"c:1:{linkedid}", CampaignMode.AGENTLESS)
        tracker.track(Tracked(linkedid, "c", 1, live))
    await tracker.apply(Resync((ChannelRow("PJSIP/carrier-1", "dun-up", "dun-up"),)))
    assert set(tracker.calls) == {"dun-up"}
    assert ami.channel_lookups == 0  # the resync's rows, not a lookup of its own


async def test_a_dialer_with_its_database_down_logs_the_outage_once_not_every_tick(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Issue 12: a full traceback every 0.5 s while the database was down."""
    down = Database("postgresql+asyncpg://postgres@127.0.0.1:1/test")
    try:
        dialer = _dialer(down, FakeAmi(), FakeCdrs(), Clock())
        dialer.config = dialer.config.model_copy(update={"tick_interval": 0.01})
        caplog.set_level(logging.DEBUG, logger="acd.dunning.dialer")
        task = asyncio.create_task(dialer.run_forever())
        async with asyncio.timeout(10):
            while sum("failed again" in r.message for r in caplog.records) < 10:
                await asyncio.sleep(0.01)  # ten more ticks, the database still down
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    finally:
        await down.close()
    loud = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(loud) == 1 and loud[0].exc_info is not None, [r.message for r in loud]
