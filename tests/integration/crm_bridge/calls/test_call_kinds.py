"""Whose call a CDR is, stored and counted (issue 12: a supervisor's spy leg was stored as an
inbound customer call, so one customer call counted 2 in the hourly chart)."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from crm_bridge.calls.call_volume import CallVolume
from crm_bridge.db import Database
from crm_bridge.kpis.agents import KpiRepository
from crm_bridge.repositories import CallRepository
from tests.call_records import T0, call_record

pytestmark = pytest.mark.integration

UTC_ZONE = ZoneInfo("UTC")


async def test_a_spy_leg_and_a_staff_call_are_stored_with_their_kind_and_not_counted(
    database: Database,
) -> None:
    calls = CallRepository(database.sessions)
    customer = call_record("1763859600.1", talk_seconds=200)
    spy = call_record(
        "spy-4-1a2b", caller_number="9001", ivr_path="spy", agent_extension=None, kind="supervision"
    )
    login = call_record(
        "1763859600.3", caller_number="8001", ivr_path="", agent_extension="8002", kind="internal"
    )
    for record in (customer, spy, login):
        assert await calls.save(record)
    assert await calls.get("spy-4-1a2b") == spy
    assert (await calls.get("1763859600.3")) == login

    chart = await CallVolume(database.sessions, UTC_ZONE).hourly(T0.date())
    assert chart["total"] == 1 and chart["hours"][T0.hour]["inbound"] == 1

    kpis = KpiRepository(database.sessions, UTC_ZONE, lambda: T0 + timedelta(days=1))
    report = await kpis.agents_day(T0.date())
    handled = {row.extension: row.calls.calls_handled for row in report.agents}
    assert handled.get("8001") == 1 and handled.get("8002", 0) == 0
