"""The deciding loop that htpm serve runs: it queues nudges, survives a failed pass, stops."""

from __future__ import annotations

import asyncio
import contextlib

from sqlalchemy import func, select

from bot.nudges import NudgeJob
from bot.server import decide_forever
from storage.tables import OutboxRow
from tests.support.factories import at
from tests.support.world import World


async def test_the_loop_queues_nudges_keeps_going_after_a_failure_and_stops(fresh: World):
    product = fresh.product
    job = NudgeJob(product.ctx, product.settings.nudge_policy())
    passes: list[str] = []
    real_run = job.run

    async def flaky_run(now):
        passes.append("pass")
        if len(passes) == 1:
            raise RuntimeError("the database went away for a moment")
        return await real_run(now)

    job.run = flaky_run  # type: ignore[method-assign]
    # Monday 19 October 2026, 09:00: both open appraisals owe a proposed date today.
    task = asyncio.create_task(decide_forever(job, lambda: at(2026, 10, 19, 9), 0.01))
    try:
        for _ in range(500):
            async with product.db.uow() as tx:
                queued = await tx.session.scalar(select(func.count()).select_from(OutboxRow))
            if queued:
                break
            await asyncio.sleep(0.01)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    assert len(passes) >= 2  # the first pass failed; the loop went on
    assert queued > 0
    assert task.cancelled()
