"""What the console shows, from plain data: the wallboard, the events of one ACD change, what
each viewer may see of them, the masked screen-pop and the calls per hour."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from acd.core.model import AgentProfile, AgentState, AgentStatus, QueueFigures, WaitingCall
from acd.core.wallboard import change_events, fingerprint, live_calls_view, wallboard
from crm_bridge.calls.call_volume import CallFacts, day_bounds, hourly
from crm_bridge.customer_repository import CustomerProfile
from crm_bridge.screen_pop import PolicySummary, customer_card, for_role, masked_id_number
from crm_bridge.vocab import Role
from ivr.handoff import Handoff
from ivr_acd.web.console.sources import screen_pop
from ivr_acd.web.console.view import Viewer, visible

pytestmark = pytest.mark.unit

NOW = 1_000_000.0


def profile(extension: str, **skills: int) -> AgentProfile:
    return AgentProfile(extension, f"agent {extension}", skills, frozenset({"zh"}), "service", 0)


def call(call_id: str, queue: str, enqueued_at: float, **more: object) -> WaitingCall:
    fields: dict[str, object] = {
        "channel": f"PJSIP/carrier-{call_id}",
        "caller_number": f"1380013800{call_id[-1]}",
        "skills": (queue,),
        "language": "zh",
        "vip": False,
        "enqueued_at": enqueued_at,
        "queue": queue,
        **more,
    }
    return WaitingCall(call_id, **fields)  # type: ignore[arg-type]


PROFILES = {
    "8001": profile("8001", service=4, sales=2),
    "8002": profile("8002", service=3),
    "8003": profile("8003", sales=5),
}
STATUSES = [
    AgentStatus("8001", AgentState.RESERVED, since=NOW - 3, call_id="c2", version=5),
    AgentStatus("8002", AgentState.READY, since=NOW - 60, version=2),
    AgentStatus("8003", AgentState.PAUSED, since=NOW - 10, reason="lunch", version=3),
    AgentStatus("9999", AgentState.READY, since=NOW - 1, version=1),  # no profile: not shown
]


def test_the_wallboard_counts_the_line_and_the_agents_per_queue() -> None:
    figures = [
        QueueFigures("service", offered=4, answered=3, abandoned=1, within_sl=2, wait_sum=30)
    ]
    queued = [
        call("c2", "service", NOW - 40, reserved_by="8001", vip=True),
        call("c1", "service", NOW - 25),
        call("c3", "sales", NOW - 5),
    ]
    board = wallboard(figures, queued, STATUSES, PROFILES, NOW)
    service, sales = sorted(board["queues"], key=lambda q: q["queue"], reverse=True)
    assert service["queue"] == "service" and sales["queue"] == "sales"
    assert (service["offered"], service["answered"], service["asa_seconds"]) == (4, 3, 10.0)
    assert service["service_level"] == 0.5 and service["abandon_rate"] == 0.25
    assert (service["waiting"], service["longest_wait_seconds"], service["vip_waiting"]) == (
        2,
        40,
        1,
    )
    assert service["agents"] == {"ready": 1, "reserved": 1}
    assert sales["agents"] == {"paused": 1, "reserved": 1} and sales["offered"] == 0
    assert [w["call"] for w in board["waiting"]] == ["c2", "c1", "c3"]
    assert board["waiting"][0]["ringing"] == "8001" and board["waiting"][0]["vip"] is True
    agents = {a["extension"]: a for a in board["agents"]}
    assert set(agents) == {"8001", "8002", "8003"}
    assert agents["8001"]["caller"] == "13800138002" and agents["8001"]["call"] == "c2"
    assert agents["8002"]["seconds_in_state"] == 60 and agents["8002"]["since"] == NOW - 60
    assert agents["8003"]["reason"] == "lunch" and agents["8003"]["name"] == "agent 8003"


def test_a_general_call_is_served_by_every_agent() -> None:
    board = wallboard([], [call("c1", "general", NOW - 1)], STATUSES, PROFILES, NOW)
    assert board["queues"][0]["agents"] == {"paused": 1, "ready": 1, "reserved": 1}


@dataclass(frozen=True)
class Live:
    linkedid: str
    caller_number: str
    did: str
    started: datetime


def test_live_calls_name_the_agent_on_them() -> None:
    started = datetime.fromtimestamp(NOW - 30, UTC)
    calls = [Live("c2", "13800138002", "4008001000", started), Live("c9", "139", "400", started)]
    views = live_calls_view(calls, STATUSES, PROFILES, NOW)
    assert views[0]["agent"] == "8001" and views[0]["agent_state"] == "reserved"
    assert views[0]["talk_seconds"] == 30 and views[0]["agent_name"] == "agent 8001"
    assert views[1]["agent"] == ""


def test_a_snapshot_changes_only_when_more_than_the_clock_did() -> None:
    queued = [call("c1", "service", NOW - 5)]
    first = wallboard([], queued, STATUSES, PROFILES, NOW)
    later = wallboard([], queued, STATUSES, PROFILES, NOW + 7)
    assert first != later and fingerprint(first) == fingerprint(later)
    moved = wallboard([], [], STATUSES, PROFILES, NOW + 7)
    assert fingerprint(moved) != fingerprint(first)


def test_one_change_makes_its_console_events() -> None:
    reserved = STATUSES[0]
    offer = change_events(
        "reserve", agent=reserved, call_id="c2", call=None, profiles=PROFILES, now=NOW
    )
    assert [e["type"] for e in offer] == ["agent", "offer"]
    assert offer[0]["agent"]["state"] == "reserved" and offer[1] == {
        "type": "offer",
        "agent": "8001",
        "call": "c2",
    }
    joined = change_events(
        "enqueue",
        agent=None,
        call_id="c1",
        call=call("c1", "service", NOW - 1),
        profiles=PROFILES,
        now=NOW,
    )
    assert (
        joined == [{"type": "queue", "op": "enqueue", "call": joined[0]["call"]}]
        and joined[0]["call"]["caller"] == "13800138001"
    )
    left = change_events("remove", agent=None, call_id="c1", call=None, profiles=PROFILES, now=NOW)
    assert left == [{"type": "queue", "op": "remove", "call_id": "c1"}]
    assert change_events("profile", agent=None, call_id="", call=None, profiles={}, now=NOW) == []


CUSTOMER = CustomerProfile(
    id=7,
    name="陈静",
    id_number="110101199003074578",
    tier="vip",
    blacklisted=False,
    account_manager_extension="8006",
    region="Beijing",
    time_zone="Asia/Shanghai",
    language="zh",
    phones=("13800138004",),
)
POLICY = PolicySummary("P-1001", "auto", "3200.00", "2026-12-01", "overdue")


def _pop() -> dict[str, object]:
    return screen_pop(
        "8001",
        "c2",
        caller="13800138004",
        call=call("c2", "service", NOW - 12, vip=True, customer_name="陈静", language="en"),
        handoff=Handoff(
            "pay", ("collections",), "en", 7, "vip", {"policy": "P-1001", "amount": "3200.00"}
        ),
        card=customer_card(CUSTOMER, [POLICY]),
        ivr_path="language:2>main:3>pay",
        now=NOW,
    )


def test_the_screen_pop_tells_who_calls_and_what_they_did_in_the_ivr() -> None:
    pop = _pop()
    assert pop["type"] == "screen-pop" and pop["agent"] == "8001" and pop["call"] == "c2"
    assert (pop["caller"], pop["caller_name"], pop["vip"], pop["queue"]) == (
        "13800138004",
        "陈静",
        True,
        "service",
    )
    assert pop["ivr"] == {
        "path": "language:2>main:3>pay",
        "intent": "pay",
        "skills": ["collections"],
        "tier": "vip",
        "facts": {"policy": "P-1001", "amount": "3200.00"},
    }
    customer = pop["customer"]
    assert isinstance(customer, dict) and customer["policies"] == [POLICY.to_dict()]
    bare = screen_pop(
        "8001", "c9", caller="139", call=None, handoff=None, card=None, ivr_path="", now=NOW
    )
    assert bare["customer"] is None and bare["ivr"]["intent"] == "" and bare["vip"] is False


def test_an_agent_sees_only_the_last_four_digits_of_an_identity_number() -> None:
    assert masked_id_number("110101199003074578", Role.AGENT) == "**************4578"
    assert masked_id_number("110101199003074578", Role.SUPERVISOR) == "110101199003074578"
    assert masked_id_number("E123", Role.AGENT) == "****"
    pop = _pop()
    shown = for_role(pop, Role.AGENT)
    assert shown["customer"]["id_number"] == "**************4578"
    assert pop["customer"]["id_number"] == "110101199003074578"  # type: ignore[index]


def test_each_viewer_sees_what_is_theirs() -> None:
    supervisor = Viewer(Role.SUPERVISOR, "Lead", "9001")
    agent = Viewer(Role.AGENT, "Wang", "8001")
    other = Viewer(Role.AGENT, "Li", "8002")
    board = {
        "type": "snapshot",
        **wallboard([], [call("c2", "service", NOW - 4)], STATUSES, PROFILES, NOW),
    }
    board["calls"] = [{"linkedid": "c2", "agent": "8001"}, {"linkedid": "c5", "agent": "8003"}]
    assert visible(board, supervisor) == board
    desk = visible(board, agent)
    assert desk is not None and desk["waiting"] == [] and desk["queues"] == board["queues"]
    assert [a["extension"] for a in desk["agents"]] == ["8001"]
    assert desk["calls"] == [{"linkedid": "c2", "agent": "8001"}]
    change = {"type": "agent", "agent": {"extension": "8001", "state": "ready"}}
    assert visible(change, agent) == change and visible(change, other) is None
    assert visible({"type": "offer", "agent": "8001", "call": "c2"}, agent) is None
    assert visible({"type": "queue", "op": "remove", "call_id": "c2"}, agent) is None
    pop = _pop()
    assert visible(pop, other) is None and visible(pop, supervisor) is None
    shown = visible(pop, agent)
    assert shown is not None and shown["customer"]["id_number"].endswith("**4578")


SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_calls_are_counted_per_local_hour_of_the_day() -> None:
    day = date(2026, 11, 23)
    start, end = day_bounds(day, SHANGHAI)
    assert start.astimezone(UTC) == datetime(2026, 11, 22, 16, tzinfo=UTC)
    assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=24)
    at = datetime(2026, 11, 23, 9, 15, tzinfo=SHANGHAI)
    calls = [
        CallFacts(at, "inbound", answered=True, abandoned=False),
        CallFacts(at + timedelta(minutes=30), "inbound", answered=False, abandoned=True),
        CallFacts(at + timedelta(hours=1), "outbound", answered=True, abandoned=False),
        CallFacts(datetime(2026, 11, 23, 1, 30, tzinfo=UTC), "inbound", True, False),  # 09:30
        CallFacts(at - timedelta(days=1), "inbound", answered=True, abandoned=False),  # not today
    ]
    report = hourly(day, SHANGHAI, calls, now=datetime(2026, 11, 23, 3, 20, tzinfo=UTC))
    assert report["day"] == "2026-11-23" and report["time_zone"] == "Asia/Shanghai"
    assert report["now_hour"] == 11  # 03:20 UTC is 11:20 in Shanghai
    assert hourly(day, SHANGHAI, [], now=at + timedelta(days=1))["now_hour"] is None
    assert report["total"] == 4 and len(report["hours"]) == 24
    assert report["hours"][9] == {
        "hour": 9,
        "inbound": 3,
        "outbound": 0,
        "answered": 2,
        "abandoned": 1,
    }
    assert report["hours"][10]["outbound"] == 1
    assert sum(h["inbound"] + h["outbound"] for h in report["hours"]) == 4


def test_a_day_across_a_clock_change_has_its_own_length() -> None:
    start, end = day_bounds(date(2026, 3, 29), ZoneInfo("Europe/Berlin"))
    assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=23)
