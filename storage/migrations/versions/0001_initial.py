"""roster, appraisals, audit trail and evidence

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "evidence_blobs",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content_type", sa.String(length=127), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("stored_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sha256", name=op.f("pk_evidence_blobs")),
    )
    op.create_table(
        "people",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("aad_object_id", sa.String(length=36), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_people")),
        sa.UniqueConstraint("aad_object_id", name=op.f("uq_people_aad_object_id")),
        sa.UniqueConstraint("email", name=op.f("uq_people_email")),
    )
    op.create_table(
        "schools",
        sa.Column("urn", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("nation", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("urn", name=op.f("pk_schools")),
    )
    op.create_table(
        "appraisals",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("school_urn", sa.String(length=16), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("nation", sa.String(length=32), nullable=False),
        sa.Column("headteacher_id", sa.Integer(), nullable=False),
        sa.Column("reviewer_id", sa.Integer(), nullable=False),
        sa.Column("governor_id", sa.Integer(), nullable=False),
        sa.Column("adviser_id", sa.Integer(), nullable=True),
        sa.Column("led_by_rel", sa.Boolean(), nullable=False),
        sa.Column("stage", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("stage_entered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("meeting_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("next_due_on", sa.Date(), nullable=True),
        sa.Column("record", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["adviser_id"], ["people.id"], name=op.f("fk_appraisals_adviser_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["governor_id"], ["people.id"], name=op.f("fk_appraisals_governor_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["headteacher_id"], ["people.id"], name=op.f("fk_appraisals_headteacher_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["reviewer_id"], ["people.id"], name=op.f("fk_appraisals_reviewer_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["school_urn"], ["schools.urn"], name=op.f("fk_appraisals_school_urn_schools")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appraisals")),
        sa.UniqueConstraint("school_urn", "year", name=op.f("uq_appraisals_school_urn")),
    )
    with op.batch_alter_table("appraisals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_appraisals_adviser_id"), ["adviser_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_appraisals_governor_id"), ["governor_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_appraisals_headteacher_id"), ["headteacher_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_appraisals_next_due_on"), ["next_due_on"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_appraisals_reviewer_id"), ["reviewer_id"], unique=False
        )

    op.create_table(
        "roster_roles",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("school_urn", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_roster_roles_person_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["school_urn"], ["schools.urn"], name=op.f("fk_roster_roles_school_urn_schools")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roster_roles")),
        sa.UniqueConstraint(
            "person_id", "role", "school_urn", name=op.f("uq_roster_roles_person_id")
        ),
    )
    with op.batch_alter_table("roster_roles", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_roster_roles_person_id"), ["person_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_roster_roles_school_urn"), ["school_urn"], unique=False
        )

    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("appraisal_id", sa.Integer(), nullable=True),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("from_stage", sa.String(length=32), nullable=True),
        sa.Column("to_stage", sa.String(length=32), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["people.id"], name=op.f("fk_audit_events_actor_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["appraisal_id"],
            ["appraisals.id"],
            name=op.f("fk_audit_events_appraisal_id_appraisals"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index("ix_audit_events_appraisal_at", ["appraisal_id", "at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_events_appraisal_at")

    op.drop_table("audit_events")
    with op.batch_alter_table("roster_roles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_roster_roles_school_urn"))
        batch_op.drop_index(batch_op.f("ix_roster_roles_person_id"))

    op.drop_table("roster_roles")
    with op.batch_alter_table("appraisals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_appraisals_reviewer_id"))
        batch_op.drop_index(batch_op.f("ix_appraisals_next_due_on"))
        batch_op.drop_index(batch_op.f("ix_appraisals_headteacher_id"))
        batch_op.drop_index(batch_op.f("ix_appraisals_governor_id"))
        batch_op.drop_index(batch_op.f("ix_appraisals_adviser_id"))

    op.drop_table("appraisals")
    op.drop_table("schools")
    op.drop_table("people")
    op.drop_table("evidence_blobs")
