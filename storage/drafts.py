"""Forms filled in across several cards, kept per appraisal, person and form until submitted."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.tables import CardDraftRow


class SqlCardDrafts:
    """Draft parts of multi-card forms (confidential text: never logged)."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def parts(self, appraisal_id: int, person_id: int) -> dict[str, dict[str, Any]]:
        """Every saved part for this person's form on this appraisal, by part name."""
        rows = await self._s.scalars(
            select(CardDraftRow).where(
                CardDraftRow.appraisal_id == appraisal_id, CardDraftRow.person_id == person_id
            )
        )
        return {row.form: dict(row.data) for row in rows}

    async def save(
        self, appraisal_id: int, person_id: int, form: str, data: dict[str, Any], now: datetime
    ) -> None:
        """Keep one part (replacing an earlier save of the same part)."""
        row = await self._s.get(CardDraftRow, (appraisal_id, person_id, form))
        if row is None:
            row = CardDraftRow(appraisal_id=appraisal_id, person_id=person_id, form=form)
            self._s.add(row)
        row.data, row.updated_at = data, now
        await self._s.flush()

    async def clear(self, appraisal_id: int, person_id: int) -> None:
        """Forget every part once the form has been submitted."""
        await self._s.execute(
            delete(CardDraftRow).where(
                CardDraftRow.appraisal_id == appraisal_id, CardDraftRow.person_id == person_id
            )
        )
