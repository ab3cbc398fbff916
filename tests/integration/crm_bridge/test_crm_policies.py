"""Premium due, holders identified by policy and birth date, promises to pay."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from crm_bridge.db import Database
from crm_bridge.errors import CrmRejectedError
from crm_bridge.models import Customer, PaymentPromise, Policy
from crm_bridge.repositories import (
    CustomerRepository,
    PolicyNotFoundError,
    PolicyRepository,
    PromiseRefusedError,
)
from crm_bridge.seed import seed

pytestmark = pytest.mark.integration

TODAY = date(2026, 11, 22)


@pytest.fixture
async def seeded(database: Database) -> Database:
    await seed(database.sessions, today=TODAY)
    return database


async def _customer_id(db: Database, phone: str) -> int:
    customer = await CustomerRepository(db.sessions).by_phone(phone)
    assert customer is not None
    return customer.id


async def test_due_policies_overdue_and_active_within_30_days_unpaid(seeded: Database) -> None:
    policies = PolicyRepository(seeded.sessions, lambda: TODAY)

    liu = await policies.due_for_customer(await _customer_id(seeded, "13800138003"))
    wang = await policies.due_for_customer(await _customer_id(seeded, "13800138001"))
    chen = await policies.due_for_customer(await _customer_id(seeded, "13800138004"))
    li = await policies.due_for_customer(await _customer_id(seeded, "13800138002"))

    assert [p.number for p in liu] == ["PL2024000401"]  # 0402 is due in 45 days
    assert [p.number for p in wang] == ["PL2024000202"]  # the others are paid
    assert [(p.number, p.status) for p in chen] == [("PL2024000503", "overdue")]
    assert [p.number for p in li] == ["PL2024000302", "PL2024000301"]  # oldest due first
    assert chen[0].due_date == TODAY - timedelta(days=12) and chen[0].product == "health"
    assert chen[0].amount_due > 0 and chen[0].customer_id == await _customer_id(
        seeded, "13800138004"
    )
    assert await policies.due_for_customer(10_000) == []


async def test_the_30_day_horizon_moves_with_today(seeded: Database) -> None:
    liu = await _customer_id(seeded, "13800138003")
    later = PolicyRepository(seeded.sessions, lambda: TODAY + timedelta(days=15))
    assert [p.number for p in await later.due_for_customer(liu)] == [
        "PL2024000401",
        "PL2024000402",
    ]


async def test_policy_by_number(seeded: Database) -> None:
    policies = PolicyRepository(seeded.sessions, lambda: TODAY)
    found = await policies.by_number("PL2024000702")
    assert found is not None and (found.status, found.product) == ("lapsed", "health")
    assert await policies.by_number("pl2024000702") is None
    assert await policies.by_number("2024000702") is None


async def test_holder_by_policy_and_birth_digits(seeded: Database) -> None:
    policies = PolicyRepository(seeded.sessions, lambda: TODAY)

    zhang = await policies.holder_by_policy_and_birth("PL2024000101", "19850307")
    james = await policies.holder_by_policy_and_birth("PL2024001101", "19790423")

    assert zhang is not None and zhang.name == "张伟" and "13800138000" in zhang.phones
    assert james is not None and james.name == "James Smith"
    for policy, birth in (
        ("PL2024000101", "19850308"),  # a day off
        ("PL2024000101", "850307"),
        ("PL2024000101", "1985-03-07"),
        ("PL2024000101", ""),
        ("PL2024000201", "19850307"),  # someone else's policy
        ("PL2099999999", "19850307"),
    ):
        assert await policies.holder_by_policy_and_birth(policy, birth) is None, (policy, birth)


async def test_holder_without_a_birth_date_is_never_matched(seeded: Database) -> None:
    async with seeded.sessions.begin() as session:
        policy = await session.scalar(select(Policy).where(Policy.number == "PL2024000101"))
        assert policy is not None
        await session.execute(
            update(Customer).where(Customer.id == policy.customer_id).values(birth_date=None)
        )
    policies = PolicyRepository(seeded.sessions, lambda: TODAY)
    assert await policies.holder_by_policy_and_birth("PL2024000101", "19850307") is None


async def test_promise_dates_from_today_to_30_days_ahead(seeded: Database) -> None:
    policies = PolicyRepository(seeded.sessions, lambda: TODAY)
    due = await policies.by_number("PL2024000503")
    assert due is not None

    made = [
        await policies.promise(due.policy_id, due.amount_due, day, "13800138004", "l.1", channel)
        for day, channel in ((TODAY, "inbound"), (TODAY + timedelta(days=30), "outbound"))
    ]
    for day in (TODAY - timedelta(days=1), TODAY + timedelta(days=31)):
        with pytest.raises(PromiseRefusedError) as refused:
            await policies.promise(due.policy_id, due.amount_due, day, "1", "l.2", "inbound")
        assert refused.value.code == "promise-date-out-of-range"

    async with seeded.sessions() as session:
        rows = (await session.scalars(select(PaymentPromise).order_by(PaymentPromise.id))).all()
    assert [row.id for row in rows] == made
    assert [(r.promised_date, r.channel) for r in rows] == [
        (TODAY, "inbound"),
        (TODAY + timedelta(days=30), "outbound"),
    ]
    assert {(r.policy_id, r.customer_id, r.amount) for r in rows} == {
        (due.policy_id, due.customer_id, due.amount_due)
    }


async def test_promises_refused_for_bad_policy_amount_or_channel(seeded: Database) -> None:
    policies = PolicyRepository(seeded.sessions, lambda: TODAY)
    due = await policies.by_number("PL2024000503")
    assert due is not None
    with pytest.raises(PolicyNotFoundError):
        await policies.promise(10_000, Decimal("1.00"), TODAY, "1", "l.1", "inbound")
    with pytest.raises(CrmRejectedError):
        await policies.promise(due.policy_id, Decimal("0"), TODAY, "1", "l.1", "inbound")
    with pytest.raises(CrmRejectedError):
        await policies.promise(due.policy_id, Decimal("1.00"), TODAY, "1", "l.1", "sms")
    async with seeded.sessions() as session:
        assert (await session.scalars(select(PaymentPromise))).all() == []


async def test_is_paid(seeded: Database) -> None:
    policies = PolicyRepository(seeded.sessions, lambda: TODAY)
    overdue = await policies.by_number("PL2024000503")
    paid = await policies.by_number("PL2024000502")
    assert overdue is not None and paid is not None
    assert await policies.is_paid(overdue.policy_id) is False
    assert await policies.is_paid(paid.policy_id) is True
    with pytest.raises(PolicyNotFoundError):
        await policies.is_paid(10_000)
