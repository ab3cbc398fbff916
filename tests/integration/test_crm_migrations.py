from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from crm_bridge.db import Database
from crm_bridge.migrate import alembic_config, current_revision, upgrade
from crm_bridge.models import Base

pytestmark = pytest.mark.integration

HEAD = ScriptDirectory.from_config(alembic_config()).get_current_head()


def _table_names(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


def _schema_diff(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def test_upgrade_from_empty_reaches_head(db_url: str) -> None:
    assert await current_revision(db_url) is None

    await upgrade(db_url)

    assert HEAD == "0002"
    assert await current_revision(db_url) == HEAD
    db = Database(db_url)
    try:
        async with db.engine.connect() as connection:
            tables = await connection.run_sync(_table_names)
    finally:
        await db.close()
    assert set(Base.metadata.tables) <= tables


async def test_upgrade_twice_is_a_no_op(db_url: str) -> None:
    await upgrade(db_url)
    await upgrade(db_url)
    assert await current_revision(db_url) == HEAD


async def test_migrations_match_models(database: Database) -> None:
    async with database.engine.connect() as connection:
        diff = await connection.run_sync(_schema_diff)
    assert diff == []
