"""Issue 12, finding 4: a waiting caller's announcement is played as its fixed text and number
fragments in a row; one that cannot be rendered is left out, the rest still heard, and a key
pressed during any piece still asks for the callback."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from acd.agi import AcdCalls
from acd.service import Place
from ivr.menu import Language
from ivr.prompts import PromptError
from ivr_acd.settings import AcdSettings
from tests.unit.acd.test_acd_events import AgiRecorder, NoCustomers

pytestmark = pytest.mark.unit


@dataclass
class WaitingAcd:
    asked: list[str] = field(default_factory=list)

    def place(self, call_id: str) -> Place:
        return Place(3, 150.0, True)

    async def ask_callback(self, call_id: str) -> bool:
        self.asked.append(call_id)
        return True


@dataclass
class Prompts:
    broken: str

    async def ensure(self, language: Language, text: str) -> str:
        if text == self.broken:
            raise PromptError(f"espeak-ng produced no audio for {text!r}")
        return text


@dataclass
class Listener(AgiRecorder):
    played: list[str] = field(default_factory=list)
    press_on: str = ""

    async def stream_file(self, prompt: str, escape_digits: str = "") -> str:
        self.played.append(prompt)
        return "1" if prompt == self.press_on else ""


def _channel(press_on: str = "") -> Listener:
    headers = {"agi_uniqueid": "1.1", "agi_channel": "PJSIP/c-1", "agi_callerid": "13800138000"}
    return Listener(headers, press_on=press_on)


async def test_an_announcement_piece_that_cannot_be_rendered_is_left_out() -> None:
    channel = _channel()
    calls = AcdCalls(WaitingAcd(), NoCustomers(), Prompts("三"), AcdSettings())  # type: ignore[arg-type]
    await calls.announce(channel)  # type: ignore[arg-type]
    assert channel.played == [
        "您前面还有",
        "两",
        "位客户，预计等待大约",
        "分钟。",
        channel.played[-1],
    ]
    assert channel.played[-1].startswith("如需保留排位")


async def test_a_key_during_a_fragment_asks_for_the_callback() -> None:
    acd, channel = WaitingAcd(), _channel(press_on="两")
    calls = AcdCalls(acd, NoCustomers(), Prompts(""), AcdSettings())  # type: ignore[arg-type]
    await calls.announce(channel)  # type: ignore[arg-type]
    assert channel.played[-2:] == ["两", channel.played[-1]]
    assert acd.asked == ["1.1"]
