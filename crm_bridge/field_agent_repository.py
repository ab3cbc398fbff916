"""Field agents as the IVR sees them: badge look-ups, their log, and fraud reports."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crm_bridge.models import FieldAgent, FieldAgentLookup, FraudReport

# Look-up outcomes that did not find an active agent with a valid licence count as failed.
GENUINE_OUTCOME = "found_active"


@dataclass(frozen=True, slots=True)
class FieldAgentProfile:
    badge_number: str
    name: str
    branch: str
    status: str
    licence_expiry: date


def normalise_badge(badge: str) -> str:
    return re.sub(r"[\s-]", "", badge).upper()


class FieldAgentRepository:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def by_badge(self, badge: str) -> FieldAgentProfile | None:
        wanted = normalise_badge(badge)
        if not wanted:
            return None
        async with self._sessions() as session:
            row = await session.scalar(
                select(FieldAgent).where(func.upper(FieldAgent.badge_number) == wanted)
            )
        if row is None:
            return None
        return FieldAgentProfile(
            row.badge_number, row.name, row.branch, row.status, row.licence_expiry
        )

    async def log_lookup(self, caller_number: str, badge: str, outcome: str, linkedid: str) -> None:
        async with self._sessions.begin() as session:
            session.add(
                FieldAgentLookup(
                    caller_number=caller_number,
                    badge_number=badge[:32],
                    outcome=outcome,
                    linkedid=linkedid,
                )
            )

    async def failed_lookups_since(self, caller_number: str, since: datetime) -> int:
        query = select(func.count()).where(
            FieldAgentLookup.caller_number == caller_number,
            FieldAgentLookup.created_at >= since,
            FieldAgentLookup.outcome != GENUINE_OUTCOME,
        )
        async with self._sessions() as session:
            return int(await session.scalar(query) or 0)

    async def report_fraud(
        self, caller_number: str, badge: str, linkedid: str, note: str | None
    ) -> int:
        report = FraudReport(
            caller_number=caller_number, badge_number=badge[:32], linkedid=linkedid, note=note
        )
        async with self._sessions.begin() as session:
            session.add(report)
            await session.flush()
            return report.id
