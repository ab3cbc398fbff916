"""Asterisk's configuration for one instance: ``asterisk-config/`` and ``dialplans/`` rendered
from the settings and the softphones the CRM provisions (``ivr-acd render-config``, live
provisioning, and the dev sandbox alike)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from ivr_acd.render import render_tree
from ivr_acd.settings import Settings
from ivr_acd.wiring.agi import agi_secret, dialplan_agi_targets
from wire.ami import EVENT_CLASSES

PROJECT_ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = (PROJECT_ROOT / "asterisk-config", PROJECT_ROOT / "dialplans")
# The realm Asterisk challenges SIP clients with; the rendered digests are bound to it.
SIP_REALM = "ivr-acd"


class ProvisionedPhone(Protocol):
    @property
    def extension(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def sip_secret(self) -> str: ...
    @property
    def role(self) -> str: ...


def sip_digest(username: str, password: str, realm: str = SIP_REALM) -> str:
    """A ``password_digest`` value: MD5 of ``username:realm:password`` (RFC 2617's HA1), so
    the rendered configuration holds no SIP password."""
    ha1 = hashlib.md5(f"{username}:{realm}:{password}".encode(), usedforsecurity=False)
    return f"MD5:{ha1.hexdigest()}"


def render_config(
    settings: Settings, phones: Sequence[ProvisionedPhone], dest: Path | None = None
) -> list[Path]:
    """Render the templates for these settings and softphones into ``dest`` (by default the
    folder Asterisk reads its configuration from); returns the files written."""
    return render_tree(
        TEMPLATES,
        dest or settings.paths.asterisk_config,
        settings=settings,
        phones=phones,
        all_agents="&".join(f"PJSIP/{p.extension}" for p in phones if p.role == "agent"),
        agi_targets=dialplan_agi_targets(settings),
        agi_secret=agi_secret(settings),
        ami_secret=settings.secret(settings.asterisk.ami_secret, "ami_secret"),
        ami_read=EVENT_CLASSES,
        sip_realm=SIP_REALM,
        sip_digest=sip_digest,
        carrier_password=settings.secret(settings.asterisk.carrier_password, "carrier_password"),
        instance=settings.sandbox.instance,
        paths=settings.paths.instance,
    )
