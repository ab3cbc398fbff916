"""Rebuilding the ACD's live state when Redis lost it (restarted empty, or failed over to a
replica without it): the CRM's last known agent states, corrected by what Asterisk still has.
Pure: channel rows and statuses in, statuses and calls out.

- An agent whose phone Asterisk still has (talking, or ringing for a call) is on that call, not
  in wrap-up: the call's hang-up puts them in wrap-up like any other. A paused agent found on a
  call keeps the reason as pending (applied when the call ends); a logged-out one stays out.
- A caller parked in the waiting context goes back in line as the ACD admitted them: the token
  set on their channel at enqueue keeps the original enqueue time and what ranks the call
  (skills, language, VIP, account manager), so nobody loses their place.
"""

from __future__ import annotations

from collections.abc import Container, Iterable
from dataclasses import replace

from acd.core.channels import call_of, endpoint_of
from acd.core.model import AgentState, AgentStatus, WaitingCall
from wire import names
from wire.replies import ChannelRow


def agent_calls(rows: Iterable[ChannelRow], agents: Container[str]) -> dict[str, str]:
    """The ACD call of every agent Asterisk has a channel of, by extension (a bridged channel
    wins over one that only rings)."""
    found: dict[str, str] = {}
    for row in sorted(rows, key=lambda r: r.bridged):
        extension = endpoint_of(row.channel)
        if extension and extension in agents:
            found[extension] = call_of(row.linkedid)
    return found


# A waiting caller is in the waiting context, or in the FastAGI failover helper while an
# announcement or a callback request runs; only a channel holding its call's token (read after,
# ``recovered_call``) goes back in line, so an IVR caller in the helper is left alone.
_WAITING_CONTEXTS = frozenset({names.CTX_ACD_WAIT, names.CTX_AGI_FAILOVER})


def waiting_rows(rows: Iterable[ChannelRow]) -> list[ChannelRow]:
    """The callers parked in the waiting context (music on hold, announcements)."""
    return [row for row in rows if row.context in _WAITING_CONTEXTS and row.linkedid]


def rebuilt_status(restored: AgentStatus, call_id: str, now: float) -> AgentStatus:
    """``restored`` (the CRM's last known state) unless Asterisk has the agent on ``call_id``
    ("" when on none): then on that call since ``now``."""
    if not call_id or restored.state is AgentState.LOGGED_OUT:
        return restored
    paused = restored.state is AgentState.PAUSED
    return AgentStatus(
        restored.extension,
        AgentState.ON_CALL,
        since=now,
        idle_since=now,
        call_id=call_id,
        version=max(1, restored.version),
        pending_reason=restored.reason if paused else restored.pending_reason,
    )


def recovered_call(call: WaitingCall | None, row: ChannelRow) -> WaitingCall | None:
    """The call read from a waiting channel's token, back in line on that channel, waiting for
    anyone; None without a token or with another call's (a variable copied to a new call)."""
    if call is None or call.call_id != call_of(row.linkedid):
        return None
    return replace(call, channel=row.channel, reserved_by="", callback=False)
