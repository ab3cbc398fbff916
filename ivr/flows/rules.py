"""The flows' decisions, as pure functions over plain data (tested with literals)."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Final

from ivr.caller import Say
from ivr.flows.context import FieldAgentInfo

LOOKUP_LIMIT: Final = 5  # more failed badge look-ups than this within the window lock the menu
LOOKUP_WINDOW: Final = timedelta(hours=1)
WRONG_BADGES_PER_CALL: Final = 3
PROMISE_DAYS: Final = 30

GENUINE: Final = "found_active"
OUTCOMES: Final = (
    "found_active",
    "found_suspended",
    "found_terminated",
    "found_expired_licence",
    "unknown",
)
COMPLAINT_CATEGORIES: Final = {
    "1": "billing",
    "2": "claims",
    "3": "service",
    "4": "agent_conduct",
    "5": "other",
}


def verification_outcome(agent: FieldAgentInfo | None, today: date) -> str:
    if agent is None:
        return "unknown"
    if agent.status == "suspended":
        return "found_suspended"
    if agent.status == "terminated":
        return "found_terminated"
    if agent.licence_expiry < today:
        return "found_expired_licence"
    return GENUINE


def menu_locked(failed_lookups_in_window: int) -> bool:
    return failed_lookups_in_window > LOOKUP_LIMIT


def badge_candidates(keyed: str, prefixes: tuple[str, ...] = ("FA",)) -> list[str]:
    """Badges are letters + digits; a keypad gives the digits: try them as keyed, then with
    each known prefix."""
    return [keyed, *(f"{prefix}{keyed}" for prefix in prefixes)]


def policy_candidates(keyed: str, prefixes: tuple[str, ...] = ("PL",)) -> list[str]:
    """Policy numbers are letters + digits; the keypad gives the digits."""
    return [keyed, *(f"{prefix}{keyed}" for prefix in prefixes)]


def promise_date(keyed: str, today: date) -> date | Say:
    """A promise-to-pay date keyed as YYYYMMDD: today up to 30 days ahead."""
    if not re.fullmatch(r"[0-9]{8}", keyed):
        return Say("promise.bad_date")
    try:
        when = date(int(keyed[:4]), int(keyed[4:6]), int(keyed[6:]))
    except ValueError:
        return Say("promise.bad_date")
    if when < today:
        return Say("promise.past")
    if when > today + timedelta(days=PROMISE_DAYS):
        return Say("promise.too_far", {"days": str(PROMISE_DAYS)})
    return when


def birth_digits_valid(keyed: str, today: date) -> Say | None:
    if not re.fullmatch(r"(19|20)[0-9]{6}", keyed):
        return Say("premium.bad_birth")
    try:
        born = date(int(keyed[:4]), int(keyed[4:6]), int(keyed[6:]))
    except ValueError:
        return Say("premium.bad_birth")
    return None if born <= today else Say("premium.bad_birth")
