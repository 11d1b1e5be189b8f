"""The appraisal aggregate and the audit event each change leaves behind."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from appraisal.record import (
    Availability,
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
    #: The appointed governors (none to three), as the roster names them now.
    governor_ids: tuple[int, ...]
    led_by_rel: bool
    stage: Stage
    version: int
    opened_at: datetime
    stage_entered_at: datetime
    adviser_id: int | None = None
    meeting_at: datetime | None = None
    date_proposed_by: Role | None = None
    #: Each appointed governor's answer about attending the proposed meeting.
    availability: tuple[Availability, ...] = ()
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
        return frozenset(role for role in _NAMED if person_id in self.holders_of(role))

    def holders_of(self, role: Role) -> tuple[int, ...]:
        """The people named on this appraisal for a role (several governors; none if unnamed)."""
        if role is Role.HEADTEACHER:
            return (self.headteacher_id,)
        if role is Role.REVIEWER:
            return (self.reviewer_id,)
        if role is Role.GOVERNOR:
            return self.governor_ids
        if role is Role.ADVISER and self.adviser_id is not None:
            return (self.adviser_id,)
        return ()

    @property
    def participant_ids(self) -> frozenset[int]:
        """Everyone named on the appraisal."""
        return frozenset(p for role in _NAMED for p in self.holders_of(role))

    def answers(self) -> dict[int, bool]:
        """Whether each current governor who answered can attend the proposed meeting."""
        return {
            a.governor_id: a.can_attend
            for a in self.availability
            if a.governor_id in self.governor_ids
        }

    def governors_to_answer(self) -> tuple[int, ...]:
        """The current governors who have not yet said whether they can attend."""
        answered = self.answers()
        return tuple(g for g in self.governor_ids if g not in answered)


#: The roles an appraisal names people for (the DCEO and admins are trust-wide).
_NAMED = (Role.HEADTEACHER, Role.REVIEWER, Role.GOVERNOR, Role.ADVISER)


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


def roles_on(
    appraisal: Appraisal,
    person_id: int,
    trust_roles: frozenset[Role],
    school_roles: frozenset[tuple[Role, str]] | None = None,
) -> frozenset[Role]:
    """Every role a person holds on an appraisal: named on it, plus the trust-wide DCEO/admin.

    `school_roles`: the roles the roster gives the person now. Open appraisals always name
    whom the roster names; a completed one keeps the people of its year, and a reviewer,
    governor or adviser who has since left the role no longer sees it (the headteacher always
    sees their own, and the DCEO every one).
    """
    trust_wide = trust_roles & {Role.DCEO, Role.ADMIN}
    named = appraisal.participant_roles(person_id)
    if school_roles is not None and appraisal.stage is Stage.COMPLETE:
        named = frozenset(
            role
            for role in named
            if role is Role.HEADTEACHER
            or (role, appraisal.school_urn) in school_roles
            or (role is Role.REVIEWER and Role.DCEO in trust_roles)
        )
    return named | trust_wide


def actor_for(
    appraisal: Appraisal,
    person_id: int,
    trust_roles: frozenset[Role],
    school_roles: frozenset[tuple[Role, str]] | None = None,
) -> Actor:
    """The actor a person is on an appraisal."""
    return Actor(person_id, roles_on(appraisal, person_id, trust_roles, school_roles))


__all__ = ["Action", "Actor", "Appraisal", "AuditEvent", "Stage", "actor_for", "roles_on"]
