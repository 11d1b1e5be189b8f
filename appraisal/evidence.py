"""Evidence files: stored and attached in one transaction, served only to those who may see them."""

from __future__ import annotations

from datetime import datetime

from appraisal.commands import AddEvidence
from appraisal.errors import ConcurrencyConflict, InvalidInput, NotFound
from appraisal.model import Appraisal
from appraisal.ports import StaleVersion
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
        async with self._ctx.uow() as tx:
            digest = await tx.blobs.put(data, content_type, now)
            command = AddEvidence(title, kind, objective_ref, digest, len(data), content_type)
            try:
                changed = await self._appraisals.apply_in(tx, person_id, appraisal_id, command, now)
            except StaleVersion:
                changed = None
            else:
                await tx.commit()
        if changed is None:
            raise ConcurrencyConflict(await self._appraisals.current(appraisal_id))
        return changed

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
