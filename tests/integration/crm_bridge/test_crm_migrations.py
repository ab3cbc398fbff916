from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TypeVar

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import CheckConstraint, inspect, select, text
from sqlalchemy.engine import Connection

from crm_bridge.db import Database
from crm_bridge.migrate import alembic_config, current_revision, downgrade, upgrade
from crm_bridge.models import Base, Customer
from crm_bridge.seed import seed

pytestmark = pytest.mark.integration

T = TypeVar("T")
HEAD = ScriptDirectory.from_config(alembic_config()).get_current_head()
TABLES_0001 = {"agents", "agent_skills", "customers", "customer_phones", "policies", "calls"}
TABLES_0001 |= {"field_agents"}
IVR_TABLES = {"field_agent_lookups", "fraud_reports", "quotes", "payment_promises", "complaints"}


def _table_names(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names()) - {"alembic_version"}


def _schema_diff(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


def _check_names(connection: Connection) -> set[tuple[str, str]]:
    inspector = inspect(connection)
    return {
        (table, _known_name(table, str(check["name"])))
        for table in inspector.get_table_names()
        for check in inspector.get_check_constraints(table)
    }


def _known_name(table: str, name: str) -> str:
    """0001 passed full CHECK names where the naming convention expected short ones, so they
    are stored doubled (``ck_agents_ck_agents_role``); only its tables may carry that."""
    doubled = f"ck_{table}_ck_{table}_"
    if table in TABLES_0001 and name.startswith(doubled):
        return f"ck_{table}_" + name.removeprefix(doubled)
    return name


def _model_check_names() -> set[tuple[str, str]]:
    return {
        (table.name, str(constraint.name))
        for table in Base.metadata.tables.values()
        for constraint in table.constraints
        if isinstance(constraint, CheckConstraint)
    }


async def _run(db_url: str, inspect_with: Callable[[Connection], T]) -> T:
    db = Database(db_url)
    try:
        async with db.engine.connect() as connection:
            return await connection.run_sync(inspect_with)
    finally:
        await db.close()


async def test_upgrade_from_empty_reaches_head(db_url: str) -> None:
    assert await current_revision(db_url) is None

    await upgrade(db_url)

    assert HEAD == "0009"
    assert await current_revision(db_url) == HEAD
    assert await _run(db_url, _table_names) == set(Base.metadata.tables)


async def test_upgrade_twice_is_a_no_op(db_url: str) -> None:
    await upgrade(db_url)
    await upgrade(db_url)
    assert await current_revision(db_url) == HEAD


async def test_migrations_match_models(database: Database) -> None:
    async with database.engine.connect() as connection:
        diff = await connection.run_sync(_schema_diff)
        checks = await connection.run_sync(_check_names)
    assert diff == []
    assert checks == _model_check_names()  # autogenerate does not compare CHECKs


async def test_0002_keeps_data_and_downgrades_cleanly(db_url: str) -> None:
    await upgrade(db_url, "0001")
    db = Database(db_url)
    try:
        async with db.engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO customers (name, id_number, tier, blacklisted, region, "
                    "time_zone, language, created_at) VALUES ('测试客户', 'P-TEST-0001', "
                    "'gold', false, 'Zhejiang', 'Asia/Shanghai', 'zh', CURRENT_TIMESTAMP)"
                )
            )
        await upgrade(db_url)
        await seed(db.sessions, today=date(2026, 11, 22))
        async with db.sessions() as session:
            kept = await session.scalar(select(Customer).where(Customer.id_number == "P-TEST-0001"))
        assert kept is not None and kept.birth_date is None  # not a seeded identity number
    finally:
        await db.close()

    await downgrade(db_url, "0001")
    assert await current_revision(db_url) == "0001"
    tables = await _run(db_url, _table_names)
    assert not tables & IVR_TABLES
    assert ("customers", "ck_customers_tier") in await _run(db_url, _check_names)

    await upgrade(db_url)
    assert await _run(db_url, _schema_diff) == []
    assert await _run(db_url, _check_names) == _model_check_names()
