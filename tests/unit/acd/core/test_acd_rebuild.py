"""Rebuilding the ACD's live state after Redis lost it (issue 12, finding 1): which agents
Asterisk still has on a call, which callers wait in line, what each comes back as; and the
dispatcher's mirror forgetting the old Redis's versions."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import redis.asyncio as aioredis

from acd.core.model import AgentProfile, AgentState, AgentStatus, WaitingCall
from acd.core.rebuild import agent_calls, rebuilt_status, recovered_call, waiting_rows
from acd.core.routing import RoutingPolicy
from acd.crm import restored_status
from acd.dispatcher import Dispatcher
from acd.live.codec import call_from_token, call_to_token
from acd.live.live_state import LiveState
from crm_bridge.agent_state_repository import Presence
from wire import names
from wire.replies import ChannelRow

pytestmark = pytest.mark.unit

NOW = 1_764_000_100.0
AGENTS = frozenset({"8001", "8002", "8003"})
ROWS = (
    ChannelRow("PJSIP/carrier-00000001", "1.1", "1.1", "Up", "acd-deliver", bridge_id="b1"),
    ChannelRow("PJSIP/8001-00000002", "1.2", "1.1", "Up", "agents", bridge_id="b1"),
    ChannelRow("PJSIP/carrier-00000003", "2.1", "2.1", "Up", names.CTX_ACD_WAIT),
    ChannelRow("Local/s@acd-callback-ring-00000004;1", "3.1-cb", "3.1-cb", "Up", "x"),
    ChannelRow("PJSIP/8002-00000005", "3.2", "3.1-cb", "Ringing", "agents"),
    ChannelRow("PJSIP/9001-00000006", "4.1", "4.1", "Up", "supervisors"),  # not an agent
)


def _call(**more: object) -> WaitingCall:
    fields: dict[str, object] = {
        "call_id": "2.1",
        "channel": "PJSIP/carrier-00000003",
        "caller_number": "13800138000",
        "skills": ("claims", "motor"),
        "language": "zh",
        "vip": True,
        "enqueued_at": 1_764_000_000.25,
        "account_manager": "8003",
        "excluded": frozenset({"8002"}),
        "customer_name": '王芳, "VIP"',
        "queue": "claims",
        **more,
    }
    return WaitingCall(**fields)  # type: ignore[arg-type]


def _presence(extension: str, state: str, reason: str = "") -> AgentStatus:
    since = datetime.fromtimestamp(NOW - 60, UTC)
    return restored_status(Presence(extension, state, reason, since), NOW)


def test_an_agent_asterisk_has_on_a_call_is_found_with_that_call() -> None:
    # a callback's linkedid names the call it returns; a supervisor is nobody's agent
    assert agent_calls(ROWS, AGENTS) == {"8001": "1.1", "8002": "3.1"}


def test_a_bridged_channel_names_the_call_over_one_that_only_rings() -> None:
    rows = (
        ChannelRow("PJSIP/8001-0000000a", "5.2", "5.1", "Up", "agents", bridge_id="b"),
        ChannelRow("PJSIP/8001-0000000b", "6.2", "6.1", "Ringing", "agents"),
    )
    assert agent_calls(rows, AGENTS) == {"8001": "5.1"}


def test_the_callers_in_the_waiting_context_are_the_line() -> None:
    assert [row.linkedid for row in waiting_rows(ROWS)] == ["2.1"]


def test_a_caller_hearing_an_announcement_is_in_the_line_too() -> None:
    """The announcement runs through the FastAGI failover helper: a rebuild at that moment
    once left the caller out of the line (in music on hold until the next announcement)."""
    announcing = ChannelRow("PJSIP/carrier-00000009", "7.1", "7.1", "Up", names.CTX_AGI_FAILOVER)
    assert [row.linkedid for row in waiting_rows((*ROWS, announcing))] == ["2.1", "7.1"]


def test_an_agent_talking_is_on_call_not_in_wrap_up() -> None:
    # the CRM's last word was on-call: without Asterisk's channels that meant wrap-up (and,
    # once it ended, ready while still talking)
    assert _presence("8001", "on-call").state is AgentState.WRAP_UP
    status = rebuilt_status(_presence("8001", "on-call"), "1.1", NOW)
    assert (status.state, status.call_id, status.since) == (AgentState.ON_CALL, "1.1", NOW)
    assert status.version == 1


def test_an_agent_whose_call_ended_meanwhile_is_in_wrap_up_from_now() -> None:
    status = rebuilt_status(_presence("8001", "on-call"), "", NOW)
    assert (status.state, status.since) == (AgentState.WRAP_UP, NOW)


def test_a_pause_survives_with_its_reason() -> None:
    status = rebuilt_status(_presence("8002", "paused", "lunch"), "", NOW)
    assert (status.state, status.reason, status.since) == (AgentState.PAUSED, "lunch", NOW - 60)


def test_a_paused_agent_on_a_call_keeps_the_pause_for_after_it() -> None:
    status = rebuilt_status(_presence("8002", "paused", "lunch"), "7.1", NOW)
    assert (status.state, status.pending_reason) == (AgentState.ON_CALL, "lunch")


def test_a_logged_out_agent_on_a_private_call_stays_logged_out() -> None:
    status = rebuilt_status(_presence("8003", "logged-out"), "7.1", NOW)
    assert status.state is AgentState.LOGGED_OUT


def test_the_token_keeps_the_call_as_admitted() -> None:
    call = _call(reserved_by="8001")
    token = call_to_token(call)
    assert token.isascii() and not set(token) & set(',"\\|()$=\n')  # nothing to quote in AGI
    assert call_from_token(token) == _call()  # waiting: the reservation is not kept


@pytest.mark.parametrize("token", ["", "not base64!", "bm90IGpzb24", "WzEsMl0", "e30"])
def test_a_token_that_is_not_a_call_reads_as_none(token: str) -> None:
    assert call_from_token(token) is None


def test_a_waiting_channel_goes_back_in_line_with_its_place_and_priority() -> None:
    row = waiting_rows(ROWS)[0]
    call = recovered_call(call_from_token(call_to_token(_call(channel="old"))), row)
    assert call == _call()  # original enqueue time, VIP, account manager, exclusions
    assert recovered_call(None, row) is None
    assert recovered_call(_call(call_id="9.9"), row) is None  # another call's token


PROFILE = AgentProfile("8003", "张磊", {"claims": 3}, frozenset({"zh"}), "c", 0)


def _dispatcher() -> Dispatcher:
    live = LiveState(aioredis.Redis(), "unit")  # never asked: no I/O in these tests
    return Dispatcher(live, RoutingPolicy(), None, None, lease_seconds=15)  # type: ignore[arg-type]


def test_the_mirror_reset_takes_a_new_redis_s_versions() -> None:
    dispatcher = _dispatcher()
    dispatcher.index.put_profile(PROFILE)
    dispatcher.note_status(AgentStatus("8003", AgentState.PAUSED, reason="break", version=7))
    dispatcher.index.add_call(_call())
    ready = AgentStatus("8003", AgentState.READY, idle_since=NOW, version=2)

    dispatcher.note_status(ready)  # a late change of the same Redis: older, ignored
    assert dispatcher.statuses["8003"].version == 7 and "8003" not in dispatcher.index.ready

    dispatcher.reset()
    assert dispatcher.statuses == {} and dict(dispatcher.index.calls) == {}
    assert "8003" in dispatcher.index.profiles  # profiles stay
    dispatcher.note_status(ready)
    assert dispatcher.statuses["8003"] == ready and dispatcher.index.ready == {"8003": NOW}
