from datetime import UTC, datetime

import pytest

from wire import names
from wire.events import (
    CdrRecord,
    CelEvent,
    DunningAmd,
    Hangup,
    Newchannel,
    SpyAnswered,
    SpyEnded,
    UserEvent,
    parse_event,
)

pytestmark = pytest.mark.unit


def test_cdr_event_becomes_a_typed_record_with_our_ivr_fields():
    event = parse_event(
        {
            "Event": "Cdr",
            "Source": "13800138000",
            "Destination": "s",
            "Channel": "PJSIP/carrier-00000001",
            "DestinationChannel": "PJSIP/8001-00000002",
            "StartTime": "2026-11-22 10:00:00",
            "AnswerTime": "2026-11-22 10:00:01",
            "EndTime": "2026-11-22 10:00:31",
            "Duration": "31",
            "BillableSeconds": "30",
            "Disposition": "ANSWERED",
            "UniqueID": "1.1",
            "LinkedID": "1.1",
            "IvrPath": "language:2>main:0>person",
            "IvrLanguage": "en",
            "IvrDid": "4008001000",
        }
    )
    assert isinstance(event, CdrRecord)
    assert event.start == datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
    assert (event.duration, event.billsec, event.ivr_language) == (31, 30, "en")
    assert event.linkedid == "1.1" and event.destination_channel == "PJSIP/8001-00000002"


def test_missing_numbers_and_times_do_not_crash():
    event = parse_event({"Event": "Cdr", "UniqueID": "2.2", "Duration": "", "AnswerTime": ""})
    assert isinstance(event, CdrRecord)
    assert event.linkedid == "2.2" and event.duration == 0 and event.answer is None


def test_channel_events():
    new = parse_event(
        {
            "Event": "Newchannel",
            "Channel": "PJSIP/carrier-1",
            "Uniqueid": "3.3",
            "Linkedid": "3.3",
            "CallerIDNum": "139",
            "Exten": "4008001000",
        }
    )
    assert new == Newchannel("PJSIP/carrier-1", "3.3", "3.3", "139", "4008001000", "")
    gone = parse_event(
        {
            "Event": "Hangup",
            "Uniqueid": "3.3",
            "Linkedid": "3.3",
            "Cause": "16",
            "Cause-txt": "Normal Clearing",
        }
    )
    assert isinstance(gone, Hangup) and gone.cause == 16
    end = parse_event({"Event": "CEL", "EventName": "LINKEDID_END", "LinkedID": "3.3"})
    assert isinstance(end, CelEvent) and end.name == "LINKEDID_END"


def test_unknown_events_are_ignored():
    assert parse_event({"Event": "VarSet"}) is None
    assert parse_event({}) is None


def test_our_user_events_have_typed_payloads():
    answered = parse_event(
        {
            "Event": "UserEvent",
            "UserEvent": names.USEREVENT_SPY_ANSWERED,
            "Uniqueid": "spy-abc",
            "Linkedid": "spy-abc",
            "SpyId": "42",
        }
    )
    assert answered == SpyAnswered(uniqueid="spy-abc", linkedid="spy-abc", spy_id=42)
    ended = parse_event(
        {
            "Event": "UserEvent",
            "UserEvent": names.USEREVENT_SPY_ENDED,
            "Uniqueid": "spy-abc",
            "Linkedid": "spy-abc",
            "SpyId": "",
            "Reason": "call-ended",
        }
    )
    assert ended == SpyEnded("spy-abc", "spy-abc", None, "call-ended")
    amd = parse_event(
        {
            "Event": "UserEvent",
            "UserEvent": names.USEREVENT_DUNNING_AMD,
            "Linkedid": "dun-1",
            "Attempt": "c1:7:1",
            "Status": "MACHINE",
            "Cause": "LONGGREETING-1500-1500",
        }
    )
    assert amd == DunningAmd("dun-1", "c1:7:1", "MACHINE", "LONGGREETING-1500-1500")


def test_other_user_events_stay_plain():
    event = parse_event(
        {"Event": "UserEvent", "UserEvent": "BenchEnqueue", "Linkedid": "1.1", "System": "acd"}
    )
    assert event == UserEvent("BenchEnqueue", "1.1", {"System": "acd"})
