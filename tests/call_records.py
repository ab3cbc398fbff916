"""A call detail record for tests of the ACD's routing facts; ``changes`` override any field."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from crm_bridge.calls.records import CallRecord

T0 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


def call_record(linkedid: str = "1763859600.7", **changes: Any) -> CallRecord:
    base = CallRecord(
        linkedid=linkedid,
        direction="inbound",
        caller_number="13800138000",
        did="4008001000",
        start_time=T0,
        answer_time=T0 + timedelta(seconds=40),
        end_time=T0 + timedelta(seconds=300),
        duration=300,
        billsec=260,
        disposition="ANSWERED",
        hangup_cause=16,
        hangup_cause_text="Normal Clearing",
        language="zh",
        ivr_path="language:1>main:0>agents",
        agent_extension="8001",
    )
    return replace(base, **changes)
