"""What calls leave behind: call detail records, the callbacks the centre owes, and what the
IVR's self-service flows record (badge look-ups, fraud reports, quotes, promises to pay,
complaints)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

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
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from crm_bridge.models.base import Base
from crm_bridge.sqltypes import UtcDateTime, utc_now
from crm_bridge.vocab import (
    CallbackKind,
    CallbackStatus,
    CallKind,
    CaseStatus,
    ComplaintCategory,
    Direction,
    Language,
    LookupOutcome,
    Product,
    check_in,
)


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
    # the agent's own leg (revision 0008): talk time counts from the agent's answer
    agent_answer_time: Mapped[datetime | None] = mapped_column(UtcDateTime())
    agent_end_time: Mapped[datetime | None] = mapped_column(UtcDateTime())
    talk_seconds: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # whose call (revision 0008): a supervisor's spy leg is no customer call
    kind: Mapped[str] = mapped_column(
        String(16), default=CallKind.CUSTOMER.value, server_default=CallKind.CUSTOMER.value
    )


class JournalCursor(Base):
    """How far this CRM has read a CDR journal Asterisk writes (byte offset after the last
    row reconciled), by the journal's path as the controllers see it. Kept with the CRM it
    feeds: a new CRM starts at the journal's end and imports nothing it did not see."""

    __tablename__ = "journal_cursors"

    journal: Mapped[str] = mapped_column(String(255), primary_key=True)
    offset: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)


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
