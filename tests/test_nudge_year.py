"""A simulated year of nudges: 1 Sep 2026 to 31 Mar 2027, the job run at 09:00 every day.

Two schools are driven through the services. Brookside (reviewer Rhona, an REL) agrees a meeting
for Wed 14 Oct, but the draft is a week late and the headteacher's approval is late too.
Hillcrest (reviewer Dana, the DCEO, as it names no reviewer) agrees a meeting after the trust
target, then keeps to time. The trust closes on Mon 26 Oct 2026 (October half-term). Each
person acts at 10:00 or later, after that day's 09:00 run.
"""

from __future__ import annotations

from datetime import date, timedelta

from appraisal.commands import (
    Acknowledge,
    Approve,
    ConfirmAvailability,
    ConfirmDate,
    IssueFinal,
    ProposeDate,
    RecordMeeting,
    RecordMidYear,
    SendPreReading,
    ShareWithGovernor,
    SubmitDraft,
)
from appraisal.nudges import NudgePolicy
from appraisal.record import MidYearReview, ObjectiveProgress, Progress
from appraisal.services import Context
from bot.calendars import HolidayCalendars
from bot.nudges import NudgeJob
from storage.tables import OutboxRow
from tests.support.factories import POLICY, at, meeting_record
from tests.support.trust import seed_trust

CLOSURE = date(2026, 10, 26)


def script():
    """(when, school, who, command): each school's cycle as its people walk it."""
    mid_year = RecordMidYear(
        MidYearReview(
            date(2027, 2, 9),
            tuple(ObjectiveProgress(f"O{n}", Progress.ON_TRACK) for n in (1, 2, 3)),
        )
    )
    return [
        # Brookside: date agreed Mon 7 Sep for Wed 14 Oct.
        (at(2026, 9, 2, 10), "b", "rhona", ProposeDate(at(2026, 10, 14, 10))),
        (at(2026, 9, 3, 10), "b", "hannah", ConfirmDate()),
        (at(2026, 9, 7, 10), "b", "gareth", ConfirmAvailability()),
        # Hillcrest: date agreed Fri 4 Sep for Wed 4 Nov, after the 31 October target.
        (at(2026, 9, 2, 11), "h", "dana", ProposeDate(at(2026, 11, 4, 10))),
        (at(2026, 9, 3, 11), "h", "priya", ConfirmDate()),
        (at(2026, 9, 4, 11), "h", "grace", ConfirmAvailability()),
        (at(2026, 10, 7, 10), "b", "rhona", SendPreReading()),
        (at(2026, 10, 14, 16), "b", "rhona", RecordMeeting(meeting_record(()))),
        (at(2026, 10, 28, 10), "h", "dana", SendPreReading()),
        (at(2026, 10, 28, 11), "b", "rhona", SubmitDraft()),  # due 21 Oct: late
        (at(2026, 11, 4, 16), "h", "dana", RecordMeeting(meeting_record(()))),
        (at(2026, 11, 5, 10), "h", "dana", SubmitDraft()),
        (at(2026, 11, 6, 10), "h", "priya", Approve()),
        (at(2026, 11, 9, 10), "h", "dana", IssueFinal()),
        (at(2026, 11, 10, 10), "b", "hannah", Approve()),  # due 4 Nov: late
        (at(2026, 11, 10, 11), "h", "priya", ShareWithGovernor()),
        (at(2026, 11, 11, 10), "b", "rhona", IssueFinal()),
        (at(2026, 11, 11, 11), "h", "grace", Acknowledge(date(2026, 12, 3))),
        (at(2026, 11, 12, 10), "b", "hannah", ShareWithGovernor()),
        (at(2026, 11, 16, 10), "b", "gareth", Acknowledge(date(2026, 11, 26))),
        (at(2027, 2, 9, 15), "b", "rhona", mid_year),
        (at(2027, 2, 10, 15), "h", "dana", mid_year),
    ]


async def test_a_year_of_nudges(sqlite_db):
    calendars = HolidayCalendars("Europe/London", [CLOSURE])
    ctx = Context(uow=sqlite_db.uow, calendars=calendars, policy=POLICY)
    trust = await seed_trust(ctx)
    schools = {"b": trust.brookside, "h": trust.hillcrest}
    job = NudgeJob(ctx, NudgePolicy())
    steps = sorted(script(), key=lambda s: s[0])
    calendar = calendars.for_nation("england")
    day = date(2026, 9, 1)
    while day <= date(2027, 3, 31):
        queued = await job.run(at(day.year, day.month, day.day, 9))
        if not calendar.is_working_day(day):
            assert queued == 0, day
        while steps and steps[0][0].date() == day:
            when, school, who, command = steps.pop(0)
            await trust.appraisals.act(trust.people[who], schools[school], command, when)
        day += timedelta(days=1)
    assert not steps
    names = {v: k for k, v in trust.people.items()}
    school_of = {v: k for k, v in schools.items()}
    async with sqlite_db.uow() as tx:
        rows = (await tx.session.execute(OutboxRow.__table__.select().order_by(OutboxRow.id))).all()
    got = [
        (r.key.split(":")[3], school_of[r.appraisal_id], names[r.recipient_id], r.action, r.kind)
        for r in rows
    ]
    assert got == EXPECTED
    assert all(calendar.is_working_day(date.fromisoformat(g[0])) for g in got)
    assert {r.next_attempt_at for r in rows} == {
        at(*map(int, g[0].split("-")), 9) for g in got
    }  # decided at 09:00, inside the window: sendable at once


# (day, school, recipient, step, kind), in the order decided. "wd" = working days.
EXPECTED = [
    # Hillcrest's date was agreed on Fri 4 Sep for 4 Nov, after the 31 Oct target: the DCEO is
    # told on the next working day, Mon 7 Sep. (Brookside's 14 Oct is on time: nothing on 8 Sep.)
    # Every date step before was taken within a day or two: no reminders (the first would have
    # been on 7 Sep, two wd before the governor's 10 Sep deadline, and both had confirmed).
    ("2026-09-07", "h", "dana", "meeting_date", "meeting_after_target"),
    # Brookside's pre-reading: 5 wd before Wed 14 Oct is Wed 7 Oct; reminder Mon 5 Oct. The pack
    # goes to the headteacher and the governor at the 09:00 run; Rhona sends hers at 10:00.
    ("2026-10-05", "b", "rhona", "send_pre_reading", "reminder"),
    ("2026-10-07", "b", "rhona", "send_pre_reading", "due"),
    ("2026-10-07", "b", "hannah", "send_pre_reading", "pre_reading"),
    ("2026-10-07", "b", "gareth", "send_pre_reading", "pre_reading"),
    # Meeting recorded 14 Oct: the draft is due 5 wd later, Wed 21 Oct (reminder Mon 19 Oct).
    # Late: Thu 22 = 1 (a late draft: the DCEO is told at once), Fri 23 = 2 (overdue), Mon 26 is
    # the closure day, so Tue 27 = 3 (escalation) and Wed 28 = 4 (overdue); submitted 11:00.
    ("2026-10-19", "b", "rhona", "submit_draft", "reminder"),
    ("2026-10-21", "b", "rhona", "submit_draft", "due"),
    ("2026-10-22", "b", "dana", "submit_draft", "escalation"),
    ("2026-10-23", "b", "rhona", "submit_draft", "overdue"),
    # Hillcrest's pack: 5 wd before Wed 4 Nov is Wed 28 Oct (3, 2 Nov, 30, 29, 28 Oct); its
    # reminder 2 wd before skips the closure day: 27, then Fri 23 Oct.
    ("2026-10-23", "h", "dana", "send_pre_reading", "reminder"),
    ("2026-10-27", "b", "dana", "submit_draft", "escalation"),
    ("2026-10-28", "b", "rhona", "submit_draft", "overdue"),
    ("2026-10-28", "h", "dana", "send_pre_reading", "due"),
    ("2026-10-28", "h", "priya", "send_pre_reading", "pre_reading"),
    ("2026-10-28", "h", "grace", "send_pre_reading", "pre_reading"),
    # Brookside's draft reached Hannah on 28 Oct: approval due 5 wd later, Wed 4 Nov (29, 30 Oct,
    # 2, 3, 4 Nov); reminder Mon 2 Nov. Late: 5 Nov = 1, Fri 6 = 2 (overdue), Mon 9 = 3
    # (escalation), Tue 10 = 4 (overdue); approved 10:00. Every later step of both schools was
    # taken within a day or two, before any reminder (Hillcrest's follow 4 Nov the same way).
    ("2026-11-02", "b", "hannah", "approve", "reminder"),
    ("2026-11-04", "b", "hannah", "approve", "due"),
    ("2026-11-06", "b", "hannah", "approve", "overdue"),
    ("2026-11-09", "b", "dana", "approve", "escalation"),
    ("2026-11-10", "b", "hannah", "approve", "overdue"),
    # Nothing over Christmas. The mid-year review opens Mon 1 Feb 2027, to each school's holder
    # (the reviewer); both are recorded on 9 and 10 Feb, so no reminder on 25 Mar.
    ("2027-02-01", "b", "rhona", "record_mid_year", "mid_year_open"),
    ("2027-02-01", "h", "dana", "record_mid_year", "mid_year_open"),
]
