"""Running the Alembic migrations from the application (it migrates on start).

Alembic is imported only when there is migrating to do: a store already at `HEAD` (every
start but the first after an upgrade) is checked with one query, and the service is ready
about a third of a second sooner, and some megabytes smaller.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
#: The newest migration's revision (a test keeps it equal to Alembic's head).
HEAD = "0007"
# Any constant will do: it keeps two instances starting together from migrating at once.
_PG_MIGRATION_LOCK = 0x48545044


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic configuration pointing at our migrations, optionally bound to a connection."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def _lock(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK})


async def _at_head(engine: AsyncEngine) -> bool:
    """True when the store is already at HEAD (False too when it cannot say)."""
    try:
        async with engine.connect() as conn:
            found = await conn.execute(text("SELECT version_num FROM alembic_version"))
            return list(found.scalars()) == [HEAD]
    except DBAPIError:  # no such table yet, or no database: Alembic will say which
        return False


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Upgrade the schema to `revision`."""
    if revision == "head" and await _at_head(engine):
        return

    def run(connection: Connection) -> None:
        from alembic import command

        _lock(connection)
        command.upgrade(alembic_config(connection), revision)

    async with _migrating(engine) as conn:
        await conn.run_sync(run)


async def downgrade(engine: AsyncEngine, revision: str = "base") -> None:
    """Downgrade the schema to `revision` (base removes every table)."""

    def run(connection: Connection) -> None:
        from alembic import command

        _lock(connection)
        command.downgrade(alembic_config(connection), revision)

    async with _migrating(engine) as conn:
        await conn.run_sync(run)


@asynccontextmanager
async def _migrating(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """One transaction for the migrations; committed only if every foreign key still holds.

    SQLite alters a column by rebuilding its table, and dropping the old one would trip the
    foreign keys of every table that refers to it (the audit trail, the outbox…) although the
    rebuilt table has the same rows. So on SQLite the keys are checked once, at the end.
    """
    if engine.dialect.name != "sqlite":
        async with engine.begin() as conn:
            yield conn
        return
    async with engine.connect() as conn:
        # Outside any transaction, or SQLite ignores it.
        await conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
        try:
            yield conn
            broken = (await conn.exec_driver_sql("PRAGMA foreign_key_check")).all()
            if broken:
                raise RuntimeError(
                    f"The migration would leave {len(broken)} rows referring to rows that "
                    "do not exist; nothing was changed."
                )
            await conn.commit()
        finally:
            await conn.rollback()
            await conn.exec_driver_sql("PRAGMA foreign_keys=ON")


async def current_revision(engine: AsyncEngine) -> str | None:
    """The revision the database is at, or None when it has never been migrated."""
    from alembic.runtime.migration import MigrationContext

    async with engine.connect() as conn:
        return await conn.run_sync(lambda c: MigrationContext.configure(c).get_current_revision())
