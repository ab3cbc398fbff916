"""The dunning dialer: the scheduler loop that makes a running campaign's calls.

Every ``tick_interval`` on its (injectable) clock, for each running campaign whose Redis lease
this controller holds (``dialer_lease``: one controller dials a campaign at a time):

1. attempts left in progress that nobody here follows (a controller died or restarted) are
   adopted if their channel is up, else resolved from their CDR, else failed when too old
   (``dialer_events.AttemptTracker.recover``) — so none is lost;
2. pacing: how many calls may start now — ``pacing.admit`` (calls per second, channels) and, in
   progressive mode, ``pacing.plan_progressive`` with the ready collections agents;
3. the hopper (``targets.fill_hopper``) from the campaign's targets and its persisted attempts;
4. for each candidate: the CRM's facts are re-read and ``compliance.decide`` runs; the decision
   is logged with its reason (dial or not); progressive mode reserves an agent through the ACD;
   the attempt's row is claimed (insert-if-absent on its derived id: a restarted dialer cannot
   repeat it) *before* Asterisk is asked to originate the call over the carrier trunk.

Why waiting targets wait (calling hours, retry delays) is logged when it changes, at most every
``explain_every`` seconds; a target with a final decision is not considered again in this run.
A campaign with every target done and no call up is completed.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections import defaultdict, deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from acd.dunning.config import CampaignSettings
from acd.dunning.core import messages
from acd.dunning.core.attempts import Finish, Live, Why
from acd.dunning.core.compliance import Decision, decide, number_plan, timing
from acd.dunning.core.model import Attempt, Campaign, Target
from acd.dunning.core.pacing import admit, estimate_answer, measure_abandon, plan_progressive
from acd.dunning.core.targets import Candidate, fill_hopper, select_targets, target_of
from acd.dunning.events import AttemptTracker, Tracked
from acd.dunning.facts import CampaignFacts
from acd.dunning.lease import CampaignLease
from acd.dunning.prompts import Language, SteadyPrompts
from acd.dunning.repository import CampaignRepository, NewAttempt, StoredCampaign
from crm_bridge.outage import OutageLog
from crm_bridge.vocab import CampaignMode, Disposition
from ivr.prompts import PromptError
from wire import names
from wire.commands import CallerId, Originate, dial_number
from wire.errors import AmiError

log = logging.getLogger(__name__)

TARGETS_REFRESH_SECONDS = 5.0


def dialer_clock(start: datetime | None) -> Callable[[], datetime]:
    """The dialer's clock: real UTC time, or — for tests and demos — time running on from
    ``start`` (``campaigns.clock_start``) at the real pace."""
    if start is None:
        return lambda: datetime.now(UTC)
    base = start if start.tzinfo else start.replace(tzinfo=UTC)
    began = time.monotonic()
    return lambda: base + timedelta(seconds=time.monotonic() - began)


def linkedid_for(attempt_id: str) -> str:
    """The Asterisk linkedid of an attempt's call: derived, so a restarted dialer knows it."""
    digest = hashlib.sha1(attempt_id.encode(), usedforsecurity=False).hexdigest()[:20]
    return f"{names.DUNNING_PREFIX}{digest}"


@dataclass
class CampaignRun:
    """What the dialer keeps about a campaign while it holds its lease."""

    targets: dict[int, Target] = field(default_factory=dict)
    targets_at: float = float("-inf")
    done: set[int] = field(default_factory=set)  # policies with a final decision
    explained: dict[int, str] = field(default_factory=dict)  # policy -> last logged check
    explained_at: float = float("-inf")
    snoozed: dict[int, float] = field(default_factory=dict)  # policy -> not before (epoch s)
    starts: deque[float] = field(default_factory=lambda: deque(maxlen=64))


@dataclass(frozen=True)
class Trunk:
    """Where the dialer's calls go out: the carrier's PJSIP endpoint, and the number shown."""

    carrier: str
    caller_id: str
    allowed_prefixes: tuple[str, ...] = ()  # dialled although the numbering plan refuses them


class Dialer:
    def __init__(
        self,
        config: CampaignSettings,
        trunk: Trunk,
        campaigns: CampaignRepository,
        facts: CampaignFacts,
        tracker: AttemptTracker,
        lease: CampaignLease,
        prompts: SteadyPrompts,
        clock: Callable[[], datetime],
    ) -> None:
        self.config = config
        self.trunk = trunk
        self.campaigns = campaigns
        self.facts = facts
        self.tracker = tracker
        self.lease = lease
        self.prompts = prompts
        self.clock = clock
        self.runs: dict[str, CampaignRun] = {}
        self._outages: dict[str, OutageLog] = {}  # per campaign: failures logged once

    async def run_forever(self) -> None:
        ready = await self.prompts.warm()
        log.info("dunning dialer: %d fixed prompt(s) ready", ready)
        outage = OutageLog(log, "dialer step")
        while True:
            try:
                await self.step()
            except Exception as exc:  # noqa: BLE001 - logged once per state change, retried
                outage.failed(exc)
            else:
                outage.succeeded()
            await asyncio.sleep(self.config.tick_interval)

    async def step(self) -> None:
        self._watch_stale()
        running = await self.campaigns.list(state="running")
        for stored in running:
            outage = self._outages.setdefault(
                stored.id, OutageLog(log, f"campaign={stored.id} dialer step")
            )
            try:
                await self._campaign_step(stored)
            except Exception as exc:  # noqa: BLE001 - logged once per state change, retried
                outage.failed(exc)
            else:
                outage.succeeded()
        for campaign_id in set(self.runs) - {s.id for s in running}:
            if not self.tracker.in_flight(campaign_id):
                self.runs.pop(campaign_id, None)
                await self.lease.release(campaign_id)

    def _watch_stale(self) -> None:
        """A call still ringing long after it should have ended missed its events: check."""
        limit = self.config.ring_seconds + 60
        now = self.clock().timestamp()
        if any(
            t.live.state.value == "dialling" and now - t.started > limit
            for t in self.tracker.calls.values()
        ):
            self.tracker.spawn(self.tracker.resync(), "dialer-stale")

    async def _campaign_step(self, stored: StoredCampaign) -> None:
        campaign = stored.campaign
        if not await self.lease.hold(campaign.id):
            self.runs.pop(campaign.id, None)
            return
        run = self.runs.get(campaign.id)
        if run is None:  # taken (back) over: the calls-per-second cap counts the last starts
            run = self.runs[campaign.id] = CampaignRun()
            run.starts.extend(await self.lease.recent_starts(campaign.id, self.clock().timestamp()))
        if not await self.tracker.recover(campaign.id, campaign.mode, self.config.recover_after):
            return
        now = self.clock()
        await self._refresh_targets(campaign, run, now)
        count = self._may_dial(campaign, run, now)
        attempts = await self.campaigns.hopper_attempts(campaign.id)
        targets = [
            t
            for pid, t in run.targets.items()
            if pid not in run.done and run.snoozed.get(pid, 0.0) <= now.timestamp()
        ]
        if now.timestamp() - run.explained_at >= self.config.explain_every:
            await self._explain(campaign, run, targets, attempts, now)
        hopper = fill_hopper(campaign, targets, attempts, now, max(count, 0))
        for candidate in hopper.ready[:count]:
            await self._try(stored, run, candidate, attempts, now)
        if count > 0 and not hopper.ready and len(hopper.finished) == len(targets):
            await self._complete_if_idle(campaign)

    # ---- who and how many ------------------------------------------------------------------
    async def _refresh_targets(self, campaign: Campaign, run: CampaignRun, now: datetime) -> None:
        """The rule's targets, kept once selected (a policy paid since is still decided on,
        so the reason it is skipped is logged)."""
        if now.timestamp() - run.targets_at < TARGETS_REFRESH_SECONDS:
            return
        if run.targets_at == float("-inf"):  # a new run: what an earlier one scheduled
            earlier = await self.campaigns.scheduled_policies(campaign.id)
            for facts in await self.facts.policies(earlier):
                target = target_of(facts, now)
                if target is not None:
                    run.targets[target.policy_id] = target
        policies = await self.facts.unpaid_policies(campaign.rule)
        for target in select_targets(campaign.rule, policies, now):
            if target.policy_id not in run.done:
                run.targets[target.policy_id] = target
        run.targets_at = now.timestamp()

    def _may_dial(self, campaign: Campaign, run: CampaignRun, now: datetime) -> int:
        at = now.timestamp()
        in_flight = self.tracker.in_flight(campaign.id)
        admission = admit(at, len(in_flight), run.starts, campaign.caps)
        count = admission.may_dial
        if campaign.mode is not CampaignMode.PROGRESSIVE:
            return count
        agents = self.tracker.agents
        ready = len(agents.ready()) if agents is not None else 0
        outcomes = self.tracker.outcomes.get(campaign.id, deque())
        abandon = measure_abandon(outcomes, at, campaign.abandon)
        answer = estimate_answer(outcomes, campaign.abandon)
        ringing = sum(1 for t in in_flight if not t.live.agent)
        plan = plan_progressive(ready, ringing, abandon, answer, campaign.abandon)
        # one agent reserved per call: never more calls than agents to reserve
        return min(count, plan.dial, ready)

    # ---- decisions --------------------------------------------------------------------------
    async def _explain(
        self,
        campaign: Campaign,
        run: CampaignRun,
        targets: Sequence[Target],
        attempts: Sequence[Attempt],
        now: datetime,
    ) -> None:
        """Log why each waiting target waits, when the reason changed."""
        by_policy, by_number = _index(campaign, attempts)
        logged = []
        for target in targets:
            mine = [*by_policy.get(target.policy_id, []), *by_number.get(target.number, [])]
            decision = timing(campaign, target, mine, now)
            key = f"{decision.check}:{decision.final}"
            if decision.dial or run.explained.get(target.policy_id) == key:
                continue
            run.explained[target.policy_id] = key
            logged.append((target, decision, None))
            if decision.final:
                run.done.add(target.policy_id)
        await self.campaigns.log_decisions(campaign.id, logged, now)
        run.explained_at = now.timestamp()

    async def _try(
        self,
        stored: StoredCampaign,
        run: CampaignRun,
        candidate: Candidate,
        attempts: Sequence[Attempt],
        now: datetime,
    ) -> None:
        """Re-read the CRM, decide, log the decision; dial when it says so."""
        target = candidate.target
        facts = await self.facts.target_facts(target)
        campaign = (await self.campaigns.get(stored.id)).campaign  # paused meanwhile?
        mine = [a for a in attempts if a.policy_id == target.policy_id or a.number == target.number]
        decision = decide(facts, campaign, mine, now)
        if decision.dial:
            decision = number_plan(target, self.trunk.allowed_prefixes) or decision
        key = f"{decision.check}:{decision.final}"
        if not decision.dial:
            if decision.final:
                run.done.add(target.policy_id)
            wait = decision.not_before.timestamp() if decision.not_before else None
            run.snoozed[target.policy_id] = wait or now.timestamp() + self.config.explain_every
            if run.explained.get(target.policy_id) != key:
                log.info("campaign=%s policy=%d %s", campaign.id, target.policy_id, decision.reason)
                await self.campaigns.log_decisions(campaign.id, [(target, decision, None)], now)
            run.explained[target.policy_id] = key
            return
        run.explained[target.policy_id] = key
        await self._dial(stored, run, candidate, decision, now)

    # ---- the dial ---------------------------------------------------------------------------
    async def _dial(
        self,
        stored: StoredCampaign,
        run: CampaignRun,
        candidate: Candidate,
        decision: Decision,
        now: datetime,
    ) -> None:
        campaign, target = stored.campaign, candidate.target
        linkedid = linkedid_for(candidate.attempt_id)
        agent = ""
        if campaign.mode is CampaignMode.PROGRESSIVE:
            reserved = await self._reserve(linkedid, target)
            if reserved is None:
                return
            agent = reserved
        attempt = Attempt(campaign.id, target.policy_id, candidate.seq, target.number, now)
        claim = NewAttempt(attempt, target.customer_id, linkedid, self.lease.owner)
        if not await self.campaigns.claim(claim):
            log.warning("campaign=%s attempt=%s claimed already", campaign.id, attempt.id)
            if agent and self.tracker.agents is not None:
                await self.tracker.agents.release(agent, linkedid)
            return
        await self.campaigns.log_decisions(campaign.id, [(target, decision, attempt.id)], now)
        live = Live(attempt.id, campaign.mode, agent)
        tracked = Tracked(linkedid, campaign.id, target.policy_id, live, now.timestamp())
        self.tracker.track(tracked)
        started = self.clock().timestamp()  # when the call really starts: the cap counts it
        run.starts.append(started)
        await self.lease.note_starts(campaign.id, [started], started)
        log.info("call=%s campaign=%s %s", linkedid, campaign.id, decision.reason)
        await self._originate(stored, tracked, target)

    async def _reserve(self, linkedid: str, target: Target) -> str | None:
        agents = self.tracker.agents
        if agents is None:
            return None
        return await agents.reserve(linkedid, target.number, target.language.value)

    async def _originate(self, stored: StoredCampaign, tracked: Tracked, target: Target) -> None:
        caller_id = self.trunk.caller_id
        try:
            originate = Originate(
                channel=f"PJSIP/{dial_number('number', target.number)}@{self.trunk.carrier}",
                context=names.CTX_DUNNING,
                timeout_ms=self.config.ring_seconds * 1000,
                caller_id=CallerId(caller_id, caller_id),
                channel_id=tracked.linkedid,
                variables=await self._variables(stored, tracked, target),
            )
            await self.tracker.ami.send(originate)
        except (AmiError, OSError) as exc:
            self.tracker.calls.pop(tracked.linkedid, None)
            failed = Finish(Disposition.FAILED, f"originate: {exc}", Why.ORIGINATE_ERROR)
            await self.tracker.finish(tracked, failed)
            if tracked.live.agent and self.tracker.agents is not None:
                await self.tracker.agents.release(tracked.live.agent, tracked.linkedid)

    async def _variables(
        self, stored: StoredCampaign, tracked: Tracked, target: Target
    ) -> Mapping[str, str]:
        language = target.language.value
        message = await self._prompt(target.language.value, stored.machine_message)
        sorry = await self._prompt(target.language.value, messages.text(messages.SORRY, language))
        return {
            names.VAR_DUNNING_ATTEMPT: tracked.attempt_id,
            names.VAR_DUNNING_NUMBER: target.number,
            names.VAR_DUNNING_MODE: stored.campaign.mode.value,
            names.VAR_DUNNING_AGENT: tracked.live.agent,
            names.VAR_DUNNING_CONNECT: str(self.config.connect_seconds),
            names.VAR_DUNNING_MESSAGE: message,
            names.VAR_DUNNING_SORRY: sorry,
            names.VAR_DUNNING_LANGUAGE: language,
            # on the CDR before the dial: a call never answered names its number too
            names.CDR_DID: target.number,
        }

    async def _prompt(self, language: Language, text: str | None) -> str:
        """A prompt for the dialplan to play, or "" (nothing played) when there is no text or
        it cannot be rendered: the call is placed all the same."""
        if not text:
            return ""
        try:
            return await self.prompts.ensure(language, text)
        except PromptError as exc:
            log.error("dunning prompt left out: %s", exc)
            return ""

    async def _complete_if_idle(self, campaign: Campaign) -> None:
        if self.tracker.in_flight(campaign.id) or await self.campaigns.in_progress(campaign.id):
            return
        await self.campaigns.set_state(campaign.id, "complete")
        log.info("campaign=%s completed: every target is done", campaign.id)


def _index(
    campaign: Campaign, attempts: Sequence[Attempt]
) -> tuple[dict[int, list[Attempt]], dict[str, list[Attempt]]]:
    by_policy: dict[int, list[Attempt]] = defaultdict(list)
    by_number: dict[str, list[Attempt]] = defaultdict(list)
    for attempt in attempts:
        if attempt.campaign_id == campaign.id:
            by_policy[attempt.policy_id].append(attempt)
        by_number[attempt.number].append(attempt)
    return by_policy, by_number
