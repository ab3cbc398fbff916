"""From AMI events to one call detail record per call (pure: no I/O, no clock of its own).

Asterisk keeps the accounting (cdr_manager sends each CDR segment with our IVR variables);
CEL's LINKEDID_END says the call is over. :class:`CallTracker` gathers what belongs to one
linkedid; :func:`assemble` turns it into a :class:`CallRecord`.

An Asterisk crash takes the call's CDR with it. So the tracker also keeps what the engine
learns as the call goes: every CDR variable a FastAGI route sets (:meth:`CallTracker.note`:
path, language, DID, queue, wait, VIP, step) and the agent's leg from the dial events (who
answered, when, when that leg ended; the AMI connection's loss stands in for an end Asterisk
never reported). A call without any CDR segment is assembled from those facts.

The agent's own leg comes from the dial events (the agent's answer, the agent channel's
hang-up): a CDR segment's answer is the caller's, so the segment that dialled the agent
counts the caller's IVR and queue time too.

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
from crm_bridge.vocab import CallKind, Direction
from wire.events import (
    AmiDisconnected,
    AmiEvent,
    CdrRecord,
    CelEvent,
    DialEnd,
    Hangup,
    Newchannel,
)
from wire.names import (
    CALLBACK_SUFFIX,
    CTX_AGENTS,
    CTX_SUPERVISORS,
    DUNNING_PREFIX,
    SPY_CHANNEL_PREFIX,
    SPY_PATH,
)

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
SPY_FEATURE = re.compile(r"^\*2[234]")  # a supervisor's listen / whisper / barge code
STAFF_CONTEXTS = frozenset({CTX_AGENTS, CTX_SUPERVISORS})


@dataclass
class CallFacts:
    linkedid: str
    first_seen: datetime
    caller_number: str = ""
    exten: str = ""
    context: str = ""  # where the call's first channel started (Newchannel)
    segments: list[CdrRecord] = field(default_factory=list)
    hangup_cause: int = 0
    hangup_cause_text: str = ""
    ended: bool = False
    notes: dict[str, str] = field(default_factory=dict)  # CDR variables, e.g. ivr_path
    agent_channel: str = ""  # the agent leg that answered last (dial events)
    agent_answer: datetime | None = None
    agent_end: datetime | None = None
    lost_at: datetime | None = None  # the AMI connection dropped while the call was live


@dataclass(frozen=True)
class AgentLeg:
    extension: str | None
    answer: datetime | None
    end: datetime | None
    talk_seconds: int


class CallTracker:
    """Everything known about the calls in progress, keyed by linkedid."""

    def __init__(self) -> None:
        self.calls: dict[str, CallFacts] = {}
        self.channels: dict[str, str] = {}  # uniqueid -> linkedid, of the calls tracked

    def note(self, uniqueid: str, name: str, value: str, now: datetime) -> str:
        """A CDR variable a route set on channel ``uniqueid``; returns the call's linkedid."""
        linkedid = self.channels.get(uniqueid, uniqueid)
        self._facts(linkedid, now).notes[name] = value
        return linkedid

    def apply(self, event: AmiEvent, now: datetime) -> str | None:
        """Apply one event; returns the linkedid of a call that just ended."""
        if isinstance(event, Newchannel) and event.linkedid:
            facts = self._facts(event.linkedid, now)
            self.channels[event.uniqueid] = event.linkedid
            if event.uniqueid == event.linkedid:
                facts.caller_number, facts.exten = event.caller_number, event.exten
                facts.context = event.context
        elif isinstance(event, CdrRecord) and event.linkedid:
            self._facts(event.linkedid, now).segments.append(event)
        elif isinstance(event, Hangup) and event.linkedid:
            self._hangup(self._facts(event.linkedid, now), event, now)
        elif isinstance(event, DialEnd) and event.linkedid:
            self._dial_end(self._facts(event.linkedid, now), event, now)
        elif isinstance(event, AmiDisconnected):
            for facts in self.calls.values():
                facts.lost_at = facts.lost_at or now
        elif isinstance(event, CelEvent) and event.name == "LINKEDID_END" and event.linkedid:
            self._facts(event.linkedid, now).ended = True
            return event.linkedid
        return None

    @staticmethod
    def _hangup(facts: CallFacts, event: Hangup, now: datetime) -> None:
        if event.uniqueid == facts.linkedid:
            facts.hangup_cause, facts.hangup_cause_text = event.cause, event.cause_text
        if event.channel == facts.agent_channel and facts.agent_end is None:
            facts.agent_end = now

    @staticmethod
    def _dial_end(facts: CallFacts, event: DialEnd, now: datetime) -> None:
        if event.dial_status == "ANSWER" and AGENT_CHANNEL.match(event.dest_channel):
            facts.agent_channel, facts.agent_answer = event.dest_channel, now
            facts.agent_end = None

    def _facts(self, linkedid: str, now: datetime) -> CallFacts:
        facts = self.calls.get(linkedid)
        if facts is None:
            facts = self.calls[linkedid] = CallFacts(linkedid=linkedid, first_seen=now)
        return facts

    def orphans(self, live_linkedids: set[str]) -> list[str]:
        """Calls we track that Asterisk no longer has (it restarted, or we missed the end).
        The calls it still has survived a lost connection: they were never lost."""
        for linkedid in live_linkedids & self.calls.keys():
            self.calls[linkedid].lost_at = None
        return [lid for lid in self.calls if lid not in live_linkedids]

    def pop(self, linkedid: str) -> CallFacts | None:
        facts = self.calls.pop(linkedid, None)
        if facts is not None:
            for uniqueid in [u for u, lid in self.channels.items() if lid == linkedid]:
                del self.channels[uniqueid]
        return facts


def _caller_leg(facts: CallFacts) -> list[CdrRecord]:
    return _caller_leg_of(facts.linkedid, facts.segments)


def _caller_leg_of(linkedid: str, segments: list[CdrRecord]) -> list[CdrRecord]:
    own = [s for s in segments if s.uniqueid == linkedid]
    return own or list(segments)


def _agent(segments: list[CdrRecord]) -> str | None:
    for seg in segments:
        extension = _extension(seg.destination_channel)
        if extension and seg.disposition == "ANSWERED" and seg.billsec > 0:
            return extension
    for seg in segments:
        extension = _extension(seg.destination_channel)
        if extension and seg.disposition == "ANSWERED":
            return extension
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
    caller's leg (summed over its segments); without any segment (Asterisk died mid-call) they
    come from the facts the engine kept (:func:`from_notes`), or, with none, the tracker's
    first sight and ``now`` stand in and billsec is 0. The agent's answer, end and talk time
    are the agent's own leg (:func:`agent_leg`)."""
    segments = facts.segments or from_notes(facts, now)
    leg = sorted(
        _caller_leg_of(facts.linkedid, segments), key=lambda s: s.start or facts.first_seen
    )
    starts = [s.start for s in leg if s.start]
    answers = [s.answer for s in leg if s.answer]
    ends = [s.end for s in segments if s.end]
    start = min(starts) if starts else facts.first_seen
    end = max(ends) if ends else now
    duration = sum(s.duration for s in leg) if leg else int((end - start).total_seconds())
    direction, caller, did = _numbers(facts, leg, segments)
    language = _last_nonempty([s.ivr_language for s in segments])
    agent = agent_leg(facts, segments, now)
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
        agent_extension=agent.extension,
        agent_answer_time=agent.answer,
        agent_end_time=agent.end,
        talk_seconds=agent.talk_seconds,
        kind=call_kind(facts, leg, segments).value,
        **_routing(leg, agent.extension),
    )


def call_kind(facts: CallFacts, leg: list[CdrRecord], segments: list[CdrRecord]) -> CallKind:
    """A supervisor's spy leg (an originated ``spy-`` leg, a ``*22``/``*23``/``*24`` feature
    code, or the path ``spy`` the ``supervise`` context sets); a call the engine placed to a
    customer; a staff phone's own call (it started in the agents' or supervisors' context, or,
    known only from the journal, on an agent's or supervisor's channel); else a customer's."""
    if (
        facts.linkedid.startswith(SPY_CHANNEL_PREFIX)
        or SPY_FEATURE.match(facts.exten)
        or any(s.ivr_path == SPY_PATH for s in segments)
    ):
        return CallKind.SUPERVISION
    if facts.linkedid.startswith(DUNNING_PREFIX) or facts.linkedid.endswith(CALLBACK_SUFFIX):
        return CallKind.CUSTOMER
    staff_phone = bool(leg) and _extension(leg[0].channel) is not None
    if facts.context in STAFF_CONTEXTS or (not facts.context and staff_phone):
        return CallKind.INTERNAL
    return CallKind.CUSTOMER


def from_notes(facts: CallFacts, now: datetime) -> list[CdrRecord]:
    """The caller's leg as one segment rebuilt from the facts the engine kept, for a call whose
    CDR Asterisk never sent (it crashed): none when nothing was kept. The call ends when the
    AMI connection was lost (or ``now``); it counts as answered from its first sight when the
    IVR or an agent took it (the IVR answers on arrival)."""
    if not facts.notes and facts.agent_answer is None:
        return []
    notes = facts.notes
    end = max(facts.lost_at or now, facts.first_seen)
    answered = bool(notes.get("ivr_path")) or facts.agent_answer is not None
    return [
        CdrRecord(
            linkedid=facts.linkedid,
            uniqueid=facts.linkedid,
            source=facts.caller_number,
            destination=facts.exten,
            destination_context="",
            channel="",
            destination_channel=facts.agent_channel,
            start=facts.first_seen,
            answer=facts.first_seen if answered else None,
            end=end,
            duration=_seconds(facts.first_seen, end),
            billsec=_seconds(facts.first_seen, end) if answered else 0,
            disposition="ANSWERED" if answered else "NO ANSWER",
            hangup_cause=facts.hangup_cause,
            ivr_language=notes.get("ivr_language", ""),
            ivr_path=notes.get("ivr_path", ""),
            ivr_did=notes.get("ivr_did", ""),
            acd_queue=notes.get("acd_queue", ""),
            acd_wait=notes.get("acd_wait", ""),
            acd_vip=notes.get("acd_vip", ""),
            acd_step=notes.get("acd_step", ""),
            acd_blacklisted=notes.get("acd_blacklisted", ""),
        )
    ]


def agent_leg(facts: CallFacts, segments: list[CdrRecord], now: datetime) -> AgentLeg:
    """Who answered and the agent's own leg. Its times come from the dial events: the answer
    is the agent's (DialEnd ANSWER), the end the agent channel's hang-up, else the end of the
    segment that dialled the agent, the lost connection, or ``now``. (A CDR segment's answer
    is the caller's: Asterisk keeps party A's answer on the segment of a dial.) Known only
    from the journal, the call's agent segment gives its billsec as talk time, an upper
    bound, and no agent times."""
    extension = _agent(segments)
    own = [s for s in segments if extension and _extension(s.destination_channel) == extension]
    if facts.agent_answer is None:
        return AgentLeg(extension, None, None, sum(s.billsec for s in own) if own else 0)
    ends = [s.end for s in own if s.end]
    leg_end = facts.agent_end or (max(ends) if ends else None) or facts.lost_at or now
    end = max(leg_end, facts.agent_answer)
    return AgentLeg(
        _extension(facts.agent_channel) or extension,
        facts.agent_answer,
        end,
        _seconds(facts.agent_answer, end),
    )


def _seconds(start: datetime, end: datetime) -> int:
    return max(0, round((end - start).total_seconds()))


def _extension(channel: str) -> str | None:
    match = AGENT_CHANNEL.match(channel)
    return match.group(1) if match else None


def _numbers(
    facts: CallFacts, leg: list[CdrRecord], segments: list[CdrRecord]
) -> tuple[Direction, str, str]:
    """The direction, the caller's number and the number called. Inbound: the caller's leg's
    source and the DID dialled. Outbound (a callback or a dunning call): the customer's number
    for both, from ``ivr_did``; without it a callback still has the customer's number as its
    caller ID, a dunning call none it could name (its caller ID is the hotline's)."""
    did = _last_nonempty([s.ivr_did for s in segments]) or ""
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
