"""What each action checks and changes; `workflow.apply` has already checked stage and role."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from appraisal.calendar import WorkingCalendar
from appraisal.commands import (
    Acknowledge,
    AddEvidence,
    Command,
    ProposeDate,
    ProposeOtherDate,
    RecordMeeting,
    RecordMidYear,
    RemoveEvidence,
    RequestChanges,
    SelfEvaluate,
)
from appraisal.errors import ActionNotAllowed, InvalidInput
from appraisal.meeting import check_meeting_record, check_mid_year
from appraisal.model import Actor, Appraisal
from appraisal.policy import CyclePolicy
from appraisal.record import Availability, ChangeRequest, EvidenceItem
from appraisal.roles import Role
from appraisal.stages import Action, Stage
from appraisal.text import long_date, when
from appraisal.validation import Problems, is_sha256

MAX_EVIDENCE_ITEMS = 100


@dataclass(frozen=True)
class StepContext:
    """Who is acting, when, and the calendar and rules that apply."""

    actor: Actor
    now: datetime
    calendar: WorkingCalendar
    policy: CyclePolicy

    @property
    def today(self):
        """Today's date in the trust's time zone."""
        return self.calendar.local_date(self.now)


Step = Callable[[Appraisal, Any, StepContext], Appraisal]


def _check_meeting_time(appraisal: Appraisal, meeting_at: datetime, ctx: StepContext) -> None:
    problems = Problems()
    if meeting_at.tzinfo is None:
        raise InvalidInput({"meeting_at": "Give the meeting time with its time zone."})
    day = ctx.calendar.local_date(meeting_at)
    statutory = ctx.policy.statutory_date(appraisal.year)
    if meeting_at <= ctx.now:
        problems.add("meeting_at", "Choose a date and time in the future.")
    elif day > statutory >= ctx.today:
        # Refused while the deadline can still be met; once it has passed, the review must still
        # happen (status shows how late), so any future working day is accepted.
        problems.add(
            "meeting_at",
            f"The review must take place by {long_date(statutory)} (the statutory deadline).",
        )
    elif not ctx.calendar.is_working_day(day):
        problems.add(
            "meeting_at",
            f"{long_date(day)} is not a working day. Choose a weekday that is not a bank holiday "
            "or a trust closure day.",
        )
    problems.raise_if_any()


def _require_future_meeting(appraisal: Appraisal, ctx: StepContext) -> None:
    if appraisal.meeting_at is None or appraisal.meeting_at <= ctx.now:
        raise ActionNotAllowed("The proposed meeting time has passed. A new date is needed.")


def propose_date(appraisal: Appraisal, cmd: ProposeDate, ctx: StepContext) -> Appraisal:
    """Reviewer proposes a date: in the future, a working day, no later than 31 December."""
    _check_meeting_time(appraisal, cmd.meeting_at, ctx)
    # A new date needs every governor's answer afresh.
    return replace(
        appraisal, meeting_at=cmd.meeting_at, date_proposed_by=Role.REVIEWER, availability=()
    )


def propose_other_date(appraisal: Appraisal, cmd: ProposeOtherDate, ctx: StepContext) -> Appraisal:
    """Headteacher proposes another date, under the same rules."""
    _check_meeting_time(appraisal, cmd.meeting_at, ctx)
    return replace(
        appraisal, meeting_at=cmd.meeting_at, date_proposed_by=Role.HEADTEACHER, availability=()
    )


def agree_date(appraisal: Appraisal, _cmd: object, ctx: StepContext) -> Appraisal:
    """The other party agrees the proposed date, which must still be ahead."""
    _require_future_meeting(appraisal, ctx)
    return appraisal


def _answer(appraisal: Appraisal, ctx: StepContext, can_attend: bool) -> Appraisal:
    governor = ctx.actor.person_id
    kept = tuple(a for a in appraisal.availability if a.governor_id != governor)
    return replace(appraisal, availability=(*kept, Availability(governor, can_attend, ctx.now)))


def confirm_availability(appraisal: Appraisal, _cmd: object, ctx: StepContext) -> Appraisal:
    """A governor can attend the proposed meeting, which must still be ahead."""
    _require_future_meeting(appraisal, ctx)
    return _answer(appraisal, ctx, True)


def decline_availability(appraisal: Appraisal, _cmd: object, ctx: StepContext) -> Appraisal:
    """A governor cannot attend; once no governor can, the reviewer proposes another date."""
    return drop_date_if_nobody_can_attend(_answer(appraisal, ctx, False))


def drop_date_if_nobody_can_attend(appraisal: Appraisal) -> Appraisal:
    """Every governor answered and none can attend: the date and the answers are dropped."""
    if governors_settled(appraisal) is Stage.AWAITING_DATE:
        return replace(appraisal, meeting_at=None, date_proposed_by=None, availability=())
    return appraisal


def governors_settled(appraisal: Appraisal) -> Stage:
    """Where the governors' answers leave a meeting date that the headteacher has agreed.

    It goes ahead once every appointed governor has answered and at least one can attend; it
    is dropped when all have answered and none can; otherwise it waits for the rest. With no
    appointed governor it waits until the roster names one.
    """
    answers = appraisal.answers()
    if not appraisal.governor_ids or appraisal.governors_to_answer():
        return Stage.AWAITING_GOVERNOR
    return Stage.PREPARATION if any(answers.values()) else Stage.AWAITING_DATE


def _after_answer(appraisal: Appraisal) -> Stage:
    return Stage.AWAITING_DATE if appraisal.meeting_at is None else governors_settled(appraisal)


def send_pre_reading(appraisal: Appraisal, _cmd: object, ctx: StepContext) -> Appraisal:
    """Record that the pre-reading has gone out (once)."""
    if appraisal.pre_reading_sent_at is not None:
        sent = long_date(ctx.calendar.local_date(appraisal.pre_reading_sent_at))
        raise ActionNotAllowed(f"The pre-reading was already sent on {sent}.")
    return replace(appraisal, pre_reading_sent_at=ctx.now)


def self_evaluate(appraisal: Appraisal, cmd: SelfEvaluate, _ctx: StepContext) -> Appraisal:
    """Headteacher rates previous objectives; a later rating replaces an earlier one."""
    if appraisal.is_first_cycle:
        raise ActionNotAllowed(
            "This is the headteacher's first cycle: there are no previous objectives to evaluate."
        )
    known = {o.ref for o in appraisal.previous_objectives}
    problems = Problems()
    if not cmd.evaluations:
        problems.add("evaluations", "Rate at least one of last year's objectives.")
    seen: set[str] = set()
    cleaned = []
    for n, ev in enumerate(cmd.evaluations):
        if ev.objective_ref not in known:
            problems.add(
                f"evaluations[{n}].objective_ref", "That is not one of last year's objectives."
            )
            continue
        if ev.objective_ref in seen:
            problems.add(f"evaluations[{n}].objective_ref", "Each objective can be rated once.")
        seen.add(ev.objective_ref)
        comment = problems.text(
            f"evaluations[{n}].commentary", ev.commentary, "your commentary", required=False
        )
        cleaned.append(replace(ev, commentary=comment))
    problems.raise_if_any()
    kept = tuple(e for e in appraisal.self_evaluations if e.objective_ref not in seen)
    order = [o.ref for o in appraisal.previous_objectives]
    merged = sorted((*kept, *cleaned), key=lambda e: order.index(e.objective_ref))
    return replace(appraisal, self_evaluations=tuple(merged))


def add_evidence(appraisal: Appraisal, cmd: AddEvidence, ctx: StepContext) -> Appraisal:
    """Attach an evidence item; it gets the next reference E1, E2, ..."""
    problems = Problems()
    title = problems.text("title", cmd.title, "a title for the evidence", limit=200)
    if cmd.objective_ref is not None and cmd.objective_ref not in {
        o.ref for o in appraisal.previous_objectives
    }:
        problems.add("objective_ref", "That is not one of last year's objectives.")
    if cmd.sha256 is not None and not is_sha256(cmd.sha256):
        problems.add("sha256", "The file reference is not valid.")
    if cmd.size < 0:
        problems.add("size", "The file size is not valid.")
    if len(appraisal.evidence) >= MAX_EVIDENCE_ITEMS:
        problems.add("title", f"An appraisal can hold up to {MAX_EVIDENCE_ITEMS} evidence items.")
    problems.raise_if_any()
    # Numbers are never reused, so E2 always means the same file in the audit trail.
    number = appraisal.evidence_added + 1
    item = EvidenceItem(
        ref=f"E{number}",
        title=title,
        kind=cmd.kind,
        added_at=ctx.now,
        objective_ref=cmd.objective_ref,
        sha256=cmd.sha256,
        size=cmd.size,
        content_type=cmd.content_type,
    )
    return replace(appraisal, evidence=(*appraisal.evidence, item), evidence_added=number)


def remove_evidence(appraisal: Appraisal, cmd: RemoveEvidence, _ctx: StepContext) -> Appraisal:
    """Remove one evidence item by its reference."""
    remaining = tuple(e for e in appraisal.evidence if e.ref != cmd.evidence_ref)
    if len(remaining) == len(appraisal.evidence):
        raise InvalidInput({"evidence_ref": "That evidence item is not on this appraisal."})
    return replace(appraisal, evidence=remaining)


def record_meeting(appraisal: Appraisal, cmd: RecordMeeting, ctx: StepContext) -> Appraisal:
    """Record or amend the meeting, once it has started."""
    if appraisal.meeting_at is not None and ctx.now < appraisal.meeting_at:
        raise ActionNotAllowed(
            f"The meeting is on {when(appraisal.meeting_at, ctx.calendar.tz)}; "
            "record it once it has been held."
        )
    record = check_meeting_record(cmd.record, appraisal.previous_objectives)
    first = appraisal.meeting_recorded_at or ctx.now
    return replace(appraisal, meeting_record=record, meeting_recorded_at=first)


def _stamp(field: str) -> Step:
    def step(appraisal: Appraisal, _cmd: object, ctx: StepContext) -> Appraisal:
        return replace(appraisal, **{field: ctx.now})

    step.__doc__ = f"Record when this happened ({field})."
    return step


def request_changes(appraisal: Appraisal, cmd: RequestChanges, ctx: StepContext) -> Appraisal:
    """Headteacher sends the draft back with a comment saying what to change."""
    problems = Problems()
    comment = problems.text("comment", cmd.comment, "what you would like changed")
    problems.raise_if_any()
    return replace(
        appraisal, change_requests=(*appraisal.change_requests, ChangeRequest(ctx.now, comment))
    )


def share_with_governor(appraisal: Appraisal, _cmd: object, ctx: StepContext) -> Appraisal:
    """Shared with the governor; where an REL led the review the record also goes to the DCEO."""
    if not appraisal.governor_ids:
        raise ActionNotAllowed(
            "No appointed governor is named yet. The trust's administrator adds them to the "
            "roster; you can share the record then."
        )
    return replace(
        appraisal, shared_at=ctx.now, sent_to_dceo_at=ctx.now if appraisal.led_by_rel else None
    )


def acknowledge(appraisal: Appraisal, cmd: Acknowledge, ctx: StepContext) -> Appraisal:
    """Governor acknowledges and names the board meeting that will minute completion."""
    earliest = ctx.calendar.local_date(appraisal.shared_at or ctx.now)
    latest = ctx.policy.mid_year_window(appraisal.year)[1]
    if not earliest <= cmd.board_meeting_on <= latest:
        raise InvalidInput(
            {
                "board_meeting_on": "Give the date of the board meeting between "
                f"{long_date(earliest)} "
                f"and {long_date(latest)}."
            }
        )
    return replace(appraisal, acknowledged_at=ctx.now, board_meeting_on=cmd.board_meeting_on)


def record_mid_year(appraisal: Appraisal, cmd: RecordMidYear, ctx: StepContext) -> Appraisal:
    """Record the mid-year review; a governor may do so only when the meeting named them."""
    record = appraisal.meeting_record
    assert record is not None  # the table only reaches here after the meeting was recorded
    if Role.REVIEWER not in ctx.actor.roles and record.mid_year_holder is not Role.GOVERNOR:
        raise ActionNotAllowed(
            f"The meeting agreed that the {record.mid_year_holder.label} holds the mid-year review."
        )
    earliest = ctx.calendar.local_date(appraisal.meeting_at or appraisal.opened_at)
    review = check_mid_year(cmd.review, record.objectives, earliest, ctx.today)
    return replace(appraisal, mid_year_review=review, completed_at=ctx.now)


STEPS: dict[Action, Step] = {
    Action.PROPOSE_DATE: propose_date,
    Action.CONFIRM_DATE: agree_date,
    Action.PROPOSE_OTHER_DATE: propose_other_date,
    Action.ACCEPT_DATE: agree_date,
    Action.CONFIRM_AVAILABILITY: confirm_availability,
    Action.DECLINE_AVAILABILITY: decline_availability,
    Action.SEND_PRE_READING: send_pre_reading,
    Action.SELF_EVALUATE: self_evaluate,
    Action.ADD_EVIDENCE: add_evidence,
    Action.REMOVE_EVIDENCE: remove_evidence,
    Action.RECORD_MEETING: record_meeting,
    Action.SUBMIT_DRAFT: _stamp("draft_submitted_at"),
    Action.APPROVE: _stamp("approved_at"),
    Action.REQUEST_CHANGES: request_changes,
    Action.ISSUE_FINAL: _stamp("final_issued_at"),
    Action.SHARE_WITH_GOVERNOR: share_with_governor,
    Action.ACKNOWLEDGE: acknowledge,
    Action.RECORD_MID_YEAR: record_mid_year,
}


#: Actions whose next stage depends on the appraisal after the step (the governors' answers).
ROUTES: dict[Action, Callable[[Appraisal], Stage]] = {
    Action.CONFIRM_AVAILABILITY: _after_answer,
    Action.DECLINE_AVAILABILITY: _after_answer,
}


def describe(command: Command, calendar: WorkingCalendar) -> str:
    """A non-confidential summary of a command for the audit trail (dates and refs, no prose)."""
    if isinstance(command, ProposeDate | ProposeOtherDate):
        return f"meeting {when(command.meeting_at, calendar.tz)}"
    if isinstance(command, AddEvidence):
        return f"evidence kind {command.kind.value}"
    if isinstance(command, RemoveEvidence):
        return f"evidence {command.evidence_ref}"
    if isinstance(command, Acknowledge):
        return f"board meeting {command.board_meeting_on.isoformat()}"
    if isinstance(command, RecordMeeting):
        return f"{len(command.record.objectives)} objectives"
    return ""
