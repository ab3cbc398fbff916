from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from crm_bridge.calls.records import CallRecord
from crm_bridge.calls.repository import CallRepository
from crm_bridge.db import Database
from crm_bridge.models import Call
from crm_bridge.seed import seed

pytestmark = pytest.mark.integration

T0 = datetime(2024, 5, 6, 1, 0, 0, tzinfo=UTC)


def make_record(linkedid: str = "1715000000.1", **changes: object) -> CallRecord:
    record = CallRecord(
        linkedid=linkedid,
        direction="inbound",
        caller_number="13800138000",
        did="4008001000",
        start_time=T0,
        answer_time=T0 + timedelta(seconds=12),
        end_time=T0 + timedelta(seconds=95),
        duration=95,
        billsec=83,
        disposition="ANSWERED",
        hangup_cause=16,
        hangup_cause_text="Normal Clearing",
        language="zh",
        ivr_path="language:1>main:0>agents",
        agent_extension="8001",
    )
    return replace(record, **changes)


async def _count_calls(db: Database) -> int:
    async with db.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(Call)) or 0)


async def test_same_linkedid_twice_stores_one_row(database: Database) -> None:
    repo = CallRepository(database.sessions)
    record = make_record()

    assert await repo.save(record) is True
    assert await repo.save(record) is False
    assert await repo.save(replace(record, billsec=1)) is False

    assert await _count_calls(database) == 1
    assert await repo.get(record.linkedid) == record


async def test_round_trip_keeps_aware_utc_times(database: Database) -> None:
    repo = CallRepository(database.sessions)
    shanghai = timezone(timedelta(hours=8))
    record = make_record(start_time=T0.astimezone(shanghai), answer_time=None)

    await repo.save(record)
    stored = await repo.get(record.linkedid)

    assert stored is not None
    assert stored.start_time == T0
    assert stored.start_time.tzinfo is UTC
    assert stored.answer_time is None


async def test_customer_is_resolved_from_caller_number(database: Database) -> None:
    await seed(database.sessions)
    repo = CallRepository(database.sessions)
    await repo.save(make_record("known", caller_number="+8613800138000"))
    await repo.save(make_record("unknown", caller_number="13100000000"))

    known = await repo.get_stored("known")
    unknown = await repo.get_stored("unknown")

    assert known is not None and known.customer_id is not None
    assert unknown is not None and unknown.customer_id is None
    assert known.to_dict()["linkedid"] == "known"


async def test_list_filters_by_time_and_caller(database: Database) -> None:
    repo = CallRepository(database.sessions)
    for minute in range(5):
        caller = "13800138000" if minute % 2 == 0 else "13800138001"
        start = T0 + timedelta(minutes=minute)
        await repo.save(make_record(f"call-{minute}", caller_number=caller, start_time=start))

    newest_first = await repo.list()
    window = await repo.list(since=T0 + timedelta(minutes=1), until=T0 + timedelta(minutes=4))
    by_caller = await repo.list(caller="13800138000")
    both = await repo.list(since=T0 + timedelta(minutes=1), caller="13800138000")
    page = await repo.list(limit=2, offset=1)

    assert [r.linkedid for r in newest_first] == [f"call-{m}" for m in (4, 3, 2, 1, 0)]
    assert [r.linkedid for r in window] == ["call-3", "call-2", "call-1"]
    assert [r.linkedid for r in by_caller] == ["call-4", "call-2", "call-0"]
    assert [r.linkedid for r in both] == ["call-4", "call-2"]
    assert [r.linkedid for r in page] == ["call-3", "call-2"]


async def test_get_unknown_linkedid_is_none(database: Database) -> None:
    assert await CallRepository(database.sessions).get("nope") is None
