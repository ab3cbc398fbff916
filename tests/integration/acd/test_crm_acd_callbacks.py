"""Callbacks owed to callers, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from crm_bridge.db import Database
from crm_bridge.errors import (
    CallbackNotFoundError,
    CallbackTransitionError,
    InvalidCallbackError,
)
from crm_bridge.models import Callback
from crm_bridge.repositories import CallbackRepository, CallbackRequest

pytestmark = pytest.mark.integration

T0 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


def request(linkedid: str = "1763859600.7", **changes: Any) -> CallbackRequest:
    base = CallbackRequest(
        caller_number="13800138000",
        call_linkedid=linkedid,
        kind="requested",
        queue="claims",
        enqueued_at=T0,
        requested_at=T0 + timedelta(minutes=2),
        skills=("claims", "vip"),
        language="zh",
        vip=True,
    )
    return replace(base, **changes)


async def _rows(db: Database) -> int:
    async with db.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(Callback)) or 0)


async def test_a_callback_is_owed_once_per_call_and_kind(database: Database) -> None:
    callbacks = CallbackRepository(database.sessions)

    first = await callbacks.create(request())
    again = await callbacks.create(request(requested_at=T0 + timedelta(minutes=9)))
    abandoned = await callbacks.create(request(kind="abandoned"))

    assert again == first
    assert abandoned.id != first.id
    assert await _rows(database) == 2
    assert first.to_dict() == {
        "id": first.id,
        "caller_number": "13800138000",
        "call_linkedid": "1763859600.7",
        "kind": "requested",
        "queue": "claims",
        "skills": ["claims", "vip"],
        "language": "zh",
        "vip": True,
        "enqueued_at": "2026-11-23T01:00:00+00:00",
        "requested_at": "2026-11-23T01:02:00+00:00",
        "status": "pending",
        "attempts": 0,
        "agent_extension": None,
        "done_at": None,
    }
    assert await callbacks.get(first.id) == first
    assert await callbacks.get(first.id + 100) is None


async def test_concurrent_requests_for_one_call_store_one(database: Database) -> None:
    callbacks = CallbackRepository(database.sessions)
    made = await asyncio.gather(*(callbacks.create(request()) for _ in range(4)))
    assert len({c.id for c in made}) == 1
    assert await _rows(database) == 1


async def test_listing_keeps_the_callers_place_in_line_and_filters(database: Database) -> None:
    callbacks = CallbackRepository(database.sessions)
    late = await callbacks.create(request("c", enqueued_at=T0 + timedelta(minutes=5)))
    early = await callbacks.create(
        request("a", kind="abandoned", requested_at=T0 + timedelta(minutes=9), language=None)
    )
    middle = await callbacks.create(request("b", enqueued_at=T0 + timedelta(minutes=1)))
    await callbacks.claim(middle.id, "8001")

    everything = await callbacks.list()
    pending = await callbacks.list(status="pending")
    abandoned = await callbacks.list(kind="abandoned")
    recent = await callbacks.list(since=T0 + timedelta(minutes=5))

    assert [c.id for c in everything] == [early.id, middle.id, late.id]
    assert [c.id for c in pending] == [early.id, late.id]
    assert [c.id for c in abandoned] == [early.id]
    assert [c.id for c in recent] == [early.id]
    assert [c.id for c in await callbacks.list(limit=1, offset=1)] == [middle.id]


async def test_one_agent_wins_a_claim_and_the_attempt_counts(database: Database) -> None:
    callbacks = CallbackRepository(database.sessions)
    owed = await callbacks.create(request())

    claims = await asyncio.gather(*(callbacks.claim(owed.id, ext) for ext in ("8001", "8002")))

    won = [c for c in claims if c is not None]
    assert len(won) == 1
    assert (won[0].status, won[0].attempts) == ("dialling", 1)
    assert won[0].agent_extension in ("8001", "8002")
    assert await callbacks.claim(owed.id, "8003") is None
    with pytest.raises(CallbackNotFoundError) as caught:
        await callbacks.claim(owed.id + 100, "8001")
    assert caught.value.code == "callback-not-found"


async def test_status_moves_follow_the_table_and_stamp_done_at(database: Database) -> None:
    clock = Clock(T0 + timedelta(minutes=20))
    callbacks = CallbackRepository(database.sessions, now=clock)
    owed = await callbacks.create(request())

    await callbacks.claim(owed.id, "8001")
    retry = await callbacks.mark(owed.id, "pending")  # no answer: back in line
    second = await callbacks.claim(owed.id, "8002")
    done = await callbacks.mark(owed.id, "done")

    assert (retry.status, retry.done_at, retry.attempts) == ("pending", None, 1)
    assert second is not None and (second.attempts, second.agent_extension) == (2, "8002")
    assert (done.status, done.done_at) == ("done", clock.now)
    for status in ("pending", "cancelled", "dialling"):
        with pytest.raises(CallbackTransitionError) as refused:
            await callbacks.mark(owed.id, status)
        assert refused.value.code == "invalid-callback-transition"
    with pytest.raises(InvalidCallbackError):
        await callbacks.mark(owed.id, "forgotten")
    with pytest.raises(CallbackNotFoundError):
        await callbacks.mark(owed.id + 100, "done")
    assert (await callbacks.get(owed.id)) == done


async def test_a_pending_callback_can_be_cancelled(database: Database) -> None:
    callbacks = CallbackRepository(database.sessions, now=Clock(T0))
    owed = await callbacks.create(request())
    cancelled = await callbacks.mark(owed.id, "cancelled")
    assert (cancelled.status, cancelled.done_at) == ("cancelled", T0)
    assert await callbacks.claim(owed.id, "8001") is None


async def test_malformed_requests_are_refused(database: Database) -> None:
    callbacks = CallbackRepository(database.sessions)
    with pytest.raises(InvalidCallbackError):
        await callbacks.create(request(kind="whenever"))
    with pytest.raises(InvalidCallbackError):
        await callbacks.create(request(requested_at=datetime(2026, 11, 23, 9, 0)))
    assert await _rows(database) == 0
