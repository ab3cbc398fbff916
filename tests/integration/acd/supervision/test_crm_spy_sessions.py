"""The supervision audit trail (spy sessions and their mode changes) on SQLite and PostgreSQL,
and revision 0004 up and down."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from acd.supervision.repository import ModeChange, NewSpySession, SpyRepository
from crm_bridge.db import Database
from crm_bridge.errors import (
    InvalidSpySessionError,
    SpySessionEndedError,
    SpySessionNotFoundError,
)
from crm_bridge.migrate import current_revision, downgrade, upgrade
from crm_bridge.models import SpyModeChange, SpySession
from tests.integration.migration_checks import inspected, schema_diff, tables

pytestmark = pytest.mark.integration

T0 = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
SPY_TABLES = {"spy_sessions", "spy_mode_changes"}


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def tick(self, seconds: float) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now


def new_session(**changes: Any) -> NewSpySession:
    base = NewSpySession(
        supervisor_extension="9001",
        agent_extension="8001",
        call_linkedid="1764000000.12",
        mode="listen",
        origin="api",
        requested_by="api-token",
        started_at=T0,
        customer_number="13800138000",
        supervisor_channel="spy-0123456789abcdef",
    )
    return replace(base, **changes)


async def test_a_session_is_audited_from_ring_to_end(database: Database) -> None:
    clock = Clock(T0)
    spies = SpyRepository(database.sessions, now=clock)

    created = await spies.create(new_session())
    assert created.to_dict() == {
        "spy_id": created.id,
        "call_id": "1764000000.12",
        "agent": "8001",
        "supervisor": "9001",
        "mode": "listen",
        "started_at": "2026-11-24T02:00:00+00:00",
        "start_mode": "listen",
        "customer_number": "13800138000",
        "origin": "api",
        "requested_by": "api-token",
        "answered_at": None,
        "ended_at": None,
        "end_reason": None,
        "leg_call_id": created.supervisor_channel,
        "changes": [],
    }
    assert created.live

    assert await spies.answered(created.id, clock.tick(2))
    assert not await spies.answered(created.id, clock.tick(1)), "answered once"
    barge = await spies.change_mode(created.id, "barge", "api", clock.tick(5))
    whisper = await spies.change_mode(created.id, "whisper", "dtmf", clock.tick(3))
    again = await spies.change_mode(created.id, "whisper", "dtmf", clock.tick(1))
    assert (barge.mode, whisper.mode) == ("barge", "whisper")
    assert again == whisper, "the same mode again records nothing"
    assert await spies.end(created.id, "call-ended", clock.tick(10))
    assert not await spies.end(created.id, "supervisor-hung-up", clock.tick(1)), "first end wins"

    stored = await spies.get(created.id)
    assert stored is not None and not stored.live
    assert stored.answered_at == T0 + timedelta(seconds=2)
    assert stored.ended_at == T0 + timedelta(seconds=22)
    assert (stored.start_mode, stored.mode, stored.end_reason) == (
        "listen",
        "whisper",
        "call-ended",
    )
    assert stored.changes == (
        ModeChange("barge", T0 + timedelta(seconds=8), "api"),
        ModeChange("whisper", T0 + timedelta(seconds=11), "dtmf"),
    )
    assert stored.to_dict()["changes"] == [
        {"mode": "barge", "at": "2026-11-24T02:00:08+00:00", "by": "api"},
        {"mode": "whisper", "at": "2026-11-24T02:00:11+00:00", "by": "dtmf"},
    ]


async def test_an_ended_session_keeps_its_mode(database: Database) -> None:
    spies = SpyRepository(database.sessions)
    created = await spies.create(new_session())
    await spies.end(created.id, "ended-by-api")

    with pytest.raises(SpySessionEndedError):
        await spies.change_mode(created.id, "barge", "api")
    with pytest.raises(SpySessionNotFoundError):
        await spies.change_mode(created.id + 100, "barge", "api")
    assert not await spies.answered(created.id), "an ended session is not answered later"
    assert await spies.get(created.id + 100) is None


async def test_listing_newest_first_by_time_and_supervisor(database: Database) -> None:
    spies = SpyRepository(database.sessions)
    first = await spies.create(new_session())
    second = await spies.create(new_session(started_at=T0 + timedelta(minutes=5)))
    other = await spies.create(
        new_session(supervisor_extension="9002", started_at=T0 + timedelta(minutes=9))
    )
    await spies.end(first.id, "call-ended")

    assert [s.id for s in await spies.list()] == [other.id, second.id, first.id]
    since = T0 + timedelta(minutes=1)
    assert [s.id for s in await spies.list(since=since)] == [other.id, second.id]
    assert [s.id for s in await spies.list(supervisor="9001")] == [second.id, first.id]
    assert [s.id for s in await spies.list(limit=1)] == [other.id]
    assert [s.id for s in await spies.open_sessions()] == [second.id, other.id]


@pytest.mark.parametrize(
    "changes",
    [
        {"mode": "shout"},
        {"origin": "console"},
        {"supervisor_extension": ""},
        {"call_linkedid": "x" * 65},
        {"started_at": datetime(2026, 11, 24, 2, 0)},
        {"customer_number": ""},
    ],
)
async def test_malformed_sessions_are_refused(database: Database, changes: dict[str, Any]) -> None:
    spies = SpyRepository(database.sessions)
    with pytest.raises(InvalidSpySessionError):
        await spies.create(new_session(**changes))


async def test_bad_modes_reasons_and_sources_are_refused(database: Database) -> None:
    spies = SpyRepository(database.sessions)
    created = await spies.create(new_session())
    with pytest.raises(InvalidSpySessionError):
        await spies.change_mode(created.id, "shout", "api")
    with pytest.raises(InvalidSpySessionError):
        await spies.change_mode(created.id, "barge", "console")
    with pytest.raises(InvalidSpySessionError):
        await spies.end(created.id, "bored")


async def test_the_checks_hold_in_the_database_too(database: Database) -> None:
    async with database.sessions() as session:
        session.add(
            SpySession(
                supervisor_extension="9001",
                agent_extension="8001",
                call_linkedid="x",
                start_mode="shout",
                mode="listen",
                origin="api",
                requested_by="t",
                started_at=T0,
            )
        )
        with pytest.raises(IntegrityError):
            await session.commit()


async def test_deleting_a_session_deletes_its_changes(database: Database) -> None:
    spies = SpyRepository(database.sessions)
    created = await spies.create(new_session())
    await spies.change_mode(created.id, "barge", "api")
    async with database.sessions.begin() as session:
        row = await session.get(SpySession, created.id)
        assert row is not None
        await session.delete(row)
    async with database.sessions() as session:
        left = await session.scalar(select(func.count()).select_from(SpyModeChange))
    assert left == 0


async def test_0004_up_and_down(db_url: str) -> None:
    await upgrade(db_url, "0003")
    await upgrade(db_url, "0004")
    assert await current_revision(db_url) == "0004"
    db = Database(db_url)
    try:
        created = await SpyRepository(db.sessions).create(new_session())
        assert created.id > 0
        async with db.engine.connect() as connection:
            assert await connection.run_sync(tables) >= SPY_TABLES
    finally:
        await db.close()

    await downgrade(db_url, "0003")
    assert await current_revision(db_url) == "0003"
    assert not SPY_TABLES & await inspected(db_url, tables)

    await upgrade(db_url)
    assert await inspected(db_url, schema_diff) == []
