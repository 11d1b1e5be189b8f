"""Stages of an appraisal and the actions that move it on."""

from enum import StrEnum


class Stage(StrEnum):
    """Where one appraisal stands in the cycle."""

    AWAITING_DATE = "awaiting_date"
    DATE_PROPOSED = "date_proposed"
    DATE_COUNTER_PROPOSED = "date_counter_proposed"
    AWAITING_GOVERNOR = "awaiting_governor"
    PREPARATION = "preparation"
    MEETING_HELD = "meeting_held"
    DRAFT_WITH_HEADTEACHER = "draft_with_headteacher"
    CHANGES_REQUESTED = "changes_requested"
    APPROVED = "approved"
    FINAL_ISSUED = "final_issued"
    SHARED = "shared"
    MID_YEAR_DUE = "mid_year_due"
    COMPLETE = "complete"

    @property
    def label(self) -> str:
        """The stage as people say it."""
        return _STAGE_LABELS[self]


_STAGE_LABELS = {
    Stage.AWAITING_DATE: "Meeting date to be proposed",
    Stage.DATE_PROPOSED: "Meeting date proposed",
    Stage.DATE_COUNTER_PROPOSED: "Headteacher proposed another date",
    Stage.AWAITING_GOVERNOR: "Waiting for the governor to confirm",
    Stage.PREPARATION: "Preparing for the meeting",
    Stage.MEETING_HELD: "Meeting held; draft being written",
    Stage.DRAFT_WITH_HEADTEACHER: "Draft with the headteacher",
    Stage.CHANGES_REQUESTED: "Changes requested to the draft",
    Stage.APPROVED: "Draft approved; final being prepared",
    Stage.FINAL_ISSUED: "Final record issued",
    Stage.SHARED: "Shared with the governor",
    Stage.MID_YEAR_DUE: "Mid-year review to hold",
    Stage.COMPLETE: "Complete",
}


class Action(StrEnum):
    """Something a person does to an appraisal; the card verbs use these values."""

    PROPOSE_DATE = "propose_date"
    CONFIRM_DATE = "confirm_date"
    PROPOSE_OTHER_DATE = "propose_other_date"
    ACCEPT_DATE = "accept_date"
    CONFIRM_AVAILABILITY = "confirm_availability"
    DECLINE_AVAILABILITY = "decline_availability"
    SEND_PRE_READING = "send_pre_reading"
    SELF_EVALUATE = "self_evaluate"
    ADD_EVIDENCE = "add_evidence"
    REMOVE_EVIDENCE = "remove_evidence"
    RECORD_MEETING = "record_meeting"
    SUBMIT_DRAFT = "submit_draft"
    APPROVE = "approve"
    REQUEST_CHANGES = "request_changes"
    ISSUE_FINAL = "issue_final"
    SHARE_WITH_GOVERNOR = "share_with_governor"
    ACKNOWLEDGE = "acknowledge"
    RECORD_MID_YEAR = "record_mid_year"

    @property
    def label(self) -> str:
        """The action as a button would say it."""
        return _ACTION_LABELS[self]

    @property
    def done_label(self) -> str:
        """What to say once it is done."""
        return _DONE_LABELS[self]


_ACTION_LABELS = {
    Action.PROPOSE_DATE: "Propose the meeting date",
    Action.CONFIRM_DATE: "Confirm the meeting date",
    Action.PROPOSE_OTHER_DATE: "Propose another date",
    Action.ACCEPT_DATE: "Accept the headteacher's date",
    Action.CONFIRM_AVAILABILITY: "Confirm you can attend",
    Action.DECLINE_AVAILABILITY: "Say you cannot attend",
    Action.SEND_PRE_READING: "Send the pre-reading",
    Action.SELF_EVALUATE: "Self-evaluate last year's objectives",
    Action.ADD_EVIDENCE: "Add evidence",
    Action.REMOVE_EVIDENCE: "Remove evidence",
    Action.RECORD_MEETING: "Record the meeting",
    Action.SUBMIT_DRAFT: "Submit the draft",
    Action.APPROVE: "Approve the draft",
    Action.REQUEST_CHANGES: "Request changes",
    Action.ISSUE_FINAL: "Issue the final record",
    Action.SHARE_WITH_GOVERNOR: "Share with the governor",
    Action.ACKNOWLEDGE: "Acknowledge the completed cycle",
    Action.RECORD_MID_YEAR: "Record the mid-year review",
}

_DONE_LABELS = {
    Action.PROPOSE_DATE: "Meeting date proposed",
    Action.CONFIRM_DATE: "Meeting date confirmed",
    Action.PROPOSE_OTHER_DATE: "Another date proposed",
    Action.ACCEPT_DATE: "Meeting date accepted",
    Action.CONFIRM_AVAILABILITY: "Attendance confirmed",
    Action.DECLINE_AVAILABILITY: "The reviewer will propose a new date",
    Action.SEND_PRE_READING: "Pre-reading sent",
    Action.SELF_EVALUATE: "Self-evaluation saved",
    Action.ADD_EVIDENCE: "Evidence added",
    Action.REMOVE_EVIDENCE: "Evidence removed",
    Action.RECORD_MEETING: "Meeting recorded",
    Action.SUBMIT_DRAFT: "Draft sent to the headteacher",
    Action.APPROVE: "Draft approved",
    Action.REQUEST_CHANGES: "Changes requested",
    Action.ISSUE_FINAL: "Final record issued",
    Action.SHARE_WITH_GOVERNOR: "Shared with the governor",
    Action.ACKNOWLEDGE: "Completion acknowledged",
    Action.RECORD_MID_YEAR: "Mid-year review recorded",
}
