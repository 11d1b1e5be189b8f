"""Whether the store takes a write now: asked by /readyz (at most every few seconds) and at start.

SQLite asks two questions. The kernel's first: may this process open the file (and its -wal
and -shm) for writing now? Asked with `os.access`, never by opening the file: closing any of its
descriptors would drop SQLite's POSIX locks. No connection can tell by itself: those in the pool
keep writing through descriptors opened before a chmod, and SQLite hands a new connection the
descriptor a closed one left behind; the next start would find the file read-only. Then
SQLite's: a new connection begins an immediate transaction, creates a table and rolls it back
(a write, not only BEGIN IMMEDIATE, which SQLite grants on a read-only file). That finds a file
gone, not a database, or opened read-only (mode=ro), and a folder SQLite cannot work in (a
read-only folder is fine while the -wal and -shm exist). Nothing reaches the file but its locks,
so a full disk shows only when a real write needs a new page.
PostgreSQL: `SHOW transaction_read_only` is "on" on a standby (after a failover to it) or in a
database set read-only; a database that cannot be reached fails to answer at all.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import sqlite3
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

#: The two answers /readyz gives about the database when it is not ready.
UNREACHABLE, NOT_WRITABLE = "unreachable", "not writable"
#: How long the SQLite probe waits for another writer before taking the store as busy (writable).
_SQLITE_BUSY_SECONDS = 0.5


@dataclass(frozen=True)
class StoreProblem:
    """Why the store cannot be used now: a word for /readyz, a reason for logs and people."""

    database: str  # UNREACHABLE or NOT_WRITABLE: all /readyz says
    reason: str  # "connection refused", "the file is read-only", …: never a path or driver text


class StoreUnavailable(Exception):
    """The store cannot be reached or written; `problem` says which and why."""

    def __init__(self, problem: StoreProblem) -> None:
        super().__init__(problem.reason)
        self.problem = problem


def _causes(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        orig = getattr(current, "orig", None)  # SQLAlchemy's wrapper around the driver's error
        if isinstance(orig, BaseException):
            current = orig
        else:
            current = current.__cause__ or current.__context__


_SQLITE = {
    "SQLITE_CANTOPEN": (UNREACHABLE, "cannot open the file"),
    "SQLITE_NOTADB": (UNREACHABLE, "the file is not a database"),
    "SQLITE_READONLY": (NOT_WRITABLE, "the file is read-only"),
    "SQLITE_FULL": (NOT_WRITABLE, "the disk is full"),
    "SQLITE_IOERR": (NOT_WRITABLE, "the file cannot be written (I/O error)"),
}


def _sqlstate_problem(sqlstate: str) -> StoreProblem | None:
    if sqlstate.startswith("28"):  # invalid authorization specification, invalid password
        return StoreProblem(UNREACHABLE, "authentication failed")
    if sqlstate == "3D000":
        return StoreProblem(UNREACHABLE, "the database does not exist")
    if sqlstate == "25006":  # read_only_sql_transaction
        return StoreProblem(NOT_WRITABLE, "the database is read-only")
    if sqlstate.startswith(("08", "57P")):  # connection exceptions; shutting down, starting up
        return StoreProblem(UNREACHABLE, "cannot connect")
    return None


def problem_of(exc: BaseException) -> StoreProblem | None:
    """What a failure to use the store means; None when it is not about reaching or writing it."""
    for cause in _causes(exc):
        if isinstance(cause, StoreUnavailable):
            return cause.problem
        if isinstance(cause, sqlite3.Error):
            name = getattr(cause, "sqlite_errorname", "") or ""
            for prefix, (database, reason) in _SQLITE.items():
                if name.startswith(prefix):
                    return StoreProblem(database, reason)
        sqlstate = getattr(cause, "sqlstate", None)
        if isinstance(sqlstate, str) and (found := _sqlstate_problem(sqlstate)):
            return found
        if isinstance(cause, ConnectionRefusedError):
            return StoreProblem(UNREACHABLE, "connection refused")
        if isinstance(cause, socket.gaierror):
            return StoreProblem(UNREACHABLE, "cannot connect (host not found)")
        if isinstance(cause, TimeoutError):
            return StoreProblem(UNREACHABLE, "cannot connect (timed out)")
        if isinstance(cause, OSError):
            return StoreProblem(UNREACHABLE, "cannot connect")
    if isinstance(exc, DBAPIError):
        orig = exc.orig if isinstance(exc.orig, BaseException) else exc
        return StoreProblem(UNREACHABLE, f"the database refused ({type(orig).__name__})")
    return None


def _sqlite_target(engine: AsyncEngine) -> tuple[str, Path | None] | None:
    """The URI the probe opens (never creating the file) and the file; None in memory."""
    args, options = engine.dialect.create_connect_args(engine.url)
    target = str(args[0]) if args else ":memory:"
    if options.get("uri"):
        # Already a URI: its own mode (mode=ro, say) is part of what is probed.
        name = target.removeprefix("file:").split("?", 1)[0]
        return target, Path(unquote(name)) if name and name != ":memory:" else None
    if target in ("", ":memory:"):
        return None
    path = Path(target).absolute()
    return f"file:{quote(str(path))}?mode=rw", path


def _kernel_refuses(path: Path) -> bool:
    """True if this process may not open the file or its -wal or -shm for writing now."""
    for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if file.exists() and not os.access(file, os.W_OK):
            return True
    return False


def _sqlite_write(uri: str, path: Path | None) -> None:
    if path is not None and _kernel_refuses(path):
        raise StoreUnavailable(StoreProblem(NOT_WRITABLE, "the file is read-only"))
    conn = sqlite3.connect(uri, uri=True, timeout=_SQLITE_BUSY_SECONDS, isolation_level=None)
    with contextlib.closing(conn):
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            if (getattr(exc, "sqlite_errorname", "") or "").startswith("SQLITE_BUSY"):
                return  # another connection is writing: the store takes writes
            raise
        try:
            conn.execute("CREATE TABLE htpm_write_probe (x INTEGER)")
        finally:
            conn.execute("ROLLBACK")


async def _postgres_read_only(engine: AsyncEngine) -> bool:
    async with engine.connect() as conn:
        return (await conn.execute(text("SHOW transaction_read_only"))).scalar() == "on"


async def check_writable(engine: AsyncEngine) -> None:
    """Raise StoreUnavailable unless the store takes a write now (nothing is left written)."""
    try:
        if engine.dialect.name == "sqlite":
            target = _sqlite_target(engine)
            read_only = False
            if target is not None:
                await asyncio.to_thread(_sqlite_write, *target)
        else:
            read_only = await _postgres_read_only(engine)
    except Exception as exc:
        problem = problem_of(exc)
        if problem is None:
            raise
        raise StoreUnavailable(problem) from exc
    if read_only:
        raise StoreUnavailable(StoreProblem(NOT_WRITABLE, "the database is read-only"))


@dataclass(frozen=True)
class ReadinessAnswer:
    """The store's state, and whether it differs from the one before (to log each change once)."""

    problem: StoreProblem | None  # None: the store takes writes
    changed: bool


class Readiness:
    """`probe` asked at most once every `max_age` seconds, however many ask at once."""

    def __init__(
        self,
        probe: Callable[[], Awaitable[None]],
        *,
        max_age: float,
        timeout: float = 5.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._probe = probe
        self._max_age = max_age
        self._timeout = timeout
        self._monotonic = monotonic
        self._lock = asyncio.Lock()
        self._problem: StoreProblem | None = None
        self._asked_at: float | None = None

    async def check(self) -> ReadinessAnswer:
        """The store's state now, or as found less than `max_age` seconds ago."""
        async with self._lock:
            now = self._monotonic()
            if self._asked_at is not None and now - self._asked_at < self._max_age:
                return ReadinessAnswer(self._problem, changed=False)
            problem = await self._ask()
            changed = problem != self._problem
            self._problem, self._asked_at = problem, self._monotonic()
            return ReadinessAnswer(problem, changed)

    async def _ask(self) -> StoreProblem | None:
        try:
            await asyncio.wait_for(self._probe(), self._timeout)
        except TimeoutError:
            return StoreProblem(UNREACHABLE, "no answer in time")
        except Exception as exc:  # any failure means not ready; what it was, in a few words
            return problem_of(exc) or StoreProblem(UNREACHABLE, type(exc).__name__)
        return None
