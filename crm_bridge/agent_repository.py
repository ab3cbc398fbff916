"""Call-centre agents: provisioning data for Asterisk, profiles and console login."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import selectinload

from crm_bridge.models import Agent
from crm_bridge.passwords import hash_password, verify_password
from crm_bridge.vocab import Role

PROVISIONED_ROLES = (Role.AGENT.value, Role.SUPERVISOR.value)


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
        """The agent if ``password`` is their console password, else None."""
        row = await self._load(extension)
        if row is None:
            return None
        ok = await asyncio.to_thread(verify_password, password, row.password_hash)
        return _profile(row) if ok else None

    async def set_password(self, extension: str, password: str) -> bool:
        """Store a new console password hash; False if there is no such agent."""
        encoded = await asyncio.to_thread(hash_password, password)
        async with self._sessions.begin() as session:
            row = await session.scalar(select(Agent).where(Agent.extension == extension))
            if row is None:
                return False
            row.password_hash = encoded
        return True

    async def _load(self, extension: str) -> Agent | None:
        query = (
            select(Agent).options(selectinload(Agent.skills)).where(Agent.extension == extension)
        )
        async with self._sessions() as session:
            return await session.scalar(query)


def _profile(row: Agent) -> AgentProfile:
    return AgentProfile(
        id=row.id,
        extension=row.extension,
        name=row.name,
        languages=tuple(row.languages),
        team=row.team,
        role=row.role,
        wrapup_seconds=row.wrapup_seconds,
        skills={skill.skill: skill.level for skill in row.skills},
    )
