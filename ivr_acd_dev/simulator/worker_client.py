"""The client of one phone worker subprocess (``python -m ivr_acd_dev.simulator.worker``):
commands out over its stdin, replies to futures and events to inboxes from its stdout."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import sys
from collections import deque
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from ivr_acd_dev.simulator.link import DEFAULT_TIMEOUT, Inbox, Json, PhoneError, PhoneTimeout
from ivr_acd_dev.simulator.phones import Phone

log = logging.getLogger(__name__)

START_TIMEOUT = 15.0
ACCOUNT_EVENTS = frozenset({"registered", "incoming"})
LAST_WORDS = 40  # lines of a worker's stderr kept to say why it stopped


class PhoneWorker:
    """One worker subprocess: requests out, replies to futures, events to inboxes."""

    def __init__(
        self,
        *,
        rtp_port: int = 0,
        max_calls: int = 3,
        log_level: int = 1,
        tls_ca: Path | None = None,
    ) -> None:
        """``tls_ca``: the worker also gets a TLS transport trusting this CA, for phones added
        with ``tls=True``."""
        self.args = ["--rtp-port", str(rtp_port), "--max-calls", str(max_calls)]
        self.args += ["--log-level", str(log_level)]
        if tls_ca is not None:
            self.args += ["--tls-ca", str(tls_ca)]
        self.max_calls = max_calls
        self.sip_port = 0
        self.phones: dict[str, Phone] = {}
        self._proc: asyncio.subprocess.Process | None = None
        self._reader: asyncio.Task[None] | None = None
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[Json]] = {}
        self._inboxes: dict[str, Inbox] = {}
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

    def inbox(self, key: str) -> Inbox:
        """Events for a call id (``c1``) or an account name (``acct:<name>``)."""
        return self._inboxes.setdefault(key, Inbox())

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
        tls: bool = False,
        srtp: bool = False,
    ) -> Phone:
        """Create an account; it starts registering at once when ``register``. ``tls``: over
        the worker's TLS transport (``domain`` is then the TLS port); ``srtp``: SRTP only."""
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
            "tls": tls,
            "srtp": srtp,
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
