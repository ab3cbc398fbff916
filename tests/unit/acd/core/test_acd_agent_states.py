"""The agent state machine, with literals: every state against every event (the transition
table)."""

from __future__ import annotations

import pytest

from acd.core.agent_states import (
    Answered,
    CallEnded,
    LeaseExpired,
    Login,
    Logout,
    NoAnswer,
    Offer,
    Pause,
    Unpause,
    Withdraw,
    WrapUpEnded,
    transition,
)
from acd.core.model import AgentState, AgentStatus
from tests.unit.acd.core.agent_state_fixtures import (
    DUNNING,
    NOW,
    ON_CALL,
    ON_CALL_PENDING,
    OUT,
    PAUSED,
    READY,
    RESERVED,
    RESERVED_PENDING,
    WRAP,
    WRAP_UP,
    WRAP_UP_PENDING,
)

pytestmark = pytest.mark.unit

# ---- what changes ------------------------------------------------------------------------

CHANGES = [
    # logged-out
    (
        OUT,
        Login(),
        AgentStatus("8001", AgentState.READY, since=NOW, idle_since=NOW, version=8),
    ),
    # ready
    (READY, Logout(), AgentStatus("8001", since=NOW, idle_since=100.0, version=2)),
    (
        READY,
        Pause("break"),
        AgentStatus(
            "8001", AgentState.PAUSED, since=NOW, idle_since=100.0, reason="break", version=2
        ),
    ),
    (
        READY,
        Offer("c2", 320.0),
        AgentStatus(
            "8001",
            AgentState.RESERVED,
            since=NOW,
            idle_since=100.0,
            call_id="c2",
            lease_until=320.0,
            version=2,
        ),
    ),
    (
        READY,
        DUNNING,
        AgentStatus(
            "8001",
            AgentState.RESERVED,
            since=NOW,
            idle_since=100.0,
            call_id="d1-ag",
            lease_until=320.0,
            version=2,
        ),
    ),
    # reserved
    (
        RESERVED,
        Answered("c1"),
        AgentStatus(
            "8001", AgentState.ON_CALL, since=NOW, idle_since=100.0, call_id="c1", version=3
        ),
    ),
    (
        RESERVED,
        NoAnswer("c1"),
        AgentStatus(
            "8001", AgentState.PAUSED, since=NOW, idle_since=100.0, reason="no-answer", version=3
        ),
    ),
    (
        RESERVED,
        LeaseExpired("c1"),
        AgentStatus("8001", AgentState.READY, since=NOW, idle_since=100.0, version=3),
    ),
    (
        RESERVED,
        Withdraw("c1"),
        AgentStatus("8001", AgentState.READY, since=NOW, idle_since=100.0, version=3),
    ),
    (
        RESERVED,
        CallEnded("c1"),
        AgentStatus("8001", AgentState.READY, since=NOW, idle_since=100.0, version=3),
    ),
    (
        RESERVED,
        Pause("lunch"),
        AgentStatus(
            "8001",
            AgentState.RESERVED,
            since=110.0,
            idle_since=100.0,
            call_id="c1",
            lease_until=125.0,
            version=3,
            pending_reason="lunch",
        ),
    ),
    # on-call
    (
        ON_CALL,
        CallEnded("c1"),
        AgentStatus(
            "8001", AgentState.WRAP_UP, since=NOW, idle_since=100.0, call_id="c1", version=4
        ),
    ),
    (
        ON_CALL,
        Pause("lunch"),
        AgentStatus(
            "8001",
            AgentState.ON_CALL,
            since=112.0,
            idle_since=100.0,
            call_id="c1",
            version=4,
            pending_reason="lunch",
        ),
    ),
    # wrap-up
    (
        WRAP_UP,
        WrapUpEnded(),
        AgentStatus("8001", AgentState.READY, since=NOW, idle_since=NOW, version=5),
    ),
    (
        WRAP_UP,
        WrapUpEnded("c1"),
        AgentStatus("8001", AgentState.READY, since=NOW, idle_since=NOW, version=5),
    ),
    (
        WRAP_UP,
        Pause("break"),
        AgentStatus(
            "8001", AgentState.PAUSED, since=NOW, idle_since=100.0, reason="break", version=5
        ),
    ),
    (WRAP_UP, Logout(), AgentStatus("8001", since=NOW, idle_since=100.0, version=5)),
    # paused
    (
        PAUSED,
        Unpause(),
        AgentStatus("8001", AgentState.READY, since=NOW, idle_since=NOW, version=6),
    ),
    (
        PAUSED,
        Pause("break"),
        AgentStatus(
            "8001", AgentState.PAUSED, since=90.0, idle_since=50.0, reason="break", version=6
        ),
    ),
    (PAUSED, Logout(), AgentStatus("8001", since=NOW, idle_since=50.0, version=6)),
    # a pending pause
    (
        RESERVED_PENDING,
        Unpause(),
        AgentStatus(
            "8001",
            AgentState.RESERVED,
            since=110.0,
            idle_since=100.0,
            call_id="c1",
            lease_until=125.0,
            version=3,
        ),
    ),
    (
        RESERVED_PENDING,
        Answered("c1"),
        AgentStatus(
            "8001",
            AgentState.ON_CALL,
            since=NOW,
            idle_since=100.0,
            call_id="c1",
            version=3,
            pending_reason="break",
        ),
    ),
    (
        RESERVED_PENDING,
        NoAnswer("c1"),
        AgentStatus(
            "8001", AgentState.PAUSED, since=NOW, idle_since=100.0, reason="no-answer", version=3
        ),
    ),
    (
        RESERVED_PENDING,
        LeaseExpired("c1"),
        AgentStatus(
            "8001", AgentState.PAUSED, since=NOW, idle_since=100.0, reason="break", version=3
        ),
    ),
    (
        RESERVED_PENDING,
        Withdraw("c1"),
        AgentStatus(
            "8001", AgentState.PAUSED, since=NOW, idle_since=100.0, reason="break", version=3
        ),
    ),
    (
        RESERVED_PENDING,
        CallEnded("c1"),
        AgentStatus(
            "8001", AgentState.PAUSED, since=NOW, idle_since=100.0, reason="break", version=3
        ),
    ),
    (
        RESERVED_PENDING,
        Pause("lunch"),
        AgentStatus(
            "8001",
            AgentState.RESERVED,
            since=110.0,
            idle_since=100.0,
            call_id="c1",
            lease_until=125.0,
            version=3,
            pending_reason="lunch",
        ),
    ),
    (
        ON_CALL_PENDING,
        CallEnded("c1"),
        AgentStatus(
            "8001",
            AgentState.WRAP_UP,
            since=NOW,
            idle_since=100.0,
            call_id="c1",
            version=4,
            pending_reason="break",
        ),
    ),
    (
        ON_CALL_PENDING,
        Unpause(),
        AgentStatus(
            "8001", AgentState.ON_CALL, since=112.0, idle_since=100.0, call_id="c1", version=4
        ),
    ),
    (
        WRAP_UP_PENDING,
        WrapUpEnded("c1"),
        AgentStatus(
            "8001", AgentState.PAUSED, since=NOW, idle_since=100.0, reason="break", version=5
        ),
    ),
    (
        WRAP_UP_PENDING,
        Unpause(),
        AgentStatus(
            "8001", AgentState.WRAP_UP, since=200.0, idle_since=100.0, call_id="c1", version=5
        ),
    ),
    (
        WRAP_UP_PENDING,
        Pause("lunch"),
        AgentStatus(
            "8001", AgentState.PAUSED, since=NOW, idle_since=100.0, reason="lunch", version=5
        ),
    ),
    (WRAP_UP_PENDING, Logout(), AgentStatus("8001", since=NOW, idle_since=100.0, version=5)),
    # the rest of the table
    (
        READY,
        Pause("lunch"),
        AgentStatus(
            "8001", AgentState.PAUSED, since=NOW, idle_since=100.0, reason="lunch", version=2
        ),
    ),
    (
        RESERVED,
        Pause("break"),
        AgentStatus(
            "8001",
            AgentState.RESERVED,
            since=110.0,
            idle_since=100.0,
            call_id="c1",
            lease_until=125.0,
            version=3,
            pending_reason="break",
        ),
    ),
    (
        ON_CALL,
        Pause("break"),
        AgentStatus(
            "8001",
            AgentState.ON_CALL,
            since=112.0,
            idle_since=100.0,
            call_id="c1",
            version=4,
            pending_reason="break",
        ),
    ),
    (
        WRAP_UP,
        Pause("lunch"),
        AgentStatus(
            "8001", AgentState.PAUSED, since=NOW, idle_since=100.0, reason="lunch", version=5
        ),
    ),
    (
        ON_CALL_PENDING,
        Pause("lunch"),
        AgentStatus(
            "8001",
            AgentState.ON_CALL,
            since=112.0,
            idle_since=100.0,
            call_id="c1",
            version=4,
            pending_reason="lunch",
        ),
    ),
    (
        WRAP_UP_PENDING,
        Pause("break"),
        AgentStatus(
            "8001", AgentState.PAUSED, since=NOW, idle_since=100.0, reason="break", version=5
        ),
    ),
    (
        WRAP_UP_PENDING,
        WrapUpEnded(),
        AgentStatus(
            "8001", AgentState.PAUSED, since=NOW, idle_since=100.0, reason="break", version=5
        ),
    ),
]


@pytest.mark.parametrize(("start", "event", "expected"), CHANGES)
def test_the_transition_table(start: AgentStatus, event: object, expected: AgentStatus) -> None:
    result = transition(start, event, NOW, WRAP)  # type: ignore[arg-type]
    assert result.status == expected
    assert result.changed
