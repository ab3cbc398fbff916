"""Engine and session construction; the only place that knows backend quirks."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

SEARCH_PATH_PARAM = "search_path"
SQLITE_FILE_MODE = 0o600


def make_engine(url: str) -> AsyncEngine:
    """Create an async engine for ``url`` (``sqlite+aiosqlite`` or ``postgresql+asyncpg``).

    SQLite: the file's folder is created, the file is private (0600) and foreign keys are
    enforced on every connection.
    PostgreSQL: an optional ``?search_path=schema`` query parameter selects the schema.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed)
    return _postgres_engine(parsed)


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


class Database:
    """An engine and its session factory, opened and closed together."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.sessions = session_factory(self.engine)

    async def close(self) -> None:
        await self.engine.dispose()


def _sqlite_engine(url: URL) -> AsyncEngine:
    database = url.database or ""
    if database and database != ":memory:" and not database.startswith("file:"):
        _private_sqlite_file(Path(database).expanduser())
    engine = create_async_engine(url, connect_args={"timeout": 30})
    event.listen(engine.sync_engine, "connect", _enable_sqlite_foreign_keys)
    return engine


def _private_sqlite_file(path: Path) -> None:
    """The CRM file (SIP secrets, identity numbers) readable by its owner only: created 0600
    before SQLite opens it (SQLite gives its -wal, -shm and -journal files the database
    file's mode), and tightened, with any journal, if an older version left it looser."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, SQLITE_FILE_MODE))
    for suffix in ("", "-wal", "-shm", "-journal"):
        with contextlib.suppress(FileNotFoundError):
            path.with_name(path.name + suffix).chmod(SQLITE_FILE_MODE)


def _enable_sqlite_foreign_keys(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys=ON")
    finally:
        cursor.close()


def _postgres_engine(url: URL) -> AsyncEngine:
    connect_args: dict[str, Any] = {}
    search_path = url.query.get(SEARCH_PATH_PARAM)
    if search_path:
        value = search_path if isinstance(search_path, str) else ",".join(search_path)
        connect_args["server_settings"] = {"search_path": value}
        url = url.difference_update_query([SEARCH_PATH_PARAM])
    return create_async_engine(url, pool_pre_ping=True, connect_args=connect_args)
