"""FastAGI adapter. panoramisk parses AGI results; the connection itself is ours, because
panoramisk's handler loops forever on a peer that closes before the blank line, swallows
cancellation (``except BaseException``) and crashes on EOF while reading a result.

Every session runs as a task we keep; ``stop_accepting`` closes the listening socket (Asterisk then
sees AGISTATUS=FAILURE and tries the next controller, else sends the caller to a person) and
``drain`` lets live sessions finish. A session that ends on purpose with no decision (its route
crashed or is unknown) sets ``AGI_FAILED``, so the dialplan falls back rather than resuming the
call on another controller.

Every session passes the :class:`~wire.agi_guard.AgiGuard` first (allowed address, session cap,
the install's secret before any route runs); every command refuses CR/LF/NUL before it is
written, and waits for its result no longer than its own duration plus a margin.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from panoramisk.utils import parse_agi_result

from wire import callerid, names
from wire.agi_guard import AgiGuard, CommandTimeouts, UnsafeAgiValue, refuse_control_characters

log = logging.getLogger(__name__)

HEADER_LIMIT = 16 * 1024
HEADER_TIMEOUT = 5.0
DEFAULT_TIMEOUTS = CommandTimeouts()

# (the channel's uniqueid, the CDR variable's name, its value): told of every CDR variable a
# route sets, so call tracking keeps the routing facts outside Asterisk too.
CdrObserver = Callable[[str, str, str], None]


class AgiHangup(Exception):
    """The caller hung up (or Asterisk closed the session)."""


class AgiTimeout(AgiHangup):
    """Asterisk did not answer a command in time: the session is over."""


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
        self,
        headers: Mapping[str, str],
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        timeouts: CommandTimeouts = DEFAULT_TIMEOUTS,
        on_cdr_variable: CdrObserver | None = None,
    ) -> None:
        self.headers = dict(headers)
        self._reader = reader
        self._writer = writer
        self._timeouts = timeouts
        self._on_cdr_variable = on_cdr_variable
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

    async def run(self, command: str, seconds: float = 0.0) -> AgiResult:
        """Send ``command`` and wait for its result at most ``seconds`` (how long the command
        itself may take) plus the margin; a peer that stays silent ends the session."""
        refuse_control_characters(command)
        if self.hung_up:
            raise AgiHangup(command)
        budget = self._timeouts.budget(seconds)
        try:
            async with asyncio.timeout(budget):
                parsed = await self._exchange(command)
        except TimeoutError as exc:
            self.hung_up = True
            verb = " ".join(command.split(" ", 2)[:2])
            log.warning(
                "call=%s FastAGI peer stalled: no result for %s within %.1f s; session ended",
                self.uniqueid,
                verb,
                budget,
            )
            raise AgiTimeout(command) from exc
        except (ConnectionError, OSError) as exc:
            raise AgiHangup(command) from exc
        return self._result(command, parsed)

    async def _exchange(self, command: str) -> dict[str, object]:
        self._writer.write(command.encode() + b"\n")
        await self._writer.drain()
        while True:
            line = await self._reader.readline()
            if not line:
                raise AgiHangup(command)
            parsed: dict[str, object] = parse_agi_result(line.decode(errors="replace").rstrip("\n"))
            if parsed.get("status_code") != 100:
                return parsed

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
        self._observe({name: value})

    async def set_variables(self, variables: Mapping[str, str]) -> None:
        """Several variables in one round trip (MSet) when no value needs quoting."""
        refuse_control_characters(
            "SET VARIABLE " + "".join(f"{k}{v}" for k, v in variables.items())
        )
        if all(_plain(v) for v in variables.values()):
            await self.exec("MSet", ",".join(f"{k}={v}" for k, v in variables.items()))
            self._observe(variables)
            return
        for name, value in variables.items():
            await self.set_variable(name, value)

    def _observe(self, variables: Mapping[str, str]) -> None:
        """Hand each CDR variable just set (``CDR(ivr_path)`` -> ``ivr_path``) to the observer,
        so the facts outlive the channel (an Asterisk crash takes its CDR with it)."""
        if self._on_cdr_variable is None:
            return
        for name, value in variables.items():
            if name.startswith("CDR(") and name.endswith(")"):
                self._on_cdr_variable(self.uniqueid, name[4:-1], value)

    async def get_variable(self, name: str) -> str | None:
        res = await self.run(f"GET VARIABLE {name}")
        return res.data if res.result == "1" else None

    async def get_data(self, prompt: str, timeout_ms: int, max_digits: int) -> str | None:
        """Play ``prompt`` (barge-in) and collect digits; None on timeout with nothing keyed."""
        waits = self._timeouts.media + max(max_digits, 1) * max(timeout_ms, 0) / 1000
        res = await self.run(f"GET DATA {prompt} {timeout_ms} {max_digits}", waits)
        if res.data == "timeout" and not res.result:
            return None
        return res.result

    async def stream_file(self, prompt: str, escape_digits: str = "") -> str:
        res = await self.run(f'STREAM FILE {prompt} "{escape_digits}"', self._timeouts.media)
        return chr(int(res.result)) if res.result not in ("", "0") else ""

    async def wait_for_digit(self, timeout_ms: int) -> str:
        """One key, or "" when none came within ``timeout_ms``."""
        waits = timeout_ms / 1000 if timeout_ms >= 0 else self._timeouts.media
        res = await self.run(f"WAIT FOR DIGIT {timeout_ms}", waits)
        return chr(int(res.result)) if res.result not in ("", "0") else ""

    async def record_file(
        self, path: str, max_ms: int, escape_digits: str = "#", silence_s: int = 0
    ) -> str:
        """Record to ``path``.wav after a beep; returns the key that ended it, or ""."""
        silence = f" s={silence_s}" if silence_s else ""
        waits = max_ms / 1000 + 2 if max_ms > 0 else self._timeouts.media  # 2 s: the beep
        command = f'RECORD FILE {path} wav "{escape_digits}" {max_ms} BEEP{silence}'
        res = await self.run(command, waits)
        return chr(int(res.result)) if res.result.isdigit() and int(res.result) > 0 else ""

    async def exec(
        self, application: str, arguments: str = "", seconds: float | None = None
    ) -> str:
        """Run a dialplan application; ``seconds``: how long it may take (media applications
        such as Playback, Read or Dial are given the media allowance when unsaid)."""
        if seconds is None:
            seconds = self._timeouts.media if application.lower() in MEDIA_APPLICATIONS else 0.0
        res = await self.run(f'EXEC {application} "{arguments}"', seconds)
        return res.result

    async def verbose(self, message: str, level: int = 3) -> None:
        await self.run(f'VERBOSE "{message}" {level}')


MEDIA_APPLICATIONS = frozenset(
    {
        "audiosocket",
        "background",
        "controlplayback",
        "dial",
        "musiconhold",
        "playback",
        "playtones",
        "read",
        "record",
        "saydigits",
        "saynumber",
        "wait",
        "waitexten",
    }
)


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
        self,
        host: str,
        port: int,
        routes: Mapping[str, Handler],
        fallback: Handler,
        guard: AgiGuard,
        on_cdr_variable: CdrObserver | None = None,
    ) -> None:
        self._host, self._port = host, port
        self._on_cdr_variable = on_cdr_variable
        self._routes = dict(routes)
        self._fallback = fallback
        self._guard = guard
        self._server: asyncio.Server | None = None
        self._sessions: set[asyncio.Task[None]] = set()

    @property
    def live_sessions(self) -> int:
        return len(self._sessions)

    @property
    def port(self) -> int:
        """The port it listens on (the one asked for, or the one chosen for port 0)."""
        if self._server is not None and self._server.sockets:
            return int(self._server.sockets[0].getsockname()[1])
        return self._port

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
        refusal = self._refusal(writer.get_extra_info("peername"))
        if refusal is not None:
            log.warning("FastAGI: refused a connection from %s: %s", *refusal)
            writer.close()
            with contextlib.suppress(OSError, ConnectionError):
                await writer.wait_closed()
            return
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

    def _refusal(self, peer: object) -> tuple[object, str] | None:
        """Why a new connection is refused before anything is read, or None."""
        if not self._guard.peer_allowed(peer):
            return peer, "not an allowed Asterisk address"
        if len(self._sessions) >= self._guard.max_sessions:
            return peer, f"{len(self._sessions)} sessions already (the cap)"
        return None

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
        route = self._guard.route_of(headers["agi_network_script"])
        if route is None:
            log.warning(
                "FastAGI: refused a session from %s call=%r: no or wrong AGI secret",
                peer,
                headers.get("agi_uniqueid", "")[:40],
            )
            return
        headers = self._guard.without_secret(headers, route)
        channel = AgiChannel(headers, reader, writer, self._guard.timeouts, self._on_cdr_variable)
        handler = self._routes.get(channel.route)
        if handler is None:
            log.error(
                "FastAGI: unknown route %r call=%s; sending the caller to the fallback",
                channel.route,
                channel.uniqueid,
            )
            await self._run(self._fallback, channel)
            await _mark_failed(channel)
            return
        await self._run(handler, channel)

    async def _run(self, handler: Handler, channel: AgiChannel) -> None:
        try:
            await handler(channel)
        except AgiHangup:
            log.info("call=%s left the AGI session (hang-up or redirect)", channel.uniqueid)
        except AgiCommandError:
            log.exception("call=%s AGI command failed", channel.uniqueid)
            await _mark_failed(channel)
        except Exception:
            log.exception("call=%s IVR flow crashed; the dialplan falls back", channel.uniqueid)
            await _mark_failed(channel)


async def _mark_failed(channel: AgiChannel) -> None:
    """Tell the dialplan this session ended on purpose with no decision (``AGI_FAILED``), so it
    falls back at once instead of resuming the call on another controller. Best effort: a
    channel that is gone has no dialplan left to tell."""
    if channel.hung_up:
        return
    with contextlib.suppress(AgiHangup, AgiCommandError, UnsafeAgiValue):
        await channel.set_variable(names.VAR_AGI_FAILED, channel.route[:40] or "-")
