"""The ACD's Lua scripts (``acd/lua/``), one per kind of change, registered once per Redis
client: each change of the live state is then one EVALSHA."""

from __future__ import annotations

from importlib import resources
from typing import Final

import redis.asyncio as aioredis
from redis.commands.core import AsyncScript

NAMES: Final = (
    "apply",
    "reserve",
    "enqueue",
    "remove_call",
    "put_profile",
    "restore",
    "to_callback",
)


def source(name: str) -> str:
    return resources.files("acd").joinpath("lua", f"{name}.lua").read_text(encoding="utf-8")


class Scripts:
    def __init__(self, redis: aioredis.Redis) -> None:
        self._redis = redis
        self._scripts: dict[str, AsyncScript] = {
            name: redis.register_script(source(name)) for name in NAMES
        }

    def __getitem__(self, name: str) -> AsyncScript:
        return self._scripts[name]

    async def load(self) -> None:
        """Optional warm-up: afterwards every change is exactly one EVALSHA."""
        for script in self._scripts.values():
            script.sha = await self._redis.script_load(script.script)
