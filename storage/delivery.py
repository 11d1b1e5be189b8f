"""Delivering the nudge outbox: claiming due rows and recording each row's outcome.

The deciding side (storage/outbox.py) only inserts rows; this module moves them along
pending → sending → sent | failed (and back to pending for a retry). Each method runs in the
caller's session; the caller commits, one outcome per transaction.

While a row is 'sending', `next_attempt_at` holds the moment it was claimed: that is its lease,
and `requeue_stale` puts rows whose lease has run out back to 'pending'.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.tables import OutboxRow, PersonRow

PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"


@dataclass(frozen=True)
class ClaimedRow:
    """A row this sender now owns until it records an outcome (or its lease runs out)."""

    id: int
    appraisal_id: int
    recipient_id: int
    action: str
    kind: str
    attempts: int  # including the attempt now starting


@dataclass(frozen=True)
class FailedDelivery:
    """A row that will never be delivered, with who it was for and why (no message content)."""

    id: int
    appraisal_id: int
    recipient_name: str
    kind: str
    reason: str


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
                .values(status=SENDING, next_attempt_at=now, attempts=OutboxRow.attempts + 1)
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
                OutboxRow.attempts,
            )
            .where(OutboxRow.id.in_(claimed))
            .order_by(OutboxRow.id)
        )
        return [ClaimedRow(*row) for row in rows]

    async def _finish(self, row_id: int, **values: object) -> bool:
        result = await self._s.execute(
            update(OutboxRow)
            .where(OutboxRow.id == row_id, OutboxRow.status == SENDING)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1  # type: ignore[attr-defined]

    async def mark_sent(
        self, row_id: int, now: datetime, activity_id: str | None, note: str = ""
    ) -> bool:
        """The connector acknowledged the message (or it is no longer needed: `note` says so)."""
        return await self._finish(
            row_id, status=SENT, sent_at=now, activity_id=activity_id, last_error=note[:200]
        )

    async def mark_retry(self, row_id: int, when: datetime, reason: str) -> bool:
        """Try again at `when`."""
        return await self._finish(
            row_id, status=PENDING, next_attempt_at=when, last_error=reason[:200]
        )

    async def release(self, row_id: int, now: datetime) -> bool:
        """Give a claimed row back untried (the attempt it was charged is refunded)."""
        return await self._finish(
            row_id, status=PENDING, next_attempt_at=now, attempts=OutboxRow.attempts - 1
        )

    async def mark_failed(self, row_id: int, reason: str) -> bool:
        """Never to be tried again."""
        return await self._finish(row_id, status=FAILED, last_error=reason[:200])

    async def requeue_stale(self, now: datetime, claimed_before: datetime) -> int:
        """Rows left 'sending' by a sender that stopped before recording an outcome."""
        result = await self._s.execute(
            update(OutboxRow)
            .where(OutboxRow.status == SENDING, OutboxRow.next_attempt_at < claimed_before)
            .values(status=PENDING, next_attempt_at=now, last_error="requeued after a lost lease")
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

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
