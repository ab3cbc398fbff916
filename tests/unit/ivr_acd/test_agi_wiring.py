"""The FastAGI guard from settings (issue 11, finding 3): the secret generated once and carried
in the rendered dialplan's AGI targets, the allowed Asterisk addresses, one-line errors."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from ivr_acd.asterisk_config import render_config
from ivr_acd.secrets import with_secrets
from ivr_acd.settings import ConfigError, Settings, load_settings
from ivr_acd.wiring.agi import agi_guard, allowed_peers, dialplan_agi_targets
from ivr_acd_dev.stack import settings_env
from wire.agi_guard import networks

pytestmark = [pytest.mark.unit, pytest.mark.security]


def _settings(tmp_path: Path, **overrides: Any) -> Settings:
    return load_settings(
        state_dir=tmp_path / "state",
        sandbox={"instance": "test7", "cache_dir": str(tmp_path / "cache")},
        **overrides,
    )


def test_the_secret_is_generated_once_and_kept(tmp_path: Path) -> None:
    first = with_secrets(_settings(tmp_path))
    secret = first.secret(first.agi.secret, "agi.secret")
    stored = json.loads(first.paths.secrets.read_text())
    assert stored["agi_secret"] == secret and len(secret) >= 16
    assert with_secrets(_settings(tmp_path)).agi.secret == SecretStr(secret)
    assert settings_env(first)["IVR_ACD_AGI__SECRET"] == secret  # a child controller gets it


def test_a_secret_from_the_settings_wins(tmp_path: Path) -> None:
    settings = with_secrets(_settings(tmp_path, agi={"secret": "set-by-the-operator-0123"}))
    assert agi_guard(settings).secret == "set-by-the-operator-0123"


def test_the_dialplan_asks_every_controller_with_the_secret(tmp_path: Path) -> None:
    settings = with_secrets(
        _settings(tmp_path, agi={"targets": ["10.0.0.1:4573", "10.0.0.2:4573"]})
    )
    secret = settings.secret(settings.agi.secret, "agi.secret")
    assert dialplan_agi_targets(settings) == [f"10.0.0.1:4573/{secret}", f"10.0.0.2:4573/{secret}"]
    render_config(settings, [])
    dialplan = (settings.paths.asterisk_config / "extensions.conf").read_text()
    assert f"AGI_TARGETS = 10.0.0.1:4573/{secret}&10.0.0.2:4573/{secret}\n" in dialplan
    bench = (settings.paths.asterisk_config / "bench.conf").read_text()
    assert f"/{secret}/menu)" in bench


@pytest.mark.parametrize(
    ("agi", "message"),
    [
        ({"secret": "short"}, r"^invalid settings: agi\.secret: .*AGI secret"),
        ({"secret": "has/slash-0123456789"}, r"^invalid settings: agi\.secret"),
        ({"allowed_peers": ["asterisk.example"]}, r"^invalid settings: agi\.allowed_peers"),
        ({"max_sessions": 0}, r"^invalid settings: agi\.max_sessions"),
        ({"command_timeout": 0}, r"^invalid settings: agi\.command_timeout"),
    ],
)
def test_a_bad_agi_setting_is_one_line_naming_it(
    tmp_path: Path, agi: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        _settings(tmp_path, agi=agi)
    assert "\n" not in str(caught.value)


def test_by_default_the_loopback_and_the_asterisk_host_may_connect(tmp_path: Path) -> None:
    assert allowed_peers(_settings(tmp_path)) == networks(["127.0.0.0/8", "::1", "127.0.0.1"])
    remote = _settings(tmp_path, asterisk={"host": "10.1.2.3"})
    assert networks(["10.1.2.3"])[0] in allowed_peers(remote)
    listed = _settings(tmp_path, agi={"allowed_peers": ["10.9.0.0/16"]})
    assert allowed_peers(listed) == networks(["10.9.0.0/16"])


def test_an_asterisk_host_by_name_is_allowed_by_its_addresses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def resolve(host: str, *_: object, **__: object) -> list[tuple[object, ...]]:
        if host != "asterisk":
            raise socket.gaierror(f"{host}: Name or service not known")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.1.2.4", 0))]

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    named = _settings(tmp_path, asterisk={"host": "asterisk"})
    assert networks(["10.1.2.4"])[0] in allowed_peers(named)
    unknown = _settings(tmp_path, asterisk={"host": "no-such-host"})
    with pytest.raises(ConfigError, match=r"asterisk\.host .* set agi\.allowed_peers"):
        allowed_peers(unknown)
