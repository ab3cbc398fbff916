"""What the IVR's flows leave in the CRM: quotes given by phone and complaint tickets."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crm_bridge.call_repository import customer_id_for
from crm_bridge.models import Complaint, Quote


class QuoteRepository:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def save(
        self,
        caller_number: str,
        product: str,
        parameters: Mapping[str, int],
        premium: Decimal,
        linkedid: str,
    ) -> int:
        async with self._sessions.begin() as session:
            quote = Quote(
                caller_number=caller_number,
                customer_id=await customer_id_for(session, caller_number),
                product=product,
                parameters=dict(parameters),
                premium=premium,
                linkedid=linkedid,
            )
            session.add(quote)
            await session.flush()
            return quote.id

    async def request_callback(self, quote_id: int) -> None:
        async with self._sessions.begin() as session:
            await session.execute(
                update(Quote).where(Quote.id == quote_id).values(callback_requested=True)
            )


class ComplaintRepository:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def create(
        self, caller_number: str, category: str, recording_file: str | None, linkedid: str
    ) -> int:
        async with self._sessions.begin() as session:
            complaint = Complaint(
                caller_number=caller_number,
                customer_id=await customer_id_for(session, caller_number),
                category=category,
                recording_file=recording_file,
                linkedid=linkedid,
            )
            session.add(complaint)
            await session.flush()
            return complaint.id
