"""Only one controller dials a campaign at a time: a lease in Redis per campaign, held by the
controller that dials it and renewed while it does. A controller that dies stops renewing; once
the lease runs out another one takes the campaign over (and resolves the attempts left in
progress). A restarted controller has the same owner id, so it takes its own lease back at
once. Recent call starts are kept beside the lease, so the calls-per-second cap holds across
a hand-over."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

import redis.asyncio as aioredis

from wire import redis_keys

STARTS_KEPT_SECONDS: Final = 60.0

# KEYS: lease; ARGV: owner, ttl ms. 1 when ``owner`` holds it afterwards.
_ACQUIRE = """
local holder = redis.call('GET', KEYS[1])
if not holder then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


class CampaignLease:
    def __init__(self, redis: aioredis.Redis, prefix: str, owner: str, ttl_seconds: float) -> None:
        self.redis = redis
        self.prefix = prefix
        self.owner = owner
        self.ttl_ms = int(ttl_seconds * 1000)
        self._acquire = redis.register_script(_ACQUIRE)
        self._release = redis.register_script(_RELEASE)

    async def hold(self, campaign_id: str) -> bool:
        """Take or renew the campaign's lease; False while another controller holds it."""
        key = redis_keys.dialer_lease(campaign_id, self.prefix)
        return bool(await self._acquire(keys=[key], args=[self.owner, self.ttl_ms]))

    async def release(self, campaign_id: str) -> None:
        key = redis_keys.dialer_lease(campaign_id, self.prefix)
        await self._release(keys=[key], args=[self.owner])

    async def holder(self, campaign_id: str) -> str | None:
        raw = await self.redis.get(redis_keys.dialer_lease(campaign_id, self.prefix))
        return None if raw is None else raw.decode() if isinstance(raw, bytes) else str(raw)

    async def recent_starts(self, campaign_id: str, now: float) -> list[float]:
        key = redis_keys.dialer_starts(campaign_id, self.prefix)
        raw = await self.redis.zrangebyscore(key, now - STARTS_KEPT_SECONDS, "+inf")
        return [float(v.decode() if isinstance(v, bytes) else str(v)) for v in raw]

    async def note_starts(self, campaign_id: str, starts: Iterable[float], now: float) -> None:
        key = redis_keys.dialer_starts(campaign_id, self.prefix)
        members = {repr(at): at for at in starts}
        async with self.redis.pipeline(transaction=True) as pipe:
            if members:
                pipe.zadd(key, members)
            pipe.zremrangebyscore(key, "-inf", now - STARTS_KEPT_SECONDS)
            pipe.expire(key, int(STARTS_KEPT_SECONDS * 2))
            await pipe.execute()
