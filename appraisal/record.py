"""What an appraisal records: objectives, judgements, evidence, the meeting and mid-year review."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from appraisal.roles import Role


class Rating(StrEnum):
    """How far an objective was met."""

    MET = "met"
    PARTIALLY_MET = "partially_met"
    NOT_MET = "not_met"

    @property
    def label(self) -> str:
        """The rating as people say it."""
        return self.value.replace("_", " ").capitalize()


class Focus(StrEnum):
    """What an objective is about; the procedure asks for at least one non-school objective."""

    SCHOOL_IMPROVEMENT = "school_improvement"
    PROFESSIONAL_DEVELOPMENT = "professional_development"
    WELLBEING = "wellbeing"

    @property
    def label(self) -> str:
        """The focus as people say it."""
        return {
            Focus.SCHOOL_IMPROVEMENT: "School improvement",
            Focus.PROFESSIONAL_DEVELOPMENT: "Training and professional development",
            Focus.WELLBEING: "Wellbeing and work-life balance",
        }[self]


#: Focuses meeting "at least one objective is about the headteacher's development or wellbeing".
PERSONAL_FOCUSES = frozenset({Focus.PROFESSIONAL_DEVELOPMENT, Focus.WELLBEING})


class Progress(StrEnum):
    """Progress towards an objective at the mid-year review."""

    ON_TRACK = "on_track"
    SOME_CONCERNS = "some_concerns"
    OFF_TRACK = "off_track"
    ACHIEVED = "achieved"

    @property
    def label(self) -> str:
        """The progress as people say it."""
        return self.value.replace("_", " ").capitalize()


class EvidenceKind(StrEnum):
    """The kinds of evidence the procedure lists, and anything else."""

    JOB_DESCRIPTION = "job_description"
    AGREED_TARGETS = "agreed_targets"
    SCHOOL_DEVELOPMENT_PLAN = "school_development_plan"
    SELF_EVALUATION_DOCUMENT = "self_evaluation_document"
    NOTES_OF_VISIT = "notes_of_visit"
    PUPIL_OUTCOME_DATA = "pupil_outcome_data"
    INSPECTION_REPORT = "inspection_report"
    OTHER = "other"

    @property
    def label(self) -> str:
        """The kind as the procedure names it."""
        return {
            EvidenceKind.JOB_DESCRIPTION: "Job description",
            EvidenceKind.AGREED_TARGETS: "Agreed performance management targets",
            EvidenceKind.SCHOOL_DEVELOPMENT_PLAN: "School development plan",
            EvidenceKind.SELF_EVALUATION_DOCUMENT: "School self-evaluation document",
            EvidenceKind.NOTES_OF_VISIT: "Notes of visit",
            EvidenceKind.PUPIL_OUTCOME_DATA: "Pupil outcome data",
            EvidenceKind.INSPECTION_REPORT: "Ofsted or SIAMS report",
            EvidenceKind.OTHER: "Other evidence",
        }[self]


@dataclass(frozen=True)
class Objective:
    """One objective for the year, with how success will be judged."""

    ref: str
    text: str
    success_criteria: str
    focus: Focus


@dataclass(frozen=True)
class SelfEvaluation:
    """The headteacher's own view of one previous objective."""

    objective_ref: str
    rating: Rating
    commentary: str


@dataclass(frozen=True)
class Judgement:
    """The review's judgement of one previous objective."""

    objective_ref: str
    rating: Rating
    reasons: str = ""
    mitigating_circumstances: str = ""


@dataclass(frozen=True)
class EvidenceItem:
    """One piece of evidence, maybe for one previous objective; its bytes live in the blob store."""

    ref: str
    title: str
    kind: EvidenceKind
    added_at: datetime
    objective_ref: str | None = None
    sha256: str | None = None
    size: int = 0
    content_type: str = ""


@dataclass(frozen=True)
class MeetingRecord:
    """What the review meeting decided; the draft and the final record are this."""

    judgements: tuple[Judgement, ...]
    objectives: tuple[Objective, ...]
    cpd_and_support: str
    wellbeing_discussed: bool
    wellbeing_notes: str
    monitoring: str
    evidence_to_collect: str
    mid_year_holder: Role
    mid_year_month: int


@dataclass(frozen=True)
class ObjectiveProgress:
    """Progress on one objective at the mid-year review."""

    objective_ref: str
    progress: Progress
    note: str = ""


@dataclass(frozen=True)
class MidYearReview:
    """The mid-year review: when it was held and progress per objective."""

    held_on: date
    progress: tuple[ObjectiveProgress, ...]
    note: str = ""


@dataclass(frozen=True)
class ChangeRequest:
    """The headteacher's request for changes to a draft."""

    at: datetime
    comment: str


@dataclass(frozen=True)
class Availability:
    """One appointed governor's answer: can they attend the proposed meeting?"""

    governor_id: int
    can_attend: bool
    at: datetime
