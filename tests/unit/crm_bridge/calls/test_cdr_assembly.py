from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from crm_bridge.calls.assembly import CallTracker, assemble, from_segments
from wire.events import CdrRecord, CelEvent, Hangup, Newchannel
from wire.names import CALLBACK_SUFFIX, DUNNING_PREFIX

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


# ---- calls the engine places: outbound, to the customer's number ----------------------------

HOTLINE = "4008001000"  # the caller ID a dunning call presents
CUSTOMER = "13911110001"
DUN = f"{DUNNING_PREFIX}9a56b4dbe7c4960b337f"
S = timedelta(seconds=1)


def dunning_seg(*, start, answer, end, billsec, disp="ANSWERED", path="", did=CUSTOMER, **more):
    """A dunning call's CDR segment as the sandbox's Asterisk writes it: the customer's leg
    (originated with ChannelId = the linkedid), source the hotline, ivr_did the customer."""
    return replace(
        seg(DUN, start=start, answer=answer, end=end, billsec=billsec, disp=disp, path=path),
        linkedid=DUN,
        source=HOTLINE,
        destination_context="dunning" if answer else "from-carrier",
        channel="PJSIP/carrier-00000003",
        ivr_did=did,
        **more,
    )


def dunning_call(*segments, cause=16):
    tracker, ended = track(
        [
            Newchannel("PJSIP/carrier-00000003", DUN, DUN, HOTLINE, "s", "dunning"),
            *segments,
            Hangup("PJSIP/carrier-00000003", DUN, DUN, cause, "Normal Clearing"),
            CelEvent("LINKEDID_END", "PJSIP/carrier-00000003", DUN, DUN),
        ]
    )
    assert ended == [DUN]
    facts = tracker.pop(DUN)
    assert facts is not None
    return assemble(facts, T0 + 60 * S)


def test_a_dunning_call_is_outbound_to_the_customer_not_from_the_hotline():
    path = "dunning>dunning:confirm:1>premium:policy:2>premium:promise_date>premium:promised"
    record = dunning_call(
        dunning_seg(start=T0, answer=T0, end=T0 + 29 * S, billsec=29, path=path, ivr_language="en")
    )
    assert (record.direction, record.caller_number, record.did) == ("outbound", CUSTOMER, CUSTOMER)
    assert HOTLINE not in (record.caller_number, record.did)
    assert (record.disposition, record.billsec, record.ivr_path) == ("ANSWERED", 29, path)
    assert record.agent_extension is None and not record.abandoned


def test_a_dunning_call_never_answered_names_the_number_the_dialer_set():
    record = dunning_call(
        dunning_seg(start=T0, answer=None, end=T0, billsec=0, disp="BUSY"), cause=17
    )
    assert (record.direction, record.caller_number, record.did) == ("outbound", CUSTOMER, CUSTOMER)
    assert (record.disposition, record.billsec, record.hangup_cause) == ("BUSY", 0, 17)
    assert record.did != "s", "the Originate's extension is not a number called"


def test_a_progressive_dunning_call_names_the_agent_who_took_it_or_none():
    taken = dunning_call(
        dunning_seg(
            start=T0,
            answer=T0,
            end=T0 + 2 * S,
            billsec=2,
            path="dunning:agent",
            destination_channel="PJSIP/8001-00000009",
        )
    )
    assert (taken.direction, taken.caller_number, taken.agent_extension) == (
        "outbound",
        CUSTOMER,
        "8001",
    )
    abandoned = dunning_call(  # the agent did not answer within 2 s: an apology, then hang up
        dunning_seg(
            start=T0,
            answer=T0,
            end=T0 + 4 * S,
            billsec=3,
            disp="NO ANSWER",
            path="dunning:agent",
            destination_channel="PJSIP/8001-0000000b",
        ),
        dunning_seg(
            start=T0 + 4 * S, answer=T0 + 4 * S, end=T0 + 9 * S, billsec=5, path="dunning:abandoned"
        ),
    )
    assert (abandoned.direction, abandoned.caller_number) == ("outbound", CUSTOMER)
    assert abandoned.agent_extension is None and abandoned.billsec == 8


def test_a_dunning_cdr_without_the_customers_number_never_names_the_hotline():
    """A journal row written before the dialer set ivr_did on the Originate."""
    row = dunning_seg(start=T0, answer=None, end=T0 + 10 * S, billsec=0, disp="NO ANSWER", did="")
    record = assemble(from_segments(DUN, [row]), T0 + 60 * S)
    assert (record.direction, record.caller_number, record.did) == ("outbound", "", "")
    assert record.disposition == "NO ANSWER"


def test_a_callback_is_outbound_to_the_customer_even_when_the_agent_never_answered():
    linkedid = "1732600000.17" + CALLBACK_SUFFIX
    leg = replace(
        seg(linkedid, start=T0, answer=None, end=T0 + 20 * S, billsec=0, disp="NO ANSWER"),
        linkedid=linkedid,
        source=CUSTOMER,  # the callback's caller ID is the customer's number
        ivr_did="",  # the customer's half never ran: the agent did not answer
    )
    record = assemble(from_segments(linkedid, [leg]), T0 + 60 * S)
    assert (record.direction, record.caller_number, record.did) == ("outbound", CUSTOMER, "")
    answered = replace(leg, answer=T0, billsec=20, disposition="ANSWERED", ivr_did=CUSTOMER)
    record = assemble(from_segments(linkedid, [answered]), T0 + 60 * S)
    assert (record.direction, record.caller_number, record.did) == ("outbound", CUSTOMER, CUSTOMER)
