"""What a wallboard shows, from plain data: per queue today's figures with the line and the
agents who serve it; the calls in line; the agents with their state, time in state and current
call; the calls in progress. Also the console events one published ACD change makes. Pure: the
callers read Redis and hand the results in.

Times are given twice: as seconds (``seconds_in_state``, ``waiting_seconds``) for a client that
only reads, and as epoch seconds (``since``, ``enqueued_at``, ``started``) for a console that
ticks them on screen; :func:`fingerprint` ignores the first kind, so a snapshot counts as changed
only when something but the clock did."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Final, Protocol

from acd.core.model import AgentProfile, AgentState, AgentStatus, QueueFigures, WaitingCall

GENERAL_QUEUE: Final = "general"  # acd.core.requirements.queue_name of a call without skills
BUSY: Final = frozenset({AgentState.RESERVED, AgentState.ON_CALL, AgentState.WRAP_UP})
CLOCK_FIELDS: Final = frozenset(
    {"at", "seconds_in_state", "waiting_seconds", "longest_wait_seconds", "talk_seconds"}
)


class LiveCallFacts(Protocol):
    """A call in progress (crm_bridge.calls.live.LiveCall)."""

    @property
    def linkedid(self) -> str: ...
    @property
    def caller_number(self) -> str: ...
    @property
    def did(self) -> str: ...
    @property
    def started(self) -> datetime: ...


def _seconds(now: float, since: float) -> float:
    return round(max(0.0, now - since), 1)


def agent_view(
    status: AgentStatus, profile: AgentProfile | None, now: float, caller: str = ""
) -> dict[str, Any]:
    """One agent's line: ``call`` is the linkedid they are offered, on or wrapping up."""
    return {
        "extension": status.extension,
        "name": profile.name if profile else "",
        "team": profile.team if profile else "",
        "state": status.state.value,
        "reason": status.reason,
        "call": status.call_id,
        "caller": caller,
        "since": status.since or None,
        "seconds_in_state": _seconds(now, status.since) if status.since else None,
    }


def waiting_view(call: WaitingCall, now: float) -> dict[str, Any]:
    return {
        "call": call.call_id,
        "caller": call.caller_number,
        "name": call.customer_name,
        "queue": call.queue,
        "vip": call.vip,
        "language": call.language,
        "enqueued_at": call.enqueued_at,
        "waiting_seconds": _seconds(now, call.enqueued_at),
        "ringing": call.reserved_by,  # the agent offered it right now ("" = none)
        "callback": call.callback,
    }


def _serves(profile: AgentProfile | None, queue: str) -> bool:
    if profile is None:
        return False
    return queue == GENERAL_QUEUE or queue in profile.skills


def queue_view(
    figures: QueueFigures | None,
    queue: str,
    line: Sequence[WaitingCall],
    agents: Sequence[tuple[AgentStatus, AgentProfile | None]],
    now: float,
) -> dict[str, Any]:
    """Today's figures of one queue, its line now, and its agents by state (logged-out not
    counted). ``line``: the queue's calls, oldest first."""
    base = (figures or QueueFigures(queue, 0, 0, 0, 0, 0.0)).to_dict()
    by_state = Counter(
        status.state.value
        for status, profile in agents
        if status.state is not AgentState.LOGGED_OUT and _serves(profile, queue)
    )
    return {
        **base,
        "waiting": len(line),
        "longest_wait_seconds": _seconds(now, line[0].enqueued_at) if line else 0.0,
        "oldest_enqueued_at": line[0].enqueued_at if line else None,
        "vip_waiting": sum(1 for call in line if call.vip),
        "agents": dict(sorted(by_state.items())),
    }


def wallboard(
    figures: Iterable[QueueFigures],
    queued: Iterable[WaitingCall],
    statuses: Iterable[AgentStatus],
    profiles: Mapping[str, AgentProfile],
    now: float,
) -> dict[str, Any]:
    """The whole board: ``queues`` (every queue with figures today or a caller in line),
    ``waiting`` (oldest first) and ``agents`` (by extension; only agents with a profile)."""
    by_queue = {f.queue: f for f in figures}
    line = sorted(queued, key=lambda c: c.enqueued_at)
    ringing = {c.reserved_by: c for c in line if c.reserved_by}
    agents = [
        (status, profiles.get(status.extension))
        for status in sorted(statuses, key=lambda s: s.extension)
        if status.extension in profiles
    ]
    names = sorted(set(by_queue) | {c.queue for c in line})
    return {
        "at": datetime.fromtimestamp(now, UTC).isoformat(),
        "queues": [
            queue_view(by_queue.get(name), name, [c for c in line if c.queue == name], agents, now)
            for name in names
        ],
        "waiting": [waiting_view(call, now) for call in line],
        "agents": [
            agent_view(status, profile, now, _caller_of(status, ringing))
            for status, profile in agents
        ],
    }


def _caller_of(status: AgentStatus, ringing: Mapping[str, WaitingCall]) -> str:
    call = ringing.get(status.extension)
    return call.caller_number if call is not None and call.call_id == status.call_id else ""


def live_calls_view(
    calls: Iterable[LiveCallFacts],
    statuses: Iterable[AgentStatus],
    profiles: Mapping[str, AgentProfile],
    now: float,
) -> list[dict[str, Any]]:
    """The calls in progress, oldest first, each with the agent on it (if any)."""
    agent_on: dict[str, AgentStatus] = {
        s.call_id: s for s in statuses if s.call_id and s.state in BUSY
    }
    views = []
    for call in sorted(calls, key=lambda c: c.started):
        agent = agent_on.get(call.linkedid)
        profile = profiles.get(agent.extension) if agent else None
        started = call.started.timestamp()
        views.append(
            {
                "linkedid": call.linkedid,
                "caller_number": call.caller_number,
                "did": call.did,
                "started": started,
                "talk_seconds": _seconds(now, started),
                "agent": agent.extension if agent else "",
                "agent_name": profile.name if profile else "",
                "agent_state": agent.state.value if agent else "",
            }
        )
    return views


def fingerprint(snapshot: Mapping[str, Any]) -> str:
    """The snapshot without the fields that only move with the clock, as text to compare."""
    return json.dumps(_without_clock(snapshot), sort_keys=True, default=str)


def _without_clock(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _without_clock(v) for k, v in value.items() if k not in CLOCK_FIELDS}
    if isinstance(value, list | tuple):
        return [_without_clock(v) for v in value]
    return value


def change_events(
    op: str,
    *,
    agent: AgentStatus | None,
    call_id: str,
    call: WaitingCall | None,
    profiles: Mapping[str, AgentProfile],
    now: float,
) -> list[dict[str, Any]]:
    """The console events of one published change of the ACD's live state
    (``acd.live.changes.LiveChange``): an agent's new state, a call joining, returning to or
    leaving the line, an offer. Profile and restore changes make none (the next snapshot
    shows them)."""
    events: list[dict[str, Any]] = []
    if agent is not None:
        profile = profiles.get(agent.extension)
        events.append({"type": "agent", "agent": agent_view(agent, profile, now)})
    if op in ("enqueue", "requeue") and call is not None:
        events.append({"type": "queue", "op": op, "call": waiting_view(call, now)})
    elif op == "reserve" and agent is not None:
        events.append({"type": "offer", "agent": agent.extension, "call": call_id})
    elif op in ("connect", "drop", "remove") and call_id:
        events.append({"type": "queue", "op": op, "call_id": call_id})
    return events
