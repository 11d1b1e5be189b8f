"""Synthetic trusts for the benchmarks: many schools, each appraisal somewhere in its cycle.

`appraisals_on(day, n)` walks n appraisals through the 2026–27 cycle with the domain's own
rules, each with its own meeting date (spread over the autumn term) and its own pace (from
prompt to well past each five-working-day allowance), stopping at `day`: so on that day some
owe a step that is due soon, some are late, some wait for their meeting and some for February's
mid-year review, as in a real trust. `seed(db, appraisals)` stores them with their schools and
people in bulk; `card_trust_csv(n)` is a roster for the card-action load.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from functools import cache

from sqlalchemy import insert

from appraisal.calendar import WorkingCalendar
from appraisal.commands import (
    Acknowledge,
    Approve,
    Command,
    ConfirmAvailability,
    ConfirmDate,
    IssueFinal,
    ProposeDate,
    RecordMeeting,
    SelfEvaluate,
    SendPreReading,
    ShareWithGovernor,
    SubmitDraft,
)
from appraisal.deadlines import next_due
from appraisal.model import Appraisal
from appraisal.nudges import NudgePolicy, next_nudge_day
from appraisal.policy import CyclePolicy, academic_year_of
from appraisal.ports import Schedule
from appraisal.record import MeetingRecord, Rating, SelfEvaluation
from appraisal.roles import Role
from appraisal.roster import parse_roster
from appraisal.workflow import apply
from bot.calendars import HolidayCalendars
from bot.wiring import Product
from storage.database import Database
from storage.tables import PersonRow, RoleRow, SchoolRow
from tests.support import factories

YEAR = 2026
TIMEZONE = "Europe/London"
CALENDAR = HolidayCalendars(TIMEZONE).for_nation("england")
POLICY = CyclePolicy()
#: The morning the nudge sweep decides: Wednesday 2 December 2026, 09:00, mid-way through a
#: cycle whose meetings run from late September to mid-December.
SWEEP_AT = datetime.combine(date(2026, 12, 2), time(9), CALENDAR.tz)
OPENED_AT = datetime.combine(date(2026, 9, 1), time(9), CALENDAR.tz)
#: Working days each person takes to answer, by school: prompt, slow, and late by a little or a lot.
PACES = (1, 3, 5, 7, 10)
SCHOOLS_PER_REVIEWER = 25
DCEO_ID, ADMIN_ID = 1, 2

#: Last year's objectives and this year's meeting record: the test factories' own.
PREVIOUS = factories.PREVIOUS


def _record() -> MeetingRecord:
    return factories.meeting_record(PREVIOUS)


def _meeting_days(calendar: WorkingCalendar) -> list[date]:
    """Working days from 21 September to 18 December 2026, when meetings are held."""
    days, day = [], date(2026, 9, 21)
    while day <= date(2026, 12, 18):
        if calendar.is_working_day(day):
            days.append(day)
        day += timedelta(days=1)
    return days


def _steps(meeting: date, pace: int) -> Iterator[tuple[Role, Command, datetime]]:
    """One school's cycle: who does what, when, at this pace."""
    cal = CALENDAR

    def at(day: date, hour: int = 10) -> datetime:
        return datetime.combine(day, time(hour), cal.tz)

    meeting_at = at(meeting)
    proposed = max(date(2026, 9, 2), cal.add_working_days(meeting, -20))
    confirmed = min(cal.add_working_days(proposed, pace), cal.add_working_days(meeting, -3))
    available = min(cal.add_working_days(confirmed, pace), cal.add_working_days(meeting, -2))
    yield Role.REVIEWER, ProposeDate(meeting_at), at(proposed)
    yield Role.HEADTEACHER, ConfirmDate(), at(confirmed)
    yield Role.GOVERNOR, ConfirmAvailability(), at(available, 11)
    yield Role.REVIEWER, SendPreReading(), at(cal.add_working_days(meeting, -5), 8)
    rated = tuple(SelfEvaluation(o.ref, Rating.MET, "On track.") for o in PREVIOUS)
    yield Role.HEADTEACHER, SelfEvaluate(rated), at(cal.add_working_days(meeting, -1))
    yield Role.REVIEWER, RecordMeeting(_record()), at(meeting, 16)
    day = meeting
    for role, command in (
        (Role.REVIEWER, SubmitDraft()),
        (Role.HEADTEACHER, Approve()),
        (Role.REVIEWER, IssueFinal()),
        (Role.HEADTEACHER, ShareWithGovernor()),
    ):
        day = cal.add_working_days(day, pace)
        yield role, command, at(day)
    day = cal.add_working_days(day, pace)
    yield Role.GOVERNOR, Acknowledge(day + timedelta(days=21)), at(day)


@cache
def _template(meeting: date, pace: int, on: date) -> Appraisal:
    """An appraisal with this meeting date and pace, walked up to (not including) `on`."""
    # The factories' appraisal opened on 1 September 2026, with no adviser; the people's
    # ids here are placeholders, replaced per school by `appraisals_on`.
    appraisal = replace(factories.new_appraisal(PREVIOUS), adviser_id=None, opened_at=OPENED_AT)
    appraisal = replace(appraisal, stage_entered_at=OPENED_AT)
    for role, command, when in _steps(meeting, pace):
        if when.date() >= on:
            break
        appraisal = apply(
            appraisal, command, factories.actor(role), when, CALENDAR, POLICY
        ).appraisal
    return appraisal


def person_ids(school: int, schools: int) -> tuple[int, int, int]:
    """The headteacher, reviewer (an REL) and governor of school number `school` (from 0)."""
    rels = -(-schools // SCHOOLS_PER_REVIEWER)
    first = 3 + rels  # after the DCEO, the admin and the RELs
    return first + 2 * school, 3 + school // SCHOOLS_PER_REVIEWER, first + 2 * school + 1


def urn(school: int) -> str:
    """A school's unique reference number."""
    return f"{200000 + school}"


def appraisals_on(day: date, n: int) -> list[Appraisal]:
    """n appraisals as they stand on the morning of `day` (ids 1…n, schools 0…n-1)."""
    meetings = _meeting_days(CALENDAR)
    found = []
    for school in range(n):
        meeting = meetings[(school * 7) % len(meetings)]
        pace = PACES[(school // len(meetings)) % len(PACES)]
        head, reviewer, governor = person_ids(school, n)
        appraisal = replace(
            _template(meeting, pace, day),
            id=school + 1,
            school_urn=urn(school),
            school_name=f"School {school}",
            headteacher_id=head,
            reviewer_id=reviewer,
            governor_ids=(governor,),
        )
        found.append(appraisal)
    return found


def _people_rows(schools: int) -> list[dict[str, object]]:
    rels = -(-schools // SCHOOLS_PER_REVIEWER)
    rows = [
        {"id": DCEO_ID, "name": "Deputy CEO", "email": "dceo@bench.example"},
        {"id": ADMIN_ID, "name": "Trust admin", "email": "admin@bench.example"},
    ]
    rows += [
        {"id": 3 + r, "name": f"Reviewer {r}", "email": f"rel{r}@bench.example"}
        for r in range(rels)
    ]
    for school in range(schools):
        head, _reviewer, governor = person_ids(school, schools)
        rows.append({"id": head, "name": f"Head {school}", "email": f"head{school}@bench.example"})
        rows.append(
            {"id": governor, "name": f"Gov {school}", "email": f"gov{school}@bench.example"}
        )
    for row in rows:
        row["aad_object_id"] = _aad(row["id"])
    return rows


def _role_rows(schools: int) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = [
        {"person_id": DCEO_ID, "role": Role.DCEO.value, "school_urn": None},
        {"person_id": ADMIN_ID, "role": Role.ADMIN.value, "school_urn": None},
    ]
    for school in range(schools):
        head, reviewer, governor = person_ids(school, schools)
        for person, role in (
            (head, Role.HEADTEACHER),
            (reviewer, Role.REVIEWER),
            (governor, Role.GOVERNOR),
        ):
            rows.append({"person_id": person, "role": role.value, "school_urn": urn(school)})
    return rows


async def seed_people(db: Database, schools: int, chunk: int = 2000) -> None:
    """The schools, people and roster roles of a trust of `schools` schools (an empty store)."""
    school_rows = [
        {"urn": urn(s), "name": f"School {s}", "nation": "england"} for s in range(schools)
    ]
    async with db.uow() as tx:
        for table, rows in (
            (SchoolRow, school_rows),
            (PersonRow, _people_rows(schools)),
            (RoleRow, _role_rows(schools)),
        ):
            for start in range(0, len(rows), chunk):
                await tx.session.execute(insert(table), rows[start : start + chunk])
        await tx.commit()


def morning_schedule(appraisal: Appraisal, morning: date, rules: NudgePolicy) -> Schedule:
    """The row's dates as yesterday left them in a trust running `htpm serve`.

    `htpm serve` runs the nudge job every 30 seconds, so by the morning every change made
    yesterday has been read, and every row's `nudges_from` is its next nudge day after
    yesterday (a change sets the day of the change; the next run sets the next nudge day).
    """
    owed = next_due(appraisal, CALENDAR, POLICY)  # every bench school is in England
    if owed is None:
        return Schedule(None, None)
    yesterday = morning - timedelta(days=1)
    return Schedule(owed.due_on, next_nudge_day(appraisal, CALENDAR, POLICY, rules, yesterday))


async def add_appraisals(
    db: Database, scheduled: Sequence[tuple[Appraisal, Schedule]], chunk: int = 2000
) -> None:
    """Store appraisals (their schools and people already stored) in bulk."""
    for start in range(0, len(scheduled), chunk):
        async with db.uow() as tx:
            await tx.appraisals.add_many(scheduled[start : start + chunk])
            await tx.commit()


@dataclass(frozen=True)
class Headteacher:
    """A headteacher of the card-action trust, as Teams knows them, and their appraisal."""

    teams_id: str
    name: str
    aad_object_id: str
    email: str
    appraisal_id: int
    school_name: str
    version: int


def card_trust_csv(schools: int) -> str:
    """A roster: a DCEO, an admin, and per school a headteacher, an REL and a governor."""
    rows = ["school_urn,school_name,role,name,email,aad_object_id"]
    rows.append(",,dceo,Deputy CEO,dceo@bench.example,")
    rows.append(",,admin,Trust admin,admin@bench.example,")
    for school in range(schools):
        head, reviewer, governor = person_ids(school, schools)
        rel = school // SCHOOLS_PER_REVIEWER
        for person, role, name, local in (
            (head, "headteacher", f"Head {school}", f"head{school}"),
            (reviewer, "reviewer", f"Reviewer {rel}", f"rel{rel}"),
            (governor, "governor", f"Gov {school}", f"gov{school}"),
        ):
            rows.append(
                f"{urn(school)},School {school},{role},{name},{local}@bench.example,{_aad(person)}"
            )
    return "\n".join(rows) + "\n"


def _aad(person_id: int) -> str:
    return f"be0c0000-0000-4000-8000-{person_id:012d}"


async def seed_card_trust(product: Product, schools: int, now: datetime) -> list[Headteacher]:
    """The roster imported, this year's cycle opened, last year's objectives carried in.

    Each school's appraisal waits for its meeting date, and its headteacher may save their
    self-evaluation of last year's three objectives as often as they like.
    """
    await product.roster.import_entries(parse_roster(card_trust_csv(schools)), now)
    year = academic_year_of(now.date())
    opened = await product.cycles.start(year, now)
    if opened.skipped:
        raise RuntimeError(f"the bench trust did not open: {opened.skipped[:3]}")
    heads = []
    async with product.ctx.uow() as tx:
        for appraisal in await tx.appraisals.list(year):
            carried = replace(appraisal, previous_objectives=PREVIOUS)
            schedule = product.ctx.schedule(carried, now)
            await tx.appraisals.update(carried, appraisal.version, schedule)
            person = await tx.people.get(appraisal.headteacher_id)
            if person is None or not person.aad_object_id:
                raise RuntimeError("the bench roster names every headteacher's object id")
            heads.append(
                Headteacher(
                    f"29:{person.email.split('@')[0]}",
                    person.name,
                    person.aad_object_id,
                    person.email,
                    appraisal.id,
                    appraisal.school_name,
                    carried.version,
                )
            )
        await tx.commit()
    return heads
