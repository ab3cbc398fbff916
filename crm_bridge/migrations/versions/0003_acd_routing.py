"""ACD: agent state log and last known presence, callbacks, routing facts on CDRs.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_TIMESTAMP = sa.DateTime(timezone=True)  # crm_bridge.sqltypes.UtcDateTime at the ORM level
# CHECK and UNIQUE names go through op.f(), as in 0002 (see the note there).


def upgrade() -> None:
    _add_call_routing_facts()
    _create_agent_state_log()
    _create_agent_presence()
    _create_callbacks()


def downgrade() -> None:
    op.drop_index("ix_callbacks_status_enqueued_at", table_name="callbacks")
    op.drop_index("ix_callbacks_caller_number", table_name="callbacks")
    op.drop_table("callbacks")
    op.drop_table("agent_presence")
    op.drop_index("ix_agent_state_log_extension_at", table_name="agent_state_log")
    op.drop_table("agent_state_log")
    # not batch mode: recreating calls is not needed, SQLite 3.35+ drops a column in place
    for column in ("abandoned", "blacklisted", "escalation_step", "vip", "wait_seconds", "queue"):
        op.drop_column("calls", column)


def _add_call_routing_facts() -> None:
    op.add_column("calls", sa.Column("queue", sa.String(length=50), nullable=True))
    op.add_column("calls", sa.Column("wait_seconds", sa.Integer(), nullable=True))
    op.add_column("calls", _flag("vip"))
    op.add_column("calls", sa.Column("escalation_step", sa.String(40), nullable=True))
    op.add_column("calls", _flag("blacklisted"))
    op.add_column("calls", _flag("abandoned"))


def _flag(name: str) -> sa.Column[bool]:
    """A boolean routing fact; rows stored before 0003 read false."""
    return sa.Column(name, sa.Boolean(), server_default=sa.false(), nullable=False)


def _create_agent_state_log() -> None:
    op.create_table(
        "agent_state_log",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("extension", sa.String(length=16), nullable=False),
        sa.Column("from_state", sa.String(length=16), nullable=False),
        sa.Column("to_state", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("call_linkedid", sa.String(length=64), nullable=True),
        sa.Column("at", UTC_TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_agent_state_log"),
    )
    op.create_index("ix_agent_state_log_extension_at", "agent_state_log", ["extension", "at"])


def _create_agent_presence() -> None:
    op.create_table(
        "agent_presence",
        sa.Column("extension", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("since", UTC_TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("extension", name="pk_agent_presence"),
    )


def _create_callbacks() -> None:
    op.create_table(
        "callbacks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("caller_number", sa.String(length=64), nullable=False),
        sa.Column("call_linkedid", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("queue", sa.String(length=50), nullable=False),
        sa.Column("skills", sa.JSON(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=True),
        sa.Column("vip", sa.Boolean(), nullable=False),
        sa.Column("enqueued_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("requested_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("agent_extension", sa.String(length=16), nullable=True),
        sa.Column("done_at", UTC_TIMESTAMP, nullable=True),
        sa.CheckConstraint("kind IN ('requested', 'abandoned')", name=op.f("ck_callbacks_kind")),
        sa.CheckConstraint(
            "status IN ('pending', 'dialling', 'done', 'failed', 'cancelled')",
            name=op.f("ck_callbacks_status"),
        ),
        sa.CheckConstraint("language IN ('zh', 'en')", name=op.f("ck_callbacks_language")),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_callbacks_attempts_not_negative")),
        sa.PrimaryKeyConstraint("id", name="pk_callbacks"),
        sa.UniqueConstraint("call_linkedid", "kind", name=op.f("uq_callbacks_call_linkedid_kind")),
    )
    op.create_index("ix_callbacks_caller_number", "callbacks", ["caller_number"])
    op.create_index("ix_callbacks_status_enqueued_at", "callbacks", ["status", "enqueued_at"])
