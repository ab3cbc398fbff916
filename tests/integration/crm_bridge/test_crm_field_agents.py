"""Badge look-ups, their log and fraud reports, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from crm_bridge.db import Database
from crm_bridge.errors import CrmRejectedError
from crm_bridge.models import FieldAgent, FieldAgentLookup, FraudReport
from crm_bridge.repositories import FieldAgentRepository
from crm_bridge.seed import seed

pytestmark = pytest.mark.integration

TODAY = date(2026, 11, 22)
T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def seeded(database: Database) -> Database:
    await seed(database.sessions, today=TODAY)
    return database


@pytest.mark.parametrize("keyed", ["FA100234", "fa100234", "FA-100-234", " fa 100 234 "])
async def test_badges_match_ignoring_case_spaces_and_dashes(seeded: Database, keyed: str) -> None:
    agent = await FieldAgentRepository(seeded.sessions).by_badge(keyed)
    assert agent is not None
    assert (agent.badge_number, agent.name, agent.branch) == ("FA100234", "孙浩", "上海分公司")
    assert (agent.status, agent.licence_expiry) == ("active", TODAY + timedelta(days=400))


async def test_each_kind_of_seeded_badge_and_unknown_ones(seeded: Database) -> None:
    agents = FieldAgentRepository(seeded.sessions)
    found = {badge: await agents.by_badge(badge) for badge in ("FA100236", "FA100237", "FA100238")}
    assert {b: a.status for b, a in found.items() if a} == {
        "FA100236": "suspended",
        "FA100237": "terminated",
        "FA100238": "active",
    }
    assert found["FA100238"] is not None and found["FA100238"].licence_expiry < TODAY
    for unknown in ("100234", "FA10023", "FA1002345", "", " - "):
        assert await agents.by_badge(unknown) is None


async def test_stored_badges_with_dashes_match_too(seeded: Database) -> None:
    async with seeded.sessions.begin() as session:
        session.add(
            FieldAgent(
                badge_number="fa-200 001",
                name="Test",
                branch="Test",
                licence_expiry=TODAY,
                phone="1",
            )
        )
    agent = await FieldAgentRepository(seeded.sessions).by_badge("FA200001")
    assert agent is not None and agent.badge_number == "fa-200 001"


async def test_failed_lookups_are_counted_per_caller_within_the_window(seeded: Database) -> None:
    clock = Clock(T0)
    agents = FieldAgentRepository(seeded.sessions, now=clock)
    for minutes, caller, badge, outcome in (
        (0, "139", "555", "unknown"),
        (10, "139", "100234", "found_active"),
        (20, "139", "100236", "found_suspended"),
        (30, "139", "100237", "found_terminated"),
        (40, "139", "100238", "found_expired_licence"),
        (50, "139", "", "locked"),
        (50, "138", "555", "unknown"),
    ):
        clock.now = T0 + timedelta(minutes=minutes)
        await agents.log_lookup(caller, badge, outcome, f"l.{minutes}")

    assert await agents.failed_lookups_since("139", T0) == 5
    assert await agents.failed_lookups_since("139", T0 + timedelta(minutes=1)) == 4
    assert await agents.failed_lookups_since("139", T0 + timedelta(minutes=50)) == 1
    assert await agents.failed_lookups_since("139", T0 + timedelta(minutes=51)) == 0
    assert await agents.failed_lookups_since("138", T0) == 1
    assert await agents.failed_lookups_since("137", T0) == 0


async def test_lookups_are_logged_as_keyed(seeded: Database) -> None:
    agents = FieldAgentRepository(seeded.sessions, now=Clock(T0))
    await agents.log_lookup("139", "1" * 40, "unknown", "l.1")
    with pytest.raises(CrmRejectedError):
        await agents.log_lookup("139", "555", "maybe", "l.1")
    async with seeded.sessions() as session:
        rows = (await session.scalars(select(FieldAgentLookup))).all()
    assert [(r.badge_number, r.outcome, r.created_at) for r in rows] == [("1" * 32, "unknown", T0)]


async def test_fraud_reports_are_opened(seeded: Database) -> None:
    agents = FieldAgentRepository(seeded.sessions, now=Clock(T0))
    first = await agents.report_fraud("139", "FA100237", "l.1", "IVR look-up outcome terminated")
    second = await agents.report_fraud("139", "555", "l.2", None)
    assert second > first
    async with seeded.sessions() as session:
        row = await session.get(FraudReport, first)
        bare = await session.get(FraudReport, second)
    assert row is not None and bare is not None
    assert (row.caller_number, row.badge_number, row.linkedid) == ("139", "FA100237", "l.1")
    assert (row.note, row.status, row.created_at) == (
        "IVR look-up outcome terminated",
        "open",
        T0,
    )
    assert bare.note is None
