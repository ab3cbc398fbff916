"""Simulated SIP phones for tests and the demo, driven from asyncio.

Each :class:`~ivr_acd_dev.simulator.worker_client.PhoneWorker` is a subprocess owning one pjsua2
Endpoint; a :class:`Phone` is an account on it and a :class:`Call` one of its calls.
:class:`~ivr_acd_dev.simulator.pool.PhonePool` spreads phones over as many workers as needed
(pjsua2's wheel carries only a few calls and accounts per process).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ivr_acd_dev.simulator.link import DEFAULT_TIMEOUT, Json, PhoneError, deadline_in

if TYPE_CHECKING:
    from ivr_acd_dev.simulator.worker_client import PhoneWorker

log = logging.getLogger(__name__)


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
    srtp: bool = False  # the media stream is SRTP (RTP/SAVP)


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
        deadline = deadline_in(timeout_s)
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
        deadline = deadline_in(timeout_s)
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
        deadline = deadline_in(timeout_s)
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
        deadline = deadline_in(timeout_s)
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
            srtp=bool(reply.get("srtp", False)),
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
