"""Test data: a realistic 2026–27 timeline, appraisals at any stage, valid commands per action."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from appraisal.commands import (
    AcceptDate,
    Acknowledge,
    AddEvidence,
    Approve,
    Command,
    ConfirmAvailability,
    ConfirmDate,
    DeclineAvailability,
    IssueFinal,
    ProposeDate,
    ProposeOtherDate,
    RecordMeeting,
    RecordMidYear,
    RemoveEvidence,
    RequestChanges,
    SelfEvaluate,
    SendPreReading,
    ShareWithGovernor,
    SubmitDraft,
)
from appraisal.model import Actor, Appraisal
from appraisal.policy import CyclePolicy
from appraisal.record import (
    EvidenceKind,
    Focus,
    Judgement,
    MeetingRecord,
    MidYearReview,
    Objective,
    ObjectiveProgress,
    Progress,
    Rating,
    SelfEvaluation,
)
from appraisal.roles import Role
from appraisal.stages import Action, Stage
from appraisal.workflow import apply
from bot.calendars import HolidayCalendars

TZ = ZoneInfo("Europe/London")
CALENDARS = HolidayCalendars("Europe/London")
CAL = CALENDARS.for_nation("england")
POLICY = CyclePolicy()

# Person ids used by the pure-domain tests.
HEAD, REVIEWER, GOVERNOR, ADVISER, DCEO, ADMIN, OUTSIDER = range(1, 8)
PERSON_FOR_ROLE = {
    Role.HEADTEACHER: HEAD,
    Role.REVIEWER: REVIEWER,
    Role.GOVERNOR: GOVERNOR,
    Role.ADVISER: ADVISER,
    Role.DCEO: DCEO,
    Role.ADMIN: ADMIN,
}


def at(y: int, m: int, d: int, hour: int = 9, minute: int = 0) -> datetime:
    """An aware moment in UK time."""
    return datetime.combine(date(y, m, d), time(hour, minute), TZ)


def actor(role: Role) -> Actor:
    """The person holding one role, acting with only that role."""
    return Actor(PERSON_FOR_ROLE[role], frozenset({role}))


PREVIOUS = (
    Objective(
        "O1",
        "Improve reading at KS1.",
        "Phonics screening pass rate 85%.",
        Focus.SCHOOL_IMPROVEMENT,
    ),
    Objective(
        "O2",
        "Develop middle leaders.",
        "Each leader runs a cycle of monitoring.",
        Focus.SCHOOL_IMPROVEMENT,
    ),
    Objective(
        "O3", "Protect time for wellbeing.", "One afternoon a half term kept free.", Focus.WELLBEING
    ),
)


def meeting_record(previous: tuple[Objective, ...] = PREVIOUS, **changes: object) -> MeetingRecord:
    """A valid meeting record judging every previous objective and setting three new ones."""
    record = MeetingRecord(
        judgements=tuple(
            Judgement(
                o.ref,
                Rating.MET if n else Rating.PARTIALLY_MET,
                "" if n else "Staff turnover in the spring term.",
                "",
            )
            for n, o in enumerate(previous)
        ),
        objectives=(
            Objective(
                "",
                "Raise writing attainment.",
                "75% at expected standard.",
                Focus.SCHOOL_IMPROVEMENT,
            ),
            Objective(
                "",
                "Strengthen attendance.",
                "Persistent absence below 12%.",
                Focus.SCHOOL_IMPROVEMENT,
            ),
            Objective(
                "",
                "Complete NPQH coaching module.",
                "Module completed by July.",
                Focus.PROFESSIONAL_DEVELOPMENT,
            ),
        ),
        cpd_and_support="Coaching from a trust headteacher.",
        wellbeing_discussed=True,
        wellbeing_notes="",
        monitoring="Termly check-ins with the reviewer.",
        evidence_to_collect="Writing moderation; attendance reports.",
        mid_year_holder=Role.REVIEWER,
        mid_year_month=2,
    )
    return replace(record, **changes)


def new_appraisal(previous: tuple[Objective, ...] = PREVIOUS, led_by_rel: bool = True) -> Appraisal:
    """A 2026–27 appraisal just opened (Tuesday 1 September 2026)."""
    opened = at(2026, 9, 1)
    return Appraisal(
        id=1,
        school_urn="100001",
        school_name="Brookside Primary School",
        year=2026,
        nation="england",
        headteacher_id=HEAD,
        reviewer_id=REVIEWER,
        governor_ids=(GOVERNOR,),
        adviser_id=ADVISER,
        led_by_rel=led_by_rel,
        stage=Stage.AWAITING_DATE,
        version=1,
        opened_at=opened,
        stage_entered_at=opened,
        previous_objectives=previous,
    )


MEETING = at(2026, 10, 14, 10)  # Wednesday 14 October 2026

#: The cycle walked step by step: (who, command, when). Evidence is added on the first day.
TIMELINE: tuple[tuple[Role, Command, datetime], ...] = (
    (
        Role.HEADTEACHER,
        AddEvidence("SDP summary", EvidenceKind.SCHOOL_DEVELOPMENT_PLAN, "O1"),
        at(2026, 9, 1, 15),
    ),
    (Role.REVIEWER, ProposeDate(MEETING), at(2026, 9, 2, 10)),
    (Role.HEADTEACHER, ConfirmDate(), at(2026, 9, 3)),
    (Role.GOVERNOR, ConfirmAvailability(), at(2026, 9, 7)),
    (Role.REVIEWER, SendPreReading(), at(2026, 10, 7)),
    (
        Role.HEADTEACHER,
        SelfEvaluate(
            tuple(SelfEvaluation(o.ref, Rating.MET, "Evidence attached.") for o in PREVIOUS)
        ),
        at(2026, 10, 9),
    ),
    (Role.REVIEWER, RecordMeeting(meeting_record()), at(2026, 10, 14, 16)),
    (Role.REVIEWER, SubmitDraft(), at(2026, 10, 19)),
    (Role.HEADTEACHER, Approve(), at(2026, 10, 21)),
    (Role.REVIEWER, IssueFinal(), at(2026, 10, 26)),
    (Role.HEADTEACHER, ShareWithGovernor(), at(2026, 10, 27)),
    (Role.GOVERNOR, Acknowledge(date(2026, 11, 26)), at(2026, 11, 2)),
    (
        Role.REVIEWER,
        RecordMidYear(
            MidYearReview(
                date(2027, 2, 9),
                tuple(ObjectiveProgress(f"O{n}", Progress.ON_TRACK, "") for n in (1, 2, 3)),
            )
        ),
        at(2027, 2, 9, 15),
    ),
)


def walk(appraisal: Appraisal, steps=TIMELINE) -> Appraisal:
    """Apply steps in order with the pure domain."""
    for role, command, when in steps:
        appraisal = apply(appraisal, command, actor(role), when, CAL, POLICY).appraisal
    return appraisal


def appraisal_at(stage: Stage) -> tuple[Appraisal, datetime]:
    """An appraisal at `stage` and a moment at which that stage's actions make sense."""
    start = new_appraisal()
    if stage is Stage.DATE_COUNTER_PROPOSED:
        a = walk(start, TIMELINE[:2])
        a = apply(
            a,
            ProposeOtherDate(at(2026, 10, 15, 10)),
            actor(Role.HEADTEACHER),
            at(2026, 9, 3),
            CAL,
            POLICY,
        ).appraisal
        return a, at(2026, 9, 4)
    if stage is Stage.CHANGES_REQUESTED:
        a = walk(start, TIMELINE[:8])
        a = apply(
            a,
            RequestChanges("Please reword objective 2."),
            actor(Role.HEADTEACHER),
            at(2026, 10, 20),
            CAL,
            POLICY,
        ).appraisal
        return a, at(2026, 10, 21)
    for n in range(1, len(TIMELINE) + 1):
        a = walk(start, TIMELINE[:n])
        if a.stage is stage:
            if stage is Stage.PREPARATION:
                # Keep walking through the side steps so the meeting can be recorded now.
                return walk(start, TIMELINE[:6]), at(2026, 10, 14, 16)
            later = TIMELINE[n][2] if n < len(TIMELINE) else a.stage_entered_at + timedelta(1)
            return a, later
    raise AssertionError(f"the timeline never reaches {stage}")


def valid_command(action: Action, appraisal: Appraisal, now: datetime) -> Command:
    """A command for `action` whose data is valid for this appraisal at `now`."""
    later = CAL.next_working_day((now + timedelta(days=7)).date())
    objectives = appraisal.meeting_record.objectives if appraisal.meeting_record else ()
    commands: dict[Action, Command] = {
        Action.PROPOSE_DATE: ProposeDate(datetime.combine(later, time(10), TZ)),
        Action.PROPOSE_OTHER_DATE: ProposeOtherDate(datetime.combine(later, time(11), TZ)),
        Action.CONFIRM_DATE: ConfirmDate(),
        Action.ACCEPT_DATE: AcceptDate(),
        Action.CONFIRM_AVAILABILITY: ConfirmAvailability(),
        Action.DECLINE_AVAILABILITY: DeclineAvailability(),
        Action.SEND_PRE_READING: SendPreReading(),
        Action.SELF_EVALUATE: SelfEvaluate(
            tuple(
                SelfEvaluation(o.ref, Rating.PARTIALLY_MET, "Mostly there.")
                for o in appraisal.previous_objectives
            )
        ),
        Action.ADD_EVIDENCE: AddEvidence("Pupil outcomes 2026", EvidenceKind.PUPIL_OUTCOME_DATA),
        Action.REMOVE_EVIDENCE: RemoveEvidence(
            appraisal.evidence[0].ref if appraisal.evidence else "E1"
        ),
        Action.RECORD_MEETING: RecordMeeting(meeting_record(appraisal.previous_objectives)),
        Action.SUBMIT_DRAFT: SubmitDraft(),
        Action.APPROVE: Approve(),
        Action.REQUEST_CHANGES: RequestChanges("Please add the CPD budget."),
        Action.ISSUE_FINAL: IssueFinal(),
        Action.SHARE_WITH_GOVERNOR: ShareWithGovernor(),
        Action.ACKNOWLEDGE: Acknowledge(now.date() + timedelta(days=14)),
        Action.RECORD_MID_YEAR: RecordMidYear(
            MidYearReview(
                now.date(), tuple(ObjectiveProgress(o.ref, Progress.ON_TRACK) for o in objectives)
            )
        ),
    }
    return commands[action]
