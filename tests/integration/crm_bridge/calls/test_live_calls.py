"""Calls in progress in the real Redis (127.0.0.1:6379), under a prefix of the test's own."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
import redis.asyncio as aioredis

from crm_bridge.calls.live import CALL_TTL_SECONDS, LiveCall, LiveCallStore
from wire import redis_keys

pytestmark = pytest.mark.integration

T0 = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


@pytest.fixture
async def store() -> AsyncIterator[tuple[aioredis.Redis, LiveCallStore, str]]:
    client = aioredis.from_url("redis://127.0.0.1:6379/0")
    prefix = f"test-{uuid.uuid4().hex[:8]}"
    try:
        yield client, LiveCallStore(client, prefix), prefix
    finally:
        keys = [k async for k in client.scan_iter(f"{prefix}:*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()


def call(linkedid: str, minutes: int) -> LiveCall:
    return LiveCall(
        linkedid,
        "13800138000",
        "4008001000",
        T0 + timedelta(minutes=minutes),
        f"PJSIP/carrier-{linkedid}",
    )


async def test_calls_are_listed_oldest_first_and_removed(
    store: tuple[aioredis.Redis, LiveCallStore, str],
) -> None:
    client, live, prefix = store
    await live.add(call("b", 2))
    await live.add(call("a", 1))
    await live.add(call("a", 1))  # idempotent
    assert [c.linkedid for c in await live.list()] == ["a", "b"]
    assert (await live.list())[0] == call("a", 1)
    ttl = await client.ttl(redis_keys.live_call("a", prefix))
    assert 0 < ttl <= CALL_TTL_SECONDS
    await live.remove("a")
    assert await live.linkedids() == ["b"]
    assert not await client.exists(redis_keys.live_call("a", prefix))


async def test_an_expired_call_drops_out_of_the_index(
    store: tuple[aioredis.Redis, LiveCallStore, str],
) -> None:
    client, live, prefix = store
    await live.add(call("gone", 0))
    await client.delete(redis_keys.live_call("gone", prefix))
    assert await live.list() == []
    assert await live.linkedids() == []
