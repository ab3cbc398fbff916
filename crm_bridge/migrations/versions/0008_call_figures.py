"""Exact call figures: the agent's own leg on every CDR (answer, end, talk seconds), whose
call it is (``kind``: customer, supervision, internal), and the CDR journal's cursor kept in
the CRM (``journal_cursors``; it was a file in the controller's state folder).

Rows stored before this revision get the only talk figure they had (the caller leg's billsec,
for calls an agent answered); their agent times stay NULL. Stored spy legs (path ``spy``, or
an originated leg's ``spy-`` linkedid) become ``supervision``; the rest ``customer``.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from __future__ import annotations
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_TIMESTAMP = sa.DateTime(timezone=True)  # crm_bridge.sqltypes.UtcDateTime at the ORM level


def upgrade() -> None:
    op.add_column("calls", sa.Column("agent_answer_time", UTC_TIMESTAMP, nullable=True))
    op.add_column("calls", sa.Column("agent_end_time", UTC_TIMESTAMP, nullable=True))
    op.add_column(
        "calls", sa.Column("talk_seconds", sa.Integer(), server_default="0", nullable=False)
    )
    op.execute("UPDATE calls SET talk_seconds = billsec WHERE agent_extension IS NOT NULL")
    op.add_column(
        "calls",
        sa.Column("kind", sa.String(length=16), server_default="customer", nullable=False),
    )
    op.execute(
        "UPDATE calls SET kind = 'supervision' WHERE ivr_path = 'spy' OR linkedid LIKE 'spy-%'"
    )
    op.create_table(
        "journal_cursors",
        sa.Column("journal", sa.String(length=255), nullable=False),
        sa.Column("offset", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", UTC_TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("journal", name="pk_journal_cursors"),
    )


def downgrade() -> None:
    op.drop_table("journal_cursors")
    # not batch mode: SQLite 3.35+ drops a column in place
    for column in ("kind", "talk_seconds", "agent_end_time", "agent_answer_time"):
        op.drop_column("calls", column)
