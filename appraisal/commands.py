"""The commands people send; each names the one action it performs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import ClassVar

from appraisal.record import EvidenceKind, MeetingRecord, MidYearReview, SelfEvaluation
from appraisal.stages import Action


@dataclass(frozen=True)
class ProposeDate:
    """Reviewer proposes (or re-proposes) the meeting date and time."""

    meeting_at: datetime
    action: ClassVar[Action] = Action.PROPOSE_DATE


@dataclass(frozen=True)
class ConfirmDate:
    """Headteacher confirms the proposed date."""

    action: ClassVar[Action] = Action.CONFIRM_DATE


@dataclass(frozen=True)
class ProposeOtherDate:
    """Headteacher proposes another date and time."""

    meeting_at: datetime
    action: ClassVar[Action] = Action.PROPOSE_OTHER_DATE


@dataclass(frozen=True)
class AcceptDate:
    """Reviewer accepts the headteacher's date."""

    action: ClassVar[Action] = Action.ACCEPT_DATE


@dataclass(frozen=True)
class ConfirmAvailability:
    """Governor confirms they can attend."""

    action: ClassVar[Action] = Action.CONFIRM_AVAILABILITY


@dataclass(frozen=True)
class DeclineAvailability:
    """Governor cannot attend; the reviewer proposes a new date."""

    action: ClassVar[Action] = Action.DECLINE_AVAILABILITY


@dataclass(frozen=True)
class SendPreReading:
    """The pre-reading pack has gone to the headteacher and governor."""

    action: ClassVar[Action] = Action.SEND_PRE_READING


@dataclass(frozen=True)
class SelfEvaluate:
    """Headteacher rates previous objectives (replacing any earlier rating of each)."""

    evaluations: tuple[SelfEvaluation, ...]
    action: ClassVar[Action] = Action.SELF_EVALUATE


@dataclass(frozen=True)
class AddEvidence:
    """Headteacher attaches one evidence item, optionally to a previous objective."""

    title: str
    kind: EvidenceKind
    objective_ref: str | None = None
    sha256: str | None = None
    size: int = 0
    content_type: str = ""
    action: ClassVar[Action] = Action.ADD_EVIDENCE


@dataclass(frozen=True)
class RemoveEvidence:
    """Headteacher removes an evidence item."""

    evidence_ref: str
    action: ClassVar[Action] = Action.REMOVE_EVIDENCE


@dataclass(frozen=True)
class RecordMeeting:
    """Reviewer records or amends the meeting; objectives are numbered O1, O2, ... in order."""

    record: MeetingRecord
    action: ClassVar[Action] = Action.RECORD_MEETING


@dataclass(frozen=True)
class SubmitDraft:
    """Reviewer sends the written-up record to the headteacher as a draft."""

    action: ClassVar[Action] = Action.SUBMIT_DRAFT


@dataclass(frozen=True)
class Approve:
    """Headteacher approves the draft."""

    action: ClassVar[Action] = Action.APPROVE


@dataclass(frozen=True)
class RequestChanges:
    """Headteacher asks the reviewer for changes to the draft."""

    comment: str
    action: ClassVar[Action] = Action.REQUEST_CHANGES


@dataclass(frozen=True)
class IssueFinal:
    """Reviewer issues the final record."""

    action: ClassVar[Action] = Action.ISSUE_FINAL


@dataclass(frozen=True)
class ShareWithGovernor:
    """Headteacher shares the final record with the appointed governor."""

    action: ClassVar[Action] = Action.SHARE_WITH_GOVERNOR


@dataclass(frozen=True)
class Acknowledge:
    """Governor acknowledges the completed cycle and names the board meeting that will minute it."""

    board_meeting_on: date
    action: ClassVar[Action] = Action.ACKNOWLEDGE


@dataclass(frozen=True)
class RecordMidYear:
    """The mid-year review has been held; progress per objective."""

    review: MidYearReview
    action: ClassVar[Action] = Action.RECORD_MID_YEAR


Command = (
    ProposeDate
    | ConfirmDate
    | ProposeOtherDate
    | AcceptDate
    | ConfirmAvailability
    | DeclineAvailability
    | SendPreReading
    | SelfEvaluate
    | AddEvidence
    | RemoveEvidence
    | RecordMeeting
    | SubmitDraft
    | Approve
    | RequestChanges
    | IssueFinal
    | ShareWithGovernor
    | Acknowledge
    | RecordMidYear
)
