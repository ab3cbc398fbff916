"""A fake Asterisk Manager over a real socket: it greets, logs in (optionally slowly) and then
writes a burst of events together with the login answer, answers ``Ping``, ``Bogus`` (an
error), ``CoreShowChannels`` (its ``channels``, as a list of events) and any other action with
a plain success; it counts the actions it gets, can push more events and can drop every
connection (panoramisk then reconnects)."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter

BURST = (
    "Event: Newchannel\r\nPrivilege: call,all\r\nChannel: PJSIP/carrier-1\r\n"
    "Uniqueid: 9.1\r\nLinkedid: 9.1\r\n"
    "CallerIDNum: 13800138000\r\nExten: 4008001000\r\n\r\n"
    "Event: VarSet\r\nPrivilege: call,all\r\nVariable: X\r\n\r\n"
    "Event: Cdr\r\nPrivilege: cdr,all\r\nUniqueID: 9.1\r\nLinkedID: 9.1\r\n"
    "Source: 13800138000\r\nDuration: 5\r\n\r\n"
    "Event: Hangup\r\nPrivilege: call,all\r\nUniqueid: 9.1\r\nLinkedid: 9.1\r\nCause: 16\r\n\r\n"
    "Event: CEL\r\nPrivilege: call,all\r\nEventName: LINKEDID_END\r\nLinkedID: 9.1\r\n\r\n"
)


def _message(headers: dict[str, str]) -> str:
    return "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"


class FakeAsterisk:
    def __init__(self, *, login_delay: float = 0.0, burst: str = BURST) -> None:
        self.login_delay = login_delay
        self.burst = burst
        self.channels: list[dict[str, str]] = []  # CoreShowChannel rows (without Event)
        self.connections = 0
        self.actions: Counter[str] = Counter()
        self.received: list[dict[str, str]] = []
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
                self.actions[action.get("Action", "")] += 1
                self.received.append(action)
                await self._answer(action, writer)

    @staticmethod
    async def _read_action(reader: asyncio.StreamReader) -> dict[str, str]:
        raw = await reader.readuntil(b"\r\n\r\n")
        return dict(line.split(": ", 1) for line in raw.decode().split("\r\n") if ": " in line)

    async def _answer(self, action: dict[str, str], writer: asyncio.StreamWriter) -> None:
        name, action_id = action.get("Action", ""), action.get("ActionID", "")
        if name == "Login":
            await asyncio.sleep(self.login_delay)
            answer = {"Response": "Success", "ActionID": action_id}
            writer.write(_message({**answer, "Message": "Authentication accepted"}).encode())
            writer.write(self.burst.encode())  # the events arrive together with the login answer
        elif name == "Bogus":
            answer = {"Response": "Error", "ActionID": action_id}
            writer.write(_message({**answer, "Message": "Invalid/unknown command"}).encode())
        elif name == "CoreShowChannels":
            writer.write(self._channel_list(action_id).encode())
        else:
            answer = {"Response": "Success", "ActionID": action_id, "Ping": "Pong"}
            writer.write(_message(answer).encode())
        await writer.drain()

    def _channel_list(self, action_id: str) -> str:
        """As Asterisk answers: a start, one event per channel, a closing event; one write."""
        parts = [
            _message(
                {
                    "Response": "Success",
                    "ActionID": action_id,
                    "EventList": "start",
                    "Message": "Channels will follow",
                }
            )
        ]
        for row in self.channels:
            parts.append(_message({"Event": "CoreShowChannel", "ActionID": action_id, **row}))
        complete = {"Event": "CoreShowChannelsComplete", "ActionID": action_id}
        items = str(len(self.channels))
        parts.append(_message({**complete, "EventList": "Complete", "ListItems": items}))
        return "".join(parts)

    async def push(self, events: str) -> None:
        """Events to every live connection, in one write each."""
        for writer in self.writers:
            writer.write(events.encode())
            await writer.drain()

    async def drop_all(self) -> None:
        for writer in self.writers:
            writer.close()
        self.writers.clear()

    async def close(self) -> None:
        await self.drop_all()
        if self.server is not None:
            self.server.close()
