"""IVR self-service: birth dates, badge look-ups, fraud reports, quotes, promises, complaints.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_TIMESTAMP = sa.DateTime(timezone=True)  # crm_bridge.sqltypes.UtcDateTime at the ORM level
CASE_STATUS = "status IN ('open', 'in_progress', 'closed')"
# CHECK names go through op.f(): the metadata's naming convention would otherwise prefix an
# explicit name again (0001's CHECKs are stored as e.g. ck_agents_ck_agents_role).


def upgrade() -> None:
    op.add_column("customers", sa.Column("birth_date", sa.Date(), nullable=True))
    _create_field_agent_lookups()
    _create_fraud_reports()
    _create_quotes()
    _create_payment_promises()
    _create_complaints()


def downgrade() -> None:
    for table, columns in (
        ("complaints", ("caller_number", "customer_id", "linkedid")),
        ("payment_promises", ("customer_id", "linkedid", "policy_id")),
        ("quotes", ("caller_number", "customer_id", "linkedid")),
        ("fraud_reports", ("badge_number", "linkedid")),
        ("field_agent_lookups", ("caller_number_created_at", "linkedid")),
    ):
        for column in columns:
            op.drop_index(f"ix_{table}_{column}", table_name=table)
        op.drop_table(table)
    # not batch mode: recreating customers would trip the foreign keys that point at it
    # (SQLite 3.35+ drops a column in place)
    op.drop_column("customers", "birth_date")


def _create_field_agent_lookups() -> None:
    op.create_table(
        "field_agent_lookups",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("caller_number", sa.String(length=64), nullable=False),
        sa.Column("badge_number", sa.String(length=32), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=False),
        sa.Column("linkedid", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTC_TIMESTAMP, nullable=False),
        sa.CheckConstraint(
            "outcome IN ('found_active', 'found_suspended', 'found_terminated', "
            "'found_expired_licence', 'unknown', 'locked')",
            name=op.f("ck_field_agent_lookups_outcome"),
        ),
        sa.PrimaryKeyConstraint("id", name="pk_field_agent_lookups"),
    )
    op.create_index(
        "ix_field_agent_lookups_caller_number_created_at",
        "field_agent_lookups",
        ["caller_number", "created_at"],
    )
    op.create_index("ix_field_agent_lookups_linkedid", "field_agent_lookups", ["linkedid"])


def _create_fraud_reports() -> None:
    op.create_table(
        "fraud_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("caller_number", sa.String(length=64), nullable=False),
        sa.Column("badge_number", sa.String(length=32), nullable=False),
        sa.Column("linkedid", sa.String(length=64), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", UTC_TIMESTAMP, nullable=False),
        sa.CheckConstraint(CASE_STATUS, name=op.f("ck_fraud_reports_status")),
        sa.PrimaryKeyConstraint("id", name="pk_fraud_reports"),
    )
    op.create_index("ix_fraud_reports_badge_number", "fraud_reports", ["badge_number"])
    op.create_index("ix_fraud_reports_linkedid", "fraud_reports", ["linkedid"])


def _create_quotes() -> None:
    op.create_table(
        "quotes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("caller_number", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("product", sa.String(length=16), nullable=False),
        sa.Column("parameters", sa.JSON(), nullable=False),
        sa.Column("premium", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("callback_requested", sa.Boolean(), nullable=False),
        sa.Column("linkedid", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTC_TIMESTAMP, nullable=False),
        sa.CheckConstraint(
            "product IN ('auto', 'health', 'accident', 'life', 'property')",
            name=op.f("ck_quotes_product"),
        ),
        sa.CheckConstraint("premium >= 0", name=op.f("ck_quotes_premium_not_negative")),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name="fk_quotes_customer_id_customers",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_quotes"),
    )
    op.create_index("ix_quotes_caller_number", "quotes", ["caller_number"])
    op.create_index("ix_quotes_customer_id", "quotes", ["customer_id"])
    op.create_index("ix_quotes_linkedid", "quotes", ["linkedid"])


def _create_payment_promises() -> None:
    op.create_table(
        "payment_promises",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("policy_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("promised_date", sa.Date(), nullable=False),
        sa.Column("caller_number", sa.String(length=64), nullable=False),
        sa.Column("linkedid", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("created_at", UTC_TIMESTAMP, nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_payment_promises_amount_positive")),
        sa.CheckConstraint(
            "channel IN ('inbound', 'outbound')", name=op.f("ck_payment_promises_channel")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name="fk_payment_promises_customer_id_customers"
        ),
        sa.ForeignKeyConstraint(
            ["policy_id"], ["policies.id"], name="fk_payment_promises_policy_id_policies"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_payment_promises"),
    )
    op.create_index("ix_payment_promises_customer_id", "payment_promises", ["customer_id"])
    op.create_index("ix_payment_promises_linkedid", "payment_promises", ["linkedid"])
    op.create_index("ix_payment_promises_policy_id", "payment_promises", ["policy_id"])


def _create_complaints() -> None:
    op.create_table(
        "complaints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("caller_number", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("recording_file", sa.String(length=255), nullable=True),
        sa.Column("linkedid", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", UTC_TIMESTAMP, nullable=False),
        sa.CheckConstraint(
            "category IN ('billing', 'claims', 'service', 'agent_conduct', 'other')",
            name=op.f("ck_complaints_category"),
        ),
        sa.CheckConstraint(CASE_STATUS, name=op.f("ck_complaints_status")),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name="fk_complaints_customer_id_customers",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_complaints"),
    )
    op.create_index("ix_complaints_caller_number", "complaints", ["caller_number"])
    op.create_index("ix_complaints_customer_id", "complaints", ["customer_id"])
    op.create_index("ix_complaints_linkedid", "complaints", ["linkedid"])
