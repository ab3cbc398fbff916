"""Typed, layered settings: defaults < YAML file < environment, validated once at start-up.

Environment variables use the prefix ``IVR_ACD_`` and ``__`` between levels, e.g.
``IVR_ACD_WEB__PORT=8081`` or ``IVR_ACD_DATABASE__URL=postgresql+asyncpg://...``.
The YAML file is named by ``IVR_ACD_CONFIG`` (or ``--config`` on the command line); see
``config.example.yaml``. Secrets come only from the environment or from files: when one is not
set, :func:`ivr_acd.secrets.load_or_create` generates it into ``<state_dir>/secrets``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from contextvars import ContextVar
from functools import cached_property
from ipaddress import ip_network
from pathlib import Path
from typing import Any, Literal, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails
from pydantic_settings import (
    BaseSettings,
    InitSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
)

from acd.config import AcdSettings
from acd.dunning.config import CampaignSettings
from ivr_acd.paths import Overrides, Paths, resolve_paths
from ivr_acd.settings_sources import (
    CONFIG_VARIABLE,
    SourceError,
    one_line,
    read_yaml,
    unknown_variables,
)
from ivr_acd.settings_urls import check_database_url, check_host_port, check_redis_url
from wire.agi_guard import check_secret, networks

Port = int

# The settings file's contents while load_settings builds the settings (read_yaml checked it).
_FILE_DATA: ContextVar[dict[str, Any] | None] = ContextVar("ivr_acd_file_data", default=None)


class ConfigError(Exception):
    """A setting is missing or invalid; the message (one line) says which and why."""


class Section(BaseModel):
    """A section of the settings: a key it does not know is an error, not silently ignored."""

    model_config = ConfigDict(extra="forbid")


# A file Asterisk reads, as Asterisk sees it: absolute, nothing that ends or comments a line.
_ASTERISK_FILE = r"^/[^\x00-\x1f\x7f;]+$"


class SipTlsSettings(Section):
    """SIP over TLS for the agents' and supervisors' softphones (pjsip ``transport-tls``)."""

    port: Port = Field(5061, ge=1, le=65535)
    cert_file: str = Field(
        pattern=_ASTERISK_FILE, description="PEM certificate, as Asterisk sees it"
    )
    key_file: str = Field(pattern=_ASTERISK_FILE, description="its PEM private key")
    ca_file: str | None = Field(None, pattern=_ASTERISK_FILE, description="CA chain to send")


class AsteriskSettings(Section):
    host: str = "127.0.0.1"
    sip_port: Port = Field(5060, ge=1, le=65535)
    ami_port: Port = Field(5038, ge=1, le=65535)
    ami_username: str = Field("ivracd", pattern=r"^[A-Za-z0-9_-]+$")
    ami_secret: SecretStr | None = None
    rtp_start: Port = Field(10000, ge=1024, le=65000)
    rtp_end: Port = Field(10999, ge=1024, le=65534)
    carrier_username: str = Field("carrier", pattern=r"^[A-Za-z0-9_-]+$")
    carrier_password: SecretStr | None = None
    carrier_match: str | None = Field(
        None, description="also identify the carrier by this source address or network"
    )
    sip_bind: str = Field("127.0.0.1", description="address the SIP transport binds to")
    cdr_journal: Path | None = Field(
        None, description="the CDR journal file Asterisk writes (cdr_custom); sandbox path if unset"
    )
    bench_endpoint: bool = Field(
        False, description="provision the `bench` SIP endpoint the benchmarks dial in with"
    )
    config_dir: Path | None = Field(
        None, description="where Asterisk reads its configuration; the sandbox's if unset"
    )
    hotline_did: str = Field("4008001000", pattern=r"^[0-9]+$")
    direct_lines: dict[str, str] = Field(
        default_factory=dict,
        description="DID -> skill: numbers that skip the IVR and go straight to the ACD",
    )

    @field_validator("direct_lines")
    @classmethod
    def _direct_lines(cls, lines: dict[str, str]) -> dict[str, str]:
        for did, skill in lines.items():
            if not did.isdigit() or not skill.replace("-", "").isalnum():
                raise ValueError(f"direct line {did!r} -> {skill!r}: digits -> a skill name")
        return lines

    agent_ring_seconds: int = Field(30, ge=5, le=600)
    sip_tls: SipTlsSettings | None = Field(
        None, description="softphones register and are called over TLS; over UDP if unset"
    )
    srtp: bool = Field(False, description="softphones' media as SRTP (SDES keys, needs sip_tls)")

    @model_validator(mode="after")
    def _rtp_range(self) -> AsteriskSettings:
        if self.rtp_end <= self.rtp_start:
            raise ValueError("rtp_end must be above rtp_start")
        return self

    @model_validator(mode="after")
    def _srtp_needs_tls(self) -> AsteriskSettings:
        if self.srtp and self.sip_tls is None:
            raise ValueError("srtp needs sip_tls: SDES sends the media keys in the SIP message")
        return self


class SandboxSettings(Section):
    cache_dir: Path = Field(
        Path(os.environ.get("XDG_CACHE_HOME", str(Path.home() / ".cache"))) / "ivr-acd",
        description="where the Debian sid chroot is built once, outside the checkout",
    )
    instance: str = Field("main", pattern=r"^[a-z0-9-]+$")
    boot_timeout: float = Field(60.0, gt=0)

    @field_validator("cache_dir")
    @classmethod
    def _expand(cls, value: Path) -> Path:
        return value.expanduser()


class AgiSettings(Section):
    host: str = "127.0.0.1"
    port: Port = Field(4573, ge=1, le=65535)
    targets: list[str] = Field(
        default_factory=list,
        description="host:port of every controller Asterisk spreads calls across; "
        "this controller alone if empty",
    )
    secret: SecretStr | None = Field(
        None, description="carried by Asterisk in every AGI URL; generated into secrets if unset"
    )
    allowed_peers: list[str] = Field(
        default_factory=list,
        description="Asterisk's addresses or networks; loopback and asterisk.host if empty",
    )
    command_timeout: float = Field(10.0, gt=0, le=600, description="seconds beyond a command's own")
    media_timeout: float = Field(
        300.0, gt=0, le=7200, description="longest prompt or media command"
    )
    max_sessions: int = Field(2000, ge=1, le=100_000, description="more connections are refused")

    @field_validator("secret")
    @classmethod
    def _secret(cls, secret: SecretStr | None) -> SecretStr | None:
        if secret is not None:
            check_secret(secret.get_secret_value())
        return secret

    @field_validator("allowed_peers")
    @classmethod
    def _peers(cls, peers: list[str]) -> list[str]:
        for peer in peers:
            try:
                networks([peer])
            except ValueError as exc:
                raise ValueError(f"agi allowed peer {peer!r} is not an address or network") from exc
        return peers

    @field_validator("targets")
    @classmethod
    def _host_ports(cls, targets: list[str]) -> list[str]:
        for target in targets:
            host, _, port = target.rpartition(":")
            if not host or not port.isdigit() or not 0 < int(port) < 65536:
                raise ValueError(f"agi target {target!r} is not host:port")
        return targets

    def all_targets(self) -> list[str]:
        return self.targets or [f"{self.host}:{self.port}"]


class WebSettings(Section):
    host: str = "127.0.0.1"
    port: Port = Field(8080, ge=1, le=65535)
    api_token: SecretStr | None = None
    session_hours: float = Field(8.0, gt=0, le=24 * 30, description="console idle expiry")
    login_attempts: int = Field(5, ge=1, le=100, description="failed log-ins before a pause")
    login_window_seconds: int = Field(300, ge=1, le=86400, description="...counted in this")
    tls_cert: Path | None = Field(None, description="PEM certificate (chain): serve HTTPS")
    tls_key: Path | None = Field(None, description="PEM private key of tls_cert")
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="addresses / networks whose X-Forwarded-Proto and -For are believed",
    )
    max_body_bytes: int = Field(256 * 1024, ge=1024, le=64 * 1024 * 1024)
    audit_retention_days: int = Field(365, ge=183, description="audit log kept (6 months min.)")
    default_locale: Literal["zh-CN", "en"] = Field(
        "zh-CN", description="the console's language for a user who has not chosen one"
    )

    @field_validator("tls_cert", "tls_key")
    @classmethod
    def _readable(cls, value: Path | None) -> Path | None:
        if value is not None and not (value.is_file() and os.access(value, os.R_OK)):
            raise ValueError(f"{value} is not a readable file")
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, proxies: list[str]) -> list[str]:
        for proxy in proxies:
            try:
                ip_network(proxy, strict=False)
            except ValueError as exc:
                raise ValueError(f"trusted proxy {proxy!r} is not an address or network") from exc
        return proxies

    @model_validator(mode="after")
    def _cert_and_key(self) -> WebSettings:
        if (self.tls_cert is None) != (self.tls_key is None):
            raise ValueError("tls_cert and tls_key go together")
        return self


class DatabaseSettings(Section):
    url: str | None = Field(None, description="SQLAlchemy async URL; SQLite file by default")

    @field_validator("url")
    @classmethod
    def _database_url(cls, value: str | None) -> str | None:
        if value is not None:
            check_database_url(value)
        return value


class RedisSettings(Section):
    url: str = "redis://127.0.0.1:6379/0"
    sentinels: list[str] = Field(
        default_factory=list,
        description="host:port of each Redis Sentinel; when set, the controller asks them for "
        "the master (url then gives only the database number and credentials)",
    )
    master_name: str = Field("ivracd", min_length=1, description="the master the Sentinels watch")

    @field_validator("url")
    @classmethod
    def _redis_url(cls, value: str) -> str:
        check_redis_url(value)
        return value

    @field_validator("sentinels")
    @classmethod
    def _sentinels(cls, value: list[str]) -> list[str]:
        for address in value:
            check_host_port(address)
        return value


class ControllerSettings(Section):
    grace_period: float = Field(30.0, ge=0, description="seconds live IVR sessions may finish")
    cdr_settle: float = Field(1.0, ge=0, description="seconds to wait for late CDR segments")
    spool_replay_interval: float = Field(2.0, gt=0)
    database_wait: float = Field(30.0, ge=0, description="seconds to wait for the DB at start")
    journal_interval: float = Field(30.0, gt=0, description="seconds between journal checks")


class IvrSettings(Section):
    menu_file: Path | None = Field(None, description="menu tree YAML; the default hotline if unset")
    time_zone: str = Field("Asia/Shanghai", description="the hotline's dates (due, promises)")
    recordings_dir: str | None = Field(
        None, description="where Asterisk writes complaint recordings (as Asterisk sees it)"
    )

    @field_validator("time_zone")
    @classmethod
    def _zone_exists(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value


class SpeechSettings(Section):
    models: dict[str, Path] = Field(
        default_factory=dict,
        description="Vosk model folder per call language (zh, en); speech is off without one",
    )
    audiosocket_host: str = "127.0.0.1"
    audiosocket_port: Port = Field(4574, ge=1, le=65535)
    listen_seconds: float = Field(5.0, gt=0, le=30)

    @field_validator("models")
    @classmethod
    def _models_exist(cls, models: dict[str, Path]) -> dict[str, Path]:
        for language, folder in models.items():
            if not folder.is_dir():
                raise ValueError(f"the {language} model folder {folder} does not exist")
        return models


class PromptSettings(Section):
    host_dir: Path | None = Field(None, description="where prompt WAVs are written")
    asterisk_dir: str | None = Field(None, description="the same folder as Asterisk sees it")
    recorded_dir: Path | None = Field(None, description="recorded prompts that win over TTS")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="IVR_ACD_", env_nested_delimiter="__", extra="forbid"
    )

    state_dir: Path = Path("var")
    asterisk: AsteriskSettings = AsteriskSettings()
    sandbox: SandboxSettings = SandboxSettings()
    agi: AgiSettings = AgiSettings()
    web: WebSettings = WebSettings()
    database: DatabaseSettings = DatabaseSettings()
    redis: RedisSettings = RedisSettings()
    controller: ControllerSettings = ControllerSettings()
    ivr: IvrSettings = IvrSettings()
    prompts: PromptSettings = PromptSettings()
    speech: SpeechSettings = SpeechSettings()
    acd: AcdSettings = AcdSettings()
    campaigns: CampaignSettings = CampaignSettings()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        file_data = _FILE_DATA.get()
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if file_data:
            sources.append(InitSettingsSource(settings_cls, file_data))
        return tuple(sources)

    @cached_property
    def paths(self) -> Paths:
        """Every derived path and the Redis prefix, resolved once (``ivr_acd.paths``)."""
        return resolve_paths(
            self.sandbox.instance,
            self.sandbox.cache_dir,
            self.state_dir,
            Overrides(
                config_dir=self.asterisk.config_dir,
                cdr_journal=self.asterisk.cdr_journal,
                prompts_host_dir=self.prompts.host_dir,
                prompts_asterisk_dir=self.prompts.asterisk_dir,
                recordings_dir=self.ivr.recordings_dir,
            ),
        )

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A copy with ``update`` applied; its paths are resolved again from its own fields."""
        copied = super().model_copy(update=update, deep=deep)
        copied.__dict__.pop("paths", None)
        return copied

    @property
    def database_url(self) -> str:
        if self.database.url:
            return self.database.url
        return f"sqlite+aiosqlite:///{self.paths.crm_db.resolve()}"

    @property
    def spool_dir(self) -> Path:
        return self.paths.spool

    def secret(self, value: SecretStr | None, name: str) -> str:
        if value is None:
            raise ConfigError(f"secret {name} is not set (environment or secrets file)")
        return value.get_secret_value()


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """Build and validate the settings from the file (``config_file``, else the one
    ``IVR_ACD_CONFIG`` names) and the environment; anything wrong raises ConfigError with a
    one-line message naming the setting: a missing or malformed file, an unknown key in the
    file or an ``IVR_ACD_*`` variable that names no setting, an invalid value."""
    if config_file is None and os.environ.get(CONFIG_VARIABLE):
        config_file = Path(os.environ[CONFIG_VARIABLE])
    try:
        file_data = read_yaml(config_file) if config_file is not None else None
    except SourceError as exc:
        raise ConfigError(str(exc)) from None
    unknown = unknown_variables(os.environ, Settings)
    if unknown:
        raise ConfigError(f"unknown setting in the environment: {', '.join(unknown)}")
    token = _FILE_DATA.set(file_data)
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise ConfigError(f"invalid settings: {_problems(exc)}") from None
    except SettingsError as exc:
        raise ConfigError(f"invalid settings: {one_line(str(exc))}") from None
    finally:
        _FILE_DATA.reset(token)


def _problems(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in err['loc'])}: {_reason(err)}" for err in exc.errors()
    )


def _reason(err: ErrorDetails) -> str:
    if err["type"] == "extra_forbidden":
        return "unknown setting"
    return one_line(err["msg"].removeprefix("Value error, "))
