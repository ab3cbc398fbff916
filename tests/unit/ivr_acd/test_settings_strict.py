"""Finding 6 of issue 11: configuration errors were silently ignored. Now an unknown key (file
or environment), a missing settings file, a YAML syntax error, a bad service URL or a missing
speech model each stop the start with one line naming the setting."""

from pathlib import Path

import pytest
from pydantic import BaseModel

from ivr_acd.settings import ConfigError, Settings, load_settings
from ivr_acd.settings_sources import _section, unknown_variables
from ivr_acd_dev.stack import settings_env

pytestmark = [pytest.mark.unit, pytest.mark.security]


@pytest.fixture(autouse=True)
def _no_config_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("IVR_ACD_CONFIG", raising=False)


def _load_error(**kwargs: object) -> str:
    with pytest.raises(ConfigError) as failure:
        load_settings(**kwargs)  # type: ignore[arg-type]
    message = str(failure.value)
    assert "\n" not in message
    return message


def _sections(model: type[BaseModel]) -> list[type[BaseModel]]:
    found: list[type[BaseModel]] = []
    for field in model.model_fields.values():
        annotation = field.annotation
        inner = [*getattr(annotation, "__args__", ()), annotation]
        for candidate in inner:
            section = _section(candidate)
            if section is not None and section not in found:
                found += [section, *_sections(section)]
    return found


def test_every_section_of_the_settings_forbids_unknown_keys() -> None:
    sections = _sections(Settings)
    assert len(sections) >= 13  # asterisk ... campaigns, and the escalation steps inside acd
    loose = [s.__name__ for s in sections if s.model_config.get("extra") != "forbid"]
    assert loose == []


@pytest.mark.parametrize(
    ("yaml_text", "named"),
    [
        ("asterisk:\n  sip_prot: 5061\n", "asterisk.sip_prot: unknown setting"),
        ("acd:\n  escalation:\n    - {after_seconds: 5, name: a, min_levl: 1}\n", "min_levl"),
        ("campaigns:\n  ring_secs: 20\n", "campaigns.ring_secs: unknown setting"),
        ("redis:\n  url: redis://127.0.0.1:6379/0\n  pasword: x\n", "redis.pasword"),
        ("controler:\n  grace_period: 1\n", "controler: unknown setting"),
    ],
)
def test_an_unknown_key_in_the_file_is_named(tmp_path: Path, yaml_text: str, named: str) -> None:
    config = tmp_path / "settings.yaml"
    config.write_text(yaml_text)
    assert named in _load_error(config_file=config)


@pytest.mark.parametrize(
    "variable",
    ["IVR_ACD_ASTERISK__SIP_PROT", "IVR_ACD_WEB_PORT", "IVR_ACD_NOPE", "ivr_acd_redis__uri"],
)
def test_an_unknown_environment_variable_is_named(
    monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    monkeypatch.setenv(variable, "1")
    message = _load_error()
    assert message == f"unknown setting in the environment: {variable}"


def test_the_projects_own_variables_and_real_settings_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("IVR_ACD_TEST_SLOT", "IVR_ACD_BENCH_BEFORE", "IVR_ACD_SCREENSHOTS"):
        monkeypatch.setenv(name, "3")
    monkeypatch.setenv("IVR_ACD_WEB__PORT", "8181")
    monkeypatch.setenv("IVR_ACD_STATE_DIR", "/tmp/x")
    monkeypatch.setenv("IVR_ACD_ACD__WRAPUP_SECONDS__SALES", "5")  # a mapping's key
    settings = load_settings()
    assert settings.web.port == 8181 and settings.acd.wrapup_seconds["sales"] == 5


def test_the_dev_stacks_child_environment_names_only_settings() -> None:
    assert unknown_variables(settings_env(load_settings()), Settings) == []


def test_ivr_acd_config_naming_a_missing_file_fails_like_config(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("IVR_ACD_CONFIG", str(tmp_path / "missing.yaml"))
    assert _load_error() == f"config file {tmp_path / 'missing.yaml'} does not exist"


def test_ivr_acd_config_is_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    config = tmp_path / "settings.yaml"
    config.write_text("web:\n  port: 8282\n")
    monkeypatch.setenv("IVR_ACD_CONFIG", str(config))
    assert load_settings().web.port == 8282


@pytest.mark.parametrize(
    ("yaml_text", "expected"),
    [
        ("asterisk:\n  sip_port: [5060\n", "YAML syntax error at line 3 column 1"),
        ("web:\n\tport: 1\n", "YAML syntax error at line 2 column 1"),
        ("- a list\n", "the top level must be a mapping"),
    ],
)
def test_a_malformed_file_is_one_line(tmp_path: Path, yaml_text: str, expected: str) -> None:
    config = tmp_path / "settings.yaml"
    config.write_text(yaml_text)
    message = _load_error(config_file=config)
    assert message.startswith(f"config file {config}: ") and expected in message


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"redis": {"url": "http://127.0.0.1:6379"}}, "redis.url: not a Redis URL"),
        ({"redis": {"url": "redis://host:port/0"}}, "redis.url: not a Redis URL"),
        ({"redis": {"sentinels": ["127.0.0.1"]}}, "redis.sentinels: not host:port: '127.0.0.1'"),
        ({"redis": {"sentinels": ["s1:26379", "s2:0"]}}, "redis.sentinels: not host:port: 's2:0'"),
        ({"redis": {"master_name": ""}}, "redis.master_name"),
        ({"database": {"url": "sqlite:///crm.db"}}, "database.url: the driver is not an asyncio"),
        ({"database": {"url": "postgresql+asyncpg://u:secret@h:xx/db"}}, "database.url: not a "),
        ({"database": {"url": "nosuch+driver://h/db"}}, "database.url: unknown database driver"),
        ({"speech": {"models": {"en": "/no/such/model"}}}, "speech.models: the en model folder"),
    ],
)
def test_bad_service_settings_are_one_line_naming_the_setting(
    overrides: dict[str, object], expected: str
) -> None:
    message = _load_error(**overrides)
    assert message.startswith("invalid settings: ") and expected in message
    assert "secret" not in message  # the URL's password is not echoed


def test_a_malformed_environment_value_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IVR_ACD_SPEECH__MODELS", '{"en": ')
    assert "speech" in _load_error()


def test_good_service_settings_load(tmp_path: Path) -> None:
    settings = load_settings(
        redis={"url": "unix:///run/redis.sock"},
        database={"url": "postgresql+asyncpg://u@127.0.0.1:5432/test"},
        speech={"models": {"ko": str(tmp_path)}},
    )
    assert settings.speech.models == {"ko": tmp_path}
    assert settings.redis.sentinels == [] and settings.redis.master_name == "ivracd"


def test_sentinel_addresses_load(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IVR_ACD_REDIS__SENTINELS", '["sentinel-1:26379", "[::1]:26380"]')
    settings = load_settings(redis={"master_name": "acd"})
    assert settings.redis.sentinels == ["sentinel-1:26379", "[::1]:26380"]
    assert settings.redis.master_name == "acd"
