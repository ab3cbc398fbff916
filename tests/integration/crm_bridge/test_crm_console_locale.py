"""Revision 0009: each console user's language on their account (``agents.console_locale``),
kept and read back by the agent repository, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from crm_bridge.agent_specs import NewAgent
from crm_bridge.db import Database
from crm_bridge.errors import CrmRejectedError
from crm_bridge.migrate import current_revision, downgrade, upgrade
from crm_bridge.repositories import AgentRepository
from tests.integration.migration_checks import inspected, schema_diff

pytestmark = pytest.mark.integration

AGENT_0008 = (
    "INSERT INTO agents (extension, name, password_hash, sip_secret, languages, team, role) "
    "VALUES ('8101', '赵敏', 'scrypt$x', 'sip-secret', '[\"zh\"]', 'claims', 'agent')"
)


def _agent_columns(connection: Connection) -> set[str]:
    return {column["name"] for column in inspect(connection).get_columns("agents")}


def newcomer(extension: str = "8101") -> NewAgent:
    return NewAgent(extension, "赵敏", "first-password", ("zh",), "claims")


async def test_0009_gives_existing_agents_the_default_and_downgrades_cleanly(db_url: str) -> None:
    await upgrade(db_url, "0008")
    db = Database(db_url)
    try:
        async with db.engine.begin() as connection:
            await connection.execute(text(AGENT_0008))
        await upgrade(db_url, "0009")
        assert await current_revision(db_url) == "0009"
        before = await AgentRepository(db.sessions).by_extension("8101")
    finally:
        await db.close()
    assert before is not None and before.locale is None  # the install's default

    await downgrade(db_url, "0008")
    assert "console_locale" not in await inspected(db_url, _agent_columns)

    await upgrade(db_url)
    assert await inspected(db_url, schema_diff) == []


async def test_a_chosen_language_is_kept_and_every_read_returns_it(database: Database) -> None:
    agents = AgentRepository(database.sessions)
    created = await agents.create(newcomer())
    assert created.locale is None and created.to_dict()["locale"] is None

    assert await agents.set_locale("8101", "en") is True

    found = await agents.by_extension("8101")
    assert found is not None and found.locale == "en" and found.to_dict()["locale"] == "en"
    assert [profile.locale for profile in await agents.list_profiles()] == ["en"]
    signed_in = await agents.authenticate("8101", "first-password")
    assert signed_in is not None and signed_in.locale == "en"

    assert await agents.set_locale("8101", "zh-CN") is True
    again = await agents.by_extension("8101")
    assert again is not None and again.locale == "zh-CN"


async def test_a_language_for_nobody_or_one_the_console_lacks_is_refused(
    database: Database,
) -> None:
    agents = AgentRepository(database.sessions)
    await agents.create(newcomer())

    assert await agents.set_locale("8999", "en") is False
    for wrong in ("fr", "zh", "EN", "zh_CN", ""):
        with pytest.raises(CrmRejectedError) as caught:
            await agents.set_locale("8101", wrong)
        assert caught.value.code == "crm-rejected"
    found = await agents.by_extension("8101")
    assert found is not None and found.locale is None
