"""SQLite writers take turns in the event loop: none sleeps in SQLite, none is refused."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

import storage.sqlite_writer as writer
from storage.tables import AuditRow

NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)


def _event(n: int) -> AuditRow:
    return AuditRow(
        appraisal_id=None,
        actor_id=None,
        at=NOW,
        action=f"test_{n}",
        from_stage=None,
        to_stage=None,
        outcome="done",
        detail="",
    )


async def _count(db) -> int:
    async with db.uow() as tx:
        return await tx.session.scalar(select(func.count()).select_from(AuditRow))


async def test_many_writers_at_once_all_commit(sqlite_db):
    async def write(n: int) -> None:
        async with sqlite_db.uow() as tx:
            tx.session.add(_event(n))
            await tx.session.flush()
            await asyncio.sleep(0)  # let the others reach their first write meanwhile
            await tx.commit()

    await asyncio.gather(*(write(n) for n in range(24)))
    assert await _count(sqlite_db) == 24


async def test_a_reader_does_not_wait_for_a_writer(sqlite_db):
    async with sqlite_db.uow() as writing:
        writing.session.add(_event(1))
        await writing.session.flush()  # holds the turn to write until it is done
        assert await asyncio.wait_for(_count(sqlite_db), 5) == 0  # WAL: the old snapshot
        await writing.commit()
    assert await _count(sqlite_db) == 1


async def test_a_writer_that_never_gets_a_turn_is_refused_as_sqlite_would(sqlite_db, monkeypatch):
    monkeypatch.setattr(writer, "WAIT_SECONDS", 0.2)  # SQLite's own busy timeout is 10 s

    async def second_writer() -> None:
        async with sqlite_db.uow() as second:
            second.session.add(_event(2))
            await second.session.flush()

    async with sqlite_db.uow() as first:
        first.session.add(_event(1))
        await first.session.flush()
        with pytest.raises(OperationalError) as refused:
            await second_writer()
        assert isinstance(refused.value.orig, sqlite3.OperationalError)
        assert "database is locked (no turn to write within" in str(refused.value.orig)
        await first.commit()
    # The turn came back when the first writer's connection did: writing works again.
    async with sqlite_db.uow() as third:
        third.session.add(_event(3))
        await third.commit()
    assert await _count(sqlite_db) == 2
