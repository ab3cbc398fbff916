"""From AMI events to one call detail record per call (pure: no I/O, no clock of its own).

Asterisk keeps the accounting (cdr_manager sends each CDR segment with our IVR variables);
CEL's LINKEDID_END says the call is over. :class:`CallTracker` gathers what belongs to one
linkedid; :func:`assemble` turns it into a :class:`CallRecord`.

Calls the engine places are outbound, to the customer's number: an ACD callback (linkedid
``<waiting call>-cb``, path ``callback``) and a dunning call (linkedid ``dun-...``, paths
``dunning...``). Their number is the CDR's ``ivr_did``, which the dialplan (callback) or the
dialer's Originate (dunning, so also on a call never answered) sets before the dial; a dunning
call's caller ID is the hotline's, never taken for the customer's number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from crm_bridge.calls.records import CallRecord
from crm_bridge.vocab import Direction
from wire.events import AmiEvent, CdrRecord, CelEvent, Hangup, Newchannel
from wire.names import CALLBACK_SUFFIX, DUNNING_PREFIX

# Q.850 cause texts as Asterisk prints them, for records rebuilt from the journal.
CAUSE_TEXT: dict[int, str] = {
    0: "Unknown",
    1: "Unallocated (unassigned) number",
    16: "Normal Clearing",
    17: "User busy",
    18: "No user responding",
    19: "User alerting, no answer",
    21: "Call Rejected",
    27: "Destination out of order",
    31: "Normal, unspecified",
    34: "Circuit/channel congestion",
    38: "Network out of order",
    41: "Temporary failure",
}

AGENT_CHANNEL = re.compile(r"^PJSIP/([0-9]{3,6})-[0-9a-f]+$")


@dataclass
class CallFacts:
    linkedid: str
    first_seen: datetime
    caller_number: str = ""
    exten: str = ""
    segments: list[CdrRecord] = field(default_factory=list)
    hangup_cause: int = 0
    hangup_cause_text: str = ""
    ended: bool = False


class CallTracker:
    """Everything known about the calls in progress, keyed by linkedid."""

    def __init__(self) -> None:
        self.calls: dict[str, CallFacts] = {}

    def apply(self, event: AmiEvent, now: datetime) -> str | None:
        """Apply one event; returns the linkedid of a call that just ended."""
        if isinstance(event, Newchannel) and event.linkedid:
            facts = self._facts(event.linkedid, now)
            if event.uniqueid == event.linkedid:
                facts.caller_number, facts.exten = event.caller_number, event.exten
        elif isinstance(event, CdrRecord) and event.linkedid:
            self._facts(event.linkedid, now).segments.append(event)
        elif isinstance(event, Hangup) and event.linkedid:
            facts = self._facts(event.linkedid, now)
            if event.uniqueid == event.linkedid:
                facts.hangup_cause, facts.hangup_cause_text = event.cause, event.cause_text
        elif isinstance(event, CelEvent) and event.name == "LINKEDID_END" and event.linkedid:
            self._facts(event.linkedid, now).ended = True
            return event.linkedid
        return None

    def _facts(self, linkedid: str, now: datetime) -> CallFacts:
        facts = self.calls.get(linkedid)
        if facts is None:
            facts = self.calls[linkedid] = CallFacts(linkedid=linkedid, first_seen=now)
        return facts

    def orphans(self, live_linkedids: set[str]) -> list[str]:
        """Calls we track that Asterisk no longer has (it restarted, or we missed the end)."""
        return [lid for lid in self.calls if lid not in live_linkedids]

    def pop(self, linkedid: str) -> CallFacts | None:
        return self.calls.pop(linkedid, None)


def _caller_leg(facts: CallFacts) -> list[CdrRecord]:
    own = [s for s in facts.segments if s.uniqueid == facts.linkedid]
    return own or list(facts.segments)


def _agent(segments: list[CdrRecord]) -> str | None:
    for seg in segments:
        match = AGENT_CHANNEL.match(seg.destination_channel)
        if match and seg.disposition == "ANSWERED" and seg.billsec > 0:
            return match.group(1)
    for seg in segments:
        match = AGENT_CHANNEL.match(seg.destination_channel)
        if match and seg.disposition == "ANSWERED":
            return match.group(1)
    return None


def from_segments(linkedid: str, segments: list[CdrRecord]) -> CallFacts:
    """Facts of a finished call known only from its CDR segments (the journal)."""
    starts = [s.start for s in segments if s.start]
    first = min(starts) if starts else datetime.fromtimestamp(0, tz=UTC)
    facts = CallFacts(linkedid=linkedid, first_seen=first, segments=list(segments), ended=True)
    leg = _caller_leg(facts)
    facts.hangup_cause = next((s.hangup_cause for s in reversed(leg) if s.hangup_cause), 0)
    facts.hangup_cause_text = CAUSE_TEXT.get(facts.hangup_cause, "")
    return facts


def _last_nonempty(values: list[str]) -> str | None:
    for value in reversed(values):
        if value:
            return value
    return None


def assemble(facts: CallFacts, now: datetime) -> CallRecord:
    """One record per call. Times, duration and billsec are Asterisk's own CDR figures for the
    caller's leg (summed over its segments); without any segment (Asterisk died mid-call) the
    tracker's first sight and ``now`` stand in, and billsec is 0."""
    leg = sorted(_caller_leg(facts), key=lambda s: s.start or facts.first_seen)
    starts = [s.start for s in leg if s.start]
    answers = [s.answer for s in leg if s.answer]
    ends = [s.end for s in facts.segments if s.end]
    start = min(starts) if starts else facts.first_seen
    end = max(ends) if ends else now
    duration = sum(s.duration for s in leg) if leg else int((end - start).total_seconds())
    direction, caller, did = _numbers(facts, leg)
    language = _last_nonempty([s.ivr_language for s in facts.segments])
    return CallRecord(
        linkedid=facts.linkedid,
        direction=direction.value,
        caller_number=caller,
        did=did,
        start_time=start,
        answer_time=min(answers) if answers else None,
        end_time=max(end, start + timedelta(seconds=0)),
        duration=duration,
        billsec=sum(s.billsec for s in leg),
        disposition="ANSWERED" if answers else (leg[-1].disposition if leg else "FAILED"),
        hangup_cause=facts.hangup_cause,
        hangup_cause_text=facts.hangup_cause_text,
        language=language if language in ("zh", "en") else None,
        ivr_path=_last_nonempty([s.ivr_path for s in leg]) or "",
        agent_extension=_agent(facts.segments),
        **_routing(leg, _agent(facts.segments)),
    )


def _numbers(facts: CallFacts, leg: list[CdrRecord]) -> tuple[Direction, str, str]:
    """The direction, the caller's number and the number called. Inbound: the caller's leg's
    source and the DID dialled. Outbound (a callback or a dunning call): the customer's number
    for both, from ``ivr_did``; without it a callback still has the customer's number as its
    caller ID, a dunning call none it could name (its caller ID is the hotline's)."""
    did = _last_nonempty([s.ivr_did for s in facts.segments]) or ""
    caller = (leg[0].source if leg else "") or facts.caller_number
    if facts.linkedid.startswith(DUNNING_PREFIX):
        return Direction.OUTBOUND, did, did
    if facts.linkedid.endswith(CALLBACK_SUFFIX):
        return Direction.OUTBOUND, did or caller, did
    return Direction.INBOUND, caller, did or facts.exten


def _routing(leg: list[CdrRecord], agent: str | None) -> dict[str, Any]:
    """What the ACD set on the caller's channel: the last delivery's figures win (a call that
    rang an agent who did not answer is delivered again)."""
    queue = _last_nonempty([s.acd_queue for s in leg])
    wait = _last_nonempty([s.acd_wait for s in leg])
    path = _last_nonempty([s.ivr_path for s in leg]) or ""
    return {
        "queue": queue,
        "wait_seconds": int(wait) if wait and wait.isdigit() else None,
        "vip": _last_nonempty([s.acd_vip for s in leg]) == "1",
        "escalation_step": _last_nonempty([s.acd_step for s in leg]),
        "blacklisted": _last_nonempty([s.acd_blacklisted for s in leg]) == "1",
        "abandoned": queue is not None and agent is None and not path.endswith("callback"),
    }
