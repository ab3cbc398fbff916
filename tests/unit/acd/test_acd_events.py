"""Which channel is an agent's softphone; what the ACD learns from a reconnect's resync; the
ACD's calls to Asterisk (a delivery, a callback) as the fields they cross the wire with; what
acd-enqueue asks of the caller's channel."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from acd.agi import AcdCalls, AmiDelivery
from acd.core.model import WaitingCall
from acd.events import AcdEvents, endpoint_of
from acd.service import Joined
from ivr_acd.settings import AcdSettings
from tests.fake_ami import FakeAmi
from wire import names
from wire.events import Resync
from wire.replies import ChannelRow

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("channel", "endpoint"),
    [
        ("PJSIP/8001-0000002a", "8001"),
        ("PJSIP/carrier-00000001", "carrier"),
        ("Local/s@acd-deliver-00000001;1", ""),
        ("PJSIP/8001", ""),
        ("", ""),
    ],
)
def test_endpoint_of(channel: str, endpoint: str) -> None:
    assert endpoint_of(channel) == endpoint


@dataclass
class FakeAcd:
    resyncs: list[tuple[set[str], set[str]]] = field(default_factory=list)

    async def resync(self, live_endpoints: set[str], live_calls: set[str]) -> None:
        self.resyncs.append((live_endpoints, live_calls))


async def test_a_resync_tells_the_acd_which_phones_and_calls_are_live() -> None:
    acd = FakeAcd()
    rows = (
        ChannelRow("PJSIP/carrier-00000001", "1.1", "1.1"),
        ChannelRow("PJSIP/8001-0000002a", "1.2", "1.1"),
        ChannelRow("Local/s@acd-callback-ring-00000003;1", "2.1-cb", "2.1-cb"),
    )
    await AcdEvents(acd).apply(Resync(rows))  # type: ignore[arg-type]
    assert acd.resyncs == [({"carrier", "8001"}, {"1.1", "2.1-cb"})]


def _call(**more: object) -> WaitingCall:
    fields: dict[str, object] = {
        "call_id": "1.1",
        "channel": "PJSIP/carrier-00000001",
        "caller_number": "13800138000",
        "skills": ("service",),
        "language": "zh",
        "vip": True,
        "enqueued_at": 0.0,
        "queue": "service",
        **more,
    }
    return WaitingCall(**fields)  # type: ignore[arg-type]


async def test_a_delivery_sets_the_routing_facts_then_redirects() -> None:
    ami = FakeAmi()
    assert await AmiDelivery(ami).deliver(_call(), "8001", "vip-first")
    assert [name for name, _ in ami.actions] == ["Setvar"] * 5 + ["Redirect"]
    setvars = {f["Variable"]: f["Value"] for f in ami.sent("Setvar")}
    assert setvars[names.VAR_ACD_AGENT] == "8001"
    assert setvars[names.CDR_ACD_STEP] == "vip-first" and setvars[names.CDR_ACD_VIP] == "1"
    assert {f["Channel"] for f in ami.sent("Setvar")} == {"PJSIP/carrier-00000001"}
    assert ami.sent("Redirect") == [
        {
            "Channel": "PJSIP/carrier-00000001",
            "Context": names.CTX_ACD_DELIVER,
            "Exten": "s",
            "Priority": "1",
        }
    ]


async def test_a_delivery_asterisk_refuses_is_reported_not_raised() -> None:
    ami = FakeAmi(refuse={"Redirect"})
    assert not await AmiDelivery(ami).deliver(_call(), "8001")


async def test_a_callback_escapes_the_customer_name_and_sets_the_number_it_dials() -> None:
    ami = FakeAmi()
    call = _call(callback=True, customer_name='Wang "VIP", 8001')
    assert await AmiDelivery(ami).deliver(call, "8001")
    (originate,) = ami.sent("Originate")
    assert originate == {
        "Channel": f"Local/s@{names.CTX_CALLBACK_RING}",
        "Context": names.CTX_CALLBACK_CUSTOMER,
        "Exten": "s",
        "Priority": "1",
        "CallerID": '"Wang \\"VIP\\", 8001" <13800138000>',
        "ChannelId": "1.1-cb",
        "OtherChannelId": "1.1-cb2",
        "Variable": "ACD_AGENT=8001,ACD_CALLBACK_NUMBER=13800138000",
        "Async": "true",
    }


@pytest.mark.security
@pytest.mark.parametrize(
    "number", ["139,ACD_AGENT=9999", "13800138000&PJSIP/9001", "139|9", "139,60,G(x)", ""]
)
async def test_a_callback_number_that_dial_would_split_is_refused_not_sent(number: str) -> None:
    """Dial(PJSIP/${ACD_CALLBACK_NUMBER}@carrier) splits at & (another channel) and , (its
    options) after expanding the variable: escaping the Variable header cannot help."""
    ami = FakeAmi()
    assert not await AmiDelivery(ami).deliver(_call(callback=True, caller_number=number), "8001")
    assert ami.commands == []


async def test_a_caller_number_with_a_line_break_is_refused_not_sent() -> None:
    ami = FakeAmi()
    assert not await AmiDelivery(ami).deliver(_call(callback=True, caller_number="1\r\n2"), "8001")
    assert ami.commands == []


@dataclass
class AgiRecorder:
    """The caller's channel in acd-enqueue, as the dialplan starts the route: linkedid, the agent
    just rung and DIALSTATUS as arguments. Records what the route asks Asterisk."""

    headers: dict[str, str]
    read: list[str] = field(default_factory=list)
    written: dict[str, str] = field(default_factory=dict)

    @property
    def uniqueid(self) -> str:
        return self.headers["agi_uniqueid"]

    @property
    def channel(self) -> str:
        return self.headers["agi_channel"]

    @property
    def caller_number(self) -> str:
        return self.headers["agi_callerid"]

    def arg(self, n: int) -> str:
        return self.headers.get(f"agi_arg_{n}", "")

    async def get_variable(self, name: str) -> str | None:
        self.read.append(name)
        return None

    async def set_variable(self, name: str, value: str) -> None:
        self.written[name] = value

    async def set_variables(self, variables: dict[str, str]) -> None:
        self.written.update(variables)


@dataclass
class JoiningAcd:
    joined: list[WaitingCall] = field(default_factory=list)

    async def join(self, call: WaitingCall, *, rang: str = "", dial_status: str = "") -> Joined:
        self.joined.append(call)
        return Joined("8001", "first-choice", 0, 0.0, False, call)


class NoCustomers:
    async def by_phone(self, number: str) -> None:
        return None


async def test_enqueue_takes_the_linkedid_from_the_dialplan_not_another_round_trip() -> None:
    channel = AgiRecorder(
        {
            "agi_uniqueid": "1764000000.7",  # a later leg: not the call's linkedid
            "agi_channel": "PJSIP/carrier-00000007",
            "agi_callerid": "13800138000",
            "agi_arg_1": "1764000000.5",
            "agi_arg_2": "",
            "agi_arg_3": "",
        }
    )
    acd = JoiningAcd()
    calls = AcdCalls(acd, NoCustomers(), None, AcdSettings())  # type: ignore[arg-type]
    await calls.enqueue(channel)  # type: ignore[arg-type]
    assert [call.call_id for call in acd.joined] == ["1764000000.5"]
    assert "CHANNEL(linkedid)" not in channel.read
    assert channel.read == [names.VAR_HANDOFF, names.VAR_SKILLS]  # the hand-off, nothing else
    assert channel.written[names.VAR_ACD_NEXT] == names.ACD_DELIVER
