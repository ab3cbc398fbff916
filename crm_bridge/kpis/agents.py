"""Agent KPIs per agent and calendar day, from the CDRs (``calls``), the agent state log and
the complaints. A day is a calendar day in the contact centre's time zone (``ivr.time_zone``).

Definitions (per agent, for customer calls by ``start_time`` within the day; a supervisor's
spy leg or a staff phone's own call is no customer call, ``crm_bridge.vocab.CallKind``):

- calls handled: inbound CDRs with the agent's extension. A CDR names an agent only when the
  agent's leg answered (``crm_bridge.calls.assembly``), so these are the calls the agent took.
- outbound calls: outbound CDRs with the agent's extension (the callbacks the agent made, path
  ``callback``, and the progressive dunning calls they took, path ``dunning:agent``), answered
  by the customer or not.
- talk seconds: the agent's own talk time on the calls handled (``calls.talk_seconds``: from
  the agent's answer to the end of the agent's leg, as the dial events and the agent channel's
  hang-up tell it), never the caller's IVR, queue or ringing time before it.
- complaint rate: the calls handled that a complaint was filed on, over the calls handled (4
  decimals; null without calls handled). A complaint is tied to its call by the call's
  linkedid (``complaints.linkedid``): the IVR files it, then the caller reaches an agent with
  the ``complaints`` skill, so the rate says how much complaint traffic an agent carried.
- online seconds: time in any state but logged-out, from the agent state log; wrap-up seconds:
  time in wrap-up. States are clipped to the day: a state entered before midnight counts from
  midnight, one still open counts until ``now`` (or the day's end). The state at midnight is
  the last one entered within ``LOOKBACK`` before it; without one, what the day's first
  transition left; without any, logged-out.
- missed offers: ring-no-answer, i.e. transitions reserved -> paused with reason
  ``no-answer`` within the day (``acd.core.agent_states``).

Counts and sums are SQL aggregates; the state log is read (the day's rows and the last row
before it) and turned into spans by the pure helpers in ``crm_bridge.kpis.figures``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any, Final

from sqlalchemy import and_, case, exists, func, select, true
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crm_bridge.kpis.figures import (
    AgentKpis,
    CallFigures,
    DayKpis,
    StateChange,
    day_window,
    time_figures,
)
from crm_bridge.models import Agent, AgentStateLog, Call, Complaint
from crm_bridge.vocab import CallKind, Direction, Role

LOOKBACK: Final = timedelta(days=31)
LISTED_ROLES: Final = (Role.AGENT.value, Role.SUPERVISOR.value)


@dataclass(frozen=True, slots=True)
class _Window:
    start: datetime
    end: datetime
    now: datetime
    extension: str | None


def _utc_now() -> datetime:
    return datetime.now(UTC)


class KpiRepository:
    """``zone`` is the contact centre's; ``now`` the clock (aware)."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        zone: tzinfo,
        now: Callable[[], datetime] = _utc_now,
    ) -> None:
        self._sessions = sessions
        self._zone = zone
        self._now = now

    def today(self) -> date:
        return self._now().astimezone(self._zone).date()

    async def agents_day(self, day: date | None = None, extension: str | None = None) -> DayKpis:
        """Every agent's figures for ``day`` (today when None), by extension: the CRM's agents
        and supervisors, and any other extension (an admin, an agent deleted since) with calls
        that day or state log rows that day or within ``LOOKBACK`` before it."""
        day = self.today() if day is None else day
        start, end = day_window(day, self._zone)
        window = _Window(start, end, self._now(), extension)
        async with self._sessions() as session:
            people = await _people(session, extension)
            calls = await _call_figures(session, window)
            before = await _states_before(session, window)
            changes = await _changes(session, window)
        extensions = sorted(people.listed | set(calls) | set(before) | set(changes))
        upper = min(end, window.now)
        rows = []
        for ext in extensions:
            name, team = people.names.get(ext, ("", None))
            online, wrapup, missed = time_figures(
                before.get(ext), changes.get(ext, []), start, upper
            )
            figures = calls.get(ext, CallFigures())
            rows.append(AgentKpis(ext, name, team, figures, online, wrapup, missed))
        return DayKpis(day, tuple(rows))


def _only(column: Any, extension: str | None) -> Any:
    return true() if extension is None else column == extension


@dataclass(frozen=True, slots=True)
class _People:
    names: dict[str, tuple[str, str]]  # extension -> (name, team), every role
    listed: set[str]  # agents and supervisors: listed even without figures


async def _people(session: AsyncSession, extension: str | None) -> _People:
    query = select(Agent.extension, Agent.name, Agent.team, Agent.role).where(
        _only(Agent.extension, extension)
    )
    rows = (await session.execute(query)).all()
    return _People(
        {ext: (name, team) for ext, name, team, _ in rows},
        {ext for ext, _, _, role in rows if role in LISTED_ROLES},
    )


async def _call_figures(session: AsyncSession, window: _Window) -> dict[str, CallFigures]:
    inbound = Call.direction == Direction.INBOUND.value
    complained = exists().where(Complaint.linkedid == Call.linkedid)

    def total(condition: Any, value: Any = 1) -> Any:
        return func.coalesce(func.sum(case((condition, value), else_=0)), 0)

    query = (
        select(
            Call.agent_extension,
            total(inbound),
            total(Call.direction == Direction.OUTBOUND.value),
            total(inbound, Call.talk_seconds),
            total(and_(inbound, complained)),
        )
        .where(
            Call.agent_extension.is_not(None),
            Call.kind == CallKind.CUSTOMER.value,
            Call.start_time >= window.start,
            Call.start_time < window.end,
            _only(Call.agent_extension, window.extension),
        )
        .group_by(Call.agent_extension)
    )
    rows = (await session.execute(query)).all()
    return {
        ext: CallFigures(int(handled), int(outbound), int(talk), int(complaints))
        for ext, handled, outbound, talk, complaints in rows
    }


async def _states_before(session: AsyncSession, window: _Window) -> dict[str, str]:
    """Each agent's last state entered in ``LOOKBACK`` before the day (the newest row; on a
    tie of ``at``, the last written)."""
    log = AgentStateLog
    rank = func.row_number().over(
        partition_by=log.extension, order_by=(log.at.desc(), log.id.desc())
    )
    ranked = (
        select(log.extension, log.to_state, rank.label("rank"))
        .where(
            log.at < window.start,
            log.at >= window.start - LOOKBACK,
            _only(log.extension, window.extension),
        )
        .subquery()
    )
    query = select(ranked.c.extension, ranked.c.to_state).where(ranked.c.rank == 1)
    return {ext: state for ext, state in (await session.execute(query)).all()}


async def _changes(session: AsyncSession, window: _Window) -> dict[str, list[StateChange]]:
    """The day's transitions per agent, oldest first."""
    log = AgentStateLog
    query = (
        select(log.extension, log.at, log.from_state, log.to_state, log.reason)
        .where(
            log.at >= window.start,
            log.at < window.end,
            _only(log.extension, window.extension),
        )
        .order_by(log.extension, log.at, log.id)
    )
    changes: dict[str, list[StateChange]] = {}
    for ext, at, from_state, to_state, reason in (await session.execute(query)).all():
        changes.setdefault(ext, []).append(StateChange(at, from_state, to_state, reason))
    return changes
