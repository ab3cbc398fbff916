"""Call-centre agents: provisioning data for Asterisk, profiles, console login, and the
administration of agents (create, update, delete) that the REST API offers."""

from __future__ import annotations

import asyncio
import functools
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import selectinload

from crm_bridge.agent_specs import (
    UNSET,
    AgentChanges,
    NewAgent,
    checked_changes,
    checked_new_agent,
)
from crm_bridge.errors import AgentExistsError, CrmRejectedError, UnknownAgentError
from crm_bridge.models import Agent, AgentSkill
from crm_bridge.passwords import hash_password, verify_password
from crm_bridge.vocab import ConsoleLocale, Role, member_of

PROVISIONED_ROLES = (Role.AGENT.value, Role.SUPERVISOR.value)
SIP_SECRET_BYTES = 18


@dataclass(frozen=True, slots=True)
class AgentEndpoint:
    """What Asterisk needs to render one PJSIP endpoint (username = extension)."""

    extension: str
    name: str
    sip_secret: str = field(repr=False)
    role: str


@dataclass(frozen=True, slots=True)
class AgentProfile:
    """An agent as the ACD and the console see it; no secrets."""

    id: int
    extension: str
    name: str
    languages: tuple[str, ...]
    team: str
    role: str
    wrapup_seconds: int | None
    skills: dict[str, int]
    locale: str | None = None  # the console's language (vocab.ConsoleLocale); None: default

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready; ``skills`` as skill → level 1–5."""
        return {
            "id": self.id,
            "extension": self.extension,
            "name": self.name,
            "languages": list(self.languages),
            "team": self.team,
            "role": self.role,
            "wrapup_seconds": self.wrapup_seconds,
            "skills": dict(self.skills),
            "locale": self.locale,
        }


class AgentRepository:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def list_provisioned(self) -> list[AgentEndpoint]:
        """Agents and supervisors, by extension (admins have no softphone)."""
        query = select(Agent).where(Agent.role.in_(PROVISIONED_ROLES)).order_by(Agent.extension)
        async with self._sessions() as session:
            rows = (await session.scalars(query)).all()
        return [AgentEndpoint(a.extension, a.name, a.sip_secret, a.role) for a in rows]

    async def list_profiles(self) -> list[AgentProfile]:
        query = select(Agent).options(selectinload(Agent.skills)).order_by(Agent.extension)
        async with self._sessions() as session:
            rows = (await session.scalars(query)).all()
        return [_profile(row) for row in rows]

    async def by_extension(self, extension: str) -> AgentProfile | None:
        row = await self._load(extension)
        return None if row is None else _profile(row)

    async def authenticate(self, extension: str, password: str) -> AgentProfile | None:
        """The agent if ``password`` is their console password, else None. An unknown
        extension costs one hash too, so the answer's timing does not tell it apart."""
        row = await self._load(extension)
        encoded = None if row is None else row.password_hash
        ok = await asyncio.to_thread(_verify, password, encoded)
        return _profile(row) if ok and row is not None else None

    async def set_password(self, extension: str, password: str) -> bool:
        """Store a new console password hash; False if there is no such agent."""
        encoded = await asyncio.to_thread(hash_password, password)
        async with self._sessions.begin() as session:
            row = await session.scalar(select(Agent).where(Agent.extension == extension))
            if row is None:
                return False
            row.password_hash = encoded
        return True

    async def set_locale(self, extension: str, locale: str) -> bool:
        """Remember the console language the agent chose; False if there is no such agent,
        :class:`CrmRejectedError` for a language the console does not speak."""
        chosen = member_of(ConsoleLocale, locale)
        async with self._sessions.begin() as session:
            row = await session.scalar(select(Agent).where(Agent.extension == extension))
            if row is None:
                return False
            row.console_locale = chosen.value
        return True

    async def create(self, agent: NewAgent) -> AgentProfile:
        """Store a new agent with a fresh SIP secret; :class:`AgentExistsError` if the
        extension is taken, :class:`InvalidAgentError` if the data breaks a rule."""
        agent = checked_new_agent(agent)
        row = Agent(
            extension=agent.extension,
            name=agent.name,
            password_hash=await asyncio.to_thread(hash_password, agent.password),
            sip_secret=secrets.token_urlsafe(SIP_SECRET_BYTES),
            languages=list(agent.languages),
            team=agent.team,
            role=agent.role,
            wrapup_seconds=agent.wrapup_seconds,
            skills=[AgentSkill(skill=name, level=level) for name, level in agent.skills.items()],
        )
        taken = AgentExistsError(f"agent {agent.extension} exists already")
        try:
            async with self._sessions.begin() as session:
                existing = select(Agent.id).where(Agent.extension == agent.extension)
                if await session.scalar(existing) is not None:
                    raise taken
                session.add(row)
        except IntegrityError as exc:  # created by someone else since the check
            if await self._load(agent.extension) is not None:
                raise taken from exc
            raise CrmRejectedError(f"agent {agent.extension}: {exc.orig}") from exc
        return _profile(row)

    async def update(self, extension: str, changes: AgentChanges) -> AgentProfile:
        """Apply ``changes``; :class:`UnknownAgentError` if there is no such agent."""
        changes = checked_changes(changes)
        encoded = None
        if changes.password is not None:
            encoded = await asyncio.to_thread(hash_password, changes.password)
        query = (
            select(Agent).options(selectinload(Agent.skills)).where(Agent.extension == extension)
        )
        async with self._sessions.begin() as session:
            row = await session.scalar(query)
            if row is None:
                raise UnknownAgentError(f"no agent {extension}")
            _apply(row, changes, encoded)
        return _profile(row)

    async def delete(self, extension: str) -> None:
        """Remove the agent and their skills (customers they managed keep no manager; CDRs
        and the state log keep the extension). :class:`UnknownAgentError` if there is none."""
        query = delete(Agent).where(Agent.extension == extension).returning(Agent.id)
        async with self._sessions.begin() as session:
            if await session.scalar(query) is None:
                raise UnknownAgentError(f"no agent {extension}")

    async def _load(self, extension: str) -> Agent | None:
        query = (
            select(Agent).options(selectinload(Agent.skills)).where(Agent.extension == extension)
        )
        async with self._sessions() as session:
            return await session.scalar(query)


@functools.cache
def _decoy_hash() -> str:
    return hash_password(secrets.token_urlsafe(SIP_SECRET_BYTES))


def _verify(password: str, encoded: str | None) -> bool:
    """``password`` against ``encoded``; None (no such agent) is checked against a decoy."""
    matches = verify_password(password, _decoy_hash() if encoded is None else encoded)
    return matches and encoded is not None


def _profile(row: Agent) -> AgentProfile:
    return AgentProfile(
        id=row.id,
        extension=row.extension,
        name=row.name,
        languages=tuple(row.languages),
        team=row.team,
        role=row.role,
        wrapup_seconds=row.wrapup_seconds,
        skills={skill.skill: skill.level for skill in sorted(row.skills, key=_skill_name)},
        locale=row.console_locale,
    )


def _skill_name(skill: AgentSkill) -> str:
    return skill.skill


def _apply(row: Agent, changes: AgentChanges, password_hash: str | None) -> None:
    if changes.name is not None:
        row.name = changes.name
    if password_hash is not None:
        row.password_hash = password_hash
    if changes.languages is not None:
        row.languages = list(changes.languages)
    if changes.team is not None:
        row.team = changes.team
    if changes.role is not None:
        row.role = changes.role
    if changes.wrapup_seconds is not UNSET:
        row.wrapup_seconds = changes.wrapup_seconds
    if changes.skills is not None:
        _replace_skills(row, changes.skills)


def _replace_skills(row: Agent, wanted: Mapping[str, int]) -> None:
    """In place: rows for the skills kept are updated, not deleted and inserted again (one
    flush would insert before it deletes and trip the (agent, skill) unique constraint)."""
    current = {skill.skill: skill for skill in row.skills}
    for name, skill in current.items():
        if name not in wanted:
            row.skills.remove(skill)
    for name, level in wanted.items():
        if name in current:
            current[name].level = level
        else:
            row.skills.append(AgentSkill(skill=name, level=level))
