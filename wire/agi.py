"""FastAGI adapter. panoramisk parses AGI results; the connection itself is ours, because
panoramisk's handler loops forever on a peer that closes before the blank line, swallows
cancellation (``except BaseException``) and crashes on EOF while reading a result.

Every session runs as a task we keep; ``stop_accepting`` closes the listening socket (Asterisk then
sees AGISTATUS=FAILURE and sends the caller to a person) and ``drain`` lets live sessions finish.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from panoramisk.utils import parse_agi_result

from wire import callerid

log = logging.getLogger(__name__)

HEADER_LIMIT = 16 * 1024
HEADER_TIMEOUT = 5.0


class AgiHangup(Exception):
    """The caller hung up (or Asterisk closed the session)."""


class AgiCommandError(Exception):
    def __init__(self, command: str, detail: str) -> None:
        super().__init__(f"AGI command {command!r} failed: {detail}")


@dataclass(frozen=True)
class AgiResult:
    code: int
    result: str
    data: str


class AgiChannel:
    """One FastAGI session: the channel's AGI variables and its commands."""

    def __init__(
        self, headers: Mapping[str, str], reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.headers = dict(headers)
        self._reader = reader
        self._writer = writer
        self.hung_up = False

    @property
    def uniqueid(self) -> str:
        return self.headers.get("agi_uniqueid", "")

    @property
    def channel(self) -> str:
        return self.headers.get("agi_channel", "")

    @property
    def caller_number(self) -> str:
        """``+`` and digits, or "" (anonymous): never what a caller smuggled into it."""
        return callerid.caller_number(self.headers.get("agi_callerid", ""))

    @property
    def route(self) -> str:
        return self.headers.get("agi_network_script", "")

    def arg(self, n: int) -> str:
        """The dialplan's n-th argument to AGI() (1-based), "" when absent."""
        return self.headers.get(f"agi_arg_{n}", "")

    async def run(self, command: str) -> AgiResult:
        if self.hung_up:
            raise AgiHangup(command)
        try:
            self._writer.write(command.encode() + b"\n")
            await self._writer.drain()
            while True:
                line = await self._reader.readline()
                if not line:
                    raise AgiHangup(command)
                parsed = parse_agi_result(line.decode(errors="replace").rstrip("\n"))
                if parsed.get("status_code") != 100:
                    break
        except (ConnectionError, OSError) as exc:
            raise AgiHangup(command) from exc
        return self._result(command, parsed)

    def _result(self, command: str, parsed: dict[str, object]) -> AgiResult:
        error = parsed.get("error")
        if error in ("AGIResultHangup", "AGIAppError"):
            self.hung_up = True
            raise AgiHangup(command)
        if error:
            raise AgiCommandError(command, str(parsed.get("msg", error)))
        value = parsed.get("result", ("", ""))
        result, data = value if isinstance(value, tuple) else ("", "")
        return AgiResult(code=int(str(parsed.get("status_code", 0))), result=result, data=data)

    # ---- the commands the IVR uses ------------------------------------------------------
    async def answer(self) -> None:
        await self.run("ANSWER")

    async def set_variable(self, name: str, value: str) -> None:
        escaped = value.replace("\\", "\\\\").replace('"', '\\"')
        await self.run(f'SET VARIABLE {name} "{escaped}"')

    async def set_variables(self, variables: Mapping[str, str]) -> None:
        """Several variables in one round trip (MSet) when no value needs quoting."""
        if all(_plain(v) for v in variables.values()):
            await self.exec("MSet", ",".join(f"{k}={v}" for k, v in variables.items()))
            return
        for name, value in variables.items():
            await self.set_variable(name, value)

    async def get_variable(self, name: str) -> str | None:
        res = await self.run(f"GET VARIABLE {name}")
        return res.data if res.result == "1" else None

    async def get_data(self, prompt: str, timeout_ms: int, max_digits: int) -> str | None:
        """Play ``prompt`` (barge-in) and collect digits; None on timeout with nothing keyed."""
        res = await self.run(f"GET DATA {prompt} {timeout_ms} {max_digits}")
        if res.data == "timeout" and not res.result:
            return None
        return res.result

    async def stream_file(self, prompt: str, escape_digits: str = "") -> str:
        res = await self.run(f'STREAM FILE {prompt} "{escape_digits}"')
        return chr(int(res.result)) if res.result not in ("", "0") else ""

    async def wait_for_digit(self, timeout_ms: int) -> str:
        """One key, or "" when none came within ``timeout_ms``."""
        res = await self.run(f"WAIT FOR DIGIT {timeout_ms}")
        return chr(int(res.result)) if res.result not in ("", "0") else ""

    async def record_file(
        self, path: str, max_ms: int, escape_digits: str = "#", silence_s: int = 0
    ) -> str:
        """Record to ``path``.wav after a beep; returns the key that ended it, or ""."""
        silence = f" s={silence_s}" if silence_s else ""
        res = await self.run(f'RECORD FILE {path} wav "{escape_digits}" {max_ms} BEEP{silence}')
        return chr(int(res.result)) if res.result.isdigit() and int(res.result) > 0 else ""

    async def exec(self, application: str, arguments: str = "") -> str:
        res = await self.run(f'EXEC {application} "{arguments}"')
        return res.result

    async def verbose(self, message: str, level: int = 3) -> None:
        await self.run(f'VERBOSE "{message}" {level}')


def _plain(value: str) -> bool:
    return not any(c in value for c in ',"\\|()$\n')


Handler = Callable[[AgiChannel], Awaitable[None]]


async def _read_headers(reader: asyncio.StreamReader) -> dict[str, str]:
    """Read the AGI environment; raises ValueError on anything that is not one."""
    async with asyncio.timeout(HEADER_TIMEOUT):
        raw = await reader.readuntil(b"\n\n")
    headers: dict[str, str] = {}
    for line in raw.decode(errors="replace").splitlines():
        if not line:
            continue
        key, sep, value = line.partition(": ")
        if not sep or not key.startswith("agi_"):
            raise ValueError(f"not an AGI header: {line[:60]!r}")
        headers[key] = value
    if "agi_network_script" not in headers:
        raise ValueError("no agi_network_script header")
    return headers


class FastAgiServer:
    def __init__(
        self, host: str, port: int, routes: Mapping[str, Handler], fallback: Handler
    ) -> None:
        self._host, self._port = host, port
        self._routes = dict(routes)
        self._fallback = fallback
        self._server: asyncio.Server | None = None
        self._sessions: set[asyncio.Task[None]] = set()

    @property
    def live_sessions(self) -> int:
        return len(self._sessions)

    async def start(self) -> None:
        self._server = await asyncio.start_server(
            self._accept, self._host, self._port, limit=HEADER_LIMIT
        )
        log.info("FastAGI listening on %s:%d", self._host, self._port)

    async def stop_accepting(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None

    async def drain(self, grace: float) -> None:
        """Wait for live sessions up to ``grace`` seconds, then cancel the rest."""
        if self._sessions:
            log.info("waiting up to %.0f s for %d IVR session(s)", grace, len(self._sessions))
            await asyncio.wait(set(self._sessions), timeout=grace)
        for task in list(self._sessions):
            task.cancel()
        if self._sessions:
            await asyncio.wait(set(self._sessions), timeout=5)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._sessions.add(task)
        try:
            await self._session(reader, writer)
        finally:
            self._sessions.discard(task)
            writer.close()
            with contextlib.suppress(OSError, ConnectionError):
                await writer.wait_closed()

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        try:
            headers = await _read_headers(reader)
        except (
            ValueError,
            TimeoutError,
            asyncio.IncompleteReadError,
            asyncio.LimitOverrunError,
            ConnectionError,
        ) as exc:
            log.warning(
                "FastAGI: rejected a connection from %s: %s", peer, exc or type(exc).__name__
            )
            return
        channel = AgiChannel(headers, reader, writer)
        handler = self._routes.get(channel.route)
        if handler is None:
            log.error(
                "FastAGI: unknown route %r call=%s; sending the caller to the fallback",
                channel.route,
                channel.uniqueid,
            )
            handler = self._fallback
        await self._run(handler, channel)

    async def _run(self, handler: Handler, channel: AgiChannel) -> None:
        try:
            await handler(channel)
        except AgiHangup:
            log.info("call=%s left the AGI session (hang-up or redirect)", channel.uniqueid)
        except AgiCommandError:
            log.exception("call=%s AGI command failed", channel.uniqueid)
        except Exception:
            log.exception("call=%s IVR flow crashed; the dialplan falls back", channel.uniqueid)
