"""Generated secrets: the AMI secret, the carrier trunk password, the API admin token and the
FastAGI secret Asterisk carries in every AGI URL.

A value set in the environment or the settings file wins; otherwise it is generated once into
``<state_dir>/secrets.json`` (mode 0600) and reused on every start."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

from pydantic import SecretStr

from ivr_acd.settings import Settings

_GENERATED = ("ami_secret", "carrier_password", "api_token", "agi_secret")


def _load_or_create(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    if path.is_file():
        values = {k: str(v) for k, v in json.loads(path.read_text()).items()}
    missing = [name for name in _GENERATED if not values.get(name)]
    if missing:
        for name in missing:
            values[name] = secrets.token_urlsafe(18)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(values, handle)
        tmp.replace(path)
    return values


def with_secrets(settings: Settings) -> Settings:
    """Return the settings with every unset secret filled from the state folder's file."""
    generated = _load_or_create(settings.paths.secrets)
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
