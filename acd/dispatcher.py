"""The dispatcher: turns routing decisions into reservations in Redis and the reservations into
calls ringing agents, and keeps this controller's routing index in step with Redis.

Several controllers may run one Redis: each keeps its own in-memory mirror (``RoutingIndex``)
fed by the published changes, decides locally (pure, acd.core.routing), and makes the decision real
with one atomic ``reserve``; a controller that loses the race re-reads and decides again. The
one that reserved delivers: the caller is either still in its ``acd-enqueue`` AGI session (the
agent goes back as the answer) or waiting in music on hold (AMI Redirect to ``acd-deliver``).

A call the ACD places itself (a progressive dunning call, ``reserve_outbound``) gets its agent
the same way: the same ranking, the same script, under the same lock, and its transitions are
logged and journalled like every other."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from acd.core import agent_states as sm
from acd.core.model import AgentProfile, AgentState, AgentStatus, WaitingCall
from acd.core.routing import EscalationStep, RoutingPolicy, choose_agent, choose_call, step_in_force
from acd.core.skill_index import RoutingIndex
from acd.live.changes import LiveChange
from acd.live.live_state import LiveState

log = logging.getLogger(__name__)

MAX_RACES = 5  # reservations lost to another controller before a decision waits for the tick


class CallDelivery(Protocol):
    """How a reserved call reaches the agent (AMI, in production)."""

    async def deliver(self, call: WaitingCall, extension: str, step: str) -> bool:
        """Move the waiting caller to ring ``extension`` (``step``: the escalation step that
        chose them, for the CDR); False if the caller is gone."""


class TransitionLog(Protocol):
    """Where every agent transition is kept (the CRM)."""

    async def record(self, extension: str, transition: sm.Transition, at: float) -> None: ...


@dataclass(frozen=True)
class Outbound:
    """How a call the ACD places itself holds its agent: ``lease_seconds`` (its longest ring,
    detection and connect time), and ``purpose``, what the agent's log line says it is for."""

    lease_seconds: float
    purpose: str


@dataclass(frozen=True)
class Offer:
    extension: str
    call: WaitingCall
    step: EscalationStep


class Dispatcher:
    def __init__(
        self,
        live: LiveState,
        policy: RoutingPolicy,
        delivery: CallDelivery,
        journal: TransitionLog,
        *,
        lease_seconds: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.live = live
        self.policy = policy
        self.delivery = delivery
        self.journal = journal
        self.lease_seconds = lease_seconds
        self.clock = clock
        self.index = RoutingIndex()
        self.statuses: dict[str, AgentStatus] = {}
        self._timers: set[asyncio.Task[None]] = set()  # wrap-ups ending on time
        self._lock = asyncio.Lock()  # one decision at a time in this controller

    # ---- the mirror ----------------------------------------------------------------------
    async def load(self, profiles: Iterable[AgentProfile]) -> None:
        """Publish the CRM's profiles and read the whole live state into the index (from
        scratch: Redis is the truth)."""
        for profile in profiles:
            await self.live.put_profile(profile)
            self.index.put_profile(profile)
        self.reset()
        for status in await self.live.agents():
            self.note_status(status)
        for call in await self.live.waiting_calls():
            self.index.add_call(call)

    def reset(self) -> None:
        """Forget the mirror's statuses and calls (profiles stay), before reading the whole
        live state again: a new Redis starts its versions over, so the versions held here
        would make every status it has look old."""
        self.statuses.clear()
        for extension in list(self.index.ready):
            self.index.set_not_ready(extension)
        for call_id in list(self.index.calls):
            self.index.remove_call(call_id)

    def note_status(self, status: AgentStatus) -> None:
        known = self.statuses.get(status.extension)
        if known is not None and known.version > status.version:
            return  # an older change arriving late
        self.statuses[status.extension] = status
        if status.extension in self.index.profiles:
            self.index.apply_status(status)

    def apply_change(self, change: LiveChange) -> None:
        """One change published by any controller (this one included)."""
        if change.agent is not None:
            self.note_status(change.agent)
        if change.op in ("enqueue", "requeue") and change.call is not None:
            if not change.call.reserved_by:
                self.index.add_call(change.call)
        elif change.op in ("reserve", "connect", "remove", "drop") and change.call_id:
            self.index.remove_call(change.call_id)

    @property
    def logged_in(self) -> set[str]:
        return {e for e, s in self.statuses.items() if s.state is not AgentState.LOGGED_OUT}

    # ---- decisions -----------------------------------------------------------------------
    async def agent_for(self, call: WaitingCall) -> Offer | None:
        """Reserve the best agent for ``call`` now, or None (it waits)."""
        async with self._lock:
            return await self._reserve_best(call)

    async def reserve_outbound(
        self, call: WaitingCall, outbound: Outbound, languages: Sequence[str] = ()
    ) -> Offer | None:
        """Reserve the best ready agent for ``call``, a call the ACD places itself (never in
        line: no controller offers it to anyone), ranked as for a caller of its language; when
        nobody who qualifies speaks it, as for one of ``languages``, in turn. None: nobody."""
        async with self._lock:
            for language in dict.fromkeys((call.language, *languages)):
                offer = await self._reserve_best(call, outbound, language)
                if offer is not None:
                    return offer
            return None

    async def _reserve_best(
        self, call: WaitingCall, outbound: Outbound | None = None, language: str = ""
    ) -> Offer | None:
        """The routing core's choice, made real (a lost race: re-read, choose again)."""
        asked = replace(call, language=language) if language else call
        for _ in range(MAX_RACES):
            now = self.clock()
            choice = choose_agent(
                self.index,
                asked,
                now=now,
                policy=self.policy,
                logged_in=self.logged_in,
                waiting=len(self.index.calls),
            )
            if choice.extension is None:
                return None
            if await self._reserve(choice.extension, call, now, outbound):
                return Offer(choice.extension, call, choice.step)
            await self._refresh(choice.extension, "" if outbound else call.call_id)
        return None

    async def call_for(self, extension: str) -> Offer | None:
        """Reserve the best waiting call for the agent ``extension`` (just became ready)."""
        async with self._lock:
            for _ in range(MAX_RACES):
                now = self.clock()
                choice = choose_call(
                    self.index, extension, now=now, policy=self.policy, logged_in=self.logged_in
                )
                if choice.call_id is None:
                    return None
                call = self.index.calls[choice.call_id]
                if await self._reserve(extension, call, now):
                    step = choice.step or step_in_force(call, now, self.policy)
                    return Offer(extension, call, step)
                await self._refresh(extension, call.call_id)
            return None

    async def _reserve(
        self, extension: str, call: WaitingCall, now: float, outbound: Outbound | None = None
    ) -> bool:
        version = (self.statuses.get(extension) or AgentStatus(extension)).version
        if outbound is None:
            offer = sm.Offer(call.call_id, now + self.lease_seconds)
            result = await self.live.offer(extension, offer, version, now)
        else:
            reserve = sm.ReserveOutbound(
                call.call_id, now + outbound.lease_seconds, outbound.purpose
            )
            result = await self.live.offer(extension, reserve, version, now, placed=call)
        if result is None:
            return False
        self.index.remove_call(call.call_id)
        await self._applied(extension, result, now)
        return True

    async def _refresh(self, extension: str, call_id: str) -> None:
        """Lost a race: read the truth about the agent and the call ("": none in line)."""
        self.note_status(await self.live.status(extension))
        if not call_id:
            return
        stored = await self.live.call(call_id)
        if stored is None or stored.reserved_by:
            self.index.remove_call(call_id)
        else:
            self.index.add_call(stored)

    # ---- delivering ----------------------------------------------------------------------
    async def offer_waiting(self, extension: str) -> Offer | None:
        """The agent became ready: reserve a waiting call for them and ring them."""
        offer = await self.call_for(extension)
        if offer is not None:
            await self._deliver(offer)
        return offer

    async def sweep(self) -> int:
        """Offer waiting calls whose chances changed (escalation step, agents freed); the
        tick's job. Returns how many were offered."""
        offered = 0
        for call in sorted(self.index.calls.values(), key=lambda c: c.enqueued_at):
            if not self.index.ready:
                break
            offer = await self.agent_for(call)
            if offer is not None:
                offered += 1
                await self._deliver(offer)
        return offered

    async def _deliver(self, offer: Offer) -> None:
        delivered = False
        try:
            delivered = await self.delivery.deliver(offer.call, offer.extension, offer.step.name)
        finally:
            if not delivered:
                log.warning(
                    "call=%s agent=%s the caller is gone; offer withdrawn",
                    offer.call.call_id,
                    offer.extension,
                )
                await self.live.remove_call(offer.call.call_id)
                await self.handle(offer.extension, sm.Withdraw(offer.call.call_id))

    def _end_wrapup_at(self, effect: sm.ScheduleWrapUpEnd) -> None:
        """End the wrap-up on time (the tick is the safety net, e.g. for another controller's
        agents if this one dies)."""

        async def later() -> None:
            await asyncio.sleep(max(0.0, effect.at - self.clock()))
            try:
                await self.handle(effect.extension, sm.WrapUpEnded(effect.call_id))
            except Exception:
                log.exception("agent=%s wrap-up end failed", effect.extension)

        task = asyncio.create_task(later(), name=f"wrapup-{effect.extension}")
        self._timers.add(task)
        task.add_done_callback(self._timers.discard)

    async def close(self) -> None:
        """Cancel the wrap-ups still waiting to end (their agents' states stay in Redis: the
        next controller's tick ends them)."""
        timers = list(self._timers)
        for task in timers:
            task.cancel()
        await asyncio.gather(*timers, return_exceptions=True)

    # ---- agent transitions ---------------------------------------------------------------
    async def handle(self, extension: str, event: sm.AgentEvent) -> sm.Transition:
        """Apply one agent event (CAS in Redis), log it, and offer a call if they are ready."""
        now = self.clock()
        result = await self.live.handle(extension, event, now)
        if not result.changed:
            return result
        await self._applied(extension, result, now)
        if result.status.state is AgentState.READY:
            await self.offer_waiting(extension)
        return result

    async def _applied(self, extension: str, result: sm.Transition, now: float) -> None:
        """A transition stored in Redis: mirrored, its commands run, journalled."""
        self.note_status(result.status)
        for effect in result.effects:
            if isinstance(effect, sm.LogTransition):
                log.info("%s", effect.line())
            elif isinstance(effect, sm.ScheduleWrapUpEnd):
                self._end_wrapup_at(effect)
        await self.journal.record(extension, result, now)
