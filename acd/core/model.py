"""The ACD's plain data: who the agents are, what state each is in, the calls waiting for one,
and a queue's figures of the day. Shared by the pure routing core (acd.core.routing), the agent
state machine (acd.core.agent_states), the wallboard (acd.core.wallboard) and the live state in
Redis (acd.live.live_state, acd.live.queue_stats). No I/O here."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class AgentState(StrEnum):
    LOGGED_OUT = "logged-out"
    READY = "ready"
    RESERVED = "reserved"  # offered a call: the softphone is ringing
    ON_CALL = "on-call"
    WRAP_UP = "wrap-up"  # after-call work
    PAUSED = "paused"


class PauseReason(StrEnum):
    """Digit keyed after *52 on the softphone -> reason. ``NO_ANSWER`` is set by the ACD."""

    BREAK = "break"  # 1
    LUNCH = "lunch"  # 2
    TRAINING = "training"  # 3
    MEETING = "meeting"  # 4
    BACK_OFFICE = "back-office"  # 5
    NO_ANSWER = "no-answer"  # ring-no-answer; never keyed


PAUSE_DIGITS: dict[str, PauseReason] = {
    "1": PauseReason.BREAK,
    "2": PauseReason.LUNCH,
    "3": PauseReason.TRAINING,
    "4": PauseReason.MEETING,
    "5": PauseReason.BACK_OFFICE,
}


@dataclass(frozen=True)
class AgentProfile:
    """What the CRM says about an agent; changes only when the CRM does."""

    extension: str
    name: str
    skills: dict[str, int]  # skill -> level 1..5
    languages: frozenset[str]
    team: str
    wrapup_seconds: int


@dataclass(frozen=True)
class AgentStatus:
    """An agent's live state. ``idle_since`` (epoch seconds) orders agents by longest idle;
    ``version`` grows by one on every change, for compare-and-set in Redis."""

    extension: str
    state: AgentState = AgentState.LOGGED_OUT
    since: float = 0.0
    idle_since: float = 0.0
    reason: str = ""
    call_id: str = ""
    lease_until: float = 0.0  # a reservation the owning controller must confirm before then
    version: int = 0
    pending_reason: str = ""  # a pause asked for while reserved/on-call, applied when it ends


@dataclass(frozen=True)
class WaitingCall:
    """A caller waiting for an agent. ``call_id`` is Asterisk's linkedid."""

    call_id: str
    channel: str
    caller_number: str
    skills: tuple[str, ...]  # the intent's skills; an agent needs every one
    language: str
    vip: bool
    enqueued_at: float  # epoch seconds; a call that returns after ring-no-answer keeps it
    account_manager: str = ""  # the customer's account manager's extension, if any
    excluded: frozenset[str] = field(default_factory=frozenset)  # rang and did not answer
    customer_name: str = ""
    queue: str = ""  # the name shown on wallboards and CDRs, e.g. "sales"
    reserved_by: str = ""  # the extension offered this call right now ("" = waiting)
    callback: bool = False  # the caller hung up to be called back, keeping this place


@dataclass(frozen=True)
class QueueFigures:
    """One queue's figures of the day, as acd.live.queue_stats counts them in Redis."""

    queue: str
    offered: int
    answered: int
    abandoned: int
    within_sl: int
    wait_sum: float

    @property
    def asa(self) -> float:
        """Average speed of answer, seconds."""
        return self.wait_sum / self.answered if self.answered else 0.0

    @property
    def service_level(self) -> float:
        """Share of the calls answered within the threshold, of answered + abandoned."""
        handled = self.answered + self.abandoned
        return self.within_sl / handled if handled else 1.0

    @property
    def abandon_rate(self) -> float:
        handled = self.answered + self.abandoned
        return self.abandoned / handled if handled else 0.0

    def to_dict(self) -> dict[str, object]:
        return {
            "queue": self.queue,
            "offered": self.offered,
            "answered": self.answered,
            "abandoned": self.abandoned,
            "asa_seconds": round(self.asa, 1),
            "service_level": round(self.service_level, 3),
            "abandon_rate": round(self.abandon_rate, 3),
        }
