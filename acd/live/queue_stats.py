"""Today's figures per queue, counted in Redis so every controller adds to the same numbers:
offered, answered, abandoned, answered within the service-level threshold, the summed wait of
answered calls (ASA) and the recent handle times (EWT)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime

import redis.asyncio as aioredis

from acd.core.model import QueueFigures
from wire import redis_keys

HANDLE_TIMES_KEPT = 50
STATS_TTL_SECONDS = 3 * 86400


def figures_from(queue: str, raw: Mapping[str, str]) -> QueueFigures:
    return QueueFigures(
        queue=queue,
        offered=int(raw.get("offered", 0)),
        answered=int(raw.get("answered", 0)),
        abandoned=int(raw.get("abandoned", 0)),
        within_sl=int(raw.get("within_sl", 0)),
        wait_sum=float(raw.get("wait_sum", 0.0)),
    )


class QueueStats:
    def __init__(
        self,
        redis: aioredis.Redis,
        prefix: str,
        *,
        sl_seconds: float = 20.0,
        today: Callable[[], str] = lambda: datetime.now(UTC).date().isoformat(),
    ) -> None:
        self._redis = redis
        self._prefix = prefix
        self.sl_seconds = sl_seconds
        self._today = today

    async def _count(self, queue: str, **increments: float) -> None:
        day = self._today()
        key = redis_keys.acd_stats(day, queue, self._prefix)
        async with self._redis.pipeline(transaction=True) as pipe:
            for name, amount in increments.items():
                if isinstance(amount, int):
                    pipe.hincrby(key, name, amount)
                else:
                    pipe.hincrbyfloat(key, name, amount)
            pipe.expire(key, STATS_TTL_SECONDS)
            pipe.sadd(redis_keys.acd_stats_queues(day, self._prefix), queue)
            pipe.expire(redis_keys.acd_stats_queues(day, self._prefix), STATS_TTL_SECONDS)
            await pipe.execute()

    async def offered(self, queue: str) -> None:
        await self._count(queue, offered=1)

    async def answered(self, queue: str, waited: float) -> None:
        within = 1 if waited <= self.sl_seconds else 0
        await self._count(queue, answered=1, within_sl=within, wait_sum=float(waited))

    async def abandoned(self, queue: str) -> None:
        await self._count(queue, abandoned=1)

    async def handled(self, queue: str, seconds: float) -> None:
        key = redis_keys.acd_handle_times(queue, self._prefix)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.lpush(key, f"{seconds:.1f}")
            pipe.ltrim(key, 0, HANDLE_TIMES_KEPT - 1)
            await pipe.execute()

    async def handle_times(self, queue: str) -> list[float]:
        raw = await self._redis.lrange(redis_keys.acd_handle_times(queue, self._prefix), 0, -1)
        return [float(v) for v in raw]

    async def today(self) -> list[QueueFigures]:
        day = self._today()
        queues = sorted(
            (q.decode() if isinstance(q, bytes) else str(q))
            for q in await self._redis.smembers(redis_keys.acd_stats_queues(day, self._prefix))
        )
        figures = []
        for queue in queues:
            raw = await self._redis.hgetall(redis_keys.acd_stats(day, queue, self._prefix))
            decoded = {
                (k.decode() if isinstance(k, bytes) else str(k)): (
                    v.decode() if isinstance(v, bytes) else str(v)
                )
                for k, v in raw.items()
            }
            figures.append(figures_from(queue, decoded))
        return figures
