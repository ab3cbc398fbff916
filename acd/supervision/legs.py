"""The supervisor's leg in Asterisk, over AMI: ring the supervisor's phone into the
``supervise`` context, switch the running ChanSpy to another mode, hang the leg up; and what
supervision reads of Asterisk (live channels, whether a phone is registered). AMI failures
become ``SpyRefused("asterisk-unavailable")`` here, once."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from acd.supervision.repository import StoredSpySession
from acd.supervision.rules import SpyRefused, chanspy_options
from crm_bridge.vocab import SpyMode
from wire import names
from wire.ami import AmiError

log = logging.getLogger(__name__)

Headers = Mapping[str, str]
NOT_REACHABLE = frozenset({"UNAVAILABLE", "INVALID", ""})


class Ami(Protocol):
    async def action(self, name: str, **fields: str) -> Headers: ...
    async def action_list(self, name: str, **fields: str) -> list[Headers]: ...


@dataclass(frozen=True)
class SpyPlan:
    """What the supervisor's leg runs: ChanSpy on ``target`` with ``options``."""

    session: StoredSpySession
    target: str
    options: str

    def variables(self) -> dict[str, str]:
        return {
            names.VAR_SPY_ID: str(self.session.id),
            names.VAR_SPY_TARGET: self.target,
            names.VAR_SPY_OPTIONS: self.options,
            names.VAR_SPY_MODE: self.session.mode,
        }


class SpyLegs:
    def __init__(self, ami: Ami, ring_seconds: int) -> None:
        self.ami = ami
        self.ring_seconds = ring_seconds

    async def originate(self, plan: SpyPlan, channel_id: str) -> None:
        """Ring the supervisor's phone; once answered it enters ``supervise`` (``s``)."""
        session = plan.session
        agent = session.agent_extension
        variables = ",".join(f"{k}={v}" for k, v in plan.variables().items())
        try:
            await self.ami.action(
                "Originate",
                Channel=f"PJSIP/{session.supervisor_extension}",
                Context=names.CTX_SUPERVISE,
                Exten="s",
                Priority="1",
                Timeout=str(self.ring_seconds * 1000),
                CallerID=f'"{session.mode} {agent}" <{agent}>',
                ChannelId=channel_id,
                Variable=variables,
                Async="true",
            )
        except AmiError as exc:
            raise SpyRefused("asterisk-unavailable", f"the supervisor's phone: {exc}") from exc

    async def switch(self, channel: str, mode: SpyMode, *, in_chanspy: bool) -> None:
        """The new mode's options on the leg; a leg already in ChanSpy is redirected into it
        again (ChanSpy reads its options only when it starts; one still ringing will start
        with the new ones)."""
        options = chanspy_options(mode)
        await self.set_variables(
            channel, {names.VAR_SPY_OPTIONS: options, names.VAR_SPY_MODE: mode.value}
        )
        if not in_chanspy:
            return
        try:
            await self.ami.action(
                "Redirect",
                Channel=channel,
                Context=names.CTX_SUPERVISE,
                Exten=names.EXTEN_SPY,
                Priority="1",
            )
        except AmiError as exc:
            raise SpyRefused("asterisk-unavailable", f"mode not switched: {exc}") from exc

    async def set_variables(self, channel: str, variables: Mapping[str, str]) -> None:
        try:
            for name, value in variables.items():
                await self.ami.action("Setvar", Channel=channel, Variable=name, Value=value)
        except AmiError as exc:
            log.info("spy leg %s: variables not set: %s", channel, exc)

    async def hangup(self, channel: str) -> None:
        try:
            await self.ami.action("Hangup", Channel=channel, Cause="16")
        except AmiError as exc:  # gone already: what we wanted
            log.info("spy leg %s: hang-up: %s", channel, exc)

    async def channels(self) -> list[Headers]:
        try:
            return await self.ami.action_list("CoreShowChannels")
        except AmiError as exc:
            raise SpyRefused("asterisk-unavailable", f"live calls unknown: {exc}") from exc

    async def check_reachable(self, extension: str) -> None:
        """The supervisor's softphone is registered (else Originate would fail unseen)."""
        try:
            answer = await self.ami.action("Getvar", Variable=f"DEVICE_STATE(PJSIP/{extension})")
        except AmiError as exc:
            raise SpyRefused("asterisk-unavailable", f"phone state unknown: {exc}") from exc
        if answer.get("Value", "") in NOT_REACHABLE:
            raise SpyRefused("supervisor-unavailable", f"phone {extension} is not registered")
