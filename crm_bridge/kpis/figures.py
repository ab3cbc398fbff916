"""Agent KPIs per calendar day: the pure part. A day's bounds in the contact centre's zone, the
agent state log turned into time spans clipped to the day (and to ``now``), missed offers, and
the figures of one agent for one day. No I/O here; ``crm_bridge.kpis.agents`` reads the database.

An agent's state over a day is rebuilt from the state at the day's start and the transitions
during the day: each state lasts until the next transition, the last one until the day's end
or ``now``, whichever comes first. Time in any state but logged-out is online time; time in
wrap-up is wrap-up time. A state entered before midnight counts only from midnight on.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any, Final

LOGGED_OUT: Final = "logged-out"
RESERVED: Final = "reserved"
PAUSED: Final = "paused"
WRAP_UP: Final = "wrap-up"
NO_ANSWER: Final = "no-answer"

_DAY: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
FIRST_DAY: Final = date(1970, 1, 1)
LAST_DAY: Final = date(9999, 12, 30)  # the next midnight must still be a date


def parse_day(raw: str) -> date:
    """``YYYY-MM-DD`` as a date; ValueError for anything else (or a day out of range)."""
    if not _DAY.fullmatch(raw):
        raise ValueError(f"day must be YYYY-MM-DD, not {raw!r}")
    try:
        day = date.fromisoformat(raw)
    except ValueError as exc:
        raise ValueError(f"day must be a calendar date: {exc}") from exc
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError(f"day must be from {FIRST_DAY} to {LAST_DAY}")
    return day


def day_window(day: date, zone: tzinfo) -> tuple[datetime, datetime]:
    """The day's first instant and the next day's, as aware datetimes in ``zone``."""
    start = datetime.combine(day, time(0), zone)
    return start, datetime.combine(day + timedelta(days=1), time(0), zone)


def overlap_seconds(begin: datetime, end: datetime, lower: datetime, upper: datetime) -> float:
    """Seconds of ``[begin, end)`` inside ``[lower, upper)``; 0 when they do not meet."""
    return max(0.0, (min(end, upper) - max(begin, lower)).total_seconds())


@dataclass(frozen=True, slots=True)
class StateChange:
    """One row of the agent state log, as the KPIs need it."""

    at: datetime
    from_state: str
    to_state: str
    reason: str = ""


@dataclass(frozen=True, slots=True)
class StateSpan:
    state: str
    begin: datetime
    end: datetime

    @property
    def seconds(self) -> float:
        return max(0.0, (self.end - self.begin).total_seconds())


def state_at_start(before: str | None, changes: Sequence[StateChange]) -> str:
    """The state at the day's start: the last one entered before it; without one, what the
    day's first transition left; without any, logged-out."""
    if before is not None:
        return before
    return changes[0].from_state if changes else LOGGED_OUT


def state_spans(
    initial: str, changes: Iterable[StateChange], lower: datetime, upper: datetime
) -> list[StateSpan]:
    """The states from ``lower`` to ``upper``, starting in ``initial``; transitions outside
    the bounds are clipped away, spans of no length are dropped."""
    spans: list[StateSpan] = []
    state, since = initial, lower
    for change in sorted(changes, key=lambda c: c.at):
        if change.at > since:
            spans.append(StateSpan(state, since, change.at))
            since = change.at
        state = change.to_state
    spans.append(StateSpan(state, since, upper))
    clipped = (StateSpan(s.state, max(s.begin, lower), min(s.end, upper)) for s in spans)
    return [span for span in clipped if span.seconds > 0]


def online_seconds(spans: Iterable[StateSpan]) -> float:
    return sum(span.seconds for span in spans if span.state != LOGGED_OUT)


def wrapup_seconds(spans: Iterable[StateSpan]) -> float:
    return sum(span.seconds for span in spans if span.state == WRAP_UP)


def is_missed_offer(change: StateChange) -> bool:
    """Ring-no-answer: the ACD pauses the rung agent with the reason ``no-answer``. (An offer
    withdrawn, or whose lease ran out, or whose caller hung up while it rang, is not the
    agent's miss.)"""
    return (change.from_state, change.to_state, change.reason) == (RESERVED, PAUSED, NO_ANSWER)


def missed_offers(changes: Iterable[StateChange]) -> int:
    return sum(1 for change in changes if is_missed_offer(change))


def time_figures(
    before: str | None, changes: Sequence[StateChange], lower: datetime, upper: datetime
) -> tuple[int, int, int]:
    """(online seconds, wrap-up seconds, missed offers) of one agent in ``[lower, upper)``."""
    spans = state_spans(state_at_start(before, changes), changes, lower, upper)
    return round(online_seconds(spans)), round(wrapup_seconds(spans)), missed_offers(changes)


@dataclass(frozen=True, slots=True)
class CallFigures:
    """What one agent's CDRs of the day add up to (``crm_bridge.kpis.agents`` sums them in SQL)."""

    calls_handled: int = 0
    outbound_calls: int = 0
    talk_seconds: int = 0
    complained_calls: int = 0  # handled calls a complaint was filed on


@dataclass(frozen=True, slots=True)
class AgentKpis:
    """One agent's figures for one day. ``team`` decides who may see the row; it is not part
    of the report."""

    extension: str
    name: str
    team: str | None
    calls: CallFigures = field(default_factory=CallFigures)
    online_seconds: int = 0
    wrapup_seconds: int = 0
    missed_offers: int = 0

    @property
    def complaint_rate(self) -> float | None:
        """Complained calls per call handled, 4 decimals; None without calls handled."""
        if self.calls.calls_handled == 0:
            return None
        return round(self.calls.complained_calls / self.calls.calls_handled, 4)

    def to_dict(self) -> dict[str, Any]:
        return {
            "extension": self.extension,
            "name": self.name,
            "calls_handled": self.calls.calls_handled,
            "outbound_calls": self.calls.outbound_calls,
            "talk_seconds": self.calls.talk_seconds,
            "online_seconds": self.online_seconds,
            "wrapup_seconds": self.wrapup_seconds,
            "missed_offers": self.missed_offers,
            "complaint_rate": self.complaint_rate,
        }


REPORT_FIELDS: Final = tuple(AgentKpis("", "", None).to_dict())


@dataclass(frozen=True, slots=True)
class DayKpis:
    day: date
    agents: tuple[AgentKpis, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"day": self.day.isoformat(), "agents": [a.to_dict() for a in self.agents]}
