"""Conversation references: how to reach each person in Teams for proactive messages."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from appraisal.inputs import clean_strings, clean_text
from storage.dialect import insert_for
from storage.tables import ConversationRefRow


class SqlConversationRefs:
    """One reference per Teams user (object id), kept current."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def save(
        self,
        aad_object_id: str,
        tenant_id: str,
        person_id: int | None,
        reference: dict[str, Any],
        now: datetime,
    ) -> None:
        """Store or refresh a person's conversation reference (an upsert: Teams sends the first
        installationUpdate and conversationUpdate at the same moment).

        The reference is the activity's own JSON, display names and all: its strings are cleaned
        (`clean_strings`) so that both stores keep the same thing, whatever the sender put in.
        """
        values = {
            "aad_object_id": aad_object_id.lower(),
            "tenant_id": clean_text(tenant_id)[:64],
            "person_id": person_id,
            "reference": clean_strings(reference),
            "updated_at": now,
        }
        insert = insert_for(self._s)
        statement = insert(ConversationRefRow).values(**values)
        statement = statement.on_conflict_do_update(
            index_elements=[ConversationRefRow.aad_object_id],
            set_={k: statement.excluded[k] for k in values if k != "aad_object_id"},
        )
        await self._s.execute(statement)

    async def get(self, aad_object_id: str) -> dict[str, Any] | None:
        """A person's stored reference, if they have talked to the bot."""
        row = await self._s.get(ConversationRefRow, aad_object_id.lower())
        return dict(row.reference) if row else None

    async def for_person(self, person_id: int) -> dict[str, Any] | None:
        """The stored reference of a roster person, if any."""
        query = select(ConversationRefRow).where(ConversationRefRow.person_id == person_id)
        row = await self._s.scalar(query.order_by(ConversationRefRow.updated_at.desc()).limit(1))
        return dict(row.reference) if row else None
