"""The engine, sessions and the unit of work; SQLite by default, PostgreSQL by URL."""

from __future__ import annotations

import asyncio
from types import TracebackType
from typing import Any

from sqlalchemy import URL, event, make_url, text
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from storage.appraisals import SqlAppraisals, SqlAuditLog
from storage.blobs import SqlBlobs
from storage.conversations import SqlConversationRefs
from storage.delivery import SqlOutboxDelivery
from storage.drafts import SqlCardDrafts
from storage.job_state import SqlJobState
from storage.migrate import upgrade
from storage.outbox import SqlOutbox
from storage.people import SqlPeople, SqlRoster
from storage.probe import Readiness, StoreUnavailable, check_writable, problem_of
from storage.sqlite_writer import SqliteWriter
from storage.uploads import SqlPendingUploads

DEFAULT_URL = "sqlite+aiosqlite:///htpm.sqlite3"
_FAILED_CONNECT_GRACE_SECONDS = 0.2
#: How long /readyz's answer about the store is reused: a load balancer polling costs nothing.
READINESS_MAX_AGE_SECONDS = 5.0


def redacted_url(url: str) -> str:
    """The database URL as configured, without its password, to name the store in messages."""
    parsed = make_url(url)
    query = {k: v for k, v in parsed.query.items() if "password" not in k.lower()}
    # `URL.set(password=None)` would keep the password: None there means "unchanged".
    shown = URL.create(
        parsed.drivername, parsed.username, None, parsed.host, parsed.port, parsed.database, query
    )
    return shown.render_as_string(hide_password=False)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


#: Seconds to open a connection to PostgreSQL before giving up.
CONNECT_TIMEOUT_SECONDS = 10


def make_engine(url: str, search_path: str | None = None) -> AsyncEngine:
    """An async engine for the URL (sqlite+aiosqlite:// or postgresql+asyncpg://)."""
    if url.startswith("postgresql://"):
        url = "postgresql+asyncpg://" + url.removeprefix("postgresql://")
    connect_args: dict[str, Any] = {}
    if not url.startswith("sqlite"):
        # asyncpg waits 60 s for a host that does not answer; a start-up or /readyz should not.
        connect_args["timeout"] = CONNECT_TIMEOUT_SECONDS
    if search_path:
        connect_args["server_settings"] = {"search_path": search_path}
    engine = create_async_engine(
        url, pool_pre_ping=not url.startswith("sqlite"), connect_args=connect_args
    )
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        SqliteWriter().attach(engine)
    return engine


class SqlUnitOfWork:
    """One session and one transaction; leaving without commit rolls back."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def __aenter__(self) -> SqlUnitOfWork:
        self.session = self._sessions()
        self.people = SqlPeople(self.session)
        self.roster = SqlRoster(self.session)
        self.appraisals = SqlAppraisals(self.session)
        self.audit = SqlAuditLog(self.session)
        self.blobs = SqlBlobs(self.session)
        self.conversations = SqlConversationRefs(self.session)
        self.uploads = SqlPendingUploads(self.session)
        self.drafts = SqlCardDrafts(self.session)
        self.outbox = SqlOutbox(self.session)
        self.delivery = SqlOutboxDelivery(self.session)
        self.job_state = SqlJobState(self.session)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            await self.session.rollback()
        finally:
            await self.session.close()

    async def commit(self) -> None:
        """Commit everything written in this unit of work."""
        await self.session.commit()


class Database:
    """An engine and the units of work opened on it."""

    def __init__(
        self,
        url: str = DEFAULT_URL,
        search_path: str | None = None,
        *,
        readiness_max_age: float = READINESS_MAX_AGE_SECONDS,
    ) -> None:
        self.url = url
        self.engine = make_engine(url, search_path)
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        #: Whether the store takes writes, asked at most every `readiness_max_age` seconds.
        self.readiness = Readiness(self.check_writable, max_age=readiness_max_age)

    def uow(self) -> SqlUnitOfWork:
        """Open a new unit of work."""
        return SqlUnitOfWork(self._sessions)

    async def migrate(self) -> None:
        """Bring the schema up to the latest migration."""
        try:
            await upgrade(self.engine)
        except Exception:
            # After a failed connect aiosqlite reports back from its worker thread; give that a
            # moment to land while the loop still runs, or the thread dies on a closed loop and
            # prints a traceback after our own clear message.
            await asyncio.sleep(_FAILED_CONNECT_GRACE_SECONDS)
            raise

    async def prepare(self) -> None:
        """Migrate, then check the store takes writes; StoreUnavailable says why it cannot."""
        try:
            await self.migrate()
            await self.check_writable()
        except StoreUnavailable:
            raise
        except Exception as exc:
            problem = problem_of(exc)
            if problem is None:
                raise
            raise StoreUnavailable(problem) from exc

    async def check_writable(self) -> None:
        """Raise StoreUnavailable unless the store takes a write now (nothing is left written)."""
        await check_writable(self.engine)

    async def ping(self) -> None:
        """Raise if the database cannot be reached."""
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()
