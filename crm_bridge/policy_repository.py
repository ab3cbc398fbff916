"""Policies with premium due, who holds them, and promises to pay."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import selectinload

from crm_bridge.customer_repository import CustomerProfile, profile_of
from crm_bridge.errors import CrmError
from crm_bridge.models import Customer, PaymentPromise, Policy
from crm_bridge.vocab import PolicyStatus

DUE_WITHIN = timedelta(days=30)
PROMISE_WITHIN = timedelta(days=30)


class PromiseRefusedError(CrmError):
    """A promise-to-pay date in the past or too far ahead."""

    code = "promise-date-out-of-range"


@dataclass(frozen=True, slots=True)
class PolicyDue:
    policy_id: int
    number: str
    product: str
    amount_due: Decimal
    due_date: date
    status: str
    customer_id: int


def _due(row: Policy) -> PolicyDue:
    return PolicyDue(
        row.id, row.number, row.product, row.premium, row.due_date, row.status, row.customer_id
    )


class PolicyRepository:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        today: Callable[[], date] = date.today,
    ) -> None:
        self._sessions = sessions
        self.today = today

    async def due_for_customer(self, customer_id: int) -> list[PolicyDue]:
        """Overdue policies, and active ones due within 30 days; unpaid; oldest due first."""
        horizon = self.today() + DUE_WITHIN
        query = (
            select(Policy)
            .where(Policy.customer_id == customer_id, Policy.paid_date.is_(None))
            .where(
                or_(
                    Policy.status == PolicyStatus.OVERDUE.value,
                    (Policy.status == PolicyStatus.ACTIVE.value) & (Policy.due_date <= horizon),
                )
            )
            .order_by(Policy.due_date, Policy.id)
        )
        async with self._sessions() as session:
            return [_due(row) for row in await session.scalars(query)]

    async def by_number(self, number: str) -> PolicyDue | None:
        async with self._sessions() as session:
            row = await session.scalar(select(Policy).where(Policy.number == number))
            return None if row is None else _due(row)

    async def holder_by_policy_and_birth(
        self, policy_number: str, birth_digits: str
    ) -> CustomerProfile | None:
        query = (
            select(Customer)
            .join(Policy, Policy.customer_id == Customer.id)
            .where(Policy.number == policy_number)
            .options(selectinload(Customer.phones), selectinload(Customer.account_manager))
        )
        async with self._sessions() as session:
            row = await session.scalar(query)
            if row is None or row.birth_date is None:
                return None
            if row.birth_date.strftime("%Y%m%d") != birth_digits:
                return None
            return profile_of(row)

    async def promise(
        self,
        policy_id: int,
        amount: Decimal,
        promised_date: date,
        caller_number: str,
        linkedid: str,
        channel: str,
    ) -> int:
        today = self.today()
        if not today <= promised_date <= today + PROMISE_WITHIN:
            raise PromiseRefusedError(f"{promised_date} is not within 30 days from {today}")
        async with self._sessions.begin() as session:
            policy = await session.get(Policy, policy_id)
            if policy is None:
                raise CrmError(f"no policy {policy_id}")
            promise = PaymentPromise(
                policy_id=policy_id,
                customer_id=policy.customer_id,
                amount=amount,
                promised_date=promised_date,
                caller_number=caller_number,
                linkedid=linkedid,
                channel=channel,
            )
            session.add(promise)
            await session.flush()
            return promise.id

    async def is_paid(self, policy_id: int) -> bool:
        async with self._sessions() as session:
            policy = await session.get(Policy, policy_id)
            return policy is not None and policy.paid_date is not None
