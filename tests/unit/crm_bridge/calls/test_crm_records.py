from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from crm_bridge.calls.records import CallRecord
from crm_bridge.calls.spool import spool_name
from crm_bridge.errors import InvalidRecordError

pytestmark = pytest.mark.unit

SHANGHAI = timezone(timedelta(hours=8))
START = datetime(2024, 5, 6, 9, 30, 15, 250000, tzinfo=SHANGHAI)


def record(**changes: object) -> CallRecord:
    values: dict[str, object] = {
        "linkedid": "1715000000.42",
        "direction": "inbound",
        "caller_number": "13800138000",
        "did": "4008001000",
        "start_time": START,
        "answer_time": START + timedelta(seconds=7),
        "end_time": START + timedelta(seconds=67),
        "duration": 67,
        "billsec": 60,
        "disposition": "ANSWERED",
        "hangup_cause": 16,
        "hangup_cause_text": "Normal Clearing",
        "language": "zh",
        "ivr_path": "language:1>main:3>premium",
        "agent_extension": None,
    }
    values.update(changes)
    return CallRecord(**values)


def test_json_round_trip_is_exact() -> None:
    original = record()
    again = CallRecord.from_json(original.to_json())
    assert again == original
    assert again.to_json() == original.to_json()


def test_timestamps_are_iso_8601_utc() -> None:
    data = json.loads(record(answer_time=None).to_json())
    assert data["start_time"] == "2024-05-06T01:30:15.250000+00:00"
    assert data["answer_time"] is None
    assert CallRecord.from_json(json.dumps(data)).start_time.tzinfo is UTC


def test_chinese_text_survives() -> None:
    original = record(hangup_cause_text="正常挂机")
    assert CallRecord.from_json(original.to_json().encode("utf-8")) == original


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(InvalidRecordError):
        record(start_time=datetime(2024, 5, 6, 9, 30))
    data = json.loads(record().to_json())
    data["end_time"] = "2024-05-06T01:31:22"
    with pytest.raises(InvalidRecordError):
        CallRecord.from_json(json.dumps(data))


@pytest.mark.parametrize(
    "text",
    ["not json", "[]", '{"linkedid": "x"}'],
)
def test_malformed_documents_raise_a_domain_error(text: str) -> None:
    with pytest.raises(InvalidRecordError) as caught:
        CallRecord.from_json(text)
    assert caught.value.code == "cdr-invalid"


def test_wrong_field_types_raise_a_domain_error() -> None:
    data = json.loads(record().to_json())
    data["billsec"] = "60"
    with pytest.raises(InvalidRecordError):
        CallRecord.from_json(json.dumps(data))


def test_spool_names_are_safe_and_stable() -> None:
    assert spool_name("1715000000.42") == "1715000000.42.json"
    hashed = spool_name("../../etc/passwd")
    assert hashed == spool_name("../../etc/passwd")
    assert "/" not in hashed and hashed.startswith("h-")
    assert spool_name(".hidden").startswith("h-")


def test_the_agent_leg_round_trips_and_an_older_document_reads_without_it() -> None:
    answered = START + timedelta(seconds=20)
    original = record(
        agent_extension="8001",
        agent_answer_time=answered,
        agent_end_time=answered + timedelta(seconds=17),
        talk_seconds=17,
    )
    assert CallRecord.from_json(original.to_json()) == original
    older = json.loads(record().to_json())
    for name in ("agent_answer_time", "agent_end_time", "talk_seconds"):
        del older[name]
    again = CallRecord.from_dict(older)
    assert (again.agent_answer_time, again.talk_seconds) == (None, 0)
    with pytest.raises(InvalidRecordError):
        CallRecord.from_dict(json.loads(record().to_json()) | {"talk_seconds": "17"})
