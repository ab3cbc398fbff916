"""Run the Alembic migrations programmatically, from inside a running event loop."""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import InterfaceError, OperationalError

from crm_bridge.db import make_engine
from crm_bridge.errors import CrmUnavailableError

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str | None = None) -> Config:
    """An Alembic config built in code (no ini file); ``url`` is only used by the CLI path."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


async def upgrade(url: str, revision: str = "head") -> None:
    """Upgrade the database at ``url`` to ``revision`` (default: the newest)."""
    engine = make_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_upgrade, revision)
    finally:
        await engine.dispose()


async def downgrade(url: str, revision: str) -> None:
    """Downgrade the database at ``url`` to ``revision`` (``"base"``: drop everything)."""
    engine = make_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_downgrade, revision)
    finally:
        await engine.dispose()


async def current_revision(url: str) -> str | None:
    """The revision the database at ``url`` is at; ``None`` for an empty database."""
    engine = make_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(_current_revision)
    finally:
        await engine.dispose()


async def upgrade_when_reachable(url: str, wait_s: float, retry_s: float = 1.0) -> None:
    """Start-up: migrate, waiting up to ``wait_s`` for a database that is not up yet; then
    raise :class:`CrmUnavailableError` naming the server (never the password)."""
    deadline = time.monotonic() + wait_s
    while True:
        try:
            await upgrade(url)
            return
        except (OSError, OperationalError, InterfaceError) as exc:
            where = make_url(url).render_as_string(hide_password=True)
            if time.monotonic() >= deadline:
                raise CrmUnavailableError(f"database {where} is unreachable: {exc}") from exc
            log.warning("database %s not reachable yet (%s); retrying", where, exc)
            await asyncio.sleep(retry_s)


def _upgrade(connection: Connection, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


def _downgrade(connection: Connection, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.downgrade(config, revision)


def _current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()
