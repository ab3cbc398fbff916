"""Supervision's REST API and use cases over a real socket, with the audit trail on SQLite and
PostgreSQL and a small in-memory Asterisk (the AMI actions it is sent, the channels it lists,
the events it would send). The principal of each request is set as the console's session
middleware sets it, so agents, supervisors of either team and admins are all tried."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from acd.supervision.repository import NewSpySession, SpyRepository
from acd.supervision.service import Supervision
from crm_bridge.agent_repository import AgentProfile
from crm_bridge.calls.records import CallRecord
from crm_bridge.db import Database
from crm_bridge.vocab import Role
from ivr_acd.web.app import API, ApiDeps, build_api
from ivr_acd.web.auth.principal import PRINCIPAL, Principal
from ivr_acd.web.core import Handler
from tests.fake_ami import FakeAmi
from wire import names
from wire.commands import GetVar
from wire.events import DtmfEnd, Hangup, OriginateResponse, Resync, SpyAnswered, SpyEnded
from wire.replies import ChannelRow, channel_rows

pytestmark = pytest.mark.integration

TOKEN = "test-token-123"
CALL = "1764000000.20"
AGENT_LEG = "PJSIP/8001-00000011"
PRINCIPALS = {
    "agent-8001": Principal(Role.AGENT, "8001", "service", "李明"),
    "agent-8002": Principal(Role.AGENT, "8002", "service", "王静"),
    "supervisor-9001": Principal(Role.SUPERVISOR, "9001", "service", "刘建国"),
    "supervisor-9002": Principal(Role.SUPERVISOR, "9002", "vip", "Helen Zhou"),
    "admin-9900": Principal(Role.ADMIN, "9900", "operations", "系统管理员"),
}
PEOPLE = {
    ext: AgentProfile(i, ext, name, ("zh",), team, role, None, {})
    for i, (ext, name, team, role) in enumerate(
        [
            ("8001", "李明", "service", "agent"),
            ("8002", "王静", "service", "agent"),
            ("8005", "陈晓燕", "vip", "agent"),
            ("9001", "刘建国", "service", "supervisor"),
            ("9002", "Helen Zhou", "vip", "supervisor"),
            ("9900", "系统管理员", "operations", "admin"),
        ],
        start=1,
    )
}


def _channel(name: str, uniqueid: str, linkedid: str, state: str = "Up", **more: str) -> Any:
    return {
        "Channel": name,
        "Uniqueid": uniqueid,
        "Linkedid": linkedid,
        "ChannelStateDesc": state,
        "BridgeId": "b1" if state == "Up" else "",
        **more,
    }


def talking_call() -> list[dict[str, str]]:
    return [
        _channel("PJSIP/carrier-00000010", CALL, CALL, CallerIDNum="13800138000"),
        _channel(AGENT_LEG, "1764000000.21", CALL, CallerIDNum="8001"),
        _channel("PJSIP/carrier-00000012", "1764000000.30", "1764000000.30"),  # waits in line
    ]


@dataclass
class FakeAsterisk(FakeAmi):
    """What the supervision service sees of Asterisk through AMI: the channels as
    ``CoreShowChannels`` lists them, and which phones are registered."""

    listed: list[dict[str, str]] = field(default_factory=talking_call)
    unregistered: set[str] = field(default_factory=set)

    async def get_var(self, command: GetVar) -> str:
        await super().get_var(command)
        endpoint = command.variable.removeprefix("DEVICE_STATE(PJSIP/").rstrip(")")
        return "UNAVAILABLE" if endpoint in self.unregistered else "NOT_INUSE"

    async def channels(self) -> tuple[ChannelRow, ...]:
        self.rows = list(channel_rows(self.listed))
        return await super().channels()


@dataclass
class People:
    async def by_extension(self, extension: str) -> AgentProfile | None:
        return PEOPLE.get(extension)


class NoCalls:
    async def list(self, *args: Any, **kwargs: Any) -> list[CallRecord]:
        return []


async def _no_live_calls() -> list[Any]:
    return []


async def _healthy() -> dict[str, Any]:
    return {}


@web.middleware
async def as_principal(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Stands in for the console's session middleware: ``X-Principal`` names who asks."""
    who = request.headers.get("X-Principal")
    if who is not None:
        request[PRINCIPAL] = PRINCIPALS[who]
    return await handler(request)


@dataclass
class Rig:
    client: TestClient[web.Request, web.Application]
    asterisk: FakeAsterisk
    supervision: Supervision
    spies: SpyRepository

    async def send(
        self, method: str, path: str, who: str | None = None, body: Any = None
    ) -> tuple[int, Any]:
        headers = {"X-Principal": who} if who else {"Authorization": f"Bearer {TOKEN}"}
        response = await self.client.request(method, API + path, json=body, headers=headers)
        return response.status, await response.json()

    async def spy(self, mode: str = "listen", who: str | None = None, **body: Any) -> Any:
        return await self.send("POST", f"/calls/{CALL}/spy", who, {"mode": mode, **body})

    async def started(self, who: str = "supervisor-9001", mode: str = "listen") -> dict[str, Any]:
        status, body = await self.spy(mode, who)
        assert status == 201, body
        return dict(body)

    async def event(self, event: Any) -> None:
        await self.supervision.apply(event)


@pytest.fixture
async def rig(database: Database) -> AsyncIterator[Rig]:
    asterisk = FakeAsterisk()
    spies = SpyRepository(database.sessions)
    supervision = Supervision(asterisk, People(), spies, ring_seconds=30)
    app = build_api(
        ApiDeps(
            calls=NoCalls(),
            live_calls=_no_live_calls,
            health=_healthy,
            api_token=TOKEN,
            supervision=supervision,
        )
    )
    app.middlewares.append(as_principal)
    async with TestClient(TestServer(app)) as client:
        yield Rig(client, asterisk, supervision, spies)


async def test_a_supervisor_of_the_agents_team_has_their_phone_rung(rig: Rig) -> None:
    status, body = await rig.spy("listen", "supervisor-9001")

    assert status == 201, body
    assert {k: body[k] for k in ("call_id", "agent", "supervisor", "mode", "origin")} == {
        "call_id": CALL,
        "agent": "8001",
        "supervisor": "9001",
        "mode": "listen",
        "origin": "api",
    }
    assert body["customer_number"] == "13800138000"
    assert body["requested_by"] == "9001"
    (originate,) = rig.asterisk.sent("Originate")
    assert originate["Channel"] == "PJSIP/9001"
    assert (originate["Context"], originate["Exten"]) == (names.CTX_SUPERVISE, "s")
    assert originate["ChannelId"].startswith(names.SPY_CHANNEL_PREFIX)
    assert originate["Variable"] == (
        f"SPY_ID={body['spy_id']},SPY_TARGET={AGENT_LEG},SPY_OPTIONS=qdES,SPY_MODE=listen"
    )


@pytest.mark.parametrize(
    ("who", "body", "status", "code"),
    [
        ("agent-8001", {}, 403, "forbidden"),  # an agent, even the call's own
        ("agent-8002", {}, 403, "forbidden"),  # an agent of the same team
        ("supervisor-9002", {}, 403, "forbidden"),  # another team's supervisor
        ("supervisor-9001", {"supervisor": "9002"}, 403, "forbidden"),  # someone else's phone
        (None, {}, 422, "supervisor-required"),  # the API token has no phone
        (None, {"supervisor": "8002"}, 422, "invalid-supervisor"),  # an agent's phone
        (None, {"supervisor": "12a"}, 422, "invalid-supervisor"),
        ("admin-9900", {"mode": "shout"}, 422, "invalid-spy-mode"),
    ],
)
async def test_who_may_not_spy(
    rig: Rig, who: str | None, body: dict[str, Any], status: int, code: str
) -> None:
    answer = await rig.send("POST", f"/calls/{CALL}/spy", who, {"mode": "listen", **body})
    assert answer == (status, {"error": code, "reason": answer[1]["reason"]})
    assert not rig.asterisk.sent("Originate")
    assert await rig.spies.list() == []


async def test_admins_may_spy_on_any_team_and_ring_any_supervisor(rig: Rig) -> None:
    status, own = await rig.spy("whisper", "admin-9900")
    assert status == 201 and own["supervisor"] == "9900", own
    status, token = await rig.spy("barge", None, supervisor="9002")
    assert status == 201 and token["supervisor"] == "9002", token
    assert token["requested_by"] == "api-token"
    options = [
        o["Variable"].split("SPY_OPTIONS=")[1].split(",")[0] for o in rig.asterisk.sent("Originate")
    ]
    assert options == ["qdESw", "qdESB"]


async def test_unknown_calls_calls_without_an_agent_and_unreachable_phones(rig: Rig) -> None:
    to_9001 = {"mode": "listen", "supervisor": "9001"}
    status, body = await rig.send("POST", "/calls/1764000000.99/spy", None, to_9001)
    assert (status, body["error"]) == (404, "call-not-found")
    status, body = await rig.send("POST", "/calls/1764000000.30/spy", None, to_9001)
    assert (status, body["error"]) == (409, "call-has-no-agent")
    rig.asterisk.listed[1]["ChannelStateDesc"] = "Ringing"  # the agent's phone still rings
    status, body = await rig.spy("listen", "supervisor-9001")
    assert (status, body["error"]) == (409, "call-has-no-agent")
    rig.asterisk.listed = talking_call()
    rig.asterisk.unregistered.add("9001")
    status, body = await rig.spy("listen", "supervisor-9001")
    assert (status, body["error"]) == (409, "supervisor-unavailable")
    status, body = await rig.send("POST", "/spy/12x/mode", None, {"mode": "listen"})
    assert (status, body["error"]) == (404, "spy-not-found")
    assert await rig.spies.list() == []


async def test_asterisk_refusing_the_originate_ends_the_session(rig: Rig) -> None:
    rig.asterisk.refuse.add("Originate")
    status, body = await rig.spy("listen", "supervisor-9001")
    assert (status, body["error"]) == (503, "asterisk-unavailable")
    (stored,) = await rig.spies.list()
    assert stored.end_reason == "not-answered"


async def test_mode_changes_before_and_after_the_answer(rig: Rig) -> None:
    created = await rig.started()
    spy_id, leg = created["spy_id"], rig.asterisk.sent("Originate")[0]["ChannelId"]

    status, body = await rig.send(
        "POST", f"/spy/{spy_id}/mode", "supervisor-9001", {"mode": "whisper"}
    )
    assert status == 200 and body["mode"] == "whisper", body
    assert {(s["Variable"], s["Value"]) for s in rig.asterisk.sent("Setvar")} == {
        ("SPY_OPTIONS", "qdESw"),
        ("SPY_MODE", "whisper"),
    }
    assert not rig.asterisk.sent("Redirect"), "still ringing: ChanSpy starts with the new options"

    await rig.event(SpyAnswered(uniqueid=leg, linkedid=leg, spy_id=spy_id))
    status, body = await rig.send("POST", f"/spy/{spy_id}/mode", "admin-9900", {"mode": "barge"})
    assert status == 200 and body["mode"] == "barge", body
    (redirect,) = rig.asterisk.sent("Redirect")
    assert redirect == {
        "Channel": leg,
        "Context": names.CTX_SUPERVISE,
        "Exten": names.EXTEN_SPY,
        "Priority": "1",
    }
    status, body = await rig.send(
        "POST", f"/spy/{spy_id}/mode", "supervisor-9002", {"mode": "listen"}
    )
    assert (status, body["error"]) == (403, "forbidden")
    status, body = await rig.send("POST", f"/spy/{spy_id}/mode", "agent-8001", {"mode": "listen"})
    assert (status, body["error"]) == (403, "forbidden")
    status, body = await rig.send("POST", f"/spy/{spy_id}/mode", None, {"mode": "loud"})
    assert (status, body["error"]) == (422, "invalid-spy-mode")

    await rig.event(DtmfEnd("PJSIP/9001-00000020", leg, leg, "4", received=True))
    await rig.event(DtmfEnd("PJSIP/9001-00000020", leg, leg, "4", received=False))  # sent to it
    await rig.event(DtmfEnd("PJSIP/9001-00000020", leg, leg, "#", received=True))
    await rig.event(DtmfEnd("PJSIP/9001-00000020", "other", "other", "6", received=True))
    stored = await rig.spies.get(spy_id)
    assert stored is not None and stored.answered_at is not None
    assert [(c.mode, c.by) for c in stored.changes] == [
        ("whisper", "api"),
        ("barge", "api"),
        ("listen", "dtmf"),
    ]

    await rig.event(Hangup("PJSIP/9001-00000020", leg, leg, 16, "Normal Clearing"))
    stored = await rig.spies.get(spy_id)
    assert stored is not None and stored.end_reason == "supervisor-hung-up"
    status, body = await rig.send("POST", f"/spy/{spy_id}/mode", None, {"mode": "barge"})
    assert (status, body["error"]) == (409, "spy-ended")


async def test_ending_by_the_api_hangs_up_the_supervisor_only(rig: Rig) -> None:
    created = await rig.started()
    spy_id, leg = created["spy_id"], rig.asterisk.sent("Originate")[0]["ChannelId"]

    status, body = await rig.send("DELETE", f"/spy/{spy_id}", "supervisor-9001")
    assert status == 200 and body["end_reason"] == "ended-by-api", body
    assert rig.asterisk.sent("Hangup") == [{"Channel": leg, "Cause": "16"}]
    await rig.event(Hangup("PJSIP/9001-00000020", leg, leg, 16, "Normal Clearing"))
    status, again = await rig.send("DELETE", f"/spy/{spy_id}", "supervisor-9001")
    assert status == 200 and again["end_reason"] == "ended-by-api" and again["ended_at"]
    assert len(rig.asterisk.sent("Hangup")) == 1


async def test_the_call_ending_and_an_unanswered_phone_end_sessions(rig: Rig) -> None:
    first = await rig.started()
    second = await rig.started(mode="barge")
    legs = [o["ChannelId"] for o in rig.asterisk.sent("Originate")]

    await rig.event(SpyEnded(legs[0], legs[0], first["spy_id"], "call-ended"))
    await rig.event(OriginateResponse(legs[1], "PJSIP/9001", success=False, reason=3))

    reasons = {s.id: s.end_reason for s in await rig.spies.list()}
    assert reasons == {first["spy_id"]: "call-ended", second["spy_id"]: "not-answered"}


async def test_the_audit_trail_is_for_supervisors_and_admins(rig: Rig) -> None:
    mine = await rig.started("supervisor-9001")
    theirs = await rig.started("admin-9900")

    status, body = await rig.send("GET", "/spy", "supervisor-9001")
    assert status == 200 and [s["spy_id"] for s in body["sessions"]] == [mine["spy_id"]]
    status, body = await rig.send("GET", "/spy?limit=10", None)
    assert [s["spy_id"] for s in body["sessions"]] == [theirs["spy_id"], mine["spy_id"]]
    status, body = await rig.send("GET", "/spy", "agent-8001")
    assert (status, body["error"]) == (403, "forbidden")
    status, body = await rig.send("GET", "/spy?since=yesterday", None)
    assert (status, body["error"]) == (400, "bad-request")


async def test_a_sweep_ends_sessions_whose_leg_is_gone(rig: Rig, database: Database) -> None:
    long_ago = datetime.now(UTC) - timedelta(minutes=5)
    gone = await rig.spies.create(
        NewSpySession("9001", "8001", CALL, "listen", "api", "t", long_ago, None, "spy-gone")
    )
    live_leg = _channel("PJSIP/9001-00000030", "spy-live", "spy-live")
    rig.asterisk.listed.append(live_leg)
    live = await rig.spies.create(
        NewSpySession("9001", "8001", CALL, "listen", "api", "t", long_ago, None, "spy-live")
    )
    ringing = await rig.spies.create(
        NewSpySession("9001", "8001", CALL, "listen", "api", "t", datetime.now(UTC), None, "x")
    )

    assert await rig.supervision.sweep() == 1

    reasons = {s.id: s.end_reason for s in await rig.spies.list()}
    assert reasons == {gone.id: "lost", live.id: None, ringing.id: None}


async def test_feature_codes_follow_the_same_rule(rig: Rig) -> None:
    supervision = rig.supervision
    plan = await supervision.start_from_phone("9001", "8001", "barge", "1764000000.40")
    assert plan.variables() == {
        "SPY_ID": str(plan.session.id),
        "SPY_TARGET": AGENT_LEG,
        "SPY_OPTIONS": "qdESB",
        "SPY_MODE": "barge",
    }
    stored = await rig.spies.get(plan.session.id)
    assert stored is not None and stored.answered_at is not None
    assert (stored.origin, stored.requested_by) == ("feature-code", "9001")
    assert supervision.owned["1764000000.40"] == plan.session.id

    refusals = [
        (("9002", "8001", "listen"), "forbidden"),  # another team
        (("8002", "8001", "listen"), "forbidden"),  # an agent's phone
        (("9001", "8002", "listen"), "call-has-no-agent"),  # not on a call
        (("9001", "8001", "shout"), "invalid-spy-mode"),
    ]
    for (supervisor, agent, mode), code in refusals:
        with pytest.raises(Exception) as refused:
            await supervision.start_from_phone(supervisor, agent, mode, "1764000000.41")
        assert getattr(refused.value, "code", None) == code


async def test_a_reconnect_sweeps_with_the_resync_rows_without_asking_again(rig: Rig) -> None:
    long_ago = datetime.now(UTC) - timedelta(minutes=5)
    gone = await rig.spies.create(
        NewSpySession("9001", "8001", CALL, "listen", "api", "t", long_ago, None, "spy-gone")
    )
    live = await rig.spies.create(
        NewSpySession("9001", "8001", CALL, "listen", "api", "t", long_ago, None, "spy-live")
    )
    rows = channel_rows([_channel("PJSIP/9001-00000030", "spy-live", "spy-live")])

    await rig.event(Resync(rows))

    reasons = {s.id: s.end_reason for s in await rig.spies.list()}
    assert reasons == {gone.id: "lost", live.id: None}
    assert rig.asterisk.channel_lookups == 0
