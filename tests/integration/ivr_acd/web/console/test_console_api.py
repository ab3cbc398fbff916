"""The console's endpoints over real sockets: the live stream on two "controllers" sharing the
real Redis (a change made anywhere reaches the consoles of both; the agent's desktop gets the
screen-pop from the CRM on SQLite and PostgreSQL, masked), the pages and who may open them (the
campaigns page: supervisors and admins), the queue figures, the calls per hour and the end of
wrap-up."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import redis.asyncio as aioredis
from aiohttp import WSMsgType, web
from aiohttp.test_utils import TestClient, TestServer

from acd.core import agent_states as sm
from acd.core.model import AgentProfile, AgentStatus, WaitingCall
from acd.core.wallboard import wallboard
from acd.live.live_state import LiveState
from crm_bridge.calls.call_volume import CallVolume
from crm_bridge.calls.live import LiveCallStore
from crm_bridge.calls.records import CallRecord
from crm_bridge.db import Database
from crm_bridge.repositories import CallRepository, CustomerRepository
from crm_bridge.screen_pop import CustomerPolicies
from crm_bridge.seed import seed
from crm_bridge.vocab import Role
from ivr.handoff import Handoff
from ivr.handoff_store import HandoffStore
from ivr_acd.web.app import API, ApiDeps, build_api
from ivr_acd.web.auth.sessions import SessionStore
from ivr_acd.web.console.hub import ConsoleHub
from ivr_acd.web.console.pages import add_console_pages
from ivr_acd.web.console.routes import CONSOLE, ConsolePorts
from ivr_acd.web.console.sources import ScreenPops
from ivr_acd.web.i18n import packaged_catalogs
from tests.call_records import call_record
from wire import redis_keys

pytestmark = pytest.mark.integration

REDIS_URL = "redis://127.0.0.1:6379/0"
TOKEN = "console-test-token"
BEARER = {"Authorization": f"Bearer {TOKEN}"}
PROFILES = {
    "8001": AgentProfile("8001", "王芳", {"service": 4}, frozenset({"zh"}), "service", 0),
    "8002": AgentProfile("8002", "李娜", {"service": 3}, frozenset({"zh"}), "service", 0),
}
SHANGHAI = ZoneInfo("Asia/Shanghai")
Client = TestClient[web.Request, web.Application]


class NoCalls:
    async def list(self, *args: Any, **kwargs: Any) -> list[CallRecord]:
        return []


async def _no_live_calls() -> list[Any]:
    return []


async def _healthy() -> dict[str, Any]:
    return {"redis": {"ok": True}}


class RedisBoard:
    """The board from the ACD's live state in Redis (as every controller reads it)."""

    def __init__(self, live: LiveState) -> None:
        self.live = live

    async def snapshot(self) -> dict[str, Any]:
        queued, statuses = await self.live.queued_calls(), await self.live.agents()
        return {**wallboard([], queued, statuses, PROFILES, time.time()), "calls": []}

    def profiles(self) -> Mapping[str, AgentProfile]:
        return PROFILES

    async def status(self, extension: str) -> AgentStatus:
        return await self.live.status(extension)


class NoPops:
    async def for_offer(self, extension: str, call_id: str) -> dict[str, Any] | None:
        return None


@dataclass
class FakeControl:
    """The ACD's agent port as far as the console's actions need it."""

    ended: list[str] = field(default_factory=list)

    async def end_wrapup(self, extension: str) -> object:
        self.ended.append(extension)
        return None

    async def state(self, extension: str) -> Mapping[str, Any]:
        return {"extension": extension, "state": "ready", "reason": "", "call": ""}

    async def login(self, extension: str) -> object:
        return None

    async def logout(self, extension: str) -> object:
        return None

    async def pause(self, extension: str, reason: str) -> object:
        return None

    async def unpause(self, extension: str) -> object:
        return None

    async def snapshot(self) -> Mapping[str, Any]:
        return {"queues": [{"queue": "service", "waiting": 0}], "waiting": [], "agents": []}


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


@dataclass
class Console:
    client: Client
    hub: ConsoleHub
    sessions: SessionStore
    tasks: list[asyncio.Task[None]]

    async def cookie(self, extension: str, role: Role) -> dict[str, str]:
        session = await self.sessions.create(extension, role, "service", f"user {extension}")
        return {"Cookie": f"ivracd_session={session.token}", "X-CSRF-Token": session.csrf_token}


async def _console(
    redis: aioredis.Redis,
    prefix: str,
    pops: Any = None,
    *,
    calls: Any = None,
    volume: CallVolume | None = None,
    control: FakeControl | None = None,
) -> Console:
    live = LiveState(redis, prefix)
    hub = ConsoleHub(RedisBoard(live), pops or NoPops(), live.subscribe, interval=0.2)
    sessions = SessionStore(redis, prefix)
    deps = ApiDeps(
        calls or NoCalls(),
        _no_live_calls,
        _healthy,
        TOKEN,
        agent_control=control,
        queue_stats=control,
        sessions=sessions,
    )
    app = build_api(deps)
    app[CONSOLE] = ConsolePorts(
        feed=hub, volume=volume, end_wrapup=control.end_wrapup if control else None
    )
    add_console_pages(app)
    client: Client = TestClient(TestServer(app))
    await client.start_server()
    tasks = [
        asyncio.create_task(hub.follow_changes()),
        asyncio.create_task(hub.refresh_forever()),
    ]
    return Console(client, hub, sessions, tasks)


async def _close(*consoles: Console) -> None:
    for console in consoles:
        for task in console.tasks:
            task.cancel()
        await console.hub.close()
        await console.client.close()


async def _subscribed(redis: aioredis.Redis, prefix: str, hubs: int) -> None:
    """Wait until ``hubs`` hubs listen on the ACD's channel (nothing published is missed)."""
    channel = redis_keys.acd_events(prefix)
    for _ in range(100):
        counts = dict(await redis.pubsub_numsub(channel))
        if counts.get(channel.encode(), 0) >= hubs:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the hubs did not subscribe")


async def _until(
    ws: Any, check: Callable[[dict[str, Any]], bool], timeout_s: float = 5.0
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError("no such event")
        message = await asyncio.wait_for(ws.receive(), left)
        assert message.type == WSMsgType.TEXT, message
        event: dict[str, Any] = message.json()
        if check(event):
            return event


def _kind(kind: str, **fields: Any) -> Callable[[dict[str, Any]], bool]:
    def check(event: dict[str, Any]) -> bool:
        return event.get("type") == kind and all(event.get(k) == v for k, v in fields.items())

    return check


async def _no_event(ws: Any, check: Callable[[dict[str, Any]], bool], seconds: float) -> None:
    try:
        found = await _until(ws, check, seconds)
    except (AssertionError, TimeoutError):
        return
    raise AssertionError(f"unexpected event {found}")


async def test_a_change_anywhere_reaches_the_consoles_of_every_controller(
    redis_prefix: tuple[aioredis.Redis, str], database: Database
) -> None:
    redis, prefix = redis_prefix
    await seed(database.sessions)
    customers = CustomerRepository(database.sessions)
    chen = await customers.by_phone("13800138004")
    assert chen is not None

    async def path(channel: str) -> str:
        return "language:1>main:3>pay" if channel else ""

    pops = ScreenPops(
        LiveState(redis, prefix),
        LiveCallStore(redis, prefix),
        HandoffStore(redis, prefix),
        customers,
        CustomerPolicies(database.sessions),
        path,
    )
    first = await _console(redis, prefix)
    second = await _console(redis, prefix, pops)
    try:
        await _subscribed(redis, prefix, 2)
        wall = await first.client.ws_connect(f"{API}/stream", headers=BEARER)
        agent = await second.cookie("8001", Role.AGENT)
        desk = await second.client.ws_connect(
            f"{API}/stream", headers={**agent, "Origin": str(second.client.make_url("/"))[:-1]}
        )
        hello = await _until(desk, _kind("hello"))
        assert hello["viewer"] == {
            "role": "agent",
            "name": "user 8001",
            "extension": "8001",
            "wallboard": False,
        }
        await _until(wall, _kind("snapshot"))

        elsewhere = LiveState(redis, prefix)  # a third controller makes the changes
        await elsewhere.handle("8001", sm.Login(), time.time())
        ready = await _until(wall, _kind("agent"))
        assert (ready["agent"]["extension"], ready["agent"]["state"]) == ("8001", "ready")
        assert ready["agent"]["name"] == "王芳"
        assert (await _until(desk, _kind("agent")))["agent"]["state"] == "ready"

        await HandoffStore(redis, prefix).save(
            "call-1",
            Handoff(
                "pay", ("collections",), "zh", chen.id, "vip", {"policy": "P-1", "amount": "9"}
            ),
        )
        call = WaitingCall(
            "call-1",
            "PJSIP/carrier-1",
            "13800138004",
            ("service",),
            "zh",
            True,
            time.time(),
            customer_name="陈静",
            queue="service",
        )
        await elsewhere.enqueue(call)
        joined = await _until(wall, _kind("queue", op="enqueue"))
        assert (joined["call"]["caller"], joined["call"]["vip"]) == ("13800138004", True)
        board = await _until(wall, lambda e: e["type"] == "snapshot" and bool(e["waiting"]))
        assert board["waiting"][0]["call"] == "call-1"
        assert board["queues"][0]["waiting"] == 1 and board["queues"][0]["vip_waiting"] == 1

        status = await elsewhere.status("8001")
        assert await elsewhere.reserve("8001", "call-1", status.version, 30, time.time())
        offer = await _until(wall, _kind("offer"))
        assert (offer["agent"], offer["call"]) == ("8001", "call-1")
        pop = await _until(desk, _kind("screen-pop"))
        assert (pop["call"], pop["caller"], pop["vip"]) == ("call-1", "13800138004", True)
        assert pop["customer"]["name"] == "陈静" and pop["customer"]["tier"] == "vip"
        assert pop["customer"]["id_number"] == "*" * 14 + chen.id_number[-4:]
        assert pop["customer"]["account_manager"] == "8006"
        assert pop["customer"]["policies"], "the customer's policies"
        assert pop["ivr"]["path"] == "language:1>main:3>pay" and pop["ivr"]["intent"] == "pay"
        assert pop["ivr"]["facts"] == {"policy": "P-1", "amount": "9"}
        await _no_event(desk, _kind("queue"), 0.5)  # an agent sees no other caller
        await wall.close()
        await desk.close()
    finally:
        await _close(first, second)


async def test_the_pages_need_a_session_and_the_right_role(
    redis_prefix: tuple[aioredis.Redis, str],
) -> None:
    console = await _console(*redis_prefix)
    client = console.client
    try:
        for path in ("/console", "/console/agent"):
            response = await client.get(path, allow_redirects=False)
            assert response.status == 302
            assert response.headers["Location"] == f"/console/login?next={path}"
        login = await client.get("/console/login")
        sign_in = packaged_catalogs().text("zh-CN", "login.sign-in")  # Chinese by default
        assert login.status == 200 and sign_in in await login.text()
        agent, supervisor = (
            await console.cookie("8001", Role.AGENT),
            await console.cookie("9001", Role.SUPERVISOR),
        )
        to_desk = await client.get("/console", headers=agent, allow_redirects=False)
        assert (to_desk.status, to_desk.headers["Location"]) == (302, "/console/agent")
        desk = await client.get("/console/agent", headers=agent)
        assert desk.status == 200 and "/console/static/agent.js" in await desk.text()
        assert "script-src 'self'" in desk.headers["Content-Security-Policy"]
        board = await client.get("/console", headers=supervisor)
        assert board.status == 200 and "/console/static/wallboard.js" in await board.text()
        script = await client.get("/console/static/wallboard.js")
        assert script.status == 200 and "javascript" in script.content_type
    finally:
        await _close(console)


async def test_the_campaigns_page_is_for_supervisors(
    redis_prefix: tuple[aioredis.Redis, str],
) -> None:
    console = await _console(*redis_prefix)
    client = console.client
    try:
        anonymous = await client.get("/console/campaigns", allow_redirects=False)
        assert anonymous.status == 302
        assert anonymous.headers["Location"] == "/console/login?next=/console/campaigns"
        agent = await console.cookie("8001", Role.AGENT)
        to_desk = await client.get("/console/campaigns", headers=agent, allow_redirects=False)
        assert (to_desk.status, to_desk.headers["Location"]) == (302, "/console/agent")
        for extension, role in (("9001", Role.SUPERVISOR), ("9000", Role.ADMIN)):
            page = await client.get(
                "/console/campaigns", headers=await console.cookie(extension, role)
            )
            html = await page.text()
            assert page.status == 200 and "Campaigns" in html, role
            assert "/console/static/campaigns.js" in html and 'id="campaigns"' in html
            assert "script-src 'self'" in page.headers["Content-Security-Policy"]
            assert page.headers["Cache-Control"] == "no-store"
        script = await client.get("/console/static/campaigns.js")
        assert script.status == 200 and "javascript" in script.content_type
        text = await script.text()
        for route in ("/campaigns", "/attempts?", "/decisions?", "/results.csv"):
            assert route in text, route
        board = await client.get("/console", headers=await console.cookie("9001", Role.SUPERVISOR))
        assert 'href="/console/campaigns"' in await board.text(), "the wallboard links to it"
    finally:
        await _close(console)


async def test_the_stream_knows_who_may_watch_what(
    redis_prefix: tuple[aioredis.Redis, str],
) -> None:
    console = await _console(*redis_prefix)
    client = console.client
    try:
        anonymous = await client.get(f"{API}/stream")
        assert anonymous.status == 401
        assert (await anonymous.json())["error"] == "unauthenticated"
        agent = await console.cookie("8001", Role.AGENT)
        foreign = await client.get(
            f"{API}/stream", headers={**agent, "Origin": "http://evil.example"}
        )
        assert (foreign.status, (await foreign.json())["error"]) == (403, "csrf")
        other = await client.get(f"{API}/stream?agent=8002", headers=agent)
        assert (other.status, (await other.json())["error"]) == (403, "forbidden")
        wall = await client.ws_connect(f"{API}/stream?agent=8002", headers=BEARER)
        hello = await _until(wall, _kind("hello"))
        assert hello["viewer"]["extension"] == "8002" and hello["viewer"]["wallboard"]
        assert "lunch" in hello["pause_reasons"]
        await wall.close()
    finally:
        await _close(console)


async def test_queue_figures_calls_per_hour_and_the_end_of_wrap_up(
    redis_prefix: tuple[aioredis.Redis, str], database: Database
) -> None:
    calls = CallRepository(database.sessions)
    morning = datetime(2026, 11, 23, 9, 5, tzinfo=SHANGHAI).astimezone(UTC)
    for n, (offset, changes) in enumerate(
        [
            (0, {}),
            (20, {"abandoned": True, "answer_time": None, "agent_extension": None}),
            (70, {"direction": "outbound"}),
            (-24 * 60, {}),  # the day before
        ]
    ):
        start = morning + timedelta(minutes=offset)
        await calls.save(
            call_record(
                f"hourly.{n}",
                **{"start_time": start, "answer_time": start, "end_time": start, **changes},
            )
        )
    control = FakeControl()
    console = await _console(
        *redis_prefix,
        calls=calls,
        volume=CallVolume(database.sessions, SHANGHAI),
        control=control,
    )
    client = console.client
    try:
        stats = await client.get(f"{API}/queues/stats", headers=BEARER)
        assert (await stats.json())["queues"] == [{"queue": "service", "waiting": 0}]
        assert (await client.get(f"{API}/queues/stats")).status == 401

        day = await client.get(f"{API}/calls/hourly?day=2026-11-23", headers=BEARER)
        report = await day.json()
        assert (report["total"], report["time_zone"]) == (3, "Asia/Shanghai")
        assert report["hours"][9] == {
            "hour": 9,
            "inbound": 2,
            "outbound": 0,
            "answered": 1,
            "abandoned": 1,
        }
        assert report["hours"][10]["outbound"] == 1
        today = await (await client.get(f"{API}/calls/hourly", headers=BEARER)).json()
        assert today["day"] == datetime.now(SHANGHAI).date().isoformat()
        bad = await client.get(f"{API}/calls/hourly?day=23.11.2026", headers=BEARER)
        assert (bad.status, (await bad.json())["error"]) == (400, "bad-request")

        agent = await console.cookie("8001", Role.AGENT)
        ready = await client.post(f"{API}/agents/8001/ready", headers=agent)
        assert ready.status == 200 and (await ready.json())["state"] == "ready"
        someone_else = await client.post(f"{API}/agents/8002/ready", headers=agent)
        assert someone_else.status == 403
        no_csrf = {"Cookie": agent["Cookie"]}
        forged = await client.post(f"{API}/agents/8001/ready", headers=no_csrf)
        assert (forged.status, (await forged.json())["error"]) == (403, "csrf")
        assert control.ended == ["8001"]
        assert date.fromisoformat(report["day"]) == date(2026, 11, 23)
    finally:
        await _close(console)
