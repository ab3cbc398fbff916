"""The console hub with in-memory fakes: a console gets hello and a snapshot on connect, each
ACD change as events, snapshots only when something but the clock changed, screen-pops on the
desktop they are for (masked for an agent), and a console that cannot keep up is dropped."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping
from typing import Any

import pytest

from acd.core.model import AgentProfile, AgentState, AgentStatus
from acd.live.changes import LiveChange
from crm_bridge.vocab import Role
from ivr_acd.web.console.hub import PAUSE_REASONS, ConsoleHub, Subscription
from ivr_acd.web.console.view import Viewer

pytestmark = pytest.mark.unit

PROFILES = {"8001": AgentProfile("8001", "Wang", {"service": 4}, frozenset({"zh"}), "t", 0)}


class FakeBoard:
    def __init__(self) -> None:
        self.board: dict[str, Any] = {"at": "2026-11-23T01:00:00+00:00", "queues": [], "agents": []}
        self.statuses: dict[str, AgentStatus] = {}

    async def snapshot(self) -> dict[str, Any]:
        return dict(self.board)

    def profiles(self) -> Mapping[str, AgentProfile]:
        return PROFILES

    async def status(self, extension: str) -> AgentStatus:
        return self.statuses.get(extension, AgentStatus(extension))


class FakePops:
    def __init__(self) -> None:
        self.asked: list[tuple[str, str]] = []

    async def for_offer(self, extension: str, call_id: str) -> dict[str, Any] | None:
        self.asked.append((extension, call_id))
        return {
            "type": "screen-pop",
            "agent": extension,
            "call": call_id,
            "customer": {"name": "陈静", "id_number": "110101199003074578"},
        }


class FakeFeed:
    """The Redis channel: changes put here come out of ``subscribe()``."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[LiveChange] = asyncio.Queue()

    @contextlib.asynccontextmanager
    async def subscribe(self) -> AsyncIterator[AsyncIterator[LiveChange]]:
        async def changes() -> AsyncIterator[LiveChange]:
            while True:
                yield await self.queue.get()

        yield changes()


async def drain(subscription: Subscription) -> list[dict[str, Any]]:
    seen = []
    while True:
        try:
            event = await asyncio.wait_for(subscription.next(), 0.05)
        except TimeoutError:
            return seen
        assert event is not None
        seen.append(event)


def reserved(extension: str, call_id: str) -> AgentStatus:
    return AgentStatus(extension, AgentState.RESERVED, since=10.0, call_id=call_id, version=4)


async def test_a_console_gets_hello_a_snapshot_then_the_changes() -> None:
    board, pops, feed = FakeBoard(), FakePops(), FakeFeed()
    hub = ConsoleHub(board, pops, feed.subscribe, clock=lambda: 20.0)
    follower = asyncio.create_task(hub.follow_changes())
    try:
        async with (
            hub.subscribe(Viewer(Role.SUPERVISOR, "Lead", "9001")) as wall,
            hub.subscribe(Viewer(Role.AGENT, "Wang", "8001")) as desk,
            hub.subscribe(Viewer(Role.AGENT, "Li", "8002")) as other,
        ):
            first = await drain(wall)
            assert [e["type"] for e in first] == ["hello", "snapshot"]
            assert first[0]["pause_reasons"] == list(PAUSE_REASONS)
            assert "no-answer" not in PAUSE_REASONS and first[0]["viewer"]["wallboard"]
            assert [e["type"] for e in await drain(desk)] == ["hello", "snapshot"]
            await drain(other)

            await feed.queue.put(LiveChange("reserve", reserved("8001", "c1"), "c1"))
            wall_events = await drain(wall)
            assert [e["type"] for e in wall_events] == ["agent", "offer"]
            desk_events = await drain(desk)
            assert [e["type"] for e in desk_events] == ["agent", "screen-pop"]
            assert desk_events[1]["customer"]["id_number"] == "**************4578"
            assert await drain(other) == []
            assert pops.asked == [("8001", "c1")]
    finally:
        follower.cancel()
        await hub.close()


async def test_no_pop_is_looked_up_for_an_agent_nobody_watches_here() -> None:
    pops = FakePops()
    hub = ConsoleHub(FakeBoard(), pops, FakeFeed().subscribe)
    async with hub.subscribe(Viewer(Role.SUPERVISOR, "Lead", "9001")) as wall:
        hub.apply(LiveChange("reserve", reserved("8001", "c1"), "c1"))
        await asyncio.sleep(0.01)
        assert [e["type"] for e in await drain(wall)][-2:] == ["agent", "offer"]
    assert pops.asked == []


async def test_a_desktop_that_connects_mid_call_sees_its_pop() -> None:
    board, pops = FakeBoard(), FakePops()
    board.statuses["8001"] = AgentStatus("8001", AgentState.ON_CALL, since=5.0, call_id="c7")
    hub = ConsoleHub(board, pops, FakeFeed().subscribe)
    async with hub.subscribe(Viewer(Role.AGENT, "Wang", "8001")) as desk:
        events = await drain(desk)
    assert [e["type"] for e in events] == ["hello", "snapshot", "screen-pop"]
    assert events[2]["call"] == "c7"


async def test_snapshots_go_out_only_when_more_than_the_clock_changed() -> None:
    board = FakeBoard()
    hub = ConsoleHub(board, FakePops(), FakeFeed().subscribe)
    async with hub.subscribe(Viewer(Role.ADMIN, "api-token")) as wall:
        await drain(wall)
        assert await hub.refresh() is True  # the first one is always sent
        board.board["at"] = "2026-11-23T01:00:05+00:00"
        assert await hub.refresh() is False
        board.board["queues"] = [{"queue": "service", "waiting": 1}]
        assert await hub.refresh() is True
        snapshots = [e for e in await drain(wall) if e["type"] == "snapshot"]
    assert [s["queues"] for s in snapshots] == [[], [{"queue": "service", "waiting": 1}]]


async def test_a_console_that_cannot_keep_up_is_dropped() -> None:
    hub = ConsoleHub(FakeBoard(), FakePops(), FakeFeed().subscribe, queue_limit=5)
    async with hub.subscribe(Viewer(Role.SUPERVISOR, "Lead")) as slow:
        for n in range(10):
            hub.publish({"type": "queue", "op": "remove", "call_id": f"c{n}"})
        assert slow.dropped
        assert await slow.next() is None
    assert hub.watching == 0


class BrokenBoard(FakeBoard):
    def __init__(self) -> None:
        super().__init__()
        self.broken = True

    async def snapshot(self) -> dict[str, Any]:
        if self.broken:
            raise ConnectionError("redis went away")
        return await super().snapshot()


async def test_a_console_that_connects_while_redis_is_down_gets_the_next_snapshot() -> None:
    board = BrokenBoard()
    hub = ConsoleHub(board, FakePops(), FakeFeed().subscribe)
    async with hub.subscribe(Viewer(Role.SUPERVISOR, "Lead")) as wall:
        assert [e["type"] for e in await drain(wall)] == ["hello"]
        board.broken = False
        assert await hub.refresh() is True
        assert [e["type"] for e in await drain(wall)] == ["snapshot"]
