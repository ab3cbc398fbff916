"""A call's record when Asterisk sent no CDR (it crashed mid-call), and the agent's own leg
(issue 12: an Asterisk crash left a stub ``path= agent=None billsec=0``; talk time was the
caller leg's billsec, IVR and queue time included)."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from crm_bridge.calls.assembly import CallTracker, assemble, from_segments
from wire.events import AmiDisconnected, CdrRecord, DialEnd, Hangup, Newchannel

pytestmark = pytest.mark.unit

T0 = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
S = timedelta(seconds=1)
CALLER = "PJSIP/carrier-00000001"
AGENT = "PJSIP/8001-00000002"


def arrived(tracker: CallTracker) -> None:
    tracker.apply(Newchannel(CALLER, "100.1", "100.1", "13800138000", "4008001000", "x"), T0)
    tracker.apply(Newchannel(AGENT, "100.2", "100.1", "8001", "s", "agents"), T0 + 19 * S)


def routed(tracker: CallTracker) -> None:
    """What the IVR and the ACD set over FastAGI, as ``wire.agi`` reports it."""
    tracker.note("100.1", "ivr_language", "en", T0 + 3 * S)
    tracker.note("100.1", "ivr_path", "language:2>main:0>person", T0 + 8 * S)
    tracker.note("100.1", "acd_queue", "general", T0 + 18 * S)
    tracker.note("100.1", "acd_wait", "9", T0 + 18 * S)
    tracker.note("100.2", "acd_step", "skills", T0 + 19 * S)  # the agent's channel: same call


def test_a_call_asterisk_lost_keeps_path_agent_routing_and_the_agent_legs_time() -> None:
    tracker = CallTracker()
    arrived(tracker)
    routed(tracker)
    tracker.apply(DialEnd(CALLER, "100.1", AGENT, "ANSWER"), T0 + 20 * S)
    tracker.apply(AmiDisconnected("connection lost"), T0 + 37 * S)  # Asterisk SIGKILLed
    assert tracker.orphans(set()) == ["100.1"]  # the restarted Asterisk has nothing live
    facts = tracker.pop("100.1")
    assert facts is not None
    record = assemble(facts, T0 + 65 * S)  # written well after the restart
    assert record.ivr_path == "language:2>main:0>person" and record.language == "en"
    assert (record.agent_extension, record.queue, record.wait_seconds) == ("8001", "general", 9)
    assert record.escalation_step == "skills" and not record.abandoned
    assert (record.agent_answer_time, record.agent_end_time) == (T0 + 20 * S, T0 + 37 * S)
    assert record.talk_seconds == 17
    assert (record.end_time, record.billsec, record.disposition) == (T0 + 37 * S, 37, "ANSWERED")
    assert record.did == "4008001000" and record.caller_number == "13800138000"
    assert tracker.channels == {}  # forgotten with the call


def test_a_lost_call_still_in_line_is_abandoned_with_its_queue_and_no_talk() -> None:
    tracker = CallTracker()
    arrived(tracker)
    routed(tracker)
    tracker.apply(AmiDisconnected("connection lost"), T0 + 30 * S)
    facts = tracker.pop("100.1")
    assert facts is not None
    record = assemble(facts, T0 + 50 * S)
    assert record.agent_extension is None and record.talk_seconds == 0
    assert record.queue == "general" and record.abandoned
    assert record.agent_answer_time is None and record.end_time == T0 + 30 * S


def test_the_agents_hangup_ends_the_agent_leg_and_a_survived_reconnect_is_no_loss() -> None:
    tracker = CallTracker()
    arrived(tracker)
    routed(tracker)
    tracker.apply(DialEnd(CALLER, "100.1", AGENT, "ANSWER"), T0 + 20 * S)
    tracker.apply(AmiDisconnected("blip"), T0 + 25 * S)
    assert tracker.orphans({"100.1"}) == []  # Asterisk still has it: the call goes on
    tracker.apply(Hangup(AGENT, "100.2", "100.1", 16, "Normal Clearing"), T0 + 32 * S)
    facts = tracker.pop("100.1")
    assert facts is not None and facts.lost_at is None
    record = assemble(facts, T0 + 40 * S)
    assert (record.agent_end_time, record.talk_seconds) == (T0 + 32 * S, 12)
    assert record.end_time == T0 + 40 * S


def test_a_call_no_one_set_anything_on_stays_a_plain_stub() -> None:
    tracker = CallTracker()
    tracker.apply(Newchannel(CALLER, "100.1", "100.1", "13800138000", "4008001000", "x"), T0)
    facts = tracker.pop("100.1")
    assert facts is not None
    record = assemble(facts, T0 + 4 * S)
    assert (record.billsec, record.disposition, record.agent_extension) == (0, "FAILED", None)


def segment(uniqueid: str, start: int, answer: int, end: int, dest: str = "") -> CdrRecord:
    return CdrRecord(
        linkedid="100.1",
        uniqueid=uniqueid,
        source="13800138000",
        destination="s",
        destination_context="",
        channel=CALLER,
        destination_channel=dest,
        start=T0 + start * S,
        answer=T0 + answer * S,
        end=T0 + end * S,
        duration=end - start,
        billsec=end - answer,
        disposition="ANSWERED",
        hangup_cause=16,
        ivr_language="en",
        ivr_path="language:2>main:0>person",
        ivr_did="4008001000",
    )


def test_talk_time_counts_from_the_agents_answer_not_the_dial_segments() -> None:
    """As seen in the sandbox: the segment of the caller's dial to the agent carries the
    caller's answer (its billsec counted IVR, queue and ringing: 10 s for 4 s of talk)."""
    tracker = CallTracker()
    arrived(tracker)
    tracker.apply(segment("100.1", 0, 1, 12), T0 + 12 * S)  # the IVR
    tracker.apply(DialEnd(CALLER, "100.1", AGENT, "ANSWER"), T0 + 21 * S)
    tracker.apply(Hangup(AGENT, "100.2", "100.1", 16, "Normal Clearing"), T0 + 38 * S)
    tracker.apply(segment("100.1", 12, 1, 38, dest=AGENT), T0 + 38 * S)  # answer: the caller's
    facts = tracker.pop("100.1")
    assert facts is not None
    record = assemble(facts, T0 + 40 * S)
    assert (record.talk_seconds, record.agent_extension) == (17, "8001")
    assert (record.agent_answer_time, record.agent_end_time) == (T0 + 21 * S, T0 + 38 * S)
    assert record.billsec == 11 + 37


def test_known_only_from_the_journal_the_agent_segments_billsec_bounds_talk() -> None:
    journal = [segment("100.1", 0, 1, 38, dest=AGENT)]
    record = assemble(from_segments("100.1", journal), T0)
    assert (record.agent_extension, record.talk_seconds) == ("8001", 37)
    assert record.agent_answer_time is None


@pytest.mark.parametrize(
    ("linkedid", "context", "exten", "path", "kind"),
    [
        ("100.1", "from-carrier", "4008001000", "language:1", "customer"),
        ("spy-4-1a2b", "", "s", "spy", "supervision"),  # originated by the REST API
        ("spy-5-1a2b", "", "s", "", "supervision"),  # not answered: no path yet
        ("100.1", "supervisors", "*238001", "", "supervision"),  # a feature code, refused
        ("100.1", "supervisors", "8001", "", "internal"),  # a supervisor rings an agent
        ("100.1", "agents", "*50", "", "internal"),  # an agent logs in
        ("dun-1f2e", "", "s", "dunning", "customer"),
        ("100.1-cb", "agents", "s", "callback", "customer"),
    ],
)
def test_whose_call_a_record_is(
    linkedid: str, context: str, exten: str, path: str, kind: str
) -> None:
    tracker = CallTracker()
    tracker.apply(Newchannel("PJSIP/9001-0000000c", linkedid, linkedid, "", exten, context), T0)
    if path:
        tracker.note(linkedid, "ivr_path", path, T0)
    facts = tracker.pop(linkedid)
    assert facts is not None
    assert assemble(facts, T0 + 9 * S).kind == kind


def test_a_spy_leg_known_only_from_the_journal_is_supervision() -> None:
    spy = replace(segment("100.1", 0, 1, 30), channel="PJSIP/9001-0000000c", ivr_path="spy")
    assert assemble(from_segments("100.1", [spy]), T0).kind == "supervision"
    staff = replace(spy, ivr_path="")
    assert assemble(from_segments("100.1", [staff]), T0).kind == "internal"
    assert assemble(from_segments("100.1", [segment("100.1", 0, 1, 30)]), T0).kind == "customer"
