"""Calls in progress, kept in Redis so every controller (and a restarted one) sees them."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime

import redis.asyncio as aioredis
from redis.typing import EncodableT, FieldT

from wire import redis_keys

CALL_TTL_SECONDS = 6 * 3600  # a call's hash outlives any real call, never a lost controller
NOTE_PREFIX = "cdr:"  # a CDR variable the engine set on the call, kept in the call's hash


@dataclass(frozen=True)
class LiveCall:
    linkedid: str
    caller_number: str
    did: str
    started: datetime
    channel: str

    def to_dict(self) -> dict[str, str]:
        data = asdict(self)
        data["started"] = self.started.astimezone(UTC).isoformat()
        return data


class LiveCallStore:
    def __init__(self, redis: aioredis.Redis, prefix: str = redis_keys.PREFIX) -> None:
        self._redis = redis
        self._prefix = prefix

    async def add(self, call: LiveCall) -> None:
        key = redis_keys.live_call(call.linkedid, self._prefix)
        async with self._redis.pipeline(transaction=True) as pipe:
            mapping: dict[FieldT, EncodableT] = {k: v for k, v in call.to_dict().items()}
            pipe.hset(key, mapping=mapping)
            pipe.expire(key, CALL_TTL_SECONDS)
            pipe.zadd(
                redis_keys.live_calls(self._prefix), {call.linkedid: call.started.timestamp()}
            )
            await pipe.execute()

    async def note(self, linkedid: str, name: str, value: str) -> None:
        """Keep a CDR variable the engine set (``ivr_path``...), for whichever controller
        writes the call's record once Asterisk lost it."""
        key = redis_keys.live_call(linkedid, self._prefix)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(key, NOTE_PREFIX + name, value)
            pipe.expire(key, CALL_TTL_SECONDS)
            await pipe.execute()

    async def notes(self, linkedid: str) -> dict[str, str]:
        """The CDR variables kept for a call, by name."""
        data = await self._redis.hgetall(redis_keys.live_call(linkedid, self._prefix))
        fields = {_text(k): _text(v) for k, v in data.items()}
        return {k[len(NOTE_PREFIX) :]: v for k, v in fields.items() if k.startswith(NOTE_PREFIX)}

    async def remove(self, *linkedids: str) -> None:
        if not linkedids:
            return
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.zrem(redis_keys.live_calls(self._prefix), *linkedids)
            pipe.delete(*(redis_keys.live_call(lid, self._prefix) for lid in linkedids))
            await pipe.execute()

    async def linkedids(self) -> list[str]:
        raw = await self._redis.zrange(redis_keys.live_calls(self._prefix), 0, -1)
        return [_text(v) for v in raw]

    async def list(self) -> list[LiveCall]:
        """Oldest first; entries whose hash expired are dropped from the index."""
        calls: list[LiveCall] = []
        stale: list[str] = []
        for linkedid in await self.linkedids():
            data = await self._redis.hgetall(redis_keys.live_call(linkedid, self._prefix))
            if not data:
                stale.append(linkedid)
                continue
            fields = {_text(k): _text(v) for k, v in data.items()}
            calls.append(
                LiveCall(
                    linkedid=fields["linkedid"],
                    caller_number=fields["caller_number"],
                    did=fields["did"],
                    started=datetime.fromisoformat(fields["started"]),
                    channel=fields["channel"],
                )
            )
        await self.remove(*stale)
        return calls


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
