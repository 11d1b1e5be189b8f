"""The nudge rules, one by one, with dates worked out by hand on England's 2026–27 calendar.

Calendar facts used below: 1 Sep 2026 is a Tuesday; 14 Oct 2026 (the factories' meeting) is a
Wednesday; 31 Oct 2026 is a Saturday; 25 Dec 2026 (Fri) and 28 Dec 2026 (Mon, for Boxing Day on a
Saturday) are bank holidays; 1 Feb 2027 is a Monday; Good Friday is 26 Mar 2027 and Easter Monday
29 Mar 2027; 31 Mar 2027 is a Wednesday. Clocks go back on Sunday 25 Oct 2026.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, time, timedelta

import pytest

from appraisal.commands import ConfirmAvailability, ConfirmDate, ProposeDate
from appraisal.nudges import (
    LOOK_AHEAD_DAYS,
    Nudge,
    NudgePolicy,
    in_window,
    next_nudge_day,
    next_window,
    nudges_for,
)
from appraisal.roles import Role
from appraisal.stages import Stage
from appraisal.workflow import apply
from tests.support.factories import (
    CAL,
    DCEO,
    GOVERNOR,
    HEAD,
    POLICY,
    REVIEWER,
    TIMELINE,
    actor,
    appraisal_at,
    at,
    new_appraisal,
    walk,
)

RULES = NudgePolicy()
OTHER_DCEO = 99


def days(start: date, end: date):
    while start <= end:
        yield start
        start += timedelta(days=1)


def decided(appraisal, start, end, policy=POLICY, rules=RULES, dceos=(DCEO,)):
    """(day, kind, recipient, action) of every nudge decided from `start` to `end` inclusive."""
    return [
        (n.day, n.kind, n.recipient_id, n.action)
        for day in days(start, end)
        for n in nudges_for(appraisal, CAL, policy, rules, day, dceos)
    ]


def agreed(meeting, governor_on=None):
    """An appraisal whose meeting date was agreed (governor confirmed) at `governor_on`."""
    governor_on = governor_on or at(2026, 9, 7)
    a = new_appraisal()
    a = apply(a, ProposeDate(meeting), actor(Role.REVIEWER), at(2026, 9, 2), CAL, POLICY).appraisal
    a = apply(a, ConfirmDate(), actor(Role.HEADTEACHER), at(2026, 9, 3), CAL, POLICY).appraisal
    a = apply(a, ConfirmAvailability(), actor(Role.GOVERNOR), governor_on, CAL, POLICY).appraisal
    assert a.stage is Stage.PREPARATION
    return a


def test_an_unproposed_date_is_reminded_due_overdue_and_escalated():
    # PROPOSE_DATE is due 10 wd before the target: 31 Oct is a Saturday; counting back 30, 29,
    # 28, 27, 26, 23, 22, 21, 20, 19 Oct gives Monday 19 Oct. Reminder 2 wd before: Thu 15 Oct.
    # Late: 20 Oct = 1, 21 = 2 (overdue), 22 = 3 (escalation), 23 = 4 (overdue), 26 = 5,
    # 27 = 6 (overdue), 28 = 7, 29 = 8 (overdue), 30 = 9. Nothing on the weekend of 24–25 Oct.
    a = new_appraisal()
    propose = "propose_date"
    assert decided(a, date(2026, 9, 1), date(2026, 10, 31)) == [
        (date(2026, 10, 15), "reminder", REVIEWER, propose),
        (date(2026, 10, 19), "due", REVIEWER, propose),
        (date(2026, 10, 21), "overdue", REVIEWER, propose),
        (date(2026, 10, 22), "escalation", DCEO, propose),
        (date(2026, 10, 23), "overdue", REVIEWER, propose),
        (date(2026, 10, 27), "overdue", REVIEWER, propose),
        (date(2026, 10, 29), "overdue", REVIEWER, propose),
    ]


def test_cadences_come_from_the_nudge_policy():
    # Reminder 3 wd before 19 Oct: Wed 14 Oct. Overdue every 3 wd: 22 Oct (3), 27 Oct (6),
    # 30 Oct (9). Escalation at 5 wd late: 26 Oct. Every DCEO is told, in id order.
    rules = NudgePolicy(reminder_days_before=3, overdue_every_days=3, escalate_after_days=5)
    got = decided(
        new_appraisal(),
        date(2026, 10, 1),
        date(2026, 10, 31),
        rules=rules,
        dceos=(OTHER_DCEO, DCEO),
    )
    assert [(d, k, who) for d, k, who, _ in got] == [
        (date(2026, 10, 14), "reminder", REVIEWER),
        (date(2026, 10, 19), "due", REVIEWER),
        (date(2026, 10, 22), "overdue", REVIEWER),
        (date(2026, 10, 26), "escalation", DCEO),
        (date(2026, 10, 26), "escalation", OTHER_DCEO),
        (date(2026, 10, 27), "overdue", REVIEWER),
        (date(2026, 10, 30), "overdue", REVIEWER),
    ]


def test_a_late_draft_is_escalated_on_its_first_late_day_and_again_at_the_threshold():
    # Meeting recorded Wed 14 Oct: the draft is due 5 wd after the meeting, Wed 21 Oct
    # (15, 16, 19, 20, 21). Reminder Mon 19 Oct. Late: 22 Oct = 1 (DCEO told: a late draft),
    # 23 = 2 (overdue), 26 = 3 (escalation), 27 = 4 (overdue).
    a = walk(new_appraisal(), TIMELINE[:7])
    assert a.stage is Stage.MEETING_HELD
    draft = "submit_draft"
    assert decided(a, date(2026, 10, 15), date(2026, 10, 27)) == [
        (date(2026, 10, 19), "reminder", REVIEWER, draft),
        (date(2026, 10, 21), "due", REVIEWER, draft),
        (date(2026, 10, 22), "escalation", DCEO, draft),
        (date(2026, 10, 23), "overdue", REVIEWER, draft),
        (date(2026, 10, 26), "escalation", DCEO, draft),
        (date(2026, 10, 27), "overdue", REVIEWER, draft),
    ]


def test_the_pre_reading_pack_goes_to_the_headteacher_and_governor_five_days_before():
    # Date agreed Mon 7 Sep for Wed 14 Oct (before the target: no escalation on 8 Sep).
    # Pre-reading: 5 wd before 14 Oct is Wed 7 Oct (13, 12, 9, 8, 7), when the reviewer's
    # SEND_PRE_READING is also due (its reminder: Mon 5 Oct).
    a = walk(new_appraisal(), TIMELINE[:4])
    assert decided(a, date(2026, 9, 7), date(2026, 10, 8)) == [
        (date(2026, 10, 5), "reminder", REVIEWER, "send_pre_reading"),
        (date(2026, 10, 7), "due", REVIEWER, "send_pre_reading"),
        (date(2026, 10, 7), "pre_reading", HEAD, "send_pre_reading"),
        (date(2026, 10, 7), "pre_reading", GOVERNOR, "send_pre_reading"),
    ]
    # Once the pack is sent (7 Oct), the self-evaluation is due on the meeting day (reminder
    # Mon 12 Oct; never done: 16 Oct is 2 wd late, 19 Oct 3 (escalation), 20 Oct 4). Recording
    # the meeting opens on 14 Oct and is due 5 wd later, Wed 21 Oct (reminder Mon 19 Oct).
    sent = walk(new_appraisal(), TIMELINE[:5])
    assert decided(sent, date(2026, 10, 8), date(2026, 10, 21)) == [
        (date(2026, 10, 12), "reminder", HEAD, "self_evaluate"),
        (date(2026, 10, 14), "due", HEAD, "self_evaluate"),
        (date(2026, 10, 16), "overdue", HEAD, "self_evaluate"),
        (date(2026, 10, 19), "escalation", DCEO, "self_evaluate"),
        (date(2026, 10, 19), "reminder", REVIEWER, "record_meeting"),
        (date(2026, 10, 20), "overdue", HEAD, "self_evaluate"),
        (date(2026, 10, 21), "due", REVIEWER, "record_meeting"),
    ]


@pytest.mark.parametrize(
    ("meeting", "kind"),
    [
        (at(2026, 10, 30, 10), None),  # on or before the target (Fri 30 Oct)
        (at(2026, 11, 2, 10), "meeting_after_target"),
        (at(2026, 12, 15, 10), "meeting_after_target"),
        # 10 wd counting back from 31 Dec (31, 30, 29, 24, 23, 22, 21, 18, 17, 16) is 16 Dec.
        (at(2026, 12, 16, 10), "near_statutory"),
    ],
)
def test_a_late_meeting_date_is_escalated_the_working_day_after_it_is_agreed(meeting, kind):
    # Agreed Mon 7 Sep: the escalation, if any, is on Tue 8 Sep, to every DCEO, only then.
    a = agreed(meeting)
    got = [
        row for row in decided(a, date(2026, 9, 7), date(2026, 9, 30)) if row[3] == "meeting_date"
    ]
    assert got == ([(date(2026, 9, 8), kind, DCEO, "meeting_date")] if kind else [])


def test_a_date_agreed_on_a_friday_evening_is_escalated_on_monday():
    a = agreed(at(2026, 11, 20, 10), governor_on=at(2026, 9, 11, 19))
    got = [row for row in decided(a, date(2026, 9, 11), date(2026, 9, 30)) if row[1] != "due"]
    assert got[0] == (date(2026, 9, 14), "meeting_after_target", DCEO, "meeting_date")


def test_the_mid_year_review_opens_in_february_and_is_escalated_after_march():
    # Acknowledged 2 Nov: the mid-year review is due. Opens Mon 1 Feb 2027 (holder: reviewer).
    # Due Wed 31 Mar; reminder 2 wd before: 30 Mar (Tue), then 29 (Easter Monday) and 26 (Good
    # Friday) are skipped, so Thu 25 Mar. Late: Thu 1 Apr = 1 (mid_year_late to the DCEO, not the
    # ordinary escalation), Fri 2 Apr = 2 (overdue), Mon 5 Apr = 3 (no second escalation),
    # Tue 6 Apr = 4 (overdue).
    a = walk(new_appraisal(), TIMELINE[:12])
    assert a.stage is Stage.MID_YEAR_DUE
    mid = "record_mid_year"
    assert decided(a, date(2027, 1, 4), date(2027, 4, 6)) == [
        (date(2027, 2, 1), "mid_year_open", REVIEWER, mid),
        (date(2027, 3, 25), "reminder", REVIEWER, mid),
        (date(2027, 3, 31), "due", REVIEWER, mid),
        (date(2027, 4, 1), "mid_year_late", DCEO, mid),
        (date(2027, 4, 2), "overdue", REVIEWER, mid),
        (date(2027, 4, 6), "overdue", REVIEWER, mid),
    ]


def test_a_due_date_on_a_non_working_day_is_nudged_on_the_working_day_before():
    # Closing on Sun 28 Mar 2027: 27 (Sat) and 26 (Good Friday) are not working days, so the due
    # nudge is on Thu 25 Mar; the reminder is 2 wd before the 28th: 25, 24 -> Wed 24 Mar; Tue
    # 30 Mar is the first late day (Easter Monday is skipped) and Wed 31 Mar the second.
    policy = replace(POLICY, mid_year_closes_month_day=(3, 28))
    a = walk(new_appraisal(), TIMELINE[:12])
    got = decided(a, date(2027, 3, 1), date(2027, 3, 31), policy=policy)
    assert [(d, k) for d, k, _, _ in got] == [
        (date(2027, 3, 24), "reminder"),
        (date(2027, 3, 25), "due"),
        (date(2027, 3, 30), "mid_year_late"),
        (date(2027, 3, 31), "overdue"),
    ]


def test_nothing_is_decided_on_a_weekend_bank_holiday_or_closure_day():
    a = new_appraisal()
    assert nudges_for(a, CAL, POLICY, RULES, date(2026, 10, 19), [DCEO])  # due that Monday
    closed = CAL.with_closures([date(2026, 10, 19)])
    assert nudges_for(a, closed, POLICY, RULES, date(2026, 10, 19), [DCEO]) == []
    assert nudges_for(a, CAL, POLICY, RULES, date(2026, 10, 24), [DCEO]) == []
    mid = walk(new_appraisal(), TIMELINE[:12])
    assert nudges_for(mid, CAL, POLICY, RULES, date(2027, 3, 29), [DCEO]) == []


def test_a_complete_appraisal_has_no_nudges():
    a = walk(new_appraisal())
    assert a.stage is Stage.COMPLETE
    assert decided(a, date(2027, 2, 1), date(2027, 4, 30)) == []


def test_the_key_names_appraisal_step_kind_day_and_recipient():
    n = Nudge(7, 3, Role.DCEO, "submit_draft", "escalation", date(2026, 10, 21), date(2026, 10, 22))
    assert n.key == "7:submit_draft:escalation:2026-10-22:3"


def test_a_nonsensical_nudge_policy_is_refused():
    with pytest.raises(ValueError, match="at least one"):
        NudgePolicy(overdue_every_days=0)
    with pytest.raises(ValueError, match="start before"):
        NudgePolicy(window_start=time(18), window_end=time(8))


@pytest.mark.parametrize(
    ("moment", "inside", "next_start"),
    [
        (at(2026, 10, 5, 9), True, at(2026, 10, 5, 9)),  # Monday morning
        (at(2026, 10, 5, 7, 59), False, at(2026, 10, 5, 8)),
        (at(2026, 10, 5, 17, 30), False, at(2026, 10, 6, 8)),  # the end is outside
        (at(2026, 10, 9, 18), False, at(2026, 10, 12, 8)),  # Friday evening -> Monday
        (at(2026, 10, 24, 12), False, at(2026, 10, 26, 8)),  # across the clock change
        (at(2026, 12, 24, 18), False, at(2026, 12, 29, 8)),  # Christmas and Boxing Day
    ],
)
def test_the_sending_window(moment, inside, next_start):
    assert in_window(moment, CAL, RULES) is inside
    start = next_window(moment, CAL, RULES)
    assert start == next_start
    assert start.utcoffset() == next_start.utcoffset()
    assert in_window(start, CAL, RULES)


def test_the_window_follows_the_policy_hours_and_closures():
    rules = NudgePolicy(window_start=time(7), window_end=time(19))
    assert in_window(at(2026, 10, 5, 18, 59), CAL, rules)
    closed = CAL.with_closures([date(2026, 10, 26)])
    assert next_window(at(2026, 10, 23, 19), closed, rules) == at(2026, 10, 27, 7)


def test_a_dceo_who_owes_the_step_herself_is_not_escalated_to():
    # The DCEO reviews this school (she is the reviewer): when her own step is late she gets the
    # overdue reminders, and no escalation about herself; another DCEO still hears about it.
    from dataclasses import replace as _replace

    from appraisal.deadlines import obligations
    from appraisal.nudges import NudgePolicy, nudges_for
    from tests.support.factories import CAL, POLICY, REVIEWER, new_appraisal

    appraisal = _replace(new_appraisal(), reviewer_id=REVIEWER)
    (owed,) = obligations(appraisal, CAL, POLICY)
    escalation_day = CAL.add_working_days(owed.due_on, 3)
    alone = nudges_for(appraisal, CAL, POLICY, NudgePolicy(), escalation_day, [REVIEWER])
    assert [n.kind for n in alone if n.recipient_id == REVIEWER] in ([], ["overdue"])
    assert not [n for n in alone if n.kind == "escalation"]
    with_another = nudges_for(appraisal, CAL, POLICY, NudgePolicy(), escalation_day, [REVIEWER, 99])
    assert [(n.recipient_id, n.kind) for n in with_another if n.kind == "escalation"] == [
        (99, "escalation")
    ]


def _first_nudge(appraisal, rules, after, within=400):
    """The first day after `after` with any nudge, asked of nudges_for day by day."""
    for day in days(after + timedelta(days=1), after + timedelta(days=within)):
        if nudges_for(appraisal, CAL, POLICY, rules, day, (OTHER_DCEO,)):
            return day
    return None


@pytest.mark.parametrize(
    "rules",
    [
        RULES,
        NudgePolicy(reminder_days_before=5, overdue_every_days=1, escalate_after_days=1),
        NudgePolicy(reminder_days_before=1, overdue_every_days=3, escalate_after_days=6),
    ],
    ids=["default", "eager", "relaxed"],
)
def test_the_next_nudge_day_is_the_first_day_any_nudge_comes(rules):
    stages = [appraisal_at(stage)[0] for stage in Stage]
    for appraisal in stages:
        for after in list(days(date(2026, 8, 28), date(2027, 4, 20)))[::5]:
            found = next_nudge_day(appraisal, CAL, POLICY, rules, after)
            first = _first_nudge(appraisal, rules, after)
            where = (appraisal.stage, after, found, first)
            if appraisal.stage is Stage.COMPLETE:
                assert found is None and first is None, where
                continue
            assert found is not None and found > after, where
            # Never later than the first nudge; when earlier, only a day to look again on.
            assert first is None or found <= first, where
            if nudges_for(appraisal, CAL, POLICY, rules, found, (OTHER_DCEO,)):
                assert found == first, where
            else:  # nothing within the span looked at: a day to look again on
                assert found >= after + timedelta(days=LOOK_AHEAD_DAYS + 1), where
