"""A measuring AMI connection of the benchmarks' own: it logs in, asks Asterisk to send only the
events a call timeline needs, and keeps each as a typed :class:`Stamp` with Asterisk's own
``Timestamp`` (manager.conf has ``timestampevents = yes``), so latencies are measured where
they happen, not when this process gets round to reading them. The engine's AMI adapter
(wire.ami) drops that header; this reader is for measuring only."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass

from ivr_acd.settings import Settings

log = logging.getLogger(__name__)

EVENTS = ("UserEvent", "DialBegin", "DialEnd", "Hangup", "QueueCallerJoin")
# With ``profile``: every event, as the controller's own AMI connection gets them (it logs in
# with every class); every dialplan step and AGI command is kept, to see where the time between
# enqueue and INVITE goes, and all are counted. More load: not for the measured figures.
PROFILE_EVENTS = ("Newexten", "AGIExecStart", "AGIExecEnd")


class AmiTimelineError(RuntimeError):
    """The measuring AMI connection failed."""


@dataclass(frozen=True)
class Stamp:
    """One event of a call, at Asterisk's time (epoch seconds)."""

    event: str
    at: float
    linkedid: str
    uniqueid: str
    channel: str
    dest_channel: str = ""
    dial_status: str = ""
    name: str = ""  # UserEvent's name; the AGI command; the context,priority and application
    caller: str = ""  # CallerIDNum


def _name(event: str, headers: dict[str, str]) -> str:
    if event == "Newexten":
        return f"{headers.get('Context')},{headers.get('Priority')} {headers.get('Application')}"
    return headers.get("UserEvent", "") or headers.get("Command", "")


def parse_stamp(headers: dict[str, str]) -> Stamp | None:
    event = headers.get("Event", "")
    if event not in EVENTS + PROFILE_EVENTS or "Timestamp" not in headers:
        return None
    return Stamp(
        event=event,
        at=float(headers["Timestamp"]),
        linkedid=headers.get("Linkedid", "") or headers.get("DestLinkedid", ""),
        uniqueid=headers.get("Uniqueid", ""),
        channel=headers.get("Channel", ""),
        dest_channel=headers.get("DestChannel", ""),
        dial_status=headers.get("DialStatus", ""),
        name=_name(event, headers),
        caller=headers.get("CallerIDNum", ""),
    )


def _block(raw: bytes) -> dict[str, str]:
    headers: dict[str, str] = {}
    for line in raw.decode(errors="replace").split("\r\n"):
        key, sep, value = line.partition(": ")
        if sep and key not in headers:
            headers[key] = value
    return headers


class AmiTimeline:
    def __init__(self, settings: Settings, *, profile: bool = False) -> None:
        self._settings = settings
        self._filters = () if profile else EVENTS
        self._classes = "on" if profile else "call,user,agent"
        self.stamps: list[Stamp] = []
        self.counts: Counter[str] = Counter()  # every event received, by name
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._task: asyncio.Task[None] | None = None

    async def _login(self) -> None:
        ast = self._settings.asterisk
        secret = self._settings.secret(ast.ami_secret, "ami_secret")
        self._reader, self._writer = await asyncio.open_connection("127.0.0.1", ast.ami_port)
        await self._reader.readline()  # the banner
        self._send(
            # the bench instance's own AMI user (manager.conf): every event, and Filter
            f"Action: Login\r\nUsername: {ast.ami_username}-bench\r\nSecret: {secret}\r\n"
            f"Events: {self._classes}\r\n"
        )
        for event in self._filters:
            self._send(f"Action: Filter\r\nOperation: Add\r\nFilter: Event: {event}\r\n")
        answers: list[dict[str, str]] = []
        while len(answers) < 1 + len(self._filters):
            block = await self._next_block()
            if "Response" in block:
                answers.append(block)
            else:
                self._keep(block)
        if any(a["Response"] != "Success" for a in answers):
            raise AmiTimelineError(f"AMI login or filter refused: {answers}")

    def _keep(self, block: dict[str, str]) -> None:
        self.counts[block.get("Event", "")] += 1
        if (stamp := parse_stamp(block)) is not None:
            self.stamps.append(stamp)

    def _send(self, action: str) -> None:
        assert self._writer is not None
        self._writer.write(action.encode() + b"\r\n")

    async def _next_block(self) -> dict[str, str]:
        assert self._reader is not None
        return _block(await self._reader.readuntil(b"\r\n\r\n"))

    async def _read(self) -> None:
        try:
            while True:
                self._keep(await self._next_block())
        except (asyncio.IncompleteReadError, ConnectionError) as exc:
            log.warning("the measuring AMI connection closed: %s", exc)

    @contextlib.asynccontextmanager
    async def recording(self) -> AsyncIterator[AmiTimeline]:
        await asyncio.wait_for(self._login(), 10)
        self._task = asyncio.create_task(self._read(), name="ami-timeline")
        try:
            yield self
        finally:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            if self._writer is not None:
                self._writer.close()
                with contextlib.suppress(OSError):
                    await self._writer.wait_closed()
