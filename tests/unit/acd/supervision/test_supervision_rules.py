"""Supervision's pure rules: who may spy on whom, whose phone rings, ChanSpy's options, the keys
that switch mode, the agent's leg among Asterisk's channels; and the dialplan's names."""

from __future__ import annotations

from pathlib import Path

import pytest

from acd.supervision.rules import (
    AgentLeg,
    Person,
    Requester,
    SpyRefused,
    agent_legs,
    call_known,
    chanspy_options,
    check_requester,
    check_supervisor,
    may_spy,
    mode_for_digit,
    parse_mode,
    supervisor_for,
)
from crm_bridge.vocab import SpyMode
from wire import names
from wire.events import DtmfEnd, OriginateResponse, parse_event
from wire.replies import channel_rows

pytestmark = pytest.mark.unit

TOKEN = Requester("admin", None, None, "api-token")
ADMIN_9900 = Requester("admin", "9900", "operations", "系统管理员")
SERVICE_SUPERVISOR = Requester("supervisor", "9001", "service", "刘建国")
VIP_SUPERVISOR = Requester("supervisor", "9002", "vip", "Helen Zhou")
SERVICE_AGENT = Requester("agent", "8002", "service", "王静")
AGENT_8001 = Person("8001", "agent", "service")
DIALPLAN = (Path(__file__).parents[4] / "dialplans/extensions.conf").read_text()


@pytest.mark.parametrize(
    ("requester", "allowed"),
    [
        (TOKEN, True),
        (ADMIN_9900, True),
        (SERVICE_SUPERVISOR, True),
        (VIP_SUPERVISOR, False),  # another team's supervisor
        (SERVICE_AGENT, False),  # an agent, even of the same team
    ],
)
def test_only_the_agents_team_supervisors_and_admins_may_spy(
    requester: Requester, allowed: bool
) -> None:
    assert may_spy(requester, "service") is allowed
    if allowed:
        check_requester(requester, AGENT_8001)
    else:
        with pytest.raises(SpyRefused) as refused:
            check_requester(requester, AGENT_8001)
        assert refused.value.code == "forbidden"


def test_a_supervisor_without_a_team_is_nobodys_supervisor() -> None:
    assert not may_spy(Requester("supervisor", "9003", None, ""), "service")


def test_whose_phone_rings() -> None:
    assert supervisor_for(SERVICE_SUPERVISOR, None) == "9001"
    assert supervisor_for(SERVICE_SUPERVISOR, "9001") == "9001"
    assert supervisor_for(TOKEN, "9002") == "9002"
    assert supervisor_for(ADMIN_9900, None) == "9900"
    assert supervisor_for(ADMIN_9900, "9001") == "9001"
    with pytest.raises(SpyRefused) as refused:
        supervisor_for(TOKEN, None)
    assert refused.value.code == "supervisor-required"
    with pytest.raises(SpyRefused) as refused:
        supervisor_for(SERVICE_SUPERVISOR, "9002")
    assert refused.value.code == "forbidden"


@pytest.mark.parametrize(
    "supervisor",
    [None, Person("8002", "agent", "service"), Person("8001", "supervisor", "service")],
)
def test_the_phone_rung_is_a_supervisors_and_not_the_agents_own(
    supervisor: Person | None,
) -> None:
    with pytest.raises(SpyRefused) as refused:
        check_supervisor(supervisor, "8002", AGENT_8001)
    assert refused.value.code == "invalid-supervisor"
    admin = Person("9900", "admin", "operations")
    assert check_supervisor(admin, "9900", AGENT_8001) == admin


def test_modes_chanspy_options_and_keys() -> None:
    assert parse_mode("barge") is SpyMode.BARGE
    for bad in ("shout", "", None, 4, "LISTEN"):
        with pytest.raises(SpyRefused) as refused:
            parse_mode(bad)
        assert refused.value.code == "invalid-spy-mode"
    assert chanspy_options(SpyMode.LISTEN) == "qdES"
    assert chanspy_options(SpyMode.WHISPER) == "qdESw"
    assert chanspy_options(SpyMode.BARGE) == "qdESB"
    assert [mode_for_digit(d) for d in "4560#*"] == [
        SpyMode.LISTEN,
        SpyMode.WHISPER,
        SpyMode.BARGE,
        None,
        None,
        None,
    ]


LISTED = [  # as CoreShowChannels lists them
    {  # the customer: the call's first leg
        "Channel": "PJSIP/carrier-00000010",
        "Uniqueid": "1700000000.20",
        "Linkedid": "1700000000.20",
        "CallerIDNum": "13800138000",
        "ChannelStateDesc": "Up",
        "BridgeId": "b1",
    },
    {  # the agent, talking
        "Channel": "PJSIP/8001-00000011",
        "Uniqueid": "1700000000.21",
        "Linkedid": "1700000000.20",
        "CallerIDNum": "8001",
        "ConnectedLineNum": "13800138000",
        "ChannelStateDesc": "Up",
        "BridgeId": "b1",
    },
    {  # another call: an agent still ringing
        "Channel": "PJSIP/8002-00000013",
        "Uniqueid": "1700000000.31",
        "Linkedid": "1700000000.30",
        "CallerIDNum": "8002",
        "ConnectedLineNum": "<unknown>",
        "ChannelStateDesc": "Ringing",
        "BridgeId": "",
    },
]


CHANNELS = channel_rows(LISTED)


def test_the_agent_leg_is_a_talking_channel_of_someone_in_the_crm() -> None:
    people = {"PJSIP/8001-00000011": "8001", "PJSIP/8002-00000013": "8002"}
    assert agent_legs(CHANNELS, people) == [
        AgentLeg("1700000000.20", "PJSIP/8001-00000011", "8001", "13800138000")
    ]
    assert agent_legs(CHANNELS, {}) == []
    assert call_known(CHANNELS, "1700000000.30")
    assert not call_known(CHANNELS, "1700000000.99")


def test_the_customer_number_falls_back_to_the_connected_line() -> None:
    rows = channel_rows([{**LISTED[1], "Linkedid": "x"}])
    legs = agent_legs(rows, {"PJSIP/8001-00000011": "8001"})
    assert legs[0].customer_number == "13800138000"
    rows = channel_rows([{**LISTED[1], "Linkedid": "x", "ConnectedLineNum": "<unknown>"}])
    assert agent_legs(rows, {"PJSIP/8001-00000011": "8001"})[0].customer_number is None


def test_dtmf_and_originate_events_are_typed() -> None:
    key = parse_event(
        {
            "Event": "DTMFEnd",
            "Channel": "PJSIP/9001-00000020",
            "Uniqueid": "spy-abc",
            "Linkedid": "spy-abc",
            "Digit": "6",
            "DurationMs": "120",
            "Direction": "Received",
        }
    )
    assert key == DtmfEnd("PJSIP/9001-00000020", "spy-abc", "spy-abc", "6", True)
    sent = parse_event({"Event": "DTMFEnd", "Digit": "1", "Direction": "Sent"})
    assert isinstance(sent, DtmfEnd) and not sent.received
    failed = parse_event(
        {
            "Event": "OriginateResponse",
            "Response": "Failure",
            "Channel": "PJSIP/9001",
            "Uniqueid": "spy-abc",
            "Reason": "3",
        }
    )
    assert failed == OriginateResponse("spy-abc", "PJSIP/9001", False, 3)


def test_the_dialplan_uses_the_supervision_names() -> None:
    route = names.AGI_ROUTE_SPY
    assert f"Gosub({names.CTX_AGI_FAILOVER},s,1({route}))" in DIALPLAN
    for var in (names.VAR_SPY_ID, names.VAR_SPY_TARGET, names.VAR_SPY_OPTIONS):
        assert "${" + var + "}" in DIALPLAN, var
    assert f"ChanSpy(${{{names.VAR_SPY_TARGET}}},${{{names.VAR_SPY_OPTIONS}}})" in DIALPLAN
    assert f"exten => {names.EXTEN_SPY},1," in DIALPLAN
    assert f'"${{{names.VAR_SPY_NEXT}}}" = "{names.SPY_NEXT_SPY}"' in DIALPLAN
    assert f"?{names.CTX_SUPERVISE},{names.EXTEN_SPY},1)" in DIALPLAN
    for event in (names.USEREVENT_SPY_ANSWERED, names.USEREVENT_SPY_ENDED):
        assert f"UserEvent({event},SpyId: ${{{names.VAR_SPY_ID}}}" in DIALPLAN
    for code, mode in (("22", "listen"), ("23", "whisper"), ("24", "barge")):
        assert f"exten => _*{code}X.,1,Set({names.VAR_SPY_MODE}={mode})" in DIALPLAN
    assert f"Set({names.VAR_SPY_AGENT}=${{EXTEN:3}})" in DIALPLAN
