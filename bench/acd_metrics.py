"""Contact-centre figures of one run, from the AMI timeline (bench.ami_timeline), computed the
same way for both systems. Pure.

- offered: calls the dialplan handed to the ACD (the BenchEnqueue user event);
- wait: from that moment to the agent's answer (DialEnd ANSWER); ASA is its mean over the
  answered calls; service level: answered within SERVICE_LEVEL_SECONDS / offered;
- abandoned: offered and never answered (the caller's patience ran out);
- agent idle time: the run's span (first enqueue to last hang-up) minus, per agent, each
  ring-to-hang-up of their phone plus the wrap-up after an answered call; fairness is the
  coefficient of variation and the max/min of those idle times, and Jain's index of the calls
  each agent handled (1 = perfectly even);
- enqueue to INVITE: for calls that found an agent free and nobody waiting ahead of them,
  from the BenchEnqueue event to the first DialBegin towards an agent (the INVITE leaves
  then); also to the moment the agent's phone reported the incoming call."""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from acd.events import endpoint_of
from bench.ami_timeline import Stamp

SERVICE_LEVEL_SECONDS = 20.0
ENQUEUE_EVENT = "BenchEnqueue"


@dataclass
class Ring:
    at: float
    agent: str
    channel: str
    ended: float | None = None
    answered: bool = False


@dataclass
class CallTimeline:
    linkedid: str
    number: str
    enqueued: float
    rings: list[Ring] = field(default_factory=list)
    answered: float | None = None
    caller_gone: float | None = None

    @property
    def first_ring(self) -> float | None:
        return self.rings[0].at if self.rings else None


@dataclass(frozen=True)
class Figures:
    system: str
    offered: int
    answered: int
    waits: dict[str, float]  # caller's number -> seconds waited, of the answered calls
    idle: dict[str, float]  # agent -> seconds idle during the run
    handled: dict[str, int]  # agent -> calls answered
    invite_ms: list[float]  # enqueue -> DialBegin, calls that found an agent free
    seen_ms: list[float]  # enqueue -> the agent's phone saw the call, the same calls
    refill_ms: list[float]  # an agent free again -> their INVITE for a waiting call
    span: float

    @property
    def abandoned(self) -> int:
        return self.offered - self.answered

    @property
    def abandon_rate(self) -> float:
        return self.abandoned / max(self.offered, 1)

    @property
    def asa(self) -> float:
        return statistics.fmean(self.waits.values()) if self.waits else 0.0

    @property
    def service_level(self) -> float:
        within = sum(1 for wait in self.waits.values() if wait <= SERVICE_LEVEL_SECONDS)
        return within / max(self.offered, 1)

    @property
    def idle_cv(self) -> float:
        values = list(self.idle.values())
        mean = statistics.fmean(values) if values else 0.0
        return statistics.pstdev(values) / mean if mean > 0 else 0.0

    @property
    def idle_max_min(self) -> float:
        values = list(self.idle.values())
        return max(values) / min(values) if values and min(values) > 0 else float("inf")

    @property
    def jain_handled(self) -> float:
        counts = list(self.handled.values())
        squares = sum(c * c for c in counts)
        return sum(counts) ** 2 / (len(counts) * squares) if squares else 0.0


def timelines(stamps: Iterable[Stamp]) -> dict[str, CallTimeline]:
    """Per caller channel (linkedid), in Asterisk's time order."""
    ordered = sorted(stamps, key=lambda s: s.at)
    calls = {
        s.linkedid: CallTimeline(s.linkedid, s.caller, s.at)
        for s in ordered
        if s.event == "UserEvent" and s.name == ENQUEUE_EVENT
    }
    for stamp in ordered:
        call = calls.get(stamp.linkedid)
        if call is not None:
            _apply(call, stamp)
    return calls


def _apply(call: CallTimeline, stamp: Stamp) -> None:
    if stamp.event == "DialBegin" and (agent := endpoint_of(stamp.dest_channel)):
        call.rings.append(Ring(stamp.at, agent, stamp.dest_channel))
    elif stamp.event == "DialEnd" and stamp.dial_status == "ANSWER" and call.answered is None:
        call.answered = stamp.at
        for ring in call.rings:
            ring.answered = ring.answered or ring.channel == stamp.dest_channel
    elif stamp.event == "Hangup" and stamp.uniqueid == stamp.linkedid:
        call.caller_gone = stamp.at
    elif stamp.event == "Hangup":
        for ring in call.rings:
            if ring.channel == stamp.channel:
                ring.ended = stamp.at


def _rings_by_agent(calls: Iterable[CallTimeline]) -> dict[str, list[Ring]]:
    rings: dict[str, list[Ring]] = {}
    for call in calls:
        for ring in call.rings:
            rings.setdefault(ring.agent, []).append(ring)
    return rings


def _until(ring: Ring, wrapup: float, end: float) -> float:
    return (ring.ended if ring.ended is not None else end) + (wrapup if ring.answered else 0.0)


def _idle(
    agents: Sequence[str], rings: Mapping[str, list[Ring]], start: float, end: float, wrapup: float
) -> dict[str, float]:
    idle = {}
    for agent in agents:
        busy = sum(
            max(0.0, min(_until(r, wrapup, end), end) - max(r.at, start))
            for r in rings.get(agent, [])
        )
        idle[agent] = max(0.0, end - start - busy)
    return idle


def found_agent_free(
    call: CallTimeline,
    calls: Iterable[CallTimeline],
    rings: Mapping[str, list[Ring]],
    agents: Sequence[str],
    wrapup: float,
) -> bool:
    """An agent was free when the call was handed over, and no caller was waiting ahead."""
    t = call.enqueued
    for other in calls:
        if other is call or other.enqueued >= t:
            continue
        rung = other.first_ring
        if (rung is None or rung > t) and (other.caller_gone is None or other.caller_gone > t):
            return False  # waiting ahead
    return any(
        all(not (r.at <= t < _until(r, wrapup, t + 1e9)) for r in rings.get(agent, []))
        for agent in agents
    )


def free_on_arrival(
    calls: Sequence[CallTimeline], agents: Sequence[str], wrapup: float
) -> list[CallTimeline]:
    """The calls that rang an agent and found one free on arrival, nobody waiting ahead."""
    rings = _rings_by_agent(calls)
    return [
        call
        for call in calls
        if call.rings and found_agent_free(call, calls, rings, agents, wrapup)
    ]


def refill_ms(
    calls: Sequence[CallTimeline], wrapup: float, free: Sequence[CallTimeline]
) -> list[float]:
    """For each call that had to wait: from the moment the agent who then rang was free again
    (their previous call's hang-up, plus wrap-up after an answered one) to that ring."""
    rings = _rings_by_agent(calls)
    lags = []
    for call in calls:
        if not call.rings or call in free:
            continue
        first = call.rings[0]
        freed = [
            _until(r, wrapup, first.at)
            for r in rings.get(first.agent, [])
            if r.ended is not None and r.ended <= first.at
        ]
        if freed:
            lags.append((first.at - max(freed)) * 1000)
    return lags


def both_answered(ours: Figures, peer: Figures) -> tuple[float, float, int]:
    """Mean waits over the calls both systems answered: (ours, peer's, how many)."""
    common = ours.waits.keys() & peer.waits.keys()
    if not common:
        return 0.0, 0.0, 0
    mean = statistics.fmean
    return mean(ours.waits[n] for n in common), mean(peer.waits[n] for n in common), len(common)


def figures(
    system: str,
    stamps: Iterable[Stamp],
    agents: Sequence[str],
    wrapup: float,
    seen_by_agent: Mapping[str, float],
) -> Figures:
    calls = timelines(stamps)
    ordered = sorted(calls.values(), key=lambda c: c.enqueued)
    start = ordered[0].enqueued if ordered else 0.0
    end = max((c.caller_gone or c.enqueued for c in ordered), default=start)
    rings = _rings_by_agent(ordered)
    answered = [c for c in ordered if c.answered is not None]
    handled = {agent: 0 for agent in agents}
    for call in answered:
        agent = next(r.agent for r in call.rings if r.answered)
        handled[agent] = handled.get(agent, 0) + 1
    invite_ms, seen_ms = [], []
    free = free_on_arrival(ordered, agents, wrapup)
    for call in free:
        invite_ms.append((call.rings[0].at - call.enqueued) * 1000)
        if call.number in seen_by_agent:
            seen_ms.append((seen_by_agent[call.number] - call.enqueued) * 1000)
    return Figures(
        system=system,
        offered=len(ordered),
        answered=len(answered),
        waits={c.number: c.answered - c.enqueued for c in answered if c.answered is not None},
        idle=_idle(agents, rings, start, end, wrapup),
        handled=handled,
        invite_ms=invite_ms,
        seen_ms=seen_ms,
        refill_ms=refill_ms(ordered, wrapup, free),
        span=end - start,
    )


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest rank; 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered), max(1, math.ceil(share * len(ordered)))) - 1]
