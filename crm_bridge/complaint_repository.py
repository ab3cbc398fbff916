"""Complaints left in the IVR, stored against the caller (and their customer, when known)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crm_bridge.calls.repository import customer_id_for
from crm_bridge.models import Complaint
from crm_bridge.vocab import ComplaintCategory, member_of


class ComplaintRepository:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def create(
        self, caller_number: str, category: str, recording_file: str | None, linkedid: str
    ) -> int:
        """Open a complaint; ``recording_file`` as Asterisk wrote it, ``None`` without one."""
        complaint = Complaint(
            caller_number=caller_number,
            category=member_of(ComplaintCategory, category).value,
            recording_file=recording_file,
            linkedid=linkedid,
        )
        async with self._sessions.begin() as session:
            complaint.customer_id = await customer_id_for(session, caller_number)
            session.add(complaint)
            await session.flush()
            return complaint.id
