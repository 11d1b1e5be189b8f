"""The outbox of proactive messages: the nudges job writes rows, the sender delivers them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from appraisal.nudges import Nudge
from storage.dialect import insert_for
from storage.tables import OutboxRow

#: A row waiting to be sent (the sender moves it on).
PENDING = "pending"


_ADD_MANY_PG = text(
    "INSERT INTO nudge_outbox (key, appraisal_id, recipient_id, action, kind, due_on, "
    "decided_at, status, attempts, next_attempt_at, last_error, lease_losses) "
    "SELECT n.key, n.appraisal_id, n.recipient_id, n.action, n.kind, n.due_on, "
    "CAST(:decided_at AS timestamptz), :pending, 0, CAST(:send_after AS timestamptz), '', 0 "
    "FROM unnest(CAST(:keys AS varchar[]), CAST(:appraisals AS integer[]), "
    "CAST(:recipients AS integer[]), CAST(:actions AS varchar[]), CAST(:kinds AS varchar[]), "
    "CAST(:due AS date[])) AS n(key, appraisal_id, recipient_id, action, kind, due_on) "
    "ORDER BY n.key "
    "ON CONFLICT (key) DO NOTHING RETURNING id"
)


class SqlOutbox:
    """Outbox rows; `key` is unique, so a nudge decided twice is stored once."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def add_many(
        self, nudges: Sequence[Nudge], decided_at: datetime, send_after: datetime
    ) -> int:
        """Queue nudges as pending rows, first attempt at `send_after`; returns how many were new.

        INSERT … ON CONFLICT (key) DO NOTHING: a key already present (decided by an earlier run,
        or concurrently by another instance, whose insert PostgreSQL waits for) is skipped.
        """
        if not nudges:
            return 0
        unique = sorted({n.key: n for n in nudges}.values(), key=lambda n: n.key)
        if self._s.get_bind().dialect.name == "postgresql":
            # One statement for all of them, not one round trip per batch of rows.
            found = await self._s.execute(
                _ADD_MANY_PG,
                {
                    "keys": [n.key for n in unique],
                    "appraisals": [n.appraisal_id for n in unique],
                    "recipients": [n.recipient_id for n in unique],
                    "actions": [n.action for n in unique],
                    "kinds": [n.kind for n in unique],
                    "due": [n.due_on for n in unique],
                    "decided_at": decided_at.astimezone(UTC),
                    "send_after": send_after.astimezone(UTC),
                    "pending": PENDING,
                },
            )
            return len(found.all())
        rows = [
            {
                "key": n.key,
                "appraisal_id": n.appraisal_id,
                "recipient_id": n.recipient_id,
                "action": n.action,
                "kind": n.kind,
                "due_on": n.due_on,
                "decided_at": decided_at,
                "status": PENDING,
                "attempts": 0,
                "next_attempt_at": send_after,
                "last_error": "",
                "lease_losses": 0,
            }
            # Sorted by key: two instances inserting the same rows take their locks in one order.
            for n in unique
        ]
        insert = insert_for(self._s)
        statement = (
            insert(OutboxRow.__table__)
            .on_conflict_do_nothing(index_elements=[OutboxRow.key])
            .returning(OutboxRow.id)
        )
        # One statement with many parameter sets: compiled once and cached, sent in batches
        # (a single VALUES list of thousands of rows would be compiled afresh every morning).
        return len((await self._s.execute(statement, rows)).all())

    async def keys(self) -> list[str]:
        """Every key in the outbox, oldest first (for reports and tests)."""
        return list(await self._s.scalars(select(OutboxRow.key).order_by(OutboxRow.id)))

    async def counts_by_status(self) -> dict[str, int]:
        """How many rows are in each status."""
        query = select(OutboxRow.status, func.count().label("n")).group_by(OutboxRow.status)
        return {row.status: row.n for row in await self._s.execute(query)}
