"""The supervisor's leg in Asterisk, over AMI: ring the supervisor's phone into the
``supervise`` context, switch the running ChanSpy to another mode, hang the leg up; and what
supervision reads of Asterisk (live channels, whether a phone is registered). AMI failures
become ``SpyRefused("asterisk-unavailable")`` here, once."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from acd.supervision.repository import StoredSpySession
from acd.supervision.rules import SpyRefused, chanspy_options
from crm_bridge.vocab import SpyMode
from wire import names
from wire.commands import (
    CallControl,
    CallerId,
    GetVar,
    HangupChannel,
    Originate,
    Redirect,
    set_vars,
)
from wire.errors import AmiError
from wire.replies import ChannelRow

log = logging.getLogger(__name__)

NOT_REACHABLE = frozenset({"UNAVAILABLE", "INVALID", ""})


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
    def __init__(self, ami: CallControl, ring_seconds: int) -> None:
        self.ami = ami
        self.ring_seconds = ring_seconds

    async def originate(self, plan: SpyPlan, channel_id: str) -> None:
        """Ring the supervisor's phone; once answered it enters ``supervise`` (``s``)."""
        session = plan.session
        agent = session.agent_extension
        try:
            await self.ami.send(
                Originate(
                    channel=f"PJSIP/{session.supervisor_extension}",
                    context=names.CTX_SUPERVISE,
                    timeout_ms=self.ring_seconds * 1000,
                    caller_id=CallerId(f"{session.mode} {agent}", agent),
                    channel_id=channel_id,
                    variables=plan.variables(),
                )
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
            await self.ami.send(Redirect(channel, names.CTX_SUPERVISE, names.EXTEN_SPY))
        except AmiError as exc:
            raise SpyRefused("asterisk-unavailable", f"mode not switched: {exc}") from exc

    async def set_variables(self, channel: str, variables: Mapping[str, str]) -> None:
        try:
            for setvar in set_vars(channel, variables):
                await self.ami.send(setvar)
        except AmiError as exc:
            log.info("spy leg %s: variables not set: %s", channel, exc)

    async def hangup(self, channel: str) -> None:
        try:
            await self.ami.send(HangupChannel(channel))
        except AmiError as exc:  # gone already: what we wanted
            log.info("spy leg %s: hang-up: %s", channel, exc)

    async def channels(self) -> tuple[ChannelRow, ...]:
        """What Asterisk has live now (a look-up of its own, for a request)."""
        try:
            return await self.ami.channels()
        except AmiError as exc:
            raise SpyRefused("asterisk-unavailable", f"live calls unknown: {exc}") from exc

    async def check_reachable(self, extension: str) -> None:
        """The supervisor's softphone is registered (else Originate would fail unseen)."""
        try:
            state = await self.ami.get_var(GetVar(f"DEVICE_STATE(PJSIP/{extension})"))
        except AmiError as exc:
            raise SpyRefused("asterisk-unavailable", f"phone state unknown: {exc}") from exc
        if state in NOT_REACHABLE:
            raise SpyRefused("supervisor-unavailable", f"phone {extension} is not registered")
