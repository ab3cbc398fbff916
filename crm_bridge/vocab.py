"""Closed vocabularies stored as strings in the CRM tables (one place, used by CHECKs)."""

from __future__ import annotations

from enum import StrEnum
from typing import TypeVar

from crm_bridge.errors import CrmRejectedError

_E = TypeVar("_E", bound=StrEnum)


class Tier(StrEnum):
    STANDARD = "standard"
    GOLD = "gold"
    VIP = "vip"


class Language(StrEnum):
    ZH = "zh"
    EN = "en"


class ConsoleLocale(StrEnum):
    """The languages of the web console (BCP 47 tags, as ``<html lang>`` carries them); an
    agent's choice is kept on their account (``agents.console_locale``)."""

    ZH_CN = "zh-CN"
    EN = "en"


class PhoneKind(StrEnum):
    MOBILE = "mobile"
    HOME = "home"
    WORK = "work"


class Product(StrEnum):
    AUTO = "auto"
    HEALTH = "health"
    ACCIDENT = "accident"
    LIFE = "life"
    PROPERTY = "property"


class PolicyStatus(StrEnum):
    ACTIVE = "active"
    OVERDUE = "overdue"
    LAPSED = "lapsed"
    CANCELLED = "cancelled"


class FieldAgentStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    TERMINATED = "terminated"


class Role(StrEnum):
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


class Direction(StrEnum):
    """Of a call, and of the call a promise to pay was made on."""

    INBOUND = "inbound"
    OUTBOUND = "outbound"


class CallKind(StrEnum):
    """Whose call a CDR is: a customer's (inbound from the carrier, or a callback or dunning
    call the engine placed to one), a supervisor's spy leg, or a staff phone's own call (an
    agent's feature code, one agent ringing another). Only customer calls count in the
    figures of customer traffic (KPIs, the hourly chart)."""

    CUSTOMER = "customer"
    SUPERVISION = "supervision"
    INTERNAL = "internal"


class LookupOutcome(StrEnum):
    """What one badge look-up from the IVR found; ``locked`` = refused, too many failures;
    ``holder_unconfirmed`` = a wrong proof of who holds a customer's policies (birth date or
    identity number's last four), which counts toward the same lock-out."""

    FOUND_ACTIVE = "found_active"
    FOUND_SUSPENDED = "found_suspended"
    FOUND_TERMINATED = "found_terminated"
    FOUND_EXPIRED_LICENCE = "found_expired_licence"
    UNKNOWN = "unknown"
    LOCKED = "locked"
    HOLDER_UNCONFIRMED = "holder_unconfirmed"


class ComplaintCategory(StrEnum):
    BILLING = "billing"
    CLAIMS = "claims"
    SERVICE = "service"
    AGENT_CONDUCT = "agent_conduct"
    OTHER = "other"


class CaseStatus(StrEnum):
    """Of a fraud report or a complaint; the IVR opens them, the back office works them."""

    OPEN = "open"
    IN_PROGRESS = "in_progress"
    CLOSED = "closed"


class CallbackKind(StrEnum):
    """``requested``: the caller asked to be called back instead of waiting; ``abandoned``: the
    caller hung up in the queue and the centre calls them back."""

    REQUESTED = "requested"
    ABANDONED = "abandoned"


class CallbackStatus(StrEnum):
    PENDING = "pending"
    DIALLING = "dialling"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


class SpyMode(StrEnum):
    """How a supervisor joins an agent's call: ``listen`` (nobody hears them), ``whisper``
    (only the agent hears them), ``barge`` (the agent and the customer hear them)."""

    LISTEN = "listen"
    WHISPER = "whisper"
    BARGE = "barge"


class SpyChangeSource(StrEnum):
    """Who switched a spy session's mode: the REST API or the supervisor's keypad."""

    API = "api"
    DTMF = "dtmf"


class SpyOrigin(StrEnum):
    """How a spy session began: the REST API, or a feature code on the supervisor's phone."""

    API = "api"
    FEATURE_CODE = "feature-code"


class SpyEndReason(StrEnum):
    CALL_ENDED = "call-ended"  # the agent's call ended (ChanSpy's E / S options)
    SUPERVISOR_HUNG_UP = "supervisor-hung-up"
    ENDED_BY_API = "ended-by-api"
    NOT_ANSWERED = "not-answered"  # the supervisor's phone rang out, was busy or unreachable
    LOST = "lost"  # the supervisor's channel is gone and nobody saw how


class CampaignMode(StrEnum):
    """How an outbound dunning campaign talks to the customer (``acd.dunning``)."""

    AGENTLESS = "agentless"  # the IVR's premium-due / payment flow plays to the customer
    PROGRESSIVE = "progressive"  # dialled only for a ready `collections` agent


class CampaignState(StrEnum):
    """Where an outbound dunning campaign is in its life."""

    DRAFT = "draft"
    RUNNING = "running"
    PAUSED = "paused"
    STOPPED = "stopped"  # by a person, for good
    COMPLETED = "completed"  # past its end date or out of targets


class Disposition(StrEnum):
    """What one dunning campaign attempt came to; exactly one per attempt."""

    PAID = "paid"  # transferred to pay
    PROMISED = "promised"  # a promise to pay (date, amount)
    DISPUTED = "disputed"
    WRONG_NUMBER = "wrong_number"
    REFUSED = "refused"
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    FAILED = "failed"  # congestion, unreachable, the trunk refused
    MACHINE = "machine"  # AMD(): an answering machine
    ABANDONED = "abandoned"  # answered by a person, but no agent within 2 s


def check_in(column: str, values: type[StrEnum]) -> str:
    """SQL text of a CHECK constraint restricting ``column`` to the members of ``values``."""
    allowed = ", ".join(f"'{member.value}'" for member in values)
    return f"{column} IN ({allowed})"


def member_of(values: type[_E], value: str) -> _E:
    """``value`` as a member of ``values``; :class:`CrmRejectedError` if it is none of them."""
    try:
        return values(value)
    except ValueError:
        allowed = ", ".join(member.value for member in values)
        raise CrmRejectedError(f"{value!r} is not one of {allowed}") from None
