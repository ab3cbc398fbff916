"""Revision 0003 (ACD): up from 0002 with data, down again; CDR routing facts stored directly
and through the spool."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TypeVar

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from crm_bridge.calls.cdr_writer import CdrWriter
from crm_bridge.calls.spool import CdrSpool
from crm_bridge.db import Database
from crm_bridge.migrate import current_revision, downgrade, upgrade
from crm_bridge.repositories import CallRepository
from tests.call_records import T0, call_record
from tests.integration.migration_checks import inspected, schema_diff, tables

pytestmark = pytest.mark.integration

T = TypeVar("T")
ACD_TABLES = {"agent_state_log", "agent_presence", "callbacks"}
ROUTING_COLUMNS = {"queue", "wait_seconds", "vip", "escalation_step", "blacklisted", "abandoned"}
CALL_0002 = (
    "INSERT INTO calls (linkedid, direction, caller_number, did, start_time, end_time, "
    "duration, billsec, disposition, hangup_cause, hangup_cause_text, ivr_path, created_at) "
    "VALUES ('before-0003', 'inbound', '13800138000', '4008001000', :start, :start, 0, 0, "
    "'NO ANSWER', 16, 'Normal Clearing', '', :start)"
)


record = call_record


def _call_columns(connection: Connection) -> set[str]:
    return {column["name"] for column in inspect(connection).get_columns("calls")}


async def test_0003_keeps_calls_and_downgrades_cleanly(db_url: str) -> None:
    await upgrade(db_url, "0002")
    db = Database(db_url)
    try:
        async with db.engine.begin() as connection:
            start = T0.replace(tzinfo=None) if db.engine.dialect.name == "sqlite" else T0
            await connection.execute(text(CALL_0002), {"start": start})
        await upgrade(db_url, "0003")
        assert await current_revision(db_url) == "0003"
        await upgrade(db_url)  # read through the models of the head revision
        old = await CallRepository(db.sessions).get("before-0003")
    finally:
        await db.close()

    assert old is not None and (old.talk_seconds, old.agent_answer_time) == (0, None)
    assert old is not None and (old.vip, old.blacklisted, old.abandoned) == (False, False, False)
    assert (old.queue, old.wait_seconds, old.escalation_step) == (None, None, None)

    await downgrade(db_url, "0002")
    assert await current_revision(db_url) == "0002"
    assert not await inspected(db_url, tables) & ACD_TABLES
    assert not await inspected(db_url, _call_columns) & ROUTING_COLUMNS

    await upgrade(db_url)
    assert await inspected(db_url, schema_diff) == []


async def test_routing_facts_are_stored_and_listed(database: Database) -> None:
    calls = CallRepository(database.sessions)
    queued = record(
        queue="vip", wait_seconds=31, vip=True, escalation_step="relax-level", blacklisted=True
    )
    abandoned = record("1763859600.8", answer_time=None, abandoned=True, agent_extension=None)

    await calls.save(queued)
    await calls.save(abandoned)

    assert await calls.get(queued.linkedid) == queued
    assert await calls.get(abandoned.linkedid) == abandoned
    listed = {item.linkedid: item for item in await calls.list()}
    assert listed[queued.linkedid].escalation_step == "relax-level"
    assert listed[abandoned.linkedid].abandoned is True


async def test_spooled_cdrs_keep_their_routing_facts(database: Database, tmp_path: Path) -> None:
    spool = CdrSpool(tmp_path / "spool")
    queued = record(
        "spooled.1",
        queue="claims",
        wait_seconds=64,
        escalation_step="any-agent-with-language",
        vip=True,
    )
    spool.put(queued)
    before_0003 = json.loads(record("spooled.2").to_json())
    for name in ROUTING_COLUMNS:
        del before_0003[name]  # as a controller of revision 0002 spooled it
    (tmp_path / "spool" / "spooled.2.json").write_text(json.dumps(before_0003))
    calls = CallRepository(database.sessions)

    assert await CdrWriter(calls, spool).replay_once() == 2

    assert await calls.get("spooled.1") == queued
    assert await calls.get("spooled.2") == record("spooled.2")
    assert spool.pending() == []
