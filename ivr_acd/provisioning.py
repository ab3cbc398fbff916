"""Live provisioning: when agents change in the CRM, render Asterisk's configuration again and
have Asterisk reload PJSIP and the dialplan (no restart, calls in progress are untouched)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Protocol

from ivr_acd.asterisk_config import ProvisionedPhone, render_config
from ivr_acd.settings import Settings
from wire.ami import AmiClient

log = logging.getLogger(__name__)

RELOADS = ("module reload res_pjsip.so", "dialplan reload")


class ProvisionedAgents(Protocol):
    async def list_provisioned(self) -> Sequence[ProvisionedPhone]: ...


class Provisioner:
    def __init__(self, settings: Settings, agents: ProvisionedAgents, ami: AmiClient) -> None:
        self._settings = settings
        self._agents = agents
        self._ami = ami
        self._lock = asyncio.Lock()  # two changes in a row render and reload one after the other

    async def apply(self) -> int:
        """Render for the agents now in the CRM and reload; returns how many softphones."""
        async with self._lock:
            phones = list(await self._agents.list_provisioned())
            dest = self._settings.paths.asterisk_config
            await asyncio.to_thread(render_config, self._settings, phones, dest)
            for command in RELOADS:
                await self._ami.command(command)
            log.info("provisioned %d softphone(s) live", len(phones))
            return len(phones)
