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


# ---- ACD live state (acd.live.live_state) -------------------------------------------------------


def acd_agent(extension: str, prefix: str = PREFIX) -> str:
    """Hash: one agent's live status (acd.core.model.AgentStatus, floats as strings)."""
    return f"{prefix}:acd:agent:{extension}"


def acd_profile(extension: str, prefix: str = PREFIX) -> str:
    """String (JSON): one agent's profile from the CRM (acd.core.model.AgentProfile)."""
    return f"{prefix}:acd:profile:{extension}"


def acd_agents(prefix: str = PREFIX) -> str:
    """Set: every extension with a status or a profile."""
    return f"{prefix}:acd:agents"


def acd_logged_in(prefix: str = PREFIX) -> str:
    """Set: extensions whose state is anything but logged-out."""
    return f"{prefix}:acd:agents:logged-in"


def acd_call(call_id: str, prefix: str = PREFIX) -> str:
    """Hash: a call in the ACD queue (acd.core.model.WaitingCall), waiting or reserved."""
    return f"{prefix}:acd:call:{call_id}"


def acd_queue(prefix: str = PREFIX) -> str:
    """Sorted set: call_id -> enqueued_at of every call in the ACD queue."""
    return f"{prefix}:acd:queue"


def acd_leases(prefix: str = PREFIX) -> str:
    """Sorted set: extension -> lease_until of every reserved agent (the sweeper's index)."""
    return f"{prefix}:acd:leases"


def acd_events(prefix: str = PREFIX) -> str:
    """Pub/sub channel: one JSON message per applied change of the ACD live state."""
    return f"{prefix}:acd:events"


def acd_generation(prefix: str = PREFIX) -> str:
    """String: the id of the live state's generation, written by the controller that
    initialised it; missing or different from a controller's own: Redis is new (restarted
    empty, or a replica without it), so that controller rebuilds its mirror."""
    return f"{prefix}:acd:generation"


def acd_handle_times(queue: str, prefix: str = PREFIX) -> str:
    """List: the latest handle times (seconds, newest first) of one queue, for the EWT."""
    return f"{prefix}:acd:handle-times:{queue}"


def acd_stats(day: str, queue: str, prefix: str = PREFIX) -> str:
    """Hash: today's counters of one queue (offered, answered, abandoned, within_sl, wait_sum)."""
    return f"{prefix}:acd:stats:{day}:{queue}"


def acd_stats_queues(day: str, prefix: str = PREFIX) -> str:
    """Set: the queues that have counters for ``day``."""
    return f"{prefix}:acd:stats:{day}:queues"


# ---- web console sessions and log-in limits (ivr_acd.web.auth.sessions) --------------------------


def web_session(digest: str, prefix: str = PREFIX) -> str:
    """Hash: one console session (extension, role, team, name, csrf); keyed by the SHA-256 of
    the cookie value, never the value itself; expires when idle."""
    return f"{prefix}:web:session:{digest}"


def web_sessions_of(extension: str, prefix: str = PREFIX) -> str:
    """Set: the session digests of one extension (to end them all on a password change)."""
    return f"{prefix}:web:sessions:{extension}"


def login_failures(scope: str, subject: str, prefix: str = PREFIX) -> str:
    """String (counter): console log-in attempts of one ``ext-ip`` (``extension@address``) or
    one ``ip`` in the current window (a success takes its attempt back)."""
    return f"{prefix}:web:login-failures:{scope}:{subject}"


# ---- outbound dunning campaigns (acd.dunning.dialer) -------------------------------------------


def dialer_lease(campaign_id: str, prefix: str = PREFIX) -> str:
    """String (with a TTL): the controller that dials this campaign now; only the holder dials,
    so two controllers never dial one campaign at once."""
    return f"{prefix}:dialer:lease:{campaign_id}"


def dialer_starts(campaign_id: str, prefix: str = PREFIX) -> str:
    """Sorted set: recent call starts (epoch seconds) of a campaign, for its calls-per-second
    cap across a hand-over to another controller."""
    return f"{prefix}:dialer:starts:{campaign_id}"
