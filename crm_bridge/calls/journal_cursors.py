"""Where the CRM keeps how far it has reconciled each CDR journal (``journal_cursors``): with
the CRM it feeds, so a new CRM, or one restored from a backup, knows what it has seen."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crm_bridge.models import JournalCursor

MAX_KEY = 255


class JournalCursors:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def get(self, journal: str) -> int | None:
        """The offset reconciled so far; None if this CRM never read that journal."""
        async with self._sessions() as session:
            return await session.scalar(
                select(JournalCursor.offset).where(JournalCursor.journal == _key(journal))
            )

    async def set(self, journal: str, offset: int) -> None:
        async with self._sessions.begin() as session:
            now = datetime.now(UTC)
            changed = await session.execute(
                update(JournalCursor)
                .where(JournalCursor.journal == _key(journal))
                .values(offset=offset, updated_at=now)
            )
            if not getattr(changed, "rowcount", 0):
                session.add(JournalCursor(journal=_key(journal), offset=offset, updated_at=now))


def _key(journal: str) -> str:
    """The journal's path, its tail when too long for the column (the file name matters)."""
    return journal[-MAX_KEY:]
