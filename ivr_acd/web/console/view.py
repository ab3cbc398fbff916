"""Who watches the live stream and what each may see of it. Pure.

A supervisor or admin watches the wallboard: every queue, caller, agent and call. An agent's
desktop sees the queue figures, their own state and the screen-pops of the calls offered to
them, nothing of other callers or agents. Screen-pops go to the desktop they are for
(``Viewer.extension``), with the customer's identity number masked for the viewer's role."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from crm_bridge.screen_pop import for_role
from crm_bridge.vocab import Role

WALLBOARD_ROLES = frozenset({Role.SUPERVISOR, Role.ADMIN})


@dataclass(frozen=True)
class Viewer:
    role: Role
    name: str = ""
    extension: str = ""  # whose desktop: their state and screen-pops ("" = none)

    @property
    def wallboard(self) -> bool:
        return self.role in WALLBOARD_ROLES


def hello(viewer: Viewer, pause_reasons: Iterable[str]) -> dict[str, Any]:
    """The stream's first message: who it is for and what an agent may pause for."""
    return {
        "type": "hello",
        "viewer": {
            "role": viewer.role.value,
            "name": viewer.name,
            "extension": viewer.extension,
            "wallboard": viewer.wallboard,
        },
        "pause_reasons": list(pause_reasons),
    }


def visible(event: Mapping[str, Any], viewer: Viewer) -> dict[str, Any] | None:
    """``event`` as ``viewer`` may see it, or None when it is not for them."""
    kind = event.get("type")
    if kind == "screen-pop":
        return for_role(event, viewer.role) if event.get("agent") == viewer.extension else None
    if viewer.wallboard:
        return dict(event)
    if kind == "snapshot":
        return _desktop_snapshot(event, viewer.extension)
    if kind == "agent":
        agent = event.get("agent") or {}
        return dict(event) if agent.get("extension") == viewer.extension else None
    return None  # queue changes and offers name other callers and agents


def _desktop_snapshot(event: Mapping[str, Any], extension: str) -> dict[str, Any]:
    queues = [dict(queue) for queue in event.get("queues", [])]  # figures: no caller in them
    own = [a for a in event.get("agents", []) if a.get("extension") == extension]
    return {
        "type": "snapshot",
        "at": event.get("at"),
        "queues": queues,
        "waiting": [],
        "agents": own,
        "calls": [c for c in event.get("calls", []) if c.get("agent") == extension],
    }
