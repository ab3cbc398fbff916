"""What the migration tests look at in a database: its tables, and how its schema differs from
the models'."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from crm_bridge.db import Database
from crm_bridge.models import Base

T = TypeVar("T")


def tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


def schema_diff(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def inspected(db_url: str, inspect_with: Callable[[Connection], T]) -> T:
    """``inspect_with`` run on a fresh connection to ``db_url``."""
    db = Database(db_url)
    try:
        async with db.engine.connect() as connection:
            return await connection.run_sync(inspect_with)
    finally:
        await db.close()
