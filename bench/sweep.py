"""The nudge sweep: how long the morning's nudge job takes for 1,000 to 25,000 appraisals.

The trust is the synthetic one of `bench.trust`, as it stands on Wednesday 2 December 2026,
with each row's `nudges_from` day as Tuesday's runs left it (`morning_schedule`). The morning
run is timed from that state (restored before each repeat, the outbox emptied); so is the
run that reads every open appraisal (after the rules change, or this version is installed).
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import date

from sqlalchemy import delete, text

from appraisal.ports import Schedule
from bench.trust import SWEEP_AT, add_appraisals, appraisals_on, morning_schedule, seed_people
from bot.nudges import JOB_NAME, NudgeJob
from bot.settings import load_settings
from bot.wiring import build
from storage.appraisals import nudged_by_query
from storage.database import Database
from storage.tables import JobStateRow, OutboxRow


@dataclass
class SweepRun:
    """One size on one store."""

    store: str
    appraisals: int
    morning_s: float
    read: int
    queued: int
    everything_s: float
    everything_read: int


async def _restore(db: Database, days: list[tuple[int, int, date | None]]) -> None:
    async with db.uow() as tx:
        await tx.session.execute(delete(OutboxRow))
        await tx.appraisals.set_nudges_from(days)
        await tx.commit()


async def _count_read(db: Database, everything: bool) -> int:
    async with db.uow() as tx:
        query = nudged_by_query(None if everything else SWEEP_AT.date())
        return len((await tx.session.execute(query)).all())


async def _timed(job: NudgeJob, repeats: int, before) -> tuple[float, int]:
    times, queued = [], 0
    for _ in range(repeats):
        await before()
        started = time.perf_counter()
        queued = await job.run(SWEEP_AT)
        times.append(time.perf_counter() - started)
    return statistics.median(times), queued


async def sweep(store: str, url: str, sizes: list[int], repeats: int = 3) -> list[SweepRun]:
    """Time the morning run and the read-everything run at each size, growing one store."""
    settings = load_settings(database_url=url)
    rules = settings.nudge_policy()
    db = Database(url)
    found = []
    try:
        await db.migrate()
        product = build(settings, db)
        job = NudgeJob(product.ctx, rules)
        trust = appraisals_on(SWEEP_AT.date(), max(sizes))
        await seed_people(db, max(sizes))
        days: list[tuple[int, int, date | None]] = []
        stored = 0
        for size in sorted(sizes):
            scheduled: list[tuple] = []
            for appraisal in trust[stored:size]:
                schedule: Schedule = morning_schedule(appraisal, SWEEP_AT.date(), rules)
                scheduled.append((appraisal, schedule))
                days.append((appraisal.id, appraisal.version, schedule.nudges_from))
            await add_appraisals(db, scheduled)
            stored = size
            await _analyse(db)
            fingerprint = job.fingerprint(SWEEP_AT.date())

            async def morning(fingerprint: str = fingerprint) -> None:
                await _restore(db, days)
                async with db.uow() as tx:
                    await tx.job_state.put(JOB_NAME, fingerprint, SWEEP_AT)
                    await tx.commit()

            async def everything() -> None:
                await _restore(db, days)
                async with db.uow() as tx:
                    await tx.session.execute(delete(JobStateRow))
                    await tx.commit()

            await morning()
            read = await _count_read(db, everything=False)
            morning_s, queued = await _timed(job, repeats, morning)
            everything_read = await _count_read(db, everything=True)
            everything_s, _ = await _timed(job, repeats, everything)
            found.append(
                SweepRun(store, size, morning_s, read, queued, everything_s, everything_read)
            )
        await _restore(db, days)
    finally:
        await db.dispose()
    return found


async def _analyse(db: Database) -> None:
    """Fresh planner statistics, as a running database keeps them."""
    async with db.engine.begin() as conn:
        await conn.execute(text("ANALYZE"))


async def query_plan(url: str) -> str:
    """The database's own plan for the morning run's query (run after `sweep` on that store)."""
    db = Database(url)
    try:
        await _analyse(db)  # the timed runs rewrote thousands of rows: fresh statistics
        query = nudged_by_query(SWEEP_AT.date())
        sql = str(query.compile(dialect=db.engine.dialect, compile_kwargs={"literal_binds": True}))
        explain = "EXPLAIN QUERY PLAN " if db.engine.dialect.name == "sqlite" else "EXPLAIN "
        async with db.engine.connect() as conn:
            rows = (await conn.exec_driver_sql(explain + sql)).all()
    finally:
        await db.dispose()
    if db.engine.dialect.name == "sqlite":
        return "; ".join(str(r[-1]) for r in rows)
    return "; ".join(str(r[0]).strip() for r in rows)


def main(argv: list[str]) -> None:
    """`python -m bench.sweep FILE SIZES`: the sweep on a new SQLite file (for profiling)."""
    path, sizes = argv
    url = f"sqlite+aiosqlite:///{path}"
    asyncio.run(sweep("SQLite", url, [int(s) for s in sizes.split(",")], repeats=1))


if __name__ == "__main__":
    main(sys.argv[1:])
