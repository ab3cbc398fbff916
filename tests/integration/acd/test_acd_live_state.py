"""The ACD's live state in the real Redis (127.0.0.1:6379), under a prefix of the test's own."""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from itertools import pairwise
from multiprocessing import get_context
from typing import Any

import pytest
import redis.asyncio as aioredis

from acd.core import agent_states as sm
from acd.core.model import AgentProfile, AgentState, AgentStatus, WaitingCall
from acd.live.changes import LiveChange
from acd.live.live_state import (
    CALL_TTL_SECONDS,
    MAX_RETRIES,
    ConcurrentUpdateError,
    LiveState,
    Released,
)
from wire import redis_keys

pytestmark = pytest.mark.integration

REDIS_URL = "redis://127.0.0.1:6379/0"


async def _drop(client: aioredis.Redis, prefix: str) -> None:
    keys = [k async for k in client.scan_iter(f"{prefix}:*")]
    if keys:
        await client.delete(*keys)


@pytest.fixture
async def redis_prefix() -> AsyncIterator[tuple[aioredis.Redis, str]]:
    client = aioredis.from_url(REDIS_URL)
    prefix = f"test-{uuid.uuid4().hex[:8]}"
    try:
        yield client, prefix
    finally:
        await _drop(client, prefix)
        await client.aclose()


@pytest.fixture
def live(redis_prefix: tuple[aioredis.Redis, str]) -> LiveState:
    client, prefix = redis_prefix
    return LiveState(client, prefix)


def waiting(call_id: str, enqueued_at: float, **changes: Any) -> WaitingCall:
    call = WaitingCall(
        call_id=call_id,
        channel=f"PJSIP/carrier-{call_id}",
        caller_number="13800138000",
        skills=("claims", "motor"),
        language="zh",
        vip=False,
        enqueued_at=enqueued_at,
        customer_name="王芳",
        queue="claims",
    )
    return replace(call, **changes)


async def ready(live: LiveState, *extensions: str, at: float = 1.0) -> None:
    for extension in extensions:
        await live.handle(extension, sm.Login(), at)


# ---- agents and compare-and-set ----------------------------------------------------------


async def test_an_unknown_agent_is_logged_out_at_version_0(live: LiveState) -> None:
    assert await live.status("8001") == AgentStatus("8001")
    assert await live.agents() == []


async def test_transitions_are_stored_and_index_who_is_logged_in(live: LiveState) -> None:
    await ready(live, "8001", "8002", at=5.0)
    paused = await live.handle("8002", sm.Pause("lunch"), 6.0)
    assert paused.status == AgentStatus(
        "8002", AgentState.PAUSED, since=6.0, idle_since=5.0, reason="lunch", version=2
    )
    assert await live.status("8002") == paused.status
    assert await live.logged_in() == {"8001", "8002"}
    await live.handle("8001", sm.Logout(), 7.0)
    assert await live.logged_in() == {"8002"}
    assert [(a.extension, a.state) for a in await live.agents()] == [
        ("8001", AgentState.LOGGED_OUT),
        ("8002", AgentState.PAUSED),
    ]


async def test_a_pause_reason_survives_a_controller_restart(
    live: LiveState, redis_prefix: tuple[aioredis.Redis, str]
) -> None:
    await ready(live, "8001")
    await live.handle("8001", sm.Pause("training"), 2.0)
    client, prefix = redis_prefix
    restarted = LiveState(client, prefix)
    assert (await restarted.status("8001")).reason == "training"


async def test_a_stale_version_is_refused(live: LiveState) -> None:
    await ready(live, "8001")
    seen = await live.status("8001")
    paused = sm.transition(seen, sm.Pause("break"), 2.0, 0)
    unpaused_too_early = sm.transition(seen, sm.Logout(), 2.0, 0)
    assert await live.apply(seen, paused)
    assert not await live.apply(seen, unpaused_too_early)
    assert await live.status("8001") == paused.status


class Interfering(LiveState):
    """Another controller changes the agent between our read and our write, ``times`` times."""

    def __init__(self, other: LiveState, client: aioredis.Redis, prefix: str, times: int) -> None:
        super().__init__(client, prefix)
        self.other, self.times, self.reads = other, times, 0

    async def status(self, extension: str) -> AgentStatus:
        seen = await super().status(extension)
        self.reads += 1
        if self.reads <= self.times:
            reason = "meeting" if seen.reason != "meeting" else "break"
            await self.other.handle(extension, sm.Pause(reason), 2.0)
        return seen


async def test_a_lost_compare_and_set_is_retried_on_fresh_state(
    live: LiveState, redis_prefix: tuple[aioredis.Redis, str]
) -> None:
    client, prefix = redis_prefix
    await ready(live, "8001")
    racing = Interfering(live, client, prefix, times=1)
    result = await racing.handle("8001", sm.Pause("lunch"), 3.0)
    assert racing.reads == 2
    assert result.status == AgentStatus(
        "8001", AgentState.PAUSED, since=2.0, idle_since=1.0, reason="lunch", version=3
    )
    assert await live.status("8001") == result.status


async def test_endless_conflicts_give_up_with_a_code(
    live: LiveState, redis_prefix: tuple[aioredis.Redis, str]
) -> None:
    client, prefix = redis_prefix
    await ready(live, "8001")
    racing = Interfering(live, client, prefix, times=MAX_RETRIES)
    with pytest.raises(ConcurrentUpdateError) as raised:
        await racing.handle("8001", sm.Pause("lunch"), 3.0)
    assert raised.value.code == "agent-state-conflict"


async def test_domain_errors_come_from_the_machine(live: LiveState) -> None:
    with pytest.raises(sm.AgentNotLoggedInError):
        await live.handle("8001", sm.Pause("break"), 1.0)
    with pytest.raises(TypeError):
        await live.handle("8001", sm.Offer("c1", 9.0), 1.0)


async def test_wrap_up_comes_from_the_profile(live: LiveState) -> None:
    profile = AgentProfile("8001", "李娜", {"claims": 4}, frozenset({"zh", "en"}), "A", 30)
    await live.put_profile(profile)
    assert await live.profile("8001") == profile
    await ready(live, "8001")
    await live.enqueue(waiting("c1", 1.0))
    await live.reserve("8001", "c1", 1, 15.0, 2.0)
    await live.confirm("8001", "c1", 3.0)
    ended = await live.handle("8001", sm.CallEnded("c1"), 60.0)
    assert ended.status.state is AgentState.WRAP_UP
    assert sm.ScheduleWrapUpEnd("8001", "c1", 90.0) in ended.effects


# ---- calls -------------------------------------------------------------------------------


async def test_enqueue_is_idempotent_and_keeps_the_first_enqueued_at(
    live: LiveState, redis_prefix: tuple[aioredis.Redis, str]
) -> None:
    first = waiting("c1", 10.0, vip=True, excluded=frozenset({"8009"}))
    assert await live.enqueue(first) == first
    assert await live.enqueue(waiting("c1", 50.0, channel="PJSIP/other")) == first
    assert await live.queued_calls() == [first]
    assert await live.call("c1") == first
    client, prefix = redis_prefix
    ttl = await client.ttl(redis_keys.acd_call("c1", prefix))
    assert 0 < ttl <= CALL_TTL_SECONDS


async def test_waiting_calls_are_in_enqueued_order_and_removable(live: LiveState) -> None:
    for call_id, at in (("c3", 30.0), ("c1", 10.0), ("c2", 20.0)):
        await live.enqueue(waiting(call_id, at))
    assert [c.call_id for c in await live.waiting_calls()] == ["c1", "c2", "c3"]
    assert await live.remove_call("c2")
    assert not await live.remove_call("c2")
    assert [c.call_id for c in await live.waiting_calls()] == ["c1", "c3"]


# ---- reservations ------------------------------------------------------------------------


async def test_reserve_takes_a_ready_agent_and_a_waiting_call(
    live: LiveState, redis_prefix: tuple[aioredis.Redis, str]
) -> None:
    await ready(live, "8001", "8002")
    await live.enqueue(waiting("c1", 1.0))
    reserved = await live.reserve("8001", "c1", 1, 15.0, 2.0)
    assert reserved == AgentStatus(
        "8001",
        AgentState.RESERVED,
        since=2.0,
        idle_since=1.0,
        call_id="c1",
        lease_until=17.0,
        version=2,
    )
    assert await live.status("8001") == reserved
    assert (await live.call("c1")) == waiting("c1", 1.0, reserved_by="8001")
    assert await live.waiting_calls() == []
    client, prefix = redis_prefix
    assert await client.zrange(redis_keys.acd_leases(prefix), 0, -1, withscores=True) == [
        (b"8001", 17.0)
    ]


async def test_reserve_refuses_anything_but_a_ready_agent_and_a_free_call(
    live: LiveState,
) -> None:
    await ready(live, "8001", "8002")
    await ready(live, "8003")
    await live.handle("8003", sm.Pause("break"), 2.0)
    await live.enqueue(waiting("c1", 1.0))
    await live.enqueue(waiting("c2", 2.0))
    assert await live.reserve("8001", "c1", 0, 15.0, 3.0) is None  # stale version
    assert await live.reserve("8001", "nope", 1, 15.0, 3.0) is None  # no such call
    assert await live.reserve("8003", "c1", 2, 15.0, 3.0) is None  # paused
    assert await live.reserve("8009", "c1", 0, 15.0, 3.0) is None  # never logged in
    assert await live.reserve("8001", "c1", 1, 15.0, 3.0) is not None
    assert await live.reserve("8002", "c1", 1, 15.0, 3.0) is None  # the call is taken
    assert await live.reserve("8001", "c2", 2, 15.0, 3.0) is None  # the agent is taken
    assert (await live.status("8002")).version == 1


class CountingRedis(aioredis.Redis):
    """Records every command sent (a pipeline would be one more entry here)."""

    sent: list[str]

    async def execute_command(self, *args: Any, **options: Any) -> Any:
        self.sent.append(str(args[0]))
        return await super().execute_command(*args, **options)


async def test_reserve_is_one_round_trip(redis_prefix: tuple[aioredis.Redis, str]) -> None:
    _, prefix = redis_prefix
    client = CountingRedis.from_url(REDIS_URL)
    client.sent = []
    try:
        live = LiveState(client, prefix)
        await live.load_scripts()
        await ready(live, "8001")
        await live.enqueue(waiting("c1", 1.0))
        client.sent.clear()
        assert await live.reserve("8001", "c1", 1, 15.0, 2.0) is not None
        assert client.sent == ["EVALSHA"]
        client.sent.clear()
        assert await live.reserve("8001", "c1", 1, 15.0, 2.0) is None
        assert client.sent == ["EVALSHA"]
    finally:
        await client.aclose()


async def test_an_answered_call_leaves_the_queue(
    live: LiveState, redis_prefix: tuple[aioredis.Redis, str]
) -> None:
    await ready(live, "8001")
    await live.enqueue(waiting("c1", 1.0))
    await live.reserve("8001", "c1", 1, 15.0, 2.0)
    answered = await live.confirm("8001", "c1", 4.0)
    assert answered.status.state is AgentState.ON_CALL
    assert await live.confirm("8001", "c1", 4.5) == sm.Transition(answered.status)  # twice
    assert await live.queued_calls() == []
    assert await live.call("c1") is None
    client, prefix = redis_prefix
    assert await client.zcard(redis_keys.acd_leases(prefix)) == 0


async def test_no_answer_requeues_at_the_same_place_without_the_agent(live: LiveState) -> None:
    await ready(live, "8001", "8002")
    await live.enqueue(waiting("c1", 10.0))
    await live.enqueue(waiting("c2", 20.0))
    await live.reserve("8001", "c1", 1, 15.0, 30.0)
    result = await live.no_answer("8001", "c1", 45.0)
    assert sm.RequeueCall("c1", exclude="8001") in result.effects
    assert result.status == AgentStatus(
        "8001", AgentState.PAUSED, since=45.0, idle_since=1.0, reason="no-answer", version=3
    )
    assert await live.no_answer("8001", "c1", 46.0) == sm.Transition(result.status)
    assert await live.waiting_calls() == [
        waiting("c1", 10.0, excluded=frozenset({"8001"})),
        waiting("c2", 20.0),
    ]
    await live.reserve("8002", "c1", 1, 15.0, 50.0)
    await live.no_answer("8002", "c1", 65.0)
    assert (await live.call("c1")) == waiting("c1", 10.0, excluded=frozenset({"8001", "8002"}))


async def test_release_gives_both_back_without_penalty(live: LiveState) -> None:
    await ready(live, "8001", at=1.0)
    await live.enqueue(waiting("c1", 1.0))
    await live.reserve("8001", "c1", 1, 15.0, 2.0)
    released = await live.release("8001", "c1", 3.0)
    assert released.status == AgentStatus(
        "8001", AgentState.READY, since=3.0, idle_since=1.0, version=3
    )
    assert await live.waiting_calls() == [waiting("c1", 1.0)]


async def test_a_caller_hanging_up_while_it_rings_drops_the_call(live: LiveState) -> None:
    await ready(live, "8001")
    await live.enqueue(waiting("c1", 1.0))
    await live.reserve("8001", "c1", 1, 15.0, 2.0)
    await live.handle("8001", sm.CallEnded("c1"), 3.0)
    assert (await live.status("8001")).state is AgentState.READY
    assert await live.queued_calls() == []


async def test_expired_leases_are_released_by_any_controller(
    live: LiveState, redis_prefix: tuple[aioredis.Redis, str]
) -> None:
    client, prefix = redis_prefix
    await ready(live, "8001", "8002", at=1.0)
    await live.enqueue(waiting("c1", 1.0))
    await live.enqueue(waiting("c2", 2.0))
    await live.reserve("8001", "c1", 1, 5.0, 100.0)
    await live.reserve("8002", "c2", 1, 50.0, 100.0)
    await live.handle("8002", sm.Pause("lunch"), 101.0)  # pending
    sweeper = LiveState(client, prefix)  # another controller
    assert await sweeper.expire_leases(104.9) == []
    released = await sweeper.expire_leases(105.0)
    back = AgentStatus("8001", AgentState.READY, since=105.0, idle_since=1.0, version=3)
    assert released == [Released("8001", "c1", back)]
    assert await live.status("8001") == back
    assert [c.call_id for c in await live.waiting_calls()] == ["c1"]
    assert await sweeper.expire_leases(105.0) == []
    assert [r.status.state for r in await sweeper.expire_leases(150.0)] == [AgentState.PAUSED]
    assert (await live.status("8002")).reason == "lunch"
    assert await client.zcard(redis_keys.acd_leases(prefix)) == 0


async def test_a_removed_call_is_not_requeued_by_a_lease_expiry(live: LiveState) -> None:
    await ready(live, "8001")
    await live.enqueue(waiting("c1", 1.0))
    await live.reserve("8001", "c1", 1, 5.0, 2.0)
    assert await live.remove_call("c1")
    assert [r.call_id for r in await live.expire_leases(10.0)] == ["c1"]
    assert (await live.status("8001")).state is AgentState.READY
    assert await live.queued_calls() == []


# ---- a call the ACD places itself (outbound) ---------------------------------------------


def placed(call_id: str, at: float) -> WaitingCall:
    return waiting(call_id, at, channel="", skills=("collections",), queue="collections")


async def test_an_outbound_reservation_stores_its_call_reserved_and_never_queued(
    live: LiveState,
) -> None:
    await ready(live, "8001", "8002")
    event = sm.ReserveOutbound("d1-ag", 62.0, "dunning")
    async with live.subscribe() as subscription:
        result = await live.offer("8001", event, 1, 2.0, placed=placed("d1-ag", 2.0))
        assert result is not None
        assert result.status == AgentStatus(
            "8001",
            AgentState.RESERVED,
            since=2.0,
            idle_since=1.0,
            call_id="d1-ag",
            lease_until=62.0,
            version=2,
        )
        assert [e.line() for e in result.effects if isinstance(e, sm.LogTransition)] == [
            "call=d1-ag agent=8001 ready -> reserved reason=dunning"
        ]
        assert await live.call("d1-ag") == replace(placed("d1-ag", 2.0), reserved_by="8001")
        assert await live.queued_calls() == []  # nobody else is ever offered it
        # the same call placed twice: refused, the other agent untouched
        assert await live.offer("8002", event, 1, 3.0, placed=placed("d1-ag", 3.0)) is None
        assert (await live.status("8002")).version == 1
        # let go: the agent is ready again, and the call goes (there is no line to go back to)
        released = await live.release("8001", "d1-ag", 4.0)
        assert released.status.state is AgentState.READY
        assert await live.call("d1-ag") is None
        ops = []
        while (change := await subscription.next(timeout=2.0)) is not None:
            ops.append((change.op, change.call_id, change.call))
            if change.op == "drop":
                break
    assert ops == [("reserve", "d1-ag", None), ("drop", "d1-ag", None)]


async def test_only_an_outbound_reservation_places_a_call(live: LiveState) -> None:
    await ready(live, "8001")
    await live.enqueue(waiting("c1", 1.0))
    with pytest.raises(TypeError):
        await live.offer("8001", sm.Offer("c1", 17.0), 1, 2.0, placed=waiting("c1", 1.0))
    with pytest.raises(TypeError):
        await live.offer("8001", sm.ReserveOutbound("d1-ag", 17.0, "dunning"), 1, 2.0)
    with pytest.raises(TypeError):
        await live.handle("8001", sm.ReserveOutbound("d1-ag", 17.0, "dunning"), 2.0)
    assert (await live.status("8001")).version == 1


# ---- pub/sub, snapshot, restore ----------------------------------------------------------


async def test_every_change_is_published(live: LiveState) -> None:
    changes: list[LiveChange] = []
    async with live.subscribe() as subscription:
        await ready(live, "8001")
        await live.enqueue(waiting("c1", 1.0))
        await live.enqueue(waiting("c1", 1.0))  # nothing new: nothing published
        await live.reserve("8001", "c1", 1, 15.0, 2.0)
        await live.no_answer("8001", "c1", 17.0)
        await live.remove_call("c1")
        while (change := await subscription.next(timeout=2.0)) is not None:
            changes.append(change)
            if change.op == "remove":
                break
    assert [c.op for c in changes] == ["agent", "enqueue", "reserve", "requeue", "remove"]
    login, enqueued, reserved, requeued, removed = changes
    assert login.agent == AgentStatus("8001", AgentState.READY, 1.0, 1.0, version=1)
    assert login.extension == "8001"
    assert enqueued.call == waiting("c1", 1.0)
    assert reserved.agent is not None and reserved.agent.call_id == "c1"
    assert requeued.agent is not None and requeued.agent.reason == "no-answer"
    assert requeued.call == waiting("c1", 1.0, excluded=frozenset({"8001"}))
    assert (removed.call_id, removed.extension) == ("c1", "")


async def test_snapshot_and_restore_after_redis_lost_everything(
    live: LiveState, redis_prefix: tuple[aioredis.Redis, str]
) -> None:
    client, prefix = redis_prefix
    await live.put_profile(AgentProfile("8003", "张伟", {}, frozenset({"zh"}), "B", 0))
    await ready(live, "8001", "8002")
    await live.handle("8002", sm.Pause("lunch"), 2.0)
    snapshot = await live.snapshot()
    assert [s.extension for s in snapshot] == ["8001", "8002"]  # 8003 has no status yet
    assert await live.restore(snapshot) == 0  # Redis still has them
    await _drop(client, prefix)
    assert await live.restore(snapshot) == 2
    assert await live.snapshot() == snapshot
    assert await live.logged_in() == {"8001", "8002"}
    assert await live.restore(snapshot) == 0


# ---- two controllers racing --------------------------------------------------------------

AGENTS = [f"80{n:02d}" for n in range(1, 11)]
CALLS = 200


def _race_worker(prefix: str, seed: int) -> tuple[list[tuple[Any, ...]], int]:
    """One controller process: reserve the oldest calls for the longest idle agents, hold the
    offer a moment, answer, hang up (no wrap-up), until the queue is empty."""
    return asyncio.run(_race(prefix, seed))


async def _race(prefix: str, seed: int) -> tuple[list[tuple[Any, ...]], int]:
    client = aioredis.from_url(REDIS_URL)
    live = LiveState(client, prefix)
    await live.load_scripts()
    rng = random.Random(seed)
    records: list[tuple[Any, ...]] = []
    lost = [0]
    give_up = time.monotonic() + 30.0  # a broken reservation must fail the test, not hang it

    async def controller() -> None:
        while (queued := await live.queued_calls(limit=8)) and time.monotonic() < give_up:
            calls = [c for c in queued if not c.reserved_by]
            agents = [a for a in await live.agents() if a.state is AgentState.READY]
            if not calls or not agents:
                await asyncio.sleep(0.001)
                continue
            agents.sort(key=lambda a: (a.idle_since, a.extension))
            call, agent = rng.choice(calls[:2]), rng.choice(agents[:2])  # 6 offers at most
            ext = agent.extension
            offer = await live.reserve(ext, call.call_id, agent.version, 30.0, time.time())
            if offer is None:
                lost[0] += 1
                continue
            held_from = time.time()
            await asyncio.sleep(rng.uniform(0.0, 0.003))
            held_to = time.time()
            answered = await live.confirm(ext, call.call_id, time.time())
            ended = await live.handle(ext, sm.CallEnded(call.call_id), time.time(), 0)
            versions = (offer.version, answered.status.version, ended.status.version)
            records.append((ext, call.call_id, held_from, held_to, *versions))

    barrier = f"{prefix}:test:started"  # both processes start together, after their imports
    await client.incr(barrier)
    while int(await client.get(barrier)) < 2:
        await asyncio.sleep(0.001)
    await asyncio.gather(*(controller() for _ in range(3)))
    await client.aclose()
    return records, lost[0]


async def test_two_processes_never_double_offer(live: LiveState, redis_prefix: Any) -> None:
    _, prefix = redis_prefix
    await ready(live, *AGENTS)
    for n in range(CALLS):
        await live.enqueue(waiting(f"call-{n:03d}", 1000.0 + n))
    loop = asyncio.get_running_loop()
    with ProcessPoolExecutor(max_workers=2, mp_context=get_context("spawn")) as pool:
        runs = await asyncio.gather(
            *(loop.run_in_executor(pool, _race_worker, prefix, seed) for seed in (1, 2))
        )
    records = [r for rs, _ in runs for r in rs]
    assert all(rs for rs, _ in runs), "both processes reserved calls"
    assert sum(lost for _, lost in runs) > 0, "the processes really competed"
    assert sorted(r[1] for r in records) == [f"call-{n:03d}" for n in range(CALLS)]
    by_agent: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    for record in records:
        by_agent[record[0]].append(record)
    for ext, held in by_agent.items():
        held.sort(key=lambda r: r[4])
        # every reservation, answer and hang-up of an agent follow each other without a gap:
        # versions 2, 3, 4 then 5, 6, 7 ... (1 was the login)
        assert [r[4:] for r in held] == [
            (2 + 3 * k, 3 + 3 * k, 4 + 3 * k) for k in range(len(held))
        ], ext
        for before, after in pairwise(held):
            assert before[3] <= after[2], f"agent {ext} held two offers at once"
    assert await live.queued_calls() == []
    assert {a.state for a in await live.agents()} == {AgentState.READY}
