"""The flows' decisions, as pure functions over plain data (tested with literals)."""

from __future__ import annotations

import hmac
import re
from datetime import date, timedelta
from typing import Final, Literal

from ivr.caller import Say
from ivr.flows.context import FieldAgentInfo

LOOKUP_LIMIT: Final = 5  # more failed badge look-ups than this within the window lock the menu
LOOKUP_WINDOW: Final = timedelta(hours=1)
WRONG_BADGES_PER_CALL: Final = 3
PROMISE_DAYS: Final = 30
HOLDER_UNCONFIRMED: Final = "holder_unconfirmed"  # a failed proof of who holds the policies
POLICY_TAIL: Final = 4  # policy numbers are read masked: only their last four digits
ID_TAIL: Final = 4

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


ConfirmStep = Literal["ask", "locked", "give_up"]


def confirm_step(failed_lookups_in_window: int, wrong_this_call: int, tries: int) -> ConfirmStep:
    """Before each proof of who holds the policies: a number over the look-up limit (badges and
    proofs together) is locked; after ``tries`` wrong proofs on this call, a person."""
    if menu_locked(failed_lookups_in_window):
        return "locked"
    return "give_up" if wrong_this_call >= tries else "ask"


def proof_digits_valid(keyed: str) -> Say | None:
    """A proof is the birth date (8 digits, YYYYMMDD) or the identity number's last four."""
    return None if re.fullmatch(r"[0-9]{4}|[0-9]{8}", keyed) else Say("premium.bad_proof")


def id_tail_keys(id_number_tail: str) -> str | None:
    """The keys that stand for an identity number's last four characters: an X (the PRC check
    character) is keyed as 0; ``None`` when any other character is not a digit."""
    keys = id_number_tail.upper().replace("X", "0")
    return keys if len(keys) == ID_TAIL and keys.isdigit() else None


def holder_confirmed(keyed: str, birth_date: date | None, id_number_tail: str) -> bool:
    """Whether ``keyed`` proves the holder: 8 digits = the birth date, 4 = the identity number's
    last four (compared in constant time)."""
    if len(keyed) == 8:
        expected = None if birth_date is None else birth_date.strftime("%Y%m%d")
    elif len(keyed) == ID_TAIL:
        expected = id_tail_keys(id_number_tail)
    else:
        return False
    return expected is not None and hmac.compare_digest(keyed, expected)


def policy_tail(number: str) -> str:
    """The last four digits of a policy number, all a caller hears of it."""
    return "".join(ch for ch in number if ch.isdigit())[-POLICY_TAIL:]
