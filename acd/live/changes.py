"""The ACD's published changes: every Lua script that changes the live state publishes what it
did on one Redis channel, and every controller follows it (its mirror, its consoles)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import aclosing, asynccontextmanager
from dataclasses import dataclass
from typing import Any, Final

import redis.asyncio as aioredis
from redis.asyncio.client import PubSub

from acd.core.model import AgentStatus, WaitingCall
from acd.live.codec import call_from_fields, status_from_fields, text

SUBSCRIBE_TIMEOUT: Final = 5.0


@dataclass(frozen=True)
class LiveChange:
    """One published change. ``op``: agent, reserve, requeue, connect, drop, enqueue, remove,
    profile or restore. ``agent`` is the new status when an agent changed; ``call`` the call
    as it is now when it is (still) queued."""

    op: str
    agent: AgentStatus | None = None
    call_id: str = ""
    call: WaitingCall | None = None
    extension: str = ""


def change_from_json(raw: str) -> LiveChange:
    data: dict[str, Any] = json.loads(raw)
    agent, call = data.get("agent"), data.get("call")
    return LiveChange(
        op=str(data["op"]),
        agent=status_from_fields(agent) if agent else None,
        call_id=str(data.get("call_id", "")),
        call=call_from_fields(call) if call else None,
        extension=str(data.get("extension", agent["extension"] if agent else "")),
    )


@asynccontextmanager
async def subscribe(redis: aioredis.Redis, channel: str) -> AsyncIterator[Changes]:
    """The changes published on ``channel`` from the moment the block is entered."""
    async with aclosing(redis.pubsub()) as pubsub:
        await pubsub.subscribe(channel)
        while True:  # confirmed: nothing published from now on is missed
            message = await pubsub.get_message(timeout=SUBSCRIBE_TIMEOUT)
            if message is None:
                raise TimeoutError(f"no confirmation of SUBSCRIBE {channel}")
            if message["type"] == "subscribe":
                break
        yield Changes(pubsub)


class Changes:
    """The published changes, in order, as an async iterator."""

    def __init__(self, pubsub: PubSub) -> None:
        self._pubsub = pubsub

    def __aiter__(self) -> Changes:
        return self

    async def __anext__(self) -> LiveChange:
        while True:
            change = await self.next(None)
            if change is not None:
                return change

    async def next(self, timeout: float | None) -> LiveChange | None:
        """The next change, or None after ``timeout`` seconds (None: wait for ever)."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while True:
            left = None if deadline is None else max(0.0, deadline - loop.time())
            message = await self._pubsub.get_message(ignore_subscribe_messages=True, timeout=left)
            if message is not None and message.get("type") == "message":
                return change_from_json(text(message["data"]))
            if deadline is not None and loop.time() >= deadline:
                return None
