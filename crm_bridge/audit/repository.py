"""The audit log in the CRM's database: add an entry, list entries (newest first, filtered,
paged), purge what is older than the retention period (never less than six months)."""

from __future__ import annotations

import builtins
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import Select, delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crm_bridge.audit.entry import MIN_RETENTION_DAYS, AuditAction, AuditEntry
from crm_bridge.models import AuditRecord
from crm_bridge.sqltypes import utc_now

MAX_LIMIT: Final = 1000


@dataclass(frozen=True, slots=True)
class AuditQuery:
    since: datetime | None = None
    until: datetime | None = None
    actor: str | None = None
    action: str | None = None
    target: str | None = None
    limit: int = 100
    offset: int = 0


def _entry(row: AuditRecord) -> AuditEntry:
    return AuditEntry(
        at=row.at,
        actor=row.actor,
        actor_role=row.actor_role,
        client_address=row.client_address,
        action=AuditAction(row.action),
        target=row.target,
        changes=row.changes,
        id=row.id,
    )


def _filtered(query: AuditQuery) -> Select[AuditRecord]:
    statement = select(AuditRecord)
    if query.since is not None:
        statement = statement.where(AuditRecord.at >= query.since)
    if query.until is not None:
        statement = statement.where(AuditRecord.at < query.until)
    for column, value in (
        (AuditRecord.actor, query.actor),
        (AuditRecord.action, query.action),
        (AuditRecord.target, query.target),
    ):
        if value is not None:
            statement = statement.where(column == value)
    return statement


class AuditRepository:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        retention_days: int = 365,
        now: Callable[[], datetime] = utc_now,
    ) -> None:
        if retention_days < MIN_RETENTION_DAYS:
            raise ValueError(f"the audit log is kept at least {MIN_RETENTION_DAYS} days")
        self._sessions = sessions
        self.retention = timedelta(days=retention_days)
        self.now = now

    async def record(self, entry: AuditEntry) -> int:
        """Store ``entry``; its id. Over-long texts are cut to their column's length."""
        row = AuditRecord(
            at=entry.at,
            actor=entry.actor[:100],
            actor_role=entry.actor_role[:16],
            client_address=entry.client_address[:64],
            action=entry.action.value,
            target=entry.target[:100],
            changes=dict(entry.changes),
        )
        async with self._sessions.begin() as session:
            session.add(row)
            await session.flush()
            return row.id

    async def list(self, query: AuditQuery) -> builtins.list[AuditEntry]:
        limit = max(0, min(query.limit, MAX_LIMIT))
        statement = _filtered(query).order_by(AuditRecord.at.desc(), AuditRecord.id.desc())
        async with self._sessions() as session:
            rows = await session.scalars(statement.limit(limit).offset(max(0, query.offset)))
            return [_entry(row) for row in rows]

    async def purge_expired(self) -> int:
        """Delete the entries older than the retention period; how many."""
        cutoff = self.now() - self.retention
        async with self._sessions.begin() as session:
            result = await session.execute(delete(AuditRecord).where(AuditRecord.at < cutoff))
        return int(getattr(result, "rowcount", 0) or 0)
