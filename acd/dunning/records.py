"""The values of dunning campaigns the CRM hands out (``acd.dunning.repository``): a
stored campaign, an attempt to claim, a stored attempt and decision, a campaign's progress; and
how the rows become them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from acd.dunning.core.codec import campaign_from_stored, spec_json
from acd.dunning.core.model import REACHED, Attempt, Campaign, PromiseToPay
from crm_bridge.models import CampaignAttempt, CampaignDecision, DunningCampaign
from crm_bridge.vocab import Disposition


@dataclass(frozen=True, slots=True)
class StoredCampaign:
    campaign: Campaign
    machine_message: str | None
    created_by: str
    created_at: datetime
    updated_at: datetime

    @property
    def id(self) -> str:
        return self.campaign.id

    def to_dict(self) -> dict[str, Any]:
        c = self.campaign
        return {
            "id": c.id,
            "name": c.name,
            "mode": c.mode.value,
            "state": c.state.value,
            **spec_json(c),
            "machine_message": self.machine_message,
            "created_by": self.created_by,
            "created_at": _iso(self.created_at),
            "updated_at": _iso(self.updated_at),
        }


@dataclass(frozen=True, slots=True)
class NewAttempt:
    """An attempt to claim: its derived id, what it dials, its Asterisk linkedid."""

    attempt: Attempt
    customer_id: int
    linkedid: str
    controller: str = ""


@dataclass(frozen=True, slots=True)
class StoredAttempt:
    attempt_id: str
    campaign_id: str
    policy_id: int
    customer_id: int
    seq: int
    number: str
    linkedid: str
    controller: str
    started_at: datetime
    answered_at: datetime | None
    ended_at: datetime | None
    disposition: Disposition | None
    promise: PromiseToPay | None
    amd_status: str | None
    agent_extension: str | None
    reason: str
    reason_code: str = ""  # acd.dunning.core.attempts.Why; "" for rows from before it
    reason_params: Mapping[str, str] = field(default_factory=dict)

    @property
    def in_progress(self) -> bool:
        return self.disposition is None

    def as_attempt(self) -> Attempt:
        """The compliance engine's view of it."""
        return Attempt(
            self.campaign_id,
            self.policy_id,
            self.seq,
            self.number,
            self.started_at,
            self.ended_at if self.disposition is not None else None,
            self.disposition,
            self.promise if self.disposition is Disposition.PROMISED else None,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "attempt_id": self.attempt_id,
            "campaign_id": self.campaign_id,
            "policy_id": self.policy_id,
            "customer_id": self.customer_id,
            "seq": self.seq,
            "number": self.number,
            "linkedid": self.linkedid,
            "started_at": _iso(self.started_at),
            "answered_at": _iso_or_none(self.answered_at),
            "ended_at": _iso_or_none(self.ended_at),
            "disposition": None if self.disposition is None else self.disposition.value,
            "promise_date": None
            if self.promise is None
            else self.promise.promised_date.isoformat(),
            "promise_amount": None if self.promise is None else f"{self.promise.amount:.2f}",
            "amd_status": self.amd_status,
            "agent": self.agent_extension,
            "reason": self.reason,
            "reason_code": self.reason_code,
            "reason_params": dict(self.reason_params),
        }


@dataclass(frozen=True, slots=True)
class StoredDecision:
    policy_id: int
    number: str
    attempt_id: str | None
    dial: bool
    check: str
    final: bool
    reason: str
    not_before: datetime | None
    at: datetime
    params: Mapping[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "policy_id": self.policy_id,
            "number": self.number,
            "attempt_id": self.attempt_id,
            "dial": self.dial,
            "check": self.check,
            "final": self.final,
            "reason": self.reason,
            "params": dict(self.params),
            "not_before": _iso_or_none(self.not_before),
            "at": _iso(self.at),
        }


@dataclass(frozen=True, slots=True)
class Progress:
    attempted: int  # attempts made (claimed)
    in_progress: int
    reached: int  # a person answered
    promised: int
    promised_amount: Decimal
    paid: int  # transferred to pay
    abandoned: int
    by_disposition: dict[str, int]
    policies: int  # policies dialled at least once
    skipped: int  # decisions not to dial

    @property
    def abandon_rate(self) -> float:
        return self.abandoned / self.reached if self.reached else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "attempted": self.attempted,
            "in_progress": self.in_progress,
            "reached": self.reached,
            "promised": self.promised,
            "promised_amount": f"{self.promised_amount:.2f}",
            "paid": self.paid,
            "abandoned": self.abandoned,
            "abandon_rate": round(self.abandon_rate, 4),
            "by_disposition": self.by_disposition,
            "policies_dialled": self.policies,
            "skipped_decisions": self.skipped,
        }


# ---- rows -> values ------------------------------------------------------------------------


def progress_of(rows: Sequence[Any], policies: int, skipped: int) -> Progress:
    by: dict[str, int] = {}
    amount = Decimal("0.00")
    open_ = 0
    for disposition, count, total in rows:
        if disposition is None:
            open_ += int(count)
            continue
        by[str(disposition)] = int(count)
        if disposition == Disposition.PROMISED.value and total is not None:
            amount += Decimal(total)
    reached = sum(n for d, n in by.items() if Disposition(d) in REACHED)
    return Progress(
        attempted=open_ + sum(by.values()),
        in_progress=open_,
        reached=reached,
        promised=by.get(Disposition.PROMISED.value, 0),
        promised_amount=amount.quantize(Decimal("0.01")),
        paid=by.get(Disposition.PAID.value, 0),
        abandoned=by.get(Disposition.ABANDONED.value, 0),
        by_disposition=dict(sorted(by.items())),
        policies=policies,
        skipped=skipped,
    )


def stored_campaign(row: DunningCampaign) -> StoredCampaign:
    campaign = campaign_from_stored(row.id, row.name, row.mode, row.state, row.spec)
    return StoredCampaign(
        campaign, row.machine_message, row.created_by, row.created_at, row.updated_at
    )


def stored_attempt(row: CampaignAttempt) -> StoredAttempt:
    promise = None
    if row.promise_date is not None and row.promise_amount is not None:
        promise = PromiseToPay(Decimal(row.promise_amount), row.promise_date)
    return StoredAttempt(
        attempt_id=row.attempt_id,
        campaign_id=row.campaign_id,
        policy_id=row.policy_id,
        customer_id=row.customer_id,
        seq=row.seq,
        number=row.number,
        linkedid=row.linkedid,
        controller=row.controller,
        started_at=row.started_at,
        answered_at=row.answered_at,
        ended_at=row.ended_at,
        disposition=None if row.disposition is None else Disposition(row.disposition),
        promise=promise,
        amd_status=row.amd_status,
        agent_extension=row.agent_extension,
        reason=row.reason,
        reason_code=row.reason_code or "",
        reason_params=row.reason_params or {},
    )


def stored_decision(row: CampaignDecision) -> StoredDecision:
    return StoredDecision(
        policy_id=row.policy_id,
        number=row.number,
        attempt_id=row.attempt_id,
        dial=row.dial,
        check=row.check,
        final=row.final,
        reason=row.reason,
        not_before=row.not_before,
        at=row.at,
        params=row.params or {},
    )


def _iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


def _iso_or_none(at: datetime | None) -> str | None:
    return None if at is None else _iso(at)
