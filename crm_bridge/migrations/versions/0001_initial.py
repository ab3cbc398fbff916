"""Initial CRM schema: agents, skills, customers, phones, policies, field agents, calls.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_TIMESTAMP = sa.DateTime(timezone=True)  # crm_bridge.sqltypes.UtcDateTime at the ORM level


def upgrade() -> None:
    _create_agents()
    _create_field_agents()
    _create_customers()
    _create_policies()
    _create_calls()


def downgrade() -> None:
    op.drop_index("ix_calls_start_time", table_name="calls")
    op.drop_index("ix_calls_customer_id", table_name="calls")
    op.drop_index("ix_calls_caller_number", table_name="calls")
    op.drop_index("ix_calls_agent_extension", table_name="calls")
    op.drop_table("calls")
    op.drop_index("ix_policies_customer_id", table_name="policies")
    op.drop_table("policies")
    op.drop_index("ix_customer_phones_customer_id", table_name="customer_phones")
    op.drop_table("customer_phones")
    op.drop_table("customers")
    op.drop_table("field_agents")
    op.drop_table("agent_skills")
    op.drop_table("agents")


def _create_agents() -> None:
    op.create_table(
        "agents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("extension", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("sip_secret", sa.String(length=128), nullable=False),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("team", sa.String(length=50), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("wrapup_seconds", sa.Integer(), nullable=True),
        sa.CheckConstraint("role IN ('agent', 'supervisor', 'admin')", name="ck_agents_role"),
        sa.PrimaryKeyConstraint("id", name="pk_agents"),
        sa.UniqueConstraint("extension", name="uq_agents_extension"),
    )
    op.create_table(
        "agent_skills",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("skill", sa.String(length=50), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.CheckConstraint("level BETWEEN 1 AND 5", name="ck_agent_skills_level"),
        sa.ForeignKeyConstraint(
            ["agent_id"],
            ["agents.id"],
            name="fk_agent_skills_agent_id_agents",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_agent_skills"),
        sa.UniqueConstraint("agent_id", "skill", name="uq_agent_skills_agent_id_skill"),
    )


def _create_field_agents() -> None:
    op.create_table(
        "field_agents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("badge_number", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("branch", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("licence_expiry", sa.Date(), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=False),
        sa.CheckConstraint(
            "status IN ('active', 'suspended', 'terminated')", name="ck_field_agents_status"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_field_agents"),
        sa.UniqueConstraint("badge_number", name="uq_field_agents_badge_number"),
    )


def _create_customers() -> None:
    op.create_table(
        "customers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("id_number", sa.String(length=32), nullable=False),
        sa.Column("tier", sa.String(length=16), nullable=False),
        sa.Column("blacklisted", sa.Boolean(), nullable=False),
        sa.Column("account_manager_id", sa.Integer(), nullable=True),
        sa.Column("region", sa.String(length=50), nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("created_at", UTC_TIMESTAMP, nullable=False),
        sa.CheckConstraint("language IN ('zh', 'en')", name="ck_customers_language"),
        sa.CheckConstraint("tier IN ('standard', 'gold', 'vip')", name="ck_customers_tier"),
        sa.ForeignKeyConstraint(
            ["account_manager_id"],
            ["agents.id"],
            name="fk_customers_account_manager_id_agents",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_customers"),
        sa.UniqueConstraint("id_number", name="uq_customers_id_number"),
    )
    op.create_table(
        "customer_phones",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.CheckConstraint("kind IN ('mobile', 'home', 'work')", name="ck_customer_phones_kind"),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name="fk_customer_phones_customer_id_customers",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_customer_phones"),
        sa.UniqueConstraint("number", name="uq_customer_phones_number"),
    )
    op.create_index("ix_customer_phones_customer_id", "customer_phones", ["customer_id"])


def _create_policies() -> None:
    op.create_table(
        "policies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("product", sa.String(length=16), nullable=False),
        sa.Column("premium", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("paid_date", sa.Date(), nullable=True),
        sa.CheckConstraint(
            "product IN ('auto', 'health', 'accident', 'life', 'property')",
            name="ck_policies_product",
        ),
        sa.CheckConstraint(
            "status IN ('active', 'overdue', 'lapsed', 'cancelled')", name="ck_policies_status"
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name="fk_policies_customer_id_customers"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_policies"),
        sa.UniqueConstraint("number", name="uq_policies_number"),
    )
    op.create_index("ix_policies_customer_id", "policies", ["customer_id"])


def _create_calls() -> None:
    op.create_table(
        "calls",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("linkedid", sa.String(length=64), nullable=False),
        sa.Column("direction", sa.String(length=16), nullable=False),
        sa.Column("caller_number", sa.String(length=64), nullable=False),
        sa.Column("did", sa.String(length=64), nullable=False),
        sa.Column("start_time", UTC_TIMESTAMP, nullable=False),
        sa.Column("answer_time", UTC_TIMESTAMP, nullable=True),
        sa.Column("end_time", UTC_TIMESTAMP, nullable=False),
        sa.Column("duration", sa.Integer(), nullable=False),
        sa.Column("billsec", sa.Integer(), nullable=False),
        sa.Column("disposition", sa.String(length=16), nullable=False),
        sa.Column("hangup_cause", sa.Integer(), nullable=False),
        sa.Column("hangup_cause_text", sa.String(length=100), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=True),
        sa.Column("ivr_path", sa.String(length=500), nullable=False),
        sa.Column("agent_extension", sa.String(length=16), nullable=True),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC_TIMESTAMP, nullable=False),
        sa.CheckConstraint("direction IN ('inbound', 'outbound')", name="ck_calls_direction"),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name="fk_calls_customer_id_customers",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_calls"),
        sa.UniqueConstraint("linkedid", name="uq_calls_linkedid"),
    )
    op.create_index("ix_calls_agent_extension", "calls", ["agent_extension"])
    op.create_index("ix_calls_caller_number", "calls", ["caller_number"])
    op.create_index("ix_calls_customer_id", "calls", ["customer_id"])
    op.create_index("ix_calls_start_time", "calls", ["start_time"])
