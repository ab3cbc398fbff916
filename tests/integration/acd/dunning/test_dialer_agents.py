"""Progressive dunning reserves its collections agent through the ACD, over the real Redis and
a real CRM (SQLite and PostgreSQL): the ACD's ranking picks the agent, the reservation is
journalled like every other transition (so it is in ``agent_state_log``), and an inbound
caller and a dunning call reserving at once never give one agent two calls."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import redis.asyncio as aioredis

from acd.core.model import AgentProfile, AgentState, WaitingCall
from acd.core.routing import RoutingPolicy
from acd.crm import CrmTransitionLog
from acd.dispatcher import Dispatcher
from acd.dunning.agents import CollectionsAgents, agent_call_id
from acd.dunning.core.codec import spec_from
from acd.dunning.dialer import Dialer
from acd.dunning.events import AttemptTracker
from acd.dunning.facts import CampaignFacts
from acd.dunning.repository import CampaignRepository
from acd.live.live_state import LiveState
from acd.live.queue_stats import QueueStats
from acd.service import Acd
from crm_bridge.calls.records import CallRecord
from crm_bridge.db import Database
from crm_bridge.models import Customer, CustomerPhone, Policy
from crm_bridge.repositories import AgentStateLogRepository
from tests.integration.acd.dunning.fakes import make_dialer
from wire.events import OriginateResponse

pytestmark = pytest.mark.integration

REDIS_URL = "redis://127.0.0.1:6379/0"
START = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai, a Monday
NUMBER = "13911140001"
LEASE = 60.0
PROFILES = (
    # a collections specialist, and a VIP expert who also does collections: the ACD keeps the
    # expert free when it can (fewest other skills), whoever has been idle longer
    AgentProfile("8003", "张磊", {"collections": 5, "service": 2}, frozenset({"zh", "en"}), "c", 0),
    AgentProfile(
        "8006",
        "赵刚",
        {"vip": 4, "sales": 5, "collections": 3, "auto": 5, "health": 4},
        frozenset({"zh"}),
        "vip",
        0,
    ),
    AgentProfile("8001", "李明", {"service": 4}, frozenset({"zh"}), "s", 0),
)


@dataclass
class Delivered:
    calls: list[tuple[str, str]] = field(default_factory=list)

    async def deliver(self, call: WaitingCall, extension: str, step: str) -> bool:
        self.calls.append((call.call_id, extension))
        return True


class NoCallbacks:
    async def add(self, call: WaitingCall, kind: str, at: float) -> None:
        return None


@dataclass
class Controller:
    acd: Acd
    live: LiveState
    journal: CrmTransitionLog
    log: AgentStateLogRepository


_DISPATCHERS: list[Dispatcher] = []  # the controllers built by a test, closed after it


@pytest.fixture(autouse=True)
async def _close_dispatchers() -> AsyncIterator[None]:
    """A wrap-up timer left running ends its agent's wrap-up in a later test, on a closed
    Redis: that test then logs an error it did not cause."""
    yield
    while _DISPATCHERS:
        await _DISPATCHERS.pop().close()


@pytest.fixture
async def redis_prefix() -> AsyncIterator[tuple[aioredis.Redis, str]]:
    client = aioredis.from_url(REDIS_URL)
    prefix = f"test-{uuid.uuid4().hex[:8]}"
    try:
        yield client, prefix
    finally:
        keys = [k async for k in client.scan_iter(f"{prefix}:*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()


async def controller(
    database: Database, redis: aioredis.Redis, prefix: str, *agents: str
) -> Controller:
    """One controller's ACD over the shared Redis and CRM; ``agents`` log in, in that order."""
    log = AgentStateLogRepository(database.sessions)
    journal = CrmTransitionLog(log)
    live = LiveState(redis, prefix)
    dispatcher = Dispatcher(live, RoutingPolicy(), Delivered(), journal, lease_seconds=15.0)
    _DISPATCHERS.append(dispatcher)
    acd = Acd(dispatcher, QueueStats(redis, prefix), NoCallbacks(), clock=time.time)
    await acd.load(PROFILES)
    for extension in agents:
        await acd.login(extension)
        await asyncio.sleep(0.002)  # idle since a distinct instant
    return Controller(acd, live, journal, log)


def collections(acd: Acd) -> CollectionsAgents:
    return CollectionsAgents(acd, LEASE)


async def history(ctl: Controller, extension: str) -> list[tuple[str, str, str, str | None]]:
    await ctl.journal.flush()
    return [
        (t.from_state, t.to_state, t.reason, t.call_linkedid)
        for t in await ctl.log.history(extension)
    ]


# ---- the dialer, progressive ---------------------------------------------------------------


@dataclass
class Clock:
    now: datetime = START

    def __call__(self) -> datetime:
        return self.now


@dataclass
class FakeAmi:
    originated: list[dict[str, str]] = field(default_factory=list)

    async def action(self, name: str, **fields: str) -> Mapping[str, str]:
        if name == "Originate":
            self.originated.append(fields)
        return {"Response": "Success"}

    async def action_list(self, name: str, **fields: str) -> list[Mapping[str, str]]:
        return []


class NoCdrs:
    async def get(self, linkedid: str) -> CallRecord | None:
        return None


async def _overdue_customer(database: Database) -> None:
    async with database.sessions.begin() as session:
        customer = Customer(
            name="Progressive",
            id_number="PROG-1",
            region="dialer-agents",
            time_zone="Asia/Shanghai",
            language="zh",
            phones=[CustomerPhone(number=NUMBER, kind="mobile")],
        )
        session.add(customer)
        await session.flush()
        session.add(
            Policy(
                number="PG1",
                customer_id=customer.id,
                product="auto",
                premium=Decimal(900),
                due_date=date(2026, 10, 1),
                status="overdue",
            )
        )


async def _progressive_dialer(database: Database, agents: CollectionsAgents) -> Dialer:
    clock = Clock()
    campaigns = CampaignRepository(database.sessions, clock)
    spec = spec_from(
        {
            "id": "dial-agents",
            "name": "progressive",
            "mode": "progressive",
            "rule": {"min_days_overdue": 5, "regions": ["dialer-agents"]},
            "schedule": {"start_date": "2026-11-01", "end_date": "2026-11-30"},
            "caps": {"max_channels": 1, "max_calls_per_second": 1},
        }
    )
    await campaigns.create(spec.campaign)
    await campaigns.set_state("dial-agents", "start")
    facts = CampaignFacts(database.sessions, clock)
    tracker = AttemptTracker(campaigns, facts, FakeAmi(), NoCdrs(), agents, clock, settle_seconds=0)
    return make_dialer(campaigns, facts, tracker, clock)


async def test_a_progressive_reservation_is_in_the_agent_state_log(
    database: Database, redis_prefix: tuple[aioredis.Redis, str]
) -> None:
    redis, prefix = redis_prefix
    await _overdue_customer(database)
    ctl = await controller(database, redis, prefix, "8006", "8003", "8001")
    dialer = await _progressive_dialer(database, collections(ctl.acd))

    await dialer.step()

    (tracked,) = dialer.tracker.calls.values()
    call_id = agent_call_id(tracked.linkedid)
    assert tracked.live.agent == "8003"  # the ACD's ranking: the expert 8006 stays free
    status = await ctl.acd.state("8003")
    assert (status.state, status.call_id) == (AgentState.RESERVED, call_id)
    assert await history(ctl, "8003") == [
        ("logged-out", "ready", "", None),
        ("ready", "reserved", "dunning", call_id),
    ]

    # the customer's line was busy: the agent is let go, through the ACD as well
    busy = OriginateResponse(uniqueid=tracked.linkedid, channel="", success=False, reason=5)
    await dialer.tracker.apply(busy)
    assert (await ctl.acd.state("8003")).state is AgentState.READY
    assert (await history(ctl, "8003"))[2:] == [("reserved", "ready", "", call_id)]
    assert await ctl.live.call(call_id) is None  # nothing left in the ACD's line


async def test_a_connected_dunning_call_is_journalled_to_its_end(
    database: Database, redis_prefix: tuple[aioredis.Redis, str]
) -> None:
    redis, prefix = redis_prefix
    ctl = await controller(database, redis, prefix, "8003")
    agents = collections(ctl.acd)
    assert agents.ready() == ["8003"]

    assert await agents.reserve("dun-1", NUMBER, "zh") == "8003"
    assert agents.ready() == []
    await agents.connected("8003", "dun-1")
    await agents.ended("8003", "dun-1")

    call_id = agent_call_id("dun-1")
    assert await history(ctl, "8003") == [
        ("logged-out", "ready", "", None),
        ("ready", "reserved", "dunning", call_id),
        ("reserved", "on-call", "", call_id),
        ("on-call", "ready", "", call_id),  # no wrap-up in the profile
    ]
    assert await ctl.live.call(call_id) is None


async def test_nobody_ready_with_the_skill_reserves_nobody(
    database: Database, redis_prefix: tuple[aioredis.Redis, str]
) -> None:
    redis, prefix = redis_prefix
    ctl = await controller(database, redis, prefix, "8001")  # service only
    agents = collections(ctl.acd)
    assert agents.ready() == []
    assert await agents.reserve("dun-2", NUMBER, "zh") is None
    assert (await ctl.acd.state("8001")).state is AgentState.READY


async def test_an_agent_speaking_the_language_first_then_any(
    database: Database, redis_prefix: tuple[aioredis.Redis, str]
) -> None:
    redis, prefix = redis_prefix
    ctl = await controller(database, redis, prefix, "8006")  # zh only
    agents = collections(ctl.acd)
    assert await agents.reserve("dun-3", NUMBER, "en") == "8006"  # nobody speaks English


async def test_an_expired_dunning_reservation_leaves_no_call_in_line(
    database: Database, redis_prefix: tuple[aioredis.Redis, str]
) -> None:
    redis, prefix = redis_prefix
    ctl = await controller(database, redis, prefix, "8003")
    agents = collections(ctl.acd)
    assert await agents.reserve("dun-4", NUMBER, "zh") == "8003"
    # this controller died: another one's tick gives the agent back once the lease passed
    released = await ctl.live.expire_leases(time.time() + LEASE + 1)
    assert [r.extension for r in released] == ["8003"]
    assert await ctl.live.call(agent_call_id("dun-4")) is None
    assert await ctl.live.queued_calls() == []


# ---- two features reserving at once --------------------------------------------------------


def inbound(call_id: str) -> WaitingCall:
    return WaitingCall(
        call_id=call_id,
        channel=f"PJSIP/carrier-{call_id}",
        caller_number="13800138000",
        skills=("service",),
        language="zh",
        vip=False,
        enqueued_at=time.time(),
        queue="service",
    )


ROUNDS = 12


async def test_an_inbound_caller_and_a_dunning_call_never_share_an_agent(
    database: Database, redis_prefix: tuple[aioredis.Redis, str]
) -> None:
    """One agent with both skills, reserved for both at once, round after round: by the same
    controller, and by two controllers (each its own mirror) sharing the Redis."""
    redis, prefix = redis_prefix
    one = await controller(database, redis, prefix, "8003")
    two = await controller(database, redis, prefix)
    for n in range(ROUNDS):
        other = one if n % 2 else two  # same controller, then the other one
        for ctl in (one, two):  # their mirrors, as they would follow the published changes
            await ctl.acd.load(PROFILES)
        joined, dunning = await asyncio.gather(
            one.acd.join(inbound(f"in-{n}")),
            collections(other.acd).reserve(f"dun-{n}", NUMBER, "zh"),
        )
        winners = [w for w in (joined.agent, dunning) if w]
        assert winners == ["8003"], (n, joined, dunning)
        status = await one.acd.state("8003")
        held = f"in-{n}" if joined.agent else agent_call_id(f"dun-{n}")
        assert (status.state, status.call_id) == (AgentState.RESERVED, held)
        # the loser: the caller waits in line, or the dunning call is not dialled; then the
        # caller hangs up and the agent is let go
        waiting = [c.call_id for c in await one.live.waiting_calls()]
        assert waiting == ([f"in-{n}"] if dunning else []), (n, waiting)
        await one.acd.caller_left(f"in-{n}")
        if dunning:
            await collections(other.acd).release("8003", f"dun-{n}")
        else:
            await one.acd.agent_dial_ended("8003", f"in-{n}", "CANCEL")
        assert (await one.acd.state("8003")).state is AgentState.READY
    await two.journal.flush()  # both controllers journal what they reserve
    reserved = [row for row in await history(one, "8003") if row[1] == "reserved"]
    assert len(reserved) == ROUNDS
