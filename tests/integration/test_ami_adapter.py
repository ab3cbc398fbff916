"""The AMI adapter against a fake Asterisk over a real socket: events that arrive in one socket
read come out typed and in order; actions wait for the login; a dropped connection is retried
and announced, so the consumer re-synchronises."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest

from wire.ami import AmiClient, AmiError
from wire.events import (
    AmiConnected,
    AmiDisconnected,
    CdrRecord,
    CelEvent,
    Hangup,
    Newchannel,
)

pytestmark = pytest.mark.integration

BURST = (
    "Event: Newchannel\r\nChannel: PJSIP/carrier-1\r\nUniqueid: 9.1\r\nLinkedid: 9.1\r\n"
    "CallerIDNum: 13800138000\r\nExten: 4008001000\r\n\r\n"
    "Event: VarSet\r\nVariable: X\r\n\r\n"
    "Event: Cdr\r\nUniqueID: 9.1\r\nLinkedID: 9.1\r\nSource: 13800138000\r\nDuration: 5\r\n\r\n"
    "Event: Hangup\r\nUniqueid: 9.1\r\nLinkedid: 9.1\r\nCause: 16\r\n\r\n"
    "Event: CEL\r\nEventName: LINKEDID_END\r\nLinkedID: 9.1\r\n\r\n"
)


class FakeAsterisk:
    def __init__(self, *, login_delay: float = 0.0) -> None:
        self.login_delay = login_delay
        self.connections = 0
        self.writers: list[asyncio.StreamWriter] = []
        self.server: asyncio.Server | None = None

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return int(self.server.sockets[0].getsockname()[1])

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.writers.append(writer)
        writer.write(b"Asterisk Call Manager/11.0.0\r\n")
        with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
            while True:
                action = await self._read_action(reader)
                await self._answer(action, writer)

    @staticmethod
    async def _read_action(reader: asyncio.StreamReader) -> dict[str, str]:
        raw = await reader.readuntil(b"\r\n\r\n")
        return dict(line.split(": ", 1) for line in raw.decode().split("\r\n") if ": " in line)

    async def _answer(self, action: dict[str, str], writer: asyncio.StreamWriter) -> None:
        name, action_id = action.get("Action", ""), action.get("ActionID", "")
        if name == "Login":
            await asyncio.sleep(self.login_delay)
            writer.write(
                f"Response: Success\r\nActionID: {action_id}\r\n"
                "Message: Authentication accepted\r\n\r\n".encode()
            )
            writer.write(BURST.encode())  # the events arrive together with the login answer
        elif name == "Bogus":
            writer.write(
                f"Response: Error\r\nActionID: {action_id}\r\n"
                "Message: Invalid/unknown command\r\n\r\n".encode()
            )
        else:
            writer.write(
                f"Response: Success\r\nActionID: {action_id}\r\nPing: Pong\r\n\r\n".encode()
            )
        await writer.drain()

    async def drop_all(self) -> None:
        for writer in self.writers:
            writer.close()
        self.writers.clear()

    async def close(self) -> None:
        await self.drop_all()
        if self.server is not None:
            self.server.close()


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
