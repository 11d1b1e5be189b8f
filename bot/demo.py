"""A demo trust: three schools and their people, with a cycle under way at several stages."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from appraisal.commands import (
    ConfirmAvailability,
    ConfirmDate,
    ProposeDate,
    RecordMeeting,
    SendPreReading,
    SubmitDraft,
)
from appraisal.errors import DomainError
from appraisal.policy import academic_year_of
from appraisal.record import Focus, MeetingRecord, Objective
from appraisal.roles import Role
from appraisal.roster import parse_roster
from bot.wiring import Product

DEMO_DOMAIN = "oakfield-trust.example"


class DemoRefused(DomainError):
    """The database holds a real roster; the demo never writes into it."""


def _guid(n: int) -> str:
    return f"0d3e0000-0000-4000-8000-{n:012d}"


#: name, email local part, role, school (None for trust-wide), Entra object id
DEMO_PEOPLE = (
    ("Dana Whitfield", "dana.whitfield", "dceo", None, _guid(1)),
    ("Colin Mercer", "colin.mercer", "admin", None, _guid(2)),
    ("Rhona Patel", "rhona.patel", "reviewer", "100001", _guid(3)),
    ("Rhona Patel", "rhona.patel", "reviewer", "100002", _guid(3)),
    ("Hannah Lewis", "hannah.lewis", "headteacher", "100001", _guid(4)),
    ("Tom Okafor", "tom.okafor", "headteacher", "100002", _guid(5)),
    ("Priya Shah", "priya.shah", "headteacher", "100003", _guid(6)),
    ("Gareth Evans", "gareth.evans", "governor", "100001", _guid(7)),
    ("Gareth Evans", "gareth.evans", "governor", "100002", _guid(7)),
    ("Grace Miller", "grace.miller", "governor", "100003", _guid(8)),
)
DEMO_SCHOOLS = {
    "100001": "Brookside Primary School",
    "100002": "St Anne's CE Primary School",
    "100003": "Hillcrest Academy",
}


def demo_roster_csv() -> str:
    """The demo roster as a CSV file would hold it."""
    rows = ["school_urn,school_name,role,name,email,aad_object_id"]
    for name, local, role, urn, guid in DEMO_PEOPLE:
        school = f'"{DEMO_SCHOOLS[urn]}"' if urn else ""
        rows.append(f"{urn or ''},{school},{role},{name},{local}@{DEMO_DOMAIN},{guid}")
    return "\n".join(rows) + "\n"


def _demo_record() -> MeetingRecord:
    return MeetingRecord(
        judgements=(),
        objectives=(
            Objective(
                "",
                "Raise attainment in KS2 writing, with a focus on disadvantaged pupils.",
                "Writing at expected standard rises to 75%; the gap narrows by 5 points.",
                Focus.SCHOOL_IMPROVEMENT,
            ),
            Objective(
                "",
                "Embed the new curriculum leadership model across foundation subjects.",
                "Every subject leader presents a monitoring report to governors.",
                Focus.SCHOOL_IMPROVEMENT,
            ),
            Objective(
                "",
                "Complete the NPQ for Executive Leadership.",
                "Programme completed; learning shared with two trust headteachers.",
                Focus.PROFESSIONAL_DEVELOPMENT,
            ),
        ),
        cpd_and_support="NPQEL funding; half-termly coaching with a trust headteacher.",
        wellbeing_discussed=True,
        wellbeing_notes="One protected afternoon a half term for strategic work.",
        monitoring="Termly data review with the REL; governor visits on writing.",
        evidence_to_collect="Writing moderation outcomes; subject leader reports.",
        mid_year_holder=Role.REVIEWER,
        mid_year_month=2,
    )


async def seed_demo(product: Product, now: datetime, *, fresh: bool = False) -> str:
    """Seed the demo into an empty database; returns what was done (or why nothing was).

    With `fresh` the cycle is only opened, every school waiting for its meeting date, so the
    whole cycle can be walked from the start.
    """
    async with product.ctx.uow() as tx:
        empty = await tx.roster.is_empty()
        dana = (await tx.people.with_trust_role(Role.DCEO) or [None])[0]
    if not empty:
        if dana is not None and dana.email.endswith(DEMO_DOMAIN):
            return "The demo trust is already seeded in this database."
        raise DemoRefused(
            "This database already holds a roster, so the demo was not seeded. "
            "Point HTPM_DATABASE_URL at a new database to try the demo."
        )
    year = academic_year_of(now.date())
    await product.roster.import_entries(parse_roster(demo_roster_csv()), now)
    await product.cycles.start(year, now)
    label = f"{year}–{(year + 1) % 100:02d}"
    if fresh:
        return f"Seeded the demo trust with the {label} cycle just opened."
    await _advance(product, now, year)
    return f"Seeded the demo trust with the {label} cycle under way."


async def _advance(product: Product, now: datetime, year: int) -> None:
    """Walk Brookside to a draft awaiting approval and St Anne's to a proposed date."""
    calendar = product.ctx.calendars.for_nation("england")
    tz = calendar.tz
    statutory = product.ctx.policy.statutory_date(year)
    today = calendar.local_date(now)
    ids_by_urn = {
        line.school_urn: line.appraisal_id for line in await product.status.overview(now, year)
    }
    async with product.ctx.uow() as tx:
        staff = {}
        for local in ("rhona.patel", "hannah.lewis", "gareth.evans"):
            person = await tx.people.by_email(f"{local}@{DEMO_DOMAIN}")
            assert person is not None
            staff[local] = person.id
    act = product.appraisals.act

    def at(day, hour: int = 9) -> datetime:
        return datetime.combine(day, time(hour), tz)

    # Brookside: met three weeks ago, draft sent, approval now overdue.
    meeting_day = min(calendar.add_working_days(today, -15), statutory - timedelta(days=14))
    meeting_day = calendar.next_working_day(meeting_day)
    start = calendar.add_working_days(meeting_day, -12)
    brookside, rhona, hannah, gareth = (
        ids_by_urn["100001"],
        staff["rhona.patel"],
        staff["hannah.lewis"],
        staff["gareth.evans"],
    )
    await act(rhona, brookside, ProposeDate(at(meeting_day, 10)), at(start))
    await act(hannah, brookside, ConfirmDate(), at(start, 14))
    await act(gareth, brookside, ConfirmAvailability(), at(calendar.add_working_days(start, 1)))
    await act(rhona, brookside, SendPreReading(), at(calendar.add_working_days(meeting_day, -5)))
    await act(rhona, brookside, RecordMeeting(_demo_record()), at(meeting_day, 16))
    await act(rhona, brookside, SubmitDraft(), at(calendar.add_working_days(meeting_day, 3)))
    # St Anne's: the REL has proposed a date; the headteacher has yet to answer.
    proposed = calendar.next_working_day(today + timedelta(days=14))
    if proposed <= statutory:
        await act(rhona, ids_by_urn["100002"], ProposeDate(at(proposed, 13)), now)
