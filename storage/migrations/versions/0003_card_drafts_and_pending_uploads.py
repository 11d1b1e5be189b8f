"""card drafts and pending uploads

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pending_uploads",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content_type", sa.String(length=127), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_pending_uploads_person_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["sha256"],
            ["evidence_blobs.sha256"],
            name=op.f("fk_pending_uploads_sha256_evidence_blobs"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pending_uploads")),
    )
    with op.batch_alter_table("pending_uploads", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_pending_uploads_person_id"), ["person_id"], unique=False
        )

    op.create_table(
        "card_drafts",
        sa.Column("appraisal_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("form", sa.String(length=40), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["appraisal_id"], ["appraisals.id"], name=op.f("fk_card_drafts_appraisal_id_appraisals")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_card_drafts_person_id_people")
        ),
        sa.PrimaryKeyConstraint("appraisal_id", "person_id", "form", name=op.f("pk_card_drafts")),
    )


def downgrade() -> None:
    op.drop_table("card_drafts")
    with op.batch_alter_table("pending_uploads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pending_uploads_person_id"))

    op.drop_table("pending_uploads")
