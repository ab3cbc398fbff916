"""Which channel is an agent's softphone; what the ACD learns from a reconnect's resync; the
ACD's calls to Asterisk (a delivery, a callback) as the fields they cross the wire with."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from acd.agi import AmiDelivery
from acd.core.model import WaitingCall
from acd.events import AcdEvents, endpoint_of
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


async def test_a_callback_number_cannot_smuggle_a_variable_into_the_originate() -> None:
    ami = FakeAmi()
    call = _call(callback=True, caller_number="139,ACD_AGENT=9999", customer_name='Wang "VIP"')
    assert await AmiDelivery(ami).deliver(call, "8001")
    (originate,) = ami.sent("Originate")
    assert originate == {
        "Channel": f"Local/s@{names.CTX_CALLBACK_RING}",
        "Context": names.CTX_CALLBACK_CUSTOMER,
        "Exten": "s",
        "Priority": "1",
        "CallerID": '"Wang \\"VIP\\"" <139,ACD_AGENT=9999>',
        "ChannelId": "1.1-cb",
        "OtherChannelId": "1.1-cb2",
        "Variable": "ACD_AGENT=8001,ACD_CALLBACK_NUMBER=139\\,ACD_AGENT=9999",
        "Async": "true",
    }


async def test_a_caller_number_with_a_line_break_is_refused_not_sent() -> None:
    ami = FakeAmi()
    assert not await AmiDelivery(ami).deliver(_call(callback=True, caller_number="1\r\n2"), "8001")
    assert ami.commands == []
