"""The agent state log and last known presence, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from crm_bridge.db import Database
from crm_bridge.errors import InvalidStateRecordError
from crm_bridge.models import AgentStateLog
from crm_bridge.repositories import AgentStateLogRepository, AgentTransition, Presence

pytestmark = pytest.mark.integration

T0 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
SHANGHAI = timezone(timedelta(hours=8))


def at(seconds: int) -> datetime:
    return T0 + timedelta(seconds=seconds)


def shift_of_8001() -> list[AgentTransition]:
    return [
        AgentTransition("8001", "logged-out", "ready", at(0)),
        AgentTransition("8001", "ready", "reserved", at(10), call_linkedid="1763859610.3"),
        AgentTransition("8001", "reserved", "on-call", at(14), call_linkedid="1763859610.3"),
        AgentTransition("8001", "on-call", "wrap-up", at(200), call_linkedid="1763859610.3"),
        AgentTransition("8001", "wrap-up", "paused", at(215), reason="lunch"),
    ]


async def _log_rows(db: Database) -> int:
    async with db.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(AgentStateLog)) or 0)


async def test_a_batch_is_logged_and_moves_presence_to_the_newest(database: Database) -> None:
    log = AgentStateLogRepository(database.sessions)
    other = AgentTransition("8002", "logged-out", "ready", at(5).astimezone(SHANGHAI))

    await log.record([*shift_of_8001(), other])

    assert await log.history("8001") == shift_of_8001()
    assert await log.presence() == [
        Presence("8001", "paused", "lunch", at(215)),
        Presence("8002", "ready", "", at(5)),
    ]
    [presence] = [p for p in await log.presence() if p.extension == "8002"]
    assert presence.since.tzinfo is UTC
    assert presence.to_dict()["since"] == "2026-11-23T01:00:05+00:00"


async def test_presence_is_upserted_and_never_moved_back_in_time(database: Database) -> None:
    log = AgentStateLogRepository(database.sessions)
    await log.record(shift_of_8001()[:3])
    await log.record([AgentTransition("8001", "on-call", "wrap-up", at(200))])
    late = AgentTransition("8001", "ready", "reserved", at(100), call_linkedid="late.1")

    await log.record([late])  # another controller's batch, written after a newer one

    assert await log.presence() == [Presence("8001", "wrap-up", "", at(200))]
    assert await _log_rows(database) == 5  # the late one is still history


async def test_history_windows_are_since_inclusive_until_exclusive(database: Database) -> None:
    log = AgentStateLogRepository(database.sessions)
    await log.record(shift_of_8001())

    window = await log.history("8001", since=at(10), until=at(200))
    limited = await log.history("8001", limit=2)

    assert [t.to_state for t in window] == ["reserved", "on-call"]
    assert [t.to_state for t in limited] == ["ready", "reserved"]
    assert await log.history("8002") == []
    assert window[0].to_dict()["call_linkedid"] == "1763859610.3"


async def test_a_bad_transition_stores_nothing_of_its_batch(database: Database) -> None:
    log = AgentStateLogRepository(database.sessions)
    naive = AgentTransition("8001", "paused", "ready", datetime(2026, 11, 23, 9, 0))

    with pytest.raises(InvalidStateRecordError):
        await log.record([*shift_of_8001(), naive])
    await log.record([])

    assert await _log_rows(database) == 0
    assert await log.presence() == []


async def test_presence_is_there_for_a_fresh_process(database: Database) -> None:
    await AgentStateLogRepository(database.sessions).record(shift_of_8001())
    again = Database(database.url)
    try:
        presence = await AgentStateLogRepository(again.sessions).presence()
    finally:
        await again.close()
    assert [(p.state, p.reason) for p in presence] == [("paused", "lunch")]
