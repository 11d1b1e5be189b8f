"""The outbox: the same nudges decided twice are stored once, on both engines and instances."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest
from sqlalchemy import select, update

from appraisal.commands import ProposeDate
from appraisal.nudges import Nudge, NudgePolicy
from appraisal.roles import Role
from bot.nudges import NudgeJob
from storage.tables import AppraisalRow
from tests.support.database import context_for
from tests.support.factories import at
from tests.support.trust import seed_trust


async def test_deciding_twice_inserts_nothing_the_second_time(db):
    trust = await seed_trust(context_for(db))
    dana, rhona = trust.people["dana"], trust.people["rhona"]
    day = date(2026, 10, 22)
    nudges = [
        Nudge(trust.brookside, rhona, Role.REVIEWER, "propose_date", "overdue", day, day),
        Nudge(trust.brookside, dana, Role.DCEO, "propose_date", "escalation", day, day),
    ]
    async with db.uow() as tx:
        assert await tx.outbox.add_many(nudges, at(2026, 10, 22, 7), at(2026, 10, 22, 8)) == 2
        await tx.commit()
    async with db.uow() as tx:
        assert await tx.outbox.add_many(nudges, at(2026, 10, 22, 9), at(2026, 10, 22, 9)) == 0
        assert await tx.outbox.add_many([], at(2026, 10, 22, 9), at(2026, 10, 22, 9)) == 0
        await tx.commit()
    async with db.uow() as tx:
        assert await tx.outbox.keys() == sorted(n.key for n in nudges)
        assert await tx.outbox.counts_by_status() == {"pending": 2}


async def test_the_job_run_twice_on_one_day_queues_once(db):
    # Both schools' PROPOSE_DATE is due Mon 19 Oct 2026: one `due` each to the reviewer (Rhona
    # at Brookside; Dana, the DCEO, reviews Hillcrest, which names no reviewer).
    trust = await seed_trust(context_for(db))
    job = NudgeJob(trust.ctx, NudgePolicy())
    assert await job.run(at(2026, 10, 19, 6)) == 2  # before the window: decided, waits till 08:00
    assert await job.run(at(2026, 10, 19, 12)) == 0
    async with db.uow() as tx:
        assert await tx.outbox.keys() == [
            f"{trust.brookside}:propose_date:due:2026-10-19:{trust.people['rhona']}",
            f"{trust.hillcrest}:propose_date:due:2026-10-19:{trust.people['dana']}",
        ]


@pytest.mark.postgres
async def test_two_instances_running_at_once_queue_each_nudge_once(postgres_db):
    # Thu 22 Oct 2026: PROPOSE_DATE is 3 wd late at both schools. Brookside's reviewer is Rhona,
    # so Dana (DCEO) is told; at Hillcrest Dana is the reviewer herself, so no escalation to her
    # about her own step. 22 Oct is not an overdue day (3 is odd). Both instances decide 1 row.
    trust = await seed_trust(context_for(postgres_db))
    jobs = [NudgeJob(trust.ctx, NudgePolicy()) for _ in range(2)]
    counts = await asyncio.gather(*(job.run(at(2026, 10, 22, 9)) for job in jobs))
    assert sorted(counts) == [0, 1]
    async with postgres_db.uow() as tx:
        keys = await tx.outbox.keys()
    assert sorted(keys) == sorted(
        f"{a}:propose_date:escalation:2026-10-22:{trust.people['dana']}" for a in (trust.brookside,)
    )


async def _nudges_from(db, appraisal_id: int) -> date | None:
    async with db.uow() as tx:
        query = select(AppraisalRow.nudges_from).where(AppraisalRow.id == appraisal_id)
        return await tx.session.scalar(query)


async def _set_nudges_from(db, appraisal_id: int, day: date) -> None:
    async with db.uow() as tx:
        await tx.session.execute(
            update(AppraisalRow).where(AppraisalRow.id == appraisal_id).values(nudges_from=day)
        )
        await tx.commit()


async def test_the_job_reads_an_appraisal_on_its_next_nudge_day_or_when_it_changes(db):
    # PROPOSE_DATE is due Mon 19 Oct 2026 at both schools; 2 wd late (overdue) on Wed 21 Oct.
    trust = await seed_trust(context_for(db))
    job = NudgeJob(trust.ctx, NudgePolicy())
    assert await job.run(at(2026, 10, 19, 9)) == 2
    for school in (trust.brookside, trust.hillcrest):
        assert await _nudges_from(db, school) == date(2026, 10, 21)
    # Not read before that day: Tue 20 Oct has nothing to decide, and nothing changes.
    assert await job.run(at(2026, 10, 20, 9)) == 0
    assert await _nudges_from(db, trust.brookside) == date(2026, 10, 21)
    # A row whose day has not come is not read at all, even if it would call for a nudge.
    await _set_nudges_from(db, trust.brookside, date(2027, 1, 4))
    assert await job.run(at(2026, 10, 21, 9)) == 1
    async with db.uow() as tx:
        assert [k for k in await tx.outbox.keys() if ":overdue:" in k] == [
            f"{trust.hillcrest}:propose_date:overdue:2026-10-21:{trust.people['dana']}"
        ]
    # A change makes the next run read it (today), which then sets its next nudge day: the
    # headteacher's reminder, 2 wd before her answer is due on Wed 28 Oct.
    rhona = trust.people["rhona"]
    await trust.appraisals.act(
        rhona, trust.brookside, ProposeDate(at(2026, 11, 11, 10)), at(2026, 10, 21, 10)
    )
    assert await _nudges_from(db, trust.brookside) == date(2026, 10, 21)
    assert await job.run(at(2026, 10, 21, 12)) == 0
    assert await _nudges_from(db, trust.brookside) == date(2026, 10, 26)


async def test_changed_rules_make_the_next_run_read_every_open_appraisal(db):
    trust = await seed_trust(context_for(db))
    assert await NudgeJob(trust.ctx, NudgePolicy()).run(at(2026, 10, 19, 9)) == 2
    await _set_nudges_from(db, trust.hillcrest, date(2027, 1, 4))
    # Thu 22 Oct: 3 wd late. Overdue every working day now, so both are nudged; Hillcrest's
    # stored day was worked out under the old rules, so it is read anyway.
    daily = NudgeJob(trust.ctx, NudgePolicy(overdue_every_days=1))
    await daily.run(at(2026, 10, 22, 9))
    async with db.uow() as tx:
        overdue = [k for k in await tx.outbox.keys() if ":overdue:2026-10-22:" in k]
    assert sorted(overdue) == sorted(
        [
            f"{trust.brookside}:propose_date:overdue:2026-10-22:{trust.people['rhona']}",
            f"{trust.hillcrest}:propose_date:overdue:2026-10-22:{trust.people['dana']}",
        ]
    )
    assert await _nudges_from(db, trust.hillcrest) == date(2026, 10, 23)
