"""The FastAGI channel tells its observer of every CDR variable a route sets (the facts an
Asterisk crash would otherwise take with the call's CDR), and of nothing else."""

from __future__ import annotations

import asyncio
from typing import Any, cast

import pytest

from wire.agi import AgiChannel, AgiHangup

pytestmark = pytest.mark.unit


class Writer:
    def __init__(self) -> None:
        self.sent: list[bytes] = []

    def write(self, data: bytes) -> None:
        self.sent.append(data)

    async def drain(self) -> None:
        return None


async def test_cdr_variables_set_one_by_one_or_together_reach_the_observer() -> None:
    seen: list[tuple[str, str, str]] = []
    reader = asyncio.StreamReader()
    for _ in range(5):  # two SETs, one MSet, two SETs
        reader.feed_data(b"200 result=1\n")
    channel = AgiChannel(
        {"agi_uniqueid": "100.1"},
        reader,
        cast(Any, Writer()),
        on_cdr_variable=lambda *fact: seen.append(fact),
    )
    await channel.set_variable("CDR(ivr_path)", 'language:2>main:0>"person"')
    await channel.set_variable("ACD_NEXT", "wait")
    await channel.set_variables({"CDR(acd_queue)": "general", "CDR(acd_wait)": "9"})
    await channel.set_variables({"CDR(acd_step)": "a b,c", "ACD_AGENT": "8001"})  # one by one
    assert seen == [
        ("100.1", "ivr_path", 'language:2>main:0>"person"'),
        ("100.1", "acd_queue", "general"),
        ("100.1", "acd_wait", "9"),
        ("100.1", "acd_step", "a b,c"),
    ]


async def test_a_variable_on_a_channel_that_hung_up_is_not_reported() -> None:
    seen: list[tuple[str, str, str]] = []
    reader = asyncio.StreamReader()
    reader.feed_eof()
    channel = AgiChannel(
        {"agi_uniqueid": "100.1"},
        reader,
        cast(Any, Writer()),
        on_cdr_variable=lambda *fact: seen.append(fact),
    )
    with pytest.raises(AgiHangup):
        await channel.set_variable("CDR(ivr_path)", "x")
    assert seen == []
