"""Files received in chat and stored, waiting to be told what they are evidence of."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from appraisal.ports import PendingUpload
from storage.tables import PendingUploadRow


class SqlPendingUploads:
    """Pending uploads (file names may be confidential: never logged)."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def add(
        self,
        person_id: int,
        sha256: str,
        filename: str,
        size: int,
        content_type: str,
        now: datetime,
    ) -> int:
        """Keep a received file (its bytes already put in the blob store); returns its id."""
        row = PendingUploadRow(
            person_id=person_id,
            sha256=sha256,
            filename=filename[:255],
            size=size,
            content_type=content_type[:127],
            received_at=now,
        )
        self._s.add(row)
        await self._s.flush()
        return row.id

    async def get(self, upload_id: int) -> PendingUpload | None:
        """The pending upload with this id, if any."""
        row = await self._s.get(PendingUploadRow, upload_id)
        if row is None:
            return None
        return PendingUpload(
            row.id,
            row.person_id,
            row.sha256,
            row.filename,
            row.size,
            row.content_type,
            row.received_at,
        )

    async def remove(self, upload_id: int) -> None:
        """Forget a pending upload (once it has become evidence)."""
        await self._s.execute(delete(PendingUploadRow).where(PendingUploadRow.id == upload_id))
