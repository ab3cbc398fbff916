"""Dunning campaigns in the CRM: the campaigns, their attempts (claimed before the dial, one
disposition each), the log of every dial decision, progress figures and results.

Writes several controllers may race on are conditional: ``claim`` inserts an attempt only if
its id is new (a second dialer, or the same one after a restart, cannot repeat it), ``finish``
writes a disposition only on an attempt that has none (the first outcome wins), ``set_state``
moves a campaign only from the states a transition allows.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from acd.dunning.core.codec import spec_json
from acd.dunning.core.compliance import Decision
from acd.dunning.core.model import Attempt, Campaign, PromiseToPay, Target
from acd.dunning.records import (
    NewAttempt,
    Progress,
    StoredAttempt,
    StoredCampaign,
    StoredDecision,
    progress_of,
    stored_attempt,
    stored_campaign,
    stored_decision,
)
from crm_bridge.errors import CrmError
from crm_bridge.models import CampaignAttempt, CampaignDecision, DunningCampaign, Policy
from crm_bridge.sqltypes import utc_now
from crm_bridge.vocab import CampaignState, Disposition

__all__ = [
    "TRANSITIONS",
    "CampaignExistsError",
    "CampaignNotFoundError",
    "CampaignRepository",
    "CampaignStateError",
    "NewAttempt",
    "Progress",
    "StoredAttempt",
    "StoredCampaign",
    "StoredDecision",
]

MAX_LIMIT: Final = 1000
OTHER_CAMPAIGNS_LOOKBACK: Final = timedelta(days=2)  # for the daily cap per number


class CampaignNotFoundError(CrmError):
    code = "campaign-not-found"


class CampaignExistsError(CrmError):
    code = "campaign-exists"


class CampaignStateError(CrmError):
    """A transition the campaign's state does not allow (e.g. resume a stopped campaign)."""

    code = "campaign-state"


# Which states each action moves a campaign from, and to.
TRANSITIONS: Final[dict[str, tuple[frozenset[CampaignState], CampaignState]]] = {
    "start": (frozenset({CampaignState.DRAFT}), CampaignState.RUNNING),
    "pause": (frozenset({CampaignState.RUNNING}), CampaignState.PAUSED),
    "resume": (frozenset({CampaignState.PAUSED}), CampaignState.RUNNING),
    "stop": (
        frozenset({CampaignState.DRAFT, CampaignState.RUNNING, CampaignState.PAUSED}),
        CampaignState.STOPPED,
    ),
    "complete": (frozenset({CampaignState.RUNNING}), CampaignState.COMPLETED),
}


class CampaignRepository:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        now: Callable[[], datetime] = utc_now,
    ) -> None:
        self._sessions = sessions
        self.now = now

    # ---- campaigns -------------------------------------------------------------------------
    async def create(
        self, campaign: Campaign, machine_message: str | None = None, created_by: str = ""
    ) -> StoredCampaign:
        """Store a new campaign (as a draft); :class:`CampaignExistsError` if its id is taken."""
        when = self.now()
        row = DunningCampaign(
            id=campaign.id,
            name=campaign.name,
            mode=campaign.mode.value,
            state=CampaignState.DRAFT.value,
            spec=spec_json(campaign),
            machine_message=machine_message,
            created_by=created_by[:100],
            created_at=when,
            updated_at=when,
        )
        try:
            async with self._sessions.begin() as session:
                session.add(row)
        except IntegrityError:
            raise CampaignExistsError(f"a campaign {campaign.id!r} exists already") from None
        return stored_campaign(row)

    async def get(self, campaign_id: str) -> StoredCampaign:
        async with self._sessions() as session:
            row = await session.get(DunningCampaign, campaign_id)
        if row is None:
            raise CampaignNotFoundError(f"no campaign {campaign_id!r}")
        return stored_campaign(row)

    async def list(self, state: str | None = None) -> builtins.list[StoredCampaign]:
        query = select(DunningCampaign).order_by(DunningCampaign.created_at, DunningCampaign.id)
        if state is not None:
            query = query.where(DunningCampaign.state == state)
        async with self._sessions() as session:
            return [stored_campaign(row) for row in await session.scalars(query)]

    async def set_state(self, campaign_id: str, action: str) -> StoredCampaign:
        """Apply ``action`` (start, pause, resume, stop, complete) if the campaign's state
        allows it; :class:`CampaignStateError` otherwise (the state is named)."""
        allowed, to = TRANSITIONS[action]
        query = (
            update(DunningCampaign)
            .where(DunningCampaign.id == campaign_id)
            .where(DunningCampaign.state.in_([s.value for s in allowed]))
            .values(state=to.value, updated_at=self.now())
        )
        async with self._sessions.begin() as session:
            result = await session.execute(query)
            changed = bool(getattr(result, "rowcount", 0))
        stored = await self.get(campaign_id)
        if not changed and stored.campaign.state is not to:
            raise CampaignStateError(
                f"campaign {campaign_id!r} is {stored.campaign.state}: cannot {action}"
            )
        return stored

    # ---- attempts --------------------------------------------------------------------------
    async def claim(self, new: NewAttempt) -> bool:
        """Write the attempt before it is dialled; False when its id (or linkedid) exists:
        another dialer, or this one before a restart, made it already."""
        a = new.attempt
        row = CampaignAttempt(
            attempt_id=a.id,
            campaign_id=a.campaign_id,
            policy_id=a.policy_id,
            customer_id=new.customer_id,
            seq=a.seq,
            number=a.number,
            linkedid=new.linkedid,
            controller=new.controller[:100],
            started_at=a.started_at,
            reason="",
        )
        try:
            async with self._sessions.begin() as session:
                session.add(row)
        except IntegrityError:
            return False
        return True

    async def answered(
        self,
        attempt_id: str,
        at: datetime,
        amd_status: str | None = None,
        agent: str | None = None,
    ) -> None:
        """Stamp the answer (first one wins) and what AMD said / which agent took it."""
        values: dict[str, Any] = {}
        if amd_status is not None:
            values["amd_status"] = amd_status[:16]
        if agent is not None:
            values["agent_extension"] = agent[:16]
        async with self._sessions.begin() as session:
            await session.execute(
                update(CampaignAttempt)
                .where(CampaignAttempt.attempt_id == attempt_id)
                .where(CampaignAttempt.answered_at.is_(None))
                .values(answered_at=at)
            )
            if values:
                await session.execute(
                    update(CampaignAttempt)
                    .where(CampaignAttempt.attempt_id == attempt_id)
                    .values(**values)
                )

    async def finish(
        self,
        attempt_id: str,
        disposition: Disposition,
        at: datetime,
        reason: str = "",
        promise: PromiseToPay | None = None,
        *,
        why: str = "",
        params: Mapping[str, str] | None = None,
    ) -> bool:
        """Record the attempt's one disposition; False if it had one already (kept). ``why``
        and ``params``: the reason as a stable code and the facts it names (for the console)."""
        if (disposition is Disposition.PROMISED) != (promise is not None):
            raise CrmError("a promise goes with the disposition promised only")
        query = (
            update(CampaignAttempt)
            .where(CampaignAttempt.attempt_id == attempt_id)
            .where(CampaignAttempt.disposition.is_(None))
            .values(
                disposition=disposition.value,
                ended_at=at,
                reason=reason[:500],
                reason_code=why,
                reason_params=dict(params or {}),
                promise_date=None if promise is None else promise.promised_date,
                promise_amount=None if promise is None else promise.amount,
            )
        )
        async with self._sessions.begin() as session:
            result = await session.execute(query)
            return bool(getattr(result, "rowcount", 0))

    async def attempt(self, attempt_id: str) -> StoredAttempt | None:
        query = select(CampaignAttempt).where(CampaignAttempt.attempt_id == attempt_id)
        async with self._sessions() as session:
            row = await session.scalar(query)
            return None if row is None else stored_attempt(row)

    async def by_linkedid(self, linkedid: str) -> StoredAttempt | None:
        query = select(CampaignAttempt).where(CampaignAttempt.linkedid == linkedid)
        async with self._sessions() as session:
            row = await session.scalar(query)
            return None if row is None else stored_attempt(row)

    async def in_progress(self, campaign_id: str) -> builtins.list[StoredAttempt]:
        """Attempts without a disposition yet (live, or left by a controller that died)."""
        query = (
            select(CampaignAttempt)
            .where(CampaignAttempt.campaign_id == campaign_id)
            .where(CampaignAttempt.disposition.is_(None))
            .order_by(CampaignAttempt.started_at, CampaignAttempt.id)
        )
        async with self._sessions() as session:
            return [stored_attempt(row) for row in await session.scalars(query)]

    async def hopper_attempts(self, campaign_id: str) -> builtins.list[Attempt]:
        """Every attempt of the campaign, and other campaigns' recent ones (the daily cap per
        number counts every campaign's): what ``fill_hopper`` and ``decide`` read."""
        since = self.now() - OTHER_CAMPAIGNS_LOOKBACK
        query = select(CampaignAttempt).where(
            or_(
                CampaignAttempt.campaign_id == campaign_id,
                CampaignAttempt.started_at >= since,
            )
        )
        async with self._sessions() as session:
            return [stored_attempt(row).as_attempt() for row in await session.scalars(query)]

    async def attempts(
        self, campaign_id: str, limit: int = 100, offset: int = 0
    ) -> builtins.list[StoredAttempt]:
        """The campaign's attempts, in the order they were made."""
        query = (
            select(CampaignAttempt)
            .where(CampaignAttempt.campaign_id == campaign_id)
            .order_by(CampaignAttempt.started_at, CampaignAttempt.id)
            .limit(_limit(limit))
            .offset(max(0, offset))
        )
        async with self._sessions() as session:
            return [stored_attempt(row) for row in await session.scalars(query)]

    async def results(self, campaign_id: str) -> builtins.list[tuple[StoredAttempt, str]]:
        """Every attempt with its policy number, for the CSV export."""
        query = (
            select(CampaignAttempt, Policy.number)
            .join(Policy, Policy.id == CampaignAttempt.policy_id)
            .where(CampaignAttempt.campaign_id == campaign_id)
            .order_by(CampaignAttempt.started_at, CampaignAttempt.id)
        )
        async with self._sessions() as session:
            rows = (await session.execute(query)).all()
        return [(stored_attempt(row), number) for row, number in rows]

    # ---- decisions -------------------------------------------------------------------------
    async def log_decisions(
        self,
        campaign_id: str,
        decisions: Iterable[tuple[Target, Decision, str | None]],
        at: datetime | None = None,
    ) -> int:
        """Log decisions (target, decision, attempt id if one was claimed) in one write."""
        when = at or self.now()
        rows = [
            CampaignDecision(
                campaign_id=campaign_id,
                policy_id=target.policy_id,
                number=target.number[:32],
                attempt_id=attempt_id,
                dial=decision.dial,
                check=decision.check.value,
                final=decision.final,
                reason=decision.reason[:500],
                params=dict(decision.params),
                not_before=decision.not_before,
                at=when,
            )
            for target, decision, attempt_id in decisions
        ]
        if rows:
            async with self._sessions.begin() as session:
                session.add_all(rows)
        return len(rows)

    async def decisions(
        self,
        campaign_id: str,
        limit: int = 100,
        offset: int = 0,
        policy_id: int | None = None,
    ) -> builtins.list[StoredDecision]:
        """Newest first."""
        query = select(CampaignDecision).where(CampaignDecision.campaign_id == campaign_id)
        if policy_id is not None:
            query = query.where(CampaignDecision.policy_id == policy_id)
        query = (
            query.order_by(CampaignDecision.at.desc(), CampaignDecision.id.desc())
            .limit(_limit(limit))
            .offset(max(0, offset))
        )
        async with self._sessions() as session:
            return [stored_decision(row) for row in await session.scalars(query)]

    async def scheduled_policies(self, campaign_id: str) -> builtins.set[int]:
        """Policies the campaign already considered (a decision logged or an attempt made)
        and has not decided on for good: a restarted dialer keeps deciding on them, so one
        paid meanwhile is skipped with its reason rather than silently dropped."""
        decided = select(CampaignDecision.policy_id).where(
            CampaignDecision.campaign_id == campaign_id
        )
        attempted = select(CampaignAttempt.policy_id).where(
            CampaignAttempt.campaign_id == campaign_id
        )
        final = select(CampaignDecision.policy_id).where(
            CampaignDecision.campaign_id == campaign_id, CampaignDecision.final.is_(True)
        )
        async with self._sessions() as session:
            seen = set(await session.scalars(decided)) | set(await session.scalars(attempted))
            done = set(await session.scalars(final))
        return seen - done

    # ---- figures ---------------------------------------------------------------------------
    async def progress(self, campaign_id: str) -> Progress:
        counts_query = (
            select(
                CampaignAttempt.disposition, func.count(), func.sum(CampaignAttempt.promise_amount)
            )
            .where(CampaignAttempt.campaign_id == campaign_id)
            .group_by(CampaignAttempt.disposition)
        )
        policies_query = select(func.count(func.distinct(CampaignAttempt.policy_id))).where(
            CampaignAttempt.campaign_id == campaign_id
        )
        skipped_query = (
            select(func.count())
            .select_from(CampaignDecision)
            .where(CampaignDecision.campaign_id == campaign_id, CampaignDecision.dial.is_(False))
        )
        async with self._sessions() as session:
            rows = (await session.execute(counts_query)).all()
            policies = int(await session.scalar(policies_query) or 0)
            skipped = int(await session.scalar(skipped_query) or 0)
        return progress_of(rows, policies, skipped)


def _limit(limit: int) -> int:
    return max(0, min(limit, MAX_LIMIT))
