"""appraisals.nudges_from (the day the nudge job next reads an appraisal) and job_state

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30

Rows already stored get the day their cycle opened (none once complete), so the job's next
run reads every open appraisal, as it did before, and sets each one's next day itself.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "job_state",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_job_state")),
    )
    with op.batch_alter_table("appraisals", schema=None) as batch_op:
        batch_op.add_column(sa.Column("nudges_from", sa.Date(), nullable=True))
        batch_op.create_index(batch_op.f("ix_appraisals_nudges_from"), ["nudges_from"])
    appraisals = sa.table(
        "appraisals",
        sa.column("stage", sa.String()),
        sa.column("opened_at", sa.DateTime(timezone=True)),
        sa.column("nudges_from", sa.Date()),
    )
    op.execute(
        appraisals.update()
        .where(appraisals.c.stage != "complete")
        .values(nudges_from=sa.func.date(appraisals.c.opened_at))
    )


def downgrade() -> None:
    with op.batch_alter_table("appraisals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_appraisals_nudges_from"))
        batch_op.drop_column("nudges_from")
    op.drop_table("job_state")
