"""Recovery time (issue 12): how long until the ACD's agent states and waiting line are right
again after a controller restart, a Redis that comes back empty, and an Asterisk restart, at
500 agents and 200 waiting callers (``--quick``: 100 and 40). Target: 1 s each.

- controller restart: a new controller (``AcdRuntime``) on the same Redis loads the agents from
  the CRM and the live state from Redis (``load``), until its mirror has every agent and call.
- Redis restarted empty (the worst case of a failover: a replica without the data): the running
  controller's generation check finds no generation and rebuilds (``acd.rebuild``: the CRM's
  presence, Asterisk's 700 channels, 200 ``Getvar`` of the callers' tokens), then loads.
  A Sentinel failover to an up-to-date replica keeps the generation and rebuilds nothing
  (tests/integration/acd/test_acd_redis_failover.py); detecting either adds up to one tick.
- Asterisk restart: the AMI reconnect's ``Resync`` (``acd.events``) with no channels left: every
  talking agent to wrap-up, every caller off the line. Also an AMI reconnect with the calls
  still up (the same 700 channels: nothing to change).

Asterisk is in memory here (``bench.recovery_floor``): ``CoreShowChannels`` and ``Getvar`` are
answered without a socket, so the AMI round trips are not in these figures (``bench
ami_resync`` measures one CoreShowChannels against the real sandbox). Redis is a private
redis-server of the bench's own; the CRM a SQLite file. Figures are printed, never asserted."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import redis.asyncio as aioredis

from acd.core.model import AgentState
from acd.events import AcdEvents
from acd.runtime import AcdRuntime
from bench.recovery_floor import ChannelsAsterisk, PrivateRedis, controller, crm, populate
from crm_bridge.db import Database
from ivr_acd.settings import RedisSettings
from ivr_acd.wiring.redis import open_redis
from wire.events import Resync

AGENTS, WAITING, ROUNDS = 500, 200, 5
QUICK_AGENTS, QUICK_WAITING, QUICK_ROUNDS = 100, 40, 2
TARGET_S = 1.0
PEER = (
    "peer: app_queue keeps its members' states and its callers in Asterisk's memory and "
    "rebuilds nothing: an Asterisk restart ends every call and forgets dynamic members "
    "(agents log in again); it has no controller or Redis to lose"
)


@dataclass
class Floor:
    database: Database
    redis: aioredis.Redis
    server: PrivateRedis
    asterisk: ChannelsAsterisk
    runtime: AcdRuntime  # the controller that keeps running
    agents: int
    waiting: int
    times: dict[str, list[float]] = field(default_factory=dict)

    def expect(self, runtime: AcdRuntime, *, restarted: bool = False) -> None:
        """The mirror holds the floor (after an Asterisk restart: no calls, talkers wrapping
        up); a wrong rebuild is an error, not a figure."""
        states = [s.state for s in runtime.acd.statuses()]
        talking = AgentState.WRAP_UP if restarted else AgentState.ON_CALL
        found = (
            len(states),
            states.count(talking),
            states.count(AgentState.PAUSED),
            len(runtime.acd.dispatcher.index.calls),
        )
        half = self.agents // 2
        wanted = (self.agents, half, self.agents - half, 0 if restarted else self.waiting)
        if found != wanted:
            raise RuntimeError(
                f"rebuilt (agents, {talking.value}, paused, line) {found} != {wanted}"
            )


async def _timed(floor: Floor, label: str, action: Callable[[], Awaitable[object]]) -> None:
    started = time.perf_counter()
    await action()
    floor.times.setdefault(label, []).append(time.perf_counter() - started)


async def _round(floor: Floor) -> None:
    floor.server.restart_empty()
    await _timed(floor, "Redis restarted empty", floor.runtime.check_generation)
    floor.expect(floor.runtime)
    fresh = controller(floor.database, floor.redis, floor.asterisk)
    await _timed(floor, "controller restart", fresh.load)
    floor.expect(fresh)
    events = AcdEvents(floor.runtime.acd)
    live = Resync(tuple(floor.asterisk.rows))
    await _timed(floor, "AMI reconnect, calls up", lambda: events.apply(live))
    floor.expect(floor.runtime)
    await _timed(floor, "Asterisk restart", lambda: events.apply(Resync(())))
    floor.expect(floor.runtime, restarted=True)  # the next round's empty Redis restores it


def _report(floor: Floor) -> None:
    rows = len(floor.asterisk.rows)
    rounds = len(floor.times["controller restart"])
    print(
        f"  {floor.agents} agents x {floor.waiting} waiting, {rows} channels in Asterisk "
        f"(in memory); median / max of {rounds} runs; target {TARGET_S:.0f} s each"
    )
    for label, times in floor.times.items():
        median, worst = statistics.median(times), max(times)
        print(
            f"  {label:<26} median {median * 1000:7.1f} ms   max {worst * 1000:7.1f} ms   "
            f"ratio to target {median / TARGET_S:.3f} (max {worst / TARGET_S:.3f})"
        )
    print(
        "  a Redis failover is seen at the next tick (acd.tick_interval, 1 s by default) or "
        "reconnect; a Sentinel failover to a replica with the data keeps the generation and "
        "rebuilds nothing"
    )
    print(f"  {PEER}", flush=True)


async def main(quick: bool = False) -> None:
    print("\nRecovery: agent states and the waiting line rebuilt")
    agents, waiting = (QUICK_AGENTS, QUICK_WAITING) if quick else (AGENTS, WAITING)
    with tempfile.TemporaryDirectory(prefix="ivr-acd-bench-recovery-") as tmp:
        server = PrivateRedis(Path(tmp))
        server.start()
        database = await crm(Path(tmp), agents)
        try:
            with _logged_to(Path(tmp) / "acd.log"):
                async with open_redis(RedisSettings(url=server.url)) as redis:  # as a controller
                    await _measure(database, redis, server, agents, waiting, quick)
        finally:
            await database.close()
            server.stop()


@contextlib.contextmanager
def _logged_to(path: Path) -> Iterator[None]:
    """The ACD's log lines (one per agent after an Asterisk restart) into a file, as a
    controller writes them, not onto the bench's output."""
    logger, handler = logging.getLogger("acd"), logging.FileHandler(path)
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
        handler.close()


async def _measure(
    database: Database,
    redis: aioredis.Redis,
    server: PrivateRedis,
    agents: int,
    waiting: int,
    quick: bool,
) -> None:
    asterisk = ChannelsAsterisk()
    runtime = controller(database, redis, asterisk)
    await populate(runtime, asterisk, agents, waiting)
    floor = Floor(database, redis, server, asterisk, runtime, agents, waiting)
    for _ in range(QUICK_ROUNDS if quick else ROUNDS):
        await _round(floor)
    _report(floor)


if __name__ == "__main__":
    asyncio.run(main("--quick" in sys.argv))
