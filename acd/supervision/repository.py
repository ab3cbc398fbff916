"""The audit trail of supervision: who listened to, whispered to or barged into which agent's
call, when the supervisor's phone answered, every switch of mode (by the API or the keypad) and
how it ended.

Every write is one transaction, and the ones several controllers may race on are conditional:
``answered`` and ``end`` only stamp a time not yet stamped, and ``change_mode`` records a switch
only when the mode really changes, on a session not ended — so the same Asterisk event applied
twice, or by two controllers, leaves one row.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crm_bridge.errors import (
    InvalidSpySessionError,
    SpySessionEndedError,
    SpySessionNotFoundError,
)
from crm_bridge.models import SpyModeChange, SpySession
from crm_bridge.sqltypes import utc_now
from crm_bridge.vocab import SpyChangeSource, SpyEndReason, SpyMode, SpyOrigin

MAX_LIMIT: Final = 1000
_LENGTHS: Final = {
    "supervisor_extension": 16,
    "agent_extension": 16,
    "call_linkedid": 64,
    "requested_by": 100,
}
_MODES: Final = frozenset(mode.value for mode in SpyMode)
_ORIGINS: Final = frozenset(origin.value for origin in SpyOrigin)
_SOURCES: Final = frozenset(source.value for source in SpyChangeSource)
_REASONS: Final = frozenset(reason.value for reason in SpyEndReason)


@dataclass(frozen=True, slots=True)
class NewSpySession:
    supervisor_extension: str
    agent_extension: str
    call_linkedid: str
    mode: str
    origin: str
    requested_by: str  # the principal that asked: "api-token", a console user's extension...
    started_at: datetime
    customer_number: str | None = None
    supervisor_channel: str | None = None  # the supervisor leg's uniqueid, once known


@dataclass(frozen=True, slots=True)
class ModeChange:
    mode: str
    at: datetime
    by: str

    def to_dict(self) -> dict[str, Any]:
        return {"mode": self.mode, "at": _iso(self.at), "by": self.by}


@dataclass(frozen=True, slots=True)
class StoredSpySession:
    id: int
    supervisor_extension: str
    agent_extension: str
    call_linkedid: str
    customer_number: str | None
    start_mode: str
    mode: str
    origin: str
    requested_by: str
    supervisor_channel: str | None
    started_at: datetime
    answered_at: datetime | None
    ended_at: datetime | None
    end_reason: str | None
    changes: tuple[ModeChange, ...] = ()

    @property
    def live(self) -> bool:
        return self.ended_at is None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready; times as ISO 8601 in UTC. ``mode`` is the current mode."""
        return {
            "spy_id": self.id,
            "call_id": self.call_linkedid,
            "agent": self.agent_extension,
            "supervisor": self.supervisor_extension,
            "mode": self.mode,
            "started_at": _iso(self.started_at),
            "start_mode": self.start_mode,
            "customer_number": self.customer_number,
            "origin": self.origin,
            "requested_by": self.requested_by,
            "answered_at": _iso_or_none(self.answered_at),
            "ended_at": _iso_or_none(self.ended_at),
            "end_reason": self.end_reason,
            # the supervisor leg's own record (kind "supervision", never a customer call)
            "leg_call_id": self.supervisor_channel,
            "changes": [change.to_dict() for change in self.changes],
        }


def check_session(new: NewSpySession) -> None:
    """:class:`InvalidSpySessionError` unless ``new`` fits the table's rules."""
    wrong = [name for name, limit in _LENGTHS.items() if not _text(getattr(new, name), limit)]
    if new.mode not in _MODES:
        wrong.append("mode")
    if new.origin not in _ORIGINS:
        wrong.append("origin")
    if new.customer_number is not None and not _text(new.customer_number, 64):
        wrong.append("customer_number")
    if new.supervisor_channel is not None and not _text(new.supervisor_channel, 150):
        wrong.append("supervisor_channel")
    if not _aware(new.started_at):
        wrong.append("started_at (timezone-aware)")
    if wrong:
        raise InvalidSpySessionError(f"spy session on call {new.call_linkedid!r}: bad {wrong}")


def _text(value: object, limit: int) -> bool:
    return isinstance(value, str) and 0 < len(value) <= limit


def _aware(value: object) -> bool:
    return isinstance(value, datetime) and value.utcoffset() is not None


class SpyRepository:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        now: Callable[[], datetime] = utc_now,
    ) -> None:
        self._sessions = sessions
        self.now = now

    async def create(self, new: NewSpySession) -> StoredSpySession:
        check_session(new)
        async with self._sessions.begin() as session:
            row = SpySession(
                supervisor_extension=new.supervisor_extension,
                agent_extension=new.agent_extension,
                call_linkedid=new.call_linkedid,
                customer_number=new.customer_number,
                start_mode=new.mode,
                mode=new.mode,
                origin=new.origin,
                requested_by=new.requested_by,
                supervisor_channel=new.supervisor_channel,
                started_at=new.started_at,
                changes=[],
            )
            session.add(row)
            await session.flush()
            return _stored(row)

    async def get(self, spy_id: int) -> StoredSpySession | None:
        async with self._sessions() as session:
            row = await session.get(SpySession, spy_id)
            return None if row is None else _stored(row)

    async def set_channel(self, spy_id: int, channel: str) -> None:
        """The supervisor leg's uniqueid, once Asterisk has it."""
        if not _text(channel, 150):
            raise InvalidSpySessionError(f"spy session {spy_id}: bad supervisor_channel")
        async with self._sessions.begin() as session:
            await session.execute(
                update(SpySession).where(SpySession.id == spy_id).values(supervisor_channel=channel)
            )

    async def answered(self, spy_id: int, at: datetime | None = None) -> bool:
        """Stamp when the supervisor answered; False if already stamped or ended."""
        query = (
            update(SpySession)
            .where(SpySession.id == spy_id)
            .where(SpySession.answered_at.is_(None), SpySession.ended_at.is_(None))
            .values(answered_at=self._at(at))
        )
        return await self._changed(query)

    async def end(self, spy_id: int, reason: str, at: datetime | None = None) -> bool:
        """End the session with ``reason``; False if it had ended already (the first end
        wins: an API hang-up followed by Asterisk's Hangup event keeps ``ended-by-api``)."""
        if reason not in _REASONS:
            raise InvalidSpySessionError(f"spy session {spy_id}: bad end reason {reason!r}")
        query = (
            update(SpySession)
            .where(SpySession.id == spy_id, SpySession.ended_at.is_(None))
            .values(ended_at=self._at(at), end_reason=reason)
        )
        return await self._changed(query)

    async def change_mode(
        self, spy_id: int, mode: str, by: str, at: datetime | None = None
    ) -> StoredSpySession:
        """Switch to ``mode`` and record it; the same mode again records nothing.
        :class:`SpySessionNotFoundError` / :class:`SpySessionEndedError` otherwise."""
        if mode not in _MODES or by not in _SOURCES:
            raise InvalidSpySessionError(f"spy session {spy_id}: bad mode {mode!r} by {by!r}")
        when = self._at(at)
        async with self._sessions.begin() as session:
            row = await session.get(SpySession, spy_id, with_for_update=True)
            if row is None:
                raise SpySessionNotFoundError(f"no spy session {spy_id}")
            if row.ended_at is not None:
                raise SpySessionEndedError(f"spy session {spy_id} ended ({row.end_reason})")
            if row.mode != mode:
                row.mode = mode
                row.changes.append(SpyModeChange(mode=mode, at=when, changed_by=by))
                await session.flush()
            return _stored(row)

    async def open_sessions(self) -> builtins.list[StoredSpySession]:
        """Sessions not ended yet, oldest first."""
        query = select(SpySession).where(SpySession.ended_at.is_(None)).order_by(SpySession.id)
        async with self._sessions() as session:
            return [_stored(row) for row in await session.scalars(query)]

    async def list(
        self,
        since: datetime | None = None,
        limit: int = 100,
        supervisor: str | None = None,
    ) -> builtins.list[StoredSpySession]:
        """Newest first; ``since`` is on ``started_at``."""
        query = select(SpySession)
        if since is not None:
            query = query.where(SpySession.started_at >= since)
        if supervisor is not None:
            query = query.where(SpySession.supervisor_extension == supervisor)
        query = query.order_by(SpySession.started_at.desc(), SpySession.id.desc())
        query = query.limit(max(0, min(limit, MAX_LIMIT)))
        async with self._sessions() as session:
            return [_stored(row) for row in await session.scalars(query)]

    def _at(self, at: datetime | None) -> datetime:
        when = self.now() if at is None else at
        if not _aware(when):
            raise InvalidSpySessionError("spy times must be timezone-aware")
        return when

    async def _changed(self, query: Any) -> bool:
        async with self._sessions.begin() as session:
            result = await session.execute(query)
            return bool(getattr(result, "rowcount", 0))


def _stored(row: SpySession) -> StoredSpySession:
    return StoredSpySession(
        id=row.id,
        supervisor_extension=row.supervisor_extension,
        agent_extension=row.agent_extension,
        call_linkedid=row.call_linkedid,
        customer_number=row.customer_number,
        start_mode=row.start_mode,
        mode=row.mode,
        origin=row.origin,
        requested_by=row.requested_by,
        supervisor_channel=row.supervisor_channel,
        started_at=row.started_at,
        answered_at=row.answered_at,
        ended_at=row.ended_at,
        end_reason=row.end_reason,
        changes=tuple(ModeChange(c.mode, c.at, c.changed_by) for c in row.changes),
    )


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat()


def _iso_or_none(value: datetime | None) -> str | None:
    return None if value is None else _iso(value)
