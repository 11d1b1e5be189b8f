"""Evidence files, stored once per content (addressed by SHA-256)."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.tables import EvidenceBlobRow


class SqlBlobs:
    """Content-addressed evidence bytes."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def put(self, data: bytes, content_type: str, now: datetime) -> str:
        """Store the bytes (once) and return their SHA-256."""
        digest = hashlib.sha256(data).hexdigest()
        exists = await self._s.scalar(
            select(EvidenceBlobRow.sha256).where(EvidenceBlobRow.sha256 == digest)
        )
        if exists is None:
            self._s.add(
                EvidenceBlobRow(
                    sha256=digest,
                    size=len(data),
                    content_type=content_type[:127],
                    data=data,
                    stored_at=now,
                )
            )
            await self._s.flush()
        return digest

    async def get(self, sha256: str) -> bytes | None:
        """The bytes stored under a digest, if any."""
        return await self._s.scalar(
            select(EvidenceBlobRow.data).where(EvidenceBlobRow.sha256 == sha256)
        )
