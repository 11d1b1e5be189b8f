"""The appraisal aggregate and the audit event each change leaves behind."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from appraisal.record import (
    ChangeRequest,
    EvidenceItem,
    MeetingRecord,
    MidYearReview,
    Objective,
    SelfEvaluation,
)
from appraisal.roles import Role
from appraisal.stages import Action, Stage


@dataclass(frozen=True)
class Appraisal:
    """One headteacher's cycle for one academic year at one school."""

    id: int
    school_urn: str
    school_name: str
    year: int
    nation: str
    headteacher_id: int
    reviewer_id: int
    governor_id: int
    led_by_rel: bool
    stage: Stage
    version: int
    opened_at: datetime
    stage_entered_at: datetime
    adviser_id: int | None = None
    meeting_at: datetime | None = None
    date_proposed_by: Role | None = None
    previous_objectives: tuple[Objective, ...] = ()
    self_evaluations: tuple[SelfEvaluation, ...] = ()
    evidence: tuple[EvidenceItem, ...] = ()
    evidence_added: int = 0
    meeting_record: MeetingRecord | None = None
    change_requests: tuple[ChangeRequest, ...] = ()
    pre_reading_sent_at: datetime | None = None
    meeting_recorded_at: datetime | None = None
    draft_submitted_at: datetime | None = None
    approved_at: datetime | None = None
    final_issued_at: datetime | None = None
    shared_at: datetime | None = None
    sent_to_dceo_at: datetime | None = None
    acknowledged_at: datetime | None = None
    board_meeting_on: date | None = None
    mid_year_review: MidYearReview | None = None
    completed_at: datetime | None = None

    @property
    def academic_year(self) -> str:
        """The academic year as schools write it, e.g. 2026–27."""
        return f"{self.year}–{(self.year + 1) % 100:02d}"

    @property
    def is_first_cycle(self) -> bool:
        """A headteacher's first cycle has no previous objectives to review."""
        return not self.previous_objectives

    def participant_roles(self, person_id: int) -> frozenset[Role]:
        """The roles this person holds on this appraisal by being named on it."""
        named = (
            (Role.HEADTEACHER, self.headteacher_id),
            (Role.REVIEWER, self.reviewer_id),
            (Role.GOVERNOR, self.governor_id),
            (Role.ADVISER, self.adviser_id),
        )
        return frozenset(role for role, holder in named if holder == person_id)

    def holder_of(self, role: Role) -> int | None:
        """The person named on this appraisal for a role, if any."""
        return {
            Role.HEADTEACHER: self.headteacher_id,
            Role.REVIEWER: self.reviewer_id,
            Role.GOVERNOR: self.governor_id,
            Role.ADVISER: self.adviser_id,
        }.get(role)


@dataclass(frozen=True)
class Actor:
    """A person acting, with every role they hold on the appraisal in question."""

    person_id: int
    roles: frozenset[Role]


@dataclass(frozen=True)
class AuditEvent:
    """One entry in the audit trail; `detail` never holds confidential text."""

    appraisal_id: int | None
    actor_id: int | None
    at: datetime
    action: str
    from_stage: Stage | None
    to_stage: Stage | None
    detail: str = ""
    outcome: str = "done"


def roles_on(appraisal: Appraisal, person_id: int, trust_roles: frozenset[Role]) -> frozenset[Role]:
    """Every role a person holds on an appraisal: named on it, plus the trust-wide DCEO/admin."""
    trust_wide = trust_roles & {Role.DCEO, Role.ADMIN}
    return appraisal.participant_roles(person_id) | trust_wide


def actor_for(appraisal: Appraisal, person_id: int, trust_roles: frozenset[Role]) -> Actor:
    """The actor a person is on an appraisal."""
    return Actor(person_id, roles_on(appraisal, person_id, trust_roles))


__all__ = ["Action", "Actor", "Appraisal", "AuditEvent", "Stage", "actor_for", "roles_on"]
