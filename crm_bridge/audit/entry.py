"""One administrative action as the audit log keeps it, and what of a request's body may go into
it: never a password or any other secret, only that one was set."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Final

MIN_RETENTION_DAYS: Final = 183  # at least six months (等保二级)
SECRET_MARK: Final = "(set)"
_SECRET_WORDS: Final = ("password", "secret", "token")


class AuditAction(StrEnum):
    AGENT_CREATED = "agent-created"
    AGENT_CHANGED = "agent-changed"
    AGENT_DELETED = "agent-deleted"
    PASSWORD_SET = "password-set"
    CAMPAIGN_CREATED = "campaign-created"
    CAMPAIGN_STARTED = "campaign-started"
    CAMPAIGN_PAUSED = "campaign-paused"
    CAMPAIGN_RESUMED = "campaign-resumed"
    CAMPAIGN_STOPPED = "campaign-stopped"
    DO_NOT_CALL_ADDED = "do-not-call-added"
    DO_NOT_CALL_REMOVED = "do-not-call-removed"


CAMPAIGN_ACTIONS: Final = {
    "start": AuditAction.CAMPAIGN_STARTED,
    "pause": AuditAction.CAMPAIGN_PAUSED,
    "resume": AuditAction.CAMPAIGN_RESUMED,
    "stop": AuditAction.CAMPAIGN_STOPPED,
}


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """``actor``: the console user's extension, or ``api-token``; ``changes``: what the action
    set, secrets replaced by ``(set)``."""

    at: datetime
    actor: str
    actor_role: str
    client_address: str
    action: AuditAction
    target: str
    changes: Mapping[str, Any] = field(default_factory=dict)
    id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": self.at.isoformat(),
            "actor": self.actor,
            "actor_role": self.actor_role,
            "client_address": self.client_address,
            "action": self.action.value,
            "target": self.target,
            "changes": dict(self.changes),
        }


def _secret(name: str) -> bool:
    lowered = name.lower()
    return any(word in lowered for word in _SECRET_WORDS)


def redacted(changes: Mapping[str, Any]) -> dict[str, Any]:
    """``changes`` with every secret's value (any key naming a password, secret or token,
    at any depth) replaced by ``(set)``."""
    clean: dict[str, Any] = {}
    for name, value in changes.items():
        if _secret(str(name)):
            clean[str(name)] = SECRET_MARK
        elif isinstance(value, Mapping):
            clean[str(name)] = redacted(value)
        else:
            clean[str(name)] = value
    return clean
