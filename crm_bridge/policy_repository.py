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
from crm_bridge.errors import CrmRejectedError, PolicyNotFoundError, PromiseRefusedError
from crm_bridge.models import Customer, PaymentPromise, Policy
from crm_bridge.vocab import Direction, PolicyStatus, member_of

DUE_WITHIN = timedelta(days=30)
PROMISE_WITHIN = timedelta(days=30)
BIRTH_DIGITS_FORMAT = "%Y%m%d"
ID_TAIL_LENGTH = 4


@dataclass(frozen=True, slots=True)
class HolderProof:
    """What proves a caller holds a customer's policies; never the whole identity number."""

    birth_date: date | None
    id_number_tail: str


@dataclass(frozen=True, slots=True)
class PolicyDue:
    """A policy with premium to pay; ``amount_due`` is the period's premium."""

    policy_id: int
    number: str
    product: str
    amount_due: Decimal
    due_date: date
    status: str
    customer_id: int


def check_promise_date(promised_date: date, today: date) -> None:
    """A promise is for today up to 30 days ahead, both ends included."""
    if not today <= promised_date <= today + PROMISE_WITHIN:
        raise PromiseRefusedError(
            f"promised date {promised_date} is not between {today} and {today + PROMISE_WITHIN}"
        )


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
        """Unpaid policies that are overdue, or active and due by today + 30 days (an active
        one already past its due date is included: its status has not caught up yet);
        oldest due first."""
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
        """The policy with this number, whatever its status (exact match)."""
        async with self._sessions() as session:
            row = await session.scalar(select(Policy).where(Policy.number == number))
            return None if row is None else _due(row)

    async def holder_by_policy_and_birth(
        self, policy_number: str, birth_digits: str
    ) -> CustomerProfile | None:
        """The policy's holder if ``birth_digits`` (keyed as YYYYMMDD) is exactly their birth
        date; ``None`` for an unknown policy, a wrong date or a holder without one."""
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
            if row.birth_date.strftime(BIRTH_DIGITS_FORMAT) != birth_digits:
                return None
            return profile_of(row)

    async def holder_proof(self, customer_id: int) -> HolderProof | None:
        """The customer's birth date and the last four characters of their identity number
        (``None`` for an unknown customer)."""
        query = select(Customer.birth_date, Customer.id_number).where(Customer.id == customer_id)
        async with self._sessions() as session:
            row = (await session.execute(query)).one_or_none()
        if row is None:
            return None
        birth_date, id_number = row
        return HolderProof(birth_date, id_number[-ID_TAIL_LENGTH:])

    async def promise(
        self,
        policy_id: int,
        amount: Decimal,
        promised_date: date,
        caller_number: str,
        linkedid: str,
        channel: str,
    ) -> int:
        """Record a promise to pay ``amount`` by ``promised_date`` (today to today + 30 days,
        else :class:`PromiseRefusedError`); the customer is the policy's holder."""
        check_promise_date(promised_date, self.today())
        if amount <= 0:
            raise CrmRejectedError(f"a promise must be for a positive amount, not {amount}")
        direction = member_of(Direction, channel)
        async with self._sessions.begin() as session:
            policy = await session.get(Policy, policy_id)
            if policy is None:
                raise PolicyNotFoundError(f"no policy {policy_id}")
            promise = PaymentPromise(
                policy_id=policy_id,
                customer_id=policy.customer_id,
                amount=amount,
                promised_date=promised_date,
                caller_number=caller_number,
                linkedid=linkedid,
                channel=direction.value,
            )
            session.add(promise)
            await session.flush()
            return promise.id

    async def is_paid(self, policy_id: int) -> bool:
        """Whether the policy's current premium is paid (:class:`PolicyNotFoundError` if no
        such policy)."""
        async with self._sessions() as session:
            paid_date = (
                await session.execute(select(Policy.paid_date).where(Policy.id == policy_id))
            ).one_or_none()
        if paid_date is None:
            raise PolicyNotFoundError(f"no policy {policy_id}")
        return paid_date[0] is not None
