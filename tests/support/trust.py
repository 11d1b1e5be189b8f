"""A small trust seeded through the real roster import and cycle start, for store-level tests."""

from __future__ import annotations

from dataclasses import dataclass

from appraisal.cycle import CycleService
from appraisal.roster import parse_roster
from appraisal.services import AppraisalService, Context, RosterService
from appraisal.status import StatusService
from tests.support.factories import at

ROSTER = """school_urn,school_name,role,name,email,aad_object_id
100001,Brookside Primary School,headteacher,Hannah Lewis,hannah@trust.example,
100001,Brookside Primary School,reviewer,Rhona Patel,rhona@trust.example,
100001,Brookside Primary School,governor,Gareth Evans,gareth@trust.example,
100001,Brookside Primary School,adviser,Alan Brooks,alan@trust.example,
100002,Hillcrest Academy,headteacher,Priya Shah,priya@trust.example,
100002,Hillcrest Academy,governor,Grace Miller,grace@trust.example,
,,dceo,Dana Whitfield,dana@trust.example,
,,admin,Colin Mercer,colin@trust.example,
"""


@dataclass
class Trust:
    """The seeded trust: people by first name, appraisal ids by school, and the services."""

    ctx: Context
    people: dict[str, int]
    brookside: int
    hillcrest: int

    @property
    def appraisals(self) -> AppraisalService:
        return AppraisalService(self.ctx)

    @property
    def status(self) -> StatusService:
        return StatusService(self.ctx)


async def seed_trust(ctx: Context, year: int = 2026) -> Trust:
    """Import the roster and open the `year` cycle on 1 September."""
    opened = at(year, 9, 1)
    await RosterService(ctx).import_entries(parse_roster(ROSTER), opened)
    report = await CycleService(ctx).start(year, opened)
    assert len(report.opened) == 2, report
    async with ctx.uow() as tx:
        people = {}
        for line in ROSTER.splitlines()[1:]:
            email = line.split(",")[4]
            person = await tx.people.by_email(email)
            assert person is not None
            people[email.split("@")[0]] = person.id
        ids = {a.school_urn: a.id for a in await tx.appraisals.list(year)}
    return Trust(ctx, people, ids["100001"], ids["100002"])
