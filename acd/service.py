"""The ACD's use cases: a caller joins the line (or returns to it after an agent did not answer),
hears their place, asks for a callback; agents log in, pause and come back; Asterisk reports
rings, answers and hang-ups; a periodic tick frees expired leases, ends wrap-up and escalates.
Adapters (FastAGI routes, AMI events, the REST API) call these and nothing else.

It is also the ACD's front door for other features: who the agents are and how they are (a
read view of this controller's mirror), and an agent reserved for a call another feature places
(progressive dunning), then connected, ended or released, by the dispatcher like any other."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Protocol

from acd.core import agent_states as sm
from acd.core.model import PAUSE_DIGITS, AgentProfile, AgentState, AgentStatus, WaitingCall
from acd.core.queue_experience import average_handle_time, estimated_wait
from acd.core.routing import RoutingPolicy, step_in_force, virtual_enqueue_time
from acd.dispatcher import Dispatcher, Offer, Outbound
from acd.live.changes import Changes, LiveChange
from acd.live.queue_stats import QueueStats

log = logging.getLogger(__name__)

RING_FAILED = frozenset({"NOANSWER", "BUSY", "CHANUNAVAIL", "CONGESTION"})


class UnknownAgentError(sm.AgentStateError):
    code = "unknown-agent"


class CallbackBook(Protocol):
    """Where callbacks and abandoned calls are listed (the CRM)."""

    async def add(self, call: WaitingCall, kind: str, at: float) -> None: ...


@dataclass(frozen=True)
class Joined:
    """The answer to a caller joining the line: an agent to ring now, or their place."""

    agent: str  # "" = wait
    step: str
    position: int
    ewt_seconds: float
    offer_callback: bool
    call: WaitingCall


@dataclass(frozen=True)
class Place:
    position: int  # 0: no longer waiting (delivered or gone)
    ewt_seconds: float
    offer_callback: bool


class Acd:
    def __init__(
        self,
        dispatcher: Dispatcher,
        stats: QueueStats,
        callbacks: CallbackBook,
        *,
        clock: Callable[[], float],
    ) -> None:
        self.dispatcher = dispatcher
        self.live = dispatcher.live
        self._index = dispatcher.index  # this controller's mirror
        self.stats = stats
        self.callbacks = callbacks
        self.clock = clock
        self.policy: RoutingPolicy = dispatcher.policy
        self._handle_times: dict[str, list[float]] = {}
        self._talking: dict[str, str] = {}  # call_id -> queue, while an agent talks

    # ---- callers -------------------------------------------------------------------------
    async def join(self, call: WaitingCall, *, rang: str = "", dial_status: str = "") -> Joined:
        """A caller joins the line, or comes back to it after ``rang`` did not answer (their
        place is kept and that agent is never offered the call again)."""
        if rang and dial_status != "ANSWER":
            await self._ring_failed(rang, call.call_id, dial_status)
        return await self._line_up(call, counted=not rang)

    async def rejoin(self, call: WaitingCall) -> Joined:
        """A caller waiting whom the line does not know (Redis lost it) is back in it as first
        admitted (``call``: its enqueue time and priority kept), not offered twice in the
        figures."""
        return await self._line_up(call, counted=False)

    async def _line_up(self, call: WaitingCall, *, counted: bool) -> Joined:
        stored = await self.live.enqueue(call)
        if counted:
            await self.stats.offered(stored.queue)
        if not stored.reserved_by:
            self._index.add_call(stored)
            offer = await self.dispatcher.agent_for(stored)
            if offer is not None:
                return self._joined(offer.extension, offer.call, offer.step.name)
        return self._joined("", stored, step_in_force(stored, self.clock(), self.policy).name)

    def _joined(self, agent: str, call: WaitingCall, step: str) -> Joined:
        place = self.place(call.call_id) if not agent else Place(0, 0.0, False)
        return Joined(agent, step, place.position, place.ewt_seconds, place.offer_callback, call)

    async def _ring_failed(self, extension: str, call_id: str, dial_status: str) -> None:
        if dial_status in RING_FAILED or not dial_status:
            await self.dispatcher.handle(extension, sm.NoAnswer(call_id))
        else:
            await self.dispatcher.handle(extension, sm.Withdraw(call_id))

    def place(self, call_id: str) -> Place:
        """The caller's place in the line and the estimated wait (from this controller's
        mirror, which every controller keeps current)."""
        index = self._index
        call = index.calls.get(call_id)
        if call is None:
            return Place(0, 0.0, False)
        policy = self.policy
        mine = virtual_enqueue_time(call, policy)
        ahead = sum(
            1
            for other in index.calls.values()
            if other.queue == call.queue and virtual_enqueue_time(other, policy) < mine
        )
        needed = set(call.skills)
        serving = sum(
            1
            for ext in self.dispatcher.logged_in
            if ext in index.profiles and needed <= set(index.profiles[ext].skills)
        )
        handle = average_handle_time(self._handle_times.get(call.queue, []))
        step = step_in_force(call, self.clock(), policy)
        return Place(ahead + 1, estimated_wait(ahead + 1, handle, serving), step.offer_callback)

    async def refresh_handle_times(self, queue: str) -> None:
        self._handle_times[queue] = await self.stats.handle_times(queue)

    async def ask_callback(self, call_id: str) -> bool:
        """The waiting caller pressed 1: they hang up, keep their place in the line, and are
        called back when it reaches the head (an agent is reserved first)."""
        call = await self.live.to_callback(call_id)
        if call is None:
            return False
        self._index.add_call(call)
        await self.callbacks.add(call, "requested", self.clock())
        log.info("call=%s queue=%s callback requested", call_id, call.queue)
        return True

    async def caller_left(self, call_id: str) -> None:
        """The caller's channel hung up: if still in line, the call was abandoned."""
        call = await self.live.call(call_id)
        if call is None or call.callback:
            return
        removed = await self.live.remove_call(call_id)
        self._index.remove_call(call_id)
        if removed:
            await self.stats.abandoned(call.queue)
            await self.callbacks.add(call, "abandoned", self.clock())
            waited = self.clock() - call.enqueued_at
            log.info("call=%s queue=%s abandoned after %.0f s", call_id, call.queue, waited)

    # ---- Asterisk's reports --------------------------------------------------------------
    async def agent_dial_ended(self, extension: str, call_id: str, dial_status: str) -> None:
        status = self.dispatcher.statuses.get(extension)
        if status is None or status.call_id != call_id:
            status = await self.live.status(extension)
            if status.call_id != call_id:
                return  # not an ACD offer (a direct call, or an event already applied)
        if dial_status == "ANSWER":
            call = await self.live.call(call_id)
            result = await self.dispatcher.handle(extension, sm.Answered(call_id))
            if result.changed and call is not None:
                self._talking[call_id] = call.queue
                await self.stats.answered(call.queue, self.clock() - call.enqueued_at)
        elif dial_status in RING_FAILED:
            await self.dispatcher.handle(extension, sm.NoAnswer(call_id))
        else:  # CANCEL: the caller hung up while it rang
            await self.dispatcher.handle(extension, sm.Withdraw(call_id))

    async def agent_hung_up(self, extension: str, call_id: str) -> None:
        status = self.dispatcher.statuses.get(extension) or await self.live.status(extension)
        if status.state is not AgentState.ON_CALL or status.call_id != call_id:
            status = await self.live.status(extension)
        if status.state is not AgentState.ON_CALL or status.call_id != call_id:
            return
        talk = self.clock() - status.since
        result = await self.dispatcher.handle(extension, sm.CallEnded(call_id))
        if result.changed:
            profile = self.profile(extension)
            wrapup = profile.wrapup_seconds if profile else 0
            queue = self._talking.pop(call_id, "general")
            await self.stats.handled(queue, talk + wrapup)

    # ---- agents --------------------------------------------------------------------------
    async def login(self, extension: str) -> AgentStatus:
        return (await self._agent(extension, sm.Login())).status

    async def logout(self, extension: str) -> AgentStatus:
        return (await self._agent(extension, sm.Logout())).status

    async def pause(self, extension: str, reason: str) -> AgentStatus:
        return (await self._agent(extension, sm.Pause(reason))).status

    async def unpause(self, extension: str) -> AgentStatus:
        return (await self._agent(extension, sm.Unpause())).status

    async def ready(self, extension: str) -> AgentStatus:
        """End wrap-up early."""
        status = await self.live.status(extension)
        return (await self._agent(extension, sm.WrapUpEnded(status.call_id))).status

    async def feature(self, extension: str, feature: str) -> AgentStatus:
        """A feature code keyed on the softphone: login, logout, pause:<digit>, unpause, ready."""
        name, _, digit = feature.partition(":")
        if name == "pause":
            reason = PAUSE_DIGITS.get(digit)
            if reason is None:
                raise sm.InvalidTransitionError(extension, f"no pause reason {digit!r}")
            return await self.pause(extension, reason.value)
        actions = {
            "login": self.login,
            "logout": self.logout,
            "unpause": self.unpause,
            "ready": self.ready,
        }
        action = actions.get(name)
        if action is None:
            raise sm.InvalidTransitionError(extension, f"no feature {feature!r}")
        return await action(extension)

    async def _agent(self, extension: str, event: sm.AgentEvent) -> sm.Transition:
        if extension not in self._index.profiles:
            raise UnknownAgentError(extension, "no such agent")
        return await self.dispatcher.handle(extension, event)

    async def state(self, extension: str) -> AgentStatus:
        if extension not in self._index.profiles:
            raise UnknownAgentError(extension, "no such agent")
        return await self.live.status(extension)

    async def resync(self, live_endpoints: set[str], live_calls: set[str]) -> None:
        """After (re)connecting to Asterisk: an agent on a call Asterisk no longer has is off
        it, and a caller no longer there has left the line (events missed while away)."""
        for status in await self.live.agents():
            self.dispatcher.note_status(status)
            if status.state is AgentState.ON_CALL and status.extension not in live_endpoints:
                log.warning("agent=%s on a call Asterisk no longer has", status.extension)
                await self.agent_hung_up(status.extension, status.call_id)
        for call in await self.live.waiting_calls():
            if not call.callback and call.call_id not in live_calls:
                await self.caller_left(call.call_id)

    async def forget(self, extension: str) -> None:
        """The agent was deleted from the CRM."""
        await self.live.drop_agent(extension)
        self.dispatcher.statuses.pop(extension, None)
        self._index.drop_profile(extension)

    # ---- the front door: a read view for other features --------------------------------
    def profiles(self) -> Mapping[str, AgentProfile]:
        """Every known agent's profile (this controller's mirror of the CRM's), by extension."""
        return self._index.profiles

    def profile(self, extension: str) -> AgentProfile | None:
        return self._index.profiles.get(extension)

    def is_agent(self, extension: str) -> bool:
        return extension in self._index.profiles

    def statuses(self) -> list[AgentStatus]:
        """Every agent's status as this controller's mirror has it."""
        return list(self.dispatcher.statuses.values())

    def ready_with(self, skill: str) -> list[str]:
        """The ready agents with ``skill`` (any level, any language), longest idle first."""
        index = self._index
        found = [
            (idle, ext) for ext, idle in index.ready.items() if skill in index.profiles[ext].skills
        ]
        return [ext for _, ext in sorted(found)]

    async def current_status(self, extension: str) -> AgentStatus:
        """An agent's status as Redis has it now (logged out when never seen)."""
        return await self.live.status(extension)

    async def queued_call(self, call_id: str) -> WaitingCall | None:
        """A call in the line (waiting, or being offered); None once answered or gone."""
        return await self.live.call(call_id)

    async def queued_calls(self) -> list[WaitingCall]:
        return await self.live.queued_calls()

    def subscribe(self) -> AbstractAsyncContextManager[Changes]:
        """Every controller's changes to the live state, from the moment the block is entered."""
        return self.live.subscribe()

    # ---- the front door: agents for calls another feature places -----------------------
    async def reserve_outbound(
        self, call: WaitingCall, lease_seconds: float, purpose: str, languages: Sequence[str] = ()
    ) -> str | None:
        """Reserve the best ready agent for ``call`` (never in line; see
        ``Dispatcher.reserve_outbound``) for ``lease_seconds``; the agent's log line and the
        agent state log say ``purpose``. The agent's extension, or None: nobody ready."""
        outbound = Outbound(lease_seconds, purpose)
        offer = await self.dispatcher.reserve_outbound(call, outbound, languages)
        return None if offer is None else offer.extension

    async def outbound_answered(self, extension: str, call_id: str) -> None:
        """The reserved agent picked up: on-call."""
        await self.dispatcher.handle(extension, sm.Answered(call_id))

    async def outbound_ended(self, extension: str, call_id: str) -> None:
        """The call ended: wrap-up (or ready again, if it ended while the agent's phone rang)."""
        await self.dispatcher.handle(extension, sm.CallEnded(call_id))

    async def release(self, extension: str, call_id: str) -> None:
        """The reservation is not needed after all: the agent is ready again, idle time kept;
        a call placed by the ACD goes (one in line would wait again)."""
        await self.dispatcher.handle(extension, sm.Withdraw(call_id))

    # ---- the mirror ----------------------------------------------------------------------
    async def load(self, profiles: Iterable[AgentProfile]) -> None:
        """The CRM's profiles into Redis and the mirror, and the whole live state read."""
        await self.dispatcher.load(profiles)

    async def put_profile(self, profile: AgentProfile) -> None:
        await self.live.put_profile(profile)
        self._index.put_profile(profile)

    def apply_change(self, change: LiveChange) -> None:
        """One change published by any controller (this one included)."""
        self.dispatcher.apply_change(change)

    # ---- the tick ------------------------------------------------------------------------
    async def tick(self) -> None:
        """Leases a dead controller left, wrap-ups that are over, calls whose escalation
        step now lets a ready agent take them."""
        now = self.clock()
        for released in await self.live.expire_leases(now):
            log.warning(
                "call=%s agent=%s lease expired; back in line", released.call_id, released.extension
            )
            self.dispatcher.note_status(released.status)
            call = await self.live.call(released.call_id)
            if call is not None and not call.reserved_by:
                self._index.add_call(call)
        for status in list(self.dispatcher.statuses.values()):
            if status.state is AgentState.WRAP_UP:
                profile = self.profile(status.extension)
                wrapup = profile.wrapup_seconds if profile else 0
                if now >= status.since + wrapup:
                    await self.dispatcher.handle(status.extension, sm.WrapUpEnded(status.call_id))
        await self.dispatcher.sweep()
        for queue in {c.queue for c in self._index.calls.values()}:
            await self.refresh_handle_times(queue)


__all__ = ["Acd", "Joined", "Offer", "Place", "UnknownAgentError"]
