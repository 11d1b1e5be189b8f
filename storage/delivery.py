"""Delivering the nudge outbox: claiming due rows and recording each row's outcome.

The deciding side (storage/outbox.py) only inserts rows; this module moves them along
pending → sending → sent | failed (and back to pending for a retry). Each method runs in the
caller's session; the caller commits, one outcome per transaction.

While a row is 'sending', `next_attempt_at` holds the moment it was claimed: that is its lease,
and `requeue_stale` puts rows whose lease has run out back to 'pending'.

`attempts` counts the attempts whose outcome was recorded: the connector answered, or the request
to it failed on the way. It is added to when an outcome is recorded (`mark_sent`, `mark_retry`,
`mark_failed`), never when a row is claimed, so a row claimed and then given back (`release`),
skipped (`mark_skipped`) or left 'sending' by a sender that stopped (`requeue_stale`) has spent
nothing. A row that stops the sender every time it is sent is bounded apart from that, by
`lease_losses`: see `requeue_stale`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from appraisal.ports import ClaimedRow, FailedDelivery, Requeued
from storage.tables import OutboxRow, PersonRow

PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"
#: `last_error` of a row put back to 'pending' after its lease ran out.
REQUEUED = "requeued after a lost lease"


class SqlOutboxDelivery:
    """The sender's side of the outbox."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def claim(self, now: datetime, limit: int) -> list[ClaimedRow]:
        """Mark up to `limit` due pending rows 'sending' and return them (commit right after).

        PostgreSQL: SELECT … FOR UPDATE SKIP LOCKED, so two senders never wait for or take the
        same row. SQLite: a conditional UPDATE per row (`WHERE status = 'pending'`); the database
        lock serialises writers and only one UPDATE can match.
        """
        due = (
            select(OutboxRow.id)
            .where(OutboxRow.status == PENDING, OutboxRow.next_attempt_at <= now)
            .order_by(OutboxRow.next_attempt_at, OutboxRow.id)
            .limit(limit)
        )
        if self._s.get_bind().dialect.name == "postgresql":
            due = due.with_for_update(skip_locked=True)
        ids = list(await self._s.scalars(due))
        claimed: list[int] = []
        for row_id in ids:
            result = await self._s.execute(
                update(OutboxRow)
                .where(OutboxRow.id == row_id, OutboxRow.status == PENDING)
                .values(status=SENDING, next_attempt_at=now)
                .execution_options(synchronize_session=False)
            )
            if result.rowcount == 1:  # type: ignore[attr-defined]
                claimed.append(row_id)
        if not claimed:
            return []
        rows = await self._s.execute(
            select(
                OutboxRow.id,
                OutboxRow.appraisal_id,
                OutboxRow.recipient_id,
                OutboxRow.action,
                OutboxRow.kind,
                OutboxRow.attempts + 1,  # the attempt now starting, not counted until recorded
            )
            .where(OutboxRow.id.in_(claimed))
            .order_by(OutboxRow.id)
        )
        return [ClaimedRow(*row) for row in rows]

    async def _finish(self, row_id: int, **values: object) -> bool:
        """Record an outcome for a row still 'sending'; it ends any run of lost leases."""
        return await self._move(row_id, lease_losses=0, **values)

    async def _move(self, row_id: int, **values: object) -> bool:
        result = await self._s.execute(
            update(OutboxRow)
            .where(OutboxRow.id == row_id, OutboxRow.status == SENDING)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1  # type: ignore[attr-defined]

    async def mark_sent(self, row_id: int, now: datetime, activity_id: str | None) -> bool:
        """The connector acknowledged the message: one attempt, the last."""
        return await self._finish(
            row_id,
            status=SENT,
            sent_at=now,
            activity_id=activity_id,
            last_error="",
            attempts=OutboxRow.attempts + 1,
        )

    async def mark_skipped(self, row_id: int, now: datetime, note: str) -> bool:
        """Not sent, as no longer needed (`note` says why): done, and no attempt was made."""
        return await self._finish(
            row_id, status=SENT, sent_at=now, activity_id=None, last_error=note[:200]
        )

    async def mark_retry(self, row_id: int, when: datetime, reason: str) -> bool:
        """This attempt failed for now (one attempt): try again at `when`."""
        return await self._finish(
            row_id,
            status=PENDING,
            next_attempt_at=when,
            last_error=reason[:200],
            attempts=OutboxRow.attempts + 1,
        )

    async def release(self, row_id: int, now: datetime) -> bool:
        """Give a claimed row back untried: due again at `now`, no attempt spent."""
        # Not an outcome: a run of lost leases goes on.
        return await self._move(row_id, status=PENDING, next_attempt_at=now)

    async def mark_failed(self, row_id: int, reason: str, *, tried: bool = True) -> bool:
        """Never to be tried again; `tried` is false when it was refused before any attempt."""
        values: dict[str, object] = {"status": FAILED, "last_error": reason[:200]}
        if tried:
            values["attempts"] = OutboxRow.attempts + 1
        return await self._finish(row_id, **values)

    async def requeue_stale(
        self, now: datetime, claimed_before: datetime, max_lost_leases: int
    ) -> Requeued:
        """Rows left 'sending' by a sender that stopped before recording an outcome.

        They go back to 'pending', due at `now`, their attempts untouched: nothing about them
        was recorded. A sender tries its claimed rows one at a time in id order, so of the rows
        one claim left behind (they share the claim moment in `next_attempt_at`) the lowest id
        is the one it was sending when it stopped (or, if it stopped between two rows, the next
        one); the others were never tried. That row's `lease_losses` counts how often in a row
        this has happened to it, and the `max_lost_leases`th time it is marked 'failed'
        instead: a message that kills its sender every time stops doing so, and stops holding
        up the rows claimed after it. Any outcome recorded for the row (a retry, say) sets
        `lease_losses` back to 0; being given back untried, here or by `release`, does not.
        """
        stale = (
            select(OutboxRow.id, OutboxRow.next_attempt_at, OutboxRow.lease_losses)
            .where(OutboxRow.status == SENDING, OutboxRow.next_attempt_at < claimed_before)
            .order_by(OutboxRow.next_attempt_at, OutboxRow.id)
        )
        if self._s.get_bind().dialect.name == "postgresql":
            # Wait for another sender requeueing the same rows; the status check below then
            # finds them moved on and leaves them alone.
            stale = stale.with_for_update()
        claims_seen: set[datetime] = set()
        pending = failed = 0
        for row_id, claimed_at, lease_losses in (await self._s.execute(stale)).all():
            values: dict[str, object] = {
                "status": PENDING,
                "next_attempt_at": now,
                "last_error": REQUEUED,
            }
            if claimed_at not in claims_seen:  # the row in flight when its sender stopped
                claims_seen.add(claimed_at)
                lost = lease_losses + 1
                if lost >= max_lost_leases:
                    values = {
                        "status": FAILED,
                        "last_error": (
                            f"the sender stopped while sending it {lost} times in a row; "
                            "not tried again"
                        ),
                    }
                values["lease_losses"] = lost
            result = await self._s.execute(
                update(OutboxRow)
                .where(
                    OutboxRow.id == row_id,
                    OutboxRow.status == SENDING,
                    OutboxRow.next_attempt_at == claimed_at,  # not claimed again meanwhile
                )
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            if result.rowcount == 1:  # type: ignore[attr-defined]
                if values["status"] == FAILED:
                    failed += 1
                else:
                    pending += 1
        return Requeued(pending, failed)

    async def failed(self) -> list[FailedDelivery]:
        """Every row marked failed, oldest first."""
        rows = await self._s.execute(
            select(
                OutboxRow.id,
                OutboxRow.appraisal_id,
                PersonRow.name,
                OutboxRow.kind,
                OutboxRow.last_error,
            )
            .join(PersonRow, PersonRow.id == OutboxRow.recipient_id)
            .where(OutboxRow.status == FAILED)
            .order_by(OutboxRow.id)
        )
        return [FailedDelivery(*row) for row in rows]
