"""Which proactive messages (nudges) an appraisal calls for on one working day; pure, no clock.

The rules, kind by kind, are written out in docs/nudges.md."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from appraisal.calendar import WorkingCalendar
from appraisal.deadlines import Obligation, mid_year_holder, obligations
from appraisal.model import Appraisal
from appraisal.policy import CyclePolicy
from appraisal.roles import Role
from appraisal.stages import Action, Stage

REMINDER = "reminder"
DUE = "due"
OVERDUE = "overdue"
ESCALATION = "escalation"
PRE_READING = "pre_reading"
MEETING_AFTER_TARGET = "meeting_after_target"
NEAR_STATUTORY = "near_statutory"
MID_YEAR_OPEN = "mid_year_open"
MID_YEAR_LATE = "mid_year_late"
WELCOME = "welcome"
#: Every kind of nudge; each fits the outbox's 20-character `kind` column.
KINDS = (
    REMINDER,
    DUE,
    OVERDUE,
    ESCALATION,
    PRE_READING,
    MEETING_AFTER_TARGET,
    NEAR_STATUTORY,
    MID_YEAR_OPEN,
    MID_YEAR_LATE,
    WELCOME,
)
#: The `action` of nudges about the meeting date itself rather than a step someone owes.
MEETING_DATE = "meeting_date"
#: The `action` of the welcome to someone the roster has just named on an appraisal.
APPOINTED = "appointed"


@dataclass(frozen=True)
class NudgePolicy:
    """A trust's cadences and thresholds for nudges, and its quiet hours (local time)."""

    reminder_days_before: int = 2
    overdue_every_days: int = 2
    escalate_after_days: int = 3
    window_start: time = time(8, 0)
    window_end: time = time(17, 30)
    near_statutory_days: int = 10

    def __post_init__(self) -> None:
        if self.reminder_days_before < 1 or self.overdue_every_days < 1:
            raise ValueError("reminder and overdue cadences are at least one working day")
        if self.escalate_after_days < 1 or self.near_statutory_days < 0:
            raise ValueError("escalation comes at least one working day late")
        if not self.window_start < self.window_end:
            raise ValueError("the sending window must start before it ends")


@dataclass(frozen=True)
class Nudge:
    """One proactive message decided for one person on one day; carries no record text."""

    appraisal_id: int
    recipient_id: int
    recipient_role: Role
    action: str
    kind: str
    due_on: date | None
    day: date

    @property
    def key(self) -> str:
        """Unique per (appraisal, step, kind, day, recipient): the outbox's idempotency key."""
        return (
            f"{self.appraisal_id}:{self.action}:{self.kind}:{self.day.isoformat()}:"
            f"{self.recipient_id}"
        )


def _due_day(calendar: WorkingCalendar, due_on: date) -> date:
    """The due date, or the last working day before it when it is not a working day."""
    while not calendar.is_working_day(due_on):
        due_on -= timedelta(days=1)
    return due_on


def _for_obligation(
    appraisal: Appraisal,
    o: Obligation,
    calendar: WorkingCalendar,
    rules: NudgePolicy,
    day: date,
    dceo_ids: Iterable[int],
) -> list[Nudge]:
    def to_owner(kind: str) -> Nudge:
        return Nudge(appraisal.id, o.person_id, o.role, o.action.value, kind, o.due_on, day)

    def to_dceos(kind: str) -> list[Nudge]:
        # Never escalate to the person who is late (a DCEO reviewing a school herself): she is
        # already reminded as the one who owes the step.
        return [
            Nudge(appraisal.id, d, Role.DCEO, o.action.value, kind, o.due_on, day)
            for d in sorted(set(dceo_ids))
            if d != o.person_id
        ]

    if not o.is_overdue(day):
        if not o.is_open(day):
            return []
        if day == _due_day(calendar, o.due_on):
            return [to_owner(DUE)]
        if day == calendar.add_working_days(o.due_on, -rules.reminder_days_before):
            return [to_owner(REMINDER)]
        return []
    late = calendar.working_days_between(o.due_on, day)
    found = []
    if late > 0 and late % rules.overdue_every_days == 0:
        found.append(to_owner(OVERDUE))
    if o.action is Action.RECORD_MID_YEAR:
        if late == 1:
            found.extend(to_dceos(MID_YEAR_LATE))
    elif late == rules.escalate_after_days or (o.action is Action.SUBMIT_DRAFT and late == 1):
        found.extend(to_dceos(ESCALATION))
    return found


def near_statutory_from(
    year: int, calendar: WorkingCalendar, policy: CyclePolicy, rules: NudgePolicy
) -> date:
    """The first meeting day counted as near the statutory date (N wd before it, or nearer)."""
    statutory = policy.statutory_date(year)
    # The N-th working day counting back from the statutory date itself (which counts if working).
    return calendar.add_working_days(statutory + timedelta(days=1), -rules.near_statutory_days)


def nudges_for(
    appraisal: Appraisal,
    calendar: WorkingCalendar,
    policy: CyclePolicy,
    rules: NudgePolicy,
    day: date,
    dceo_ids: Iterable[int],
) -> list[Nudge]:
    """The nudges this appraisal calls for on `day` (none on a non-working day)."""
    owed = obligations(appraisal, calendar, policy)
    return _nudges_on(appraisal, owed, calendar, policy, rules, day, dceo_ids)


def _nudges_on(
    appraisal: Appraisal,
    owed: list[Obligation],
    calendar: WorkingCalendar,
    policy: CyclePolicy,
    rules: NudgePolicy,
    day: date,
    dceo_ids: Iterable[int],
) -> list[Nudge]:
    """`nudges_for`, given the appraisal's obligations (the same whatever the day)."""
    if not calendar.is_working_day(day):
        return []
    dceos = sorted(set(dceo_ids))
    found: list[Nudge] = []
    for o in owed:
        found.extend(_for_obligation(appraisal, o, calendar, rules, day, dceos))
    if appraisal.stage is Stage.PREPARATION and appraisal.meeting_at is not None:
        meeting = calendar.local_date(appraisal.meeting_at)
        if day == calendar.add_working_days(meeting, -policy.pre_reading_working_days):
            for role in (Role.HEADTEACHER, Role.GOVERNOR):
                found.extend(
                    Nudge(
                        appraisal.id,
                        person,
                        role,
                        Action.SEND_PRE_READING.value,
                        PRE_READING,
                        meeting,
                        day,
                    )
                    for person in appraisal.holders_of(role)
                )
        agreed = calendar.local_date(appraisal.stage_entered_at)
        if day == calendar.add_working_days(agreed, 1):
            if meeting >= near_statutory_from(appraisal.year, calendar, policy, rules):
                kind: str | None = NEAR_STATUTORY
            elif meeting > policy.target_date(appraisal.year):
                kind = MEETING_AFTER_TARGET
            else:
                kind = None
            if kind is not None:
                found.extend(
                    Nudge(appraisal.id, d, Role.DCEO, MEETING_DATE, kind, meeting, day)
                    for d in dceos
                )
    if appraisal.stage is Stage.MID_YEAR_DUE:
        opens, closes = policy.mid_year_window(appraisal.year)
        if day == calendar.next_working_day(opens):
            role = mid_year_holder(appraisal)
            found.extend(
                Nudge(
                    appraisal.id,
                    holder,
                    role,
                    Action.RECORD_MID_YEAR.value,
                    MID_YEAR_OPEN,
                    closes,
                    day,
                )
                for holder in appraisal.holders_of(role)
            )
    # Several governors late on one step make one escalation to each DCEO, not several.
    return list({n.key: n for n in found}.values())


def _counted_from(
    appraisal: Appraisal, owed: list[Obligation], calendar: WorkingCalendar, policy: CyclePolicy
) -> date | None:
    """The earliest date any nudge about the appraisal, as it stands, is counted from.

    Every rule above fires on a day counted from one of these dates: a step's due date
    (reminders come before it, due, overdue and escalations on or after it), the meeting (the
    pre-reading pack comes before it), the day the meeting date was agreed (its escalations
    come the working day after) and the opening of the mid-year window. None once nothing more
    is owed.
    """
    dates = [o.due_on for o in owed]
    if appraisal.stage is Stage.PREPARATION and appraisal.meeting_at is not None:
        dates.append(calendar.local_date(appraisal.meeting_at))
        dates.append(calendar.local_date(appraisal.stage_entered_at))
    if appraisal.stage is Stage.MID_YEAR_DUE:
        dates.append(policy.mid_year_window(appraisal.year)[0])
    return min(dates, default=None)


#: Stands for "some DCEO other than the person who is late" when looking for escalation days.
_SOME_DCEO = (-1,)
#: How far ahead `next_nudge_day` looks before settling for "look again then".
LOOK_AHEAD_DAYS = 31


def next_nudge_day(
    appraisal: Appraisal,
    calendar: WorkingCalendar,
    policy: CyclePolicy,
    rules: NudgePolicy,
    after: date,
) -> date | None:
    """The first day after `after` on which the appraisal, if nobody acts, calls for a nudge.

    Found by asking the rules themselves, day by day, from the first day any of them could
    fire (a reminder or the pre-reading pack, which come the most working days before the
    date they count from). If none comes within LOOK_AHEAD_DAYS, the day after that span: the
    job looks again then. None once nothing more is owed. The nudge job reads an appraisal
    only on this day (or sooner, when someone acts on it), so a quiet appraisal costs nothing.
    """
    return decide(appraisal, calendar, policy, rules, after, ())[1]


def decide(
    appraisal: Appraisal,
    calendar: WorkingCalendar,
    policy: CyclePolicy,
    rules: NudgePolicy,
    day: date,
    dceo_ids: Iterable[int],
) -> tuple[list[Nudge], date | None]:
    """The nudges for `day` and the next nudge day after it (the nudge job's question)."""
    owed = obligations(appraisal, calendar, policy)
    today = _nudges_on(appraisal, owed, calendar, policy, rules, day, dceo_ids)
    start = _counted_from(appraisal, owed, calendar, policy)
    if start is None:
        return today, None
    lead = max(rules.reminder_days_before, policy.pre_reading_working_days)
    first = max(day + timedelta(days=1), calendar.add_working_days(start, -lead))
    for offset in range(LOOK_AHEAD_DAYS):
        later = first + timedelta(days=offset)
        if _nudges_on(appraisal, owed, calendar, policy, rules, later, _SOME_DCEO):
            return today, later
    return today, first + timedelta(days=LOOK_AHEAD_DAYS)


def in_window(moment: datetime, calendar: WorkingCalendar, rules: NudgePolicy) -> bool:
    """True when messages may go out at `moment`: a working day, within the local hours."""
    local = moment.astimezone(calendar.tz)
    return (
        calendar.is_working_day(local.date())
        and rules.window_start <= local.time().replace(tzinfo=None) < rules.window_end
    )


def next_window(moment: datetime, calendar: WorkingCalendar, rules: NudgePolicy) -> datetime:
    """`moment` itself when inside the sending window, else the start of the next window."""
    if moment.tzinfo is None:
        raise ValueError("moments passed to the calendar must carry a time zone")
    if in_window(moment, calendar, rules):
        return moment
    local = moment.astimezone(calendar.tz)
    day = local.date()
    if not (calendar.is_working_day(day) and local.time() < rules.window_start):
        day = calendar.next_working_day(day + timedelta(days=1))
    return datetime.combine(day, rules.window_start, calendar.tz)
