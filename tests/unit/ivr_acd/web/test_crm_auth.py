"""Who may act for whom, and which page a log-in may come from: pure rules, literals only."""

from __future__ import annotations

import pytest

from crm_bridge.vocab import Role
from ivr_acd.web.auth.principal import TOKEN_PRINCIPAL, Principal
from ivr_acd.web.auth.routes import _is_this_host

pytestmark = pytest.mark.unit

AGENT = Principal(Role.AGENT, "8001", "claims", "李娜")
SUPERVISOR = Principal(Role.SUPERVISOR, "9001", "claims", "张敏")
ADMIN = Principal(Role.ADMIN, "7001", "ops", "Admin")


@pytest.mark.parametrize(
    ("who", "extension", "team", "allowed"),
    [
        (AGENT, "8001", "claims", True),
        (AGENT, "8002", "claims", False),  # a team mate
        (AGENT, "8001", None, True),
        (SUPERVISOR, "8002", "claims", True),
        (SUPERVISOR, "8003", "sales", False),
        (SUPERVISOR, "8003", None, False),  # team unknown
        (SUPERVISOR, "9001", None, True),  # themself
        (ADMIN, "8003", "sales", True),
        (TOKEN_PRINCIPAL, "8003", None, True),
    ],
)
def test_who_may_act_for_whom(
    who: Principal, extension: str, team: str | None, allowed: bool
) -> None:
    assert who.may_act_for(extension, team) is allowed


@pytest.mark.parametrize(
    ("origin", "host", "same"),
    [
        ("http://127.0.0.1:8080", "127.0.0.1:8080", True),
        ("https://Console.Example:443", "console.example:443", True),
        ("http://127.0.0.1:8081", "127.0.0.1:8080", False),
        ("https://evil.example", "127.0.0.1:8080", False),
        ("null", "127.0.0.1:8080", False),
        ("file://127.0.0.1:8080", "127.0.0.1:8080", False),
    ],
)
def test_a_log_in_page_must_be_of_this_host(origin: str, host: str, same: bool) -> None:
    assert _is_this_host(origin, host) is same
