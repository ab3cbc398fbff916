"""The FastAGI guard's decisions (issue 11, finding 3): whose connection is served, which
script carries the secret, what a route may see, which command is refused before writing."""

from __future__ import annotations

import pytest

from wire.agi_guard import (
    AgiGuard,
    CommandTimeouts,
    UnsafeAgiValue,
    networks,
    refuse_control_characters,
)

pytestmark = [pytest.mark.unit, pytest.mark.security]

SECRET = "Qx7_secret-0123456789"


@pytest.mark.parametrize(
    ("script", "route"),
    [
        (f"{SECRET}/ivr", "ivr"),
        (f"{SECRET}/no-such-route/ivr", "no-such-route/ivr"),
        (f"{SECRET}", ""),
        ("ivr", None),
        ("agent", None),
        (f"{SECRET}x/agent", None),
        (f"{SECRET[:-1]}/agent", None),
        (f"/{SECRET}/agent", None),
        ("密码/agent", None),
        ("", None),
    ],
)
def test_only_a_script_that_starts_with_the_secret_opens_a_route(
    script: str, route: str | None
) -> None:
    assert AgiGuard(SECRET).route_of(script) == route


def test_a_route_sees_the_headers_without_the_secret() -> None:
    headers = {
        "agi_network_script": f"{SECRET}/ivr",
        "agi_request": f"agi://127.0.0.1:4573/{SECRET}/ivr",
        "agi_callerid": "13800138000",
    }
    cleaned = AgiGuard(SECRET).without_secret(headers, "ivr")
    assert cleaned == {
        "agi_network_script": "ivr",
        "agi_request": "agi://127.0.0.1:4573/ivr",
        "agi_callerid": "13800138000",
    }


@pytest.mark.parametrize(
    ("peer", "allowed"),
    [
        (("127.0.0.1", 40000), True),
        (("127.3.2.1", 40000), True),
        (("::1", 40000, 0, 0), True),
        (("::ffff:127.0.0.1", 40000, 0, 0), True),
        (("10.0.0.7", 40000), False),
        (("192.168.1.10", 40000), False),
        (("fe80::1%eth0", 40000, 0, 2), False),
        ("/run/agi.sock", False),
        (None, False),
        (("not-an-address", 1), False),
    ],
)
def test_by_default_only_the_loopback_may_connect(peer: object, allowed: bool) -> None:
    assert AgiGuard(SECRET).peer_allowed(peer) is allowed


def test_a_configured_network_is_allowed_and_nothing_else() -> None:
    guard = AgiGuard(SECRET, allowed_peers=networks(["10.0.0.0/24", "192.168.1.10"]))
    assert guard.peer_allowed(("10.0.0.200", 1))
    assert guard.peer_allowed(("192.168.1.10", 1))
    assert not guard.peer_allowed(("192.168.1.11", 1))
    assert not guard.peer_allowed(("127.0.0.1", 1))


@pytest.mark.parametrize(
    "secret", ["", "short", "x" * 15, "has/slash-0123456789", "a&b-0123456789ab"]
)
def test_a_secret_that_cannot_travel_in_the_url_is_refused(secret: str) -> None:
    with pytest.raises(ValueError, match="AGI secret"):
        AgiGuard(secret)


@pytest.mark.parametrize("bad", ["\r", "\n", "\x00", "\r\n"])
def test_cr_lf_and_nul_are_refused_in_any_command(bad: str) -> None:
    with pytest.raises(UnsafeAgiValue, match="SET VARIABLE"):
        refuse_control_characters(f'SET VARIABLE X "a{bad}EXEC System id"')


def test_a_plain_command_passes() -> None:
    refuse_control_characters('EXEC Playback "hello-world&tt-monkeys"')


def test_a_command_waits_its_own_duration_plus_the_margin() -> None:
    timeouts = CommandTimeouts(margin=10.0, media=300.0)
    assert timeouts.budget(0) == 10.0
    assert timeouts.budget(5.5) == 15.5
    assert timeouts.budget(-1) == 10.0
