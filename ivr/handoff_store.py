"""The IVR's hand-offs, kept in Redis by linkedid so the ACD and the agent's screen-pop see what
the caller already told us."""

from __future__ import annotations

import redis.asyncio as aioredis

from ivr.handoff import Handoff
from wire import redis_keys

HANDOFF_TTL_SECONDS = 6 * 3600


class HandoffStore:
    def __init__(self, redis: aioredis.Redis, prefix: str = redis_keys.PREFIX) -> None:
        self._redis = redis
        self._prefix = prefix

    async def save(self, linkedid: str, handoff: Handoff) -> None:
        key = redis_keys.handoff(linkedid, self._prefix)
        await self._redis.set(key, handoff.to_json(), ex=HANDOFF_TTL_SECONDS)

    async def get(self, linkedid: str) -> Handoff | None:
        raw = await self._redis.get(redis_keys.handoff(linkedid, self._prefix))
        if raw is None:
            return None
        return Handoff.from_json(raw.decode() if isinstance(raw, bytes) else str(raw))
