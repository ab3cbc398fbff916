"""Customers looked up by caller number (screen pop, VIP routing, blacklist)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import selectinload

from crm_bridge.models import Customer, CustomerPhone
from crm_bridge.phones import mask_id_number, phone_candidates
from crm_bridge.vocab import Tier


@dataclass(frozen=True, slots=True)
class CustomerProfile:
    id: int
    name: str
    id_number: str
    tier: str
    blacklisted: bool
    account_manager_extension: str | None
    region: str
    time_zone: str
    language: str
    phones: tuple[str, ...]

    @property
    def is_vip(self) -> bool:
        return self.tier == Tier.VIP.value

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number)


class CustomerRepository:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def by_phone(self, number: str) -> CustomerProfile | None:
        candidates = phone_candidates(number)
        if not candidates:
            return None
        query = (
            select(Customer)
            .join(CustomerPhone, CustomerPhone.customer_id == Customer.id)
            .where(CustomerPhone.number.in_(candidates))
            .options(selectinload(Customer.phones), selectinload(Customer.account_manager))
            .limit(1)
        )
        async with self._sessions() as session:
            row = await session.scalar(query)
            return None if row is None else profile_of(row)


def profile_of(row: Customer) -> CustomerProfile:
    manager = row.account_manager
    return CustomerProfile(
        id=row.id,
        name=row.name,
        id_number=row.id_number,
        tier=row.tier,
        blacklisted=row.blacklisted,
        account_manager_extension=None if manager is None else manager.extension,
        region=row.region,
        time_zone=row.time_zone,
        language=row.language,
        phones=tuple(phone.number for phone in row.phones),
    )
