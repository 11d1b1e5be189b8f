"""Who owes what, and by when, at every stage of the 2026–27 timeline (England's calendar)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from appraisal.commands import (
    ConfirmAvailability,
    ConfirmDate,
    DeclineAvailability,
    ProposeDate,
    RecordMeeting,
    SelfEvaluate,
    SendPreReading,
    SubmitDraft,
)
from appraisal.deadlines import Obligation, meeting_after_target, next_due, obligations
from appraisal.policy import CyclePolicy
from appraisal.record import Rating, SelfEvaluation
from appraisal.roles import Role
from appraisal.stages import Action, Stage
from appraisal.workflow import RULES, apply
from tests.support.factories import (
    CAL,
    GOVERNOR,
    HEAD,
    POLICY,
    PREVIOUS,
    REVIEWER,
    TIMELINE,
    actor,
    appraisal_at,
    at,
    meeting_record,
    new_appraisal,
    walk,
)

HALF_TERM = tuple(date(2026, 10, d) for d in range(26, 31))  # Mon 26 to Fri 30 October 2026


def owed(appraisal, calendar=CAL, policy=POLICY):
    return obligations(appraisal, calendar, policy)


def self_evaluate(*refs: str):
    return SelfEvaluate(
        tuple(SelfEvaluation(ref, Rating.MET, "Evidence attached.") for ref in refs)
    )


def christmas_meeting(until: int):
    """The 2026–27 cycle with the meeting on Monday 21 December 2026, walked `until` steps."""
    steps = (
        (Role.REVIEWER, ProposeDate(at(2026, 12, 21, 10)), at(2026, 9, 2, 10)),
        (Role.HEADTEACHER, ConfirmDate(), at(2026, 9, 3)),
        (Role.GOVERNOR, ConfirmAvailability(), at(2026, 9, 7)),
        (Role.REVIEWER, SendPreReading(), at(2026, 12, 14)),
        (Role.HEADTEACHER, self_evaluate("O1", "O2", "O3"), at(2026, 12, 15)),
        (Role.REVIEWER, RecordMeeting(meeting_record()), at(2026, 12, 21, 16)),
        (Role.REVIEWER, SubmitDraft(), at(2026, 12, 23, 10)),
    )
    return walk(new_appraisal(), steps[:until])


# --- before the date is agreed ---------------------------------------------------------------


def test_date_proposal_is_due_ten_working_days_before_the_target():
    # Opened Tue 1 Sep: 5 working days later is Tue 8 Sep. 10 working days before Sat 31 Oct
    # is Mon 19 Oct (Fri 30 .. Mon 26 = 5, Fri 23 .. Mon 19 = 10). The later wins: Mon 19 Oct.
    assert owed(new_appraisal()) == [
        Obligation(Action.PROPOSE_DATE, Role.REVIEWER, REVIEWER, date(2026, 10, 19))
    ]


def test_date_proposal_for_a_late_opening_is_five_working_days_after_opening():
    # Opened Wed 14 Oct: Thu 15, Fri 16, Mon 19, Tue 20, Wed 21 -> Wed 21 Oct, after Mon 19 Oct.
    opened = at(2026, 10, 14)
    appraisal = replace(new_appraisal(), opened_at=opened, stage_entered_at=opened)
    assert owed(appraisal) == [
        Obligation(Action.PROPOSE_DATE, Role.REVIEWER, REVIEWER, date(2026, 10, 21))
    ]


def test_date_proposal_after_the_governor_declines_restarts_five_working_days():
    appraisal, _ = appraisal_at(Stage.AWAITING_GOVERNOR)
    declined = apply(
        appraisal, DeclineAvailability(), actor(Role.GOVERNOR), at(2026, 10, 20), CAL, POLICY
    ).appraisal
    assert declined.stage is Stage.AWAITING_DATE
    # Declined Tue 20 Oct: Wed 21, Thu 22, Fri 23, Mon 26, Tue 27 -> Tue 27 Oct (after Mon 19).
    assert owed(declined) == [
        Obligation(Action.PROPOSE_DATE, Role.REVIEWER, REVIEWER, date(2026, 10, 27))
    ]


def test_headteacher_confirms_within_five_working_days_of_the_proposal():
    appraisal = walk(new_appraisal(), TIMELINE[:2])
    assert appraisal.stage is Stage.DATE_PROPOSED
    # Proposed Wed 2 Sep: Thu 3, Fri 4, Mon 7, Tue 8, Wed 9 -> Wed 9 Sep (meeting is 14 Oct).
    assert owed(appraisal) == [
        Obligation(Action.CONFIRM_DATE, Role.HEADTEACHER, HEAD, date(2026, 9, 9))
    ]


def test_a_new_proposal_restarts_the_headteachers_clock():
    appraisal = walk(new_appraisal(), TIMELINE[:2])
    again = apply(
        appraisal,
        ProposeDate(at(2026, 10, 15, 10)),
        actor(Role.REVIEWER),
        at(2026, 9, 8),
        CAL,
        POLICY,
    ).appraisal
    # Re-proposed Tue 8 Sep: Wed 9, Thu 10, Fri 11, Mon 14, Tue 15 -> Tue 15 Sep.
    assert owed(again) == [
        Obligation(Action.CONFIRM_DATE, Role.HEADTEACHER, HEAD, date(2026, 9, 15))
    ]


def test_confirmation_is_never_due_after_the_meeting_itself():
    appraisal = apply(
        new_appraisal(),
        ProposeDate(at(2026, 9, 4, 14)),
        actor(Role.REVIEWER),
        at(2026, 9, 2, 10),
        CAL,
        POLICY,
    ).appraisal
    # Five working days from Wed 2 Sep is Wed 9 Sep, but the meeting is Fri 4 Sep.
    assert owed(appraisal) == [
        Obligation(Action.CONFIRM_DATE, Role.HEADTEACHER, HEAD, date(2026, 9, 4))
    ]


def test_reviewer_answers_the_headteachers_counter_proposal_within_five_working_days():
    appraisal, _ = appraisal_at(Stage.DATE_COUNTER_PROPOSED)
    # Counter-proposed Thu 3 Sep: Fri 4, Mon 7, Tue 8, Wed 9, Thu 10 -> Thu 10 Sep.
    assert owed(appraisal) == [
        Obligation(Action.ACCEPT_DATE, Role.REVIEWER, REVIEWER, date(2026, 9, 10))
    ]


def test_governor_confirms_availability_within_five_working_days():
    appraisal, _ = appraisal_at(Stage.AWAITING_GOVERNOR)
    # Confirmed by the headteacher Thu 3 Sep -> governor due Thu 10 Sep.
    assert owed(appraisal) == [
        Obligation(Action.CONFIRM_AVAILABILITY, Role.GOVERNOR, GOVERNOR, date(2026, 9, 10))
    ]


def test_governor_answer_is_capped_at_the_meeting_day():
    steps = (
        (Role.REVIEWER, ProposeDate(at(2026, 9, 8, 10)), at(2026, 9, 2, 10)),
        (Role.HEADTEACHER, ConfirmDate(), at(2026, 9, 3)),
    )
    appraisal = walk(new_appraisal(), steps)
    # Thu 3 Sep + 5 working days = Thu 10 Sep, but the meeting is Tue 8 Sep.
    assert owed(appraisal) == [
        Obligation(Action.CONFIRM_AVAILABILITY, Role.GOVERNOR, GOVERNOR, date(2026, 9, 8))
    ]


# --- preparation -----------------------------------------------------------------------------


def test_preparation_owes_pre_reading_self_evaluation_and_the_meeting_record():
    appraisal = walk(new_appraisal(), TIMELINE[:4])
    assert appraisal.stage is Stage.PREPARATION
    # Meeting Wed 14 Oct. Pre-reading 5 working days before: Tue 13, Mon 12, Fri 9, Thu 8,
    # Wed 7 -> Wed 7 Oct. Self-evaluation by the meeting day. The record 5 working days after:
    # Thu 15, Fri 16, Mon 19, Tue 20, Wed 21 -> Wed 21 Oct, open from the meeting day.
    assert owed(appraisal) == [
        Obligation(Action.SEND_PRE_READING, Role.REVIEWER, REVIEWER, date(2026, 10, 7)),
        Obligation(Action.SELF_EVALUATE, Role.HEADTEACHER, HEAD, date(2026, 10, 14)),
        Obligation(
            Action.RECORD_MEETING, Role.REVIEWER, REVIEWER, date(2026, 10, 21), date(2026, 10, 14)
        ),
    ]
    assert next_due(appraisal, CAL, POLICY) == owed(appraisal)[0]


def test_self_evaluation_stays_owed_while_any_previous_objective_is_unrated():
    appraisal = walk(new_appraisal(), TIMELINE[:4])
    partly = apply(
        appraisal, self_evaluate("O1", "O2"), actor(Role.HEADTEACHER), at(2026, 10, 1), CAL, POLICY
    ).appraisal
    assert Action.SELF_EVALUATE in [o.action for o in owed(partly)]
    fully = apply(
        partly, self_evaluate("O3"), actor(Role.HEADTEACHER), at(2026, 10, 2), CAL, POLICY
    ).appraisal
    assert Action.SELF_EVALUATE not in [o.action for o in owed(fully)]


def test_first_cycle_owes_no_self_evaluation():
    # No previous objectives; the first timeline step (evidence for "O1") does not apply.
    appraisal = walk(new_appraisal(previous=()), TIMELINE[1:4])
    assert appraisal.stage is Stage.PREPARATION
    assert owed(appraisal) == [
        Obligation(Action.SEND_PRE_READING, Role.REVIEWER, REVIEWER, date(2026, 10, 7)),
        Obligation(
            Action.RECORD_MEETING, Role.REVIEWER, REVIEWER, date(2026, 10, 21), date(2026, 10, 14)
        ),
    ]


def test_once_prepared_only_the_meeting_record_is_owed():
    appraisal, _ = appraisal_at(Stage.PREPARATION)
    assert appraisal.pre_reading_sent_at is not None
    assert {e.objective_ref for e in appraisal.self_evaluations} == {o.ref for o in PREVIOUS}
    assert owed(appraisal) == [
        Obligation(
            Action.RECORD_MEETING, Role.REVIEWER, REVIEWER, date(2026, 10, 21), date(2026, 10, 14)
        )
    ]


def test_pre_reading_for_a_christmas_meeting_is_due_a_week_before():
    appraisal = christmas_meeting(3)
    assert appraisal.stage is Stage.PREPARATION
    # Meeting Mon 21 Dec: back Fri 18, Thu 17, Wed 16, Tue 15, Mon 14 -> Mon 14 Dec.
    assert owed(appraisal)[0] == Obligation(
        Action.SEND_PRE_READING, Role.REVIEWER, REVIEWER, date(2026, 12, 14)
    )


# --- after the meeting -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stage", "expected"),
    [
        # Meeting Wed 14 Oct -> draft Wed 21 Oct (Thu 15, Fri 16, Mon 19, Tue 20, Wed 21).
        (
            Stage.MEETING_HELD,
            Obligation(Action.SUBMIT_DRAFT, Role.REVIEWER, REVIEWER, date(2026, 10, 21)),
        ),
        # Draft Mon 19 Oct -> approval Mon 26 Oct (Tue 20, Wed 21, Thu 22, Fri 23, Mon 26).
        (
            Stage.DRAFT_WITH_HEADTEACHER,
            Obligation(Action.APPROVE, Role.HEADTEACHER, HEAD, date(2026, 10, 26)),
        ),
        # Changes requested Tue 20 Oct -> new draft Tue 27 Oct (Wed 21 .. Fri 23, Mon 26, Tue 27).
        (
            Stage.CHANGES_REQUESTED,
            Obligation(Action.SUBMIT_DRAFT, Role.REVIEWER, REVIEWER, date(2026, 10, 27)),
        ),
        # Approved Wed 21 Oct -> final Wed 28 Oct (Thu 22, Fri 23, Mon 26, Tue 27, Wed 28).
        (
            Stage.APPROVED,
            Obligation(Action.ISSUE_FINAL, Role.REVIEWER, REVIEWER, date(2026, 10, 28)),
        ),
        # Final Mon 26 Oct -> share Mon 2 Nov (Tue 27, Wed 28, Thu 29, Fri 30, Mon 2).
        (
            Stage.FINAL_ISSUED,
            Obligation(Action.SHARE_WITH_GOVERNOR, Role.HEADTEACHER, HEAD, date(2026, 11, 2)),
        ),
        # Shared Tue 27 Oct -> acknowledgement Tue 3 Nov (Wed 28, Thu 29, Fri 30, Mon 2, Tue 3).
        (
            Stage.SHARED,
            Obligation(Action.ACKNOWLEDGE, Role.GOVERNOR, GOVERNOR, date(2026, 11, 3)),
        ),
        # The mid-year window is 1 February to 31 March 2027; the meeting named the reviewer.
        (
            Stage.MID_YEAR_DUE,
            Obligation(
                Action.RECORD_MID_YEAR, Role.REVIEWER, REVIEWER, date(2027, 3, 31), date(2027, 2, 1)
            ),
        ),
    ],
)
def test_each_later_stage_owes_one_step(stage, expected):
    appraisal, _ = appraisal_at(stage)
    assert appraisal.stage is stage
    assert owed(appraisal) == [expected]


def test_mid_year_review_is_owed_by_the_governor_when_the_meeting_named_them():
    steps = list(TIMELINE[:12])
    role, _, when = steps[6]
    steps[6] = (role, RecordMeeting(meeting_record(mid_year_holder=Role.GOVERNOR)), when)
    appraisal = walk(new_appraisal(), tuple(steps))
    assert appraisal.stage is Stage.MID_YEAR_DUE
    assert owed(appraisal) == [
        Obligation(
            Action.RECORD_MID_YEAR, Role.GOVERNOR, GOVERNOR, date(2027, 3, 31), date(2027, 2, 1)
        )
    ]


def test_nothing_is_owed_once_complete():
    appraisal = walk(new_appraisal())
    assert appraisal.stage is Stage.COMPLETE
    assert owed(appraisal) == []
    assert next_due(appraisal, CAL, POLICY) is None


def test_draft_is_due_five_working_days_after_the_meeting_not_after_it_was_recorded():
    appraisal = walk(new_appraisal(), TIMELINE[:6])
    recorded = apply(
        appraisal,
        RecordMeeting(meeting_record()),
        actor(Role.REVIEWER),
        at(2026, 10, 16),
        CAL,
        POLICY,
    ).appraisal
    assert recorded.stage is Stage.MEETING_HELD
    # Meeting Wed 14 Oct -> Wed 21 Oct, although the record was only written on Fri 16 Oct
    # (counting from that would give Fri 23 Oct).
    assert owed(recorded) == [
        Obligation(Action.SUBMIT_DRAFT, Role.REVIEWER, REVIEWER, date(2026, 10, 21))
    ]


def test_draft_due_date_crosses_christmas():
    appraisal = christmas_meeting(6)
    assert appraisal.stage is Stage.MEETING_HELD
    # Meeting Mon 21 Dec: Tue 22, Wed 23, Thu 24; Fri 25 (Christmas), Sat 26, Sun 27, Mon 28
    # (Boxing Day substitute) skipped; Tue 29, Wed 30 -> Wed 30 Dec 2026.
    assert owed(appraisal) == [
        Obligation(Action.SUBMIT_DRAFT, Role.REVIEWER, REVIEWER, date(2026, 12, 30))
    ]


def test_approval_due_date_crosses_christmas_and_new_year():
    appraisal = christmas_meeting(7)
    assert appraisal.stage is Stage.DRAFT_WITH_HEADTEACHER
    # Draft Wed 23 Dec: Thu 24 (1); Fri 25 - Mon 28 skipped; Tue 29 (2), Wed 30 (3), Thu 31 (4);
    # Fri 1 Jan (New Year's Day), Sat 2, Sun 3 skipped; Mon 4 Jan 2027 (5).
    assert owed(appraisal) == [Obligation(Action.APPROVE, Role.HEADTEACHER, HEAD, date(2027, 1, 4))]


def test_closure_days_push_due_dates_back():
    appraisal, _ = appraisal_at(Stage.FINAL_ISSUED)
    closed = CAL.with_closures(HALF_TERM)
    # Final issued Mon 26 Oct; Tue 27 - Fri 30 are half term: Mon 2, Tue 3, Wed 4, Thu 5, Fri 6.
    assert owed(appraisal, closed) == [
        Obligation(Action.SHARE_WITH_GOVERNOR, Role.HEADTEACHER, HEAD, date(2026, 11, 6))
    ]


def test_due_dates_count_from_the_london_date_of_the_stage_change():
    appraisal, _ = appraisal_at(Stage.DRAFT_WITH_HEADTEACHER)
    # 23:30 UTC on Sun 18 Oct is 00:30 BST on Mon 19 Oct, so approval is due Mon 26 Oct
    # (counting from the UTC date, Sunday, would give Fri 23 Oct).
    late = replace(appraisal, stage_entered_at=datetime(2026, 10, 18, 23, 30, tzinfo=UTC))
    assert owed(late) == [Obligation(Action.APPROVE, Role.HEADTEACHER, HEAD, date(2026, 10, 26))]


def test_different_allowances_in_the_policy_are_honoured():
    appraisal, _ = appraisal_at(Stage.APPROVED)
    # Approved Wed 21 Oct; with 3 working days: Thu 22, Fri 23, Mon 26 -> Mon 26 Oct.
    policy = CyclePolicy(step_working_days=3)
    assert owed(appraisal, policy=policy) == [
        Obligation(Action.ISSUE_FINAL, Role.REVIEWER, REVIEWER, date(2026, 10, 26))
    ]


# --- is_overdue / is_open --------------------------------------------------------------------


def test_an_obligation_is_overdue_only_after_its_due_date():
    appraisal, _ = appraisal_at(Stage.DRAFT_WITH_HEADTEACHER)
    (approval,) = owed(appraisal)
    assert approval.due_on == date(2026, 10, 26)
    assert not approval.is_overdue(date(2026, 10, 20))
    assert not approval.is_overdue(date(2026, 10, 26))
    assert approval.is_overdue(date(2026, 10, 27))
    # Steps with no opening date are open at once.
    assert approval.is_open(date(2026, 10, 19))


def test_the_mid_year_review_opens_on_1_february_and_is_overdue_after_31_march():
    appraisal, _ = appraisal_at(Stage.MID_YEAR_DUE)
    (review,) = owed(appraisal)
    assert not review.is_open(date(2027, 1, 31))
    assert review.is_open(date(2027, 2, 1))
    assert review.is_open(date(2027, 3, 15))
    assert not review.is_overdue(date(2027, 3, 31))
    assert review.is_overdue(date(2027, 4, 1))


def test_the_meeting_record_opens_on_the_meeting_day():
    appraisal, _ = appraisal_at(Stage.PREPARATION)
    (record,) = owed(appraisal)
    assert not record.is_open(date(2026, 10, 13))
    assert record.is_open(date(2026, 10, 14))


# --- meeting_after_target --------------------------------------------------------------------


def test_meeting_after_target():
    timeline, _ = appraisal_at(Stage.PREPARATION)  # meeting Wed 14 Oct
    assert not meeting_after_target(timeline, CAL, POLICY)
    assert not meeting_after_target(new_appraisal(), CAL, POLICY)  # no date yet
    late = replace(timeline, meeting_at=at(2026, 11, 2, 10))
    assert meeting_after_target(late, CAL, POLICY)
    on_target = replace(timeline, meeting_at=at(2026, 10, 31, 23, 30))
    assert not meeting_after_target(on_target, CAL, POLICY)


def test_meeting_after_target_uses_the_london_date():
    appraisal, _ = appraisal_at(Stage.PREPARATION)
    # GMT: 00:30 UTC on 1 Nov is 00:30 on 1 Nov in London -> after 31 Oct.
    assert meeting_after_target(
        replace(appraisal, meeting_at=datetime(2026, 11, 1, 0, 30, tzinfo=UTC)), CAL, POLICY
    )
    # BST: with a 20 October target, 23:30 UTC on 20 Oct is 00:30 on 21 Oct in London.
    policy = CyclePolicy(target_month_day=(10, 20))
    moment = datetime(2026, 10, 20, 23, 30, tzinfo=UTC)
    assert meeting_after_target(replace(appraisal, meeting_at=moment), CAL, policy)
    earlier = datetime(2026, 10, 20, 22, 30, tzinfo=UTC)  # 23:30 BST on the 20th
    assert not meeting_after_target(replace(appraisal, meeting_at=earlier), CAL, policy)


@pytest.mark.parametrize("stage", list(Stage), ids=lambda s: s.value)
def test_every_step_owed_is_owed_by_a_role_the_table_lets_take_it(stage):
    """Who owes a step (deadlines) and who may take it (the transition table) never drift."""
    appraisal, _when = appraisal_at(stage)
    for obligation in owed(appraisal):
        assert any(
            rule.stage is appraisal.stage
            and rule.action is obligation.action
            and obligation.role in rule.roles
            for rule in RULES
        ), f"{obligation.role.value} owes {obligation.action.value} at {stage.value}"
