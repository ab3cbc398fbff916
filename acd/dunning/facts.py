"""What the dunning dialer reads from the CRM about the people it may call: the unpaid policies
a campaign's rule may select (``PolicyFacts``), the facts re-read just before every dial
(``TargetFacts``: paid? cancelled? on the do-not-call list? blacklisted? opted out? a promise
to pay?), and the do-not-call list and customers' opt-outs themselves."""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import selectinload

from acd.dunning.core.model import Phone, PolicyFacts, PromiseToPay, Target, TargetFacts, TargetRule
from crm_bridge.errors import CrmRejectedError, PolicyNotFoundError
from crm_bridge.models import (
    Customer,
    CustomerOptOut,
    CustomerPhone,
    DoNotCall,
    PaymentPromise,
    Policy,
)
from crm_bridge.phones import phone_candidates
from crm_bridge.policy_repository import PolicyDue
from crm_bridge.sqltypes import utc_now
from crm_bridge.vocab import Language, PhoneKind, PolicyStatus, Product

UNPAID = (PolicyStatus.ACTIVE.value, PolicyStatus.OVERDUE.value)


@dataclass(frozen=True, slots=True)
class DoNotCallEntry:
    number: str
    reason: str
    added_at: datetime


class CampaignFacts:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        now: Callable[[], datetime] = utc_now,
    ) -> None:
        self._sessions = sessions
        self.now = now

    # ---- for the target rule ---------------------------------------------------------------
    async def unpaid_policies(self, rule: TargetRule) -> builtins.list[PolicyFacts]:
        """Unpaid policies (active or overdue, no paid date) with at least the rule's amount,
        of its products and regions; ``acd.dunning.core.targets.select_targets`` does the rest
        (days overdue in the customer's zone, blacklist, a phone)."""
        query = (
            select(Policy, Customer)
            .join(Customer, Customer.id == Policy.customer_id)
            .where(Policy.paid_date.is_(None), Policy.status.in_(UNPAID))
            .where(Policy.premium >= rule.min_amount)
            .options(selectinload(Customer.phones))
            .order_by(Policy.id)
        )
        if rule.products:
            query = query.where(Policy.product.in_([p.value for p in rule.products]))
        if rule.regions:
            query = query.where(Customer.region.in_(sorted(rule.regions)))
        async with self._sessions() as session:
            rows = (await session.execute(query)).all()
            return [_policy_facts(policy, customer) for policy, customer in rows]

    async def policies(self, policy_ids: Iterable[int]) -> builtins.list[PolicyFacts]:
        """These policies, whatever their status (paid, cancelled...)."""
        ids = sorted(set(policy_ids))
        if not ids:
            return []
        query = (
            select(Policy, Customer)
            .join(Customer, Customer.id == Policy.customer_id)
            .where(Policy.id.in_(ids))
            .options(selectinload(Customer.phones))
            .order_by(Policy.id)
        )
        async with self._sessions() as session:
            rows = (await session.execute(query)).all()
            return [_policy_facts(policy, customer) for policy, customer in rows]

    # ---- just before a dial ----------------------------------------------------------------
    async def target_facts(self, target: Target) -> TargetFacts:
        """What the CRM says about ``target`` now (:class:`PolicyNotFoundError` if the policy
        is gone)."""
        numbers = phone_candidates(target.number)
        async with self._sessions() as session:
            policy = await session.get(Policy, target.policy_id)
            if policy is None:
                raise PolicyNotFoundError(f"no policy {target.policy_id}")
            customer = await session.get(Customer, policy.customer_id)
            listed = await session.scalar(
                select(DoNotCall.id).where(DoNotCall.number.in_(numbers)).limit(1)
            )
            opted = await session.get(CustomerOptOut, policy.customer_id)
            promise = await session.scalar(
                select(PaymentPromise)
                .where(PaymentPromise.policy_id == target.policy_id)
                .order_by(PaymentPromise.created_at.desc(), PaymentPromise.id.desc())
                .limit(1)
            )
            number_blacklisted = await self._number_blacklisted(session, numbers)
        return TargetFacts(
            target=target,
            policy_status=PolicyStatus(policy.status),
            paid_date=policy.paid_date,
            blacklisted=bool(customer is not None and customer.blacklisted) or number_blacklisted,
            do_not_call=listed is not None,
            opted_out=opted is not None,
            promise=None
            if promise is None
            else PromiseToPay(promise.amount, promise.promised_date),
        )

    async def _number_blacklisted(self, session: AsyncSession, numbers: tuple[str, ...]) -> bool:
        """The number belongs to a blacklisted customer (perhaps not the policy's holder)."""
        query = (
            select(Customer.id)
            .join(CustomerPhone, CustomerPhone.customer_id == Customer.id)
            .where(CustomerPhone.number.in_(numbers), Customer.blacklisted.is_(True))
            .limit(1)
        )
        return await session.scalar(query) is not None

    async def policy_due(self, policy_id: int) -> PolicyDue | None:
        """The policy as the payment flow reads it (amount due, due date...)."""
        async with self._sessions() as session:
            row = await session.get(Policy, policy_id)
        if row is None:
            return None
        return PolicyDue(
            row.id, row.number, row.product, row.premium, row.due_date, row.status, row.customer_id
        )

    async def promise_made_on(self, linkedid: str, policy_id: int) -> PromiseToPay | None:
        """The promise to pay recorded on the call ``linkedid`` for the policy, if any."""
        query = (
            select(PaymentPromise)
            .where(PaymentPromise.linkedid == linkedid, PaymentPromise.policy_id == policy_id)
            .order_by(PaymentPromise.id.desc())
            .limit(1)
        )
        async with self._sessions() as session:
            row = await session.scalar(query)
        return None if row is None else PromiseToPay(row.amount, row.promised_date)

    async def mark_paid(self, policy_id: int, paid: date) -> None:
        """The premium was paid (the payment system's call; the demo and tests use it)."""
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(Policy).where(Policy.id == policy_id).values(paid_date=paid)
            )
            if not getattr(result, "rowcount", 0):
                raise PolicyNotFoundError(f"no policy {policy_id}")

    # ---- the do-not-call list and opt-outs -------------------------------------------------
    async def add_do_not_call(self, number: str, reason: str = "") -> bool:
        """List ``number`` (digits as dialled); False when it was listed already."""
        cleaned = number.strip()
        if not cleaned or len(cleaned) > 32:
            raise CrmRejectedError(f"{number!r} is not a phone number")
        try:
            async with self._sessions.begin() as session:
                session.add(DoNotCall(number=cleaned, reason=reason[:200], added_at=self.now()))
        except IntegrityError:
            return False
        return True

    async def remove_do_not_call(self, number: str) -> bool:
        async with self._sessions.begin() as session:
            result = await session.execute(delete(DoNotCall).where(DoNotCall.number == number))
            return bool(getattr(result, "rowcount", 0))

    async def do_not_call(self) -> builtins.list[DoNotCallEntry]:
        async with self._sessions() as session:
            rows = await session.scalars(select(DoNotCall).order_by(DoNotCall.number))
            return [DoNotCallEntry(r.number, r.reason, r.added_at) for r in rows]

    async def opt_out(self, customer_id: int, reason: str = "") -> bool:
        """The customer asked not to be called about payments; False if already opted out."""
        try:
            async with self._sessions.begin() as session:
                session.add(
                    CustomerOptOut(
                        customer_id=customer_id, reason=reason[:200], opted_out_at=self.now()
                    )
                )
        except IntegrityError:
            return False
        return True

    async def cancel_opt_out(self, customer_id: int) -> bool:
        async with self._sessions.begin() as session:
            result = await session.execute(
                delete(CustomerOptOut).where(CustomerOptOut.customer_id == customer_id)
            )
            return bool(getattr(result, "rowcount", 0))


def _policy_facts(policy: Policy, customer: Customer) -> PolicyFacts:
    return PolicyFacts(
        policy_id=policy.id,
        policy_number=policy.number,
        product=Product(policy.product),
        premium=Decimal(policy.premium),
        due_date=policy.due_date,
        status=PolicyStatus(policy.status),
        customer_id=customer.id,
        region=customer.region,
        time_zone=customer.time_zone,
        phones=tuple(Phone(p.number, PhoneKind(p.kind)) for p in customer.phones),
        paid_date=policy.paid_date,
        blacklisted=customer.blacklisted,
        language=Language(customer.language),
    )
