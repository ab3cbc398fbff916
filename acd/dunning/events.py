"""The dialer's side of Asterisk's events: the dunning calls in progress (by linkedid), each
attempt's state machine (``acd.dunning.core.attempts``) fed in the order AMI reports, and the
commands each transition returns run here — stamp the answer, record the disposition, let the
reserved agent go or connect them. Also what a (re)started controller finds: attempts left in
progress are adopted when their channel is still up, else resolved from their CDR, else failed
once they are too old to still be ringing."""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from acd.dunning.agents import CollectionsAgents
from acd.dunning.core import attempts as am
from acd.dunning.core.pacing import DialOutcome
from acd.dunning.facts import CampaignFacts
from acd.dunning.repository import CampaignRepository, StoredAttempt
from acd.events import endpoint_of
from crm_bridge.calls.records import CallRecord
from crm_bridge.vocab import CampaignMode, Disposition
from wire.commands import CallControl
from wire.errors import AmiError
from wire.events import (
    AmiEvent,
    DialEnd,
    DunningAmd,
    Hangup,
    OriginateResponse,
    Resync,
)
from wire.replies import linkedids

log = logging.getLogger(__name__)

OUTCOMES_KEPT = 600  # per campaign, for the progressive abandon-rate control
CDR_TRIES = 5  # settle periods to wait for a call's CDR


class Cdrs(Protocol):
    async def get(self, linkedid: str) -> CallRecord | None: ...


@dataclass
class Tracked:
    """A dunning call in progress, as this controller follows it."""

    linkedid: str
    campaign_id: str
    policy_id: int
    live: am.Live
    started: float = 0.0  # the dialer's clock, epoch seconds

    @property
    def attempt_id(self) -> str:
        return self.live.attempt_id


@dataclass
class AttemptTracker:
    campaigns: CampaignRepository
    facts: CampaignFacts
    ami: CallControl
    cdrs: Cdrs
    agents: CollectionsAgents | None
    clock: Callable[[], datetime]
    settle_seconds: float = 2.0
    disposition_grace: float = 30.0
    calls: dict[str, Tracked] = field(default_factory=dict)  # linkedid -> call
    outcomes: dict[str, deque[DialOutcome]] = field(default_factory=dict)  # by campaign
    tasks: set[asyncio.Task[None]] = field(default_factory=set)
    settling: set[str] = field(default_factory=set)  # ended calls whose outcome is awaited

    def in_flight(self, campaign_id: str) -> list[Tracked]:
        return [t for t in self.calls.values() if t.campaign_id == campaign_id]

    def track(self, tracked: Tracked) -> None:
        self.calls[tracked.linkedid] = tracked

    # ---- AMI events, in order ------------------------------------------------------------
    async def apply(self, event: AmiEvent) -> None:
        if isinstance(event, Resync):
            self.forget_ended(linkedids(event.rows))
            return
        found = self._attempt_event(event)
        if found is None:
            return
        tracked, attempt_event = found
        await self.step(tracked, attempt_event)

    def _attempt_event(self, event: AmiEvent) -> tuple[Tracked, am.AttemptEvent] | None:
        if isinstance(event, OriginateResponse):
            tracked = self.calls.get(event.uniqueid)
            happened: am.AttemptEvent = (
                am.Answered() if event.success else am.OriginateFailed(event.reason)
            )
        elif isinstance(event, DunningAmd):
            tracked = self.calls.get(event.linkedid)
            happened = am.AmdVerdict(event.status, event.cause)
        elif isinstance(event, DialEnd):
            tracked = self.calls.get(event.linkedid)
            happened = am.AgentDialEnded(endpoint_of(event.dest_channel), event.dial_status)
        elif isinstance(event, Hangup) and event.uniqueid == event.linkedid:
            tracked = self.calls.get(event.linkedid)
            happened = am.HungUp(event.cause)
        else:
            return None
        return None if tracked is None else (tracked, happened)

    async def step(self, tracked: Tracked, event: am.AttemptEvent) -> None:
        result = am.apply(tracked.live, event)
        if not result.changed and result.live == tracked.live:
            return
        if result.live.state is not tracked.live.state:
            log.info("call=%s %s", tracked.linkedid, am.line(tracked.live, result.live))
        tracked.live = result.live
        if result.live.state is am.AttemptState.ENDED:
            self.calls.pop(tracked.linkedid, None)
        for command in result.commands:
            try:
                await self._run(tracked, command)
            except Exception:
                log.exception("call=%s %s failed", tracked.linkedid, type(command).__name__)

    async def _run(self, tracked: Tracked, command: am.Command) -> None:
        agent_action = self._agent_action(command)
        if agent_action is not None:
            await agent_action(tracked.linkedid)
        elif isinstance(command, am.StampAnswer):
            await self.campaigns.answered(
                tracked.attempt_id, self.clock(), command.amd_status, command.agent
            )
        elif isinstance(command, am.Finish):
            await self.finish(tracked, command)
        elif isinstance(command, am.FinishFromFlow):
            self._settle(tracked, self._after_flow(tracked, command.fallback))
        elif isinstance(command, am.FinishFromCdr):
            self._settle(tracked, self._from_cdr(tracked, command.fallback))
        elif isinstance(command, am.AwaitAgentDisposition):
            self._settle(tracked, self._after_grace(tracked, command.fallback))

    def _settle(self, tracked: Tracked, outcome: Awaitable[None]) -> None:
        """Await the outcome of an ended call in the background (``recover`` leaves it be)."""
        self.settling.add(tracked.linkedid)

        async def run() -> None:
            try:
                await outcome
            finally:
                self.settling.discard(tracked.linkedid)

        self.spawn(run(), f"dialer-settle-{tracked.linkedid}")

    def _agent_action(self, command: am.Command) -> Callable[[str], Awaitable[None]] | None:
        agents = self.agents
        if agents is None:
            return None
        if isinstance(command, am.AgentConnected):
            return lambda linkedid: agents.connected(command.agent, linkedid)
        if isinstance(command, am.ReleaseAgent):
            return lambda linkedid: agents.release(command.agent, linkedid)
        if isinstance(command, am.AgentCallEnded):
            return lambda linkedid: agents.ended(command.agent, linkedid)
        return None

    async def finish(self, tracked: Tracked, finish: am.Finish) -> bool:
        promise = None
        if finish.disposition is Disposition.PROMISED:
            promise = await self.facts.promise_made_on(tracked.linkedid, tracked.policy_id)
            if promise is None:
                why = finish.reason + "; no promise stored"
                finish = am.Finish(Disposition.REFUSED, why, am.Why.NO_PROMISE_STORED)
        written = await self.campaigns.finish(
            tracked.attempt_id,
            finish.disposition,
            self.clock(),
            finish.reason,
            promise,
            why=finish.why,
            params=finish.params,
        )
        stored = await self.campaigns.attempt(tracked.attempt_id)
        if stored is not None and stored.disposition is not None:
            self.note_outcome(tracked.campaign_id, stored.disposition)
            log.info(
                "call=%s attempt=%s disposition %s: %s",
                tracked.linkedid,
                tracked.attempt_id,
                stored.disposition,
                stored.reason,
            )
        return written

    def note_outcome(self, campaign_id: str, disposition: Disposition) -> None:
        kept = self.outcomes.setdefault(campaign_id, deque(maxlen=OUTCOMES_KEPT))
        kept.append(DialOutcome(self.clock().timestamp(), disposition))

    async def _after_flow(self, tracked: Tracked, fallback: am.Finish) -> None:
        """The flow writes its own outcome: wait for it; else a promise made on the call, or
        what the CDR says (the flow's controller failed), or ``fallback``."""
        await asyncio.sleep(self.settle_seconds)
        promise = await self.facts.promise_made_on(tracked.linkedid, tracked.policy_id)
        if promise is not None:
            why = "promised a payment date, then hung up"
            promised = am.Finish(Disposition.PROMISED, why, am.Why.PROMISED_THEN_HUNG_UP)
            await self.finish(tracked, promised)
            return
        stored = await self.campaigns.attempt(tracked.attempt_id)
        if stored is not None and not stored.in_progress:
            return  # the flow recorded it
        await self._from_cdr(tracked, fallback, waited=True)

    async def _from_cdr(self, tracked: Tracked, fallback: am.Finish, waited: bool = False) -> None:
        """Wait for the call's CDR (the recorder writes it once the call is over)."""
        for n in range(CDR_TRIES):
            if n or not waited:
                await asyncio.sleep(self.settle_seconds)
            finish = await self._cdr_finish(tracked, tracked.live.mode)
            if finish is not None:
                await self.finish(tracked, finish)
                return
        await self.finish(tracked, fallback)

    async def _cdr_finish(self, tracked: Tracked, mode: CampaignMode) -> am.Finish | None:
        cdr = await self.cdrs.get(tracked.linkedid)
        if cdr is None:
            return None
        stored = await self.campaigns.attempt(tracked.attempt_id)
        promised = await self.facts.promise_made_on(tracked.linkedid, tracked.policy_id)
        return am.from_cdr(
            cdr.disposition,
            stored.amd_status if stored else None,
            mode,
            promised=promised is not None,
            connected_agent=stored.agent_extension if stored else None,
            ivr_path=cdr.ivr_path,
            hangup_cause=cdr.hangup_cause,
        )

    async def _after_grace(self, tracked: Tracked, fallback: am.Finish) -> None:
        await asyncio.sleep(self.disposition_grace)
        await self.finish(tracked, fallback)

    # ---- what a (re)started controller finds ---------------------------------------------
    async def live_linkedids(self) -> set[str] | None:
        try:
            return linkedids(await self.ami.channels())
        except AmiError as exc:
            log.warning("dialer: live channels unknown (%s)", exc)
            return None

    async def recover(self, campaign_id: str, mode: CampaignMode, recover_after: float) -> bool:
        """Resolve the campaign's attempts left in progress that nobody here follows; True
        when none is left unresolved (an attempt too young to judge waits for the next try)."""
        followed = self.calls.keys() | self.settling
        left = [
            a for a in await self.campaigns.in_progress(campaign_id) if a.linkedid not in followed
        ]
        if not left:
            return True
        alive = await self.live_linkedids()
        if alive is None:
            return False
        done = True
        for attempt in left:
            if attempt.linkedid in alive:
                self._adopt(attempt, mode)
            else:
                done = await self._resolve(attempt, mode, recover_after) and done
        return done

    def _adopt(self, attempt: StoredAttempt, mode: CampaignMode) -> None:
        state = am.AttemptState.DIALLING
        if attempt.answered_at is not None:
            state = {
                "MACHINE": am.AttemptState.MACHINE,
                "HUMAN": am.AttemptState.HUMAN,
                "NOTSURE": am.AttemptState.HUMAN,
            }.get(attempt.amd_status or "", am.AttemptState.ANSWERED)
        agent = attempt.agent_extension or ""
        if agent and state is am.AttemptState.HUMAN:
            state = am.AttemptState.CONNECTED
        live = am.Live(attempt.attempt_id, mode, agent, state, attempt.amd_status or "")
        self.track(Tracked(attempt.linkedid, attempt.campaign_id, attempt.policy_id, live))
        log.warning(
            "call=%s attempt=%s adopted in state %s", attempt.linkedid, live.attempt_id, state
        )

    async def _resolve(
        self, attempt: StoredAttempt, mode: CampaignMode, recover_after: float
    ) -> bool:
        tracked = Tracked(
            attempt.linkedid,
            attempt.campaign_id,
            attempt.policy_id,
            am.Live(attempt.attempt_id, mode, attempt.agent_extension or ""),
        )
        finish = await self._cdr_finish(tracked, mode)
        if finish is None:
            if (self.clock() - attempt.started_at).total_seconds() <= recover_after:
                return False  # its CDR may be on its way
            why = "lost: no channel and no CDR after a controller restart"
            finish = am.Finish(Disposition.FAILED, why, am.Why.LOST)
        log.warning(
            "call=%s attempt=%s left in progress: %s",
            attempt.linkedid,
            attempt.attempt_id,
            finish.reason,
        )
        await self.finish(tracked, finish)
        return True

    async def resync(self) -> None:
        """A call that seems stuck: ask Asterisk what is live (see :meth:`forget_ended`)."""
        alive = await self.live_linkedids()
        if alive is not None:
            self.forget_ended(alive)

    def forget_ended(self, alive: set[str]) -> None:
        """After an AMI (re)connect (``alive``: the calls Asterisk has): a call that ended
        while we were away is no longer followed; the dialer's next step resolves its attempt
        (``recover``) from its CDR."""
        for tracked in list(self.calls.values()):
            if tracked.linkedid not in alive:
                log.warning("call=%s ended while AMI was away", tracked.linkedid)
                self.calls.pop(tracked.linkedid, None)

    def spawn(self, coro: Awaitable[None], name: str) -> None:
        async def run() -> None:
            try:
                await coro
            except Exception:
                log.exception("dialer task %s failed", name)

        task = asyncio.create_task(run(), name=name)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
