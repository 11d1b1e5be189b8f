"""One SQLite writer at a time per engine, queued in the event loop instead of in SQLite.

SQLite lets one transaction write at a time. A second writer that finds the file locked
sleeps in SQLite's busy handler (1, 2, 5, 10 … 100 ms at a time) and may lose the race again
when it wakes; under a burst of button presses that turned a 15 ms card action into half a
second. Here a connection about to write first takes an asyncio lock, held until the
connection goes back to the pool (after its commit or rollback), so writers take turns in the
order they came, and never sleep. Readers are not affected (WAL: they never wait for writers).
Only this process's writers queue here; another process (the CLI) still meets SQLite's own
busy timeout.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
from typing import Any

from sqlalchemy import event
from sqlalchemy.exc import MissingGreenlet
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.util import await_only

#: How long a writer waits for its turn before giving up as SQLite would ("database is locked").
WAIT_SECONDS = 10.0
_WRITES = re.compile(r"\s*(INSERT|UPDATE|DELETE|REPLACE|CREATE|ALTER|DROP)\b", re.IGNORECASE)
_HOLDS = "htpm_sqlite_writer"


class SqliteWriter:
    """The lock and the engine events that take and give it back."""

    def __init__(self) -> None:
        self._lock = asyncio.Lock()

    def attach(self, engine: AsyncEngine) -> None:
        event.listen(engine.sync_engine, "before_cursor_execute", self._before_execute)
        event.listen(engine.sync_engine.pool, "checkin", self._checked_in)
        event.listen(engine.sync_engine.pool, "invalidate", self._checked_in)

    def _before_execute(self, conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if conn.info.get(_HOLDS) or not _WRITES.match(statement):
            return
        try:
            await_only(self._take())
        except MissingGreenlet:
            return  # used without asyncio (nothing else of ours runs then): SQLite decides
        conn.info[_HOLDS] = True

    async def _take(self) -> None:
        try:
            await asyncio.wait_for(self._lock.acquire(), WAIT_SECONDS)
        except TimeoutError:
            raise sqlite3.OperationalError(
                f"database is locked (no turn to write within {WAIT_SECONDS:.0f} s)"
            ) from None

    def _checked_in(self, _dbapi_connection: Any, record: Any, *_args: Any) -> None:
        if record is not None and record.info.pop(_HOLDS, False):
            self._lock.release()
