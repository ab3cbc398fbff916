"""One controller dials a campaign at a time: the campaign lease in the real Redis."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from acd.dunning.lease import CampaignLease

pytestmark = pytest.mark.integration


@pytest.fixture
async def redis() -> AsyncIterator[aioredis.Redis]:
    client = aioredis.from_url("redis://127.0.0.1:6379/0")
    try:
        yield client
    finally:
        await client.aclose()


@pytest.fixture
def prefix() -> str:
    return f"ivracd:lease-test-{uuid.uuid4().hex[:8]}"


async def test_one_holder_at_a_time_and_a_handover_when_it_lapses(
    redis: aioredis.Redis, prefix: str
) -> None:
    first = CampaignLease(redis, prefix, "host-a:4573", ttl_seconds=0.5)
    second = CampaignLease(redis, prefix, "host-b:4573", ttl_seconds=0.5)
    assert await first.hold("dun-nov")
    assert not await second.hold("dun-nov")
    assert await first.hold("dun-nov")  # renewed
    assert await first.holder("dun-nov") == "host-a:4573"
    await asyncio.sleep(0.7)  # the holder died: nobody renewed
    assert await second.hold("dun-nov")
    assert not await first.hold("dun-nov")
    await first.release("dun-nov")  # not the holder: nothing happens
    assert await second.holder("dun-nov") == "host-b:4573"
    await second.release("dun-nov")
    assert await second.holder("dun-nov") is None


async def test_a_restarted_controller_takes_its_own_lease_back_at_once(
    redis: aioredis.Redis, prefix: str
) -> None:
    before = CampaignLease(redis, prefix, "host-a:4573", ttl_seconds=30)
    assert await before.hold("dun-nov")
    after = CampaignLease(redis, prefix, "host-a:4573", ttl_seconds=30)  # same owner id
    assert await after.hold("dun-nov")
    await after.release("dun-nov")


async def test_recent_starts_are_kept_for_the_rate_cap(redis: aioredis.Redis, prefix: str) -> None:
    lease = CampaignLease(redis, prefix, "host-a:4573", ttl_seconds=30)
    await lease.note_starts("dun-nov", [99.0, 100.5, 159.9], now=160.0)  # 99.0: too old
    assert await lease.recent_starts("dun-nov", now=160.0) == [100.5, 159.9]
    await lease.note_starts("dun-nov", [170.0], now=170.0)  # older than a minute are dropped
    assert await lease.recent_starts("dun-nov", now=170.0) == [159.9, 170.0]
