"""One dunning attempt as a state machine: Asterisk's reports in, one disposition out."""

from __future__ import annotations

import random
from collections.abc import Sequence

import pytest

from acd.dunning.core.attempts import (
    AgentCallEnded,
    AgentConnected,
    AgentDialEnded,
    AmdVerdict,
    Answered,
    AttemptEvent,
    AttemptState,
    AwaitAgentDisposition,
    Command,
    Finish,
    FinishFromCdr,
    FinishFromFlow,
    HungUp,
    Live,
    OriginateFailed,
    ReleaseAgent,
    StampAnswer,
    Why,
    apply,
    from_cdr,
    from_flow,
    line,
)
from acd.dunning.core.model import CLOSING, RetryPolicy
from crm_bridge.vocab import CampaignMode, Disposition

pytestmark = pytest.mark.unit

AGENTLESS = Live("dun:1:1", CampaignMode.AGENTLESS)
PROGRESSIVE = Live("dun:1:1", CampaignMode.PROGRESSIVE, agent="8001")


def run(live: Live, events: Sequence[AttemptEvent]) -> tuple[Live, list[Command]]:
    commands: list[Command] = []
    for event in events:
        step = apply(live, event)
        live = step.live
        commands.extend(step.commands)
    return live, commands


def finishes(commands: Sequence[Command]) -> list[Disposition]:
    return [c.disposition for c in commands if isinstance(c, Finish)]


def test_an_originate_busy_ends_busy_the_hang_up_after_it_changes_nothing() -> None:
    live, commands = run(AGENTLESS, [OriginateFailed(5), HungUp(17)])
    assert live.state is AttemptState.ENDED
    assert finishes(commands) == [Disposition.BUSY]


@pytest.mark.parametrize("reason", [3, 0, 1, 8])
def test_any_other_unanswered_originate_waits_for_the_cdr_its_reason_the_fallback(
    reason: int,
) -> None:
    live, commands = run(AGENTLESS, [OriginateFailed(reason), HungUp(19)])
    assert live.state is AttemptState.ENDED
    (read,) = [c for c in commands if isinstance(c, FinishFromCdr)]
    expected = Disposition.NO_ANSWER if reason == 3 else Disposition.FAILED
    assert read.fallback.disposition is expected
    assert finishes(commands) == []  # the hang-up after it changes nothing


@pytest.mark.parametrize(
    ("cause", "disposition"),
    [
        (17, Disposition.BUSY),
        (19, Disposition.NO_ANSWER),
        (21, Disposition.REFUSED),
        (34, Disposition.FAILED),
    ],
)
def test_a_hang_up_before_the_answer_ends_by_its_cause(
    cause: int, disposition: Disposition
) -> None:
    assert finishes(run(AGENTLESS, [HungUp(cause)])[1]) == [disposition]


def test_a_machine_is_a_machine_and_frees_the_reserved_agent_at_once() -> None:
    live, commands = run(
        PROGRESSIVE, [Answered(), AmdVerdict("MACHINE", "LONGGREETING-1600-1500"), HungUp(16)]
    )
    assert live.state is AttemptState.ENDED
    assert commands[0] == StampAnswer()
    assert ReleaseAgent("8001") in commands
    assert commands[-1] == Finish(
        Disposition.MACHINE, "AMD MACHINE (LONGGREETING-1600-1500)", Why.MACHINE
    )


def test_agentless_person_keeps_the_flows_outcome_else_refused() -> None:
    _live, commands = run(AGENTLESS, [Answered(), AmdVerdict("HUMAN", "HUMAN-1-1"), HungUp(16)])
    assert StampAnswer(amd_status="HUMAN") in commands
    (last,) = [c for c in commands if isinstance(c, FinishFromFlow)]
    assert last.fallback.disposition is Disposition.REFUSED
    assert "hung up in the payment flow" in last.fallback.reason


def test_notsure_counts_as_a_person() -> None:
    live, _ = run(AGENTLESS, [Answered(), AmdVerdict("NOTSURE", "TOOLONG-5000")])
    assert live.state is AttemptState.HUMAN


def test_progressive_person_connected_to_the_agent_waits_for_their_disposition() -> None:
    _live, commands = run(
        PROGRESSIVE,
        [Answered(), AmdVerdict("HUMAN"), AgentDialEnded("8001", "ANSWER"), HungUp(16)],
    )
    assert AgentConnected("8001") in commands and StampAnswer(agent="8001") in commands
    assert AgentCallEnded("8001") in commands
    (wait,) = [c for c in commands if isinstance(c, AwaitAgentDisposition)]
    assert wait.fallback == Finish(
        Disposition.REFUSED,
        "no disposition from agent 8001",
        Why.NO_AGENT_DISPOSITION,
        {"agent": "8001"},
    )
    assert ReleaseAgent("8001") not in commands


def test_progressive_person_without_the_agent_in_time_is_abandoned() -> None:
    _live, commands = run(
        PROGRESSIVE,
        [Answered(), AmdVerdict("HUMAN"), AgentDialEnded("8001", "NOANSWER"), HungUp(16)],
    )
    assert finishes(commands) == [Disposition.ABANDONED]
    assert ReleaseAgent("8001") in commands


def test_stale_and_repeated_events_change_nothing() -> None:
    live, _ = run(AGENTLESS, [Answered(), AmdVerdict("HUMAN")])
    for event in (
        Answered(),
        OriginateFailed(5),
        AmdVerdict("MACHINE"),
        AgentDialEnded("9", "ANSWER"),
    ):
        assert not apply(live, event).changed
    ended, _ = run(live, [HungUp(16)])
    assert not apply(ended, HungUp(16)).changed


def test_a_transition_has_one_log_line() -> None:
    step = apply(PROGRESSIVE, Answered())
    assert line(PROGRESSIVE, step.live) == "attempt=dun:1:1 agent=8001 dialling -> answered"


@pytest.mark.parametrize(
    ("intent", "promised", "wrong", "disposition"),
    [
        (None, True, False, Disposition.PROMISED),
        ("pay", False, False, Disposition.PAID),
        ("dispute", False, False, Disposition.DISPUTED),
        ("person", False, False, Disposition.REFUSED),
        (None, False, False, Disposition.REFUSED),
        (None, False, True, Disposition.WRONG_NUMBER),
    ],
)
def test_the_payment_flow_gives_the_disposition(
    intent: str | None, promised: bool, wrong: bool, disposition: Disposition
) -> None:
    assert from_flow(intent, promised, wrong).disposition is disposition


@pytest.mark.parametrize(
    ("cdr", "amd", "mode", "promised", "agent", "disposition"),
    [
        ("BUSY", None, CampaignMode.AGENTLESS, False, None, Disposition.BUSY),
        ("NO ANSWER", None, CampaignMode.AGENTLESS, False, None, Disposition.NO_ANSWER),
        ("FAILED", None, CampaignMode.AGENTLESS, False, None, Disposition.FAILED),
        ("ANSWERED", "MACHINE", CampaignMode.AGENTLESS, False, None, Disposition.MACHINE),
        ("ANSWERED", None, CampaignMode.AGENTLESS, False, None, Disposition.NO_ANSWER),
        ("ANSWERED", "HUMAN", CampaignMode.AGENTLESS, True, None, Disposition.PROMISED),
        ("ANSWERED", "HUMAN", CampaignMode.AGENTLESS, False, None, Disposition.REFUSED),
        ("ANSWERED", "HUMAN", CampaignMode.PROGRESSIVE, False, None, Disposition.ABANDONED),
        ("ANSWERED", "NOTSURE", CampaignMode.PROGRESSIVE, False, "8001", Disposition.REFUSED),
    ],
)
def test_a_call_nobody_watched_is_resolved_from_its_cdr(
    cdr: str,
    amd: str | None,
    mode: CampaignMode,
    promised: bool,
    agent: str | None,
    disposition: Disposition,
) -> None:
    finish = from_cdr(cdr, amd, mode, promised=promised, connected_agent=agent)
    assert finish.disposition is disposition
    assert "from the CDR" in finish.reason


@pytest.mark.parametrize(
    ("path", "disposition"),
    [
        ("dunning:machine", Disposition.MACHINE),
        ("dunning>dunning:confirm:9", Disposition.REFUSED),
        ("dunning:abandoned", Disposition.ABANDONED),
        ("dunning", Disposition.NO_ANSWER),
        ("dunning>dunning:confirm:1>dunning:flow-failed", Disposition.FAILED),
    ],
)
def test_a_missed_verdict_is_read_from_the_cdr_path(path: str, disposition: Disposition) -> None:
    finish = from_cdr(
        "ANSWERED",
        None,
        CampaignMode.PROGRESSIVE if "aband" in path else CampaignMode.AGENTLESS,
        promised=False,
        connected_agent=None,
        ivr_path=path,
    )
    assert finish.disposition is disposition


def test_unclear_ends_are_read_from_the_cdr() -> None:
    _, commands = run(AGENTLESS, [OriginateFailed(0)])
    assert [type(c) for c in commands] == [FinishFromCdr]
    _, commands = run(AGENTLESS, [Answered(), HungUp(16)])
    (read,) = [c for c in commands if isinstance(c, FinishFromCdr)]
    assert read.fallback.disposition is Disposition.NO_ANSWER


# ---- SIP 603 Decline (issue 12: classified by a race as no_answer or failed) -------------
# chan_pjsip reports a 603 as hang-up cause 21 (call rejected); the originate reason is the
# last control frame: 3 (ringing) when the phone rang first, 1 (hang-up) or 0 when it did not,
# 8 (congestion) on some trunks. Asterisk's CDR disposition for it varies as much.
DECLINE_REASONS = (0, 1, 3, 8)
DECLINE_CDR_DISPOSITIONS = ("NO ANSWER", "FAILED", "BUSY", "CONGESTION")


def _declined(order: Sequence[AttemptEvent], cdr_disposition: str) -> Disposition:
    """The one disposition an attempt gets: a Finish, or what its CDR then says."""
    _, commands = run(AGENTLESS, order)
    (finish,) = [c for c in commands if isinstance(c, Finish | FinishFromCdr)]
    if isinstance(finish, Finish):
        return finish.disposition
    from_record = from_cdr(
        cdr_disposition,
        None,
        CampaignMode.AGENTLESS,
        promised=False,
        connected_agent=None,
        hangup_cause=21,
    )
    return from_record.disposition


def test_a_603_decline_is_refused_whatever_comes_first_20_runs_alike() -> None:
    rng = random.Random(603)
    seen = set()
    for _ in range(20):
        events: list[AttemptEvent] = [OriginateFailed(rng.choice(DECLINE_REASONS)), HungUp(21)]
        rng.shuffle(events)
        seen.add(_declined(events, rng.choice(DECLINE_CDR_DISPOSITIONS)))
    assert seen == {Disposition.REFUSED}


@pytest.mark.parametrize("reason", DECLINE_REASONS)
@pytest.mark.parametrize("cdr_disposition", DECLINE_CDR_DISPOSITIONS)
@pytest.mark.parametrize("hang_up_first", [True, False])
def test_every_order_of_a_603s_events_is_refused(
    reason: int, cdr_disposition: str, hang_up_first: bool
) -> None:
    events: list[AttemptEvent] = [OriginateFailed(reason), HungUp(21)]
    order = events[::-1] if hang_up_first else events
    assert _declined(order, cdr_disposition) is Disposition.REFUSED


def test_a_refusal_by_decline_closes_the_policy_like_any_refusal() -> None:
    finish = from_cdr(
        "NO ANSWER",
        None,
        CampaignMode.PROGRESSIVE,
        promised=False,
        connected_agent=None,
        hangup_cause=21,
    )
    assert finish.disposition is Disposition.REFUSED and "603" in finish.reason
    assert RetryPolicy().rule_for(finish.disposition) is None and finish.disposition in CLOSING
    busy = from_cdr(
        "NO ANSWER",
        None,
        CampaignMode.AGENTLESS,
        promised=False,
        connected_agent=None,
        hangup_cause=17,
    )
    assert busy.disposition is Disposition.BUSY  # the cause wins over the disposition
