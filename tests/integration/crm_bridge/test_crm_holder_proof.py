"""Proof of who holds a customer's policies (issue 11, finding 5), on SQLite and PostgreSQL:
what the CRM gives the IVR to check it, and failed proofs logged with the badge look-ups so both
count toward one lock-out per caller number."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select, text

from crm_bridge.db import Database
from crm_bridge.migrate import downgrade, upgrade
from crm_bridge.models import Customer, CustomerPhone
from crm_bridge.repositories import FieldAgentRepository, PolicyRepository
from crm_bridge.seed import seed
from crm_bridge.seed_data import LIU_YANG

pytestmark = [pytest.mark.integration, pytest.mark.security]

TODAY = date(2026, 11, 22)
T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


@pytest.fixture
async def seeded(database: Database) -> Database:
    await seed(database.sessions, today=TODAY)
    return database


async def _customer_of(db: Database, number: str) -> int:
    async with db.sessions() as session:
        found = await session.scalar(
            select(Customer.id).join(CustomerPhone).where(CustomerPhone.number == number)
        )
    assert found is not None
    return found


async def test_the_proof_is_the_birth_date_and_the_identity_numbers_last_four(
    seeded: Database,
) -> None:
    policies = PolicyRepository(seeded.sessions, lambda: TODAY)
    proof = await policies.holder_proof(await _customer_of(seeded, "13800138003"))
    assert proof is not None
    assert (proof.birth_date, proof.id_number_tail) == (date(1992, 11, 11), LIU_YANG[-4:])
    assert await policies.holder_proof(999_999) is None


async def test_failed_proofs_and_failed_badges_share_one_lock_out(seeded: Database) -> None:
    agents = FieldAgentRepository(seeded.sessions, now=lambda: T0)
    await agents.log_lookup("139", "555", "unknown", "l.1")
    await agents.log_lookup("139", "", "holder_unconfirmed", "l.2")
    await agents.log_lookup("139", "", "holder_unconfirmed", "l.3")
    await agents.log_lookup("138", "", "holder_unconfirmed", "l.4")
    assert await agents.failed_lookups_since("139", T0 - timedelta(minutes=1)) == 3
    assert await agents.failed_lookups_since("138", T0 - timedelta(minutes=1)) == 1


async def test_0006_allows_the_new_outcome_and_downgrades_cleanly(db_url: str) -> None:
    insert = text(
        "INSERT INTO field_agent_lookups (caller_number, badge_number, outcome, linkedid, "
        "created_at) VALUES ('139', '', :outcome, 'l.1', CURRENT_TIMESTAMP)"
    )
    count = text("SELECT outcome FROM field_agent_lookups ORDER BY outcome")
    await upgrade(db_url)
    db = Database(db_url)
    try:
        async with db.engine.begin() as connection:
            await connection.execute(insert, {"outcome": "holder_unconfirmed"})
            await connection.execute(insert, {"outcome": "unknown"})
        await downgrade(db_url, "0005")
        async with db.engine.begin() as connection:
            assert list((await connection.execute(count)).scalars()) == ["unknown"]
        with pytest.raises(Exception, match=r"(?i)check"):
            async with db.engine.begin() as connection:
                await connection.execute(insert, {"outcome": "holder_unconfirmed"})
        await upgrade(db_url)
        async with db.engine.begin() as connection:
            await connection.execute(insert, {"outcome": "holder_unconfirmed"})
            with pytest.raises(Exception, match=r"(?i)check"):
                async with connection.begin_nested():
                    await connection.execute(insert, {"outcome": "maybe"})
    finally:
        await db.close()
