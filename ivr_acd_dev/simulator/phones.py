"""Simulated SIP phones for tests and the demo, driven from asyncio.

Each :class:`PhoneWorker` is a subprocess (``python -m ivr_acd_dev.simulator.worker``) owning one
pjsua2 Endpoint; a :class:`Phone` is an account on it and a :class:`Call` one of its calls.
:class:`PhonePool` spreads phones over as many workers as needed (pjsua2's wheel carries
only a few calls and accounts per process).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import sys
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Self

log = logging.getLogger(__name__)

Json = dict[str, Any]
DEFAULT_TIMEOUT = 10.0
START_TIMEOUT = 15.0
ACCOUNT_EVENTS = frozenset({"registered", "incoming"})
LAST_WORDS = 40  # lines of a worker's stderr kept to say why it stopped


class PhoneError(RuntimeError):
    """The worker refused a command, or a call ended while something else was awaited."""


class PhoneTimeout(TimeoutError):
    """Nothing happened in time; ``what`` names what was awaited."""

    def __init__(self, what: str, timeout: float) -> None:
        super().__init__(f"timed out after {timeout:g}s waiting for {what}")
        self.what = what
        self.timeout = timeout


@dataclass(frozen=True)
class CallState:
    state: str
    code: int
    reason: str


@dataclass(frozen=True)
class CallStats:
    rx_packets: int
    tx_packets: int
    rms: float
    duration: float


@dataclass
class _Inbox:
    """Events of one call or account, in arrival order."""

    queue: asyncio.Queue[Json] = field(default_factory=asyncio.Queue)

    async def next(self, what: str, deadline: _Deadline) -> Json:
        try:
            return await asyncio.wait_for(self.queue.get(), deadline.remaining())
        except TimeoutError:
            raise PhoneTimeout(what, deadline.total) from None


@dataclass(frozen=True)
class _Deadline:
    at: float
    total: float

    def remaining(self) -> float:
        return max(self.at - asyncio.get_running_loop().time(), 0.0)


def _deadline(timeout_s: float) -> _Deadline:
    return _Deadline(asyncio.get_running_loop().time() + timeout_s, timeout_s)


class PhoneWorker:
    """One worker subprocess: requests out, replies to futures, events to inboxes."""

    def __init__(self, *, rtp_port: int = 0, max_calls: int = 3, log_level: int = 1) -> None:
        self.args = ["--rtp-port", str(rtp_port), "--max-calls", str(max_calls)]
        self.args += ["--log-level", str(log_level)]
        self.max_calls = max_calls
        self.sip_port = 0
        self.phones: dict[str, Phone] = {}
        self._proc: asyncio.subprocess.Process | None = None
        self._reader: asyncio.Task[None] | None = None
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[Json]] = {}
        self._inboxes: dict[str, _Inbox] = {}
        self._ready: asyncio.Future[Json] | None = None
        self._stderr: asyncio.Task[None] | None = None
        self.last_words: deque[str] = deque(maxlen=LAST_WORDS)  # the worker's stderr, last lines

    @property
    def pid(self) -> int | None:
        return None if self._proc is None else self._proc.pid

    @property
    def alive(self) -> bool:
        return self._proc is not None and self._proc.returncode is None

    async def start(self) -> Self:
        self._proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "ivr_acd_dev.simulator.worker",
            *self.args,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            limit=1 << 20,
        )
        self._ready = asyncio.get_running_loop().create_future()
        self._reader = asyncio.create_task(self._read(), name="phone-worker-reader")
        self._stderr = asyncio.create_task(self._keep_stderr(), name="phone-worker-stderr")
        try:
            ready = await asyncio.wait_for(asyncio.shield(self._ready), START_TIMEOUT)
        except TimeoutError:
            await self.close()
            raise PhoneTimeout("the phone worker to start", START_TIMEOUT) from None
        self.sip_port = int(ready["sip_port"])
        return self

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def request(self, cmd: str, timeout_s: float = DEFAULT_TIMEOUT, **args: Any) -> Json:
        """Send one command and return its reply; an error reply raises :class:`PhoneError`."""
        if self._proc is None or self._proc.stdin is None or self._proc.returncode is not None:
            raise PhoneError(f"worker is not running (command {cmd}){self._epitaph()}")
        request_id = next(self._ids)
        future: asyncio.Future[Json] = asyncio.get_running_loop().create_future()
        self._pending[request_id] = future
        line = json.dumps({"id": request_id, "cmd": cmd, **args}) + "\n"
        self._proc.stdin.write(line.encode())
        await self._proc.stdin.drain()
        try:
            reply = await asyncio.wait_for(future, timeout_s)
        except TimeoutError:
            raise PhoneTimeout(f"the reply to {cmd}", timeout_s) from None
        finally:
            self._pending.pop(request_id, None)
        if "error" in reply:
            raise PhoneError(f"{cmd} failed: {reply['error']}")
        return reply

    def inbox(self, key: str) -> _Inbox:
        """Events for a call id (``c1``) or an account name (``acct:<name>``)."""
        return self._inboxes.setdefault(key, _Inbox())

    async def add_phone(
        self,
        name: str,
        username: str,
        password: str,
        domain: str,
        *,
        register: bool = True,
        auto_answer_ms: int | None = None,
        reject_code: int | None = None,
        from_user: str | None = None,
        display_name: str | None = None,
    ) -> Phone:
        """Create an account; it starts registering at once when ``register``."""
        account: Json = {
            "name": name,
            "username": username,
            "password": password,
            "domain": domain,
            "register": register,
            "auto_answer_ms": auto_answer_ms,
            "reject_code": reject_code,
            "from_user": from_user,
            "display_name": display_name,
        }
        await self.request("add_account", **account)
        phone = Phone(self, name, domain, account)
        self.phones[name] = phone
        return phone

    async def adopt(self, phone: Phone) -> None:
        """Carry ``phone`` (of a worker that died) on this worker: its account is created
        again here and the same ``Phone`` object now speaks through this worker."""
        await self.request("add_account", **phone.account)
        phone.rebind(self)
        self.phones[phone.name] = phone

    async def close(self) -> None:
        """Ask the worker to end (EOF), then terminate it if it lingers."""
        proc, self._proc = self._proc, None
        if proc is not None and proc.returncode is None:
            if proc.stdin is not None:
                proc.stdin.close()
            try:
                await asyncio.wait_for(proc.wait(), 5.0)
            except TimeoutError:
                proc.kill()
                await proc.wait()
        for task in (self._reader, self._stderr):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._reader = self._stderr = None
        self._fail_pending("worker closed")

    async def _read(self) -> None:
        assert self._proc is not None and self._proc.stdout is not None
        stdout = self._proc.stdout
        while line := await stdout.readline():
            try:
                message = json.loads(line)
            except ValueError:
                log.warning("phone worker wrote a non-protocol line: %r", line[:200])
                continue
            self._dispatch(message)
        if self._proc is not None:  # not closed by us: it died
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._proc.wait(), 2.0)
            log.warning("phone worker exited%s", self._epitaph())
        self._fail_pending(f"worker exited{self._epitaph()}")

    async def _keep_stderr(self) -> None:
        assert self._proc is not None and self._proc.stderr is not None
        while line := await self._proc.stderr.readline():
            self.last_words.append(line.decode(errors="replace").rstrip())
            log.debug("phone worker: %s", self.last_words[-1])

    def _epitaph(self) -> str:
        code = None if self._proc is None else self._proc.returncode
        words = " | ".join(list(self.last_words)[-8:])
        return f"; exit code {code}" + (f"; its last words: {words}" if words else "")

    def _dispatch(self, message: Json) -> None:
        if "id" in message:
            future = self._pending.get(message["id"])
            if future is not None and not future.done():
                future.set_result(message)
            elif message.get("error"):
                log.warning("phone worker error: %s", message["error"])
            return
        event = message.get("event")
        if event == "ready" and self._ready is not None and not self._ready.done():
            self._ready.set_result(message)
        elif event in ACCOUNT_EVENTS:
            self.inbox(f"acct:{message['account']}").queue.put_nowait(message)
        elif "call" in message:
            self.inbox(str(message["call"])).queue.put_nowait(message)

    def _fail_pending(self, why: str) -> None:
        for future in self._pending.values():
            if not future.done():
                future.set_exception(PhoneError(why))
        self._pending.clear()
        if self._ready is not None and not self._ready.done():
            self._ready.set_exception(PhoneError(why))
            self._ready.exception()  # retrieved: start() reports it as a timeout or error


class Phone:
    """One SIP account on a worker: an agent's, a supervisor's or a caller's phone."""

    def __init__(self, worker: PhoneWorker, name: str, domain: str, account: Json) -> None:
        self.worker = worker
        self.name = name
        self.domain = domain
        self.account = account  # as given to add_account
        self.registration_code: int | None = None
        self._inbox = worker.inbox(f"acct:{name}")
        self._incoming: list[Json] = []

    def rebind(self, worker: PhoneWorker) -> None:
        """Speak through ``worker`` from now on (see :meth:`PhoneWorker.adopt`)."""
        self.worker = worker
        self.registration_code = None
        self._inbox = worker.inbox(f"acct:{self.name}")
        self._incoming.clear()

    async def register(self, timeout_s: float = DEFAULT_TIMEOUT) -> int:
        """Wait for the registration result; a non-2xx code raises :class:`PhoneError`."""
        deadline = _deadline(timeout_s)
        while self.registration_code is None:
            self._absorb(await self._inbox.next(f"{self.name} to register", deadline))
        if not 200 <= self.registration_code < 300:
            raise PhoneError(f"{self.name} registration failed with {self.registration_code}")
        return self.registration_code

    async def call(self, uri: str, *, from_user: str | None = None) -> Call:
        """Dial ``uri`` (a full SIP URI or a bare extension at this phone's domain)."""
        reply = await self.worker.request("call", account=self.name, uri=uri, from_user=from_user)
        return Call(self, str(reply["call"]), remote_user=uri)

    async def wait_incoming(self, timeout_s: float = DEFAULT_TIMEOUT) -> Call:
        """The next incoming call (already ringing; answer it unless auto-answer is on)."""
        deadline = _deadline(timeout_s)
        while not self._incoming:
            self._absorb(await self._inbox.next(f"an incoming call on {self.name}", deadline))
        event = self._incoming.pop(0)
        call = Call(
            self,
            str(event["call"]),
            remote_user=str(event.get("from", "")),
            remote_name=str(event.get("caller_id_name", "")),
        )
        call.dialled = str(event.get("to", ""))
        return call

    async def close(self) -> None:
        await self.worker.request("remove_account", account=self.name)
        self.worker.phones.pop(self.name, None)

    def _absorb(self, event: Json) -> None:
        if event.get("event") == "registered":
            self.registration_code = int(event["code"])
        elif event.get("event") == "incoming":
            self._incoming.append(event)


class Call:
    """One call leg on a phone; the caller's number and name are known for incoming calls."""

    def __init__(
        self, phone: Phone, call_id: str, *, remote_user: str = "", remote_name: str = ""
    ) -> None:
        self.phone = phone
        self.id = call_id
        self.remote_user = remote_user
        self.remote_name = remote_name
        self.dialled = ""  # an incoming call: the number it was placed to (request-URI user)
        self.states: list[CallState] = []
        self.digits = ""
        self._inbox = phone.worker.inbox(call_id)

    @property
    def state(self) -> str:
        """The latest state reported so far (``NULL`` before the first report)."""
        self._drain()
        return self.states[-1].state if self.states else "NULL"

    @property
    def ended(self) -> bool:
        return self.state == "DISCONNECTED"

    async def wait_state(self, state: str, timeout_s: float = DEFAULT_TIMEOUT) -> CallState:
        """Wait until the call has reached ``state``; ending first raises :class:`PhoneError`."""
        deadline = _deadline(timeout_s)
        what = f"call {self.id} on {self.phone.name} to reach {state}"
        while True:
            self._drain()
            for seen in self.states:
                if seen.state == state:
                    return seen
            if self.ended:
                last = self.states[-1]
                raise PhoneError(f"{what}, but it ended: {last.code} {last.reason}")
            self._absorb(await self._inbox.next(what, deadline))

    async def wait_dtmf(self, count: int = 1, timeout_s: float = DEFAULT_TIMEOUT) -> str:
        """Wait until ``count`` DTMF digits have been received on this call; return them."""
        deadline = _deadline(timeout_s)
        self._drain()
        while len(self.digits) < count:
            what = f"{count} DTMF digit(s) on call {self.id} (got {self.digits!r})"
            self._absorb(await self._inbox.next(what, deadline))
        return self.digits

    async def answer(self, code: int = 200) -> None:
        await self._do("answer", code=code)

    async def hangup(self, code: int | None = None) -> None:
        """End the call (BYE/CANCEL), or reject an unanswered one with ``code`` (486 = busy).

        Hanging up a call that has already ended is a no-op.
        """
        if self.ended:
            return
        try:
            await self._do("hangup", code=code)
        except PhoneError as exc:
            if "no live call" not in str(exc):
                raise

    async def dtmf(self, digits: str) -> None:
        """Send RFC 4733 DTMF digits."""
        await self._do("dtmf", digits=digits)

    async def play_tone(self, freq_hz: int) -> None:
        await self._do("tone", freq_hz=freq_hz)

    async def play(self, wav: Path) -> None:
        """Loop a WAV file into the call."""
        await self._do("play", wav=str(wav))

    async def stop_audio(self) -> None:
        await self._do("stop_audio")

    async def record(self, path: Path) -> None:
        """Record the audio received on this call into a WAV file."""
        await self._do("record", wav=str(path))

    async def stats(self) -> CallStats:
        reply = await self._do("stats")
        return CallStats(
            rx_packets=int(reply["rx_packets"]),
            tx_packets=int(reply["tx_packets"]),
            rms=float(reply["rms"]),
            duration=float(reply["duration"]),
        )

    async def _do(self, cmd: str, **args: Any) -> Json:
        return await self.phone.worker.request(cmd, call=self.id, **args)

    def _drain(self) -> None:
        while not self._inbox.queue.empty():
            self._absorb(self._inbox.queue.get_nowait())

    def _absorb(self, event: Json) -> None:
        if event.get("event") == "call_state":
            seen = CallState(str(event["state"]), int(event["code"]), str(event["reason"]))
            log.debug("call=%s phone=%s -> %s", self.id, self.phone.name, seen.state)
            self.states.append(seen)
        elif event.get("event") == "dtmf":
            self.digits += str(event["digit"])
