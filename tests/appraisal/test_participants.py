"""Several governors, none, and the roster changing who takes part in an open appraisal.

Driven through the pure domain (`workflow.apply`, `deadlines.obligations`, `nudges.nudges_for`,
`participants.reassign`) on England's 2026–27 calendar. Dates used below: the factories' cycle
opens on Tue 1 Sep 2026; the reviewer proposes Wed 14 Oct 2026 10:00 on Wed 2 Sep and the
headteacher confirms on Thu 3 Sep; the governors answer on Mon 7 Sep; the final record is issued
Mon 26 Oct and shared Tue 27 Oct; the governor acknowledges on Mon 2 Nov. No bank holiday falls
between September and mid-November 2026 (half term is not a closure in this calendar).
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime

import pytest

from appraisal.commands import (
    Acknowledge,
    ConfirmAvailability,
    ConfirmDate,
    DeclineAvailability,
    ProposeDate,
    RecordMeeting,
    RecordMidYear,
    ShareWithGovernor,
)
from appraisal.deadlines import NO_GOVERNOR, Obligation, blocked_by, obligations
from appraisal.errors import ActionNotAllowed
from appraisal.model import Appraisal, AuditEvent, actor_for
from appraisal.nudges import Nudge, NudgePolicy, nudges_for
from appraisal.participants import REASSIGN, Holders, Reassignment, RoleChange, reassign
from appraisal.record import MidYearReview, ObjectiveProgress, Progress
from appraisal.roles import Role
from appraisal.stages import Action, Stage
from appraisal.steps import governors_settled
from appraisal.workflow import Transition, apply, rule_for
from tests.support.factories import (
    ADMIN,
    ADVISER,
    CAL,
    DCEO,
    GOVERNOR,
    HEAD,
    MEETING,
    OUTSIDER,
    PERSON_FOR_ROLE,
    POLICY,
    REVIEWER,
    TIMELINE,
    at,
    meeting_record,
    new_appraisal,
)

# The factories' governor is the first of several; the others are people of our own.
G1, G2, G3 = GOVERNOR, 11, 12
NEW_GOVERNOR, NEW_REVIEWER, NEW_ADVISER = 21, 22, 23
OTHER_DCEO = 99
NOBODY = frozenset()
RULES = NudgePolicy()

#: What the detail of a reassign event may say: role changes by id, and the two consequences.
ID_DETAIL = re.compile(r"(reviewer|governor|adviser): (\d+(,\d+)*|none) -> (\d+(,\d+)*|none)")
OTHER_DETAILS = {"governors' answers", "led by an REL", "led by the DCEO"}


# --- helpers ---------------------------------------------------------------------------------


def act(
    appraisal: Appraisal,
    person: int,
    command,
    now: datetime,
    trust_roles: frozenset[Role] = NOBODY,
) -> Transition:
    """`person` takes an action with the roles the appraisal (and the trust) give them now."""
    return apply(appraisal, command, actor_for(appraisal, person, trust_roles), now, CAL, POLICY)


def governed(*governors: int, led_by_rel: bool = True) -> Appraisal:
    """The factories' new appraisal with these appointed governors (none to three)."""
    return replace(new_appraisal(led_by_rel=led_by_rel), governor_ids=governors)


def reach(stage: Stage, governors: tuple[int, ...] = (GOVERNOR,), steps=TIMELINE) -> Appraisal:
    """Walk the factories' timeline until `stage`; every governor confirms availability."""
    a = governed(*governors)
    for role, command, when in steps:
        if a.stage is stage:
            return a
        if role is Role.GOVERNOR and isinstance(command, ConfirmAvailability):
            for g in governors:
                a = act(a, g, command, when).appraisal
        elif role is Role.GOVERNOR:
            a = act(a, governors[0], command, when).appraisal
        else:
            a = act(a, PERSON_FOR_ROLE[role], command, when).appraisal
    assert a.stage is stage, f"the timeline never reaches {stage}"
    return a


def waiting(*governors: int) -> Appraisal:
    """Date agreed by the headteacher on Thu 3 Sep; the governors have not answered yet."""
    a = reach(Stage.AWAITING_GOVERNOR, governors)
    assert a.stage_entered_at == at(2026, 9, 3)
    assert a.meeting_at == MEETING
    return a


def holders(appraisal: Appraisal, **changes) -> Holders:
    """Who the roster names now: the appraisal's own participants, with `changes`."""
    now = Holders(
        appraisal.reviewer_id, appraisal.governor_ids, appraisal.adviser_id, appraisal.led_by_rel
    )
    return replace(now, **changes)


def owed(appraisal: Appraisal) -> list[Obligation]:
    return obligations(appraisal, CAL, POLICY)


def confirm(person: int, due: date = date(2026, 9, 10)) -> Obligation:
    """The governor's answer owed for the factories' meeting: Thu 3 Sep + 5 wd = Thu 10 Sep.

    After a governor is newly named on Fri 4 Sep the clock starts again: Fri 11 Sep.
    """
    return Obligation(Action.CONFIRM_AVAILABILITY, Role.GOVERNOR, person, due)


#: When everyone's answer is due once a governor was newly named on Fri 4 Sep.
AFTER_NAMING = date(2026, 9, 11)


def welcome(person: int, role: Role, day: date) -> Nudge:
    return Nudge(1, person, role, "appointed", "welcome", None, day)


def check_events(result: Reassignment, before: Appraisal, now: datetime) -> None:
    """Every event is the roster's (no actor), at `now`, and its detail holds ids only."""
    assert result.events
    for event in result.events:
        assert (event.appraisal_id, event.actor_id, event.at, event.action) == (
            before.id,
            None,
            now,
            REASSIGN,
        )
        assert event.from_stage is before.stage
        assert event.to_stage is result.appraisal.stage or event.to_stage is before.stage
        assert ID_DETAIL.fullmatch(event.detail) or event.detail in OTHER_DETAILS, event.detail
        assert before.school_name not in event.detail
    assert result.changed
    assert result.appraisal.version == before.version + 1
    assert result.appraisal.headteacher_id == before.headteacher_id == HEAD


def role_event(before: Appraisal, now: datetime, detail: str) -> AuditEvent:
    return AuditEvent(before.id, None, now, REASSIGN, before.stage, before.stage, detail)


# --- 1. two governors answering --------------------------------------------------------------


def test_answering_rules_list_every_stage_an_answer_can_lead_to():
    confirm_rule = rule_for(Stage.AWAITING_GOVERNOR, Action.CONFIRM_AVAILABILITY)
    decline_rule = rule_for(Stage.AWAITING_GOVERNOR, Action.DECLINE_AVAILABILITY)
    assert confirm_rule.outcomes == (Stage.PREPARATION, Stage.AWAITING_GOVERNOR)
    assert decline_rule.outcomes == (
        Stage.AWAITING_DATE,
        Stage.AWAITING_GOVERNOR,
        Stage.PREPARATION,
    )
    assert confirm_rule.roles == decline_rule.roles == frozenset({Role.GOVERNOR})


def test_the_first_of_two_governors_confirming_waits_for_the_second():
    a = waiting(G1, G2)
    assert owed(a) == [confirm(G1), confirm(G2)]

    first = act(a, G1, ConfirmAvailability(), at(2026, 9, 4))
    b = first.appraisal
    assert b.stage is Stage.AWAITING_GOVERNOR
    assert (first.event.from_stage, first.event.to_stage) == (
        Stage.AWAITING_GOVERNOR,
        Stage.AWAITING_GOVERNOR,
    )
    assert first.event.actor_id == G1
    # The second governor's clock is not restarted by the first one's answer.
    assert b.stage_entered_at == at(2026, 9, 3)
    assert b.version == a.version + 1
    assert b.answers() == {G1: True}
    assert b.governors_to_answer() == (G2,)
    assert owed(b) == [confirm(G2)]

    second = act(b, G2, ConfirmAvailability(), at(2026, 9, 7))
    c = second.appraisal
    assert c.stage is Stage.PREPARATION
    assert second.event.to_stage is Stage.PREPARATION
    assert c.stage_entered_at == at(2026, 9, 7)
    assert c.meeting_at == MEETING
    assert c.answers() == {G1: True, G2: True}
    assert [o.action for o in owed(c)] == [
        Action.SEND_PRE_READING,
        Action.SELF_EVALUATE,
        Action.RECORD_MEETING,
    ]


@pytest.mark.parametrize(
    ("first", "second"),
    [(G1, G2), (G2, G1)],
    ids=["first-confirms", "first-declines"],
)
def test_one_governor_who_can_attend_is_enough(first, second):
    a = waiting(G1, G2)
    commands = {G1: ConfirmAvailability(), G2: DeclineAvailability()}
    b = act(a, first, commands[first], at(2026, 9, 4)).appraisal
    assert b.stage is Stage.AWAITING_GOVERNOR
    assert b.meeting_at == MEETING
    assert owed(b) == [confirm(second)]
    c = act(b, second, commands[second], at(2026, 9, 7)).appraisal
    assert c.stage is Stage.PREPARATION
    assert c.stage_entered_at == at(2026, 9, 7)
    assert c.meeting_at == MEETING
    assert c.answers() == {G1: True, G2: False}


def test_when_both_governors_decline_the_date_is_dropped():
    a = waiting(G1, G2)
    b = act(a, G1, DeclineAvailability(), at(2026, 9, 4)).appraisal
    assert b.stage is Stage.AWAITING_GOVERNOR
    assert b.meeting_at == MEETING
    assert owed(b) == [confirm(G2)]
    t = act(b, G2, DeclineAvailability(), at(2026, 9, 7))
    c = t.appraisal
    assert c.stage is Stage.AWAITING_DATE
    assert t.event.to_stage is Stage.AWAITING_DATE
    assert c.meeting_at is None
    assert c.date_proposed_by is None
    assert c.availability == ()
    assert c.answers() == {}
    assert c.governors_to_answer() == (G1, G2)
    assert c.stage_entered_at == at(2026, 9, 7)
    # Declined Mon 7 Sep: 5 wd later is Mon 14 Sep, before 10 wd ahead of 31 Oct (Mon 19 Oct).
    assert owed(c) == [Obligation(Action.PROPOSE_DATE, Role.REVIEWER, REVIEWER, date(2026, 10, 19))]


def test_a_governor_may_change_their_answer_before_the_others_answer():
    a = waiting(G1, G2)
    b = act(a, G1, DeclineAvailability(), at(2026, 9, 4, 9)).appraisal
    b = act(b, G1, ConfirmAvailability(), at(2026, 9, 4, 15)).appraisal
    assert b.stage is Stage.AWAITING_GOVERNOR
    assert [(x.governor_id, x.can_attend, x.at) for x in b.availability] == [
        (G1, True, at(2026, 9, 4, 15))
    ]
    assert owed(b) == [confirm(G2)]
    # Had G1's first answer still counted, this decline would drop the date.
    c = act(b, G2, DeclineAvailability(), at(2026, 9, 7)).appraisal
    assert c.stage is Stage.PREPARATION
    assert c.answers() == {G1: True, G2: False}


def test_a_governor_who_confirmed_may_then_decline():
    a = waiting(G1, G2)
    b = act(a, G1, ConfirmAvailability(), at(2026, 9, 4, 9)).appraisal
    b = act(b, G1, DeclineAvailability(), at(2026, 9, 4, 15)).appraisal
    assert b.stage is Stage.AWAITING_GOVERNOR
    assert b.answers() == {G1: False}
    c = act(b, G2, DeclineAvailability(), at(2026, 9, 7)).appraisal
    assert c.stage is Stage.AWAITING_DATE
    assert c.meeting_at is None


def test_a_new_proposed_date_clears_every_answer():
    a = act(waiting(G1, G2), G1, ConfirmAvailability(), at(2026, 9, 4)).appraisal
    assert a.answers() == {G1: True}
    b = act(a, REVIEWER, ProposeDate(at(2026, 10, 15, 10)), at(2026, 9, 8)).appraisal
    assert b.stage is Stage.DATE_PROPOSED
    assert b.availability == ()
    c = act(b, HEAD, ConfirmDate(), at(2026, 9, 9)).appraisal
    assert c.stage is Stage.AWAITING_GOVERNOR
    assert c.governors_to_answer() == (G1, G2)
    # Confirmed Wed 9 Sep: Thu 10, Fri 11, Mon 14, Tue 15, Wed 16 -> Wed 16 Sep, for both.
    due = date(2026, 9, 16)
    assert owed(c) == [
        Obligation(Action.CONFIRM_AVAILABILITY, Role.GOVERNOR, G1, due),
        Obligation(Action.CONFIRM_AVAILABILITY, Role.GOVERNOR, G2, due),
    ]


def test_a_new_date_proposed_while_preparing_clears_every_answer():
    a = reach(Stage.PREPARATION, (G1, G2))
    assert a.answers() == {G1: True, G2: True}
    b = act(a, REVIEWER, ProposeDate(at(2026, 10, 15, 10)), at(2026, 9, 8)).appraisal
    assert b.stage is Stage.DATE_PROPOSED
    assert b.availability == ()
    assert b.answers() == {}
    assert b.governors_to_answer() == (G1, G2)


# --- 2. three governors acknowledge ----------------------------------------------------------


def test_every_one_of_three_governors_is_asked_to_acknowledge():
    a = reach(Stage.SHARED, (G1, G2, G3))
    # Shared Tue 27 Oct: Wed 28, Thu 29, Fri 30, Mon 2, Tue 3 -> Tue 3 Nov.
    assert owed(a) == [
        Obligation(Action.ACKNOWLEDGE, Role.GOVERNOR, g, date(2026, 11, 3)) for g in (G1, G2, G3)
    ]


@pytest.mark.parametrize("governor", [G1, G2, G3])
def test_any_one_of_three_governors_may_acknowledge(governor):
    a = reach(Stage.SHARED, (G1, G2, G3))
    t = act(a, governor, Acknowledge(date(2026, 11, 26)), at(2026, 11, 2))
    assert t.appraisal.stage is Stage.MID_YEAR_DUE
    assert t.appraisal.acknowledged_at == at(2026, 11, 2)
    assert t.appraisal.board_meeting_on == date(2026, 11, 26)
    assert t.event.actor_id == governor
    assert owed(t.appraisal) == [
        Obligation(
            Action.RECORD_MID_YEAR, Role.REVIEWER, REVIEWER, date(2027, 3, 31), date(2027, 2, 1)
        )
    ]


@pytest.mark.parametrize(
    ("person", "trust_roles"),
    [
        (HEAD, NOBODY),
        (REVIEWER, NOBODY),
        (ADVISER, NOBODY),
        (DCEO, frozenset({Role.DCEO})),
        (ADMIN, frozenset({Role.ADMIN})),
        (OUTSIDER, NOBODY),
    ],
    ids=["headteacher", "reviewer", "adviser", "dceo", "admin", "outsider"],
)
def test_nobody_but_a_governor_may_acknowledge(person, trust_roles):
    a = reach(Stage.SHARED, (G1, G2, G3))
    with pytest.raises(ActionNotAllowed):
        act(a, person, Acknowledge(date(2026, 11, 26)), at(2026, 11, 2), trust_roles)


# --- 3. no governor named --------------------------------------------------------------------


def test_without_a_governor_the_date_is_agreed_and_then_waits_for_the_roster():
    a = governed()
    assert a.holders_of(Role.GOVERNOR) == ()
    b = act(a, REVIEWER, ProposeDate(MEETING), at(2026, 9, 2, 10)).appraisal
    assert b.stage is Stage.DATE_PROPOSED
    c = act(b, HEAD, ConfirmDate(), at(2026, 9, 3)).appraisal
    assert c.stage is Stage.AWAITING_GOVERNOR
    assert c.meeting_at == MEETING
    assert governors_settled(c) is Stage.AWAITING_GOVERNOR
    assert owed(c) == []
    assert blocked_by(c) == NO_GOVERNOR == "no appointed governor"
    # Nothing is sent to anyone while it waits for the roster (not even after the 10 Sep answer
    # a governor would have owed).
    for day in (date(2026, 9, 10), date(2026, 9, 15), date(2026, 9, 17)):
        assert nudges_for(c, CAL, POLICY, RULES, day, (DCEO,)) == []


def test_with_a_governor_nothing_is_blocked():
    a = waiting(G1)
    assert blocked_by(a) == ""


def test_sharing_with_no_governor_named_is_refused_and_not_owed():
    a = reach(Stage.FINAL_ISSUED)
    # The only governor leaves the roster after the final record was issued (Mon 26 Oct).
    now = at(2026, 10, 27)
    result = reassign(a, holders(a, governor_ids=()), now)
    b = result.appraisal
    assert b.stage is Stage.FINAL_ISSUED
    assert b.governor_ids == ()
    assert result.events == (role_event(a, now, "governor: 3 -> none"),)
    assert owed(b) == []
    assert blocked_by(b) == NO_GOVERNOR
    with pytest.raises(ActionNotAllowed, match="No appointed governor"):
        act(b, HEAD, ShareWithGovernor(), at(2026, 10, 28))
    # A new governor is named: sharing is owed again, on the clock of the final record
    # (Mon 26 Oct: Tue 27, Wed 28, Thu 29, Fri 30, Mon 2 -> Mon 2 Nov).
    c = reassign(b, holders(b, governor_ids=(NEW_GOVERNOR,)), at(2026, 10, 29)).appraisal
    assert blocked_by(c) == ""
    assert owed(c) == [
        Obligation(Action.SHARE_WITH_GOVERNOR, Role.HEADTEACHER, HEAD, date(2026, 11, 2))
    ]
    shared = act(c, HEAD, ShareWithGovernor(), at(2026, 10, 29)).appraisal
    assert shared.stage is Stage.SHARED


def test_acknowledging_is_not_owed_while_no_governor_is_named():
    a = reach(Stage.SHARED)
    b = reassign(a, holders(a, governor_ids=()), at(2026, 10, 29)).appraisal
    assert b.stage is Stage.SHARED
    assert owed(b) == []
    assert blocked_by(b) == NO_GOVERNOR


# --- 4. the roster changes who takes part ----------------------------------------------------


def governor_held_mid_year() -> tuple:
    """The timeline up to the acknowledgement, with the meeting naming the governor."""
    steps = list(TIMELINE[:12])
    role, _, when = steps[6]
    steps[6] = (role, RecordMeeting(meeting_record(mid_year_holder=Role.GOVERNOR)), when)
    return tuple(steps)


@pytest.mark.parametrize(
    ("stage", "now", "expected"),
    [
        (
            Stage.AWAITING_DATE,
            at(2026, 9, 1, 12),
            [Obligation(Action.PROPOSE_DATE, Role.REVIEWER, REVIEWER, date(2026, 10, 19))],
        ),
        # Named on Thu 29 Oct, after the sharing -> five working days: Thu 5 Nov.
        (
            Stage.SHARED,
            at(2026, 10, 29),
            [Obligation(Action.ACKNOWLEDGE, Role.GOVERNOR, NEW_GOVERNOR, date(2026, 11, 5))],
        ),
        (
            Stage.MID_YEAR_DUE,
            at(2026, 11, 10),
            [
                Obligation(
                    Action.RECORD_MID_YEAR,
                    Role.REVIEWER,
                    REVIEWER,
                    date(2027, 3, 31),
                    date(2027, 2, 1),
                )
            ],
        ),
    ],
)
def test_replacing_the_governor_where_the_stage_stays(stage, now, expected):
    a = reach(stage)
    result = reassign(a, holders(a, governor_ids=(NEW_GOVERNOR,)), now)
    check_events(result, a, now)
    # Only the governor changed; their old answer (given before the meeting) no longer counts.
    # A governor named while the acknowledgement is awaited has their own five working days.
    entered = now if stage is Stage.SHARED else a.stage_entered_at
    assert result.appraisal == replace(
        a,
        governor_ids=(NEW_GOVERNOR,),
        availability=(),
        version=a.version + 1,
        stage_entered_at=entered,
    )
    assert result.changes == (RoleChange(Role.GOVERNOR, (GOVERNOR,), (NEW_GOVERNOR,)),)
    assert result.events == (role_event(a, now, "governor: 3 -> 21"),)
    assert result.removed == frozenset({GOVERNOR})
    assert result.appraisal.participant_roles(GOVERNOR) == frozenset()
    assert result.appraisal.participant_roles(NEW_GOVERNOR) == frozenset({Role.GOVERNOR})
    assert GOVERNOR not in result.appraisal.participant_ids
    day = date(2026, 11, 12)
    assert result.welcomes(day) == [welcome(NEW_GOVERNOR, Role.GOVERNOR, day)]
    assert owed(result.appraisal) == expected


def test_at_shared_only_the_new_governor_may_acknowledge():
    a = reach(Stage.SHARED)
    b = reassign(a, holders(a, governor_ids=(NEW_GOVERNOR,)), at(2026, 10, 29)).appraisal
    with pytest.raises(ActionNotAllowed):
        act(b, GOVERNOR, Acknowledge(date(2026, 11, 26)), at(2026, 11, 2))
    done = act(b, NEW_GOVERNOR, Acknowledge(date(2026, 11, 26)), at(2026, 11, 2)).appraisal
    assert done.stage is Stage.MID_YEAR_DUE


def test_a_new_governor_holds_the_mid_year_review_the_meeting_gave_the_governor():
    a = reach(Stage.MID_YEAR_DUE, steps=governor_held_mid_year())
    b = reassign(a, holders(a, governor_ids=(NEW_GOVERNOR,)), at(2026, 11, 10)).appraisal
    assert b.stage is Stage.MID_YEAR_DUE
    assert owed(b) == [
        Obligation(
            Action.RECORD_MID_YEAR, Role.GOVERNOR, NEW_GOVERNOR, date(2027, 3, 31), date(2027, 2, 1)
        )
    ]
    review = RecordMidYear(
        MidYearReview(
            date(2027, 2, 9),
            tuple(ObjectiveProgress(f"O{n}", Progress.ON_TRACK) for n in (1, 2, 3)),
        )
    )
    with pytest.raises(ActionNotAllowed):
        act(b, GOVERNOR, review, at(2027, 2, 9, 15))
    done = act(b, NEW_GOVERNOR, review, at(2027, 2, 9, 15)).appraisal
    assert done.stage is Stage.COMPLETE
    # With no governor at all, the governor's mid-year review waits for the roster.
    c = reassign(a, holders(a, governor_ids=()), at(2026, 11, 10)).appraisal
    assert owed(c) == []
    assert blocked_by(c) == NO_GOVERNOR


def test_replacing_the_only_governor_while_waiting_for_their_answer():
    a = waiting(G1)
    now = at(2026, 9, 4)
    result = reassign(a, holders(a, governor_ids=(NEW_GOVERNOR,)), now)
    check_events(result, a, now)
    b = result.appraisal
    assert b == replace(
        a, governor_ids=(NEW_GOVERNOR,), version=a.version + 1, stage_entered_at=now
    )
    assert owed(b) == [confirm(NEW_GOVERNOR, AFTER_NAMING)]
    with pytest.raises(ActionNotAllowed):
        act(b, G1, ConfirmAvailability(), at(2026, 9, 7))
    assert act(b, NEW_GOVERNOR, ConfirmAvailability(), at(2026, 9, 7)).appraisal.stage is (
        Stage.PREPARATION
    )


def test_replacing_one_of_two_governors_before_either_answered():
    a = waiting(G1, G2)
    now = at(2026, 9, 4)
    result = reassign(a, holders(a, governor_ids=(G1, NEW_GOVERNOR)), now)
    check_events(result, a, now)
    b = result.appraisal
    assert b == replace(
        a, governor_ids=(G1, NEW_GOVERNOR), version=a.version + 1, stage_entered_at=now
    )
    assert result.events == (role_event(a, now, "governor: 11 -> 21"),)
    assert result.removed == frozenset({G2})
    assert owed(b) == [confirm(G1, AFTER_NAMING), confirm(NEW_GOVERNOR, AFTER_NAMING)]


def test_replacing_the_governor_who_has_not_answered_when_the_other_said_yes():
    a = act(waiting(G1, G2), G1, ConfirmAvailability(), at(2026, 9, 4)).appraisal
    now = at(2026, 9, 4, 12)
    result = reassign(a, holders(a, governor_ids=(G1, NEW_GOVERNOR)), now)
    check_events(result, a, now)
    b = result.appraisal
    assert b.stage is Stage.AWAITING_GOVERNOR
    assert b.stage_entered_at == now
    assert b.answers() == {G1: True}
    assert owed(b) == [confirm(NEW_GOVERNOR, AFTER_NAMING)]
    c = act(b, NEW_GOVERNOR, DeclineAvailability(), at(2026, 9, 7)).appraisal
    assert c.stage is Stage.PREPARATION


def test_the_answer_of_a_governor_who_left_no_longer_counts():
    a = act(waiting(G1, G2), G2, ConfirmAvailability(), at(2026, 9, 4)).appraisal
    now = at(2026, 9, 4, 12)
    result = reassign(a, holders(a, governor_ids=(G1, NEW_GOVERNOR)), now)
    check_events(result, a, now)
    b = result.appraisal
    assert b.stage is Stage.AWAITING_GOVERNOR
    assert b.availability == ()
    assert b.answers() == {}
    assert owed(b) == [confirm(G1, AFTER_NAMING), confirm(NEW_GOVERNOR, AFTER_NAMING)]
    # G1 declining now leaves the new governor to decide; nobody has said yes.
    c = act(b, G1, DeclineAvailability(), at(2026, 9, 7)).appraisal
    assert c.stage is Stage.AWAITING_GOVERNOR
    assert owed(c) == [confirm(NEW_GOVERNOR, AFTER_NAMING)]


def test_removing_the_governor_still_to_answer_when_the_other_said_yes_moves_on():
    a = act(waiting(G1, G2), G1, ConfirmAvailability(), at(2026, 9, 4)).appraisal
    now = at(2026, 9, 7)
    result = reassign(a, holders(a, governor_ids=(G1,)), now)
    check_events(result, a, now)
    b = result.appraisal
    assert b.stage is Stage.PREPARATION
    assert b.stage_entered_at == now
    assert b.meeting_at == MEETING
    assert result.events == (
        role_event(a, now, "governor: 11 -> none"),
        AuditEvent(
            a.id,
            None,
            now,
            REASSIGN,
            Stage.AWAITING_GOVERNOR,
            Stage.PREPARATION,
            "governors' answers",
        ),
    )
    assert result.welcomes(date(2026, 9, 7)) == []
    assert result.removed == frozenset({G2})
    assert [o.action for o in owed(b)] == [
        Action.SEND_PRE_READING,
        Action.SELF_EVALUATE,
        Action.RECORD_MEETING,
    ]


def test_removing_the_governor_still_to_answer_when_the_other_said_no_drops_the_date():
    a = act(waiting(G1, G2), G1, DeclineAvailability(), at(2026, 9, 4)).appraisal
    now = at(2026, 9, 7)
    result = reassign(a, holders(a, governor_ids=(G1,)), now)
    check_events(result, a, now)
    b = result.appraisal
    assert b.stage is Stage.AWAITING_DATE
    assert b.stage_entered_at == now
    assert (b.meeting_at, b.date_proposed_by, b.availability) == (None, None, ())
    assert owed(b) == [Obligation(Action.PROPOSE_DATE, Role.REVIEWER, REVIEWER, date(2026, 10, 19))]


def test_replacing_the_governor_before_a_meeting_ahead_waits_for_the_new_one():
    a = reach(Stage.PREPARATION)
    assert a.stage_entered_at == at(2026, 9, 7)
    now = at(2026, 10, 1)  # Thursday
    result = reassign(a, holders(a, governor_ids=(NEW_GOVERNOR,)), now)
    check_events(result, a, now)
    b = result.appraisal
    assert b.stage is Stage.AWAITING_GOVERNOR
    assert b.stage_entered_at == now
    # The meeting is kept; only the governors are asked again.
    assert b.meeting_at == MEETING
    assert b.date_proposed_by is Role.REVIEWER
    assert b.availability == ()
    assert result.events == (
        role_event(a, now, "governor: 3 -> 21"),
        AuditEvent(
            a.id,
            None,
            now,
            REASSIGN,
            Stage.PREPARATION,
            Stage.AWAITING_GOVERNOR,
            "governors' answers",
        ),
    )
    # Thu 1 Oct: Fri 2, Mon 5, Tue 6, Wed 7, Thu 8 -> Thu 8 Oct (before the 14 Oct meeting).
    assert owed(b) == [
        Obligation(Action.CONFIRM_AVAILABILITY, Role.GOVERNOR, NEW_GOVERNOR, date(2026, 10, 8))
    ]
    c = act(b, NEW_GOVERNOR, ConfirmAvailability(), at(2026, 10, 2)).appraisal
    assert c.stage is Stage.PREPARATION
    assert c.meeting_at == MEETING


def test_replacing_the_governor_who_said_no_before_a_meeting_ahead_keeps_preparing():
    a = act(waiting(G1, G2), G1, ConfirmAvailability(), at(2026, 9, 4)).appraisal
    a = act(a, G2, DeclineAvailability(), at(2026, 9, 7)).appraisal
    assert a.stage is Stage.PREPARATION
    now = at(2026, 10, 1)
    result = reassign(a, holders(a, governor_ids=(G1, NEW_GOVERNOR)), now)
    check_events(result, a, now)
    assert result.appraisal.stage is Stage.PREPARATION
    assert result.appraisal.stage_entered_at == at(2026, 9, 7)
    assert result.events == (role_event(a, now, "governor: 11 -> 21"),)
    assert result.appraisal.answers() == {G1: True}


def test_replacing_the_governor_who_said_yes_when_the_other_said_no_asks_the_new_one():
    a = act(waiting(G1, G2), G1, ConfirmAvailability(), at(2026, 9, 4)).appraisal
    a = act(a, G2, DeclineAvailability(), at(2026, 9, 7)).appraisal
    now = at(2026, 10, 1)
    result = reassign(a, holders(a, governor_ids=(G2, NEW_GOVERNOR)), now)
    check_events(result, a, now)
    b = result.appraisal
    assert b.stage is Stage.AWAITING_GOVERNOR
    assert b.answers() == {G2: False}
    assert owed(b) == [
        Obligation(Action.CONFIRM_AVAILABILITY, Role.GOVERNOR, NEW_GOVERNOR, date(2026, 10, 8))
    ]


def test_removing_the_governor_who_said_yes_leaves_someone_owing_a_step():
    # G1 said yes, G2 said no; the roster drops G1. The meeting is ahead and nobody now named can
    # attend. Whatever the stage, the appraisal must not be left with nobody owing anything.
    a = act(waiting(G1, G2), G1, ConfirmAvailability(), at(2026, 9, 4)).appraisal
    a = act(a, G2, DeclineAvailability(), at(2026, 9, 7)).appraisal
    assert a.stage is Stage.PREPARATION
    b = reassign(a, holders(a, governor_ids=(G2,)), at(2026, 10, 1)).appraisal
    assert b.governor_ids == (G2,)
    assert blocked_by(b) == ""
    assert not (b.stage is Stage.AWAITING_GOVERNOR and not b.governors_to_answer())
    assert owed(b) != []
    # The only governor now named cannot attend: a new date is needed, from the reviewer.
    assert b.stage is Stage.AWAITING_DATE
    assert b.meeting_at is None and b.availability == ()
    assert [o.action for o in owed(b)] == [Action.PROPOSE_DATE]


def test_replacing_the_governor_once_the_meeting_has_passed_keeps_preparing():
    a = reach(Stage.PREPARATION)
    now = at(2026, 10, 14, 16)  # the meeting was at 10:00 and is not yet recorded
    result = reassign(a, holders(a, governor_ids=(NEW_GOVERNOR,)), now)
    check_events(result, a, now)
    b = result.appraisal
    assert b.stage is Stage.PREPARATION
    assert b.stage_entered_at == at(2026, 9, 7)
    assert b.meeting_at == MEETING
    assert result.events == (role_event(a, now, "governor: 3 -> 21"),)
    assert Action.RECORD_MEETING in [o.action for o in owed(b)]
    recorded = act(b, REVIEWER, RecordMeeting(meeting_record()), now).appraisal
    assert recorded.stage is Stage.MEETING_HELD


def test_several_governors_changing_at_once_are_one_event_with_every_id():
    a = waiting(G1, G2)
    now = at(2026, 9, 4)
    # The roster names G2 and two new governors; G2 keeps their place, the new ones follow.
    result = reassign(a, holders(a, governor_ids=(G3, G2, NEW_GOVERNOR)), now)
    check_events(result, a, now)
    assert result.appraisal.governor_ids == (G2, G3, NEW_GOVERNOR)
    assert result.changes == (RoleChange(Role.GOVERNOR, (G1,), (G3, NEW_GOVERNOR)),)
    assert result.events == (role_event(a, now, "governor: 3 -> 12,21"),)
    day = date(2026, 9, 4)
    assert result.welcomes(day) == [
        welcome(G3, Role.GOVERNOR, day),
        welcome(NEW_GOVERNOR, Role.GOVERNOR, day),
    ]
    # Everyone dropped at once is one event too.
    gone = reassign(a, holders(a, governor_ids=()), now)
    assert gone.events == (role_event(a, now, "governor: 3,11 -> none"),)
    assert gone.removed == frozenset({G1, G2})


@pytest.mark.parametrize(
    "stage",
    [Stage.AWAITING_DATE, Stage.AWAITING_GOVERNOR, Stage.PREPARATION, Stage.SHARED],
)
def test_the_same_holders_change_nothing(stage):
    a = reach(stage, (G1, G2))
    now = at(2026, 11, 20)
    for same in (holders(a), holders(a, governor_ids=(G2, G1))):
        result = reassign(a, same, now)
        assert result.changed is False
        assert result.appraisal is a
        assert result.appraisal.version == a.version
        assert (result.changes, result.events) == ((), ())
        assert result.removed == frozenset()
        assert result.welcomes(date(2026, 11, 20)) == []


def test_replacing_the_reviewer_with_the_dceo():
    a = new_appraisal(led_by_rel=True)
    now = at(2026, 9, 1, 12)
    result = reassign(a, holders(a, reviewer_id=DCEO, led_by_rel=False), now)
    check_events(result, a, now)
    b = result.appraisal
    assert b == replace(a, reviewer_id=DCEO, led_by_rel=False, version=a.version + 1)
    assert result.changes == (RoleChange(Role.REVIEWER, (REVIEWER,), (DCEO,)),)
    assert result.events == (
        role_event(a, now, "reviewer: 2 -> 5"),
        role_event(a, now, "led by the DCEO"),
    )
    assert result.removed == frozenset({REVIEWER})
    assert result.welcomes(date(2026, 9, 1)) == [welcome(DCEO, Role.REVIEWER, date(2026, 9, 1))]
    assert b.participant_roles(REVIEWER) == frozenset()
    assert b.participant_roles(DCEO) == frozenset({Role.REVIEWER})
    assert owed(b) == [Obligation(Action.PROPOSE_DATE, Role.REVIEWER, DCEO, date(2026, 10, 19))]
    with pytest.raises(ActionNotAllowed):
        act(b, REVIEWER, ProposeDate(MEETING), at(2026, 9, 2, 10))
    proposed = act(b, DCEO, ProposeDate(MEETING), at(2026, 9, 2, 10), frozenset({Role.DCEO}))
    assert proposed.appraisal.stage is Stage.DATE_PROPOSED


def test_replacing_one_rel_with_another_keeps_the_review_led_by_an_rel():
    a = new_appraisal(led_by_rel=True)
    now = at(2026, 9, 1, 12)
    result = reassign(a, holders(a, reviewer_id=NEW_REVIEWER), now)
    check_events(result, a, now)
    assert result.appraisal.led_by_rel is True
    assert result.events == (role_event(a, now, "reviewer: 2 -> 22"),)


def test_an_rel_taking_over_from_the_dceo_sends_the_record_to_the_dceo():
    a = replace(reach(Stage.FINAL_ISSUED), reviewer_id=DCEO, led_by_rel=False)
    now = at(2026, 10, 26, 12)
    result = reassign(a, holders(a, reviewer_id=NEW_REVIEWER, led_by_rel=True), now)
    check_events(result, a, now)
    assert result.appraisal.led_by_rel is True
    assert result.events == (
        role_event(a, now, "reviewer: 5 -> 22"),
        role_event(a, now, "led by an REL"),
    )
    shared = act(result.appraisal, HEAD, ShareWithGovernor(), at(2026, 10, 27)).appraisal
    assert shared.sent_to_dceo_at == at(2026, 10, 27)
    # Had the DCEO still led, the record would not have been sent to her separately.
    assert act(a, HEAD, ShareWithGovernor(), at(2026, 10, 27)).appraisal.sent_to_dceo_at is None


def test_removing_the_adviser():
    a = waiting(G1)
    now = at(2026, 9, 4)
    result = reassign(a, holders(a, adviser_id=None), now)
    check_events(result, a, now)
    b = result.appraisal
    assert b == replace(a, adviser_id=None, version=a.version + 1)
    assert result.changes == (RoleChange(Role.ADVISER, (ADVISER,), ()),)
    assert result.events == (role_event(a, now, "adviser: 4 -> none"),)
    assert result.removed == frozenset({ADVISER})
    assert result.welcomes(date(2026, 9, 4)) == []
    assert b.holders_of(Role.ADVISER) == ()
    assert b.participant_roles(ADVISER) == frozenset()
    assert ADVISER not in b.participant_ids
    # A new adviser is welcomed as the adviser.
    again = reassign(b, holders(b, adviser_id=NEW_ADVISER), now)
    assert again.events == (role_event(b, now, "adviser: none -> 23"),)
    assert again.welcomes(date(2026, 9, 4)) == [
        welcome(NEW_ADVISER, Role.ADVISER, date(2026, 9, 4))
    ]


def test_naming_a_governor_for_a_school_that_had_none_while_waiting():
    a = waiting()
    assert owed(a) == []
    now = at(2026, 9, 4)
    result = reassign(a, holders(a, governor_ids=(NEW_GOVERNOR,)), now)
    check_events(result, a, now)
    b = result.appraisal
    assert b.stage is Stage.AWAITING_GOVERNOR
    assert result.events == (role_event(a, now, "governor: none -> 21"),)
    assert result.removed == frozenset()
    assert result.welcomes(date(2026, 9, 4)) == [
        welcome(NEW_GOVERNOR, Role.GOVERNOR, date(2026, 9, 4))
    ]
    assert blocked_by(b) == ""
    # Five working days from being named: Fri 4 Sep + 5 wd = Fri 11 Sep.
    assert b.stage_entered_at == now
    assert owed(b) == [confirm(NEW_GOVERNOR, AFTER_NAMING)]
    c = act(b, NEW_GOVERNOR, ConfirmAvailability(), at(2026, 9, 7)).appraisal
    assert c.stage is Stage.PREPARATION


# --- 5. escalations to the DCEO --------------------------------------------------------------


def test_a_late_acknowledgement_from_two_governors_is_one_escalation_per_dceo():
    a = reach(Stage.SHARED, (G1, G2))
    ack = "acknowledge"
    due = date(2026, 11, 3)
    dceos = (DCEO, OTHER_DCEO, DCEO)

    def on(day: date) -> list[tuple]:
        return [
            (n.recipient_id, n.recipient_role, n.action, n.kind, n.due_on)
            for n in nudges_for(a, CAL, POLICY, RULES, day, dceos)
        ]

    # Due Tue 3 Nov: reminder 2 wd before (Fri 30 Oct), due on the day, then late: Wed 4 Nov = 1,
    # Thu 5 = 2 (overdue to each governor), Fri 6 = 3 (escalation, once to each DCEO).
    assert on(date(2026, 10, 30)) == [
        (G1, Role.GOVERNOR, ack, "reminder", due),
        (G2, Role.GOVERNOR, ack, "reminder", due),
    ]
    assert on(date(2026, 11, 3)) == [
        (G1, Role.GOVERNOR, ack, "due", due),
        (G2, Role.GOVERNOR, ack, "due", due),
    ]
    assert on(date(2026, 11, 4)) == []
    assert on(date(2026, 11, 5)) == [
        (G1, Role.GOVERNOR, ack, "overdue", due),
        (G2, Role.GOVERNOR, ack, "overdue", due),
    ]
    assert on(date(2026, 11, 6)) == [
        (DCEO, Role.DCEO, ack, "escalation", due),
        (OTHER_DCEO, Role.DCEO, ack, "escalation", due),
    ]
    keys = [n.key for n in nudges_for(a, CAL, POLICY, RULES, date(2026, 11, 6), dceos)]
    assert len(keys) == len(set(keys)) == 2


def test_the_pre_reading_goes_to_the_headteacher_and_every_governor():
    a = reach(Stage.PREPARATION, (G1, G2))
    meeting = date(2026, 10, 14)
    # Meeting Wed 14 Oct: 5 wd before is Wed 7 Oct, also the day the pre-reading is due.
    nudges = nudges_for(a, CAL, POLICY, RULES, date(2026, 10, 7), (DCEO,))
    assert [(n.recipient_id, n.recipient_role, n.action, n.kind, n.due_on) for n in nudges] == [
        (REVIEWER, Role.REVIEWER, "send_pre_reading", "due", date(2026, 10, 7)),
        (HEAD, Role.HEADTEACHER, "send_pre_reading", "pre_reading", meeting),
        (G1, Role.GOVERNOR, "send_pre_reading", "pre_reading", meeting),
        (G2, Role.GOVERNOR, "send_pre_reading", "pre_reading", meeting),
    ]
