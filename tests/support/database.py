"""The test PostgreSQL server, and the use-case context on a test database."""

from __future__ import annotations

import os

from appraisal.services import Context
from storage.database import Database
from tests.support.factories import CALENDARS, POLICY

POSTGRES_URL = os.environ.get(
    "HTPM_TEST_POSTGRES_URL", "postgresql+asyncpg://root@127.0.0.1:5432/test"
)


def context_for(db: Database) -> Context:
    """The use-case context on a database, with England's calendar and default rules."""
    return Context(uow=db.uow, calendars=CALENDARS, policy=POLICY)
