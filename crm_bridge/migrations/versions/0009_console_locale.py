"""Each console user's language on their account: ``agents.console_locale`` (``zh-CN`` or
``en``, ``crm_bridge.vocab.ConsoleLocale``); NULL, as for every agent stored before this
revision, means the install's default language.

No CHECK constraint: adding one to ``agents`` on SQLite means recreating the table, which the
foreign keys that point at it forbid; the repository refuses any other value.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("agents", sa.Column("console_locale", sa.String(length=8), nullable=True))


def downgrade() -> None:
    # not batch mode: SQLite 3.35+ drops a column in place
    op.drop_column("agents", "console_locale")
