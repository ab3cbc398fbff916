"""The agent statuses and events the state machine's tests share (literals)."""

from __future__ import annotations

from acd.core.agent_states import (
    Answered,
    CallEnded,
    LeaseExpired,
    Login,
    Logout,
    NoAnswer,
    Offer,
    Pause,
    ReserveOutbound,
    Unpause,
    Withdraw,
    WrapUpEnded,
    transition,
)
from acd.core.model import AgentState, AgentStatus

NOW = 300.0
WRAP = 30

OUT = AgentStatus("8001", AgentState.LOGGED_OUT, since=10.0, idle_since=5.0, version=7)
READY = AgentStatus("8001", AgentState.READY, since=100.0, idle_since=100.0, version=1)
RESERVED = AgentStatus(
    "8001",
    AgentState.RESERVED,
    since=110.0,
    idle_since=100.0,
    call_id="c1",
    lease_until=125.0,
    version=2,
)
ON_CALL = AgentStatus(
    "8001", AgentState.ON_CALL, since=112.0, idle_since=100.0, call_id="c1", version=3
)
WRAP_UP = AgentStatus(
    "8001", AgentState.WRAP_UP, since=200.0, idle_since=100.0, call_id="c1", version=4
)
PAUSED = AgentStatus(
    "8001", AgentState.PAUSED, since=90.0, idle_since=50.0, reason="lunch", version=5
)
RESERVED_PENDING = AgentStatus(
    "8001",
    AgentState.RESERVED,
    since=110.0,
    idle_since=100.0,
    call_id="c1",
    lease_until=125.0,
    version=2,
    pending_reason="break",
)
ON_CALL_PENDING = AgentStatus(
    "8001",
    AgentState.ON_CALL,
    since=112.0,
    idle_since=100.0,
    call_id="c1",
    version=3,
    pending_reason="break",
)
WRAP_UP_PENDING = AgentStatus(
    "8001",
    AgentState.WRAP_UP,
    since=200.0,
    idle_since=100.0,
    call_id="c1",
    version=4,
    pending_reason="break",
)

DUNNING = ReserveOutbound("d1-ag", 320.0, "dunning")  # a call the ACD places itself

STATES = [
    OUT,
    READY,
    RESERVED,
    ON_CALL,
    WRAP_UP,
    PAUSED,
    RESERVED_PENDING,
    ON_CALL_PENDING,
    WRAP_UP_PENDING,
]
EVENTS = [
    Login(),
    Logout(),
    Pause("break"),
    Pause("lunch"),
    Unpause(),
    Offer("c2", 320.0),
    DUNNING,
    Answered("c1"),
    NoAnswer("c1"),
    CallEnded("c1"),
    WrapUpEnded(),
    WrapUpEnded("c1"),
    LeaseExpired("c1"),
    Withdraw("c1"),
]


def step(status: AgentStatus, event: object, wrapup: int = WRAP) -> AgentStatus:
    return transition(status, event, NOW, wrapup).status  # type: ignore[arg-type]
