"""Call detail records: idempotent writes keyed on Asterisk's linkedid, filtered reads."""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crm_bridge.calls.records import CallRecord
from crm_bridge.models import Call, CustomerPhone
from crm_bridge.phones import phone_candidates

MAX_LIMIT = 1000
_Q = TypeVar("_Q", bound=Select[Any])
_RECORD_FIELDS = tuple(CallRecord.__dataclass_fields__)


@dataclass(frozen=True, slots=True)
class StoredCall:
    """A CDR as stored: the record plus what the database added."""

    id: int
    record: CallRecord
    customer_id: int | None
    created_at: datetime

    def to_dict(self) -> dict[str, Any]:
        data = self.record.to_dict()
        data.update(
            id=self.id,
            customer_id=self.customer_id,
            created_at=self.created_at.astimezone(UTC).isoformat(),
        )
        return data


class CallRepository:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def save(self, record: CallRecord) -> bool:
        """Insert the CDR unless its linkedid is stored already; True if a row was inserted."""
        async with self._sessions.begin() as session:
            values = _record_values(record)
            values["customer_id"] = await customer_id_for(session, record.caller_number)
            return await _insert_if_new(session, values)

    async def get(self, linkedid: str) -> CallRecord | None:
        stored = await self.get_stored(linkedid)
        return None if stored is None else stored.record

    async def get_stored(self, linkedid: str) -> StoredCall | None:
        async with self._sessions() as session:
            row = await session.scalar(select(Call).where(Call.linkedid == linkedid))
            return None if row is None else _stored(row)

    async def list(
        self,
        since: datetime | None = None,
        until: datetime | None = None,
        caller: str | None = None,
        limit: int = 100,
        offset: int = 0,
        agent: str | None = None,
    ) -> builtins.list[CallRecord]:
        """Newest first; ``since`` inclusive, ``until`` exclusive, both on ``start_time``;
        ``agent``: only calls that agent (extension) answered."""
        stored = await self.list_stored(since, until, caller, limit, offset, agent)
        return [item.record for item in stored]

    async def list_stored(
        self,
        since: datetime | None = None,
        until: datetime | None = None,
        caller: str | None = None,
        limit: int = 100,
        offset: int = 0,
        agent: str | None = None,
    ) -> builtins.list[StoredCall]:
        """As :meth:`list`, with the row id, resolved customer and insertion time."""
        query = _filtered(select(Call), since, until, caller)
        if agent is not None:
            query = query.where(Call.agent_extension == agent)
        query = query.order_by(Call.start_time.desc(), Call.id.desc())
        query = query.limit(max(0, min(limit, MAX_LIMIT))).offset(max(0, offset))
        async with self._sessions() as session:
            rows = (await session.scalars(query)).all()
        return [_stored(row) for row in rows]


def _filtered(query: _Q, since: datetime | None, until: datetime | None, caller: str | None) -> _Q:
    if since is not None:
        query = query.where(Call.start_time >= since)
    if until is not None:
        query = query.where(Call.start_time < until)
    if caller is not None:
        query = query.where(Call.caller_number == caller)
    return query


def _record_values(record: CallRecord) -> dict[str, Any]:
    return {name: getattr(record, name) for name in _RECORD_FIELDS}


async def customer_id_for(session: AsyncSession, caller_number: str) -> int | None:
    candidates = phone_candidates(caller_number)
    if not candidates:
        return None
    query = select(CustomerPhone.customer_id).where(CustomerPhone.number.in_(candidates))
    return await session.scalar(query.limit(1))


async def _insert_if_new(session: AsyncSession, values: dict[str, Any]) -> bool:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        stmt: Any = postgresql.insert(Call)
    elif dialect == "sqlite":
        stmt = sqlite.insert(Call)
    else:
        return await _insert_portable(session, values)
    stmt = stmt.values(**values, created_at=datetime.now(UTC))
    stmt = stmt.on_conflict_do_nothing(index_elements=[Call.linkedid]).returning(Call.id)
    inserted = (await session.execute(stmt)).scalar_one_or_none()
    return inserted is not None


async def _insert_portable(session: AsyncSession, values: dict[str, Any]) -> bool:
    existing = await session.scalar(select(Call.id).where(Call.linkedid == values["linkedid"]))
    if existing is not None:
        return False
    session.add(Call(**values))
    await session.flush()
    return True


def _stored(row: Call) -> StoredCall:
    record = CallRecord(**{name: getattr(row, name) for name in _RECORD_FIELDS})
    return StoredCall(
        id=row.id, record=record, customer_id=row.customer_id, created_at=row.created_at
    )
