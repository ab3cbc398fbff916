from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from crm_bridge.calls.cdr_writer import CdrWriter
from crm_bridge.calls.records import CallRecord
from crm_bridge.calls.repository import CallRepository
from crm_bridge.calls.spool import REJECTED, CdrSpool
from crm_bridge.db import Database

pytestmark = pytest.mark.integration

UNREACHABLE_URL = "postgresql+asyncpg://postgres@127.0.0.1:1/test"
T0 = datetime(2024, 5, 6, 1, 0, 0, tzinfo=UTC)


def make_record(linkedid: str = "1715000000.7", direction: str = "inbound") -> CallRecord:
    return CallRecord(
        linkedid=linkedid,
        direction=direction,
        caller_number="13900000666",
        did="4008001000",
        start_time=T0,
        answer_time=None,
        end_time=T0 + timedelta(seconds=20),
        duration=20,
        billsec=0,
        disposition="NO ANSWER",
        hangup_cause=19,
        hangup_cause_text="No answer",
        language=None,
        ivr_path="language:2",
        agent_extension=None,
    )


class SlowStore:
    """Saves after a delay, to cancel the caller mid-write."""

    def __init__(self) -> None:
        self.saved: list[CallRecord] = []
        self.started = asyncio.Event()

    async def save(self, record: CallRecord) -> bool:
        self.started.set()
        await asyncio.sleep(0.05)
        self.saved.append(record)
        return True


class FlakyStore:
    """Fails with an unexpected error once, then stores."""

    def __init__(self) -> None:
        self.calls = 0

    async def save(self, record: CallRecord) -> bool:
        self.calls += 1
        if self.calls == 1:
            raise RuntimeError("boom")
        return True


async def test_unreachable_database_spools_then_replay_stores(
    database: Database, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    spool = CdrSpool(tmp_path / "spool")
    record = make_record()
    down = Database(UNREACHABLE_URL)
    try:
        with caplog.at_level(logging.WARNING, logger="crm_bridge.calls.cdr_writer"):
            await CdrWriter(CallRepository(down.sessions), spool).write(record)
            await CdrWriter(CallRepository(down.sessions), spool).write(record)
    finally:
        await down.close()
    assert [p.name for p in spool.pending()] == [f"{record.linkedid}.json"]
    assert record.linkedid in caplog.text

    repo = CallRepository(database.sessions)
    writer = CdrWriter(repo, spool)
    assert await writer.replay_once() == 1
    assert await repo.get(record.linkedid) == record
    assert spool.pending() == []
    assert await writer.replay_once() == 0


async def test_replay_of_an_already_stored_call_just_clears_the_spool(
    database: Database, tmp_path: Path
) -> None:
    spool = CdrSpool(tmp_path / "spool")
    repo = CallRepository(database.sessions)
    record = make_record()
    await repo.save(record)
    spool.put(record)

    assert await CdrWriter(repo, spool).replay_once() == 1
    assert spool.pending() == []
    assert len(await repo.list()) == 1


async def test_replay_stops_while_database_is_down(tmp_path: Path) -> None:
    spool = CdrSpool(tmp_path / "spool")
    spool.put(make_record("a"))
    spool.put(make_record("b"))
    down = Database(UNREACHABLE_URL)
    try:
        assert await CdrWriter(CallRepository(down.sessions), spool).replay_once() == 0
    finally:
        await down.close()
    assert len(spool.pending()) == 2


async def test_record_the_database_refuses_is_set_aside(database: Database, tmp_path: Path) -> None:
    spool = CdrSpool(tmp_path / "spool")
    writer = CdrWriter(CallRepository(database.sessions), spool)
    await writer.write(make_record("bad", direction="sideways"))  # violates a CHECK
    assert len(spool.pending()) == 1

    assert await writer.replay_once() == 0
    assert spool.pending() == []
    assert (spool.directory / REJECTED / "bad.json").is_file()


async def test_cancelling_the_caller_does_not_lose_the_write(tmp_path: Path) -> None:
    store = SlowStore()
    writer = CdrWriter(store, CdrSpool(tmp_path / "spool"))
    task = asyncio.create_task(writer.write(make_record()))
    await store.started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    await writer.drain()
    assert [r.linkedid for r in store.saved] == ["1715000000.7"]


async def test_background_replay_survives_errors(tmp_path: Path) -> None:
    spool = CdrSpool(tmp_path / "spool")
    spool.put(make_record())
    writer = CdrWriter(FlakyStore(), spool)
    task = asyncio.create_task(writer.run_replay(0.01))
    try:
        for _ in range(200):
            if not spool.pending():
                break
            await asyncio.sleep(0.01)
        assert spool.pending() == []
        assert not task.done()  # the error did not end the loop
    finally:
        task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


def test_spooling_is_atomic_and_idempotent(tmp_path: Path) -> None:
    spool = CdrSpool(tmp_path / "spool")
    record = make_record("weird/../id")
    first = spool.put(record)
    second = spool.put(record)

    assert first == second
    assert first.parent == spool.directory
    assert spool.pending() == [first]
    assert spool.load(first) == record
    assert [p.name for p in spool.directory.iterdir()] == [first.name]  # no temp files left


async def test_spooled_cdrs_make_health_degraded_and_a_down_database_is_logged_once(
    database: Database, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Issue 12: /health said the database was fine while CDRs were spooled, and a loop logged
    a traceback on every tick while the database was down."""
    spool = CdrSpool(tmp_path / "spool")
    down = Database(UNREACHABLE_URL)
    try:
        writer = CdrWriter(CallRepository(down.sessions), spool)
        await writer.write(make_record())
        assert spool.health() == {"ok": False, "count": 1}
        caplog.clear()  # the call's own "spooling" line is one per call: fine
        caplog.set_level(logging.DEBUG, logger="crm_bridge.calls.cdr_writer")
        for _ in range(5):  # five ticks of the replay loop with the database down
            assert await writer.replay_once() == 0
    finally:
        await down.close()
    loud = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(loud) == 1 and loud[0].exc_info is not None, [r.message for r in loud]

    caplog.clear()
    up = CdrWriter(CallRepository(database.sessions), spool)
    up._unavailable = writer._unavailable  # the same writer, the database back
    assert await up.replay_once() == 1
    assert spool.health() == {"ok": True, "count": 0}
    assert [r.message for r in caplog.records if "works again" in r.message]
