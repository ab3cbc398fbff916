"""Quotes given by phone, stored against the caller (and their customer, when known)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crm_bridge.calls.repository import customer_id_for
from crm_bridge.errors import CrmRejectedError, QuoteNotFoundError
from crm_bridge.models import Quote
from crm_bridge.vocab import Product, member_of


def quote_parameters(parameters: Mapping[str, int]) -> dict[str, int]:
    """The keyed values as a JSON object of names to integers (booleans refused)."""
    for name, value in parameters.items():
        if not isinstance(name, str) or isinstance(value, bool) or not isinstance(value, int):
            raise CrmRejectedError(f"quote parameter {name!r}={value!r} is not name -> integer")
    return dict(parameters)


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
        """Store a quote; the customer is resolved from the caller number as for CDRs."""
        quote = Quote(
            caller_number=caller_number,
            product=member_of(Product, product).value,
            parameters=quote_parameters(parameters),
            premium=premium,
            linkedid=linkedid,
        )
        async with self._sessions.begin() as session:
            quote.customer_id = await customer_id_for(session, caller_number)
            session.add(quote)
            await session.flush()
            return quote.id

    async def request_callback(self, quote_id: int) -> None:
        """The caller wants sales to call back about this quote."""
        query = update(Quote).where(Quote.id == quote_id).values(callback_requested=True)
        async with self._sessions.begin() as session:
            found = await session.scalar(query.returning(Quote.id))
        if found is None:
            raise QuoteNotFoundError(f"no quote {quote_id}")
