"""Finding 4 of issue 11: the SQLite CRM (SIP secrets, identity numbers) was world-readable.
Now the file is created 0600, an older, looser one is tightened, and SQLite's WAL and
shared-memory files take the same mode."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from sqlalchemy import text

from crm_bridge.db import Database
from crm_bridge.migrate import upgrade

pytestmark = [pytest.mark.integration, pytest.mark.security]


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def test_a_new_crm_file_and_its_wal_files_are_private(tmp_path: Path) -> None:
    path = tmp_path / "state" / "crm.db"
    url = f"sqlite+aiosqlite:///{path}"
    await upgrade(url)
    assert _mode(path) == 0o600
    database = Database(url)
    try:
        async with database.engine.connect() as connection:
            await connection.execute(text("PRAGMA journal_mode=WAL"))
            await connection.execute(text("CREATE TABLE probe (x INTEGER)"))
            await connection.execute(text("INSERT INTO probe VALUES (1)"))
            await connection.commit()
            journals = [path.with_name(f"crm.db{suffix}") for suffix in ("-wal", "-shm")]
            assert all(journal.exists() for journal in journals)
            assert [_mode(journal) for journal in journals] == [0o600, 0o600]
    finally:
        await database.close()


async def test_an_existing_world_readable_crm_file_is_tightened(tmp_path: Path) -> None:
    path = tmp_path / "crm.db"
    url = f"sqlite+aiosqlite:///{path}"
    await upgrade(url)
    for suffix in ("", "-wal"):
        path.with_name(f"crm.db{suffix}").touch()
        path.with_name(f"crm.db{suffix}").chmod(0o644)
    database = Database(url)
    await database.close()
    assert _mode(path) == 0o600 and _mode(path.with_name("crm.db-wal")) == 0o600
