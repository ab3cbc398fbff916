"""The one Redis client of a controller, built from settings: a plain URL, or the master that
Redis Sentinel names (the production topology: a primary, a replica, three Sentinels). Either
way a command that finds its connection dead (Redis restarted, or failed over) is retried on a
new one a few times before it fails, so a failover costs a pause, not an error."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.asyncio.sentinel import Sentinel
from redis.backoff import ExponentialBackoff
from redis.connection import parse_url
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from ivr_acd.settings import RedisSettings
from ivr_acd.settings_urls import host_port

TIMEOUT = 3.0  # seconds: connect, and every command
RETRIES = 5  # a failover takes Sentinel a few seconds; a restart, less
BACKOFF = ExponentialBackoff(cap=1.0, base=0.05)


def _options() -> dict[str, Any]:
    return {
        "socket_timeout": TIMEOUT,
        "socket_connect_timeout": TIMEOUT,
        "retry": Retry(BACKOFF, RETRIES),
        "retry_on_error": [RedisConnectionError, RedisTimeoutError],
    }


def _sentinel(settings: RedisSettings) -> Sentinel:
    parsed = parse_url(settings.url)  # type: ignore[no-untyped-call]  # redis-py leaves it untyped
    credentials = {k: parsed[k] for k in ("username", "password", "db") if k in parsed}
    return Sentinel(
        [host_port(address) for address in settings.sentinels],
        sentinel_kwargs={"socket_timeout": TIMEOUT, "socket_connect_timeout": TIMEOUT},
        **credentials,
    )


@contextlib.asynccontextmanager
async def open_redis(settings: RedisSettings) -> AsyncIterator[aioredis.Redis]:
    """The client (closed on exit, with the Sentinels' connections)."""
    if not settings.sentinels:
        client = aioredis.from_url(settings.url, **_options())
        try:
            yield client
        finally:
            await client.aclose()
        return
    sentinel = _sentinel(settings)
    master = sentinel.master_for(settings.master_name, **_options())
    try:
        yield master
    finally:
        await master.aclose()
        for watcher in sentinel.sentinels:
            await watcher.aclose()
