"""What a worker's client and its phones share: the JSON messages, the errors, deadlines, and
the inbox where the events of one call or one account wait in arrival order."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

Json = dict[str, Any]
DEFAULT_TIMEOUT = 10.0


class PhoneError(RuntimeError):
    """The worker refused a command, or a call ended while something else was awaited."""


class PhoneTimeout(TimeoutError):
    """Nothing happened in time; ``what`` names what was awaited."""

    def __init__(self, what: str, timeout: float) -> None:
        super().__init__(f"timed out after {timeout:g}s waiting for {what}")
        self.what = what
        self.timeout = timeout


@dataclass
class Inbox:
    """Events of one call or account, in arrival order."""

    queue: asyncio.Queue[Json] = field(default_factory=asyncio.Queue)

    async def next(self, what: str, deadline: Deadline) -> Json:
        try:
            return await asyncio.wait_for(self.queue.get(), deadline.remaining())
        except TimeoutError:
            raise PhoneTimeout(what, deadline.total) from None


@dataclass(frozen=True)
class Deadline:
    at: float
    total: float

    def remaining(self) -> float:
        return max(self.at - asyncio.get_running_loop().time(), 0.0)


def deadline_in(timeout_s: float) -> Deadline:
    return Deadline(asyncio.get_running_loop().time() + timeout_s, timeout_s)
