"""Database URLs for the CRM integration tests: a SQLite file and a fresh PostgreSQL schema.

PostgreSQL is required: when it is unreachable the postgresql-parametrised tests error out.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from crm_bridge.db import Database
from crm_bridge.migrate import upgrade

PG_URL = os.environ.get("IVR_ACD_TEST_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")


async def _pg_execute(sql: str) -> None:
    engine = create_async_engine(PG_URL)
    try:
        async with engine.begin() as connection:
            await connection.execute(text(sql))
    finally:
        await engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
async def db_url(request: pytest.FixtureRequest, tmp_path: os.PathLike[str]) -> AsyncIterator[str]:
    """An empty database; PostgreSQL gets its own schema, dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path}/crm.db"
        return
    schema = f"crm_test_{uuid.uuid4().hex[:12]}"
    await _pg_execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{PG_URL}?search_path={schema}"
    finally:
        await _pg_execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
async def migrated_url(db_url: str) -> str:
    await upgrade(db_url)
    return db_url


@pytest.fixture
async def database(migrated_url: str) -> AsyncIterator[Database]:
    db = Database(migrated_url)
    try:
        yield db
    finally:
        await db.close()
