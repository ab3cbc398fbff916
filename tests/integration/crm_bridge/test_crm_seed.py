from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select, update

from crm_bridge.agent_repository import AgentRepository
from crm_bridge.customer_repository import CustomerRepository
from crm_bridge.db import Database
from crm_bridge.models import Agent, AgentSkill, Customer, CustomerPhone, FieldAgent, Policy
from crm_bridge.seed import seed

pytestmark = pytest.mark.integration

MODELS = (Agent, AgentSkill, Customer, CustomerPhone, Policy, FieldAgent)


async def _counts(db: Database) -> dict[str, int]:
    async with db.sessions() as session:
        return {
            model.__tablename__: int(
                await session.scalar(select(func.count()).select_from(model)) or 0
            )
            for model in MODELS
        }


async def _snapshot(db: Database) -> list[tuple[object, ...]]:
    async with db.sessions() as session:
        agents = (await session.execute(select(Agent.extension, Agent.sip_secret))).all()
        policies = (await session.execute(select(Policy.number, Policy.premium))).all()
        births = (await session.execute(select(Customer.id_number, Customer.birth_date))).all()
    return sorted((str(a), str(b)) for a, b in [*agents, *policies, *births])


async def test_seed_twice_changes_nothing(database: Database) -> None:
    first = await seed(database.sessions)
    counts, snapshot = await _counts(database), await _snapshot(database)

    second = await seed(database.sessions)

    assert first.agents == 9 and first.field_agents == 8
    assert first.customers == 12 and first.policies == 21
    assert second.total == 0
    assert await _counts(database) == counts
    assert await _snapshot(database) == snapshot


async def test_seeded_customers_fit_the_demo(database: Database) -> None:
    await seed(database.sessions)
    customers = CustomerRepository(database.sessions)

    zhang = await customers.by_phone("+86 138 0013 8000")
    blacklisted = await customers.by_phone("13900000666")
    vip = await customers.by_phone("13800138001")

    assert zhang is not None and zhang.name == "张伟" and zhang.tier == "standard"
    assert zhang.masked_id_number.startswith("110") and "*" in zhang.masked_id_number
    assert blacklisted is not None and blacklisted.blacklisted
    assert vip is not None and vip.is_vip and vip.account_manager_extension == "8005"
    assert await customers.by_phone("10000000000") is None


async def test_seeded_policies_and_field_agents(database: Database) -> None:
    today = date(2025, 3, 1)
    await seed(database.sessions, today=today)
    async with database.sessions() as session:
        overdue = (await session.scalars(select(Policy).where(Policy.status == "overdue"))).all()
        paid = await session.scalar(select(func.count()).where(Policy.paid_date.is_not(None)))
        vips = (await session.scalars(select(Customer).where(Customer.tier == "vip"))).all()
        zones = set((await session.scalars(select(Customer.time_zone))).all())
        fa_status = set((await session.scalars(select(FieldAgent.status))).all())
        expired = await session.scalar(
            select(func.count()).where(
                FieldAgent.status == "active", FieldAgent.licence_expiry < today
            )
        )

    assert len(overdue) >= 3
    assert all(p.due_date < today and p.paid_date is None for p in overdue)
    assert (paid or 0) >= 3
    assert len(vips) == 3 and all(c.account_manager_id is not None for c in vips)
    assert {"Asia/Shanghai", "Asia/Urumqi", "Europe/London"} <= zones
    assert fa_status == {"active", "suspended", "terminated"}
    assert expired == 1


async def test_provisioned_agents_have_generated_secrets(database: Database) -> None:
    await seed(database.sessions)
    agents = AgentRepository(database.sessions)

    endpoints = await agents.list_provisioned()
    profile = await agents.by_extension("8005")

    assert [e.extension for e in endpoints] == [*(f"800{i}" for i in range(1, 7)), "9001", "9002"]
    assert {e.role for e in endpoints} == {"agent", "supervisor"}
    assert len({e.sip_secret for e in endpoints}) == len(endpoints)
    assert all(len(e.sip_secret) >= 16 for e in endpoints)
    assert endpoints[0].sip_secret not in repr(endpoints[0])
    assert profile is not None and profile.skills["vip"] == 5 and "en" in profile.languages
    assert await agents.by_extension("7777") is None


async def test_console_login(database: Database) -> None:
    await seed(database.sessions)
    agents = AgentRepository(database.sessions)

    assert await agents.authenticate("9001", "secret-pass") is None
    assert await agents.set_password("9001", "secret-pass") is True
    assert await agents.set_password("7777", "secret-pass") is False
    supervisor = await agents.authenticate("9001", "secret-pass")

    assert supervisor is not None and supervisor.role == "supervisor"
    assert await agents.authenticate("9001", "wrong") is None
    assert await agents.authenticate("7777", "secret-pass") is None


async def test_seeded_customers_have_birth_dates(database: Database) -> None:
    await seed(database.sessions)
    async with database.sessions() as session:
        births = dict((await session.execute(select(Customer.name, Customer.birth_date))).all())
    assert None not in births.values()
    assert births["张伟"] == date(1985, 3, 7) and births["陈静"] == date(1983, 2, 28)
    assert births["James Smith"] == date(1979, 4, 23)  # a passport number: given in the seed


async def test_seed_fills_in_missing_birth_dates_of_seeded_customers_only(
    database: Database,
) -> None:
    await seed(database.sessions)
    async with database.sessions.begin() as session:
        session.add(
            Customer(
                name="客户",
                id_number="110101199001011234",
                region="Beijing",
                time_zone="Asia/Shanghai",
                language="zh",
            )
        )
        await session.execute(update(Customer).values(birth_date=None))

    again = await seed(database.sessions)

    async with database.sessions() as session:
        births = dict((await session.execute(select(Customer.name, Customer.birth_date))).all())
    assert again.total == 0
    assert births.pop("客户") is None  # not ours to fill in
    assert None not in births.values() and births["张伟"] == date(1985, 3, 7)
