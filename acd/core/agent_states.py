"""The agent state machine: pure. An event applied to an ``AgentStatus`` gives the next status
and the commands to run (log a line, schedule the end of wrap-up, requeue a call); nothing here
touches Redis or Asterisk. ``acd.live.live_state`` stores the result with compare-and-set.

Rules (``now`` is epoch seconds; every change bumps ``version``; ``since`` moves only when the
state does):

- logged-out: ``Login`` -> ready (idle since now); ``Pause``/``Unpause``/``Offer``/
  ``ReserveOutbound`` raise ``agent-not-logged-in``; call events are stale and ignored.
- ready: ``Offer`` -> reserved for the call until ``lease_until``; ``ReserveOutbound`` too, for a
  call the ACD places itself (a progressive dunning call), its log line giving the ``purpose``.
- reserved: ``Answered`` -> on-call; ``NoAnswer`` -> paused("no-answer"), the call is requeued
  with this agent excluded (the ACD's reason wins over a pending pause, which is dropped);
  ``LeaseExpired`` (once ``now`` reaches the lease) or ``Withdraw`` -> ready with idle_since
  unchanged, the call requeued (the live state drops a call that was never in line, an outbound
  one); ``CallEnded`` (the caller hung up while it rang) -> ready.
- on-call: ``CallEnded`` -> wrap-up, or straight on when wrap-up is 0 s.
- wrap-up: ``WrapUpEnded`` -> ready (idle since now).
- ready / paused / wrap-up: ``Pause(reason)`` -> paused(reason); paused: ``Unpause`` -> ready.
- reserved / on-call: ``Pause`` is remembered in ``pending_reason`` and applied where the agent
  would otherwise become ready (after wrap-up, lease expiry, withdrawal); ``Unpause`` drops it.
- ``Logout`` from any state but reserved / on-call (``agent-busy``).
- ``Offer`` (or ``ReserveOutbound``) to a busy agent (reserved, on-call, wrap-up) raises
  ``agent-busy``, to a paused one ``invalid-transition``; ``Pause`` without a reason is an
  ``invalid-transition``.

An event about another call than the agent's current one, or one that changes nothing (the same
AMI event twice, a second login, unpause while ready), returns the status untouched and no effects.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from acd.core.model import AgentState, AgentStatus, PauseReason

# ---- errors -------------------------------------------------------------------------------


class AgentStateError(Exception):
    """Base class; ``code`` is stable and safe to show to an agent or an API client."""

    code = "agent-state-error"

    def __init__(self, extension: str, detail: str = "") -> None:
        super().__init__(f"agent={extension} {self.code}{': ' + detail if detail else ''}")
        self.extension = extension


class AgentNotLoggedInError(AgentStateError):
    code = "agent-not-logged-in"


class AgentBusyError(AgentStateError):
    code = "agent-busy"


class InvalidTransitionError(AgentStateError):
    code = "invalid-transition"


# ---- events -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Login:
    pass


@dataclass(frozen=True)
class Logout:
    pass


@dataclass(frozen=True)
class Pause:
    reason: str


@dataclass(frozen=True)
class Unpause:
    pass


@dataclass(frozen=True)
class Offer:
    call_id: str
    lease_until: float


@dataclass(frozen=True)
class ReserveOutbound:
    """Reserve a ready agent for a call the ACD places itself (nobody waits in line for it):
    as ``Offer``, and the log line says what for (``purpose``, e.g. "dunning")."""

    call_id: str
    lease_until: float
    purpose: str


@dataclass(frozen=True)
class Answered:
    call_id: str


@dataclass(frozen=True)
class NoAnswer:
    call_id: str


@dataclass(frozen=True)
class CallEnded:
    call_id: str


@dataclass(frozen=True)
class WrapUpEnded:
    call_id: str = ""  # the call wrapped up; "" ends whatever wrap-up is running


@dataclass(frozen=True)
class LeaseExpired:
    call_id: str


@dataclass(frozen=True)
class Withdraw:
    """The controller takes an offer back (it could not ring the agent): no penalty."""

    call_id: str


AgentEvent = (
    Login
    | Logout
    | Pause
    | Unpause
    | Offer
    | ReserveOutbound
    | Answered
    | NoAnswer
    | CallEnded
    | WrapUpEnded
    | LeaseExpired
    | Withdraw
)

# ---- effects (commands for the caller to run) ---------------------------------------------


@dataclass(frozen=True)
class LogTransition:
    extension: str
    old: AgentState
    new: AgentState
    call_id: str = ""
    reason: str = ""
    pending: str = ""

    def line(self) -> str:
        """``call=1700000000.1 agent=8001 ready -> reserved``."""
        parts = [f"call={self.call_id}"] if self.call_id else []
        parts.append(f"agent={self.extension} {self.old} -> {self.new}")
        if self.reason:
            parts.append(f"reason={self.reason}")
        if self.pending:
            parts.append(f"pending={self.pending}")
        return " ".join(parts)


@dataclass(frozen=True)
class ScheduleWrapUpEnd:
    """Apply ``WrapUpEnded(call_id)`` to the agent at ``at``."""

    extension: str
    call_id: str
    at: float


@dataclass(frozen=True)
class RequeueCall:
    """Put the call back at its place in the queue; ``exclude`` must not be offered it again."""

    call_id: str
    exclude: str = ""


@dataclass(frozen=True)
class PauseForNoAnswer:
    """Tell the agent (and supervisors) they were paused for not answering an offer."""

    extension: str
    call_id: str


Effect = LogTransition | ScheduleWrapUpEnd | RequeueCall | PauseForNoAnswer


@dataclass(frozen=True)
class Transition:
    status: AgentStatus
    effects: tuple[Effect, ...] = ()

    @property
    def changed(self) -> bool:
        return bool(self.effects)


# ---- the machine --------------------------------------------------------------------------

BUSY = frozenset({AgentState.RESERVED, AgentState.ON_CALL})
_NO_CALL: dict[str, Any] = {"call_id": "", "lease_until": 0.0, "pending_reason": ""}


def transition(
    status: AgentStatus, event: AgentEvent, now: float, wrapup_seconds: int
) -> Transition:
    """The next status of the agent and the commands to run; raises ``AgentStateError``."""
    if status.state is AgentState.LOGGED_OUT and not isinstance(event, Login | Logout):
        if isinstance(event, Pause | Unpause | Offer | ReserveOutbound):
            raise AgentNotLoggedInError(status.extension)
        return Transition(status)
    return _HANDLERS[type(event)](status, event, now, wrapup_seconds)


def _login(s: AgentStatus, _: Login, now: float, __: int) -> Transition:
    if s.state is not AgentState.LOGGED_OUT:
        return Transition(s)
    return _to(s, now, AgentState.READY, idle_since=now)


def _logout(s: AgentStatus, _: Logout, now: float, __: int) -> Transition:
    if s.state in BUSY:
        raise AgentBusyError(s.extension, f"cannot log out while {s.state}")
    if s.state is AgentState.LOGGED_OUT:
        return Transition(s)
    return _to(s, now, AgentState.LOGGED_OUT, reason="", **_NO_CALL)


def _pause(s: AgentStatus, e: Pause, now: float, _: int) -> Transition:
    if not e.reason:
        raise InvalidTransitionError(s.extension, "a pause needs a reason")
    if s.state in BUSY:
        return _to(s, now, s.state, pending_reason=e.reason)
    return _to(s, now, AgentState.PAUSED, reason=e.reason, **_NO_CALL)


def _unpause(s: AgentStatus, _: Unpause, now: float, __: int) -> Transition:
    if s.state is AgentState.PAUSED:
        return _to(s, now, AgentState.READY, reason="", idle_since=now)
    return _to(s, now, s.state, pending_reason="")


def _offer(s: AgentStatus, e: Offer, now: float, _: int) -> Transition:
    if s.state is AgentState.READY:
        return _to(s, now, AgentState.RESERVED, call_id=e.call_id, lease_until=e.lease_until)
    if s.state is AgentState.RESERVED and s.call_id == e.call_id:
        return Transition(s)
    if s.state is AgentState.PAUSED:
        raise InvalidTransitionError(s.extension, "cannot offer a call to a paused agent")
    raise AgentBusyError(s.extension, f"cannot offer a call while {s.state}")


def _reserve_outbound(s: AgentStatus, e: ReserveOutbound, now: float, _: int) -> Transition:
    offered = _offer(s, Offer(e.call_id, e.lease_until), now, 0)
    logs = (
        replace(effect, reason=e.purpose) if isinstance(effect, LogTransition) else effect
        for effect in offered.effects
    )
    return replace(offered, effects=tuple(logs))


def _answered(s: AgentStatus, e: Answered, now: float, _: int) -> Transition:
    if not _holds(s, AgentState.RESERVED, e.call_id):
        return Transition(s)
    return _to(s, now, AgentState.ON_CALL, lease_until=0.0)


def _no_answer(s: AgentStatus, e: NoAnswer, now: float, _: int) -> Transition:
    if not _holds(s, AgentState.RESERVED, e.call_id):
        return Transition(s)
    paused = _to(
        s,
        now,
        AgentState.PAUSED,
        reason=PauseReason.NO_ANSWER.value,
        call_id="",
        lease_until=0.0,
        pending_reason="",
    )
    return _with(
        paused, RequeueCall(e.call_id, s.extension), PauseForNoAnswer(s.extension, e.call_id)
    )


def _call_ended(s: AgentStatus, e: CallEnded, now: float, wrapup_seconds: int) -> Transition:
    if _holds(s, AgentState.RESERVED, e.call_id):
        return _back_to_work(s, now, idle_since=s.idle_since)
    if not _holds(s, AgentState.ON_CALL, e.call_id):
        return Transition(s)
    if wrapup_seconds <= 0:
        return _back_to_work(s, now, idle_since=now)
    wrapping = _to(s, now, AgentState.WRAP_UP, lease_until=0.0)
    return _with(wrapping, ScheduleWrapUpEnd(s.extension, s.call_id, now + wrapup_seconds))


def _wrapup_ended(s: AgentStatus, e: WrapUpEnded, now: float, _: int) -> Transition:
    if s.state is not AgentState.WRAP_UP or e.call_id not in ("", s.call_id):
        return Transition(s)
    return _back_to_work(s, now, idle_since=now)


def _lease_expired(s: AgentStatus, e: LeaseExpired, now: float, _: int) -> Transition:
    if not _holds(s, AgentState.RESERVED, e.call_id) or now < s.lease_until:
        return Transition(s)
    return _with(_back_to_work(s, now, idle_since=s.idle_since), RequeueCall(e.call_id))


def _withdraw(s: AgentStatus, e: Withdraw, now: float, _: int) -> Transition:
    if not _holds(s, AgentState.RESERVED, e.call_id):
        return Transition(s)
    return _with(_back_to_work(s, now, idle_since=s.idle_since), RequeueCall(e.call_id))


def _back_to_work(s: AgentStatus, now: float, idle_since: float) -> Transition:
    """Where an agent goes when a call or an offer is over: paused if a pause is pending."""
    if s.pending_reason:
        return _to(s, now, AgentState.PAUSED, reason=s.pending_reason, **_NO_CALL)
    return _to(s, now, AgentState.READY, reason="", idle_since=idle_since, **_NO_CALL)


def _holds(s: AgentStatus, state: AgentState, call_id: str) -> bool:
    return s.state is state and s.call_id == call_id


def _to(s: AgentStatus, now: float, state: AgentState, **changes: Any) -> Transition:
    """``s`` moved to ``state`` with ``changes``; no change at all is no transition."""
    moved = replace(s, state=state, **changes)
    if moved == s:
        return Transition(s)
    since = now if state is not s.state else s.since
    moved = replace(moved, since=since, version=s.version + 1)
    log = LogTransition(
        s.extension,
        s.state,
        state,
        call_id=s.call_id or moved.call_id,
        reason=moved.reason if state is AgentState.PAUSED else "",
        pending=moved.pending_reason,
    )
    return Transition(moved, (log,))


def _with(t: Transition, *effects: Effect) -> Transition:
    return replace(t, effects=t.effects + effects)


_Handler = Callable[[AgentStatus, Any, float, int], Transition]
_HANDLERS: dict[type, _Handler] = {
    Login: _login,
    Logout: _logout,
    Pause: _pause,
    Unpause: _unpause,
    Offer: _offer,
    ReserveOutbound: _reserve_outbound,
    Answered: _answered,
    NoAnswer: _no_answer,
    CallEnded: _call_ended,
    WrapUpEnded: _wrapup_ended,
    LeaseExpired: _lease_expired,
    Withdraw: _withdraw,
}
