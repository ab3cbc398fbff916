"""What an agent's screen shows of the caller: the customer card (tier, VIP, blacklist, account
manager, policies) with the identity number masked by role, and the customer's policies read
from the CRM. The card is built once per offer; :func:`for_role` masks it for each viewer."""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crm_bridge.customer_repository import CustomerProfile
from crm_bridge.models import Policy
from crm_bridge.phones import mask_id_number
from crm_bridge.vocab import Role

AGENT_VISIBLE_DIGITS: Final = 4  # an agent sees the last four characters of an identity number
MAX_POLICIES: Final = 20


@dataclass(frozen=True, slots=True)
class PolicySummary:
    number: str
    product: str
    premium: str  # decimal as text, e.g. "3200.00"
    due_date: str  # ISO date
    status: str

    def to_dict(self) -> dict[str, str]:
        return {
            "number": self.number,
            "product": self.product,
            "premium": self.premium,
            "due_date": self.due_date,
            "status": self.status,
        }


class CustomerPolicies:
    """The policies a customer holds, soonest due first."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def of_customer(self, customer_id: int) -> builtins.list[PolicySummary]:
        query = (
            select(Policy)
            .where(Policy.customer_id == customer_id)
            .order_by(Policy.due_date, Policy.number)
            .limit(MAX_POLICIES)
        )
        async with self._sessions() as session:
            rows = (await session.scalars(query)).all()
        return [
            PolicySummary(
                row.number, row.product, f"{row.premium:.2f}", row.due_date.isoformat(), row.status
            )
            for row in rows
        ]


def customer_card(customer: CustomerProfile, policies: Sequence[PolicySummary]) -> dict[str, Any]:
    """The whole card, identity number unmasked: mask it with :func:`for_role` before sending."""
    return {
        "id": customer.id,
        "name": customer.name,
        "tier": customer.tier,
        "vip": customer.is_vip,
        "blacklisted": customer.blacklisted,
        "id_number": customer.id_number,
        "account_manager": customer.account_manager_extension or "",
        "region": customer.region,
        "language": customer.language,
        "policies": [policy.to_dict() for policy in policies],
    }


def masked_id_number(id_number: str, role: Role) -> str:
    """Supervisors and admins see the identity number; an agent only its last four."""
    if role is Role.AGENT:
        return mask_id_number(id_number, keep_start=0, keep_end=AGENT_VISIBLE_DIGITS)
    return id_number


def for_role(pop: Mapping[str, Any], role: Role) -> dict[str, Any]:
    """A screen-pop as ``role`` may see it (the customer's identity number masked)."""
    customer = pop.get("customer")
    if not isinstance(customer, Mapping):
        return dict(pop)
    masked = {**customer, "id_number": masked_id_number(str(customer["id_number"]), role)}
    return {**pop, "customer": masked}
