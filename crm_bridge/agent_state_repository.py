"""The agent state log (every transition the ACD makes) and each agent's last known presence.

The ACD keeps live state in Redis; this is what survives Redis: a controller that starts on an
empty Redis reads :meth:`AgentStateLogRepository.presence` to put paused agents back in pause,
with their reason. States and reasons are the ACD's words (``acd.core.model``), stored as text.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crm_bridge.errors import InvalidStateRecordError
from crm_bridge.models import AgentPresence, AgentStateLog

MAX_HISTORY = 10_000
REASON_LENGTH = 32
LINKEDID_LENGTH = 64
_REQUIRED = {"extension": 16, "from_state": 16, "to_state": 16}


@dataclass(frozen=True, slots=True)
class AgentTransition:
    """``call=<linkedid> agent=8001 ready -> reserved`` as data; ``at`` is timezone-aware."""

    extension: str
    from_state: str
    to_state: str
    at: datetime
    reason: str = ""
    call_linkedid: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "extension": self.extension,
            "from_state": self.from_state,
            "to_state": self.to_state,
            "reason": self.reason,
            "call_linkedid": self.call_linkedid,
            "at": self.at.astimezone(UTC).isoformat(),
        }


@dataclass(frozen=True, slots=True)
class Presence:
    """An agent's last known state and since when (UTC)."""

    extension: str
    state: str
    reason: str
    since: datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "extension": self.extension,
            "state": self.state,
            "reason": self.reason,
            "since": self.since.astimezone(UTC).isoformat(),
        }


def check_transition(item: AgentTransition) -> None:
    """:class:`InvalidStateRecordError` unless every field fits its column."""
    wrong = [name for name, limit in _REQUIRED.items() if not _text(getattr(item, name), limit)]
    if not _text(item.reason, REASON_LENGTH, required=False):
        wrong.append("reason")
    if item.call_linkedid is not None and not _text(item.call_linkedid, LINKEDID_LENGTH):
        wrong.append("call_linkedid")
    if not isinstance(item.at, datetime) or item.at.utcoffset() is None:
        wrong.append("at (timezone-aware)")
    if wrong:
        raise InvalidStateRecordError(f"agent {item.extension!r} transition: bad {wrong}")


def _text(value: object, limit: int, *, required: bool = True) -> bool:
    return isinstance(value, str) and len(value) <= limit and (bool(value) or not required)


def latest_by_extension(transitions: Sequence[AgentTransition]) -> list[AgentTransition]:
    """Each agent's newest transition (by ``at``; on a tie the later one in the batch)."""
    latest: dict[str, AgentTransition] = {}
    for item in transitions:
        known = latest.get(item.extension)
        if known is None or item.at >= known.at:
            latest[item.extension] = item
    return [latest[extension] for extension in sorted(latest)]


class AgentStateLogRepository:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def record(self, transitions: Sequence[AgentTransition]) -> None:
        """Log every transition and move each agent's presence to their newest one, in one
        transaction. A presence newer than the transition (another controller's, or a batch
        replayed late) is kept."""
        for item in transitions:
            check_transition(item)
        if not transitions:
            return
        rows = [_log_values(item) for item in transitions]
        async with self._sessions.begin() as session:
            await session.execute(insert(AgentStateLog), rows)
            await _upsert_presence(session, latest_by_extension(transitions))

    async def presence(self) -> builtins.list[Presence]:
        """Every agent's last known state, by extension."""
        query = select(AgentPresence).order_by(AgentPresence.extension)
        async with self._sessions() as session:
            rows = (await session.scalars(query)).all()
        return [Presence(r.extension, r.state, r.reason, r.since) for r in rows]

    async def history(
        self,
        extension: str,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 1000,
    ) -> builtins.list[AgentTransition]:
        """One agent's transitions, oldest first; ``since`` inclusive, ``until`` exclusive."""
        query = select(AgentStateLog).where(AgentStateLog.extension == extension)
        if since is not None:
            query = query.where(AgentStateLog.at >= since)
        if until is not None:
            query = query.where(AgentStateLog.at < until)
        query = query.order_by(AgentStateLog.at, AgentStateLog.id)
        query = query.limit(max(0, min(limit, MAX_HISTORY)))
        async with self._sessions() as session:
            rows = (await session.scalars(query)).all()
        return [_transition(row) for row in rows]


def _log_values(item: AgentTransition) -> dict[str, Any]:
    return {
        "extension": item.extension,
        "from_state": item.from_state,
        "to_state": item.to_state,
        "reason": item.reason,
        "call_linkedid": item.call_linkedid,
        "at": item.at,
    }


def _transition(row: AgentStateLog) -> AgentTransition:
    return AgentTransition(
        extension=row.extension,
        from_state=row.from_state,
        to_state=row.to_state,
        at=row.at,
        reason=row.reason,
        call_linkedid=row.call_linkedid,
    )


async def _upsert_presence(session: AsyncSession, latest: Sequence[AgentTransition]) -> None:
    values = [
        {"extension": t.extension, "state": t.to_state, "reason": t.reason, "since": t.at}
        for t in latest
    ]
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        stmt: Any = postgresql.insert(AgentPresence)
    elif dialect == "sqlite":
        stmt = sqlite.insert(AgentPresence)
    else:
        await _upsert_portable(session, values)
        return
    stmt = stmt.values(values)
    excluded = stmt.excluded
    stmt = stmt.on_conflict_do_update(
        index_elements=[AgentPresence.extension],
        set_={"state": excluded.state, "reason": excluded.reason, "since": excluded.since},
        where=AgentPresence.since <= excluded.since,
    )
    await session.execute(stmt)


async def _upsert_portable(session: AsyncSession, values: Sequence[dict[str, Any]]) -> None:
    for item in values:
        row = await session.get(AgentPresence, item["extension"], with_for_update=True)
        if row is None:
            session.add(AgentPresence(**item))
        elif row.since <= item["since"]:
            row.state, row.reason, row.since = item["state"], item["reason"], item["since"]
    await session.flush()
