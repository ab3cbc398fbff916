"""The event pump against a fake Asterisk over a real socket, with events arriving around a
reconnect: each (re)connect costs one CoreShowChannels, and every subscriber (a slow one, a
failing one included) sees it once, as a typed resync, in order with the connection's events."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from tests.integration.fake_asterisk import FakeAsterisk
from wire.ami import AmiClient
from wire.events import (
    AmiConnected,
    AmiDisconnected,
    AmiEvent,
    CdrRecord,
    CelEvent,
    DialBegin,
    Hangup,
    Newchannel,
    Resync,
)
from wire.pump import EventPump

pytestmark = pytest.mark.integration

# a second call starts ringing an agent, just before the connection drops (one write)
AROUND = (
    "Event: Newchannel\r\nPrivilege: call,all\r\nChannel: PJSIP/carrier-3\r\n"
    "Uniqueid: 9.3\r\nLinkedid: 9.3\r\n\r\n"
    "Event: DialBegin\r\nPrivilege: call,all\r\nChannel: PJSIP/carrier-3\r\nLinkedid: 9.3\r\n"
    "DestChannel: PJSIP/8001-00000004\r\n\r\n"
)
# ...and ends while AMI is away: the new connection's first events come with its login answer
AFTER = (
    "Event: Hangup\r\nPrivilege: call,all\r\nUniqueid: 9.3\r\nLinkedid: 9.3\r\nCause: 16\r\n\r\n"
    "Event: CEL\r\nPrivilege: call,all\r\nEventName: LINKEDID_END\r\nLinkedID: 9.3\r\n\r\n"
)
EXPECTED = [
    Resync,
    *(Newchannel, CdrRecord, Hangup, CelEvent),  # the first connection's burst
    *(Newchannel, DialBegin),  # AROUND
    AmiDisconnected,
    Resync,
    *(Hangup, CelEvent),  # AFTER
]
SUBSCRIBERS = ("calls", "acd", "supervision", "dunning")


def _row(uniqueid: str, linkedid: str, channel: str) -> dict[str, str]:
    return {"Channel": channel, "Uniqueid": uniqueid, "Linkedid": linkedid, "Duration": "1"}


class Recorder:
    def __init__(self) -> None:
        self.seen: dict[str, list[AmiEvent]] = {name: [] for name in SUBSCRIBERS}

    def subscriber(self, name: str) -> Callable[[AmiEvent], Awaitable[None]]:
        async def apply(event: AmiEvent) -> None:
            self.seen[name].append(event)
            if name == "acd":
                await asyncio.sleep(0.05)  # slow: the others wait, nothing overtakes
            if name == "supervision" and isinstance(event, Resync):
                raise RuntimeError("a subscriber failing does not stop the others")

        return apply

    async def wait_for(self, count: int) -> None:
        async with asyncio.timeout(10):
            while min(len(events) for events in self.seen.values()) < count:
                await asyncio.sleep(0.02)


@pytest.fixture
async def asterisk() -> AsyncIterator[FakeAsterisk]:
    fake = FakeAsterisk(login_delay=0.2)
    fake.channels = [_row("9.1", "9.1", "PJSIP/carrier-1")]
    await fake.start()
    try:
        yield fake
    finally:
        await fake.close()


async def test_each_reconnect_is_one_resync_seen_once_and_in_order_by_every_subscriber(
    asterisk: FakeAsterisk,
) -> None:
    assert asterisk.server is not None
    port = int(asterisk.server.sockets[0].getsockname()[1])
    client = AmiClient("127.0.0.1", port, "ivracd", "secret", action_timeout=5)
    recorder = Recorder()
    pump = EventPump(client, [recorder.subscriber(name) for name in SUBSCRIBERS])
    client.start()
    task = asyncio.create_task(pump.run())
    try:
        await recorder.wait_for(5)
        asterisk.channels = [
            _row("9.3", "9.3", "PJSIP/carrier-3"),
            _row("9.4", "9.3", "PJSIP/8001-00000004"),
        ]
        asterisk.burst = AFTER
        await asterisk.push(AROUND)
        await asterisk.drop_all()
        await recorder.wait_for(len(EXPECTED))
        await asyncio.sleep(0.2)  # nothing more comes
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await client.close()

    assert asterisk.connections == 2
    assert asterisk.actions["CoreShowChannels"] == 2  # one per connection, for everyone
    for name, events in recorder.seen.items():
        assert [type(e) for e in events] == EXPECTED, name
        assert not any(isinstance(e, AmiConnected) for e in events)
    first, second = (e for e in recorder.seen["calls"] if isinstance(e, Resync))
    assert [row.linkedid for row in first.rows] == ["9.1"]
    assert [(row.channel, row.linkedid) for row in second.rows] == [
        ("PJSIP/carrier-3", "9.3"),
        ("PJSIP/8001-00000004", "9.3"),
    ]
    assert second.rows[0].duration == 1
    assert recorder.seen["calls"] == recorder.seen["dunning"]  # the very same events
