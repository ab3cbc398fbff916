"""What can be checked of docker/ on a machine without a Docker engine: the compose file parses,
every build points at a Dockerfile whose COPY sources exist, and every setting it passes is a
real setting that validates."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from ivr_acd.settings import Settings, load_settings

pytestmark = pytest.mark.unit

ROOT = Path(__file__).parents[3]
COMPOSE = yaml.safe_load((ROOT / "docker/compose.yaml").read_text())


def test_services_and_builds_exist():
    assert {"asterisk", "controller", "redis", "postgres", "render-config"} <= set(
        COMPOSE["services"]
    )
    for service in COMPOSE["services"].values():
        build = service.get("build")
        if build is None:
            continue
        dockerfile = ROOT / "docker" / build["context"] / build["dockerfile"]
        assert dockerfile.is_file(), dockerfile
        for source in re.findall(r"^COPY (.+) \S+$", dockerfile.read_text(), re.M):
            for part in source.split():
                assert (ROOT / part).exists(), f"{dockerfile.name} copies missing {part}"


def _env() -> dict[str, str]:
    env = COMPOSE["x-settings"]
    return {k: re.sub(r"\$\{[^}]+\}", "secret", str(v)) for k, v in env.items()}


def test_every_setting_passed_by_compose_is_a_real_one(monkeypatch: pytest.MonkeyPatch):
    for key, value in _env().items():
        section, _, field = key.removeprefix("IVR_ACD_").lower().partition("__")
        model = Settings.model_fields[section].annotation
        assert field in model.model_fields, key  # type: ignore[union-attr]
        monkeypatch.setenv(key, value)
    settings = load_settings()
    assert settings.asterisk.sip_bind == "0.0.0.0"
    assert settings.database_url.startswith("postgresql+asyncpg://")


def test_the_asterisk_image_runs_the_rendered_instance():
    dockerfile = (ROOT / "docker/Dockerfile.asterisk").read_text()
    assert "/etc/ivr-acd/main/asterisk.conf" in dockerfile
    assert "/var/lib/ivr-acd/main/run" in dockerfile
