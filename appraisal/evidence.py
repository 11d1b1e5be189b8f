"""Evidence files: stored and attached in one transaction, served only to those who may see them."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from appraisal.commands import AddEvidence, Command
from appraisal.errors import InvalidInput, NotFound
from appraisal.model import Appraisal
from appraisal.ports import UnitOfWork
from appraisal.record import EvidenceItem, EvidenceKind
from appraisal.services import AppraisalService, Context
from appraisal.visibility import Visibility, visibility


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


class EvidenceService:
    """Attaching evidence files to an appraisal and fetching them back."""

    def __init__(self, ctx: Context, appraisals: AppraisalService) -> None:
        self._ctx = ctx
        self._appraisals = appraisals

    async def attach(
        self,
        person_id: int,
        appraisal_id: int,
        data: bytes,
        content_type: str,
        title: str,
        kind: EvidenceKind,
        objective_ref: str | None,
        now: datetime,
    ) -> Appraisal:
        """Store the bytes and add the evidence item together, or neither."""
        limit = self._ctx.evidence_max_bytes
        if len(data) > limit:
            raise InvalidInput(
                {"file": f"The file is {_megabytes(len(data))}; the limit is {_megabytes(limit)}."}
            )
        if not data:
            raise InvalidInput({"file": "The file is empty."})

        async def store_bytes(tx: UnitOfWork, command: Command) -> Command:
            digest = await tx.blobs.put(data, content_type, now)
            return replace(command, sha256=digest)

        command = AddEvidence(title, kind, objective_ref, None, len(data), content_type)
        return await self._appraisals.act(
            person_id, appraisal_id, command, now, prepare=store_bytes
        )

    async def fetch(
        self, person_id: int, appraisal_id: int, evidence_ref: str
    ) -> tuple[EvidenceItem, bytes]:
        """An evidence item and its bytes, for someone who may see the full record."""
        async with self._ctx.uow() as tx:
            appraisal, actor = await AppraisalService.load_for(tx, person_id, appraisal_id)
            if visibility(actor.roles) is not Visibility.FULL:
                raise NotFound("That evidence could not be found.")
            item = next((e for e in appraisal.evidence if e.ref == evidence_ref), None)
            data = await tx.blobs.get(item.sha256) if item and item.sha256 else None
            if item is None or data is None:
                raise NotFound("That evidence could not be found.")
            return item, data
