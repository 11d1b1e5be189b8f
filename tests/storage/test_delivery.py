"""The sender's side of the outbox: only a recorded attempt counts, on both engines.

Claiming a row, giving it back, skipping it and requeueing it after a lost lease spend nothing;
recording an outcome (sent, retry, failed) counts one attempt. A row that was being sent each
time its sender stopped is failed after `max_lost_leases` in a row (counted in `lease_losses`,
which any recorded outcome clears), without counting attempts.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from itertools import count
from types import SimpleNamespace

import pytest

from storage.database import Database
from storage.delivery import REQUEUED, SqlOutboxDelivery
from storage.tables import OutboxRow
from tests.support.database import context_for
from tests.support.factories import at
from tests.support.trust import seed_trust

NOW = at(2026, 11, 23, 10)
LEASE = timedelta(minutes=5)
MAX_LOST = 3
_keys = count(1)


async def _adder(db: Database):
    """`add(n, **values)`: `n` due pending rows for Rhona about Brookside; their ids."""
    trust = await seed_trust(context_for(db))

    async def add(n: int = 1, **values: object) -> list[int]:
        rows = []
        for _ in range(n):
            row = OutboxRow(
                key=f"test:{next(_keys)}",
                appraisal_id=trust.brookside,
                recipient_id=trust.people["rhona"],
                action="propose_date",
                kind="overdue",
                due_on=None,
                decided_at=NOW,
                status="pending",
                attempts=0,
                next_attempt_at=NOW,
                last_error="",
            )
            for name, value in values.items():
                setattr(row, name, value)
            rows.append(row)
        async with db.uow() as tx:
            tx.session.add_all(rows)
            await tx.commit()
            return [row.id for row in rows]

    return add


@pytest.fixture
async def add(db: Database):
    """Adds outbox rows to the seeded trust on either engine."""
    return await _adder(db)


async def _row(db: Database, row_id: int) -> SimpleNamespace:
    async with db.uow() as tx:
        row = await tx.session.get(OutboxRow, row_id)
        assert row is not None
        return SimpleNamespace(**{c.key: getattr(row, c.key) for c in OutboxRow.__table__.c})


async def _claim(db: Database, now=NOW, limit: int = 50):
    async with db.uow() as tx:
        claimed = await SqlOutboxDelivery(tx.session).claim(now, limit)
        await tx.commit()
    return claimed


async def _do(db: Database, change):
    async with db.uow() as tx:
        done = await change(SqlOutboxDelivery(tx.session))
        await tx.commit()
    return done


async def _requeue(db: Database, now):
    return await _do(db, lambda d: d.requeue_stale(now, now - LEASE, MAX_LOST))


async def test_a_claim_counts_no_attempt_but_names_the_one_starting(db, add):
    (fresh,) = await add()
    (tried_twice,) = await add(attempts=2)
    claimed = {row.id: row.attempts for row in await _claim(db)}
    assert claimed == {fresh: 1, tried_twice: 3}  # including the attempt now starting
    assert [(await _row(db, i)).attempts for i in (fresh, tried_twice)] == [0, 2]
    assert {(await _row(db, i)).status for i in (fresh, tried_twice)} == {"sending"}


async def test_a_requeue_after_a_lost_lease_counts_no_attempt(db, add):
    ids = await add(2)
    (earlier,) = await add(attempts=2)  # two recorded attempts before this claim
    await _claim(db)
    later = NOW + 2 * LEASE
    requeued = await _requeue(db, later)
    assert (requeued.pending, requeued.failed) == (3, 0)
    rows = [await _row(db, i) for i in (*ids, earlier)]
    assert [(r.status, r.attempts, r.next_attempt_at) for r in rows] == [
        ("pending", 0, later),
        ("pending", 0, later),
        ("pending", 2, later),
    ]
    # A claim within its lease is left alone.
    await _claim(db, later)
    assert (await _requeue(db, later + LEASE / 2)).pending == 0


@pytest.mark.parametrize(
    ("record", "status"),
    [
        (lambda d, i: d.mark_sent(i, NOW, "reply-1"), "sent"),
        (lambda d, i: d.mark_retry(i, NOW + timedelta(seconds=30), "502 bad gateway"), "pending"),
        (lambda d, i: d.mark_failed(i, "403 the bot is blocked"), "failed"),
    ],
    ids=["sent", "retry", "failed"],
)
async def test_each_recorded_outcome_counts_one_attempt(db, add, record, status):
    (row_id,) = await add()
    await _claim(db)
    assert await _do(db, lambda d: record(d, row_id)) is True
    row = await _row(db, row_id)
    assert (row.status, row.attempts) == (status, 1)
    # Recorded once: a second outcome for a row no longer 'sending' changes nothing.
    assert await _do(db, lambda d: record(d, row_id)) is False
    assert (await _row(db, row_id)).attempts == 1


async def test_retries_count_one_each_and_a_crash_between_them_none(db, add):
    (row_id,) = await add()
    await _claim(db)
    await _do(db, lambda d: d.mark_retry(row_id, NOW, "502 bad gateway"))
    await _claim(db)  # claimed again, then the sender is killed
    later = NOW + 2 * LEASE
    await _requeue(db, later)
    (claimed,) = await _claim(db, later)
    assert claimed.attempts == 2  # one recorded, and this one
    await _do(db, lambda d: d.mark_retry(row_id, later, "504 gateway timeout"))
    assert (await _row(db, row_id)).attempts == 2


async def test_released_skipped_and_refused_before_trying_count_nothing(db, add):
    released, skipped, refused = await add(3)
    await _claim(db)
    await _do(db, lambda d: d.release(released, NOW))
    await _do(db, lambda d: d.mark_skipped(skipped, NOW, "not sent: the step was no longer owed"))
    await _do(db, lambda d: d.mark_failed(refused, "no Teams account yet", tried=False))
    rows = [await _row(db, i) for i in (released, skipped, refused)]
    assert [(r.status, r.attempts) for r in rows] == [("pending", 0), ("sent", 0), ("failed", 0)]
    assert (rows[1].activity_id, rows[1].last_error) == (
        None,
        "not sent: the step was no longer owed",
    )


async def test_the_row_in_flight_at_every_crash_is_failed_after_the_cap_and_no_other(db, add):
    poison, *behind = await add(3)
    moment = NOW
    for crash in range(1, MAX_LOST + 1):
        await _claim(db, moment)  # the sender takes all three and dies sending the first
        moment += 2 * LEASE
        requeued = await _requeue(db, moment)
        first = await _row(db, poison)
        if crash < MAX_LOST:
            assert (requeued.pending, requeued.failed) == (3, 0)
            assert (first.status, first.lease_losses) == ("pending", crash)
            assert first.last_error == REQUEUED  # a plain phrase: the count is not in it
        else:
            assert (requeued.pending, requeued.failed) == (2, 1)
            assert (first.status, first.lease_losses) == ("failed", MAX_LOST)
            assert first.last_error == (
                f"the sender stopped while sending it {MAX_LOST} times in a row; not tried again"
            )
        assert first.attempts == 0  # never an attempt: nothing was ever recorded
        # The rows claimed after it were never tried: requeued, not counted against.
        for row in [await _row(db, i) for i in behind]:
            assert (row.status, row.attempts, row.last_error) == ("pending", 0, REQUEUED)
            assert row.lease_losses == 0
    assert [r.id for r in await _claim(db, moment)] == behind  # no longer held up


async def test_each_claim_left_behind_has_its_own_row_in_flight(db, add):
    ids = await add(4)
    await _claim(db, NOW, limit=2)
    await _claim(db, NOW + timedelta(seconds=1), limit=2)
    await _requeue(db, NOW + 2 * LEASE)
    counted = [(await _row(db, i)).lease_losses for i in ids]
    assert counted == [1, 0, 1, 0]


async def test_a_recorded_outcome_starts_the_count_of_lost_leases_again(db, add):
    (row_id,) = await add()
    moment = NOW
    for _ in range(MAX_LOST - 1):
        await _claim(db, moment)
        moment += 2 * LEASE
        await _requeue(db, moment)
    assert (await _row(db, row_id)).lease_losses == MAX_LOST - 1
    await _claim(db, moment)
    await _do(db, lambda d: d.mark_retry(row_id, moment, "502 bad gateway"))  # it was tried
    await _claim(db, moment)
    moment += 2 * LEASE
    requeued = await _requeue(db, moment)
    assert (requeued.pending, requeued.failed) == (1, 0)
    row = await _row(db, row_id)
    assert (row.status, row.attempts, row.lease_losses) == ("pending", 1, 1)


@pytest.mark.parametrize(
    ("record", "lease_losses"),
    [
        (lambda d, i: d.mark_sent(i, NOW, "reply-1"), 0),
        (lambda d, i: d.mark_retry(i, NOW, "502 bad gateway"), 0),
        (lambda d, i: d.mark_failed(i, "403 the bot is blocked"), 0),
        (lambda d, i: d.mark_skipped(i, NOW, "not sent: the step was no longer owed"), 0),
        (lambda d, i: d.release(i, NOW), MAX_LOST - 1),
    ],
    ids=["sent", "retry", "failed", "skipped", "released"],
)
async def test_every_recorded_outcome_clears_the_lost_leases_and_a_release_keeps_them(
    db, add, record, lease_losses
):
    (row_id,) = await add(lease_losses=MAX_LOST - 1)
    await _claim(db)
    assert await _do(db, lambda d: record(d, row_id)) is True
    assert (await _row(db, row_id)).lease_losses == lease_losses


async def test_a_row_requeued_untried_keeps_its_lost_leases(db, add):
    in_flight, (untried,) = await add(), await add(lease_losses=MAX_LOST - 1)
    await _claim(db)
    await _requeue(db, NOW + 2 * LEASE)
    rows = [await _row(db, i) for i in (*in_flight, untried)]
    assert [(r.status, r.lease_losses) for r in rows] == [("pending", 1), ("pending", MAX_LOST - 1)]


@pytest.mark.postgres
async def test_two_senders_requeueing_at_once_count_each_lost_lease_once(postgres_db):
    ids = await (await _adder(postgres_db))(6)
    await _claim(postgres_db)
    later = NOW + 2 * LEASE
    results = await asyncio.gather(_requeue(postgres_db, later), _requeue(postgres_db, later))
    assert sorted((r.pending, r.failed) for r in results) == [(0, 0), (6, 0)]
    rows = [await _row(postgres_db, i) for i in ids]
    assert [r.lease_losses for r in rows] == [1, 0, 0, 0, 0, 0]
    assert {(r.status, r.attempts) for r in rows} == {("pending", 0)}
