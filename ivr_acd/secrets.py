"""Generated secrets: the AMI secret, the carrier trunk password, the API admin token and the
FastAGI secret Asterisk carries in every AGI URL.

A value set in the environment or the settings file wins; otherwise it is generated once into
``<state_dir>/secrets.json`` (mode 0600, in the state folder, mode 0700) and reused on every
start."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

from pydantic import SecretStr

from ivr_acd.private_files import FILE_MODE, private_dir, write_private
from ivr_acd.settings import ConfigError, Settings

_GENERATED = ("ami_secret", "carrier_password", "api_token", "agi_secret")


def _load_or_create(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    if path.is_file():
        path.chmod(FILE_MODE)
        values = {k: str(v) for k, v in json.loads(path.read_text()).items()}
    missing = [name for name in _GENERATED if not values.get(name)]
    if missing:
        for name in missing:
            values[name] = secrets.token_urlsafe(18)
        write_private(path, json.dumps(values))
    return values


def with_secrets(settings: Settings) -> Settings:
    """Return the settings with every unset secret filled from the state folder's file."""
    try:
        private_dir(settings.state_dir)
        generated = _load_or_create(settings.paths.secrets)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"state_dir: {settings.paths.secrets}: {exc}") from None
    asterisk = settings.asterisk.model_copy(
        update={
            "ami_secret": settings.asterisk.ami_secret or SecretStr(generated["ami_secret"]),
            "carrier_password": settings.asterisk.carrier_password
            or SecretStr(generated["carrier_password"]),
        }
    )
    web = settings.web.model_copy(
        update={"api_token": settings.web.api_token or SecretStr(generated["api_token"])}
    )
    agi = settings.agi.model_copy(
        update={"secret": settings.agi.secret or SecretStr(generated["agi_secret"])}
    )
    return settings.model_copy(update={"asterisk": asterisk, "web": web, "agi": agi})
