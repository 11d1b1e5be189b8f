"""Evidence in the 1:1 chat: files received, classified, listed, removed and sent back.

A headteacher drops a file into the chat. If they have an appraisal open for evidence and the
file is of a type we keep, it is downloaded (bounded in size and time), and its bytes and a
pending upload are stored in one transaction; a card then asks what it is evidence of. Its
button adds the evidence through the domain (audited, checked for role and stage) and removes
the pending upload in the same transaction. Anything refused stores nothing.

A copy goes back only to someone who sees the appraisal in full: a FileConsentCard first, and
once they accept, the bytes are PUT to the OneDrive upload URL Teams gives us.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from botbuilder.core import MessageFactory
from botbuilder.schema import Activity, Attachment

from appraisal.commands import AddEvidence, Command, RemoveEvidence
from appraisal.errors import ActionNotAllowed, ConcurrencyConflict, InvalidInput, NotFound
from appraisal.inputs import card_number
from appraisal.model import Appraisal, AuditEvent, roles_on
from appraisal.ports import PendingUpload, Person, UnitOfWork
from appraisal.roles import Role
from appraisal.stages import Action
from appraisal.visibility import Visibility, redact, visibility
from appraisal.workflow import check_allowed, rule_for
from bot import files
from bot.invoke import card_message
from bot.outbound import OutboundPolicy
from bot.wiring import Product
from cards.common import message_card
from cards.evidence import (
    ADD_EVIDENCE,
    EVIDENCE_FOR_APPRAISAL,
    EVIDENCE_REF,
    REMOVE_EVIDENCE,
    SEND_EVIDENCE,
    SHOW_EVIDENCE,
    ReceivedFile,
    build_choose_appraisal_card,
    build_classify_card,
    build_evidence_list_card,
    evidence_refused_card,
    file_consent_attachment,
    file_info_attachment,
    file_refused_card,
    inline_image_card,
    not_headteacher_card,
    nothing_open_card,
    parse_evidence,
)

log = logging.getLogger("htpm.evidence")

#: Sends one activity in the current turn (TurnContext.send_activity).
Send = Callable[[Activity], Awaitable[Any]]
Card = dict[str, Any]

NOT_FOUND = "That appraisal could not be found."
UPLOAD_GONE = "That file is no longer waiting to be added. Send it to me again."


def _attachment(data: dict[str, Any]) -> Attachment:
    return Attachment(
        content_type=data["contentType"],
        content_url=data.get("contentUrl"),
        name=data.get("name"),
        content=data.get("content"),
    )


class EvidenceChat:
    """Receiving evidence files, the evidence buttons, and sending copies back."""

    def __init__(
        self,
        product: Product,
        clock: Callable[[], datetime],
        *,
        outbound: OutboundPolicy | None = None,
    ) -> None:
        self._product = product
        self._clock = clock
        # Where downloads and uploads may go; the production policy unless told otherwise.
        self._outbound = outbound or OutboundPolicy()
        self._tz = ZoneInfo(product.settings.timezone)

    # --- files received ---------------------------------------------------------------------

    async def receive(self, person: Person, attachments: Sequence[Any] | None) -> list[Card]:
        """The cards answering a message's files and pasted images (none if it has neither)."""
        offers, images = files.files_in(attachments)
        answers: list[Card] = [inline_image_card()] if images else []
        if images:
            log.info("declined a pasted image", extra={"outcome": "refused"})
        if not offers:
            return answers
        async with self._product.ctx.uow() as tx:
            mine = [
                a for a in await tx.appraisals.involving(person.id) if a.headteacher_id == person.id
            ]
        heads = any(role is Role.HEADTEACHER for role, _urn in person.school_roles)
        if not mine and not heads:
            log.info(
                "refused a file from someone who is not a headteacher", extra={"outcome": "refused"}
            )
            return [*answers, not_headteacher_card()]
        open_now = [a for a in mine if rule_for(a.stage, Action.ADD_EVIDENCE) is not None]
        if not open_now:
            log.info("refused a file: no appraisal open for evidence", extra={"outcome": "refused"})
            return [*answers, nothing_open_card()]
        for offer in offers:
            answers.append(await self._keep(person, offer, open_now))
        return answers

    async def _keep(
        self, person: Person, offer: files.FileOffer, open_now: list[Appraisal]
    ) -> Card:
        """Fetch, check and store one file; the card asking what it is, or why it was refused."""
        ext = files.allowed_extension(offer)
        if ext is None:
            log.info("refused a file type", extra={"outcome": "refused"})
            return file_refused_card(offer.name, "type", allowed=files.ALLOWED_PHRASE)
        limit = self._product.settings.evidence_max_bytes
        try:
            data = await files.download(offer.download_url, limit, self._outbound)
        except files.TransferError as failed:
            log.warning("file not received: %s", failed.reason, extra={"outcome": "refused"})
            return file_refused_card(offer.name, failed.reason, limit=limit)
        if not data:
            return file_refused_card(offer.name, "empty")
        if not files.looks_like(ext, data):
            log.warning("file contents do not match its type", extra={"outcome": "refused"})
            return file_refused_card(offer.name, "mismatch")
        content_type = files.ALLOWED_TYPES[ext]
        now = self._clock()
        async with self._product.ctx.uow() as tx:
            digest = await tx.blobs.put(data, content_type, now)
            upload_id = await tx.uploads.add(
                person.id, digest, offer.name, len(data), content_type, now
            )
            await tx.commit()
        log.info("file received", extra={"outcome": "done"})
        received = ReceivedFile(upload_id, offer.name, len(data))
        if len(open_now) == 1:
            return build_classify_card(open_now[0], received)
        return build_choose_appraisal_card(open_now, received)

    # --- buttons ----------------------------------------------------------------------------

    async def handle(
        self, person: Person, verb: str, data: dict[str, Any], send: Send | None
    ) -> Card:
        """The card that replaces the one whose evidence button was pressed."""
        now = self._clock()
        try:
            payload = parse_evidence(verb, data)
        except InvalidInput as bad:
            return await self._invalid(person, verb, data, bad, now)
        if verb == ADD_EVIDENCE:
            return await self._add(person, payload, data, now)
        if verb == REMOVE_EVIDENCE:
            return await self._remove(person, payload, now)
        if verb == SEND_EVIDENCE:
            return await self._offer_copy(person, payload, now, send)
        if verb == EVIDENCE_FOR_APPRAISAL:
            return await self._choose(person, payload, now)
        card = await self._list_card(person, payload.appraisal_id)
        if card is None:
            await self._refused(person, payload.appraisal_id, SHOW_EVIDENCE, now, "NotFound")
            return evidence_refused_card(NOT_FOUND)
        return card

    async def _invalid(self, person, verb: str, data, bad: InvalidInput, now) -> Card:
        appraisal_id = card_number(data.get("appraisal_id"))
        await self._refused(person, appraisal_id, verb, now, "invalid card data")
        if verb == ADD_EVIDENCE and appraisal_id is not None:
            upload = card_number(data.get("upload_id"))
            if upload is not None:
                card = await self._classify_card(
                    person, appraisal_id, upload, problems=bad.problems, values=data
                )
                if card is not None:
                    return card
        return message_card("That did not work", [*bad.problems.values(), "Nothing was changed."])

    async def _refused(self, person, appraisal_id, action: str, now, reason: str) -> None:
        log.warning("evidence action refused", extra={"verb": action, "outcome": "refused"})
        await self._product.appraisals.record_refusal(person.id, appraisal_id, action, now, reason)

    async def _add(self, person: Person, payload, data: dict[str, Any], now) -> Card:
        upload_id = payload.upload_id

        async def take_upload(tx: UnitOfWork, command: Command) -> Command:
            # In the action's own transaction: the file becomes evidence and stops being
            # pending together, or neither happens.
            pending = await tx.uploads.get(upload_id)
            if pending is None or pending.person_id != person.id:
                raise NotFound(UPLOAD_GONE)
            await tx.uploads.remove(pending.id)
            return replace(
                command,
                sha256=pending.sha256,
                size=pending.size,
                content_type=pending.content_type,
            )

        command = AddEvidence(payload.title, payload.kind, payload.objective_ref)
        try:
            # Adding is an append whose card shows only what cannot change (last year's
            # objectives); the stage is checked again by the domain. So a card made before
            # another file was added still works, and its version is not held against it.
            appraisal = await self._product.appraisals.act(
                person.id, payload.appraisal_id, command, now, prepare=take_upload
            )
        except InvalidInput as bad:
            log.info("evidence details refused", extra={"verb": ADD_EVIDENCE, "outcome": "invalid"})
            card = await self._classify_card(
                person, payload.appraisal_id, upload_id, problems=bad.problems, values=data
            )
            return card or evidence_refused_card(" ".join(bad.problems.values()))
        except ConcurrencyConflict as conflict:
            card = await self._classify_card(
                person, payload.appraisal_id, upload_id, values=data, notice=conflict.message
            )
            return card or evidence_refused_card(conflict.message)
        except (ActionNotAllowed, NotFound) as refused:
            log.warning("evidence refused", extra={"verb": ADD_EVIDENCE, "outcome": "refused"})
            return evidence_refused_card(refused.message)
        log.info("evidence added", extra={"verb": ADD_EVIDENCE, "outcome": "done"})
        item = appraisal.evidence[-1]
        roles = roles_on(appraisal, person.id, person.trust_roles, person.school_roles)
        return build_evidence_list_card(
            redact(appraisal, roles), roles, self._tz, done=f"Added {item.ref}: {item.title}"
        )

    async def _remove(self, person: Person, payload, now) -> Card:
        command = RemoveEvidence(payload.evidence_ref)
        try:
            appraisal = await self._product.appraisals.act(
                person.id, payload.appraisal_id, command, now, payload.version
            )
        except (InvalidInput, ConcurrencyConflict, ActionNotAllowed, NotFound) as refused:
            log.info("evidence not removed", extra={"verb": REMOVE_EVIDENCE, "outcome": "refused"})
            notice = f"{refused.message} Nothing was changed."
            card = await self._list_card(person, payload.appraisal_id, notice=notice)
            return card or evidence_refused_card(refused.message)
        log.info("evidence removed", extra={"verb": REMOVE_EVIDENCE, "outcome": "done"})
        roles = roles_on(appraisal, person.id, person.trust_roles, person.school_roles)
        return build_evidence_list_card(
            redact(appraisal, roles), roles, self._tz, done=f"Removed {payload.evidence_ref}."
        )

    async def _choose(self, person: Person, payload, now) -> Card:
        card = await self._classify_card(person, payload.appraisal_id, payload.upload_id)
        if card is None:
            await self._refused(
                person, payload.appraisal_id, EVIDENCE_FOR_APPRAISAL, now, "NotFound"
            )
            return evidence_refused_card(UPLOAD_GONE)
        return card

    async def _classify_card(
        self, person: Person, appraisal_id: int, upload_id: int, **extra: Any
    ) -> Card | None:
        """The classify card for this person's pending upload, if they may still add it."""
        async with self._product.ctx.uow() as tx:
            pending: PendingUpload | None = await tx.uploads.get(upload_id)
            if pending is None or pending.person_id != person.id:
                return None
            try:
                appraisal, actor = await self._product.appraisals.load_for(
                    tx, person.id, appraisal_id
                )
                check_allowed(appraisal, Action.ADD_EVIDENCE, actor)
            except (ActionNotAllowed, NotFound):
                return None
        received = ReceivedFile(pending.id, pending.filename, pending.size)
        return build_classify_card(appraisal, received, **extra)

    async def _list_card(self, person: Person, appraisal_id: int, **extra: Any) -> Card | None:
        """The evidence list, for someone who sees the appraisal in full (else None)."""
        async with self._product.ctx.uow() as tx:
            try:
                appraisal, actor = await self._product.appraisals.load_for(
                    tx, person.id, appraisal_id
                )
            except NotFound:
                return None
        if visibility(actor.roles) is not Visibility.FULL:
            return None
        return build_evidence_list_card(
            redact(appraisal, actor.roles), actor.roles, self._tz, **extra
        )

    # --- copies -----------------------------------------------------------------------------

    async def _offer_copy(self, person: Person, payload, now, send: Send | None) -> Card:
        """Send a FileConsentCard for one evidence file (full visibility only)."""
        try:
            item, data = await self._product.evidence.fetch(
                person.id, payload.appraisal_id, payload.evidence_ref
            )
        except NotFound as refused:
            await self._refused(person, payload.appraisal_id, SEND_EVIDENCE, now, "NotFound")
            return evidence_refused_card(refused.message)
        if send is None:
            return evidence_refused_card("A copy can only be sent in our chat.")
        context = {"appraisal_id": payload.appraisal_id, "evidence_ref": item.ref}
        consent = file_consent_attachment(
            files.copy_name(item.title, item.content_type),
            len(data),
            context,
            f"Evidence {item.ref} from the headteacher's appraisal.",
        )
        await send(MessageFactory.attachment(_attachment(consent)))
        log.info("offered a copy of evidence", extra={"verb": SEND_EVIDENCE, "outcome": "done"})
        notice = (
            f"I've sent you a card for {item.ref}. Choose Allow on it to save a copy to your "
            "OneDrive."
        )
        card = await self._list_card(person, payload.appraisal_id, done=notice)
        return card or message_card("Copy on its way", [notice])

    async def consent_accepted(
        self, person: Person, context: Any, upload_info: Any, send: Send
    ) -> None:
        """Save the copy the person consented to in their OneDrive, then show its file card."""
        now = self._clock()
        appraisal_id, ref = _consent_target(context)
        upload_url = getattr(upload_info, "upload_url", None)
        if appraisal_id is None or ref is None or not upload_url:
            await self._refused(person, appraisal_id, SEND_EVIDENCE, now, "invalid consent data")
            await send(card_message(evidence_refused_card("That file card is not valid.")))
            return
        try:
            # Checked again: the person may have lost sight of the appraisal since the offer.
            item, data = await self._product.evidence.fetch(person.id, appraisal_id, ref)
        except NotFound as refused:
            await self._refused(person, appraisal_id, SEND_EVIDENCE, now, "NotFound")
            await send(card_message(evidence_refused_card(refused.message)))
            return
        try:
            await files.upload(str(upload_url), data, self._outbound)
        except files.TransferError as failed:
            log.warning("copy not saved: %s", failed.reason, extra={"outcome": "failed"})
            await send(
                card_message(
                    message_card(
                        "The copy was not saved",
                        [
                            f"I couldn't save {item.ref} to your OneDrive. Ask for a copy "
                            "again from the evidence list."
                        ],
                    )
                )
            )
            return
        await self._audit_copy(person, appraisal_id, ref, now)
        log.info("saved a copy of evidence", extra={"verb": SEND_EVIDENCE, "outcome": "done"})
        info = file_info_attachment(
            str(getattr(upload_info, "name", "") or files.copy_name(item.title, item.content_type)),
            str(getattr(upload_info, "content_url", "") or ""),
            str(getattr(upload_info, "unique_id", "") or ""),
            str(getattr(upload_info, "file_type", "") or ""),
        )
        reply = MessageFactory.attachment(_attachment(info))
        reply.text = f"Here is your copy of evidence {item.ref}."
        reply.text_format = "plain"
        await send(reply)

    async def consent_declined(self, person: Person, context: Any, send: Send) -> None:
        """The person declined the copy: say so briefly."""
        _appraisal_id, ref = _consent_target(context)
        what = f"evidence {ref}" if ref else "that file"
        message = MessageFactory.text(f"All right, I haven't saved a copy of {what}.")
        message.text_format = "plain"
        await send(message)

    async def _audit_copy(self, person: Person, appraisal_id: int, ref: str, now) -> None:
        # A copy leaving the store is recorded, as every change is.
        async with self._product.ctx.uow() as tx:
            appraisal = await tx.appraisals.get(appraisal_id)
            stage = appraisal.stage if appraisal else None
            await tx.audit.append(
                AuditEvent(
                    appraisal_id, person.id, now, SEND_EVIDENCE, stage, stage, f"evidence {ref}"
                )
            )
            await tx.commit()


def _consent_target(context: Any) -> tuple[int | None, str | None]:
    """The appraisal id and evidence reference a consent card was for, if well formed."""
    context = context if isinstance(context, dict) else {}
    raw_ref = context.get("evidence_ref")
    ref = raw_ref if isinstance(raw_ref, str) and re.fullmatch(EVIDENCE_REF, raw_ref) else None
    return card_number(context.get("appraisal_id")), ref
