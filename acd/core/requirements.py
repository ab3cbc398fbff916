"""From the IVR's hand-off and what the CRM knows of the caller to the call the ACD routes:
skills, language, VIP, account manager, and what the blacklist policy says. Pure."""

from __future__ import annotations

from dataclasses import dataclass

from acd.core.model import WaitingCall
from ivr.handoff import Handoff


@dataclass(frozen=True)
class CallerFacts:
    """What the CRM says of the caller (all empty for an unknown number)."""

    name: str = ""
    vip: bool = False
    blacklisted: bool = False
    account_manager: str = ""  # extension


@dataclass(frozen=True)
class Admission:
    call: WaitingCall | None  # None: the blacklist policy turns the caller away
    blacklisted: bool


def queue_name(skills: tuple[str, ...]) -> str:
    """The line a call waits in, on wallboards and CDRs: its first skill."""
    return skills[0] if skills else "general"


def admit(
    *,
    call_id: str,
    channel: str,
    caller_number: str,
    handoff: Handoff,
    facts: CallerFacts,
    now: float,
    default_skill: str,
    blacklist_policy: str,  # "reject" | "standard" | "normal"
    default_language: str = "zh",
) -> Admission:
    if facts.blacklisted and blacklist_policy == "reject":
        return Admission(None, blacklisted=True)
    preferential = not (facts.blacklisted and blacklist_policy == "standard")
    skills = handoff.skills or (default_skill,)
    call = WaitingCall(
        call_id=call_id,
        channel=channel,
        caller_number=caller_number,
        skills=skills,
        language=handoff.language or default_language,
        vip=facts.vip and preferential,
        enqueued_at=now,
        account_manager=facts.account_manager if preferential else "",
        customer_name=facts.name,
        queue=queue_name(skills),
    )
    return Admission(call, blacklisted=facts.blacklisted)
