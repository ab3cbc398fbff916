"""The supervision audit trail: who listened to, whispered to or barged into which call."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm_bridge.models.base import Base
from crm_bridge.sqltypes import UtcDateTime
from crm_bridge.vocab import SpyChangeSource, SpyEndReason, SpyMode, SpyOrigin, check_in


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
