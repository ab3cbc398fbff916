"""Recording an administrative action from the handler that did it: who (the principal: a
console user's extension, or ``api-token``), from where (the client's address, as the trusted
proxy reports it), what, to which target, with which values (secrets only marked as set).

The action is stored already when this runs: a failure to write the audit row is logged at
error level, not answered (the client must not retry a change that happened)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from crm_bridge.audit.entry import AuditAction, AuditEntry, redacted
from crm_bridge.sqltypes import utc_now
from ivr_acd.web.auth.principal import principal
from ivr_acd.web.core import DEPS

log = logging.getLogger(__name__)


def entry_for(
    request: web.Request,
    action: AuditAction,
    target: str,
    changes: Mapping[str, Any] | None = None,
) -> AuditEntry:
    who = principal(request)
    return AuditEntry(
        at=utc_now(),
        actor=who.extension or who.name or who.role.value,
        actor_role=who.role.value,
        client_address=request.remote or "unknown",
        action=action,
        target=target,
        changes=redacted(changes or {}),
    )


async def audited(
    request: web.Request,
    action: AuditAction,
    target: str,
    changes: Mapping[str, Any] | None = None,
) -> None:
    """Add ``action`` on ``target`` by the request's principal to the audit log."""
    audit = request.app[DEPS].audit
    if audit is None:
        return
    entry = entry_for(request, action, target, changes)
    try:
        await audit.record(entry)
    except Exception:
        log.exception(
            "audit: %s on %s by %s from %s NOT recorded",
            action.value,
            target,
            entry.actor,
            entry.client_address,
        )
