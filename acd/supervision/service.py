"""Supervision's use cases: a supervisor listens to, whispers to or barges into an agent's live
call, switches mode, ends it; every step is kept in the CRM's audit trail
(``acd.supervision.repository``). The decisions are ``acd.supervision.rules``'s; this module runs
them
against Asterisk (AMI) and the CRM.

How a session runs: the REST API's ``start`` originates the supervisor's phone into the
dialplan's ``supervise`` context (uniqueid ``spy-<nonce>``); once answered, ChanSpy runs on the
agent's channel with the mode's options. A feature code (``*22`` + extension...) comes in
through the ``spy`` AGI route (:class:`SpyFeature`) on the supervisor's own call. A mode change
from the API sets ``SPY_OPTIONS`` on the supervisor's leg and redirects it into ChanSpy again; a
key (4, 5, 6) switches inside ChanSpy and is seen here as a ``DTMFEnd`` event.

The controller that started a session watches its leg's events (``owned``); ``sweep`` ends
sessions whose leg is gone unseen (a controller restarted meanwhile).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Final, Protocol

from acd.events import endpoint_of
from acd.supervision.legs import SpyLegs, SpyPlan
from acd.supervision.repository import NewSpySession, SpyRepository, StoredSpySession
from acd.supervision.rules import (
    AgentLeg,
    Person,
    Requester,
    SpyRefused,
    agent_legs,
    call_known,
    chanspy_options,
    check_requester,
    check_supervisor,
    mode_for_digit,
    parse_mode,
    supervisor_for,
)
from crm_bridge.agent_repository import AgentProfile
from crm_bridge.errors import SpySessionEndedError, SpySessionNotFoundError
from crm_bridge.sqltypes import utc_now
from crm_bridge.vocab import Role, SpyChangeSource, SpyEndReason, SpyMode, SpyOrigin
from wire import names
from wire.commands import CallControl
from wire.events import (
    AmiEvent,
    DtmfEnd,
    Hangup,
    OriginateResponse,
    Resync,
    SpyAnswered,
    SpyEnded,
)
from wire.replies import ChannelRow

log = logging.getLogger(__name__)

SWEEP_MARGIN: Final = timedelta(seconds=15)


class People(Protocol):
    """The CRM's agents, supervisors and admins (``AgentRepository``)."""

    async def by_extension(self, extension: str) -> AgentProfile | None: ...


class Supervision:
    def __init__(
        self,
        ami: CallControl,
        people: People,
        spies: SpyRepository,
        *,
        ring_seconds: int = 30,
        now: Callable[[], datetime] = utc_now,
    ) -> None:
        self.legs = SpyLegs(ami, ring_seconds)
        self.people = people
        self.spies = spies
        self.ring_seconds = ring_seconds
        self.now = now
        self.owned: dict[str, int] = {}  # supervisor leg's uniqueid -> spy id

    # ---- the REST API's port -------------------------------------------------------------
    async def start(
        self, call_id: str, mode: str, supervisor: str | None, requester: Requester
    ) -> StoredSpySession:
        """Ring the supervisor's phone; once answered they spy on the call's agent."""
        spy_mode = parse_mode(mode)
        extension = supervisor_for(requester, supervisor)
        channels = await self.legs.channels()
        if not call_known(channels, call_id):
            raise SpyRefused("call-not-found", f"no live call {call_id}")
        leg = await self._agent_leg(channels, {call_id})
        if leg is None:
            raise SpyRefused("call-has-no-agent", f"call {call_id} has no agent talking yet")
        agent = await self._person(leg.extension)
        check_requester(requester, agent)
        await self._check_supervisor(extension, agent)
        await self.legs.check_reachable(extension)
        channel_id = f"{names.SPY_CHANNEL_PREFIX}{uuid.uuid4().hex}"
        plan = await self._open(leg, spy_mode, extension, requester, SpyOrigin.API, channel_id)
        await self._originate(plan, channel_id)
        return plan.session

    async def change_mode(self, spy_id: int, mode: str, requester: Requester) -> StoredSpySession:
        spy_mode = parse_mode(mode)
        stored = await self._session_for(spy_id, requester)
        updated = await self.spies.change_mode(spy_id, spy_mode.value, SpyChangeSource.API.value)
        if updated.mode != stored.mode and updated.supervisor_channel:
            in_chanspy = updated.answered_at is not None
            await self.legs.switch(updated.supervisor_channel, spy_mode, in_chanspy=in_chanspy)
            _log(updated, f"mode {stored.mode} -> {updated.mode} by the API")
        return updated

    async def end(self, spy_id: int, requester: Requester) -> StoredSpySession:
        """Hang up the supervisor's leg; ending an ended session changes nothing."""
        stored = await self._session_for(spy_id, requester)
        if stored.live and await self.spies.end(spy_id, SpyEndReason.ENDED_BY_API.value):
            _log(stored, "ended by the API")
            if stored.supervisor_channel:
                await self.legs.hangup(stored.supervisor_channel)
        return await self._get(spy_id)

    async def audit(
        self, requester: Requester, since: datetime | None, limit: int
    ) -> list[StoredSpySession]:
        """The trail, newest first: an admin's all of it, a supervisor's their own sessions."""
        own = None if requester.role == Role.ADMIN.value else requester.extension or ""
        return await self.spies.list(since=since, limit=limit, supervisor=own)

    # ---- a feature code on the supervisor's phone ----------------------------------------
    async def start_from_phone(
        self, supervisor: str, agent: str, mode: str, channel_uniqueid: str
    ) -> SpyPlan:
        """``*22`` / ``*23`` / ``*24`` + ``agent`` keyed on ``supervisor``'s phone, whose call
        (``channel_uniqueid``) becomes the spy leg; same rule as the API."""
        spy_mode = parse_mode(mode)
        caller = await self._person(supervisor)
        requester = Requester(caller.role, caller.extension, caller.team, caller.extension)
        channels = await self.legs.channels()
        calls = {row.linkedid for row in channels if endpoint_of(row.channel) == agent}
        leg = await self._agent_leg(channels, calls, agent)
        if leg is None:
            raise SpyRefused("call-has-no-agent", f"agent {agent} is not on a call")
        target = await self._person(leg.extension)
        check_requester(requester, target)
        check_supervisor(caller, supervisor, target)
        origin = SpyOrigin.FEATURE_CODE
        plan = await self._open(leg, spy_mode, supervisor, requester, origin, channel_uniqueid)
        await self.spies.answered(plan.session.id)
        return plan

    # ---- Asterisk's events (in order, from the controller's one consumer) ----------------
    async def apply(self, event: AmiEvent) -> None:
        if isinstance(event, Resync):
            await self.sweep(event.rows)
        elif isinstance(event, SpyAnswered | SpyEnded):
            await self._spy_event(event)
        elif isinstance(event, DtmfEnd):
            await self._key(event)
        elif isinstance(event, Hangup) and event.uniqueid in self.owned:
            await self._leg_gone(self.owned.pop(event.uniqueid))
        elif isinstance(event, OriginateResponse) and not event.success:
            spy_id = self.owned.pop(event.uniqueid, None)
            if spy_id is not None:
                await self._finish(spy_id, SpyEndReason.NOT_ANSWERED, f"reason {event.reason}")

    async def sweep(self, channels: Iterable[ChannelRow] | None = None) -> int:
        """End open sessions whose supervisor leg Asterisk no longer has (their end was missed:
        a controller restarted, AMI dropped). ``channels``: what Asterisk has live (after a
        reconnect, the resync's); asked for when not given. Returns how many were ended."""
        if channels is None:
            try:
                channels = await self.legs.channels()
            except SpyRefused as exc:
                log.warning("spy sweep skipped: %s", exc)
                return 0
        live = {row.uniqueid for row in channels}
        settled = self.now() - timedelta(seconds=self.ring_seconds) - SWEEP_MARGIN
        ended = 0
        for stored in await self.spies.open_sessions():
            if stored.supervisor_channel in live or stored.started_at > settled:
                continue
            self.owned.pop(stored.supervisor_channel or "", None)
            if await self.spies.end(stored.id, SpyEndReason.LOST.value):
                _log(stored, "ended: the supervisor's leg is gone")
                ended += 1
        return ended

    async def sweep_periodically(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            try:
                await self.sweep()
            except Exception:
                log.exception("spy sweep failed; retrying in %.0f s", interval)

    async def _spy_event(self, event: SpyAnswered | SpyEnded) -> None:
        spy_id = self.owned.get(event.uniqueid)
        if spy_id is None or event.spy_id != spy_id:
            return
        if isinstance(event, SpyAnswered):
            if await self.spies.answered(spy_id):
                _log(await self._get(spy_id), "the supervisor answered")
        else:
            await self._finish(spy_id, SpyEndReason.CALL_ENDED, "the call ended")

    async def _key(self, event: DtmfEnd) -> None:
        spy_id = self.owned.get(event.uniqueid)
        mode = mode_for_digit(event.digit)
        if spy_id is None or mode is None or not event.received:
            return
        try:
            before = await self._get(spy_id)
            after = await self.spies.change_mode(spy_id, mode.value, SpyChangeSource.DTMF.value)
        except (SpySessionNotFoundError, SpySessionEndedError):
            return
        if after.mode != before.mode:
            _log(after, f"mode {before.mode} -> {after.mode} by key {event.digit}")
            await self.legs.set_variables(event.uniqueid, {names.VAR_SPY_MODE: after.mode})

    async def _leg_gone(self, spy_id: int) -> None:
        stored = await self.spies.get(spy_id)
        if stored is None or not stored.live:
            return
        if stored.answered_at is None:
            await self._finish(spy_id, SpyEndReason.NOT_ANSWERED, "the phone was not answered")
        else:
            await self._finish(spy_id, SpyEndReason.SUPERVISOR_HUNG_UP, "the supervisor hung up")

    async def _finish(self, spy_id: int, reason: SpyEndReason, why: str) -> None:
        if await self.spies.end(spy_id, reason.value):
            _log(await self._get(spy_id), f"ended: {why}")

    # ---- helpers -------------------------------------------------------------------------
    async def _open(
        self,
        leg: AgentLeg,
        mode: SpyMode,
        supervisor: str,
        requester: Requester,
        origin: SpyOrigin,
        channel: str,
    ) -> SpyPlan:
        stored = await self.spies.create(
            NewSpySession(
                supervisor_extension=supervisor,
                agent_extension=leg.extension,
                call_linkedid=leg.linkedid,
                mode=mode.value,
                origin=origin.value,
                requested_by=requester.name or requester.extension or requester.role,
                started_at=self.now(),
                customer_number=leg.customer_number,
                supervisor_channel=channel,
            )
        )
        self.owned[channel] = stored.id
        _log(stored, f"{mode.value} requested by {stored.requested_by} ({origin.value})")
        return SpyPlan(stored, leg.channel, chanspy_options(mode))

    async def _originate(self, plan: SpyPlan, channel_id: str) -> None:
        try:
            await self.legs.originate(plan, channel_id)
        except SpyRefused:
            self.owned.pop(channel_id, None)
            await self.spies.end(plan.session.id, SpyEndReason.NOT_ANSWERED.value)
            raise

    async def _agent_leg(
        self, channels: Sequence[ChannelRow], calls: set[str], agent: str | None = None
    ) -> AgentLeg | None:
        """The agent's leg of one of ``calls`` (of ``agent``, when given): a talking channel
        of someone in the CRM."""
        rows = [row for row in channels if row.linkedid in calls]
        endpoints: dict[str, str] = {}
        for row in rows:
            extension = endpoint_of(row.channel)
            if extension and agent in (None, extension) and await self._known(extension):
                endpoints[row.channel] = extension
        return next(iter(agent_legs(rows, endpoints)), None)

    async def _known(self, extension: str) -> bool:
        return await self.people.by_extension(extension) is not None

    async def _person(self, extension: str) -> Person:
        profile = await self.people.by_extension(extension)
        if profile is None:
            raise SpyRefused("invalid-supervisor", f"no one with extension {extension}")
        return Person(profile.extension, profile.role, profile.team)

    async def _check_supervisor(self, extension: str, agent: Person) -> None:
        profile = await self.people.by_extension(extension)
        person = None if profile is None else Person(profile.extension, profile.role, profile.team)
        check_supervisor(person, extension, agent)

    async def _get(self, spy_id: int) -> StoredSpySession:
        stored = await self.spies.get(spy_id)
        if stored is None:
            raise SpySessionNotFoundError(f"no spy session {spy_id}")
        return stored

    async def _session_for(self, spy_id: int, requester: Requester) -> StoredSpySession:
        """The session, if ``requester`` may act on it: its supervisor, or whoever may spy on
        its agent."""
        stored = await self._get(spy_id)
        if requester.extension is not None and requester.extension == stored.supervisor_extension:
            return stored
        profile = await self.people.by_extension(stored.agent_extension)
        team = profile.team if profile is not None else ""
        check_requester(requester, Person(stored.agent_extension, "agent", team))
        return stored


def _log(stored: StoredSpySession, what: str) -> None:
    log.info(
        "call=%s agent=%s supervisor=%s spy=%d %s",
        stored.call_linkedid,
        stored.agent_extension,
        stored.supervisor_extension,
        stored.id,
        what,
    )
