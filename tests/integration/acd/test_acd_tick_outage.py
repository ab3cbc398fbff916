"""The ACD's loops while Redis is down (issue 12, "a failing dependency is logged once per state
change, not per tick"): on a private redis-server the test stops and starts again (never the
shared one), the tick and the sync loop fail every time but each logs one traceback, repeats
only at debug level, and one line when Redis works again (after the new Redis was rebuilt)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from acd import runtime as runtime_module
from crm_bridge.db import Database
from tests.integration.acd.test_acd_redis_rebuild import (
    agents,  # noqa: F401 - the CRM's agents (a fixture)
    controller,
)
from tests.private_redis import PrivateRedis

pytestmark = pytest.mark.integration

TICK = 0.05
DOWN_SECONDS = 1.0  # about 20 ticks while Redis is down
BACK_WAIT = 5.0
SYNC = "ACD sync with Redis"


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
async def redis(private_redis: PrivateRedis) -> AsyncIterator[aioredis.Redis]:
    # no retries: every tick fails at once while the server is down (the controller's own
    # client retries for ~1.5 s first, which only slows the test)
    client = aioredis.from_url(private_redis.url, retry=Retry(NoBackoff(), 0))
    try:
        yield client
    finally:
        await client.aclose()


def _tick_lines(
    caplog: pytest.LogCaptureFixture, level: int, what: str = "ACD tick"
) -> list[logging.LogRecord]:
    return [
        r
        for r in caplog.records
        if r.name == "acd.runtime" and r.levelno == level and what in r.getMessage()
    ]


async def _until_back(caplog: pytest.LogCaptureFixture, what: str = "ACD tick") -> None:
    """Until ``what`` logs that it works again (checked by the test), at most BACK_WAIT."""
    deadline = time.monotonic() + BACK_WAIT
    while not _tick_lines(caplog, logging.WARNING, what) and time.monotonic() < deadline:
        await asyncio.sleep(TICK)


@pytest.mark.usefixtures("agents")
async def test_redis_down_logs_one_traceback_and_one_recovery_not_one_per_tick(
    database: Database,
    redis: aioredis.Redis,
    private_redis: PrivateRedis,
    caplog: pytest.LogCaptureFixture,
) -> None:
    ctl = controller(database, redis, tick=TICK)
    await ctl.runtime.load()
    ctl.runtime.loaded.set()
    caplog.set_level(logging.DEBUG, logger="acd.runtime")
    ticking = asyncio.create_task(ctl.runtime.tick_forever())
    try:
        await asyncio.sleep(5 * TICK)
        private_redis.stop()
        await asyncio.sleep(DOWN_SECONDS)
        failed = _tick_lines(caplog, logging.ERROR)
        private_redis.start()  # back, empty: the tick rebuilds, then works again
        await _until_back(caplog)
    finally:
        ticking.cancel()
        await asyncio.gather(ticking, return_exceptions=True)

    assert len(failed) == 1 and failed[0].exc_info is not None  # the first failure, traceback
    assert len(_tick_lines(caplog, logging.DEBUG)) >= 5  # the tick did keep failing, quietly
    assert len(_tick_lines(caplog, logging.ERROR)) == 1
    (back,) = _tick_lines(caplog, logging.WARNING)
    assert "works again" in back.getMessage()
    assert sum(1 for r in caplog.records if r.exc_info) == 1
    assert ctl.runtime.generation == await ctl.acd.live.generation() != ""


@pytest.mark.usefixtures("agents")
async def test_redis_down_the_sync_loop_logs_one_traceback_not_one_per_retry(
    database: Database,
    redis: aioredis.Redis,
    private_redis: PrivateRedis,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(runtime_module, "RESYNC_SECONDS", TICK)  # a retry every tick
    ctl = controller(database, redis, tick=TICK)
    caplog.set_level(logging.DEBUG, logger="acd.runtime")
    syncing = asyncio.create_task(ctl.runtime.keep_in_sync())
    try:
        await asyncio.wait_for(ctl.runtime.loaded.wait(), BACK_WAIT)
        private_redis.stop()
        await asyncio.sleep(DOWN_SECONDS)
        failed = _tick_lines(caplog, logging.ERROR, SYNC)
        warned = _tick_lines(caplog, logging.WARNING, "")
        private_redis.start()  # back, empty: loaded (rebuilt) again
        await _until_back(caplog, SYNC)
    finally:
        syncing.cancel()
        await asyncio.gather(syncing, return_exceptions=True)

    assert len(failed) == 1 and failed[0].exc_info is not None
    assert warned == []  # no line per retry (the old loop warned every time)
    assert len(_tick_lines(caplog, logging.DEBUG, SYNC)) >= 5  # it did keep retrying
    (back,) = _tick_lines(caplog, logging.WARNING, SYNC)
    assert "works again" in back.getMessage()
    assert ctl.runtime.generation == await ctl.acd.live.generation() != ""
