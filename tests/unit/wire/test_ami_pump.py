"""The event pump with an in-memory source: a reconnect becomes one resync for every
subscriber, in order; a resync Asterisk cannot answer is skipped; a failing subscriber does
not stop the others."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import pytest

from wire.errors import AmiError
from wire.events import AmiConnected, AmiDisconnected, AmiEvent, Hangup, Resync
from wire.pump import EventPump
from wire.replies import ChannelRow

pytestmark = pytest.mark.unit

ROWS = (ChannelRow("PJSIP/carrier-1", "1.1", "1.1"),)


@dataclass
class Source:
    events: asyncio.Queue[AmiEvent] = field(default_factory=asyncio.Queue)
    answers: list[tuple[ChannelRow, ...] | AmiError] = field(default_factory=list)
    lookups: int = 0

    async def channels(self) -> tuple[ChannelRow, ...]:
        self.lookups += 1
        answer = self.answers.pop(0)
        if isinstance(answer, AmiError):
            raise answer
        return answer


def _hangup(n: int) -> Hangup:
    return Hangup(f"PJSIP/carrier-{n}", f"{n}.1", f"{n}.1", 16, "")


async def _pumped(source: Source, events: list[AmiEvent], subscribers: int) -> list[list[object]]:
    seen: list[list[object]] = [[] for _ in range(subscribers)]

    def subscriber(n: int) -> Callable[[AmiEvent], Awaitable[None]]:
        async def apply(event: AmiEvent) -> None:
            seen[n].append(event)
            if n == 0:
                raise RuntimeError("the first subscriber fails on everything")

        return apply

    pump = EventPump(source, [subscriber(n) for n in range(subscribers)])
    for event in events:
        source.events.put_nowait(event)
    task = asyncio.create_task(pump.run())
    while not source.events.empty():
        await asyncio.sleep(0)
    await asyncio.sleep(0.01)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    return seen


async def test_a_reconnect_is_one_resync_in_order_for_every_subscriber() -> None:
    source = Source(answers=[ROWS, ()])
    events: list[AmiEvent] = [
        AmiConnected(),
        _hangup(1),
        AmiDisconnected("gone"),
        _hangup(2),
        AmiConnected(),
        _hangup(3),
    ]
    seen = await _pumped(source, events, subscribers=3)
    expected = [
        Resync(ROWS),
        _hangup(1),
        AmiDisconnected("gone"),
        _hangup(2),
        Resync(()),
        _hangup(3),
    ]
    assert seen == [expected] * 3
    assert source.lookups == 2


async def test_a_resync_asterisk_cannot_answer_is_skipped() -> None:
    source = Source(answers=[AmiError("ami-timeout", "CoreShowChannels got no answer")])
    seen = await _pumped(source, [AmiConnected(), _hangup(1)], subscribers=2)
    assert seen == [[_hangup(1)]] * 2
