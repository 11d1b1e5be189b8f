"""The tables (SQLAlchemy 2 typed declarative style)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes stored as UTC; SQLite's naive values come back marked as UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base with constraint names that migrations can refer to."""

    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


class SchoolRow(Base):
    __tablename__ = "schools"

    urn: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    nation: Mapped[str] = mapped_column(String(32))


class PersonRow(Base):
    __tablename__ = "people"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320), unique=True)
    aad_object_id: Mapped[str | None] = mapped_column(String(36), unique=True)


class RoleRow(Base):
    __tablename__ = "roster_roles"
    __table_args__ = (UniqueConstraint("person_id", "role", "school_urn"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    school_urn: Mapped[str | None] = mapped_column(ForeignKey("schools.urn"), index=True)


class AppraisalRow(Base):
    __tablename__ = "appraisals"
    __table_args__ = (UniqueConstraint("school_urn", "year"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    school_urn: Mapped[str] = mapped_column(ForeignKey("schools.urn"))
    year: Mapped[int] = mapped_column(Integer)
    nation: Mapped[str] = mapped_column(String(32))
    headteacher_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    adviser_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    led_by_rel: Mapped[bool] = mapped_column(Boolean)
    stage: Mapped[str] = mapped_column(String(32))
    version: Mapped[int] = mapped_column(Integer)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    stage_entered_at: Mapped[datetime] = mapped_column(UTCDateTime())
    meeting_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    next_due_on: Mapped[date | None] = mapped_column(Date, index=True)
    # The day the nudge job next reads this row (a change: that day; a run: the next nudge day).
    nudges_from: Mapped[date | None] = mapped_column(Date, index=True)
    # Objectives, evaluations, evidence and the meeting record: confidential, never logged.
    # The governors' ids are here too (`governor_ids`); `appraisal_governors` indexes them.
    record: Mapped[dict[str, Any]] = mapped_column(JSON)


class AppraisalGovernorRow(Base):
    """Which appraisals each appointed governor is on: the index behind "my appraisals"."""

    __tablename__ = "appraisal_governors"

    appraisal_id: Mapped[int] = mapped_column(ForeignKey("appraisals.id"), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), primary_key=True, index=True)


class AuditRow(Base):
    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_appraisal_at", "appraisal_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    appraisal_id: Mapped[int | None] = mapped_column(ForeignKey("appraisals.id"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    action: Mapped[str] = mapped_column(String(40))
    from_stage: Mapped[str | None] = mapped_column(String(32))
    to_stage: Mapped[str | None] = mapped_column(String(32))
    outcome: Mapped[str] = mapped_column(String(16))
    detail: Mapped[str] = mapped_column(String(500))


class EvidenceBlobRow(Base):
    __tablename__ = "evidence_blobs"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(Integer)
    content_type: Mapped[str] = mapped_column(String(127))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    stored_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ConversationRefRow(Base):
    """Where to reach a person in Teams: refreshed on install and on every message."""

    __tablename__ = "conversation_refs"

    aad_object_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    reference: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CardDraftRow(Base):
    """A form filled in across several cards (the meeting record), kept until it is submitted."""

    __tablename__ = "card_drafts"

    appraisal_id: Mapped[int] = mapped_column(ForeignKey("appraisals.id"), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), primary_key=True)
    form: Mapped[str] = mapped_column(String(40), primary_key=True)
    # Confidential text as typed: never logged.
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PendingUploadRow(Base):
    """A file received in chat and stored, waiting to be told what it is evidence of."""

    __tablename__ = "pending_uploads"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    sha256: Mapped[str] = mapped_column(ForeignKey("evidence_blobs.sha256"))
    filename: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(Integer)
    content_type: Mapped[str] = mapped_column(String(127))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())


class OutboxRow(Base):
    """A proactive message decided by the nudges job, delivered by the sender exactly once.

    `key` (appraisal, step, kind, day, recipient) is unique, so deciding the same nudge twice,
    after a restart or on a second instance, inserts nothing. No message text is stored: the
    card is built from the appraisal when it is sent.
    """

    __tablename__ = "nudge_outbox"
    __table_args__ = (Index("ix_nudge_outbox_status_next", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    appraisal_id: Mapped[int] = mapped_column(ForeignKey("appraisals.id"), index=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    action: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(20))
    due_on: Mapped[date | None] = mapped_column(Date)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_error: Mapped[str] = mapped_column(String(200))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    activity_id: Mapped[str | None] = mapped_column(String(200))
    # Leases lost in a row while it was the row being sent (see storage/delivery.py).
    lease_losses: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))


class JobStateRow(Base):
    """What a scheduled job needs to remember between runs (e.g. the rules it last ran under)."""

    __tablename__ = "job_state"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
