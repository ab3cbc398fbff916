"""Finding 1 of issue 11: the callback route asks the numbering plan first. A waiting caller
whose number is premium-rate, international or hidden hears that they cannot be called back,
and keeps their place in the line (no callback is stored, nothing will be dialled)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from acd.agi import AcdCalls
from ivr_acd.settings import AcdSettings
from tests.unit.acd.test_acd_events import AgiRecorder, NoCustomers
from wire import names

pytestmark = [pytest.mark.unit, pytest.mark.security]


@dataclass
class CallbackAcd:
    asked: list[str] = field(default_factory=list)

    async def ask_callback(self, call_id: str) -> bool:
        self.asked.append(call_id)
        return True


def _channel(number: str) -> AgiRecorder:
    return AgiRecorder(
        {"agi_uniqueid": "1.1", "agi_channel": "PJSIP/carrier-01", "agi_callerid": number}
    )


async def _press_1(number: str, settings: AcdSettings) -> tuple[CallbackAcd, AgiRecorder]:
    acd, channel = CallbackAcd(), _channel(number)
    calls = AcdCalls(acd, NoCustomers(), None, settings)  # type: ignore[arg-type]
    await calls.callback(channel)  # type: ignore[arg-type]
    return acd, channel


@pytest.mark.parametrize("number", ["16812345", "12590012345", "+442071234567", "110", ""])
async def test_a_number_the_plan_refuses_is_not_called_back_and_keeps_its_place(
    number: str,
) -> None:
    acd, channel = await _press_1(number, AcdSettings())
    assert acd.asked == []
    assert channel.written[names.VAR_ACD_NEXT] == names.ACD_WAIT


async def test_a_mobile_is_called_back_and_an_allow_listed_prefix_too() -> None:
    acd, channel = await _press_1("13800138000", AcdSettings())
    assert acd.asked == ["1.1"] and channel.written[names.VAR_ACD_NEXT] == names.NEXT_HANGUP
    acd, _ = await _press_1("95555", AcdSettings(dial_allow=["95555"]))
    assert acd.asked == ["1.1"]


def test_the_allow_list_takes_number_prefixes_only() -> None:
    with pytest.raises(ValueError, match="dial_allow"):
        AcdSettings(dial_allow=["95555&PJSIP/9001"])
