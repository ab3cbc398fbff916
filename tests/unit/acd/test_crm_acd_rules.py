"""Pure rules behind the ACD's CRM tables: routing facts on CDRs, state log checks, callback
status moves."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest

from crm_bridge.agent_state_repository import (
    AgentTransition,
    check_transition,
    latest_by_extension,
)
from crm_bridge.callback_repository import (
    NEXT_STATUS,
    CallbackRequest,
    check_request,
    sources_of,
)
from crm_bridge.calls.records import CallRecord
from crm_bridge.errors import InvalidCallbackError, InvalidRecordError, InvalidStateRecordError
from crm_bridge.vocab import CallbackStatus
from tests.call_records import T0, call_record

pytestmark = pytest.mark.unit


record = call_record


def test_routing_facts_default_to_a_call_that_never_queued() -> None:
    plain = record()
    assert (plain.queue, plain.wait_seconds, plain.escalation_step) == (None, None, None)
    assert (plain.vip, plain.blacklisted, plain.abandoned) == (False, False, False)


def test_routing_facts_survive_the_json_round_trip() -> None:
    queued = record(
        queue="vip", wait_seconds=31, vip=True, escalation_step="relax-level", abandoned=True
    )
    assert CallRecord.from_json(queued.to_json()) == queued
    assert json.loads(queued.to_json())["wait_seconds"] == 31


def test_a_document_spooled_before_the_routing_facts_still_reads() -> None:
    data = json.loads(record().to_json())
    for name in ("queue", "wait_seconds", "vip", "escalation_step", "blacklisted", "abandoned"):
        del data[name]
    assert CallRecord.from_dict(data) == record()


@pytest.mark.parametrize(
    ("name", "value"),
    [("wait_seconds", "31"), ("wait_seconds", True), ("vip", 1), ("abandoned", None)],
)
def test_routing_facts_of_the_wrong_type_are_refused(name: str, value: object) -> None:
    data = json.loads(record().to_json())
    data[name] = value
    with pytest.raises(InvalidRecordError):
        CallRecord.from_dict(data)


def move(extension: str, to_state: str, seconds: int, **changes: Any) -> AgentTransition:
    item = AgentTransition(extension, "ready", to_state, T0 + timedelta(seconds=seconds))
    return replace(item, **changes)


def test_presence_follows_each_agents_newest_transition() -> None:
    batch = [
        move("8002", "paused", 5, reason="lunch"),
        move("8001", "reserved", 1),
        move("8001", "on-call", 3),
        move("8001", "wrap-up", 2),  # arrived late: older than on-call
        move("8002", "ready", 5),  # a tie: the later one in the batch wins
    ]
    latest = latest_by_extension(batch)
    assert [(t.extension, t.to_state) for t in latest] == [("8001", "on-call"), ("8002", "ready")]


@pytest.mark.parametrize(
    "changes",
    [
        {"extension": ""},
        {"to_state": "x" * 17},
        {"from_state": ""},
        {"reason": "r" * 33},
        {"call_linkedid": ""},
        {"at": datetime(2026, 11, 23, 9, 0)},
    ],
)
def test_malformed_transitions_are_refused(changes: dict[str, Any]) -> None:
    good = move("8001", "paused", 0, reason="break", call_linkedid="1.2")
    check_transition(good)
    with pytest.raises(InvalidStateRecordError) as caught:
        check_transition(replace(good, **changes))
    assert caught.value.code == "invalid-state-record"


def test_dialling_is_only_reached_by_a_claim_and_finished_callbacks_stay_finished() -> None:
    assert CallbackStatus.DIALLING not in sources_of(CallbackStatus.DIALLING)
    assert sources_of(CallbackStatus.DIALLING) == frozenset()
    assert sources_of(CallbackStatus.DONE) == {CallbackStatus.DIALLING}
    assert sources_of(CallbackStatus.PENDING) == {CallbackStatus.DIALLING, CallbackStatus.FAILED}
    assert NEXT_STATUS[CallbackStatus.DONE] == NEXT_STATUS[CallbackStatus.CANCELLED] == set()
    assert set(NEXT_STATUS) == set(CallbackStatus)


def callback(**changes: Any) -> CallbackRequest:
    base = CallbackRequest(
        caller_number="13800138000",
        call_linkedid="1763859600.7",
        kind="abandoned",
        queue="claims",
        enqueued_at=T0,
        requested_at=T0 + timedelta(minutes=3),
        skills=("claims",),
        language="zh",
    )
    return replace(base, **changes)


@pytest.mark.parametrize(
    "changes",
    [
        {"kind": "later"},
        {"language": "fr"},
        {"queue": ""},
        {"caller_number": "1" * 65},
        {"skills": ("",)},
        {"enqueued_at": datetime(2026, 11, 23, 9, 0)},
        {"vip": "yes"},
    ],
)
def test_malformed_callbacks_are_refused(changes: dict[str, Any]) -> None:
    check_request(callback())
    check_request(callback(language=None, skills=()))
    with pytest.raises(InvalidCallbackError) as caught:
        check_request(callback(**changes))
    assert caught.value.code == "invalid-callback"
