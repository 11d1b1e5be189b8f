"""The guards and validation `workflow.apply` enforces, and the messages people see."""

from __future__ import annotations

import copy
from dataclasses import fields, is_dataclass, replace
from datetime import UTC, date, datetime
from enum import Enum

import pytest

from appraisal.commands import (
    AddEvidence,
    ProposeDate,
    ProposeOtherDate,
    RecordMeeting,
    RecordMidYear,
    RemoveEvidence,
    RequestChanges,
    SelfEvaluate,
    SendPreReading,
    ShareWithGovernor,
)
from appraisal.errors import ActionNotAllowed, DomainError, InvalidInput
from appraisal.model import Actor, Appraisal
from appraisal.record import EvidenceKind, Focus, Judgement, Objective, Rating, SelfEvaluation
from appraisal.roles import Role
from appraisal.stages import Action, Stage
from appraisal.workflow import apply
from tests.support.factories import (
    CAL,
    POLICY,
    PREVIOUS,
    TIMELINE,
    actor,
    appraisal_at,
    at,
    meeting_record,
    new_appraisal,
    valid_command,
    walk,
)

SECRET = "Reduce exclusions of the Year 5 pupil known to social care"
HALF_TERM = tuple(date(2026, 10, d) for d in range(26, 31))  # Mon 26 to Fri 30 October 2026


# --- helpers ---------------------------------------------------------------------------------


def _prose(value: object) -> set[str]:
    """Every piece of free text (anything with a space in it) inside a value."""
    if isinstance(value, Enum):
        return set()
    if isinstance(value, str):
        text = value.strip()
        return {text} if " " in text else set()
    if is_dataclass(value) and not isinstance(value, type):
        return set().union(*(_prose(getattr(value, f.name)) for f in fields(value)))
    if isinstance(value, tuple | list):
        return set().union(*(_prose(v) for v in value))
    return set()


def _confidential(appraisal: Appraisal, command: object) -> set[str]:
    return (
        _prose(command)
        | _prose(appraisal.previous_objectives)
        | _prose(appraisal.self_evaluations)
        | _prose(appraisal.meeting_record)
        | _prose(appraisal.change_requests)
    )


def refused(
    appraisal: Appraisal,
    command,
    who: Role | Actor,
    now: datetime,
    error: type[DomainError] = InvalidInput,
    calendar=CAL,
) -> DomainError:
    """Apply a command that must be refused; the appraisal is unchanged and no text echoed."""
    before = copy.deepcopy(appraisal)
    acting = who if isinstance(who, Actor) else actor(who)
    with pytest.raises(error) as caught:
        apply(appraisal, command, acting, now, calendar, POLICY)
    assert appraisal == before
    err = caught.value
    messages = [err.message, str(err), *getattr(err, "problems", {}).values()]
    for secret in _confidential(appraisal, command):
        for message in messages:
            assert secret not in message
    return err


def applied(appraisal: Appraisal, command, role: Role, now: datetime, calendar=CAL) -> Appraisal:
    return apply(appraisal, command, actor(role), now, calendar, POLICY).appraisal


def prepared() -> tuple[Appraisal, datetime]:
    """At preparation, with the meeting (Wed 14 Oct 2026, 10:00) already held."""
    return appraisal_at(Stage.PREPARATION)


def record_refused(**changes: object) -> InvalidInput:
    appraisal, now = prepared()
    err = refused(appraisal, RecordMeeting(meeting_record(**changes)), Role.REVIEWER, now)
    assert isinstance(err, InvalidInput)
    return err


def objective(text: str, focus: Focus = Focus.SCHOOL_IMPROVEMENT, ref: str = "") -> Objective:
    return Objective(ref, text, "Measured at the end of the year.", focus)


def personal_and(n_school: int) -> tuple[Objective, ...]:
    return (
        objective("Complete a coaching course.", Focus.PROFESSIONAL_DEVELOPMENT),
        *(objective(f"School target number {n}.") for n in range(n_school)),
    )


# --- the meeting record ----------------------------------------------------------------------


def test_a_valid_meeting_record_moves_the_appraisal_on():
    appraisal, now = prepared()
    after = applied(appraisal, RecordMeeting(meeting_record()), Role.REVIEWER, now)
    assert after.stage is Stage.MEETING_HELD
    assert after.meeting_recorded_at == now
    assert [j.objective_ref for j in after.meeting_record.judgements] == ["O1", "O2", "O3"]


def test_no_objectives_is_refused():
    err = record_refused(objectives=())
    assert set(err.problems) == {"objectives"}
    assert "between 1 and 5" in err.problems["objectives"]


def test_six_objectives_is_refused():
    err = record_refused(objectives=personal_and(5))
    assert set(err.problems) == {"objectives"}
    assert "between 1 and 5" in err.problems["objectives"]


def test_five_objectives_is_allowed():
    appraisal, now = prepared()
    after = applied(
        appraisal, RecordMeeting(meeting_record(objectives=personal_and(4))), Role.REVIEWER, now
    )
    assert [o.ref for o in after.meeting_record.objectives] == ["O1", "O2", "O3", "O4", "O5"]


def test_objectives_without_development_or_wellbeing_are_refused():
    school_only = tuple(objective(f"School target {n}.") for n in range(3))
    err = record_refused(objectives=school_only)
    assert set(err.problems) == {"objectives"}
    message = err.problems["objectives"]
    assert "training and development" in message
    assert "wellbeing" in message


@pytest.mark.parametrize("focus", [Focus.PROFESSIONAL_DEVELOPMENT, Focus.WELLBEING])
def test_one_development_or_wellbeing_objective_is_enough(focus):
    appraisal, now = prepared()
    objectives = (objective("School target.", ref="X"), objective("Personal target.", focus))
    after = applied(
        appraisal, RecordMeeting(meeting_record(objectives=objectives)), Role.REVIEWER, now
    )
    assert after.stage is Stage.MEETING_HELD


def test_a_previous_objective_left_unjudged_is_refused():
    judgements = meeting_record().judgements[:2]  # O1 and O2 only
    err = record_refused(judgements=judgements)
    assert err.problems == {"judgements.O3": "Judge last year's objective O3."}


def test_judging_an_objective_that_was_not_set_last_year_is_refused():
    judgements = (*meeting_record().judgements, Judgement("O9", Rating.MET))
    err = record_refused(judgements=judgements)
    assert set(err.problems) == {"judgements[3].objective_ref"}
    assert "not one of last year's objectives" in err.problems["judgements[3].objective_ref"]


def test_judging_an_objective_twice_is_refused():
    judgements = (*meeting_record().judgements, Judgement("O2", Rating.MET))
    err = record_refused(judgements=judgements)
    assert "judged once" in err.problems["judgements[3].objective_ref"]


@pytest.mark.parametrize(
    ("rating", "reasons"),
    [(Rating.PARTIALLY_MET, ""), (Rating.NOT_MET, ""), (Rating.NOT_MET, "   \n ")],
)
def test_partly_met_or_not_met_needs_reasons(rating, reasons):
    judgements = (Judgement("O1", rating, reasons), *meeting_record().judgements[1:])
    err = record_refused(judgements=judgements)
    assert set(err.problems) == {"judgements[0].reasons"}
    assert "reasons" in err.problems["judgements[0].reasons"]


def test_met_needs_no_reasons():
    appraisal, now = prepared()
    judgements = tuple(Judgement(o.ref, Rating.MET) for o in PREVIOUS)
    after = applied(
        appraisal, RecordMeeting(meeting_record(judgements=judgements)), Role.REVIEWER, now
    )
    assert [j.rating for j in after.meeting_record.judgements] == [Rating.MET] * 3


def test_wellbeing_not_discussed_is_refused():
    err = record_refused(wellbeing_discussed=False)
    assert set(err.problems) == {"wellbeing_discussed"}
    assert "wellbeing" in err.problems["wellbeing_discussed"]


@pytest.mark.parametrize(
    ("field", "words"),
    [
        ("cpd_and_support", "CPD and support"),
        ("monitoring", "monitored"),
        ("evidence_to_collect", "evidence"),
    ],
)
@pytest.mark.parametrize("blank", ["", "   "])
def test_missing_cpd_monitoring_or_evidence_is_refused(field, words, blank):
    err = record_refused(**{field: blank})
    assert set(err.problems) == {field}
    assert words in err.problems[field]


@pytest.mark.parametrize("month", [1, 4, 9, 12, 0])
def test_mid_year_month_outside_february_and_march_is_refused(month):
    err = record_refused(mid_year_month=month)
    assert set(err.problems) == {"mid_year_month"}
    assert "February or March" in err.problems["mid_year_month"]


@pytest.mark.parametrize("month", [2, 3])
def test_mid_year_in_february_or_march_is_allowed(month):
    appraisal, now = prepared()
    after = applied(
        appraisal, RecordMeeting(meeting_record(mid_year_month=month)), Role.REVIEWER, now
    )
    assert after.meeting_record.mid_year_month == month


def test_the_headteacher_cannot_hold_the_mid_year_review():
    err = record_refused(mid_year_holder=Role.HEADTEACHER)
    assert set(err.problems) == {"mid_year_holder"}


def test_every_problem_is_reported_together():
    err = record_refused(
        judgements=meeting_record().judgements[1:],  # O1 unjudged
        objectives=tuple(objective(f"School target {n}.") for n in range(3)),
        cpd_and_support="",
        wellbeing_discussed=False,
        monitoring=" ",
        evidence_to_collect="",
        mid_year_month=5,
    )
    expected = {
        "judgements.O1",
        "objectives",
        "cpd_and_support",
        "wellbeing_discussed",
        "monitoring",
        "evidence_to_collect",
        "mid_year_month",
    }
    assert set(err.problems) == expected
    for message in err.problems.values():
        assert message in str(err)


def test_error_messages_never_echo_confidential_text():
    too_long = f"{SECRET}. " + "x" * 4000
    err = record_refused(
        judgements=(Judgement("O1", Rating.NOT_MET, "", SECRET), Judgement("O9", Rating.MET)),
        objectives=(
            Objective("", SECRET, "", Focus.SCHOOL_IMPROVEMENT),
            Objective("", too_long, SECRET, Focus.SCHOOL_IMPROVEMENT),
        ),
        cpd_and_support=too_long,
        wellbeing_discussed=False,
        wellbeing_notes=too_long,
    )
    # Several problems were found, and none of their messages quotes the text we sent.
    assert {"objectives[0].success_criteria", "objectives[1].text", "cpd_and_support"} <= set(
        err.problems
    )
    assert "4000 characters" in err.problems["objectives[1].text"]
    assert SECRET not in str(err)
    assert all(SECRET not in message for message in err.problems.values())


def test_the_audit_event_of_a_meeting_record_holds_no_objective_text():
    appraisal, now = prepared()
    record = meeting_record(objectives=(objective(SECRET, Focus.WELLBEING),))
    event = apply(appraisal, RecordMeeting(record), actor(Role.REVIEWER), now, CAL, POLICY).event
    assert SECRET not in event.detail
    assert event.detail == "1 objectives"


def test_objectives_are_numbered_in_order_and_text_is_trimmed():
    appraisal, now = prepared()
    record = meeting_record(
        judgements=(
            Judgement("O1", Rating.PARTIALLY_MET, "  Staff turnover.  ", "  Long illness. "),
            *meeting_record().judgements[1:],
        ),
        objectives=(
            Objective("O7", "  Raise writing attainment.\n", "  75% expected. ", Focus.WELLBEING),
            Objective("", "Strengthen attendance.", "Below 12%.", Focus.SCHOOL_IMPROVEMENT),
            Objective("X", " Lead a trust network. ", " Two sessions. ", Focus.SCHOOL_IMPROVEMENT),
        ),
        cpd_and_support="  Coaching.  ",
        monitoring="\tTermly check-ins. ",
        evidence_to_collect=" Reports. ",
        wellbeing_notes="  Protected Friday afternoons. ",
    )
    after = applied(appraisal, RecordMeeting(record), Role.REVIEWER, now).meeting_record
    assert after.objectives == (
        Objective("O1", "Raise writing attainment.", "75% expected.", Focus.WELLBEING),
        Objective("O2", "Strengthen attendance.", "Below 12%.", Focus.SCHOOL_IMPROVEMENT),
        Objective("O3", "Lead a trust network.", "Two sessions.", Focus.SCHOOL_IMPROVEMENT),
    )
    assert after.judgements[0] == Judgement(
        "O1", Rating.PARTIALLY_MET, "Staff turnover.", "Long illness."
    )
    assert after.cpd_and_support == "Coaching."
    assert after.monitoring == "Termly check-ins."
    assert after.evidence_to_collect == "Reports."
    assert after.wellbeing_notes == "Protected Friday afternoons."


def test_recording_the_meeting_before_it_has_started_is_refused():
    appraisal, _ = prepared()
    # The meeting is at 10:00 on Wed 14 Oct 2026; one minute before is too early.
    err = refused(
        appraisal,
        RecordMeeting(meeting_record()),
        Role.REVIEWER,
        at(2026, 10, 14, 9, 59),
        ActionNotAllowed,
    )
    assert "Wednesday 14 October 2026 at 10:00" in err.message
    after = applied(appraisal, RecordMeeting(meeting_record()), Role.REVIEWER, at(2026, 10, 14, 10))
    assert after.stage is Stage.MEETING_HELD


def test_amending_the_record_keeps_when_it_was_first_recorded():
    appraisal, _ = appraisal_at(Stage.MEETING_HELD)
    first = appraisal.meeting_recorded_at
    amended = applied(
        appraisal,
        RecordMeeting(meeting_record(monitoring="Monthly.")),
        Role.REVIEWER,
        at(2026, 10, 15),
    )
    assert amended.meeting_record.monitoring == "Monthly."
    assert amended.meeting_recorded_at == first == at(2026, 10, 14, 16)


# --- first cycle -----------------------------------------------------------------------------


def first_cycle_prepared() -> Appraisal:
    appraisal = walk(new_appraisal(previous=()), TIMELINE[1:4])
    assert appraisal.stage is Stage.PREPARATION
    assert appraisal.is_first_cycle
    return appraisal


def test_first_cycle_needs_no_judgements():
    appraisal = first_cycle_prepared()
    after = applied(
        appraisal, RecordMeeting(meeting_record(previous=())), Role.REVIEWER, at(2026, 10, 14, 16)
    )
    assert after.stage is Stage.MEETING_HELD
    assert after.meeting_record.judgements == ()


def test_first_cycle_refuses_judgements_of_objectives_that_do_not_exist():
    appraisal = first_cycle_prepared()
    err = refused(appraisal, RecordMeeting(meeting_record()), Role.REVIEWER, at(2026, 10, 14, 16))
    assert "judgements[0].objective_ref" in err.problems


def test_first_cycle_refuses_self_evaluation_with_a_clear_message():
    appraisal = first_cycle_prepared()
    command = SelfEvaluate((SelfEvaluation("O1", Rating.MET, "Evidence attached."),))
    err = refused(appraisal, command, Role.HEADTEACHER, at(2026, 10, 1), ActionNotAllowed)
    assert "first cycle" in err.message
    assert "no previous objectives" in err.message


# --- proposing a date ------------------------------------------------------------------------

PROPOSED_ON = at(2026, 9, 2, 10)  # Wednesday 2 September 2026


@pytest.mark.parametrize(
    "meeting_at",
    [at(2026, 9, 1, 10), at(2026, 9, 2, 9, 30), PROPOSED_ON],
    ids=["yesterday", "earlier-today", "this-moment"],
)
def test_proposing_a_date_in_the_past_is_refused(meeting_at):
    err = refused(new_appraisal(), ProposeDate(meeting_at), Role.REVIEWER, PROPOSED_ON)
    assert err.problems == {"meeting_at": "Choose a date and time in the future."}


@pytest.mark.parametrize(
    ("meeting_at", "day"),
    [
        (at(2026, 10, 3, 10), "Saturday 3 October 2026"),
        (at(2026, 10, 4, 10), "Sunday 4 October 2026"),
        (at(2026, 12, 25, 10), "Friday 25 December 2026"),  # Christmas Day
        (at(2026, 12, 28, 10), "Monday 28 December 2026"),  # Boxing Day substitute
        # 23:30 UTC on Friday 2 October is 00:30 BST on Saturday 3 October in London.
        (datetime(2026, 10, 2, 23, 30, tzinfo=UTC), "Saturday 3 October 2026"),
    ],
)
def test_proposing_a_weekend_or_bank_holiday_is_refused(meeting_at, day):
    err = refused(new_appraisal(), ProposeDate(meeting_at), Role.REVIEWER, PROPOSED_ON)
    assert set(err.problems) == {"meeting_at"}
    assert err.problems["meeting_at"].startswith(f"{day} is not a working day")


def test_proposing_a_trust_closure_day_is_refused():
    closed = CAL.with_closures(HALF_TERM)
    err = refused(
        new_appraisal(),
        ProposeDate(at(2026, 10, 28, 10)),
        Role.REVIEWER,
        PROPOSED_ON,
        calendar=closed,
    )
    assert "Wednesday 28 October 2026 is not a working day" in err.problems["meeting_at"]
    # Without the closure the same date is fine.
    after = applied(new_appraisal(), ProposeDate(at(2026, 10, 28, 10)), Role.REVIEWER, PROPOSED_ON)
    assert after.stage is Stage.DATE_PROPOSED


@pytest.mark.parametrize(
    "meeting_at",
    [at(2027, 1, 4, 10), at(2027, 1, 1, 0, 30), datetime(2027, 1, 1, 0, 30, tzinfo=UTC)],
)
def test_proposing_a_date_after_31_december_is_refused(meeting_at):
    err = refused(new_appraisal(), ProposeDate(meeting_at), Role.REVIEWER, PROPOSED_ON)
    assert set(err.problems) == {"meeting_at"}
    message = err.problems["meeting_at"]
    assert "Thursday 31 December 2026" in message
    assert "statutory" in message


def test_proposing_the_last_evening_of_the_statutory_window_is_allowed():
    # Thu 31 Dec 2026 is a working day; 23:30 in London is still the 31st.
    after = applied(
        new_appraisal(), ProposeDate(at(2026, 12, 31, 23, 30)), Role.REVIEWER, PROPOSED_ON
    )
    assert after.meeting_at == at(2026, 12, 31, 23, 30)


def test_proposing_a_date_after_the_31_october_target_is_allowed():
    meeting_at = at(2026, 11, 2, 10)  # Monday 2 November 2026
    after = applied(new_appraisal(), ProposeDate(meeting_at), Role.REVIEWER, PROPOSED_ON)
    assert after.stage is Stage.DATE_PROPOSED
    assert after.meeting_at == meeting_at
    assert after.date_proposed_by is Role.REVIEWER


def test_a_naive_meeting_time_is_refused():
    err = refused(
        new_appraisal(), ProposeDate(datetime(2026, 10, 14, 10, 0)), Role.REVIEWER, PROPOSED_ON
    )
    assert err.problems == {"meeting_at": "Give the meeting time with its time zone."}


def test_the_headteachers_other_date_follows_the_same_rules():
    appraisal = walk(new_appraisal(), TIMELINE[:2])
    err = refused(
        appraisal, ProposeOtherDate(at(2026, 10, 3, 10)), Role.HEADTEACHER, at(2026, 9, 3)
    )
    assert "Saturday 3 October 2026 is not a working day" in err.problems["meeting_at"]
    after = applied(
        appraisal, ProposeOtherDate(at(2026, 10, 15, 10)), Role.HEADTEACHER, at(2026, 9, 3)
    )
    assert after.stage is Stage.DATE_COUNTER_PROPOSED
    assert after.date_proposed_by is Role.HEADTEACHER


def test_confirming_a_date_that_has_passed_is_refused():
    appraisal = walk(new_appraisal(), TIMELINE[:2])  # meeting Wed 14 Oct 2026, 10:00
    err = refused(
        appraisal,
        valid_command(Action.CONFIRM_DATE, appraisal, at(2026, 10, 15)),
        Role.HEADTEACHER,
        at(2026, 10, 15),
        ActionNotAllowed,
    )
    assert "has passed" in err.message


# --- roles and stages ------------------------------------------------------------------------


def test_only_the_named_role_may_act():
    appraisal, now = appraisal_at(Stage.DRAFT_WITH_HEADTEACHER)
    command = valid_command(Action.APPROVE, appraisal, now)
    err = refused(appraisal, command, Role.REVIEWER, now, ActionNotAllowed)
    assert err.message == "Only the headteacher can approve the draft."


def test_an_action_at_the_wrong_stage_is_refused():
    appraisal = new_appraisal()
    err = refused(appraisal, SendPreReading(), Role.REVIEWER, at(2026, 9, 2), ActionNotAllowed)
    assert "is not possible now" in err.message
    assert "Meeting date to be proposed" in err.message


# --- pre-reading, changes, sharing -----------------------------------------------------------


def test_the_pre_reading_cannot_be_sent_twice():
    appraisal, now = prepared()
    assert appraisal.pre_reading_sent_at == at(2026, 10, 7)
    err = refused(appraisal, SendPreReading(), Role.REVIEWER, now, ActionNotAllowed)
    assert err.message == "The pre-reading was already sent on Wednesday 7 October 2026."


def test_sending_the_pre_reading_records_when():
    appraisal = walk(new_appraisal(), TIMELINE[:4])
    after = applied(appraisal, SendPreReading(), Role.REVIEWER, at(2026, 10, 7))
    assert after.pre_reading_sent_at == at(2026, 10, 7)
    assert after.stage is Stage.PREPARATION


@pytest.mark.parametrize("comment", ["", "   \n"])
def test_request_changes_needs_a_comment(comment):
    appraisal, now = appraisal_at(Stage.DRAFT_WITH_HEADTEACHER)
    err = refused(appraisal, RequestChanges(comment), Role.HEADTEACHER, now)
    assert err.problems == {"comment": "Enter what you would like changed."}


def test_request_changes_keeps_the_trimmed_comment():
    appraisal, now = appraisal_at(Stage.DRAFT_WITH_HEADTEACHER)
    after = applied(appraisal, RequestChanges("  Reword objective 2.  "), Role.HEADTEACHER, now)
    assert after.stage is Stage.CHANGES_REQUESTED
    assert [(c.at, c.comment) for c in after.change_requests] == [(now, "Reword objective 2.")]


def test_sharing_an_rel_led_review_also_sends_it_to_the_dceo():
    appraisal, now = appraisal_at(Stage.FINAL_ISSUED)
    assert appraisal.led_by_rel
    after = applied(appraisal, ShareWithGovernor(), Role.HEADTEACHER, now)
    assert after.shared_at == now
    assert after.sent_to_dceo_at == now


def test_sharing_a_dceo_led_review_sends_nothing_more_to_the_dceo():
    appraisal, now = appraisal_at(Stage.FINAL_ISSUED)
    after = applied(
        replace(appraisal, led_by_rel=False), ShareWithGovernor(), Role.HEADTEACHER, now
    )
    assert after.shared_at == now
    assert after.sent_to_dceo_at is None


# --- mid-year review -------------------------------------------------------------------------


def test_a_governor_may_not_record_the_mid_year_review_the_reviewer_holds():
    appraisal, now = appraisal_at(Stage.MID_YEAR_DUE)
    assert appraisal.meeting_record.mid_year_holder is Role.REVIEWER
    command = valid_command(Action.RECORD_MID_YEAR, appraisal, now)
    err = refused(appraisal, command, Role.GOVERNOR, now, ActionNotAllowed)
    assert err.message == "The meeting agreed that the reviewer holds the mid-year review."


def test_a_governor_named_by_the_meeting_records_the_mid_year_review():
    steps = list(TIMELINE[:12])
    role, _, when = steps[6]
    steps[6] = (role, RecordMeeting(meeting_record(mid_year_holder=Role.GOVERNOR)), when)
    appraisal = walk(new_appraisal(), tuple(steps))
    now = at(2027, 2, 9, 15)
    after = applied(
        appraisal, valid_command(Action.RECORD_MID_YEAR, appraisal, now), Role.GOVERNOR, now
    )
    assert after.stage is Stage.COMPLETE
    assert after.completed_at == now
    assert after.mid_year_review.held_on == date(2027, 2, 9)


def test_the_headteacher_may_not_record_the_mid_year_review():
    appraisal, now = appraisal_at(Stage.MID_YEAR_DUE)
    command = valid_command(Action.RECORD_MID_YEAR, appraisal, now)
    refused(appraisal, command, Role.HEADTEACHER, now, ActionNotAllowed)


def test_a_mid_year_review_must_cover_every_objective():
    appraisal, now = appraisal_at(Stage.MID_YEAR_DUE)
    full = valid_command(Action.RECORD_MID_YEAR, appraisal, now)
    partial = RecordMidYear(replace(full.review, progress=full.review.progress[:2]))
    err = refused(appraisal, partial, Role.REVIEWER, now)
    assert err.problems == {"progress.O3": "Record progress on objective O3."}


# --- evidence --------------------------------------------------------------------------------


def evidence(title: str = "Pupil outcomes 2026") -> AddEvidence:
    return AddEvidence(title, EvidenceKind.PUPIL_OUTCOME_DATA)


def test_evidence_numbers_are_never_reused():
    now = at(2026, 9, 1, 15)
    appraisal = new_appraisal()
    for _ in range(2):
        appraisal = applied(appraisal, evidence(), Role.HEADTEACHER, now)
    assert [e.ref for e in appraisal.evidence] == ["E1", "E2"]
    appraisal = applied(appraisal, RemoveEvidence("E1"), Role.HEADTEACHER, now)
    appraisal = applied(appraisal, evidence(), Role.HEADTEACHER, now)
    assert [e.ref for e in appraisal.evidence] == ["E2", "E3"]
    # Removing the newest item does not free its number either.
    appraisal = applied(appraisal, RemoveEvidence("E3"), Role.HEADTEACHER, now)
    appraisal = applied(appraisal, evidence(), Role.HEADTEACHER, now)
    assert [e.ref for e in appraisal.evidence] == ["E2", "E4"]


def test_evidence_title_is_trimmed_and_the_objective_must_be_last_years():
    now = at(2026, 9, 1, 15)
    appraisal = applied(
        new_appraisal(),
        AddEvidence("  SDP summary  ", EvidenceKind.SCHOOL_DEVELOPMENT_PLAN, "O2"),
        Role.HEADTEACHER,
        now,
    )
    (item,) = appraisal.evidence
    assert (item.ref, item.title, item.objective_ref, item.added_at) == (
        "E1",
        "SDP summary",
        "O2",
        now,
    )
    err = refused(
        appraisal, AddEvidence("Notes", EvidenceKind.NOTES_OF_VISIT, "O9"), Role.HEADTEACHER, now
    )
    assert set(err.problems) == {"objective_ref"}


def test_removing_an_unknown_evidence_ref_is_refused():
    now = at(2026, 9, 1, 15)
    appraisal = applied(new_appraisal(), evidence(), Role.HEADTEACHER, now)
    err = refused(appraisal, RemoveEvidence("E7"), Role.HEADTEACHER, now)
    assert err.problems == {"evidence_ref": "That evidence item is not on this appraisal."}


def test_evidence_cannot_be_changed_after_the_meeting():
    appraisal, now = appraisal_at(Stage.MEETING_HELD)
    refused(appraisal, evidence(), Role.HEADTEACHER, now, ActionNotAllowed)


# --- self-evaluation and the next cycle ------------------------------------------------------


def rate(*pairs: tuple[str, Rating]) -> SelfEvaluate:
    return SelfEvaluate(tuple(SelfEvaluation(ref, r, "  Evidence attached. ") for ref, r in pairs))


def test_self_evaluation_replaces_an_earlier_rating_and_keeps_the_others():
    appraisal = new_appraisal()
    now = at(2026, 9, 10)
    appraisal = applied(
        appraisal, rate(("O1", Rating.MET), ("O2", Rating.MET)), Role.HEADTEACHER, now
    )
    appraisal = applied(
        appraisal, rate(("O3", Rating.NOT_MET), ("O1", Rating.PARTIALLY_MET)), Role.HEADTEACHER, now
    )
    assert [(e.objective_ref, e.rating, e.commentary) for e in appraisal.self_evaluations] == [
        ("O1", Rating.PARTIALLY_MET, "Evidence attached."),
        ("O2", Rating.MET, "Evidence attached."),
        ("O3", Rating.NOT_MET, "Evidence attached."),
    ]


@pytest.mark.parametrize(
    ("command", "field"),
    [
        (SelfEvaluate(()), "evaluations"),
        (rate(("O9", Rating.MET)), "evaluations[0].objective_ref"),
        (rate(("O1", Rating.MET), ("O1", Rating.NOT_MET)), "evaluations[1].objective_ref"),
    ],
    ids=["empty", "unknown", "twice"],
)
def test_bad_self_evaluations_are_refused(command, field):
    err = refused(new_appraisal(), command, Role.HEADTEACHER, at(2026, 9, 10))
    assert set(err.problems) == {field}


def next_cycle() -> Appraisal:
    """The 2027–28 appraisal, carrying the objectives the 2026 meeting set."""
    finished = walk(new_appraisal())
    assert finished.stage is Stage.COMPLETE
    opened = at(2027, 9, 1)
    return replace(
        new_appraisal(previous=finished.meeting_record.objectives),
        id=2,
        year=2027,
        opened_at=opened,
        stage_entered_at=opened,
    )


def test_a_later_cycle_self_evaluates_the_objectives_the_last_meeting_set():
    appraisal = next_cycle()
    assert [o.text for o in appraisal.previous_objectives] == [
        "Raise writing attainment.",
        "Strengthen attendance.",
        "Complete NPQH coaching module.",
    ]
    after = applied(
        appraisal,
        rate(("O1", Rating.MET), ("O2", Rating.MET), ("O3", Rating.PARTIALLY_MET)),
        Role.HEADTEACHER,
        at(2027, 9, 2),
    )
    assert [e.objective_ref for e in after.self_evaluations] == ["O1", "O2", "O3"]
    # The 2026 meeting set three objectives; there is no O4 to rate.
    refused(appraisal, rate(("O4", Rating.MET)), Role.HEADTEACHER, at(2027, 9, 2))


def test_a_later_cycle_meeting_must_judge_the_carried_objectives():
    appraisal = next_cycle()
    steps = (
        (Role.REVIEWER, ProposeDate(at(2027, 10, 13, 10)), at(2027, 9, 2, 10)),
        (
            Role.HEADTEACHER,
            valid_command(Action.CONFIRM_DATE, appraisal, at(2027, 9, 3)),
            at(2027, 9, 3),
        ),
        (
            Role.GOVERNOR,
            valid_command(Action.CONFIRM_AVAILABILITY, appraisal, at(2027, 9, 6)),
            at(2027, 9, 6),
        ),
    )
    appraisal = walk(appraisal, steps)
    assert appraisal.stage is Stage.PREPARATION
    now = at(2027, 10, 13, 16)
    carried = appraisal.previous_objectives
    err = refused(appraisal, RecordMeeting(meeting_record(carried[:2])), Role.REVIEWER, now)
    assert err.problems == {"judgements.O3": "Judge last year's objective O3."}
    after = applied(appraisal, RecordMeeting(meeting_record(carried)), Role.REVIEWER, now)
    assert after.stage is Stage.MEETING_HELD


def test_once_the_statutory_deadline_has_passed_a_late_meeting_can_still_be_arranged():
    # Tuesday 5 January 2027: 31 December 2026 has passed with no meeting. Refusing every date
    # would leave the appraisal stuck for ever, so a future working day is accepted.
    late = applied(
        new_appraisal(), ProposeDate(at(2027, 1, 12, 10)), Role.REVIEWER, at(2027, 1, 5, 9)
    )
    assert late.stage is Stage.DATE_PROPOSED
    assert late.meeting_at == at(2027, 1, 12, 10)
    # Still on 31 December itself the deadline can be met, so January is refused.
    err = refused(
        new_appraisal(),
        ProposeDate(at(2027, 1, 12, 10)),
        Role.REVIEWER,
        at(2026, 12, 31, 9),
        InvalidInput,
    )
    assert "statutory deadline" in err.problems["meeting_at"]
