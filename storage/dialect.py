"""The store's own INSERT (for ON CONFLICT), imported only for the store in use."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession


def insert_for(session: AsyncSession) -> Any:
    """`insert` of the session's dialect: PostgreSQL's or SQLite's, each with on_conflict_*.

    Imported on first use: an SQLite deployment never loads the PostgreSQL dialect.
    """
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert
