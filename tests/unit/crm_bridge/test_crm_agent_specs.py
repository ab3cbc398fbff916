"""The rules an agent's data must keep before the CRM stores it (pure)."""

from __future__ import annotations

from typing import Any

import pytest

from crm_bridge.agent_specs import (
    UNSET,
    AgentChanges,
    NewAgent,
    agent_changes,
    checked_changes,
    checked_new_agent,
    new_agent,
)
from crm_bridge.errors import InvalidAgentError

pytestmark = pytest.mark.unit


def body(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "extension": "8101",
        "name": " 王晓 ",
        "password": "s3cret-pass",
        "languages": ["zh", "en", "zh"],
        "team": "claims",
        "skills": {"claims": 4, "vip": 1},
    }
    data.update(changes)
    return data


def test_a_full_body_becomes_a_normalised_new_agent() -> None:
    agent = new_agent(body(wrapup_seconds=20, role="supervisor"))
    assert agent == NewAgent(
        extension="8101",
        name="王晓",
        password="s3cret-pass",
        languages=("zh", "en"),
        team="claims",
        role="supervisor",
        wrapup_seconds=20,
        skills={"claims": 4, "vip": 1},
    )
    assert "s3cret" not in repr(agent)


def test_defaults_role_agent_no_skills_and_the_acds_wrapup() -> None:
    agent = new_agent({k: v for k, v in body().items() if k != "skills"})
    assert (agent.role, agent.wrapup_seconds, dict(agent.skills)) == ("agent", None, {})


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("extension", "80a1"),
        ("extension", "8"),
        ("extension", 8101),
        ("name", "   "),
        ("name", "x" * 101),
        ("password", "short"),
        ("languages", []),
        ("languages", ["fr"]),
        ("languages", "zh"),
        ("languages", [["zh"]]),
        ("team", ""),
        ("role", "boss"),
        ("role", {"agent": 1}),
        ("wrapup_seconds", -1),
        ("wrapup_seconds", 3601),
        ("wrapup_seconds", True),
        ("wrapup_seconds", "15"),
        ("skills", {"claims": 0}),
        ("skills", {"claims": 6}),
        ("skills", {"claims": "3"}),
        ("skills", {"claims": True}),
        ("skills", {"Claims": 3}),
        ("skills", ["claims"]),
    ],
)
def test_each_broken_rule_is_refused_with_a_stable_code(field: str, value: object) -> None:
    with pytest.raises(InvalidAgentError) as caught:
        new_agent(body(**{field: value}))
    assert caught.value.code == "invalid-agent"
    assert field in str(caught.value)


def test_missing_and_unknown_fields_are_refused() -> None:
    with pytest.raises(InvalidAgentError, match="missing password"):
        new_agent({k: v for k, v in body().items() if k != "password"})
    with pytest.raises(InvalidAgentError, match="unknown field"):
        new_agent(body(sip_secret="mine"))


def test_a_patch_changes_only_what_it_names() -> None:
    changes = agent_changes({"skills": {"vip": 5}, "wrapup_seconds": None})
    assert changes == AgentChanges(skills={"vip": 5}, wrapup_seconds=None)
    assert agent_changes({"team": "vip"}).wrapup_seconds is UNSET
    assert agent_changes({}).is_empty()
    assert not changes.is_empty()


@pytest.mark.parametrize(
    "data",
    [{"extension": "8102"}, {"skills": {"vip": 9}}, {"name": None}, {"colour": "blue"}],
)
def test_a_bad_patch_is_refused(data: dict[str, Any]) -> None:
    with pytest.raises(InvalidAgentError):
        agent_changes(data)


def test_objects_built_in_code_go_through_the_same_rules() -> None:
    good = NewAgent("8102", "Ann ", "password1", ("en",), "sales", skills={"sales": 3})
    assert checked_new_agent(good).name == "Ann"
    with pytest.raises(InvalidAgentError):
        checked_new_agent(NewAgent("8102", "Ann", "password1", ("en",), "sales", skills={"x": 7}))
    assert checked_changes(AgentChanges(wrapup_seconds=None)) == AgentChanges(wrapup_seconds=None)
    with pytest.raises(InvalidAgentError):
        checked_changes(AgentChanges(languages=("de",)))


# Finding 2 of issue 11: an 84-character name with line breaks added an endpoint of its own to
# pjsip.conf (``callerid = {{ phone.name }} <ext>``); a name or team is one printable line.
INJECTED_NAMES = [
    "Eve <8001>\n\n[evil]\ntype=endpoint\ncontext=supervise\n",
    "Eve\r[evil]",
    "Eve\x00",
    "Eve\u2028[evil]",  # a Unicode line separator
    "Eve <9001>",
    "Eve; comment",
    "Eve [evil]",
    "context=supervise",
    'Eve "the boss"',
    "Eve\\n",
]


@pytest.mark.security
@pytest.mark.parametrize("field", ["name", "team"])
@pytest.mark.parametrize("value", INJECTED_NAMES)
def test_a_name_or_team_that_would_break_pjsip_conf_is_refused(field: str, value: str) -> None:
    with pytest.raises(InvalidAgentError) as caught:
        new_agent(body(**{field: value}))
    assert str(caught.value).startswith(field), "the reason names the field"
    with pytest.raises(InvalidAgentError):
        agent_changes({field: value})


@pytest.mark.security
@pytest.mark.parametrize("value", ["王晓", "Anne-Marie O'Brien", "Li Wei (claims), 2nd line"])
def test_names_in_any_script_with_ordinary_punctuation_are_kept(value: str) -> None:
    assert new_agent(body(name=value, team=value[:50])).name == value


@pytest.mark.security
def test_every_seeded_agent_keeps_the_rules() -> None:
    from crm_bridge.agent_specs import check_text
    from crm_bridge.seed_data import AGENTS

    for agent in AGENTS:
        assert check_text("name", agent.name) == agent.name
        assert check_text("team", agent.team) == agent.team
