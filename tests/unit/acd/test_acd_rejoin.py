"""acd-enqueue leaves the call as admitted on the caller's channel; acd-announce puts a caller
the line does not know (Redis lost it) back in line with it, never leaving them in music on
hold (issue 12, finding 1)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from acd.agi import AcdCalls
from acd.core.model import WaitingCall
from acd.live.codec import call_from_token, call_to_token
from acd.service import Joined, Place
from ivr_acd.settings import AcdSettings
from tests.unit.acd.test_acd_events import AgiRecorder, JoiningAcd, NoCustomers
from wire import names

pytestmark = pytest.mark.unit

HEADERS = {
    "agi_uniqueid": "1764000000.5",
    "agi_channel": "PJSIP/carrier-00000007",
    "agi_callerid": "13800138000",
    "agi_arg_1": "1764000000.5",
}


@dataclass
class Channel(AgiRecorder):
    variables: dict[str, str] = field(default_factory=dict)

    async def get_variable(self, name: str) -> str | None:
        self.read.append(name)
        return self.variables.get(name)


@dataclass
class ForgetfulAcd:
    """A line that lost its calls (a new Redis): every place is 0, no call is queued."""

    queued: WaitingCall | None = None
    rejoined: list[WaitingCall] = field(default_factory=list)

    def place(self, call_id: str) -> Place:
        return Place(0, 0.0, False)

    async def queued_call(self, call_id: str) -> WaitingCall | None:
        return self.queued

    async def rejoin(self, call: WaitingCall) -> Joined:
        self.rejoined.append(call)
        return Joined("8003", "first-choice", 0, 0.0, False, call)


def _waited(enqueued_at: float) -> WaitingCall:
    return WaitingCall(
        "1764000000.5",
        "PJSIP/carrier-00000003",  # the channel it had before a masquerade
        "13800138000",
        ("claims",),
        "en",
        vip=True,
        enqueued_at=enqueued_at,
        queue="claims",
    )


def _calls(acd: object) -> AcdCalls:
    return AcdCalls(acd, NoCustomers(), None, AcdSettings())  # type: ignore[arg-type]


async def test_enqueue_leaves_the_admitted_call_on_the_channel() -> None:
    channel = Channel(dict(HEADERS))
    acd = JoiningAcd()
    await _calls(acd).enqueue(channel)  # type: ignore[arg-type]
    assert call_from_token(channel.written[names.VAR_ACD_CALL]) == acd.joined[0]


async def test_an_unknown_waiting_caller_is_back_in_line_with_their_place() -> None:
    channel = Channel(dict(HEADERS), variables={names.VAR_ACD_CALL: call_to_token(_waited(5.0))})
    acd = ForgetfulAcd()
    await _calls(acd).announce(channel)  # type: ignore[arg-type]
    assert [(c.enqueued_at, c.vip, c.channel) for c in acd.rejoined] == [
        (5.0, True, "PJSIP/carrier-00000007")
    ]
    assert channel.written[names.VAR_ACD_NEXT] == names.ACD_DELIVER
    assert channel.written[names.VAR_ACD_AGENT] == "8003"


async def test_an_unknown_caller_without_a_token_is_admitted_again() -> None:
    channel = Channel(dict(HEADERS))
    acd = ForgetfulAcd()
    await _calls(acd).announce(channel)  # type: ignore[arg-type]
    assert [c.call_id for c in acd.rejoined] == ["1764000000.5"]


async def test_a_caller_being_delivered_is_left_alone() -> None:
    channel = Channel(dict(HEADERS), variables={names.VAR_ACD_CALL: call_to_token(_waited(5.0))})
    acd = ForgetfulAcd(queued=_waited(5.0))  # in Redis, reserved: ringing an agent right now
    await _calls(acd).announce(channel)  # type: ignore[arg-type]
    assert acd.rejoined == [] and channel.written[names.VAR_ACD_NEXT] == names.ACD_WAIT
