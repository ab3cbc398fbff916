"""The CRM's call-centre staff: agents (PJSIP endpoints named by extension) and their skills,
and what the ACD keeps about them: the state log and the last known presence."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm_bridge.models.base import Base
from crm_bridge.sqltypes import UtcDateTime
from crm_bridge.vocab import Role, check_in


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
    # the console's language (vocab.ConsoleLocale, revision 0009); None: the install's default
    console_locale: Mapped[str | None] = mapped_column(String(8))
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
