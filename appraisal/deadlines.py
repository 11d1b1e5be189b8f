"""Who owes the next step of an appraisal, and by when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from appraisal.calendar import WorkingCalendar
from appraisal.model import Appraisal
from appraisal.policy import CyclePolicy
from appraisal.roles import Role
from appraisal.stages import Action, Stage


@dataclass(frozen=True)
class Obligation:
    """A step someone owes: the action, the role and person, the due date and when it opens."""

    action: Action
    role: Role
    person_id: int
    due_on: date
    opens_on: date | None = None

    def is_overdue(self, today: date) -> bool:
        """True once the due date has passed."""
        return today > self.due_on

    def is_open(self, today: date) -> bool:
        """True once the step can sensibly be taken (the mid-year review opens on 1 February)."""
        return self.opens_on is None or today >= self.opens_on


def _owed(
    appraisal: Appraisal,
    action: Action,
    role: Role,
    due: date,
    opens: date | None = None,
    only: tuple[int, ...] | None = None,
) -> list[Obligation]:
    """The step owed by every holder of `role` (each governor; `only` some of them)."""
    holders = appraisal.holders_of(role) if only is None else only
    return [Obligation(action, role, person, due, opens) for person in holders]


#: What an appraisal waits for when no appointed governor is named (the roster must name one).
NO_GOVERNOR = "no appointed governor"


def mid_year_holder(appraisal: Appraisal) -> Role:
    """Who holds the mid-year review: the role the meeting named (the reviewer by default)."""
    record = appraisal.meeting_record
    return record.mid_year_holder if record else Role.REVIEWER


def blocked_by(appraisal: Appraisal) -> str:
    """What stops the appraisal moving on, if nobody can act on it ('' when nothing does)."""
    if appraisal.governor_ids:
        return ""
    waits_for_governor = appraisal.stage in (
        Stage.AWAITING_GOVERNOR,
        Stage.FINAL_ISSUED,
        Stage.SHARED,
    ) or (appraisal.stage is Stage.MID_YEAR_DUE and mid_year_holder(appraisal) is Role.GOVERNOR)
    return NO_GOVERNOR if waits_for_governor else ""


def obligations(
    appraisal: Appraisal, calendar: WorkingCalendar, policy: CyclePolicy
) -> list[Obligation]:
    """Every step owed at the appraisal's current stage, earliest due first."""
    step = policy.step_working_days
    entered = calendar.local_date(appraisal.stage_entered_at)
    meeting = calendar.local_date(appraisal.meeting_at) if appraisal.meeting_at else None

    def after(day: date, days: int = step) -> date:
        return calendar.add_working_days(day, days)

    def answer_by() -> date:
        # Five working days to answer, but never later than the meeting itself.
        due = after(entered)
        return min(due, meeting) if meeting else due

    stage = appraisal.stage
    owed: list[Obligation] = []
    if stage is Stage.AWAITING_DATE:
        latest = calendar.add_working_days(
            policy.target_date(appraisal.year), -policy.date_lead_working_days
        )
        owed += _owed(appraisal, Action.PROPOSE_DATE, Role.REVIEWER, max(latest, after(entered)))
    elif stage is Stage.DATE_PROPOSED:
        owed += _owed(appraisal, Action.CONFIRM_DATE, Role.HEADTEACHER, answer_by())
    elif stage is Stage.DATE_COUNTER_PROPOSED:
        owed += _owed(appraisal, Action.ACCEPT_DATE, Role.REVIEWER, answer_by())
    elif stage is Stage.AWAITING_GOVERNOR:
        # Each governor who has not yet answered owes an answer.
        waiting = appraisal.governors_to_answer()
        owed += _owed(
            appraisal, Action.CONFIRM_AVAILABILITY, Role.GOVERNOR, answer_by(), only=waiting
        )
    elif stage is Stage.PREPARATION:
        assert meeting is not None
        if appraisal.pre_reading_sent_at is None:
            pre_reading = calendar.add_working_days(meeting, -policy.pre_reading_working_days)
            owed += _owed(appraisal, Action.SEND_PRE_READING, Role.REVIEWER, pre_reading)
        evaluated = {e.objective_ref for e in appraisal.self_evaluations}
        if any(o.ref not in evaluated for o in appraisal.previous_objectives):
            owed += _owed(appraisal, Action.SELF_EVALUATE, Role.HEADTEACHER, meeting)
        owed += _owed(appraisal, Action.RECORD_MEETING, Role.REVIEWER, after(meeting), meeting)
    elif stage is Stage.MEETING_HELD:
        assert meeting is not None
        owed += _owed(appraisal, Action.SUBMIT_DRAFT, Role.REVIEWER, after(meeting))
    elif stage is Stage.DRAFT_WITH_HEADTEACHER:
        owed += _owed(appraisal, Action.APPROVE, Role.HEADTEACHER, after(entered))
    elif stage is Stage.CHANGES_REQUESTED:
        owed += _owed(appraisal, Action.SUBMIT_DRAFT, Role.REVIEWER, after(entered))
    elif stage is Stage.APPROVED:
        owed += _owed(appraisal, Action.ISSUE_FINAL, Role.REVIEWER, after(entered))
    elif stage is Stage.FINAL_ISSUED and appraisal.governor_ids:
        # Shared with the governors: with none named yet, the step waits for the roster.
        owed += _owed(appraisal, Action.SHARE_WITH_GOVERNOR, Role.HEADTEACHER, after(entered))
    elif stage is Stage.SHARED:
        # Any appointed governor may acknowledge; each is asked.
        owed += _owed(appraisal, Action.ACKNOWLEDGE, Role.GOVERNOR, after(entered))
    elif stage is Stage.MID_YEAR_DUE:
        opens, closes = policy.mid_year_window(appraisal.year)
        owed += _owed(appraisal, Action.RECORD_MID_YEAR, mid_year_holder(appraisal), closes, opens)
    return sorted(owed, key=lambda o: (o.due_on, o.person_id))


def next_due(
    appraisal: Appraisal, calendar: WorkingCalendar, policy: CyclePolicy
) -> Obligation | None:
    """The earliest-due step owed, if any (none once complete)."""
    owed = obligations(appraisal, calendar, policy)
    return owed[0] if owed else None


def meeting_after_target(appraisal: Appraisal, calendar: WorkingCalendar, policy: CyclePolicy):
    """True when the agreed or proposed meeting falls after the trust's target date."""
    if appraisal.meeting_at is None:
        return False
    return calendar.local_date(appraisal.meeting_at) > policy.target_date(appraisal.year)
