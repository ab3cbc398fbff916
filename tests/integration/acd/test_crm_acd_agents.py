"""Agent administration (create, update, delete) on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from crm_bridge.agent_specs import UNSET, AgentChanges, NewAgent
from crm_bridge.db import Database
from crm_bridge.errors import AgentExistsError, InvalidAgentError, UnknownAgentError
from crm_bridge.models import Agent, AgentSkill, Customer
from crm_bridge.repositories import AgentRepository
from crm_bridge.seed import seed

pytestmark = pytest.mark.integration


def newcomer(extension: str = "8101", **skills: int) -> NewAgent:
    return NewAgent(
        extension=extension,
        name="赵敏",
        password="first-password",
        languages=("zh", "en"),
        team="claims",
        wrapup_seconds=20,
        skills=skills or {"claims": 4, "complaints": 2},
    )


async def _count(db: Database, model: type[Agent] | type[AgentSkill]) -> int:
    async with db.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_a_created_agent_is_provisioned_profiled_and_can_log_in(database: Database) -> None:
    agents = AgentRepository(database.sessions)

    created = await agents.create(newcomer())

    assert created.to_dict() == {
        "id": created.id,
        "extension": "8101",
        "name": "赵敏",
        "languages": ["zh", "en"],
        "team": "claims",
        "role": "agent",
        "wrapup_seconds": 20,
        "skills": {"claims": 4, "complaints": 2},
        "locale": None,
    }
    assert await agents.list_profiles() == [created]
    assert await agents.by_extension("8101") == created
    [endpoint] = await agents.list_provisioned()
    assert endpoint.extension == "8101" and len(endpoint.sip_secret) >= 20
    assert await agents.authenticate("8101", "first-password") == created
    assert await agents.authenticate("8101", "wrong-password") is None


async def test_an_extension_is_created_once(database: Database) -> None:
    await seed(database.sessions)
    agents = AgentRepository(database.sessions)
    before = await _count(database, Agent)

    with pytest.raises(AgentExistsError) as caught:
        await agents.create(newcomer("8001"))
    results = await asyncio.gather(
        agents.create(newcomer("8102")), agents.create(newcomer("8102")), return_exceptions=True
    )

    assert caught.value.code == "agent-exists"
    assert sorted(type(r).__name__ for r in results) == ["AgentExistsError", "AgentProfile"]
    assert await _count(database, Agent) == before + 1


async def test_bad_data_is_refused_before_anything_is_stored(database: Database) -> None:
    agents = AgentRepository(database.sessions)
    with pytest.raises(InvalidAgentError) as caught:
        await agents.create(newcomer(claims=6))
    assert caught.value.code == "invalid-agent"
    assert await _count(database, Agent) == await _count(database, AgentSkill) == 0


async def test_an_update_replaces_skills_in_place_and_leaves_the_rest(database: Database) -> None:
    agents = AgentRepository(database.sessions)
    await agents.create(newcomer())

    updated = await agents.update(
        "8101",
        AgentChanges(skills={"claims": 5, "vip": 3}, wrapup_seconds=None, role="supervisor"),
    )

    assert updated.skills == {"claims": 5, "vip": 3}
    assert (updated.wrapup_seconds, updated.role, updated.team) == (None, "supervisor", "claims")
    assert await agents.by_extension("8101") == updated
    assert await _count(database, AgentSkill) == 2


async def test_a_password_change_is_hashed_and_takes_effect(database: Database) -> None:
    agents = AgentRepository(database.sessions)
    await agents.create(newcomer())

    await agents.update("8101", AgentChanges(password="second-password"))

    async with database.sessions() as session:
        stored = await session.scalar(select(Agent.password_hash))
    assert stored is not None and stored.startswith("scrypt$") and "second" not in stored
    assert await agents.authenticate("8101", "second-password") is not None
    assert await agents.authenticate("8101", "first-password") is None


async def test_updates_are_checked_and_need_an_existing_agent(database: Database) -> None:
    agents = AgentRepository(database.sessions)
    await agents.create(newcomer())
    with pytest.raises(InvalidAgentError):
        await agents.update("8101", AgentChanges(languages=("fr",)))
    with pytest.raises(UnknownAgentError) as caught:
        await agents.update("8999", AgentChanges(team="vip", wrapup_seconds=UNSET))
    assert caught.value.code == "unknown-agent"
    assert (await agents.by_extension("8101")) == (await agents.list_profiles())[0]


async def test_delete_removes_skills_and_frees_managed_customers(database: Database) -> None:
    await seed(database.sessions)
    agents = AgentRepository(database.sessions)
    async with database.sessions() as session:
        managed = await session.scalar(
            select(func.count()).where(Customer.account_manager_id.is_not(None))
        )
    assert managed  # the seed gives some customers an account manager
    skills_before = await _count(database, AgentSkill)
    profiles = {p.extension: p for p in await agents.list_profiles()}

    for extension in profiles:
        await agents.delete(extension)

    assert await agents.list_profiles() == []
    assert skills_before > 0 and await _count(database, AgentSkill) == 0
    async with database.sessions() as session:
        still = await session.scalar(
            select(func.count()).where(Customer.account_manager_id.is_not(None))
        )
    assert still == 0
    with pytest.raises(UnknownAgentError):
        await agents.delete("8001")
