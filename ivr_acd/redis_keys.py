"""Every Redis key the engine uses, in one place. All keys share one prefix per instance."""

from __future__ import annotations

from typing import Final

PREFIX: Final = "ivracd"


def prefix_for(instance: str) -> str:
    """One namespace per Asterisk instance: a test run beside a demo shares Redis, not state."""
    return f"{PREFIX}:{instance}"


def live_calls(prefix: str = PREFIX) -> str:
    """Sorted set: linkedid -> start time (epoch seconds) of every call in progress."""
    return f"{prefix}:calls:live"


def live_call(linkedid: str, prefix: str = PREFIX) -> str:
    """Hash: what is known of one call in progress."""
    return f"{prefix}:call:{linkedid}"


def handoff(linkedid: str, prefix: str = PREFIX) -> str:
    """String (JSON): the IVR's hand-off for a call (ivr.handoff.Handoff)."""
    return f"{prefix}:handoff:{linkedid}"
