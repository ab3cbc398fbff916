"""SQLAlchemy 2 declarative models of the CRM: customers, policies, agents and CDRs, what the
IVR's self-service flows record (look-ups, fraud reports, quotes, promises, complaints), and what
the ACD keeps (agent state log and last known presence, callbacks)."""

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
    MetaData,
    Numeric,
    String,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from crm_bridge.sqltypes import UtcDateTime, utc_now
from crm_bridge.vocab import (
    CallbackKind,
    CallbackStatus,
    CampaignMode,
    CampaignState,
    CaseStatus,
    ComplaintCategory,
    Direction,
    Disposition,
    FieldAgentStatus,
    Language,
    LookupOutcome,
    PhoneKind,
    PolicyStatus,
    Product,
    Role,
    SpyChangeSource,
    SpyEndReason,
    SpyMode,
    SpyOrigin,
    Tier,
    check_in,
)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Agent(Base):
    """A call-centre agent, supervisor or admin; a PJSIP endpoint named by extension."""

    __tablename__ = "agents"
    __table_args__ = (CheckConstraint(check_in("role", Role), name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    extension: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(255))
    sip_secret: Mapped[str] = mapped_column(String(128))
    languages: Mapped[list[str]] = mapped_column(JSON)
    team: Mapped[str] = mapped_column(String(50))
    role: Mapped[str] = mapped_column(String(16), default=Role.AGENT.value)
    wrapup_seconds: Mapped[int | None] = mapped_column(Integer)
    skills: Mapped[list[AgentSkill]] = relationship(
        back_populates="agent", cascade="all, delete-orphan", order_by="AgentSkill.skill"
    )


class AgentSkill(Base):
    __tablename__ = "agent_skills"
    __table_args__ = (
        UniqueConstraint("agent_id", "skill", name="uq_agent_skills_agent_id_skill"),
        CheckConstraint("level BETWEEN 1 AND 5", name="level"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"))
    skill: Mapped[str] = mapped_column(String(50))
    level: Mapped[int] = mapped_column(Integer)
    agent: Mapped[Agent] = relationship(back_populates="skills")


class Customer(Base):
    __tablename__ = "customers"
    __table_args__ = (
        CheckConstraint(check_in("tier", Tier), name="tier"),
        CheckConstraint(check_in("language", Language), name="language"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    id_number: Mapped[str] = mapped_column(String(32), unique=True)
    tier: Mapped[str] = mapped_column(String(16), default=Tier.STANDARD.value)
    blacklisted: Mapped[bool] = mapped_column(default=False)
    account_manager_id: Mapped[int | None] = mapped_column(
        ForeignKey("agents.id", ondelete="SET NULL")
    )
    region: Mapped[str] = mapped_column(String(50))
    time_zone: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(8))
    birth_date: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)
    phones: Mapped[list[CustomerPhone]] = relationship(
        back_populates="customer", cascade="all, delete-orphan", order_by="CustomerPhone.id"
    )
    account_manager: Mapped[Agent | None] = relationship()
    policies: Mapped[list[Policy]] = relationship(back_populates="customer")


class CustomerPhone(Base):
    __tablename__ = "customer_phones"
    __table_args__ = (CheckConstraint(check_in("kind", PhoneKind), name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(16), default=PhoneKind.MOBILE.value)
    customer: Mapped[Customer] = relationship(back_populates="phones")


class Policy(Base):
    __tablename__ = "policies"
    __table_args__ = (
        CheckConstraint(check_in("product", Product), name="product"),
        CheckConstraint(check_in("status", PolicyStatus), name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    product: Mapped[str] = mapped_column(String(16))
    premium: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    due_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default=PolicyStatus.ACTIVE.value)
    paid_date: Mapped[date | None] = mapped_column(Date)
    customer: Mapped[Customer] = relationship(back_populates="policies")


class FieldAgent(Base):
    """An insurance field agent whose identity callers can verify by badge number."""

    __tablename__ = "field_agents"
    __table_args__ = (CheckConstraint(check_in("status", FieldAgentStatus), name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    badge_number: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    branch: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(16), default=FieldAgentStatus.ACTIVE.value)
    licence_expiry: Mapped[date] = mapped_column(Date)
    phone: Mapped[str] = mapped_column(String(32))


class Call(Base):
    """One call detail record; ``linkedid`` (Asterisk's) makes writes idempotent."""

    __tablename__ = "calls"
    __table_args__ = (CheckConstraint(check_in("direction", Direction), name="direction"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    linkedid: Mapped[str] = mapped_column(String(64), unique=True)
    direction: Mapped[str] = mapped_column(String(16))
    caller_number: Mapped[str] = mapped_column(String(64), index=True)
    did: Mapped[str] = mapped_column(String(64))
    start_time: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    answer_time: Mapped[datetime | None] = mapped_column(UtcDateTime())
    end_time: Mapped[datetime] = mapped_column(UtcDateTime())
    duration: Mapped[int] = mapped_column(Integer)
    billsec: Mapped[int] = mapped_column(Integer)
    disposition: Mapped[str] = mapped_column(String(16))
    hangup_cause: Mapped[int] = mapped_column(Integer)
    hangup_cause_text: Mapped[str] = mapped_column(String(100))
    language: Mapped[str | None] = mapped_column(String(8))
    ivr_path: Mapped[str] = mapped_column(String(500), default="")
    agent_extension: Mapped[str | None] = mapped_column(String(16), index=True)
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)
    # routing facts from the ACD (revision 0003); NULL / false on calls that never queued
    queue: Mapped[str | None] = mapped_column(String(50))
    wait_seconds: Mapped[int | None] = mapped_column(Integer)
    vip: Mapped[bool] = mapped_column(default=False, server_default=false())
    escalation_step: Mapped[str | None] = mapped_column(String(40))
    blacklisted: Mapped[bool] = mapped_column(default=False, server_default=false())
    abandoned: Mapped[bool] = mapped_column(default=False, server_default=false())


class FieldAgentLookup(Base):
    """Every badge look-up from the IVR, as keyed (anti-enumeration counts the failed ones)."""

    __tablename__ = "field_agent_lookups"
    __table_args__ = (
        CheckConstraint(check_in("outcome", LookupOutcome), name="outcome"),
        Index("ix_field_agent_lookups_caller_number_created_at", "caller_number", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    caller_number: Mapped[str] = mapped_column(String(64))
    badge_number: Mapped[str] = mapped_column(String(32))
    outcome: Mapped[str] = mapped_column(String(32))
    linkedid: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)


class FraudReport(Base):
    """A caller's report of someone posing as a field agent."""

    __tablename__ = "fraud_reports"
    __table_args__ = (CheckConstraint(check_in("status", CaseStatus), name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    caller_number: Mapped[str] = mapped_column(String(64))
    badge_number: Mapped[str] = mapped_column(String(32), index=True)
    linkedid: Mapped[str] = mapped_column(String(64), index=True)
    note: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(16), default=CaseStatus.OPEN.value)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)


class Quote(Base):
    """A premium quoted by phone; ``parameters`` are the integers the caller keyed."""

    __tablename__ = "quotes"
    __table_args__ = (
        CheckConstraint(check_in("product", Product), name="product"),
        CheckConstraint("premium >= 0", name="premium_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    caller_number: Mapped[str] = mapped_column(String(64), index=True)
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id", ondelete="SET NULL"), index=True
    )
    product: Mapped[str] = mapped_column(String(16))
    parameters: Mapped[dict[str, int]] = mapped_column(JSON)
    premium: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    callback_requested: Mapped[bool] = mapped_column(default=False)
    linkedid: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)


class PaymentPromise(Base):
    """A promise to pay a policy's premium by a date, made on an inbound or outbound call."""

    __tablename__ = "payment_promises"
    __table_args__ = (
        CheckConstraint(check_in("channel", Direction), name="channel"),
        CheckConstraint("amount > 0", name="amount_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    policy_id: Mapped[int] = mapped_column(ForeignKey("policies.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    promised_date: Mapped[date] = mapped_column(Date)
    caller_number: Mapped[str] = mapped_column(String(64))
    linkedid: Mapped[str] = mapped_column(String(64), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)


class Complaint(Base):
    """A complaint left in the IVR, with the caller's recorded description when there is one."""

    __tablename__ = "complaints"
    __table_args__ = (
        CheckConstraint(check_in("category", ComplaintCategory), name="category"),
        CheckConstraint(check_in("status", CaseStatus), name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    caller_number: Mapped[str] = mapped_column(String(64), index=True)
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id", ondelete="SET NULL"), index=True
    )
    category: Mapped[str] = mapped_column(String(32))
    recording_file: Mapped[str | None] = mapped_column(String(255))
    linkedid: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(16), default=CaseStatus.OPEN.value)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)


class AgentStateLog(Base):
    """One agent state transition (``ready -> reserved``...), as the ACD made it.

    States and reasons are the ACD's vocabulary (``acd.core.model``); the CRM keeps them as text.
    No foreign key to ``agents``: the history outlives a deleted agent.
    """

    __tablename__ = "agent_state_log"
    __table_args__ = (Index("ix_agent_state_log_extension_at", "extension", "at"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    extension: Mapped[str] = mapped_column(String(16))
    from_state: Mapped[str] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(32), default="")
    call_linkedid: Mapped[str | None] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UtcDateTime())


class AgentPresence(Base):
    """An agent's last known state, so a pause and its reason survive a Redis restart."""

    __tablename__ = "agent_presence"

    extension: Mapped[str] = mapped_column(String(16), primary_key=True)
    state: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(32), default="")
    since: Mapped[datetime] = mapped_column(UtcDateTime())


class Callback(Base):
    """A call the centre owes a caller; ``enqueued_at`` keeps the caller's place in line.

    One per (call, kind): the ACD may ask twice (a retry, a second controller) without harm.
    """

    __tablename__ = "callbacks"
    __table_args__ = (
        UniqueConstraint("call_linkedid", "kind", name="uq_callbacks_call_linkedid_kind"),
        CheckConstraint(check_in("kind", CallbackKind), name="kind"),
        CheckConstraint(check_in("status", CallbackStatus), name="status"),
        CheckConstraint(check_in("language", Language), name="language"),
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        Index("ix_callbacks_status_enqueued_at", "status", "enqueued_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    caller_number: Mapped[str] = mapped_column(String(64), index=True)
    call_linkedid: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    queue: Mapped[str] = mapped_column(String(50))
    skills: Mapped[list[str]] = mapped_column(JSON)
    language: Mapped[str | None] = mapped_column(String(8))
    vip: Mapped[bool] = mapped_column(default=False)
    enqueued_at: Mapped[datetime] = mapped_column(UtcDateTime())
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime())
    status: Mapped[str] = mapped_column(String(16), default=CallbackStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    agent_extension: Mapped[str | None] = mapped_column(String(16))
    done_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class SpySession(Base):
    """A supervisor listening to, whispering to or barging into an agent's live call: the
    audit trail of who heard what, when. ``mode`` is the current mode, ``start_mode`` the first;
    every switch is a ``SpyModeChange``. No foreign key to ``agents`` or ``calls``: the trail
    outlives a deleted agent and is written before the call's CDR exists."""

    __tablename__ = "spy_sessions"
    __table_args__ = (
        CheckConstraint(check_in("start_mode", SpyMode), name="start_mode"),
        CheckConstraint(check_in("mode", SpyMode), name="mode"),
        CheckConstraint(check_in("origin", SpyOrigin), name="origin"),
        CheckConstraint(check_in("end_reason", SpyEndReason), name="end_reason"),
        Index("ix_spy_sessions_started_at", "started_at"),
        Index("ix_spy_sessions_call_linkedid", "call_linkedid"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    supervisor_extension: Mapped[str] = mapped_column(String(16))
    agent_extension: Mapped[str] = mapped_column(String(16))
    call_linkedid: Mapped[str] = mapped_column(String(64))
    customer_number: Mapped[str | None] = mapped_column(String(64))
    start_mode: Mapped[str] = mapped_column(String(16))
    mode: Mapped[str] = mapped_column(String(16))
    origin: Mapped[str] = mapped_column(String(16))
    requested_by: Mapped[str] = mapped_column(String(100))
    supervisor_channel: Mapped[str | None] = mapped_column(String(150))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime())
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    end_reason: Mapped[str | None] = mapped_column(String(32))
    changes: Mapped[list[SpyModeChange]] = relationship(
        back_populates="session",
        cascade="all, delete-orphan",
        order_by="SpyModeChange.id",
        lazy="selectin",
    )


class SpyModeChange(Base):
    """One switch of a spy session's mode, by the REST API or the supervisor's keypad."""

    __tablename__ = "spy_mode_changes"
    __table_args__ = (
        CheckConstraint(check_in("mode", SpyMode), name="mode"),
        CheckConstraint(check_in("changed_by", SpyChangeSource), name="changed_by"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("spy_sessions.id", ondelete="CASCADE"), index=True
    )
    mode: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    changed_by: Mapped[str] = mapped_column(String(8))
    session: Mapped[SpySession] = relationship(back_populates="changes")


# ---- outbound dunning campaigns (revision 0005) -------------------------------------------


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
