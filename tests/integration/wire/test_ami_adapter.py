"""The AMI adapter against a fake Asterisk over a real socket: events that arrive in one socket
read come out typed and in order; actions wait for the login; a dropped connection is retried
and announced, so the consumer re-synchronises."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from tests.integration.fake_asterisk import FakeAsterisk
from wire.ami import AmiClient, AmiError
from wire.commands import Originate, SetVar
from wire.errors import UnsafeValue
from wire.events import (
    AmiConnected,
    AmiDisconnected,
    CdrRecord,
    CelEvent,
    Hangup,
    Newchannel,
)
from wire.replies import ChannelRow

pytestmark = pytest.mark.integration


@pytest.fixture
async def fake() -> AsyncIterator[tuple[FakeAsterisk, AmiClient]]:
    asterisk = FakeAsterisk(login_delay=0.3)
    port = await asterisk.start()
    client = AmiClient("127.0.0.1", port, "ivracd", "secret", action_timeout=5)
    client.start()
    try:
        yield asterisk, client
    finally:
        await client.close()
        await asterisk.close()


async def _next(client: AmiClient) -> object:
    return await asyncio.wait_for(client.events.get(), 5)


async def test_events_of_one_read_are_typed_and_in_order(
    fake: tuple[FakeAsterisk, AmiClient],
) -> None:
    _, client = fake
    kinds = [type(await _next(client)) for _ in range(5)]
    assert kinds == [AmiConnected, Newchannel, CdrRecord, Hangup, CelEvent]


async def test_actions_wait_for_the_login_and_errors_carry_a_code(
    fake: tuple[FakeAsterisk, AmiClient],
) -> None:
    _, client = fake
    assert not client.connected
    answer = await client.action("Ping")  # sent before the login completed
    assert answer["Ping"] == "Pong" and client.connected
    with pytest.raises(AmiError) as failure:
        await client.action("Bogus")
    assert failure.value.code == "ami-action-failed"


async def test_a_dropped_connection_is_retried_and_announced(
    fake: tuple[FakeAsterisk, AmiClient],
) -> None:
    asterisk, client = fake
    await client.wait_ready(5)
    while not client.events.empty():
        client.events.get_nowait()
    await asterisk.drop_all()
    seen = [type(await _next(client)) for _ in range(2)]
    assert seen == [AmiDisconnected, AmiConnected]
    assert asterisk.connections == 2
    assert (await client.action("Ping"))["Ping"] == "Pong"


async def test_core_show_channels_is_one_round_trip_read_as_typed_rows(
    fake: tuple[FakeAsterisk, AmiClient],
) -> None:
    asterisk, client = fake
    asterisk.channels = [
        {
            "Channel": "PJSIP/8001-0000002a",
            "ChannelStateDesc": "Up",
            "CallerIDNum": "8001",
            "ConnectedLineNum": "13800138000",
            "Context": "acd-deliver",
            "Exten": "s",
            "Uniqueid": "9.2",
            "Linkedid": "9.1",
            "Application": "Dial",
            "ApplicationData": "PJSIP/8001,20",
            "Duration": "00:01:05",
            "BridgeId": "b-1",
        },
        {"Channel": "PJSIP/carrier-1", "Uniqueid": "9.1", "Linkedid": "9.1"},
    ]
    rows = await client.channels()
    assert asterisk.actions["CoreShowChannels"] == 1
    assert rows[0] == ChannelRow(
        channel="PJSIP/8001-0000002a",
        uniqueid="9.2",
        linkedid="9.1",
        state="Up",
        context="acd-deliver",
        exten="s",
        application="Dial",
        data="PJSIP/8001,20",
        caller_number="8001",
        connected_number="13800138000",
        bridge_id="b-1",
        duration=65,
    )
    assert rows[1].first_leg and not rows[1].up and [r.linkedid for r in rows] == ["9.1", "9.1"]


async def test_commands_cross_the_wire_as_built_and_unsafe_values_never_leave(
    fake: tuple[FakeAsterisk, AmiClient],
) -> None:
    asterisk, client = fake
    await client.send(
        Originate("Local/s@x", "dunning", channel_id="dun-1", variables={"A": "1,B=2"})
    )
    (sent,) = [a for a in asterisk.received if a["Action"] == "Originate"]
    assert sent["Variable"] == "A=1\\,B=2" and sent["ChannelId"] == "dun-1"
    before = len(asterisk.received)
    with pytest.raises(UnsafeValue) as refused:
        await client.send(SetVar("X", "1\r\nAction: Hangup"))
    with pytest.raises(AmiError):
        await client.action("Setvar", Variable="X", Value="1\nAction: Hangup")
    assert refused.value.code == "ami-unsafe-value"
    await client.action("Ping")
    assert len(asterisk.received) == before + 1  # only the Ping went
