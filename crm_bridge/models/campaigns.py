"""Outbound dunning campaigns (revision 0005): campaigns, their attempts and decisions, and
the numbers and customers never to be called."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from crm_bridge.models.base import Base
from crm_bridge.sqltypes import UtcDateTime, utc_now
from crm_bridge.vocab import CampaignMode, CampaignState, Disposition, check_in


class DunningCampaign(Base):
    """An outbound dunning campaign; ``spec`` is its rule, schedule, caps, retry and abandon
    policies as JSON (``acd.dunning.core.codec``). ``machine_message``: what is left on an
    answering machine (NULL: hang up)."""

    __tablename__ = "campaigns"
    __table_args__ = (
        CheckConstraint(check_in("mode", CampaignMode), name="mode"),
        CheckConstraint(check_in("state", CampaignState), name="state"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    mode: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16), default=CampaignState.DRAFT.value)
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    machine_message: Mapped[str | None] = mapped_column(String(500))
    created_by: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)


class CampaignAttempt(Base):
    """One dial of one policy's number in a campaign. ``attempt_id`` (``campaign:policy:seq``,
    ``acd.dunning.core.model.attempt_id``) is unique: the row is written before the call is
    originated, so a restarted or second dialer can neither repeat nor lose it. ``disposition``
    is NULL while the attempt is in progress and written once."""

    __tablename__ = "campaign_attempts"
    __table_args__ = (
        CheckConstraint(check_in("disposition", Disposition), name="disposition"),
        CheckConstraint("seq >= 1", name="seq_positive"),
        CheckConstraint("promise_amount > 0", name="promise_amount_positive"),
        Index("ix_campaign_attempts_campaign_id_policy_id", "campaign_id", "policy_id"),
        Index("ix_campaign_attempts_number_started_at", "number", "started_at"),
        Index("ix_campaign_attempts_campaign_id_disposition", "campaign_id", "disposition"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    attempt_id: Mapped[str] = mapped_column(String(150), unique=True)
    campaign_id: Mapped[str] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    policy_id: Mapped[int] = mapped_column(ForeignKey("policies.id"))
    customer_id: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(32))
    linkedid: Mapped[str] = mapped_column(String(64), unique=True)
    controller: Mapped[str] = mapped_column(String(100), default="")
    started_at: Mapped[datetime] = mapped_column(UtcDateTime())
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    disposition: Mapped[str | None] = mapped_column(String(16))
    promise_date: Mapped[date | None] = mapped_column(Date)
    promise_amount: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    amd_status: Mapped[str | None] = mapped_column(String(16))
    agent_extension: Mapped[str | None] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(500), default="")
    # the reason as a stable code and the facts it names (acd.dunning.core.attempts.Why)
    reason_code: Mapped[str] = mapped_column(String(32), default="")
    reason_params: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)


class CampaignDecision(Base):
    """Every decision to dial a target or not, with its reason ("skipped: paid 2026-11-20")."""

    __tablename__ = "campaign_decisions"
    __table_args__ = (Index("ix_campaign_decisions_campaign_id_at", "campaign_id", "at"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    campaign_id: Mapped[str] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    policy_id: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(32))
    attempt_id: Mapped[str | None] = mapped_column(String(150))
    dial: Mapped[bool] = mapped_column()
    check: Mapped[str] = mapped_column(String(32))
    final: Mapped[bool] = mapped_column(default=False)
    reason: Mapped[str] = mapped_column(String(500))
    params: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)  # what the reason names
    not_before: Mapped[datetime | None] = mapped_column(UtcDateTime())
    at: Mapped[datetime] = mapped_column(UtcDateTime())


class DoNotCall(Base):
    """A number never to be called by a campaign (a regulator's list, a customer's request)."""

    __tablename__ = "do_not_call"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    reason: Mapped[str] = mapped_column(String(200), default="")
    added_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)


class CustomerOptOut(Base):
    """A customer who asked not to be called about payments (any of their numbers)."""

    __tablename__ = "customer_opt_outs"

    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True
    )
    reason: Mapped[str] = mapped_column(String(200), default="")
    opted_out_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)
