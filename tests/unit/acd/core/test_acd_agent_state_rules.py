"""The agent state machine's rules: refused and ignored events, idempotence, versions, the effects
of each transition and a whole shift."""

from __future__ import annotations

import pytest

from acd.core.agent_states import (
    AgentBusyError,
    AgentNotLoggedInError,
    AgentStateError,
    Answered,
    CallEnded,
    InvalidTransitionError,
    LeaseExpired,
    Login,
    Logout,
    LogTransition,
    NoAnswer,
    Offer,
    Pause,
    PauseForNoAnswer,
    RequeueCall,
    ScheduleWrapUpEnd,
    Transition,
    Unpause,
    Withdraw,
    WrapUpEnded,
    transition,
)
from acd.core.model import AgentState, AgentStatus
from tests.unit.acd.core.agent_state_fixtures import (
    DUNNING,
    EVENTS,
    NOW,
    ON_CALL,
    ON_CALL_PENDING,
    OUT,
    PAUSED,
    READY,
    RESERVED,
    RESERVED_PENDING,
    STATES,
    WRAP,
    WRAP_UP,
    WRAP_UP_PENDING,
)
from tests.unit.acd.core.test_acd_agent_states import CHANGES

pytestmark = pytest.mark.unit

ERRORS = [
    (OUT, Pause("break"), AgentNotLoggedInError, "agent-not-logged-in"),
    (OUT, Unpause(), AgentNotLoggedInError, "agent-not-logged-in"),
    (OUT, Offer("c2", 320.0), AgentNotLoggedInError, "agent-not-logged-in"),
    (RESERVED, Logout(), AgentBusyError, "agent-busy"),
    (ON_CALL, Logout(), AgentBusyError, "agent-busy"),
    (RESERVED, Offer("c2", 320.0), AgentBusyError, "agent-busy"),
    (ON_CALL, Offer("c2", 320.0), AgentBusyError, "agent-busy"),
    (WRAP_UP, Offer("c2", 320.0), AgentBusyError, "agent-busy"),
    (PAUSED, Offer("c2", 320.0), InvalidTransitionError, "invalid-transition"),
    (READY, Pause(""), InvalidTransitionError, "invalid-transition"),
    (ON_CALL, Pause(""), InvalidTransitionError, "invalid-transition"),
    (OUT, Pause("lunch"), AgentNotLoggedInError, "agent-not-logged-in"),
    (RESERVED_PENDING, Logout(), AgentBusyError, "agent-busy"),
    (ON_CALL_PENDING, Logout(), AgentBusyError, "agent-busy"),
    (RESERVED_PENDING, Offer("c2", 320.0), AgentBusyError, "agent-busy"),
    (ON_CALL_PENDING, Offer("c2", 320.0), AgentBusyError, "agent-busy"),
    (WRAP_UP_PENDING, Offer("c2", 320.0), AgentBusyError, "agent-busy"),
    (OUT, DUNNING, AgentNotLoggedInError, "agent-not-logged-in"),
    (RESERVED, DUNNING, AgentBusyError, "agent-busy"),
    (ON_CALL, DUNNING, AgentBusyError, "agent-busy"),
    (WRAP_UP, DUNNING, AgentBusyError, "agent-busy"),
    (PAUSED, DUNNING, InvalidTransitionError, "invalid-transition"),
    (RESERVED_PENDING, DUNNING, AgentBusyError, "agent-busy"),
    (ON_CALL_PENDING, DUNNING, AgentBusyError, "agent-busy"),
    (WRAP_UP_PENDING, DUNNING, AgentBusyError, "agent-busy"),
]


@pytest.mark.parametrize(("start", "event", "error", "code"), ERRORS)
def test_refused_transitions_raise_a_stable_code(
    start: AgentStatus, event: object, error: type[AgentStateError], code: str
) -> None:
    with pytest.raises(error) as raised:
        transition(start, event, NOW, WRAP)  # type: ignore[arg-type]
    assert raised.value.code == code
    assert raised.value.extension == "8001"
    assert str(raised.value).startswith(f"agent=8001 {code}")


IGNORED = [
    # stale or duplicate events leave everything as it is
    (OUT, Logout()),
    (OUT, Answered("c1")),
    (OUT, NoAnswer("c1")),
    (OUT, CallEnded("c1")),
    (OUT, WrapUpEnded()),
    (OUT, LeaseExpired("c1")),
    (OUT, Withdraw("c1")),
    (READY, Login()),
    (READY, Unpause()),
    (READY, Answered("c1")),
    (READY, NoAnswer("c1")),
    (READY, CallEnded("c1")),
    (READY, WrapUpEnded()),
    (READY, LeaseExpired("c1")),
    (RESERVED, Login()),
    (RESERVED, Unpause()),
    (RESERVED, Offer("c1", 999.0)),  # the same offer again
    (RESERVED, Answered("c9")),
    (RESERVED, NoAnswer("c9")),
    (RESERVED, CallEnded("c9")),
    (RESERVED, LeaseExpired("c9")),
    (RESERVED, Withdraw("c9")),
    (RESERVED, WrapUpEnded()),
    (ON_CALL, Answered("c1")),
    (ON_CALL, NoAnswer("c1")),
    (ON_CALL, LeaseExpired("c1")),
    (ON_CALL, Withdraw("c1")),
    (ON_CALL, CallEnded("c9")),
    (ON_CALL, WrapUpEnded()),
    (ON_CALL, Unpause()),
    (WRAP_UP, CallEnded("c1")),  # the hang-up seen twice
    (WRAP_UP, Answered("c1")),
    (WRAP_UP, WrapUpEnded("c9")),  # a timer left over from an earlier wrap-up
    (WRAP_UP, Unpause()),
    (WRAP_UP, Login()),
    (PAUSED, Pause("lunch")),
    (PAUSED, Login()),
    (PAUSED, WrapUpEnded()),
    (PAUSED, CallEnded("c1")),
    (PAUSED, LeaseExpired("c1")),
    (RESERVED_PENDING, Pause("break")),
    (ON_CALL_PENDING, Pause("break")),
    (OUT, WrapUpEnded("c1")),
    (READY, WrapUpEnded("c1")),
    (READY, Withdraw("c1")),
    (RESERVED, WrapUpEnded("c1")),
    (ON_CALL, Login()),
    (ON_CALL, WrapUpEnded("c1")),
    (WRAP_UP, NoAnswer("c1")),
    (WRAP_UP, LeaseExpired("c1")),
    (WRAP_UP, Withdraw("c1")),
    (PAUSED, Answered("c1")),
    (PAUSED, NoAnswer("c1")),
    (PAUSED, WrapUpEnded("c1")),
    (PAUSED, Withdraw("c1")),
    (RESERVED_PENDING, Login()),
    (RESERVED_PENDING, WrapUpEnded()),
    (RESERVED_PENDING, WrapUpEnded("c1")),
    (ON_CALL_PENDING, Login()),
    (ON_CALL_PENDING, Answered("c1")),
    (ON_CALL_PENDING, NoAnswer("c1")),
    (ON_CALL_PENDING, WrapUpEnded()),
    (ON_CALL_PENDING, WrapUpEnded("c1")),
    (ON_CALL_PENDING, LeaseExpired("c1")),
    (ON_CALL_PENDING, Withdraw("c1")),
    (WRAP_UP_PENDING, Login()),
    (WRAP_UP_PENDING, Answered("c1")),
    (WRAP_UP_PENDING, NoAnswer("c1")),
    (WRAP_UP_PENDING, CallEnded("c1")),
    (WRAP_UP_PENDING, LeaseExpired("c1")),
    (WRAP_UP_PENDING, Withdraw("c1")),
]


@pytest.mark.parametrize(("start", "event"), IGNORED)
def test_stale_and_repeated_events_change_nothing(start: AgentStatus, event: object) -> None:
    assert transition(start, event, NOW, WRAP) == Transition(start)  # type: ignore[arg-type]


def test_the_tables_cover_every_state_and_event() -> None:
    covered = [(s, e) for s, e, _ in CHANGES] + [(s, e) for s, e, *_ in ERRORS] + IGNORED
    assert len(covered) == len(set(covered))
    missing = [
        (s.state, s.pending_reason, e) for s in STATES for e in EVENTS if (s, e) not in covered
    ]
    assert missing == []


@pytest.mark.parametrize("start", STATES)
@pytest.mark.parametrize("event", EVENTS)
def test_applying_any_event_twice_changes_nothing_the_second_time(
    start: AgentStatus, event: object
) -> None:
    try:
        first = transition(start, event, NOW, WRAP)  # type: ignore[arg-type]
    except AgentStateError:
        return
    again = transition(first.status, event, NOW, WRAP)  # type: ignore[arg-type]
    assert again == Transition(first.status)


@pytest.mark.parametrize("start", STATES)
@pytest.mark.parametrize("event", EVENTS)
def test_a_change_bumps_the_version_and_since_moves_with_the_state(
    start: AgentStatus, event: object
) -> None:
    try:
        result = transition(start, event, NOW, WRAP)  # type: ignore[arg-type]
    except AgentStateError:
        return
    if not result.changed:
        assert result.status is start
        return
    assert result.status.version == start.version + 1
    moved = result.status.state is not start.state
    assert result.status.since == (NOW if moved else start.since)
    assert isinstance(result.effects[0], LogTransition)


# ---- effects -----------------------------------------------------------------------------


def test_an_offer_logs_the_line() -> None:
    result = transition(READY, Offer("c2", 320.0), NOW, WRAP)
    assert result.effects == (
        LogTransition("8001", AgentState.READY, AgentState.RESERVED, call_id="c2"),
    )
    assert result.effects[0].line() == "call=c2 agent=8001 ready -> reserved"


def test_an_outbound_reservation_logs_what_it_is_for() -> None:
    result = transition(READY, DUNNING, NOW, WRAP)
    assert result.effects == (
        LogTransition(
            "8001", AgentState.READY, AgentState.RESERVED, call_id="d1-ag", reason="dunning"
        ),
    )
    assert result.effects[0].line() == "call=d1-ag agent=8001 ready -> reserved reason=dunning"
    assert result.status.reason == ""  # the agent's state has no reason: only the line
    again = transition(result.status, DUNNING, NOW + 1, WRAP)
    assert again == Transition(result.status)  # the same reservation twice


def test_no_answer_requeues_the_call_excluding_the_agent_and_pauses_it() -> None:
    result = transition(RESERVED_PENDING, NoAnswer("c1"), NOW, WRAP)
    assert result.effects == (
        LogTransition(
            "8001", AgentState.RESERVED, AgentState.PAUSED, call_id="c1", reason="no-answer"
        ),
        RequeueCall("c1", exclude="8001"),
        PauseForNoAnswer("8001", "c1"),
    )
    assert result.effects[0].line() == "call=c1 agent=8001 reserved -> paused reason=no-answer"


def test_the_end_of_a_call_schedules_the_end_of_wrap_up() -> None:
    result = transition(ON_CALL, CallEnded("c1"), NOW, WRAP)
    assert result.effects == (
        LogTransition("8001", AgentState.ON_CALL, AgentState.WRAP_UP, call_id="c1"),
        ScheduleWrapUpEnd("8001", "c1", at=330.0),
    )


def test_no_wrap_up_goes_straight_to_ready() -> None:
    result = transition(ON_CALL, CallEnded("c1"), NOW, 0)
    assert result.status == AgentStatus(
        "8001", AgentState.READY, since=NOW, idle_since=NOW, version=4
    )
    assert result.effects == (
        LogTransition("8001", AgentState.ON_CALL, AgentState.READY, call_id="c1"),
    )


def test_no_wrap_up_with_a_pending_pause_goes_straight_to_paused() -> None:
    result = transition(ON_CALL_PENDING, CallEnded("c1"), NOW, 0)
    assert result.status == AgentStatus(
        "8001", AgentState.PAUSED, since=NOW, idle_since=100.0, reason="break", version=4
    )
    assert result.effects[0].line() == "call=c1 agent=8001 on-call -> paused reason=break"


def test_lease_expiry_and_withdrawal_requeue_without_exclusion() -> None:
    for event in (LeaseExpired("c1"), Withdraw("c1")):
        result = transition(RESERVED, event, NOW, WRAP)
        assert result.effects == (
            LogTransition("8001", AgentState.RESERVED, AgentState.READY, call_id="c1"),
            RequeueCall("c1"),
        )


def test_a_lease_is_not_expired_before_its_time() -> None:
    assert transition(RESERVED, LeaseExpired("c1"), 124.9, WRAP) == Transition(RESERVED)
    assert transition(RESERVED, LeaseExpired("c1"), 125.0, WRAP).changed


def test_a_caller_hanging_up_while_it_rings_requeues_nothing() -> None:
    result = transition(RESERVED, CallEnded("c1"), NOW, WRAP)
    assert result.effects == (
        LogTransition("8001", AgentState.RESERVED, AgentState.READY, call_id="c1"),
    )


def test_a_pause_while_on_call_is_logged_as_pending() -> None:
    result = transition(ON_CALL, Pause("lunch"), NOW, WRAP)
    assert result.effects[0].line() == "call=c1 agent=8001 on-call -> on-call pending=lunch"


def test_a_pause_line_names_the_reason() -> None:
    result = transition(READY, Pause("training"), NOW, WRAP)
    assert result.effects[0].line() == "agent=8001 ready -> paused reason=training"


# ---- a whole shift -----------------------------------------------------------------------


def test_a_shift_with_a_pending_lunch() -> None:
    lines: list[str] = []
    status = AgentStatus("8001")
    shift: list[tuple[float, object]] = [
        (1.0, Login()),
        (2.0, Offer("c1", 17.0)),
        (3.0, Answered("c1")),
        (4.0, Answered("c1")),  # the AMI event twice
        (5.0, Pause("lunch")),
        (60.0, CallEnded("c1")),
        (61.0, CallEnded("c1")),
        (90.0, WrapUpEnded("c1")),
        (95.0, WrapUpEnded("c1")),
        (3600.0, Unpause()),
    ]
    for now, event in shift:
        result = transition(status, event, now, WRAP)  # type: ignore[arg-type]
        status = result.status
        lines += [e.line() for e in result.effects if isinstance(e, LogTransition)]
    assert lines == [
        "agent=8001 logged-out -> ready",
        "call=c1 agent=8001 ready -> reserved",
        "call=c1 agent=8001 reserved -> on-call",
        "call=c1 agent=8001 on-call -> on-call pending=lunch",
        "call=c1 agent=8001 on-call -> wrap-up pending=lunch",
        "call=c1 agent=8001 wrap-up -> paused reason=lunch",
        "agent=8001 paused -> ready",
    ]
    assert status == AgentStatus(
        "8001", AgentState.READY, since=3600.0, idle_since=3600.0, version=7
    )
