"""The one place that maps the ACD's model to the strings Redis keeps (agent and call hashes,
profile JSON), and the flat lists Lua scripts take and give back."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping, Sequence
from typing import Any

from acd.core.model import AgentProfile, AgentState, AgentStatus, WaitingCall


def status_to_fields(status: AgentStatus) -> dict[str, str]:
    return {
        "extension": status.extension,
        "state": status.state.value,
        "since": repr(status.since),
        "idle_since": repr(status.idle_since),
        "reason": status.reason,
        "call_id": status.call_id,
        "lease_until": repr(status.lease_until),
        "version": str(status.version),
        "pending_reason": status.pending_reason,
    }


def status_from_fields(fields: Mapping[str, str]) -> AgentStatus:
    return AgentStatus(
        extension=fields["extension"],
        state=AgentState(fields.get("state", AgentState.LOGGED_OUT.value)),
        since=float(fields.get("since", 0.0)),
        idle_since=float(fields.get("idle_since", 0.0)),
        reason=fields.get("reason", ""),
        call_id=fields.get("call_id", ""),
        lease_until=float(fields.get("lease_until", 0.0)),
        version=int(fields.get("version", 0)),
        pending_reason=fields.get("pending_reason", ""),
    )


def call_to_fields(call: WaitingCall) -> dict[str, str]:
    return {
        "call_id": call.call_id,
        "channel": call.channel,
        "caller_number": call.caller_number,
        "skills": json.dumps(list(call.skills)),
        "language": call.language,
        "vip": "1" if call.vip else "0",
        "enqueued_at": repr(call.enqueued_at),
        "account_manager": call.account_manager,
        "excluded": ",".join(sorted(call.excluded)),  # comma-separated: the Lua side appends
        "customer_name": call.customer_name,
        "queue": call.queue,
        "reserved_by": call.reserved_by,
        "callback": "1" if call.callback else "0",
    }


def call_from_fields(fields: Mapping[str, str]) -> WaitingCall:
    excluded = fields.get("excluded", "")
    return WaitingCall(
        call_id=fields["call_id"],
        channel=fields["channel"],
        caller_number=fields["caller_number"],
        skills=tuple(json.loads(fields["skills"])),
        language=fields["language"],
        vip=fields["vip"] == "1",
        enqueued_at=float(fields["enqueued_at"]),
        account_manager=fields.get("account_manager", ""),
        excluded=frozenset(excluded.split(",")) if excluded else frozenset(),
        customer_name=fields.get("customer_name", ""),
        queue=fields.get("queue", ""),
        reserved_by=fields.get("reserved_by", ""),
        callback=fields.get("callback", "0") == "1",
    )


def call_to_token(call: WaitingCall) -> str:
    """The call as one channel-variable value with nothing to quote (base64url of its JSON,
    unpadded), waiting: no reservation."""
    fields = call_to_fields(call)
    fields["reserved_by"] = ""
    raw = json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def call_from_token(token: str) -> WaitingCall | None:
    """A call read back from :func:`call_to_token`; None for anything else (a channel variable
    can hold anything)."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        fields = json.loads(raw)
        return call_from_fields({str(k): str(v) for k, v in fields.items()})
    except (binascii.Error, ValueError, TypeError, KeyError, AttributeError):
        return None


def profile_to_json(profile: AgentProfile) -> str:
    return json.dumps(
        {
            "extension": profile.extension,
            "name": profile.name,
            "skills": profile.skills,
            "languages": sorted(profile.languages),
            "team": profile.team,
            "wrapup_seconds": profile.wrapup_seconds,
        },
        ensure_ascii=False,
    )


def profile_from_json(text: str) -> AgentProfile:
    data = json.loads(text)
    return AgentProfile(
        extension=data["extension"],
        name=data["name"],
        skills={str(k): int(v) for k, v in data["skills"].items()},
        languages=frozenset(data["languages"]),
        team=data["team"],
        wrapup_seconds=int(data["wrapup_seconds"]),
    )


def flat(fields: Mapping[str, str]) -> list[str]:
    """``{"a": "1", "b": "2"}`` -> ``["a", "1", "b", "2"]`` (what HSET and the scripts take)."""
    return [item for pair in fields.items() for item in pair]


def pairs(items: Sequence[object]) -> dict[str, str]:
    """A flat HGETALL reply (from a script) back into a mapping."""
    return {text(items[i]): text(items[i + 1]) for i in range(0, len(items), 2)}


def decode(fields: Mapping[Any, Any]) -> dict[str, str]:
    return {text(k): text(v) for k, v in fields.items()}


def text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
