"""The live board of one controller, fanned out to the consoles connected to it.

How an update reaches every console when several controllers share one Redis: each change of
the ACD's live state is published on the ACD's Redis channel by the Lua script that makes it,
whichever controller runs it; every controller's hub subscribes to that channel and turns each
change into console events at once (agent state, a call joining or leaving the line, an offer,
the screen-pop of the agent offered the call). What has no such channel (today's counters, the
calls in progress from AMI) is caught by a snapshot read from Redis every ``interval`` (1 s)
while a console is connected, and sent only when more than the clock changed.

Each console has its own bounded queue, so a slow one never holds up the others; one that falls
``queue_limit`` events behind is dropped and reconnects for a fresh snapshot."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping
from contextlib import AbstractAsyncContextManager
from typing import Any, Final, Protocol

from redis.exceptions import RedisError

from acd.core.model import AgentProfile, AgentState, AgentStatus, PauseReason
from acd.core.wallboard import change_events, fingerprint
from acd.live.changes import LiveChange
from ivr_acd.web.console.view import Viewer, hello, visible

log = logging.getLogger(__name__)

RESUBSCRIBE_SECONDS: Final = 2.0
POPS_KEPT: Final = 500
PAUSE_REASONS: Final = tuple(r.value for r in PauseReason if r is not PauseReason.NO_ANSWER)
_POP_STATES: Final = frozenset({AgentState.RESERVED, AgentState.ON_CALL, AgentState.WRAP_UP})

Event = dict[str, Any]
ChangeFeed = Callable[[], AbstractAsyncContextManager[AsyncIterator[LiveChange]]]


class BoardSource(Protocol):
    """The board as it is now (``ivr_acd.web.console.sources.AcdBoard``)."""

    async def snapshot(self) -> Event: ...
    def profiles(self) -> Mapping[str, AgentProfile]: ...
    async def status(self, extension: str) -> AgentStatus: ...


class PopSource(Protocol):
    """A screen-pop for a call offered to an agent (``ivr_acd.web.console.sources.ScreenPops``)."""

    async def for_offer(self, extension: str, call_id: str) -> Event | None: ...


class Subscription:
    """One console's events, in order."""

    def __init__(self, viewer: Viewer, limit: int) -> None:
        self.viewer = viewer
        self._queue: asyncio.Queue[Event | None] = asyncio.Queue(maxsize=limit)
        self.dropped = False

    def put(self, event: Event) -> None:
        if self.dropped:
            return
        try:
            self._queue.put_nowait(event)
        except asyncio.QueueFull:
            self.dropped = True
            while not self._queue.empty():
                self._queue.get_nowait()
            self._queue.put_nowait(None)

    async def next(self) -> Event | None:
        return await self._queue.get()


class ConsoleHub:
    def __init__(
        self,
        board: BoardSource,
        pops: PopSource,
        changes: ChangeFeed,
        *,
        interval: float = 1.0,
        queue_limit: int = 1000,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.board = board
        self.pops = pops
        self._changes = changes
        self.interval = interval
        self.queue_limit = queue_limit
        self.clock = clock
        self._subscriptions: set[Subscription] = set()
        self._last = ""
        self._recent_pops: OrderedDict[str, Event] = OrderedDict()  # call_id -> pop
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def watching(self) -> int:
        return len(self._subscriptions)

    # ---- consoles ------------------------------------------------------------------------
    @contextlib.asynccontextmanager
    async def subscribe(self, viewer: Viewer) -> AsyncIterator[Subscription]:
        """Registered before the first snapshot is read, so no change falls in between."""
        subscription = Subscription(viewer, self.queue_limit)
        self._subscriptions.add(subscription)
        try:
            subscription.put(hello(viewer, PAUSE_REASONS))
            await self._first_snapshot(subscription)
            if viewer.extension:
                await self._current_pop(subscription)
            yield subscription
        finally:
            self._subscriptions.discard(subscription)

    async def _first_snapshot(self, subscription: Subscription) -> None:
        try:
            board = await self.board.snapshot()
        except (RedisError, OSError, TimeoutError) as exc:
            log.warning("console snapshot failed (%s); the next refresh sends one", exc)
            self._last = ""  # so the next refresh goes to everybody, whatever it shows
            return
        snapshot = visible({"type": "snapshot", **board}, subscription.viewer)
        if snapshot is not None:
            subscription.put(snapshot)

    async def _current_pop(self, subscription: Subscription) -> None:
        """A desktop that (re)connects mid-call sees the pop of the call it has."""
        try:
            status = await self.board.status(subscription.viewer.extension)
            if status.state not in _POP_STATES or not status.call_id:
                return
            pop = self._recent_pops.get(status.call_id)
            if pop is None:
                pop = await self.pops.for_offer(status.extension, status.call_id)
        except (RedisError, OSError, TimeoutError) as exc:
            log.warning(
                "agent=%s current screen-pop failed: %s", subscription.viewer.extension, exc
            )
            return
        shown = None if pop is None else visible(pop, subscription.viewer)
        if shown is not None:
            subscription.put(shown)

    def publish(self, event: Event) -> None:
        for subscription in list(self._subscriptions):
            shown = visible(event, subscription.viewer)
            if shown is not None:
                subscription.put(shown)

    # ---- changes from every controller ---------------------------------------------------
    async def follow_changes(self) -> None:
        """Turn every published ACD change into console events; resubscribe after Redis
        trouble (the next snapshot repairs what was missed meanwhile)."""
        while True:
            try:
                async with self._changes() as changes:
                    self._last = ""  # send the next snapshot whatever it is
                    async for change in changes:
                        self.apply(change)
            except (RedisError, OSError, TimeoutError) as exc:
                log.warning("console stream lost the ACD's changes (%s); resubscribing", exc)
                await asyncio.sleep(RESUBSCRIBE_SECONDS)

    def apply(self, change: LiveChange) -> None:
        events = change_events(
            change.op,
            agent=change.agent,
            call_id=change.call_id,
            call=change.call,
            profiles=self.board.profiles(),
            now=self.clock(),
        )
        for event in events:
            self.publish(event)
        if change.op == "reserve" and change.agent is not None and change.call_id:
            self._spawn(self._pop(change.agent.extension, change.call_id))

    async def _pop(self, extension: str, call_id: str) -> None:
        if not any(s.viewer.extension == extension for s in self._subscriptions):
            return  # nobody's desktop for this agent is connected here
        try:
            pop = await self.pops.for_offer(extension, call_id)
        except Exception:
            log.exception("call=%s agent=%s screen-pop failed", call_id, extension)
            return
        if pop is None:
            return
        self._recent_pops[call_id] = pop
        while len(self._recent_pops) > POPS_KEPT:
            self._recent_pops.popitem(last=False)
        log.info("call=%s agent=%s screen-pop sent", call_id, extension)
        self.publish(pop)

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coro, name="console-screen-pop")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # ---- snapshots -----------------------------------------------------------------------
    async def refresh_forever(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            if not self._subscriptions:
                continue
            try:
                await self.refresh()
            except (RedisError, OSError, TimeoutError) as exc:
                log.warning("console snapshot failed: %s", exc)
            except Exception:
                log.exception("console snapshot failed")

    async def refresh(self) -> bool:
        """Send a snapshot if more than the clock changed since the last one; True if sent."""
        snapshot = await self.board.snapshot()
        printed = fingerprint(snapshot)
        if printed == self._last:
            return False
        self._last = printed
        self.publish({"type": "snapshot", **snapshot})
        return True

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=2)
