"""Customers, their phone numbers and policies, and the insurance field agents callers can
verify."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, ForeignKey, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm_bridge.models.agents import Agent
from crm_bridge.models.base import Base
from crm_bridge.sqltypes import UtcDateTime, utc_now
from crm_bridge.vocab import (
    FieldAgentStatus,
    Language,
    PhoneKind,
    PolicyStatus,
    Product,
    Tier,
    check_in,
)


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
