"""A closed dispatcher leaves no wrap-up timer behind (one left running ended its agent's wrap-up
later, on a Redis already closed, and logged an error in whatever ran then)."""

from __future__ import annotations

import asyncio

import pytest
import redis.asyncio as aioredis

from acd.core import agent_states as sm
from acd.core.routing import RoutingPolicy
from acd.dispatcher import Dispatcher
from acd.live.live_state import LiveState

pytestmark = pytest.mark.unit


async def test_close_cancels_the_wrap_ups_still_waiting_to_end() -> None:
    live = LiveState(aioredis.Redis(), "unit")  # never asked: the timer is cancelled first
    dispatcher = Dispatcher(live, RoutingPolicy(), None, None, lease_seconds=15)  # type: ignore[arg-type]
    dispatcher._end_wrapup_at(sm.ScheduleWrapUpEnd("8001", "1764000000.1", dispatcher.clock() + 30))
    timers = [t for t in asyncio.all_tasks() if t.get_name() == "wrapup-8001"]
    assert len(timers) == 1
    await dispatcher.close()
    assert timers[0].cancelled()
