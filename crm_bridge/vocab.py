"""Closed vocabularies stored as strings in the CRM tables (one place, used by CHECKs)."""

from __future__ import annotations

from enum import StrEnum


class Tier(StrEnum):
    STANDARD = "standard"
    GOLD = "gold"
    VIP = "vip"


class Language(StrEnum):
    ZH = "zh"
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
    INBOUND = "inbound"
    OUTBOUND = "outbound"


def check_in(column: str, values: type[StrEnum]) -> str:
    """SQL text of a CHECK constraint restricting ``column`` to the members of ``values``."""
    allowed = ", ".join(f"'{member.value}'" for member in values)
    return f"{column} IN ({allowed})"
