"""Derived paths and the Redis prefix are resolved once, in settings, by the sandbox's own
per-instance layout; settings that name a folder win; a copy of the settings resolves again."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from ivr_acd.asterisk_config import render_config
from ivr_acd.settings import Settings, load_settings
from ivr_acd_dev.sandbox import Sandbox
from ivr_acd_dev.stack import settings_env

pytestmark = pytest.mark.unit


def _settings(tmp_path: Path, **overrides: object) -> Settings:
    return load_settings(
        state_dir=tmp_path / "state",
        sandbox={"instance": "test7", "cache_dir": str(tmp_path / "cache")},
        **overrides,
    )


def test_the_instance_layout_in_the_chroot(tmp_path: Path) -> None:
    paths = _settings(tmp_path).paths
    root = tmp_path / "cache" / "sid-root"
    assert paths.redis_prefix == "ivracd:test7"
    assert paths.chroot == root
    assert paths.instance.etc == "/etc/ivr-acd/test7"
    assert paths.asterisk_config == root / "etc/ivr-acd/test7"
    assert paths.cdr_journal == root / "var/lib/ivr-acd/test7/log/cdr-custom/ivr-acd.csv"
    assert paths.prompts_host == root / "var/lib/ivr-acd/test7/sounds"
    assert paths.prompts_asterisk == "/var/lib/ivr-acd/test7/sounds"
    assert paths.recordings == "/var/lib/ivr-acd/test7/recordings"
    state = tmp_path / "state"
    assert (paths.spool, paths.secrets, paths.crm_db) == (
        state / "spool",
        state / "secrets.json",
        state / "crm.db",
    )


def test_the_sandbox_uses_the_same_layout(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    sandbox = Sandbox(settings)
    assert sandbox.root == settings.paths.chroot
    assert sandbox.paths == settings.paths.instance
    assert sandbox.inside(sandbox.paths.etc) == settings.paths.asterisk_config
    assert sandbox.journal_path() == settings.paths.cdr_journal


def test_folders_named_in_the_settings_win(tmp_path: Path) -> None:
    settings = _settings(
        tmp_path,
        asterisk={"config_dir": "/etc/asterisk-prod", "cdr_journal": "/var/log/cdr.csv"},
        prompts={"host_dir": "/srv/sounds", "asterisk_dir": "/sounds"},
        ivr={"recordings_dir": "/recordings"},
    )
    paths = settings.paths
    assert paths.asterisk_config == Path("/etc/asterisk-prod")
    assert paths.cdr_journal == Path("/var/log/cdr.csv")
    assert (paths.prompts_host, paths.prompts_asterisk) == (Path("/srv/sounds"), "/sounds")
    assert paths.recordings == "/recordings"
    assert Sandbox(settings).journal_path() != paths.cdr_journal  # the sandbox keeps its own


def test_prompt_folders_are_taken_only_as_a_pair(tmp_path: Path) -> None:
    paths = _settings(tmp_path, prompts={"host_dir": "/srv/sounds"}).paths
    assert paths.prompts_asterisk == "/var/lib/ivr-acd/test7/sounds"
    assert paths.prompts_host == paths.chroot / "var/lib/ivr-acd/test7/sounds"


def test_a_copy_resolves_its_own_paths(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    assert settings.paths.redis_prefix == "ivracd:test7"  # resolved, and kept
    assert settings.paths is settings.paths
    copy = settings.model_copy(
        update={
            "state_dir": tmp_path / "other",
            "sandbox": settings.sandbox.model_copy(update={"instance": "demo"}),
        }
    )
    assert copy.paths.redis_prefix == "ivracd:demo"
    assert copy.paths.secrets == tmp_path / "other" / "secrets.json"
    assert settings.paths.redis_prefix == "ivracd:test7"


def test_derived_values_are_not_settings(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    assert settings.paths.redis_prefix
    assert "paths" not in settings.model_dump()
    assert not [key for key in settings_env(settings) if key.startswith("IVR_ACD_PATHS")]


def test_the_configuration_is_rendered_for_the_instance(tmp_path: Path) -> None:
    settings = _settings(
        tmp_path,
        asterisk={"ami_secret": SecretStr("s1"), "carrier_password": SecretStr("s2")},
        agi={"secret": SecretStr("agi-secret-0123456789")},
    )
    written = render_config(settings, [])
    assert {path.parent for path in written} == {settings.paths.asterisk_config}
    conf = (settings.paths.asterisk_config / "asterisk.conf").read_text()
    assert "astetcdir => /etc/ivr-acd/test7" in conf
    assert "astlogdir => /var/lib/ivr-acd/test7/log" in conf
