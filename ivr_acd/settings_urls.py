"""The settings' service URLs, checked when the settings load (not at the first connection) by
the parsers of the libraries that will use them: redis-py and SQLAlchemy."""

from __future__ import annotations

from redis.connection import parse_url
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError


def check_redis_url(url: str) -> None:
    """``url`` as redis-py reads it; ValueError (its reason) if it cannot."""
    try:
        parse_url(url)  # type: ignore[no-untyped-call]  # redis-py leaves it untyped
    except ValueError as exc:
        raise ValueError(f"not a Redis URL ({exc})") from None


def check_database_url(url: str) -> None:
    """``url`` as SQLAlchemy reads it, naming an asyncio driver; ValueError if not."""
    try:
        dialect = make_url(url).get_dialect()
    except NoSuchModuleError as exc:
        raise ValueError(f"unknown database driver ({exc})") from None
    except (ArgumentError, ValueError) as exc:
        raise ValueError(f"not a SQLAlchemy database URL ({exc})") from None
    if not dialect.is_async:
        raise ValueError(
            "the driver is not an asyncio one (use postgresql+asyncpg:// or sqlite+aiosqlite://)"
        )
