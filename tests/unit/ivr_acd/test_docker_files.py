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


def _env(env: dict[str, object] | None = None) -> dict[str, str]:
    env = COMPOSE["x-settings"] if env is None else env
    return {k: re.sub(r"\$\{[^}]+\}", "secret", str(v)) for k, v in env.items()}


CONTROLLER = COMPOSE["services"]["controller"]


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


@pytest.mark.security
def test_the_controller_serves_the_api_in_https_from_mounted_files(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
):
    """Issue 11: never plain HTTP on 0.0.0.0; the TLS files come from the operator's folder."""
    env = _env(CONTROLLER["environment"])
    tls_dir = next(v.split(":")[-2] for v in CONTROLLER["volumes"] if "IVR_ACD_TLS_DIR" in v)
    for key in ("IVR_ACD_WEB__TLS_CERT", "IVR_ACD_WEB__TLS_KEY"):
        assert env[key].startswith(tls_dir + "/")
        local = tmp_path / Path(env[key]).name
        local.write_text("PEM")
        env[key] = str(local)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    web = load_settings().web
    assert web.host == "0.0.0.0" and web.tls_cert is not None and web.tls_key is not None
    assert not web.trusted_proxies


class _UniqueKeys(yaml.SafeLoader):
    """YAML as Docker Compose reads it: a key twice in one mapping is an error, not last-wins."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[object, object]:
        keys = [str(k.value) for k, _ in node.value]
        twice = {k for k in keys if keys.count(k) > 1 and k != "<<"}
        assert not twice, f"line {node.start_mark.line + 1}: {sorted(map(str, twice))} twice"
        return super().construct_mapping(node, deep)


def test_no_service_names_a_key_twice():
    """Compose refuses a service with two `depends_on` (a merge once moved Asterisk's start
    order under fail2ban, where PyYAML kept only the last)."""
    yaml.load((ROOT / "docker/compose.yaml").read_text(), Loader=_UniqueKeys)
    assert COMPOSE["services"]["asterisk"]["depends_on"] == {
        "render-config": {"condition": "service_completed_successfully"}
    }


def test_redis_runs_as_a_primary_a_replica_and_three_sentinels(monkeypatch: pytest.MonkeyPatch):
    services = COMPOSE["services"]
    primary = services["redis"]["command"]
    port = primary[primary.index("--port") + 1]
    replica = services["redis-replica"]["command"]
    assert replica[replica.index("--replicaof") + 1 :] == ["127.0.0.1", port]
    sentinels = [services[f"sentinel-{n}"] for n in (1, 2, 3)]
    ports = {s["environment"]["SENTINEL_PORT"] for s in sentinels}
    conf = (ROOT / "docker/redis/sentinel.conf").read_text()
    for sentinel in sentinels:
        (mount,) = sentinel["volumes"]
        assert (
            ROOT / "docker" / mount.split(":")[0]
        ).resolve() == ROOT / "docker/redis/sentinel.conf"
        assert "--sentinel" in sentinel["command"][-1]
    for key, value in _env().items():
        monkeypatch.setenv(key, value)
    settings = load_settings().redis
    assert {a.rpartition(":")[2] for a in settings.sentinels} == ports and len(ports) == 3
    assert f"sentinel monitor {settings.master_name} 127.0.0.1 {port} 2" in conf
    assert set(services["controller"]["depends_on"]) >= {"sentinel-1", "sentinel-2", "sentinel-3"}
