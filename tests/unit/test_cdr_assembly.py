from datetime import UTC, datetime, timedelta

import pytest

from crm_bridge.assembly import CallTracker, assemble
from ivr_acd.asterisk.events import CdrRecord, CelEvent, Hangup, Newchannel

pytestmark = pytest.mark.unit

T0 = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


def seg(uniqueid, *, start, answer, end, billsec, dest="", disp="ANSWERED", path="", lang=""):
    return CdrRecord(
        linkedid="100.1",
        uniqueid=uniqueid,
        source="13800138000",
        destination="s",
        destination_context="",
        channel="PJSIP/carrier-01",
        destination_channel=dest,
        start=start,
        answer=answer,
        end=end,
        duration=int((end - start).total_seconds()),
        billsec=billsec,
        disposition=disp,
        hangup_cause=0,
        ivr_language=lang,
        ivr_path=path,
        ivr_did="4008001000",
    )


def track(events):
    tracker = CallTracker()
    ended = [tracker.apply(e, T0) for e in events]
    return tracker, [e for e in ended if e]


def test_one_record_from_the_caller_leg_with_the_answering_agent():
    s = timedelta(seconds=1)
    tracker, ended = track(
        [
            Newchannel("PJSIP/carrier-01", "100.1", "100.1", "13800138000", "4008001000", "x"),
            seg(
                "100.1",
                start=T0,
                answer=T0 + s,
                end=T0 + 20 * s,
                billsec=19,
                dest="PJSIP/8001-0000000a",
                path="language:2>main:0>person",
                lang="en",
            ),
            seg(
                "100.2",
                start=T0 + 9 * s,
                answer=None,
                end=T0 + 12 * s,
                billsec=0,
                dest="PJSIP/8002-0000000b",
                disp="NO ANSWER",
            ),
            Hangup("PJSIP/carrier-01", "100.1", "100.1", 16, "Normal Clearing"),
            CelEvent("LINKEDID_END", "PJSIP/carrier-01", "100.1", "100.1"),
        ]
    )
    assert ended == ["100.1"]
    facts = tracker.pop("100.1")
    assert facts is not None
    record = assemble(facts, T0 + 30 * s)
    assert record.caller_number == "13800138000" and record.did == "4008001000"
    assert (record.duration, record.billsec, record.agent_extension) == (20, 19, "8001")
    assert record.ivr_path == "language:2>main:0>person" and record.language == "en"
    assert record.hangup_cause == 16 and record.disposition == "ANSWERED"


def test_split_caller_leg_segments_are_summed():
    s = timedelta(seconds=1)
    tracker = CallTracker()
    for event in (
        seg("100.1", start=T0, answer=T0, end=T0 + 10 * s, billsec=10, path="language"),
        seg(
            "100.1",
            start=T0 + 10 * s,
            answer=T0 + 12 * s,
            end=T0 + 40 * s,
            billsec=28,
            dest="PJSIP/8003-0000000c",
            path="language:1>main:0>person",
            lang="zh",
        ),
    ):
        tracker.apply(event, T0)
    facts = tracker.pop("100.1")
    assert facts is not None
    record = assemble(facts, T0)
    assert (record.start_time, record.end_time) == (T0, T0 + 40 * s)
    assert (record.duration, record.billsec) == (40, 38)
    assert record.agent_extension == "8003" and record.language == "zh"
    assert record.ivr_path == "language:1>main:0>person"


def test_a_call_asterisk_lost_still_yields_a_record_from_what_was_seen():
    tracker, _ = track([Newchannel("PJSIP/carrier-09", "200.1", "200.1", "139", "400", "c")])
    assert tracker.orphans(set()) == ["200.1"]
    facts = tracker.pop("200.1")
    assert facts is not None
    record = assemble(facts, T0 + timedelta(seconds=5))
    assert record.duration == 5 and record.billsec == 0 and record.caller_number == "139"
