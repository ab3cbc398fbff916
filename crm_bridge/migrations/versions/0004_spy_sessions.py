"""Supervision: the audit trail of supervisors listening, whispering and barging.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

from __future__ import annotations
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_TIMESTAMP = sa.DateTime(timezone=True)  # crm_bridge.sqltypes.UtcDateTime at the ORM level
# CHECK and UNIQUE names go through op.f(), as in 0002 (see the note there).
MODES = "('listen', 'whisper', 'barge')"
END_REASONS = "('call-ended', 'supervisor-hung-up', 'ended-by-api', 'not-answered', 'lost')"


def upgrade() -> None:
    _create_spy_sessions()
    _create_spy_mode_changes()


def downgrade() -> None:
    op.drop_index("ix_spy_mode_changes_session_id", table_name="spy_mode_changes")
    op.drop_table("spy_mode_changes")
    op.drop_index("ix_spy_sessions_call_linkedid", table_name="spy_sessions")
    op.drop_index("ix_spy_sessions_started_at", table_name="spy_sessions")
    op.drop_table("spy_sessions")


def _create_spy_sessions() -> None:
    op.create_table(
        "spy_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("supervisor_extension", sa.String(length=16), nullable=False),
        sa.Column("agent_extension", sa.String(length=16), nullable=False),
        sa.Column("call_linkedid", sa.String(length=64), nullable=False),
        sa.Column("customer_number", sa.String(length=64), nullable=True),
        sa.Column("start_mode", sa.String(length=16), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("requested_by", sa.String(length=100), nullable=False),
        sa.Column("supervisor_channel", sa.String(length=150), nullable=True),
        sa.Column("started_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("answered_at", UTC_TIMESTAMP, nullable=True),
        sa.Column("ended_at", UTC_TIMESTAMP, nullable=True),
        sa.Column("end_reason", sa.String(length=32), nullable=True),
        sa.CheckConstraint(f"start_mode IN {MODES}", name=op.f("ck_spy_sessions_start_mode")),
        sa.CheckConstraint(f"mode IN {MODES}", name=op.f("ck_spy_sessions_mode")),
        sa.CheckConstraint(
            "origin IN ('api', 'feature-code')", name=op.f("ck_spy_sessions_origin")
        ),
        sa.CheckConstraint(f"end_reason IN {END_REASONS}", name=op.f("ck_spy_sessions_end_reason")),
        sa.PrimaryKeyConstraint("id", name="pk_spy_sessions"),
    )
    op.create_index("ix_spy_sessions_started_at", "spy_sessions", ["started_at"])
    op.create_index("ix_spy_sessions_call_linkedid", "spy_sessions", ["call_linkedid"])


def _create_spy_mode_changes() -> None:
    op.create_table(
        "spy_mode_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("at", UTC_TIMESTAMP, nullable=False),
        sa.Column("changed_by", sa.String(length=8), nullable=False),
        sa.CheckConstraint(f"mode IN {MODES}", name=op.f("ck_spy_mode_changes_mode")),
        sa.CheckConstraint(
            "changed_by IN ('api', 'dtmf')", name=op.f("ck_spy_mode_changes_changed_by")
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["spy_sessions.id"],
            name="fk_spy_mode_changes_session_id_spy_sessions",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_spy_mode_changes"),
    )
    op.create_index("ix_spy_mode_changes_session_id", "spy_mode_changes", ["session_id"])
