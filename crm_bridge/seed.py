"""Idempotent demo data: inserts what is missing (by natural key), never changes a row, except
to fill in the birth date of a seeded customer that has none (seeded before revision 0002)."""

from __future__ import annotations

import asyncio
import random
import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import InstrumentedAttribute

from crm_bridge import seed_data as data
from crm_bridge.agent_specs import check_text
from crm_bridge.models import Agent, AgentSkill, Customer, CustomerPhone, FieldAgent, Policy
from crm_bridge.passwords import hash_password
from crm_bridge.phones import cn_id_birth_date

SECRET_BYTES = 18
CENT = Decimal("0.01")


@dataclass(frozen=True)
class SeedSummary:
    """How many rows of each kind this run created (all zero on a second run)."""

    agents: int
    customers: int
    policies: int
    field_agents: int

    @property
    def total(self) -> int:
        return self.agents + self.customers + self.policies + self.field_agents


async def seed(
    sessions: async_sessionmaker[AsyncSession], *, rng_seed: int = 7, today: date | None = None
) -> SeedSummary:
    """Insert the demo agents, customers, policies and field agents that are missing.

    Secrets (SIP passwords, console passwords) are generated here and never returned; the
    console password is random and only its hash is stored (set a real one later).
    """
    rng = random.Random(rng_seed)
    day = today or date.today()
    async with sessions.begin() as session:
        agents = await _seed_agents(session)
        agent_ids = await _ids(session, Agent.extension, Agent.id)
        customers = await _seed_customers(session, agent_ids)
        customer_ids = await _ids(session, Customer.id_number, Customer.id)
        policies = await _seed_policies(session, customer_ids, rng, day)
        field_agents = await _seed_field_agents(session, day)
    return SeedSummary(agents, customers, policies, field_agents)


async def _ids(
    session: AsyncSession, key: InstrumentedAttribute[str], ident: InstrumentedAttribute[int]
) -> dict[str, int]:
    rows = (await session.execute(select(key, ident))).all()
    return {k: i for k, i in rows}


async def _seed_agents(session: AsyncSession) -> int:
    existing = set((await session.scalars(select(Agent.extension))).all())
    missing = [seed for seed in data.AGENTS if seed.extension not in existing]
    hashes = await asyncio.gather(*(_random_password_hash() for _ in missing))
    session.add_all(_new_agent(item, hashed) for item, hashed in zip(missing, hashes, strict=True))
    await session.flush()
    return len(missing)


async def _random_password_hash() -> str:
    return await asyncio.to_thread(hash_password, secrets.token_urlsafe(SECRET_BYTES))


def _new_agent(item: data.AgentSeed, password_hash: str) -> Agent:
    """The seed's agent, its name and team checked as the API checks them (both are rendered
    into pjsip.conf and shown on phones)."""
    return Agent(
        extension=item.extension,
        name=check_text("name", item.name),
        password_hash=password_hash,
        sip_secret=secrets.token_urlsafe(SECRET_BYTES),
        languages=list(item.languages),
        team=check_text("team", item.team),
        role=item.role.value,
        wrapup_seconds=item.wrapup_seconds,
        skills=[AgentSkill(skill=skill, level=level) for skill, level in item.skills],
    )


async def _seed_customers(session: AsyncSession, agent_ids: dict[str, int]) -> int:
    existing = set((await session.scalars(select(Customer.id_number))).all())
    missing = [seed for seed in data.CUSTOMERS if seed.id_number not in existing]
    for item in missing:
        manager = agent_ids.get(item.account_manager) if item.account_manager else None
        session.add(_new_customer(item, manager))
    await session.flush()
    await _backfill_birth_dates(session)
    return len(missing)


def birth_date_of(item: data.CustomerSeed) -> date | None:
    """The seed's own birth date, else the one its Chinese identity number carries."""
    return item.birth_date or cn_id_birth_date(item.id_number)


async def _backfill_birth_dates(session: AsyncSession) -> None:
    """Seeded customers without a birth date get theirs; other customers are left alone."""
    wanted = {item.id_number: birth_date_of(item) for item in data.CUSTOMERS}
    query = select(Customer).where(
        Customer.birth_date.is_(None), Customer.id_number.in_(list(wanted))
    )
    for customer in await session.scalars(query):
        customer.birth_date = wanted[customer.id_number]
    await session.flush()


def _new_customer(item: data.CustomerSeed, manager_id: int | None) -> Customer:
    return Customer(
        name=item.name,
        id_number=item.id_number,
        tier=item.tier.value,
        blacklisted=item.blacklisted,
        account_manager_id=manager_id,
        region=item.region,
        time_zone=item.time_zone,
        language=item.language,
        birth_date=birth_date_of(item),
        phones=[CustomerPhone(number=number, kind=kind) for number, kind in item.phones],
    )


async def _seed_policies(
    session: AsyncSession, customer_ids: dict[str, int], rng: random.Random, today: date
) -> int:
    existing = set((await session.scalars(select(Policy.number))).all())
    created = 0
    for item in data.POLICIES:
        premium = _premium(item, rng)  # drawn for every policy so amounts never shift
        if item.number in existing:
            continue
        session.add(_new_policy(item, customer_ids[item.customer_id_number], premium, today))
        created += 1
    await session.flush()
    return created


def _premium(item: data.PolicySeed, rng: random.Random) -> Decimal:
    low, high = data.PREMIUM_RANGES[item.product]
    return (Decimal(rng.randint(low * 100, high * 100)) / 100).quantize(CENT)


def _new_policy(item: data.PolicySeed, customer_id: int, premium: Decimal, today: date) -> Policy:
    paid = None if item.paid_days_ago is None else today - timedelta(days=item.paid_days_ago)
    return Policy(
        number=item.number,
        customer_id=customer_id,
        product=item.product.value,
        premium=premium,
        due_date=today + timedelta(days=item.due_in_days),
        status=item.status.value,
        paid_date=paid,
    )


async def _seed_field_agents(session: AsyncSession, today: date) -> int:
    existing = set((await session.scalars(select(FieldAgent.badge_number))).all())
    missing = [seed for seed in data.FIELD_AGENTS if seed.badge_number not in existing]
    for item in missing:
        session.add(
            FieldAgent(
                badge_number=item.badge_number,
                name=item.name,
                branch=item.branch,
                status=item.status.value,
                licence_expiry=today + timedelta(days=item.licence_days_left),
                phone=item.phone,
            )
        )
    await session.flush()
    return len(missing)
