"""The ACD on the production topology in small (a primary, a replica, three Sentinels; all
private redis-servers the test starts), through the controller's own client
(``ivr_acd.wiring.redis``): the primary killed mid-afternoon, Sentinel promotes the replica, and
the ACD carries on with the same generation (no rebuild needed): the waiting caller is offered
to the next free agent, the talking agent stays on the call, the pause keeps its reason."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import redis.asyncio as aioredis
from redis.exceptions import RedisError

from acd.core.model import AgentState
from crm_bridge.db import Database
from ivr_acd.settings import RedisSettings
from ivr_acd.wiring.redis import open_redis
from tests.integration.acd.test_acd_redis_rebuild import (
    TALKING,
    WAITING,
    _busy_afternoon,
    agents,  # noqa: F401 - the CRM's agents (a fixture)
    controller,
)
from tests.private_redis import PrivateSentinels

pytestmark = pytest.mark.integration

FAILOVER_WAIT = 15.0  # seconds: Sentinel's down-after 0.5 s, then the election


@pytest.fixture
def sentinels(tmp_path: Path) -> Iterator[PrivateSentinels]:
    topology = PrivateSentinels(tmp_path)
    topology.start()
    try:
        yield topology
    finally:
        topology.stop()


@pytest.fixture
async def redis(sentinels: PrivateSentinels) -> AsyncIterator[aioredis.Redis]:
    settings = RedisSettings(sentinels=sentinels.addresses, master_name=sentinels.name)
    async with open_redis(settings) as client:
        yield client


async def _replicated(redis: aioredis.Redis) -> None:
    """Every write so far is on the replica too (WAIT for one replica)."""
    assert await redis.execute_command("WAIT", 1, 5000) == 1


async def _master_moved(redis: aioredis.Redis, old_port: int) -> None:
    deadline = time.monotonic() + FAILOVER_WAIT
    while True:
        try:
            info = await redis.info("server")
            if int(info["tcp_port"]) != old_port:
                return
        except RedisError:
            pass
        assert time.monotonic() < deadline, "Sentinel promoted no replica"
        await asyncio.sleep(0.2)


@pytest.mark.usefixtures("agents")
async def test_a_sentinel_failover_keeps_the_acd_going(
    database: Database, redis: aioredis.Redis, sentinels: PrivateSentinels
) -> None:
    ctl = controller(database, redis)
    waiting = await _busy_afternoon(ctl)
    generation = ctl.runtime.generation
    await _replicated(redis)

    sentinels.primary.stop()  # killed: nothing handed over
    await _master_moved(redis, sentinels.primary.port)

    assert await ctl.runtime.check_generation()  # the replica has it: the same live state
    assert await ctl.runtime.health() == {"ok": True, "state": "in-sync"}
    assert ctl.runtime.generation == generation
    live = ctl.acd.live
    talker, luncher = await live.status("8001"), await live.status("8002")
    assert (talker.state, talker.call_id) == (AgentState.ON_CALL, TALKING)
    assert (luncher.state, luncher.reason) == (AgentState.PAUSED, "lunch")
    assert await live.waiting_calls() == [waiting]

    await ctl.acd.unpause("8003")
    assert [(c, e) for c, e, _ in ctl.delivered.calls] == [(WAITING, "8003")]
    await ctl.acd.agent_hung_up("8001", TALKING)
    assert (await live.status("8001")).state is AgentState.WRAP_UP
