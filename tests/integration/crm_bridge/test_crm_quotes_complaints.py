"""Quotes given by phone and complaints, stored against the caller, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from crm_bridge.db import Database
from crm_bridge.errors import CrmRejectedError
from crm_bridge.models import Complaint, Quote
from crm_bridge.repositories import (
    ComplaintRepository,
    CustomerRepository,
    QuoteNotFoundError,
    QuoteRepository,
)
from crm_bridge.seed import seed

pytestmark = pytest.mark.integration


@pytest.fixture
async def seeded(database: Database) -> Database:
    await seed(database.sessions, today=date(2026, 11, 22))
    return database


async def test_quotes_are_stored_against_the_caller(seeded: Database) -> None:
    quotes = QuoteRepository(seeded.sessions)
    customer = await CustomerRepository(seeded.sessions).by_phone("13800138005")
    assert customer is not None
    keyed = {"vehicle_value": 200_000, "driver_age": 35, "claim_free_years": 3}

    known = await quotes.save("+86 138 0013 8005", "auto", keyed, Decimal("2520.00"), "l.1")
    stranger = await quotes.save("13900000001", "health", {"age": 40}, Decimal("980.50"), "l.2")

    async with seeded.sessions() as session:
        first = await session.get(Quote, known)
        second = await session.get(Quote, stranger)
    assert first is not None and second is not None
    assert (first.customer_id, first.product, first.parameters) == (customer.id, "auto", keyed)
    assert first.premium == Decimal("2520.00") and first.callback_requested is False
    assert (first.caller_number, first.linkedid) == ("+86 138 0013 8005", "l.1")
    assert second.customer_id is None and second.premium == Decimal("980.50")


async def test_callbacks_are_requested_on_one_quote(seeded: Database) -> None:
    quotes = QuoteRepository(seeded.sessions)
    wanted = await quotes.save("139", "accident", {"age": 30}, Decimal("120.00"), "l.1")
    other = await quotes.save("139", "accident", {"age": 31}, Decimal("125.00"), "l.1")

    await quotes.request_callback(wanted)
    await quotes.request_callback(wanted)  # pressing 1 twice changes nothing
    with pytest.raises(QuoteNotFoundError):
        await quotes.request_callback(10_000)

    async with seeded.sessions() as session:
        flags = dict((await session.execute(select(Quote.id, Quote.callback_requested))).all())
    assert flags == {wanted: True, other: False}


async def test_quotes_refuse_unknown_products_and_parameters(seeded: Database) -> None:
    quotes = QuoteRepository(seeded.sessions)
    with pytest.raises(CrmRejectedError):
        await quotes.save("139", "pet", {"age": 3}, Decimal("1.00"), "l.1")
    with pytest.raises(CrmRejectedError):
        await quotes.save("139", "auto", {"age": "3"}, Decimal("1.00"), "l.1")  # type: ignore[dict-item]


async def test_complaints_are_opened_against_the_caller(seeded: Database) -> None:
    complaints = ComplaintRepository(seeded.sessions)
    customer = await CustomerRepository(seeded.sessions).by_phone("13800138002")
    assert customer is not None

    recorded = await complaints.create("13800138002", "claims", "/rec/c-1.wav", "l.1")
    silent = await complaints.create("13900000000", "agent_conduct", None, "l.2")
    with pytest.raises(CrmRejectedError):
        await complaints.create("13900000000", "rude", None, "l.3")

    async with seeded.sessions() as session:
        first = await session.get(Complaint, recorded)
        second = await session.get(Complaint, silent)
        count = len((await session.scalars(select(Complaint))).all())
    assert first is not None and second is not None and count == 2
    assert (first.customer_id, first.category, first.status) == (customer.id, "claims", "open")
    assert (first.recording_file, first.linkedid) == ("/rec/c-1.wav", "l.1")
    assert (second.customer_id, second.recording_file) == (None, None)
