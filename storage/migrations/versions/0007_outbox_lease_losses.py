"""nudge_outbox.lease_losses: how often in a row a row's sender stopped while sending it

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02

The sender fails a row after `max_lost_leases` of them; any outcome recorded for the row sets
the count back to 0. Rows already stored start at 0.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("nudge_outbox", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("lease_losses", sa.Integer(), nullable=False, server_default=sa.text("0"))
        )


def downgrade() -> None:
    with op.batch_alter_table("nudge_outbox", schema=None) as batch_op:
        batch_op.drop_column("lease_losses")
