"""What the use cases need from the outside world; `storage` and `bot` implement these."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from types import TracebackType
from typing import Any, Protocol

from appraisal.calendar import WorkingCalendar
from appraisal.model import Appraisal, AuditEvent
from appraisal.nudges import Nudge
from appraisal.record import Objective
from appraisal.roles import Role
from appraisal.roster import RosterEntry


class StaleVersion(Exception):
    """Raised by a repository when the row's version is no longer the one that was read."""


@dataclass(frozen=True)
class Schedule:
    """Dates kept on an appraisal's row so that indexed queries find the work due.

    `next_due_on` is the earliest due date owed; `nudges_from` is the day the nudge job next
    reads the appraisal (the day of a change, then `appraisal.nudges.next_nudge_day`). Both
    are None once nothing more is owed.
    """

    next_due_on: date | None
    nudges_from: date | None


@dataclass(frozen=True)
class Person:
    """Someone on the roster, with their trust-wide roles and the schools they serve."""

    id: int
    name: str
    email: str
    aad_object_id: str | None = None
    trust_roles: frozenset[Role] = frozenset()
    school_roles: frozenset[tuple[Role, str]] = frozenset()


@dataclass(frozen=True)
class SchoolTeam:
    """A school and who the roster names for it: one person per role, and its governors."""

    urn: str
    name: str
    nation: str
    people: dict[Role, Person] = field(default_factory=dict)
    governors: tuple[Person, ...] = ()

    @property
    def label(self) -> str:
        """'Brookside Primary School (100001)'."""
        return f"{self.name} ({self.urn})"


@dataclass(frozen=True)
class ParticipantMove:
    """Who held a role on a school's open appraisal before a roster change, and who holds it now."""

    school: str
    role: Role
    before: tuple[str, ...]
    after: tuple[str, ...]

    def __str__(self) -> str:
        def who(names: tuple[str, ...]) -> str:
            return ", ".join(names) or "nobody"

        return f"{self.school}: {self.role.label} {who(self.before)} → {who(self.after)}"


@dataclass(frozen=True)
class RosterChanges:
    """What an import changed; all zero and empty when the same file is imported again.

    `participants`: each change of who takes part in an open appraisal; `notes`: what else
    the change did to open appraisals, or did not do (said once per school).
    """

    schools_added: int = 0
    schools_updated: int = 0
    people_added: int = 0
    people_updated: int = 0
    roles_added: int = 0
    roles_removed: int = 0
    participants: tuple[ParticipantMove, ...] = ()
    notes: tuple[str, ...] = ()

    def counts(self) -> dict[str, int]:
        """The counts of rows changed, by what they are, leaving out the zeros."""
        found = {
            "schools added": self.schools_added,
            "schools updated": self.schools_updated,
            "people added": self.people_added,
            "people updated": self.people_updated,
            "roles added": self.roles_added,
            "roles removed": self.roles_removed,
        }
        return {name: n for name, n in found.items() if n}

    @property
    def changed(self) -> bool:
        """True when anything was written."""
        return bool(self.counts() or self.participants)


class People(Protocol):
    """Reading people on the roster."""

    async def get(self, person_id: int) -> Person | None: ...
    async def by_email(self, email: str) -> Person | None: ...
    async def by_aad_object_id(self, aad_object_id: str) -> Person | None: ...
    async def bind_aad_object_id(self, person_id: int, aad_object_id: str) -> None: ...
    async def names(self, ids: Sequence[int]) -> dict[int, str]: ...
    async def with_trust_role(self, role: Role) -> list[Person]: ...


class Roster(Protocol):
    """Replacing the roster with an imported one, and reading school teams."""

    async def replace(
        self, entries: Sequence[RosterEntry], default_nation: str
    ) -> RosterChanges: ...
    async def is_empty(self) -> bool: ...
    async def teams(self) -> list[SchoolTeam]: ...
    async def entries(self) -> list[RosterEntry]: ...


class Appraisals(Protocol):
    """Appraisal rows with optimistic concurrency on `version`."""

    async def get(self, appraisal_id: int) -> Appraisal | None: ...
    async def add(self, appraisal: Appraisal, schedule: Schedule) -> Appraisal: ...
    async def update(
        self, appraisal: Appraisal, expected_version: int, schedule: Schedule
    ) -> None: ...
    async def exists(self, school_urn: str, year: int) -> bool: ...
    async def objectives_of(
        self, headteacher_id: int, school_urn: str, year: int
    ) -> tuple[Objective, ...]: ...
    async def list(self, year: int | None = None) -> list[Appraisal]: ...
    async def involving(self, person_id: int) -> list[Appraisal]: ...
    async def open_ones(self) -> list[Appraisal]: ...
    async def set_governors(self, appraisal_id: int, governor_ids: Sequence[int]) -> None: ...
    async def due_by(self, day: date) -> list[Appraisal]: ...
    async def nudged_by(self, day: date | None) -> list[Appraisal]: ...
    async def set_nudges_from(self, days: Sequence[tuple[int, int, date | None]]) -> None: ...


class AuditLog(Protocol):
    """The append-only audit trail."""

    async def append(self, event: AuditEvent) -> None: ...


class Drafts(Protocol):
    """Forms a person filled in across several cards and has not yet submitted."""

    async def parts(self, appraisal_id: int, person_id: int) -> dict[str, dict[str, Any]]: ...
    async def save(
        self, appraisal_id: int, person_id: int, form: str, data: dict[str, Any], now: datetime
    ) -> None: ...
    async def clear(self, appraisal_id: int, person_id: int) -> None: ...


@dataclass(frozen=True)
class PendingUpload:
    """One stored file and who sent it; its bytes are in the blob store under `sha256`."""

    id: int
    person_id: int
    sha256: str
    filename: str
    size: int
    content_type: str
    received_at: datetime


class PendingUploads(Protocol):
    """Files received in chat and stored, waiting to be told what they are evidence of."""

    async def add(
        self,
        person_id: int,
        sha256: str,
        filename: str,
        size: int,
        content_type: str,
        now: datetime,
    ) -> int: ...
    async def get(self, upload_id: int) -> PendingUpload | None: ...
    async def remove(self, upload_id: int) -> None: ...


class ConversationRefs(Protocol):
    """Where to reach each Teams user proactively (the Bot Framework's conversation reference)."""

    async def save(
        self,
        aad_object_id: str,
        tenant_id: str,
        person_id: int | None,
        reference: dict[str, Any],
        now: datetime,
    ) -> None: ...
    async def get(self, aad_object_id: str) -> dict[str, Any] | None: ...
    async def for_person(self, person_id: int) -> dict[str, Any] | None: ...


class JobState(Protocol):
    """What a scheduled job remembers between runs: one value per name."""

    async def get(self, name: str) -> str | None: ...
    async def put(self, name: str, value: str, now: datetime) -> None: ...


class Outbox(Protocol):
    """Proactive messages to send; a message decided twice (same key) is stored once."""

    async def add_many(
        self, nudges: Sequence[Nudge], decided_at: datetime, send_after: datetime
    ) -> int: ...


@dataclass(frozen=True)
class ClaimedRow:
    """An outbox row a sender now owns until it records an outcome (or its lease runs out)."""

    id: int
    appraisal_id: int
    recipient_id: int
    action: str
    kind: str
    attempts: int  # including the attempt now starting


@dataclass(frozen=True)
class Requeued:
    """What `requeue_stale` did: rows back to pending, and rows given up."""

    pending: int
    failed: int


@dataclass(frozen=True)
class FailedDelivery:
    """A row that will never be delivered, with who it was for and why (no message content)."""

    id: int
    appraisal_id: int
    recipient_name: str
    kind: str
    reason: str


class OutboxDelivery(Protocol):
    """The sender's side of the outbox: claiming due rows and recording each one's outcome."""

    async def claim(self, now: datetime, limit: int) -> list[ClaimedRow]: ...
    async def mark_sent(self, row_id: int, now: datetime, activity_id: str | None) -> bool: ...
    async def mark_skipped(self, row_id: int, now: datetime, note: str) -> bool: ...
    async def mark_retry(self, row_id: int, when: datetime, reason: str) -> bool: ...
    async def release(self, row_id: int, now: datetime) -> bool: ...
    async def mark_failed(self, row_id: int, reason: str, *, tried: bool = True) -> bool: ...
    async def requeue_stale(
        self, now: datetime, claimed_before: datetime, max_lost_leases: int
    ) -> Requeued: ...
    async def failed(self) -> list[FailedDelivery]: ...


class Blobs(Protocol):
    """Evidence bytes, addressed by their SHA-256."""

    async def put(self, data: bytes, content_type: str, now: datetime) -> str: ...
    async def get(self, sha256: str) -> bytes | None: ...


class UnitOfWork(Protocol):
    """One transaction: everything written through it commits together or not at all."""

    people: People
    roster: Roster
    appraisals: Appraisals
    audit: AuditLog
    blobs: Blobs
    drafts: Drafts
    outbox: Outbox
    delivery: OutboxDelivery
    uploads: PendingUploads
    conversations: ConversationRefs
    job_state: JobState

    async def __aenter__(self) -> UnitOfWork: ...
    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
    async def commit(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    """Opens a new unit of work."""

    def __call__(self) -> UnitOfWork: ...


class Calendars(Protocol):
    """The working calendar of each nation."""

    def for_nation(self, nation: str) -> WorkingCalendar: ...
