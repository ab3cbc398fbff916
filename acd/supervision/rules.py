"""Supervision's decisions, pure: who may listen to, whisper to or barge into an agent's call,
whose phone rings for it, ChanSpy's options for each mode, the keys that switch mode, and which
live channel is the agent's leg of a call. The service (``acd.supervision.service``) runs them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final

from crm_bridge.vocab import Role, SpyMode
from wire.replies import ChannelRow

# ChanSpy's options every session has: q = no beep nor channel name; d = keys switch mode
# (4 listen, 5 whisper, 6 barge); E = end when the agent's channel hangs up; S = end when
# there is nothing (left) to spy on, e.g. the call ended while the supervisor's phone rang.
CHANSPY_BASE: Final = "qdES"
_MODE_OPTION: Final = {SpyMode.LISTEN: "", SpyMode.WHISPER: "w", SpyMode.BARGE: "B"}
_MODES: Final = frozenset(mode.value for mode in SpyMode)
DTMF_MODES: Final = {"4": SpyMode.LISTEN, "5": SpyMode.WHISPER, "6": SpyMode.BARGE}
SUPERVISING_ROLES: Final = frozenset({Role.SUPERVISOR.value, Role.ADMIN.value})
UNKNOWN: Final = frozenset({"", "<unknown>"})


class SpyRefused(Exception):
    """Supervision refused; ``code`` is stable (``forbidden``, ``call-not-found``,
    ``call-has-no-agent``, ``invalid-spy-mode``, ``supervisor-required``...)."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code


@dataclass(frozen=True)
class Requester:
    """Who asks: the API's principal, or the supervisor keying a feature code."""

    role: str
    extension: str | None  # None: the API token
    team: str | None
    name: str


@dataclass(frozen=True)
class Person:
    """An agent, supervisor or admin of the CRM, as the rule needs them."""

    extension: str
    role: str
    team: str


@dataclass(frozen=True)
class AgentLeg:
    """The agent's channel of a live call (what ChanSpy listens to)."""

    linkedid: str
    channel: str  # PJSIP/8001-0000002a
    extension: str
    customer_number: str | None


def parse_mode(value: object) -> SpyMode:
    if isinstance(value, str) and value in _MODES:
        return SpyMode(value)
    allowed = ", ".join(mode.value for mode in SpyMode)
    raise SpyRefused("invalid-spy-mode", f"mode must be one of {allowed}")


def chanspy_options(mode: SpyMode) -> str:
    return CHANSPY_BASE + _MODE_OPTION[mode]


def mode_for_digit(digit: str) -> SpyMode | None:
    """The mode a key switches to inside ChanSpy (its ``d`` option), None for other keys."""
    return DTMF_MODES.get(digit)


def may_spy(requester: Requester, agent_team: str) -> bool:
    """Admins on anyone's call; supervisors on their own team's agents; nobody else."""
    if requester.role == Role.ADMIN.value:
        return True
    return requester.role == Role.SUPERVISOR.value and requester.team == agent_team


def check_requester(requester: Requester, agent: Person) -> None:
    if not may_spy(requester, agent.team):
        if requester.role == Role.SUPERVISOR.value:
            why = f"agent {agent.extension} is in team {agent.team}, not yours ({requester.team})"
        else:
            why = f"only supervisors of the agent's team or admins may; you are {requester.role}"
        raise SpyRefused("forbidden", why)


def supervisor_for(requester: Requester, named: str | None) -> str:
    """Whose phone rings: the requester's own; an admin may name another (the API token, which
    has no phone, must)."""
    if named is not None and named != requester.extension:
        if requester.role != Role.ADMIN.value:
            raise SpyRefused("forbidden", "a supervisor can only have their own phone rung")
        return named
    if requester.extension is None:
        raise SpyRefused("supervisor-required", "name the supervisor whose phone should ring")
    return requester.extension


def check_supervisor(supervisor: Person | None, extension: str, agent: Person) -> Person:
    if supervisor is None:
        raise SpyRefused("invalid-supervisor", f"no supervisor {extension} in the CRM")
    if supervisor.role not in SUPERVISING_ROLES:
        raise SpyRefused("invalid-supervisor", f"{extension} is an agent, not a supervisor")
    if supervisor.extension == agent.extension:
        raise SpyRefused("invalid-supervisor", f"{extension} cannot listen to their own call")
    return supervisor


def agent_legs(channels: Iterable[ChannelRow], endpoint_of: Mapping[str, str]) -> list[AgentLeg]:
    """Every talking PJSIP leg (up and bridged) that is not the call's first leg, from
    ``CoreShowChannels``; ``endpoint_of`` maps channel names to endpoints (people only)."""
    rows = list(channels)
    customers = {row.linkedid: row.caller_number for row in rows if row.first_leg}
    legs: list[AgentLeg] = []
    for row in rows:
        extension = endpoint_of.get(row.channel)
        if extension is None or row.first_leg or not (row.up and row.bridged):
            continue
        customer = customers.get(row.linkedid, "")
        if customer in UNKNOWN:
            customer = row.connected_number
        legs.append(
            AgentLeg(
                row.linkedid, row.channel, extension, None if customer in UNKNOWN else customer
            )
        )
    return legs


def call_known(channels: Iterable[ChannelRow], linkedid: str) -> bool:
    return any(row.linkedid == linkedid for row in channels)
