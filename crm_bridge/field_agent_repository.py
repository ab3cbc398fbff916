"""Field agents as the IVR sees them: badge look-ups, their log, and fraud reports."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crm_bridge.models import FieldAgent, FieldAgentLookup, FraudReport
from crm_bridge.sqltypes import utc_now
from crm_bridge.vocab import LookupOutcome, member_of

# A look-up succeeded only when it found an active agent with a valid licence; every other
# outcome counts as failed, ``locked`` included, so a caller who keeps trying while locked
# stays locked until a whole window passes without attempts.
SUCCESSFUL_OUTCOME = LookupOutcome.FOUND_ACTIVE
BADGE_COLUMN_LENGTH = 32
NOTE_COLUMN_LENGTH = 500
_BADGE_NOISE = re.compile(r"[\s-]")


@dataclass(frozen=True, slots=True)
class FieldAgentProfile:
    badge_number: str
    name: str
    branch: str
    status: str
    licence_expiry: date


def normalise_badge(badge: str) -> str:
    """``"fa-100 234"`` → ``"FA100234"``: upper case, without spaces and dashes."""
    return _BADGE_NOISE.sub("", badge).upper()


def _normalised_badge_column() -> ColumnElement[str]:
    stored = func.upper(FieldAgent.badge_number)
    return func.replace(func.replace(stored, "-", ""), " ", "")


class FieldAgentRepository:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        now: Callable[[], datetime] = utc_now,
    ) -> None:
        self._sessions = sessions
        self.now = now

    async def by_badge(self, badge: str) -> FieldAgentProfile | None:
        """The agent whose badge matches, ignoring case, spaces and dashes on both sides."""
        wanted = normalise_badge(badge)
        if not wanted:
            return None
        query = select(FieldAgent).where(_normalised_badge_column() == wanted).limit(1)
        async with self._sessions() as session:
            row = await session.scalar(query)
        if row is None:
            return None
        return FieldAgentProfile(
            row.badge_number, row.name, row.branch, row.status, row.licence_expiry
        )

    async def log_lookup(self, caller_number: str, badge: str, outcome: str, linkedid: str) -> None:
        """Record one look-up; ``badge`` as keyed (cut to the column's length)."""
        row = FieldAgentLookup(
            caller_number=caller_number,
            badge_number=badge[:BADGE_COLUMN_LENGTH],
            outcome=member_of(LookupOutcome, outcome).value,
            linkedid=linkedid,
            created_at=self.now(),
        )
        async with self._sessions.begin() as session:
            session.add(row)

    async def failed_lookups_since(self, caller_number: str, since: datetime) -> int:
        """Look-ups from ``caller_number`` at or after ``since`` that did not find an active
        agent with a valid licence (``locked`` ones included, see ``SUCCESSFUL_OUTCOME``)."""
        query = select(func.count()).where(
            FieldAgentLookup.caller_number == caller_number,
            FieldAgentLookup.created_at >= since,
            FieldAgentLookup.outcome != SUCCESSFUL_OUTCOME.value,
        )
        async with self._sessions() as session:
            return int(await session.scalar(query) or 0)

    async def report_fraud(
        self, caller_number: str, badge: str, linkedid: str, note: str | None
    ) -> int:
        """Open a fraud report against ``badge`` (as keyed); its id is read to the caller."""
        report = FraudReport(
            caller_number=caller_number,
            badge_number=badge[:BADGE_COLUMN_LENGTH],
            linkedid=linkedid,
            note=None if note is None else note[:NOTE_COLUMN_LENGTH],
            created_at=self.now(),
        )
        async with self._sessions.begin() as session:
            session.add(report)
            await session.flush()
            return report.id
