"""The settings' service URLs and addresses, checked when the settings load (not at the first
connection), the URLs by the parsers of the libraries that will use them: redis-py and
SQLAlchemy."""

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


def host_port(address: str) -> tuple[str, int]:
    """``host:port`` (``[::1]:26379`` for IPv6) -> (host, port); ValueError if it is not one."""
    host, sep, port = address.rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"not host:port: {address!r}")
    return host, int(port)


def check_host_port(address: str) -> None:
    host_port(address)


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
