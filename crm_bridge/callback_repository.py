"""Callbacks the centre owes callers: asked for in the queue (``requested``) or owed to a caller
who hung up waiting (``abandoned``). One per (call, kind), so asking twice is harmless.

Status moves ``pending → dialling`` only by :meth:`CallbackRepository.claim` (one agent wins,
the attempt is counted); every other move goes through :meth:`CallbackRepository.mark` and the
``NEXT_STATUS`` table. Both are one conditional UPDATE, safe with several controllers.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import Update, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crm_bridge.errors import CallbackNotFoundError, CallbackTransitionError, InvalidCallbackError
from crm_bridge.models import Callback
from crm_bridge.sqltypes import utc_now
from crm_bridge.vocab import CallbackKind, CallbackStatus, Language

MAX_LIMIT = 1000
S = CallbackStatus
NEXT_STATUS: Final[dict[CallbackStatus, frozenset[CallbackStatus]]] = {
    S.PENDING: frozenset({S.CANCELLED}),  # to dialling: claim() only
    S.DIALLING: frozenset({S.DONE, S.FAILED, S.PENDING, S.CANCELLED}),  # pending = retry later
    S.FAILED: frozenset({S.PENDING, S.CANCELLED}),  # a supervisor puts it back in line
    S.DONE: frozenset(),
    S.CANCELLED: frozenset(),
}
FINISHED: Final = frozenset({S.DONE, S.FAILED, S.CANCELLED})  # these set done_at
_LENGTHS: Final = {"caller_number": 64, "call_linkedid": 64, "queue": 50}
SKILL_LENGTH = 50
_KINDS: Final = frozenset(kind.value for kind in CallbackKind)
_LANGUAGES: Final = frozenset(language.value for language in Language)


@dataclass(frozen=True, slots=True)
class CallbackRequest:
    """A callback to owe; ``enqueued_at`` is when the caller first queued (their place in
    line), ``requested_at`` when the callback was asked for (or the caller hung up)."""

    caller_number: str
    call_linkedid: str
    kind: str
    queue: str
    enqueued_at: datetime
    requested_at: datetime
    skills: tuple[str, ...] = ()
    language: str | None = None
    vip: bool = False


@dataclass(frozen=True, slots=True)
class StoredCallback:
    id: int
    caller_number: str
    call_linkedid: str
    kind: str
    queue: str
    skills: tuple[str, ...]
    language: str | None
    vip: bool
    enqueued_at: datetime
    requested_at: datetime
    status: str
    attempts: int
    agent_extension: str | None
    done_at: datetime | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready; times as ISO 8601 in UTC."""
        return {
            "id": self.id,
            "caller_number": self.caller_number,
            "call_linkedid": self.call_linkedid,
            "kind": self.kind,
            "queue": self.queue,
            "skills": list(self.skills),
            "language": self.language,
            "vip": self.vip,
            "enqueued_at": _iso(self.enqueued_at),
            "requested_at": _iso(self.requested_at),
            "status": self.status,
            "attempts": self.attempts,
            "agent_extension": self.agent_extension,
            "done_at": None if self.done_at is None else _iso(self.done_at),
        }


def check_request(request: CallbackRequest) -> None:
    """:class:`InvalidCallbackError` unless the request fits the table's rules."""
    wrong = [name for name, limit in _LENGTHS.items() if not _text(getattr(request, name), limit)]
    if not _text(request.kind, 16) or request.kind not in _KINDS:
        wrong.append("kind")
    if request.language is not None and request.language not in _LANGUAGES:
        wrong.append("language")
    if not all(_text(skill, SKILL_LENGTH) for skill in request.skills):
        wrong.append("skills")
    if not isinstance(request.vip, bool):
        wrong.append("vip")
    for name in ("enqueued_at", "requested_at"):
        value = getattr(request, name)
        if not isinstance(value, datetime) or value.utcoffset() is None:
            wrong.append(f"{name} (timezone-aware)")
    if wrong:
        raise InvalidCallbackError(f"callback for call {request.call_linkedid!r}: bad {wrong}")


def _text(value: object, limit: int) -> bool:
    return isinstance(value, str) and 0 < len(value) <= limit


def sources_of(target: CallbackStatus) -> frozenset[CallbackStatus]:
    """The statuses :meth:`CallbackRepository.mark` may move to ``target`` from."""
    return frozenset(source for source, targets in NEXT_STATUS.items() if target in targets)


class CallbackRepository:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        now: Callable[[], datetime] = utc_now,
    ) -> None:
        self._sessions = sessions
        self.now = now

    async def create(self, request: CallbackRequest) -> StoredCallback:
        """Owe a callback, once per (call, kind): asking again returns the one stored."""
        check_request(request)
        values = _request_values(request)
        async with self._sessions.begin() as session:
            await _insert_if_new(session, values)
            row = await session.scalar(
                select(Callback).where(
                    Callback.call_linkedid == request.call_linkedid,
                    Callback.kind == request.kind,
                )
            )
            assert row is not None  # inserted now or before, in this transaction's view
            return _stored(row)

    async def get(self, callback_id: int) -> StoredCallback | None:
        async with self._sessions() as session:
            row = await session.get(Callback, callback_id)
            return None if row is None else _stored(row)

    async def list(
        self,
        status: str | None = None,
        kind: str | None = None,
        since: datetime | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> builtins.list[StoredCallback]:
        """In line order (``enqueued_at``, then id); ``since`` is on ``requested_at``."""
        query = select(Callback)
        if status is not None:
            query = query.where(Callback.status == status)
        if kind is not None:
            query = query.where(Callback.kind == kind)
        if since is not None:
            query = query.where(Callback.requested_at >= since)
        query = query.order_by(Callback.enqueued_at, Callback.id)
        query = query.limit(max(0, min(limit, MAX_LIMIT))).offset(max(0, offset))
        async with self._sessions() as session:
            return [_stored(row) for row in await session.scalars(query)]

    async def claim(self, callback_id: int, agent_extension: str) -> StoredCallback | None:
        """``pending → dialling`` for ``agent_extension``, counting the attempt. None if the
        callback is no longer pending (another agent claimed it, or it was cancelled)."""
        query = (
            update(Callback)
            .where(Callback.id == callback_id, Callback.status == S.PENDING.value)
            .values(
                status=S.DIALLING.value,
                attempts=Callback.attempts + 1,
                agent_extension=agent_extension,
            )
        )
        return await self._conditional(callback_id, query, refuse=None)

    async def mark(self, callback_id: int, status: str) -> StoredCallback:
        """Move to ``status`` if ``NEXT_STATUS`` allows it from the current one, else
        :class:`CallbackTransitionError`; done, failed and cancelled stamp ``done_at``."""
        target = _status(status)
        finished = self.now() if target in FINISHED else None
        query = (
            update(Callback)
            .where(Callback.id == callback_id)
            .where(Callback.status.in_([s.value for s in sources_of(target)]))
            .values(status=target.value, done_at=finished)
        )
        stored = await self._conditional(callback_id, query, refuse=target)
        assert stored is not None  # _conditional raises when a target is refused
        return stored

    async def _conditional(
        self, callback_id: int, query: Update, refuse: CallbackStatus | None
    ) -> StoredCallback | None:
        async with self._sessions.begin() as session:
            row = (await session.execute(query.returning(Callback))).scalar_one_or_none()
            if row is not None:
                return _stored(row)
            current = await session.scalar(
                select(Callback.status).where(Callback.id == callback_id)
            )
        if current is None:
            raise CallbackNotFoundError(f"no callback {callback_id}")
        if refuse is not None:
            raise CallbackTransitionError(f"callback {callback_id} is {current}, not {refuse}-able")
        return None


def _status(value: str) -> CallbackStatus:
    try:
        target = CallbackStatus(value)
    except ValueError:
        raise InvalidCallbackError(f"{value!r} is not a callback status") from None
    if target is S.DIALLING:
        raise CallbackTransitionError("dialling is reached by claiming a callback")
    return target


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat()


def _request_values(request: CallbackRequest) -> dict[str, Any]:
    return {
        "caller_number": request.caller_number,
        "call_linkedid": request.call_linkedid,
        "kind": request.kind,
        "queue": request.queue,
        "skills": list(request.skills),
        "language": request.language,
        "vip": request.vip,
        "enqueued_at": request.enqueued_at,
        "requested_at": request.requested_at,
        "status": S.PENDING.value,
        "attempts": 0,
    }


async def _insert_if_new(session: AsyncSession, values: dict[str, Any]) -> None:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        stmt: Any = postgresql.insert(Callback)
    elif dialect == "sqlite":
        stmt = sqlite.insert(Callback)
    else:
        await _insert_portable(session, values)
        return
    keys = [Callback.call_linkedid, Callback.kind]
    await session.execute(stmt.values(**values).on_conflict_do_nothing(index_elements=keys))


async def _insert_portable(session: AsyncSession, values: dict[str, Any]) -> None:
    query = select(Callback.id).where(
        Callback.call_linkedid == values["call_linkedid"], Callback.kind == values["kind"]
    )
    if await session.scalar(query) is None:
        session.add(Callback(**values))
        await session.flush()


def _stored(row: Callback) -> StoredCallback:
    return StoredCallback(
        id=row.id,
        caller_number=row.caller_number,
        call_linkedid=row.call_linkedid,
        kind=row.kind,
        queue=row.queue,
        skills=tuple(row.skills),
        language=row.language,
        vip=row.vip,
        enqueued_at=row.enqueued_at,
        requested_at=row.requested_at,
        status=row.status,
        attempts=row.attempts,
        agent_extension=row.agent_extension,
        done_at=row.done_at,
    )
