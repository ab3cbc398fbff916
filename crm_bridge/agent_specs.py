"""What may be written about an agent, checked before any database sees it (pure, no I/O).

``new_agent`` and ``agent_changes`` turn a JSON object (the API's body) into a checked
:class:`NewAgent` / :class:`AgentChanges`; the repository runs the same checks again on what it
is handed, so there is one set of rules. Every refusal is an :class:`InvalidAgentError`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Final, TypeVar

from crm_bridge.errors import InvalidAgentError
from crm_bridge.vocab import Language, Role

SKILL_LEVELS: Final = range(1, 6)
MAX_SKILLS: Final = 50
MAX_WRAPUP_SECONDS: Final = 3600
PASSWORD_LENGTHS: Final = range(8, 129)
_EXTENSION = re.compile(r"[0-9]{2,16}")
_SKILL = re.compile(r"[a-z][a-z0-9_-]{0,49}")
_TEXT_LIMITS: Final = {"name": 100, "team": 50}
# A name is rendered into pjsip.conf (``callerid = <name> <8001>``) and shown on phones: no
# character that ends the line, starts a comment or a section, or closes the caller ID.
_TEXT_FORBIDDEN: Final = frozenset('<>;[]="\\')
_LANGUAGES: Final = frozenset(member.value for member in Language)
_ROLES: Final = frozenset(member.value for member in Role)
_T = TypeVar("_T")


class Unset(Enum):
    """Marks a field a PATCH leaves alone (``None`` is a value for ``wrapup_seconds``)."""

    UNSET = "unset"


UNSET: Final = Unset.UNSET


@dataclass(frozen=True, slots=True)
class NewAgent:
    """An agent to create; ``password`` is the console password (only its hash is stored)."""

    extension: str
    name: str
    password: str = field(repr=False)
    languages: tuple[str, ...]
    team: str
    role: str = Role.AGENT.value
    wrapup_seconds: int | None = None
    skills: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AgentChanges:
    """A partial update; ``None`` (``UNSET`` for ``wrapup_seconds``) leaves a field as it is.
    ``skills``, when given, replaces the whole set."""

    name: str | None = None
    password: str | None = field(default=None, repr=False)
    languages: tuple[str, ...] | None = None
    team: str | None = None
    role: str | None = None
    wrapup_seconds: int | Unset | None = UNSET
    skills: Mapping[str, int] | None = None

    def is_empty(self) -> bool:
        return self == AgentChanges()


_NEW_FIELDS: Final = frozenset(NewAgent.__dataclass_fields__)
_CHANGE_FIELDS: Final = frozenset(AgentChanges.__dataclass_fields__)
_REQUIRED: Final = frozenset({"extension", "name", "password", "languages", "team"})


def new_agent(data: Mapping[str, Any]) -> NewAgent:
    """A checked :class:`NewAgent` from a JSON object; unknown fields are refused."""
    _only_known(data, _NEW_FIELDS)
    missing = sorted(_REQUIRED - data.keys())
    if missing:
        raise InvalidAgentError(f"missing {', '.join(missing)}")
    return NewAgent(
        extension=check_extension(data["extension"]),
        name=check_text("name", data["name"]),
        password=check_password(data["password"]),
        languages=check_languages(data["languages"]),
        team=check_text("team", data["team"]),
        role=check_role(data.get("role", Role.AGENT.value)),
        wrapup_seconds=check_wrapup(data.get("wrapup_seconds")),
        skills=check_skills(data.get("skills", {})),
    )


def agent_changes(data: Mapping[str, Any]) -> AgentChanges:
    """A checked :class:`AgentChanges` from a JSON object (a PATCH body)."""
    if "extension" in data:
        raise InvalidAgentError("the extension cannot change (delete and create instead)")
    _only_known(data, _CHANGE_FIELDS)
    return AgentChanges(
        name=_maybe(data, "name", lambda value: check_text("name", value)),
        password=_maybe(data, "password", check_password),
        languages=_maybe(data, "languages", check_languages),
        team=_maybe(data, "team", lambda value: check_text("team", value)),
        role=_maybe(data, "role", check_role),
        wrapup_seconds=check_wrapup(data["wrapup_seconds"]) if "wrapup_seconds" in data else UNSET,
        skills=_maybe(data, "skills", check_skills),
    )


def checked_new_agent(agent: NewAgent) -> NewAgent:
    """``agent`` checked and normalised (as :func:`new_agent` would have built it)."""
    return new_agent({name: getattr(agent, name) for name in _NEW_FIELDS})


def checked_changes(changes: AgentChanges) -> AgentChanges:
    data = {name: getattr(changes, name) for name in _CHANGE_FIELDS}
    given = {
        name: value
        for name, value in data.items()
        if value is not UNSET and (value is not None or name == "wrapup_seconds")
    }
    return agent_changes(given)


def check_extension(value: object) -> str:
    """2 to 16 digits: agents 8001…, supervisors 9001… (the PJSIP endpoint's name)."""
    if not isinstance(value, str) or not _EXTENSION.fullmatch(value):
        raise InvalidAgentError(f"extension: {value!r} is not 2 to 16 digits")
    return value


def check_text(name: str, value: object) -> str:
    """A name or team: 1 to its limit of printable characters (any script), none of
    ``< > ; [ ] = " \\``."""
    limit = _TEXT_LIMITS[name]
    if not isinstance(value, str) or not value.strip() or len(value.strip()) > limit:
        raise InvalidAgentError(f"{name} must be text of 1 to {limit} characters")
    text = value.strip()
    if not text.isprintable() or _TEXT_FORBIDDEN.intersection(text):
        forbidden = " ".join(sorted(_TEXT_FORBIDDEN))
        raise InvalidAgentError(
            f"{name} must be printable text without line breaks, control characters or {forbidden}"
        )
    return text


def check_password(value: object) -> str:
    if not isinstance(value, str) or len(value) not in PASSWORD_LENGTHS:
        low, high = PASSWORD_LENGTHS[0], PASSWORD_LENGTHS[-1]
        raise InvalidAgentError(f"password must be {low} to {high} characters")
    return value


def check_languages(value: object) -> tuple[str, ...]:
    """At least one of the caller languages, each once, in the order given."""
    allowed = ", ".join(member.value for member in Language)
    if not isinstance(value, list | tuple) or not value:
        raise InvalidAgentError(f"languages must be a non-empty list of {allowed}")
    for item in value:
        if not isinstance(item, str) or item not in _LANGUAGES:
            raise InvalidAgentError(f"languages: {item!r} is not one of {allowed}")
    return tuple(dict.fromkeys(str(item) for item in value))


def check_role(value: object) -> str:
    if not isinstance(value, str) or value not in _ROLES:
        allowed = ", ".join(member.value for member in Role)
        raise InvalidAgentError(f"role: {value!r} is not one of {allowed}")
    return str(value)


def check_wrapup(value: object) -> int | None:
    """Seconds of after-call work; ``None`` = the ACD's default."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidAgentError(f"wrapup_seconds {value!r} must be an integer or null")
    if not 0 <= value <= MAX_WRAPUP_SECONDS:
        raise InvalidAgentError(f"wrapup_seconds must be from 0 to {MAX_WRAPUP_SECONDS}")
    return value


def check_skills(value: object) -> dict[str, int]:
    """Skill name (lower case, e.g. ``vip``, ``claims``) → level 1 (novice) to 5 (expert)."""
    if not isinstance(value, Mapping):
        raise InvalidAgentError("skills must be an object of skill name -> level 1 to 5")
    if len(value) > MAX_SKILLS:
        raise InvalidAgentError(f"skills: at most {MAX_SKILLS}")
    for skill, level in value.items():
        if not isinstance(skill, str) or not _SKILL.fullmatch(skill):
            raise InvalidAgentError(f"skills: {skill!r} is not a lower-case name (a-z, 0-9, _ -)")
        if isinstance(level, bool) or not isinstance(level, int) or level not in SKILL_LEVELS:
            raise InvalidAgentError(f"skills: {skill!r} level {level!r} is not 1 to 5")
    return dict(value)


def _only_known(data: Mapping[str, Any], known: frozenset[str]) -> None:
    unknown = sorted(str(name) for name in data.keys() - known)
    if unknown:
        raise InvalidAgentError(f"unknown field(s) {', '.join(unknown)}")


def _maybe(data: Mapping[str, Any], name: str, check: Callable[[Any], _T]) -> _T | None:
    return None if name not in data else check(data[name])
