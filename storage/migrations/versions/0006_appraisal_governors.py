"""One to three appointed governors per appraisal, and each governor's answer about attending

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01

`appraisals.governor_id` becomes `governor_ids` in the record (as the roster names them now)
with the table `appraisal_governors` to find a governor's appraisals by. An appraisal stored
past the governor's confirmation (preparing for the meeting) records that governor's answer,
so that a later change of governor is judged against it.
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_appraisals = sa.table(
    "appraisals",
    sa.column("id", sa.Integer()),
    sa.column("governor_id", sa.Integer()),
    sa.column("stage", sa.String()),
    sa.column("stage_entered_at", sa.DateTime(timezone=True)),
    sa.column("record", sa.JSON()),
)
_links = sa.table(
    "appraisal_governors",
    sa.column("appraisal_id", sa.Integer()),
    sa.column("person_id", sa.Integer()),
)


def _iso(moment: Any) -> str:
    # SQLite hands back naive UTC datetimes (or text); the record keeps aware ISO strings.
    if isinstance(moment, str):
        return moment if "+" in moment else f"{moment}+00:00"
    return moment.isoformat() if moment.tzinfo else f"{moment.isoformat()}+00:00"


def upgrade() -> None:
    op.create_table(
        "appraisal_governors",
        sa.Column("appraisal_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["appraisal_id"],
            ["appraisals.id"],
            name=op.f("fk_appraisal_governors_appraisal_id_appraisals"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_appraisal_governors_person_id_people")
        ),
        sa.PrimaryKeyConstraint("appraisal_id", "person_id", name=op.f("pk_appraisal_governors")),
    )
    with op.batch_alter_table("appraisal_governors", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_appraisal_governors_person_id"), ["person_id"])
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(
            _appraisals.c.id,
            _appraisals.c.governor_id,
            _appraisals.c.stage,
            _appraisals.c.stage_entered_at,
            _appraisals.c.record,
        )
    ).all()
    for row in rows:
        record = dict(row.record)
        record["governor_ids"] = [row.governor_id]
        if row.stage == "preparation":
            answer = {"governor_id": row.governor_id, "can_attend": True}
            record["availability"] = [{**answer, "at": _iso(row.stage_entered_at)}]
        connection.execute(
            _appraisals.update().where(_appraisals.c.id == row.id).values(record=record)
        )
        connection.execute(_links.insert().values(appraisal_id=row.id, person_id=row.governor_id))
    with op.batch_alter_table("appraisals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_appraisals_governor_id"))
        batch_op.drop_constraint(op.f("fk_appraisals_governor_id_people"), type_="foreignkey")
        batch_op.drop_column("governor_id")


def downgrade() -> None:
    connection = op.get_bind()
    rows = connection.execute(sa.select(_appraisals.c.id, _appraisals.c.record)).all()
    firsts = {row.id: (row.record.get("governor_ids") or [None])[0] for row in rows}
    if any(first is None for first in firsts.values()):
        raise RuntimeError(
            "Cannot go back before revision 0006: some appraisals have no appointed governor, "
            "which earlier revisions cannot store."
        )
    with op.batch_alter_table("appraisals", schema=None) as batch_op:
        batch_op.add_column(sa.Column("governor_id", sa.Integer(), nullable=True))
    for row in rows:
        record = {k: v for k, v in row.record.items() if k not in ("governor_ids", "availability")}
        connection.execute(
            _appraisals.update()
            .where(_appraisals.c.id == row.id)
            .values(governor_id=firsts[row.id], record=record)
        )
    with op.batch_alter_table("appraisals", schema=None) as batch_op:
        batch_op.alter_column("governor_id", existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key(
            op.f("fk_appraisals_governor_id_people"), "people", ["governor_id"], ["id"]
        )
        batch_op.create_index(batch_op.f("ix_appraisals_governor_id"), ["governor_id"])
    with op.batch_alter_table("appraisal_governors", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_appraisal_governors_person_id"))
    op.drop_table("appraisal_governors")
