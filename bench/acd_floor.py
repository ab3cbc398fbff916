"""The phones of the ACD benchmark (pjsua2, ivr_acd_dev.simulator): agent softphones that pick up
after the call's ring delay, talk for its handle time and hang up; and callers that place the
seeded trace through the `bench` endpoint and hang up when their patience runs out before an
agent has answered. The same floor serves both systems; only the dialled prefix differs."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bench.call_trace import TraceCall, by_number
from ivr_acd.settings import Settings
from ivr_acd_dev.sandbox import ProvisionedPhone
from ivr_acd_dev.simulator import Call, Phone, PhoneError, PhonePool, PhoneTimeout

log = logging.getLogger(__name__)

CALLER_WORKERS = 10  # each carries up to CALLS_PER_CALLER calls at once
CALLS_PER_CALLER = 3
SETUP_TIMEOUT = 10.0
TALK_GRACE = 60.0  # how long an answered caller waits for the agent to hang up, past handle


@dataclass
class Outcome:
    """What the phones saw in one run (the AMI timeline is the reference; this confirms it)."""

    seen_by_agent: dict[str, float] = field(default_factory=dict)  # number -> epoch seconds
    answered_by_agent: set[str] = field(default_factory=set)
    gave_up: set[str] = field(default_factory=set)  # patience ran out
    late_starts: list[float] = field(default_factory=list)  # placement lag behind the trace
    failures: list[str] = field(default_factory=list)


@contextlib.contextmanager
def _stderr_into(path: Path) -> Iterator[None]:
    """Phone workers started inside write their pjsua start-up chatter to ``path``."""
    sys.stderr.flush()
    saved = os.dup(2)
    with path.open("ab") as log_file:
        os.dup2(log_file.fileno(), 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


class Floor:
    def __init__(self, settings: Settings, trace: Sequence[TraceCall], log_path: Path) -> None:
        self.settings = settings
        self.log_path = log_path
        self.trace = by_number(list(trace))
        self.domain = f"127.0.0.1:{settings.asterisk.sip_port}"
        self.agents: dict[str, Phone] = {}
        self.callers: dict[Phone, int] = {}  # phone -> its live calls
        self._agent_pool = PhonePool(rtp_base=44000)
        self._caller_pool = PhonePool(
            accounts_per_worker=1, calls_per_worker=CALLS_PER_CALLER, rtp_base=44400
        )
        self._outcome = Outcome()
        self._answered: dict[str, asyncio.Event] = {}

    @classmethod
    @contextlib.asynccontextmanager
    async def open(
        cls, settings: Settings, trace: Sequence[TraceCall], log_path: Path
    ) -> AsyncIterator[Floor]:
        floor = cls(settings, trace, log_path)
        try:
            with _stderr_into(log_path):
                await floor._add_callers()
            yield floor
        finally:
            await floor._agent_pool.close()
            await floor._caller_pool.close()

    async def _add_callers(self) -> None:
        ast = self.settings.asterisk
        secret = self.settings.secret(ast.carrier_password, "carrier_password")
        for n in range(CALLER_WORKERS):
            phone = await self._caller_pool.add_phone(
                f"caller-{n}", "bench", secret, self.domain, register=False, from_user="bench"
            )
            self.callers[phone] = 0

    async def register_agents(self, phones: Sequence[ProvisionedPhone]) -> None:
        with _stderr_into(self.log_path):
            await self._add_agents(phones)

    async def _add_agents(self, phones: Sequence[ProvisionedPhone]) -> None:
        for provisioned in phones:
            if provisioned.extension in self.agents:
                continue
            phone = await self._agent_pool.add_phone(
                f"agent-{provisioned.extension}",
                provisioned.extension,
                provisioned.sip_secret,
                self.domain,
            )
            await phone.register()
            self.agents[provisioned.extension] = phone

    # ---- one run -------------------------------------------------------------------------
    async def play(self, prefix: str) -> Outcome:
        """Place every call of the trace to ``<prefix>-<number>`` on time; the agents serve
        them; returns when every call has ended."""
        self._outcome, self._answered = Outcome(), {}
        stop = asyncio.Event()
        agents = [
            asyncio.create_task(self._agent(phone, stop), name=f"agent-{ext}")
            for ext, phone in self.agents.items()
        ]
        try:
            await self._place_all(prefix)
        finally:
            stop.set()
            await asyncio.gather(*agents)
        return self._outcome

    async def _place_all(self, prefix: str) -> None:
        loop = asyncio.get_running_loop()
        start = loop.time() + 0.5
        callers: list[asyncio.Task[None]] = []
        for call in sorted(self.trace.values(), key=lambda c: c.at):
            await asyncio.sleep(max(0.0, start + call.at - loop.time()))
            self._outcome.late_starts.append(loop.time() - start - call.at)
            callers.append(asyncio.create_task(self._caller(prefix, call), name=call.number))
        await asyncio.gather(*callers)

    # ---- a caller ------------------------------------------------------------------------
    async def _caller(self, prefix: str, trace_call: TraceCall) -> None:
        phone = min(self.callers, key=self.callers.__getitem__)
        if self.callers[phone] >= CALLS_PER_CALLER:
            self._outcome.failures.append(f"{trace_call.number}: every caller line busy")
            return
        self.callers[phone] += 1
        answered = self._answered.setdefault(trace_call.number, asyncio.Event())
        try:
            call = await phone.call(f"sip:{prefix}-{trace_call.number}@{self.domain}")
            await call.wait_state("CONFIRMED", SETUP_TIMEOUT)
            await self._wait_or_give_up(call, trace_call, answered)
        except (PhoneError, PhoneTimeout) as exc:
            self._outcome.failures.append(f"{trace_call.number}: {exc}")
        finally:
            self.callers[phone] -= 1

    async def _wait_or_give_up(
        self, call: Call, trace_call: TraceCall, answered: asyncio.Event
    ) -> None:
        try:
            await asyncio.wait_for(answered.wait(), trace_call.patience)
        except TimeoutError:
            if not call.ended:
                self._outcome.gave_up.add(trace_call.number)
                await call.hangup()
            await call.wait_state("DISCONNECTED", SETUP_TIMEOUT)
            return
        await call.wait_state("DISCONNECTED", trace_call.handle + TALK_GRACE)

    # ---- an agent ------------------------------------------------------------------------
    async def _agent(self, phone: Phone, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                ringing = await phone.wait_incoming(0.5)
            except PhoneTimeout:
                continue
            seen = time.time()
            if ringing.ended:
                continue  # rang and ended before this run, or while the agent was busy
            self._outcome.seen_by_agent.setdefault(ringing.remote_user, seen)
            trace_call = self.trace.get(ringing.remote_user)
            try:
                if trace_call is None:
                    self._outcome.failures.append(
                        f"{phone.name}: a call from {ringing.remote_user}"
                    )
                    await ringing.hangup(486)
                else:
                    await self._serve(ringing, trace_call)
            except (PhoneError, PhoneTimeout) as exc:
                if not ringing.ended:  # else the caller gave up while it rang: not a failure
                    self._outcome.failures.append(f"{phone.name} {trace_call}: {exc}")

    async def _serve(self, ringing: Call, trace_call: TraceCall) -> None:
        await asyncio.sleep(trace_call.ring_delay)
        if ringing.ended:
            return
        try:
            await ringing.answer()
        except PhoneError as exc:
            if "no live call" in str(exc):
                return  # the caller gave up while it rang
            raise
        self._outcome.answered_by_agent.add(trace_call.number)
        self._answered.setdefault(trace_call.number, asyncio.Event()).set()
        await ringing.wait_state("CONFIRMED", SETUP_TIMEOUT)
        await asyncio.sleep(trace_call.handle)
        await ringing.hangup()
