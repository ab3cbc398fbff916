"""Failed proofs of who holds a customer's policies (birth date or identity number's last four)
are logged with the badge look-ups, so both count toward one lock-out per caller number.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from __future__ import annotations
from collections.abc import Sequence

from alembic import op
revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "field_agent_lookups"
CHECK = "ck_field_agent_lookups_outcome"  # through op.f(), as in 0002 (see the note there)
BADGE_OUTCOMES = (
    "'found_active', 'found_suspended', 'found_terminated', 'found_expired_licence', "
    "'unknown', 'locked'"
)


def upgrade() -> None:
    _outcomes(f"outcome IN ({BADGE_OUTCOMES}, 'holder_unconfirmed')")


def downgrade() -> None:
    op.execute(f"DELETE FROM {TABLE} WHERE outcome = 'holder_unconfirmed'")
    _outcomes(f"outcome IN ({BADGE_OUTCOMES})")


def _outcomes(condition: str) -> None:
    # SQLite cannot alter a CHECK: batch mode copies the table (nothing points at it)
    with op.batch_alter_table(TABLE, recreate="auto") as batch:
        batch.drop_constraint(op.f(CHECK), type_="check")
        batch.create_check_constraint(op.f(CHECK), condition)
