"""Outbound dunning campaigns: campaigns, their attempts, every dial decision with its reason,
the do-not-call list and customers' opt-outs.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

from __future__ import annotations
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_TIMESTAMP = sa.DateTime(timezone=True)  # crm_bridge.sqltypes.UtcDateTime at the ORM level
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
# CHECK and UNIQUE names go through op.f(), as in 0002 (see the note there).
MODES = "('agentless', 'progressive')"
STATES = "('draft', 'running', 'paused', 'stopped', 'completed')"
DISPOSITIONS = (
    "('paid', 'promised', 'disputed', 'wrong_number', 'refused', 'no_answer', 'busy', "
    "'failed', 'machine', 'abandoned')"
)


def upgrade() -> None:
    _create_campaigns()
    _create_campaign_attempts()
    _create_campaign_decisions()
    _create_do_not_call()
    _create_customer_opt_outs()


def downgrade() -> None:
    op.drop_table("customer_opt_outs")
    op.drop_table("do_not_call")
    op.drop_index("ix_campaign_decisions_campaign_id_at", table_name="campaign_decisions")
    op.drop_table("campaign_decisions")
    for index in ("campaign_id_disposition", "number_started_at", "campaign_id_policy_id"):
        op.drop_index(f"ix_campaign_attempts_{index}", table_name="campaign_attempts")
    op.drop_table("campaign_attempts")
    op.drop_table("campaigns")


def _create_campaigns() -> None:
    op.create_table(
        "campaigns",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("machine_message", sa.String(length=500), nullable=True),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("updated_at", UTC_TIMESTAMP, nullable=False),
        sa.CheckConstraint(f"mode IN {MODES}", name=op.f("ck_campaigns_mode")),
        sa.CheckConstraint(f"state IN {STATES}", name=op.f("ck_campaigns_state")),
        sa.PrimaryKeyConstraint("id", name="pk_campaigns"),
    )


def _create_campaign_attempts() -> None:
    op.create_table(
        "campaign_attempts",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("attempt_id", sa.String(length=150), nullable=False),
        sa.Column("campaign_id", sa.String(length=64), nullable=False),
        sa.Column("policy_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("linkedid", sa.String(length=64), nullable=False),
        sa.Column("controller", sa.String(length=100), nullable=False),
        sa.Column("started_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("answered_at", UTC_TIMESTAMP, nullable=True),
        sa.Column("ended_at", UTC_TIMESTAMP, nullable=True),
        sa.Column("disposition", sa.String(length=16), nullable=True),
        sa.Column("promise_date", sa.Date(), nullable=True),
        sa.Column("promise_amount", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("amd_status", sa.String(length=16), nullable=True),
        sa.Column("agent_extension", sa.String(length=16), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.CheckConstraint(
            f"disposition IN {DISPOSITIONS}", name=op.f("ck_campaign_attempts_disposition")
        ),
        sa.CheckConstraint("seq >= 1", name=op.f("ck_campaign_attempts_seq_positive")),
        sa.CheckConstraint(
            "promise_amount > 0", name=op.f("ck_campaign_attempts_promise_amount_positive")
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name="fk_campaign_attempts_campaign_id_campaigns",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["policy_id"], ["policies.id"], name="fk_campaign_attempts_policy_id_policies"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_campaign_attempts"),
        sa.UniqueConstraint("attempt_id", name=op.f("uq_campaign_attempts_attempt_id")),
        sa.UniqueConstraint("linkedid", name=op.f("uq_campaign_attempts_linkedid")),
    )
    op.create_index(
        "ix_campaign_attempts_campaign_id_policy_id",
        "campaign_attempts",
        ["campaign_id", "policy_id"],
    )
    op.create_index(
        "ix_campaign_attempts_number_started_at", "campaign_attempts", ["number", "started_at"]
    )
    op.create_index(
        "ix_campaign_attempts_campaign_id_disposition",
        "campaign_attempts",
        ["campaign_id", "disposition"],
    )


def _create_campaign_decisions() -> None:
    op.create_table(
        "campaign_decisions",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("campaign_id", sa.String(length=64), nullable=False),
        sa.Column("policy_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("attempt_id", sa.String(length=150), nullable=True),
        sa.Column("dial", sa.Boolean(), nullable=False),
        sa.Column("check", sa.String(length=32), nullable=False),
        sa.Column("final", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("not_before", UTC_TIMESTAMP, nullable=True),
        sa.Column("at", UTC_TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name="fk_campaign_decisions_campaign_id_campaigns",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_campaign_decisions"),
    )
    op.create_index(
        "ix_campaign_decisions_campaign_id_at", "campaign_decisions", ["campaign_id", "at"]
    )


def _create_do_not_call() -> None:
    op.create_table(
        "do_not_call",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("added_at", UTC_TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_do_not_call"),
        sa.UniqueConstraint("number", name=op.f("uq_do_not_call_number")),
    )


def _create_customer_opt_outs() -> None:
    op.create_table(
        "customer_opt_outs",
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("opted_out_at", UTC_TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name="fk_customer_opt_outs_customer_id_customers",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("customer_id", name="pk_customer_opt_outs"),
    )
