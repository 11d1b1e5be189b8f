"""The write probe says whether the store takes writes now, and why not, in a few words."""

from __future__ import annotations

import asyncio
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine

from storage.database import Database, redacted_url
from storage.probe import (
    NOT_WRITABLE,
    UNREACHABLE,
    Readiness,
    StoreProblem,
    StoreUnavailable,
    check_writable,
    problem_of,
)
from tests.support.database import POSTGRES_URL
from tests.support.readonly import read_only
from tests.support.servers import free_port


def _tables(path: Path) -> list[str]:
    with closing(sqlite3.connect(path)) as conn:
        return [name for (name,) in conn.execute("SELECT name FROM sqlite_master")]


async def _problem(db: Database) -> StoreProblem:
    with pytest.raises(StoreUnavailable) as raised:
        await db.check_writable()
    return raised.value.problem


# --- SQLite ------------------------------------------------------------------------------------


async def test_a_writable_file_passes_and_nothing_is_left_written(sqlite_db, tmp_path):
    before = _tables(tmp_path / "htpm.sqlite3")
    await sqlite_db.check_writable()
    assert _tables(tmp_path / "htpm.sqlite3") == before
    assert "htpm_write_probe" not in before


async def test_a_file_made_read_only_while_running_fails_though_the_pool_could_still_write(
    sqlite_db, tmp_path
):
    await sqlite_db.ping()  # the pool now holds a connection opened while the file was writable
    # A probe before: SQLite keeps its closed connection's descriptor and hands it to the next.
    await sqlite_db.check_writable()
    with read_only(tmp_path / "htpm.sqlite3"):
        problem = await _problem(sqlite_db)
    assert problem == StoreProblem(NOT_WRITABLE, "the file is read-only")
    await sqlite_db.check_writable()  # writable again


async def test_a_file_gone_from_under_the_store_fails_and_is_not_created_again(tmp_path):
    path = tmp_path / "htpm.sqlite3"
    db = Database(f"sqlite+aiosqlite:///{path}")
    try:
        await db.migrate()
        await db.dispose()
        for leftover in tmp_path.glob("htpm.sqlite3*"):
            leftover.unlink()
        assert await _problem(db) == StoreProblem(UNREACHABLE, "cannot open the file")
        assert not path.exists()
    finally:
        await db.dispose()


async def test_a_read_only_uri_fails(sqlite_db, tmp_path):
    db = Database(f"sqlite+aiosqlite:///file:{tmp_path / 'htpm.sqlite3'}?mode=ro&uri=true")
    try:
        assert await _problem(db) == StoreProblem(NOT_WRITABLE, "the file is read-only")
    finally:
        await db.dispose()


async def test_a_store_busy_with_another_writer_counts_as_writable(sqlite_db, tmp_path):
    with closing(sqlite3.connect(tmp_path / "htpm.sqlite3", isolation_level=None)) as other:
        other.execute("BEGIN IMMEDIATE")
        await asyncio.wait_for(sqlite_db.check_writable(), timeout=3)
        other.execute("ROLLBACK")


async def test_an_in_memory_store_is_always_writable():
    db = Database("sqlite+aiosqlite://")
    try:
        await db.check_writable()
    finally:
        await db.dispose()


async def test_a_missing_folder_at_start_is_a_file_that_cannot_be_opened(tmp_path):
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'nowhere' / 'htpm.sqlite3'}")
    with pytest.raises(StoreUnavailable) as raised:
        await db.prepare()
    assert raised.value.problem == StoreProblem(UNREACHABLE, "cannot open the file")
    await db.dispose()


# --- PostgreSQL --------------------------------------------------------------------------------


async def test_a_postgresql_server_nobody_runs_is_unreachable():
    db = Database(f"postgresql://root:secret@127.0.0.1:{free_port()}/test")
    try:
        assert await _problem(db) == StoreProblem(UNREACHABLE, "connection refused")
    finally:
        await db.dispose()


@pytest.mark.postgres
async def test_a_postgresql_primary_passes_and_a_read_only_one_fails():
    writable = create_async_engine(POSTGRES_URL)
    read_only_server = create_async_engine(
        POSTGRES_URL,
        connect_args={"server_settings": {"default_transaction_read_only": "on"}},
    )
    try:
        await check_writable(writable)
        with pytest.raises(StoreUnavailable) as raised:
            await check_writable(read_only_server)
        assert raised.value.problem == StoreProblem(NOT_WRITABLE, "the database is read-only")
    finally:
        await writable.dispose()
        await read_only_server.dispose()


@pytest.mark.postgres
async def test_a_refused_login_is_an_authentication_failure():
    url = POSTGRES_URL.replace("root@", "htpm_no_such_role@")
    engine = create_async_engine(url)
    try:
        with pytest.raises(DBAPIError) as raised:
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        assert problem_of(raised.value) == StoreProblem(UNREACHABLE, "authentication failed")
    finally:
        await engine.dispose()


def test_a_url_is_shown_without_its_password():
    shown = redacted_url("postgresql://root:s3cret@db.example:5433/htpm?password=x&sslmode=require")
    assert shown == "postgresql://root@db.example:5433/htpm?sslmode=require"
    assert redacted_url("sqlite+aiosqlite:///htpm.sqlite3") == "sqlite+aiosqlite:///htpm.sqlite3"


# --- the cache in front of the probe -----------------------------------------------------------


class _Probe:
    def __init__(self) -> None:
        self.calls = 0
        self.failing: BaseException | None = None

    async def __call__(self) -> None:
        self.calls += 1
        await asyncio.sleep(0.01)
        if self.failing is not None:
            raise self.failing


async def test_the_probe_is_asked_once_per_max_age_however_many_ask():
    clock = [100.0]
    probe = _Probe()
    readiness = Readiness(probe, max_age=5.0, monotonic=lambda: clock[0])

    answers = await asyncio.gather(*(readiness.check() for _ in range(20)))
    assert probe.calls == 1
    assert all(a.problem is None and not a.changed for a in answers)
    clock[0] += 4.9
    await readiness.check()
    assert probe.calls == 1
    clock[0] += 0.2
    await readiness.check()
    assert probe.calls == 2


async def test_each_change_is_reported_once():
    clock = [0.0]
    probe = _Probe()
    readiness = Readiness(probe, max_age=1.0, monotonic=lambda: clock[0])

    async def later():
        clock[0] += 1.0
        return await readiness.check()

    assert not (await readiness.check()).changed  # ready from the start: nothing to say
    probe.failing = StoreUnavailable(StoreProblem(NOT_WRITABLE, "the file is read-only"))
    first, second = await later(), await later()
    assert (first.problem.database, first.changed) == (NOT_WRITABLE, True)
    assert (second.problem.database, second.changed) == (NOT_WRITABLE, False)
    probe.failing = ConnectionRefusedError()
    moved = await later()
    assert (moved.problem, moved.changed) == (StoreProblem(UNREACHABLE, "connection refused"), True)
    probe.failing = None
    back, again = await later(), await later()
    assert (back.problem, back.changed, again.changed) == (None, True, False)


async def test_a_probe_that_hangs_is_unreachable_after_its_timeout():
    async def hangs() -> None:
        await asyncio.sleep(30)

    readiness = Readiness(hangs, max_age=5.0, timeout=0.1)
    answer = await readiness.check()
    assert answer.problem == StoreProblem(UNREACHABLE, "no answer in time")
