"""A FastAGI client over a real socket that speaks as Asterisk does (the AGI environment, then
one result line per command), or as a local process pretending to be Asterisk. It answers
``GET VARIABLE`` from ``variables``, every other command with ``200 result=0`` (after ``delay``
seconds), or never (``stall``), and keeps every command it was sent."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping
from dataclasses import dataclass, field


def environment(script: str, uniqueid: str = "1764000000.1", **extra: str) -> bytes:
    """The AGI environment Asterisk sends for ``agi://host:port/<script>``."""
    headers = {
        "agi_network": "yes",
        "agi_network_script": script,
        "agi_request": f"agi://127.0.0.1:4573/{script}",
        "agi_channel": "PJSIP/8002-00000001",
        "agi_uniqueid": uniqueid,
        "agi_callerid": "8002",
        **{f"agi_{k}": v for k, v in extra.items()},
    }
    return "".join(f"{k}: {v}\n" for k, v in headers.items()).encode() + b"\n"


@dataclass
class AgiClient:
    variables: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0
    stall: bool = False
    commands: list[str] = field(default_factory=list)
    closed_by_server: bool = False

    async def session(
        self, port: int, script: str, *, source: str | None = None, timeout: float = 10.0
    ) -> AgiClient:
        """One session to its end (the server closes it); returns self."""
        local = (source, 0) if source else None
        reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=local)
        try:
            writer.write(environment(script))
            await writer.drain()
            async with asyncio.timeout(timeout):
                await self._answer(reader, writer)
        finally:
            writer.close()
            with contextlib.suppress(OSError, ConnectionError):
                await writer.wait_closed()
        return self

    async def _answer(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError):
            while line := await reader.readline():
                command = line.decode().rstrip("\n")
                self.commands.append(command)
                if self.stall:
                    continue
                await asyncio.sleep(self.delay)
                writer.write(self._result(command).encode())
                await writer.drain()
        self.closed_by_server = True

    def _result(self, command: str) -> str:
        if command.startswith("GET VARIABLE "):
            value = self.variables.get(command.removeprefix("GET VARIABLE "))
            return f"200 result=1 ({value})\n" if value is not None else "200 result=0\n"
        return "200 result=0\n"
