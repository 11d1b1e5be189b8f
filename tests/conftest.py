"""Shared fixtures: a database per test on SQLite and (where asked) on PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from storage.database import Database
from tests.support.database import POSTGRES_URL


async def _postgres_database() -> AsyncIterator[Database]:
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(POSTGRES_URL)
    async with admin.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    db = Database(POSTGRES_URL, search_path=schema)
    try:
        yield db
    finally:
        await db.dispose()
        async with admin.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def empty_db(request, tmp_path) -> AsyncIterator[Database]:
    """An unmigrated database: a fresh SQLite file, or a fresh schema in PostgreSQL."""
    if request.param == "sqlite":
        db = Database(f"sqlite+aiosqlite:///{tmp_path / 'htpm.sqlite3'}")
        yield db
        await db.dispose()
    else:
        async for db in _postgres_database():
            yield db


@pytest.fixture
async def db(empty_db: Database) -> Database:
    """A migrated database."""
    await empty_db.migrate()
    return empty_db


@pytest.fixture
async def sqlite_db(tmp_path) -> AsyncIterator[Database]:
    """A migrated SQLite database only (for tests whose point is not the engine)."""
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'htpm.sqlite3'}")
    await db.migrate()
    yield db
    await db.dispose()


@pytest.fixture
async def postgres_db() -> AsyncIterator[Database]:
    """A migrated PostgreSQL schema only (for concurrency tests)."""
    async for db in _postgres_database():
        await db.migrate()
        yield db
