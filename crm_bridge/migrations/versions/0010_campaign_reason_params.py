"""Dunning reasons the console can translate: a decision's ``params`` (the facts its reason
names) and an attempt's ``reason_code`` and ``reason_params`` (``acd.dunning.core.attempts.Why``),
kept beside the English ``reason`` the log and the CSV keep. Rows stored before this revision
have no code and no parameters (``''`` and ``{}``).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "campaign_decisions",
        sa.Column("params", sa.JSON(), server_default=sa.text("'{}'"), nullable=False),
    )
    op.add_column(
        "campaign_attempts",
        sa.Column("reason_code", sa.String(length=32), server_default="", nullable=False),
    )
    op.add_column(
        "campaign_attempts",
        sa.Column("reason_params", sa.JSON(), server_default=sa.text("'{}'"), nullable=False),
    )


def downgrade() -> None:
    # not batch mode: SQLite 3.35+ drops a column in place
    op.drop_column("campaign_attempts", "reason_params")
    op.drop_column("campaign_attempts", "reason_code")
    op.drop_column("campaign_decisions", "params")
