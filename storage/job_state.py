"""Small values a scheduled job keeps between runs, by name."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from storage.dialect import insert_for
from storage.tables import JobStateRow


class SqlJobState:
    """One value per name; writing it again replaces it."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def get(self, name: str) -> str | None:
        row = await self._s.get(JobStateRow, name)
        return row.value if row else None

    async def put(self, name: str, value: str, now: datetime) -> None:
        insert = insert_for(self._s)
        statement = insert(JobStateRow).values(name=name, value=value, updated_at=now)
        statement = statement.on_conflict_do_update(
            index_elements=[JobStateRow.name],
            set_={"value": statement.excluded.value, "updated_at": statement.excluded.updated_at},
        )
        await self._s.execute(statement)
