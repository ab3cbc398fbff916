"""What the IVR's flows read and write in the CRM, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from crm_bridge.db import Database
from crm_bridge.models import Complaint, FraudReport, PaymentPromise, Quote
from crm_bridge.repositories import (
    ComplaintRepository,
    CustomerRepository,
    FieldAgentRepository,
    PolicyRepository,
    PromiseRefusedError,
    QuoteRepository,
)
from crm_bridge.seed import seed

pytestmark = pytest.mark.integration

TODAY = date(2026, 11, 22)


@pytest.fixture
async def seeded(database: Database) -> Database:
    await seed(database.sessions, today=TODAY)
    return database


async def test_badges_are_found_case_insensitively_and_look_ups_counted(seeded: Database) -> None:
    agents = FieldAgentRepository(seeded.sessions)
    found = await agents.by_badge("fa-100234")
    assert found is not None and found.status == "active"
    assert (await agents.by_badge("FA100237")).status == "terminated"  # type: ignore[union-attr]
    assert await agents.by_badge("100234") is None
    since = datetime.now(UTC) - timedelta(hours=1)
    await agents.log_lookup("139", "100234", "found_active", "l.1")
    await agents.log_lookup("139", "555", "unknown", "l.1")
    await agents.log_lookup("139", "100237", "found_terminated", "l.1")
    await agents.log_lookup("138", "555", "unknown", "l.2")
    assert await agents.failed_lookups_since("139", since) == 2
    assert await agents.failed_lookups_since("139", datetime.now(UTC) + timedelta(minutes=1)) == 0
    report = await agents.report_fraud("139", "555", "l.1", "unknown badge")
    async with seeded.sessions() as session:
        row = await session.get(FraudReport, report)
    assert row is not None and (row.badge_number, row.status) == ("555", "open")


async def test_policies_due_holder_by_birth_date_and_promises(seeded: Database) -> None:
    policies = PolicyRepository(seeded.sessions, lambda: TODAY)
    customer = await CustomerRepository(seeded.sessions).by_phone("13800138003")
    assert customer is not None
    due = await policies.due_for_customer(customer.id)
    assert [p.number for p in due] == ["PL2024000401"]
    holder = await policies.holder_by_policy_and_birth("PL2024000101", "19850307")
    assert holder is not None and holder.name == "张伟"
    assert await policies.holder_by_policy_and_birth("PL2024000101", "19850308") is None
    policy = due[0]
    for ok in (TODAY, TODAY + timedelta(days=30)):
        await policies.promise(policy.policy_id, policy.amount_due, ok, "1", "l.3", "inbound")
    for bad in (TODAY - timedelta(days=1), TODAY + timedelta(days=31)):
        with pytest.raises(PromiseRefusedError):
            await policies.promise(policy.policy_id, policy.amount_due, bad, "1", "l.3", "inbound")
    async with seeded.sessions() as session:
        rows = (await session.scalars(select(PaymentPromise))).all()
    assert len(rows) == 2 and rows[0].customer_id == customer.id
    assert not await policies.is_paid(policy.policy_id)


async def test_quotes_and_complaints_are_stored_against_the_caller(seeded: Database) -> None:
    quotes = QuoteRepository(seeded.sessions)
    quote_id = await quotes.save(
        "13800138005", "auto", {"driver_age": 35}, Decimal("2520.00"), "l.4"
    )
    await quotes.request_callback(quote_id)
    ticket = await ComplaintRepository(seeded.sessions).create(
        "13900000000", "claims", "/rec/a.wav", "l.5"
    )
    async with seeded.sessions() as session:
        quote = await session.get(Quote, quote_id)
        complaint = await session.get(Complaint, ticket)
    assert quote is not None and quote.callback_requested and quote.customer_id is not None
    assert quote.premium == Decimal("2520.00") and quote.parameters == {"driver_age": 35}
    assert complaint is not None and complaint.customer_id is None
    assert complaint.recording_file == "/rec/a.wav"
