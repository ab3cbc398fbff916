"""AMI adapter over panoramisk. Domain code never sees panoramisk: it gets typed events from one
ordered queue (``wire.pump`` fans them out) and sends typed commands (``wire.commands``) through
:meth:`AmiClient.send`, which waits for the login to complete; replies come back typed
(``wire.replies``).

panoramisk reconnects by itself after Asterisk restarts; on every new connection we put an
:class:`AmiConnected` event in the queue, ahead of that connection's events, so the consumer
re-synchronises its state (its actions wait for the login).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any

from panoramisk import Manager

from wire.commands import CliCommand, Command, GetVar, checked
from wire.errors import AmiError
from wire.events import AmiConnected, AmiDisconnected, AmiEvent, parse_event
from wire.replies import ChannelRow, channel_rows
from wire.splice import Splicer

__all__ = ["EVENT_CLASSES", "AmiClient", "AmiError", "Headers"]

log = logging.getLogger(__name__)

Headers = Mapping[str, str]


def _headers(message: Any) -> dict[str, str]:
    """A message's headers; of a repeated one (panoramisk makes a list), the last."""
    return {str(k): str(v[-1] if isinstance(v, list) else v) for k, v in dict(message).items()}


# The event classes the engine reads (calls, CDRs, CEL, user events, boot, keys — a
# supervisor switching spy mode on the keypad): not `dialplan`, whose Newexten/VarSet flood
# under load would delay everything else.
EVENT_CLASSES = "system,call,cdr,cel,user,dtmf"


class AmiClient:
    def __init__(
        self,
        host: str,
        port: int,
        username: str,
        secret: str,
        *,
        action_timeout: float = 10.0,
        events: str = EVENT_CLASSES,
    ) -> None:
        self._config = {"host": host, "port": port, "username": username, "secret": secret}
        self._events = events
        self._action_timeout = action_timeout
        self.events: asyncio.Queue[AmiEvent] = asyncio.Queue()
        self._ready = asyncio.Event()
        self._manager: Manager | None = None
        self._splicer = Splicer()

    @property
    def connected(self) -> bool:
        return self._ready.is_set()

    def start(self) -> None:
        """Start connecting in the background; reconnects forever until :meth:`close`."""
        self._manager = Manager(
            loop=asyncio.get_running_loop(),
            events=self._events,
            ping_delay=5,
            ping_interval=5,
            reconnect_timeout=1,
            on_connect=self._on_connect,
            on_login=self._on_login,
            on_disconnect=self._on_disconnect,
            log=logging.getLogger("wire.panoramisk"),
            **self._config,
        )
        self._manager.register_event("*", self._on_message)
        self._manager.connect()

    async def wait_ready(self, timeout: float) -> None:
        try:
            await asyncio.wait_for(self._ready.wait(), timeout)
        except TimeoutError as exc:
            raise AmiError("ami-unreachable", f"no AMI login within {timeout:.0f} s") from exc

    async def close(self) -> None:
        manager, self._manager = self._manager, None
        self._ready.clear()
        if manager is not None:
            manager.callbacks.clear()
            manager.patterns.clear()
            manager.on_disconnect = _ignore
            manager.connection_lost = _ignore  # no reconnect after an intended close
            manager.close()

    # ---- typed commands and replies (wire.commands.CallControl) ----------------------------
    async def send(self, command: Command) -> None:
        await self.action(command.action, **command.fields())

    async def get_var(self, command: GetVar) -> str:
        """The variable's value ("" when it is not set)."""
        return (await self.action(command.action, **command.fields())).get("Value", "")

    async def channels(self) -> tuple[ChannelRow, ...]:
        """Every live channel: one ``CoreShowChannels``."""
        return channel_rows(await self.action_list("CoreShowChannels"))

    # ---- actions -------------------------------------------------------------------------
    async def action(self, name: str, **fields: str) -> Headers:
        response = await self._send(name, fields, as_list=False)
        headers = _headers(response)
        if headers.get("Response", "").lower() in ("error", "failure", "fail"):
            raise AmiError("ami-action-failed", f"{name}: {headers.get('Message', '')}")
        return headers

    async def action_list(self, name: str, **fields: str) -> list[Headers]:
        """An action answered by a list of events (e.g. CoreShowChannels); the list events only."""
        response = await self._send(name, fields, as_list=True)
        messages = response if isinstance(response, list) else [response]
        items = [_headers(m) for m in messages]
        if items and items[0].get("Response", "").lower() == "error":
            raise AmiError("ami-action-failed", f"{name}: {items[0].get('Message', '')}")
        return [h for h in items if "Event" in h and not h["Event"].endswith("Complete")]

    async def command(self, cli: str) -> str:
        """Run an Asterisk CLI command and return its output."""
        command = CliCommand(cli)
        response = await self._send(command.action, command.fields(), as_list=False)
        output = getattr(response, "output", None)
        if isinstance(output, list):
            return "\n".join(str(line) for line in output)
        return str(_headers(response).get("Output", ""))

    async def _send(self, name: str, fields: Mapping[str, str], *, as_list: bool) -> Any:
        action = checked({"Action": name, **fields})  # no header smuggled in, whoever built it
        await self.wait_ready(self._action_timeout)
        manager = self._manager
        if manager is None:
            raise AmiError("ami-closed", "the AMI client is closed")
        future = manager.send_action(action, as_list=as_list)
        try:
            return await asyncio.wait_for(future, self._action_timeout)
        except TimeoutError as exc:
            raise AmiError("ami-timeout", f"{name} got no answer") from exc

    # ---- panoramisk callbacks (synchronous: nothing is scheduled out of order) -----------
    def _on_message(self, _manager: Any, message: Any) -> None:
        for headers in self._splicer.feed(_headers(message)):  # mends a caller-ID split
            event = parse_event(headers)
            if event is not None:
                self.events.put_nowait(event)

    def _on_connect(self, _manager: Any) -> None:
        # Queued before any event of the new connection: panoramisk dispatches events that
        # arrive with the login answer before its login callback runs.
        self.events.put_nowait(AmiConnected())

    def _on_login(self, _manager: Any) -> None:
        log.info("AMI logged in to %s:%s", self._config["host"], self._config["port"])
        self._ready.set()

    def _on_disconnect(self, _manager: Any, exc: Any) -> None:
        if self._ready.is_set():
            log.warning("AMI connection lost; reconnecting")
        self._ready.clear()
        self.events.put_nowait(AmiDisconnected(reason=str(exc)))


def _ignore(*_args: Any) -> None:
    return None
