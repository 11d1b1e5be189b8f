"""Card buttons: each verb validated into a command, taken as the authenticated person.

After any button the acted-on card is replaced by the appraisal's card as it now stands, so no
card keeps buttons that no longer apply. Bad input re-shows the same card with the messages
beside the inputs and what was typed kept; refusals change nothing and are audited.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from appraisal.commands import Command, RecordMeeting
from appraisal.errors import ActionNotAllowed, ConcurrencyConflict, InvalidInput, NotFound
from appraisal.inputs import card_number, clean_strings
from appraisal.ports import Person, UnitOfWork
from appraisal.stages import Action
from appraisal.workflow import check_allowed
from bot.evidence import EvidenceChat, Send
from bot.outbound import OutboundPolicy
from bot.problems import to_inputs
from bot.views import NOT_FOUND, Views
from bot.wiring import Product
from cards.common import execute, message_card
from cards.evidence import EVIDENCE_VERBS
from cards.pages.base import MEETING_FORMS
from cards.payloads import (
    VIEW_VERBS,
    bad_ids,
    meeting_record_from,
    parse_action,
    parse_arrangements,
    parse_judgements,
    parse_objectives,
)
from cards.router import STEPS

log = logging.getLogger("htpm.cards")

#: The card a verb's inputs came from, to show again when they need correcting.
STEP_OF_VERB = {
    "propose_date": "propose_date",
    "propose_other_date": "confirm_date",
    "request_changes": "approve",
    "acknowledge": "acknowledge",
    "self_evaluate": "self_evaluate",
    "record_mid_year": "record_mid_year",
    "save_judgements": "meeting_judgements",
    "save_objectives": "meeting_objectives",
    "record_meeting": "meeting_arrangements",
}
#: The meeting record's cards, in order: each save shows the next.
APPRAISAL_VIEWS = frozenset({"refresh", "show_appraisal"})
#: Every verb a card of ours sends (others are audited as 'unknown_verb', never by name).
KNOWN_VERBS = frozenset(
    {
        *VIEW_VERBS,
        *EVIDENCE_VERBS,
        *APPRAISAL_VIEWS,
        *STEP_OF_VERB,
        "show_form",
        *(action.value for action in Action),
    }
)
#: The answer to a card whose ids no card of ours carries (tampered with, or not ours).
INVALID_CARD = message_card(
    "That card is not valid",
    ["It does not name an appraisal or file in a way I can use. Nothing was changed."],
    [execute("All my appraisals", "show_status")],
)


def _appraisal_id(data: dict[str, Any]) -> int | None:
    return card_number(data.get("appraisal_id"))


class CardActions:
    """Runs a card's verb for a person and answers with the card to show in its place."""

    def __init__(
        self,
        product: Product,
        views: Views,
        clock: Callable[[], datetime],
        *,
        outbound: OutboundPolicy | None = None,
    ) -> None:
        self._product = product
        self._views = views
        self._clock = clock
        self._tz = ZoneInfo(product.settings.timezone)
        self._evidence = EvidenceChat(product, clock, outbound=outbound)

    async def handle(
        self,
        person: Person,
        verb: Any,
        data: Any,
        teams_id: str | None = None,
        *,
        reply: Send | None = None,
    ) -> dict[str, Any]:
        """The card that replaces the one acted on."""
        now = self._clock()
        data = data if isinstance(data, dict) else {}
        verb = verb if isinstance(verb, str) else ""
        appraisal_id = _appraisal_id(data)
        if bad_ids(data):
            return await self._invalid_ids(person, appraisal_id, verb, now)
        if verb in VIEW_VERBS:
            return await self._views.by_verb(verb, person, now, teams_id)
        if verb in EVIDENCE_VERBS:  # files in chat: bot/evidence.py (`reply` sends file cards)
            return await self._evidence.handle(person, verb, data, reply)
        if verb in APPRAISAL_VIEWS or verb == "show_form":
            # The router shows a named step only to someone it is permitted for.
            form = data.get("form")
            step = form if isinstance(form, str) and form in STEPS else None
            card = None
            if appraisal_id is not None:
                card = await self._views.step_card(person, appraisal_id, now, teams_id, step)
            return card or NOT_FOUND
        if verb in ("save_judgements", "save_objectives"):
            return await self._save_part(person, verb, appraisal_id, data, now, teams_id)
        if verb == "record_meeting":
            return await self._record_meeting(person, appraisal_id, data, now, teams_id)
        try:
            action = Action(verb)
        except ValueError:
            return await self._refuse(person, appraisal_id, "unknown_verb", now, "unknown verb")
        try:
            payload, command = parse_action(action, data, self._tz)
        except InvalidInput as bad:
            return await self._reshow(person, appraisal_id, verb, bad, data, now, teams_id)
        card, _done = await self._act(
            person, payload.appraisal_id, payload.version, command, data, now, teams_id
        )
        return card

    async def _act(self, person, appraisal_id, version, command, data, now, teams_id, prepare=None):
        """Take the action; returns the card to show and whether the action was taken.

        `prepare` runs in the action's own transaction (see AppraisalService.act).
        """
        appraisals = self._product.appraisals
        verb = command.action.value
        try:
            changed = await appraisals.act(
                person.id, appraisal_id, command, now, version, person=person, prepare=prepare
            )
        except InvalidInput as bad:
            log.info("card data refused", extra={"verb": verb, "outcome": "invalid"})
            card = await self._reshow(
                person, appraisal_id, verb, bad, data, now, teams_id, audit=False
            )
            return card, False
        except ConcurrencyConflict as conflict:
            log.info("stale card", extra={"verb": verb, "outcome": "conflict"})
            notice = f"{conflict.message} Nothing was changed."
            return await self._current(person, appraisal_id, now, teams_id, notice), False
        except (ActionNotAllowed, NotFound) as refused:
            log.warning("card action refused", extra={"verb": verb, "outcome": "refused"})
            notice = f"{refused.message} Nothing was changed."
            return await self._current(person, appraisal_id, now, teams_id, notice), False
        log.info("card action done", extra={"verb": verb, "outcome": "done"})
        # The card pressed is replaced by the same appraisal as it now stands.
        notice = f"Done: {command.action.done_label}."
        card = await self._views.step_card(
            person, appraisal_id, now, teams_id, notice=notice, appraisal=changed
        )
        if card is None:
            card = await self._views.next_card(person, now, teams_id, done=notice)
        return card, True

    async def _current(self, person, appraisal_id, now, teams_id, notice: str) -> dict[str, Any]:
        card = await self._views.step_card(person, appraisal_id, now, teams_id, notice=notice)
        if card is not None:
            return card
        return message_card(
            "That was not done", [notice], [execute("All my appraisals", "show_status")]
        )

    async def _reshow(
        self,
        person,
        appraisal_id,
        verb,
        bad: InvalidInput,
        data,
        now,
        teams_id,
        *,
        audit: bool = True,
        step: str | None = None,
    ) -> dict[str, Any]:
        """The same card again, with each message beside its input and the values kept."""
        if audit:
            await self._product.appraisals.record_refusal(
                person.id, appraisal_id, verb[:40], now, "invalid card data"
            )
        by_input, general = to_inputs(bad.problems)
        notice = " ".join([*general, "Please check the highlighted answers."])
        card = None
        if appraisal_id is not None:
            card = await self._views.step_card(
                person,
                appraisal_id,
                now,
                teams_id,
                step or STEP_OF_VERB.get(verb),
                notice=notice,
                problems=by_input,
                values=data,
            )
        return card or message_card(
            "That did not work", [*bad.problems.values(), "Nothing was changed."]
        )

    async def _refuse(self, person, appraisal_id, action: str, now, reason: str):
        log.warning("refused a card action", extra={"outcome": "refused"})
        await self._product.appraisals.record_refusal(person.id, appraisal_id, action, now, reason)
        return message_card(
            "That button no longer works",
            ["Nothing was changed. Here is where things stand now."],
            [execute("All my appraisals", "show_status")],
        )

    async def _invalid_ids(self, person: Person, appraisal_id: int | None, verb: str, now):
        """Refuse, and audit, data whose ids are not ones a card of ours holds."""
        log.warning("card ids refused", extra={"outcome": "refused"})
        action = verb if verb in KNOWN_VERBS else "unknown_verb"
        await self._product.appraisals.record_refusal(
            person.id, appraisal_id, action, now, "invalid card data"
        )
        return INVALID_CARD

    async def _may_record(self, person: Person, appraisal_id: int | None, verb: str, now):
        """The appraisal, if this person may record its meeting now; else the refusal card."""
        if appraisal_id is None:
            return None, await self._refuse(person, None, verb, now, "invalid card data")
        async with self._product.ctx.uow() as tx:
            try:
                appraisal, actor = await self._product.appraisals.load_for(
                    tx, person.id, appraisal_id
                )
                check_allowed(appraisal, Action.RECORD_MEETING, actor)
            except (ActionNotAllowed, NotFound) as refused:
                await self._product.appraisals.record_refusal(
                    person.id, appraisal_id, verb, now, type(refused).__name__
                )
                return None, await self._current(
                    person, appraisal_id, now, None, f"{refused.message} Nothing was changed."
                )
        return appraisal, None

    async def _save_part(self, person, verb, appraisal_id, data, now, teams_id):
        """Keep one card of the meeting record and show the next."""
        appraisal, refused = await self._may_record(person, appraisal_id, verb, now)
        if appraisal is None:
            return refused
        try:
            if verb == "save_judgements":
                parse_judgements(data, appraisal.previous_objectives)
            else:
                parse_objectives(data)
        except InvalidInput as bad:
            return await self._reshow(
                person, appraisal.id, verb, bad, data, now, teams_id, audit=False
            )
        part = "judgements" if verb == "save_judgements" else "objectives"
        async with self._product.ctx.uow() as tx:
            # Kept as typed, but without what either store would refuse or show reversed.
            saved = clean_strings(data, multiline=True)
            await tx.drafts.save(appraisal.id, person.id, part, saved, now)
            await tx.commit()
        following = MEETING_FORMS[MEETING_FORMS.index(STEP_OF_VERB[verb]) + 1]
        card = await self._views.step_card(person, appraisal.id, now, teams_id, following)
        return card or NOT_FOUND

    async def _record_meeting(self, person, appraisal_id, data, now, teams_id):
        """Put the three cards together into the meeting record and record it."""
        appraisal, refused = await self._may_record(person, appraisal_id, "record_meeting", now)
        if appraisal is None:
            return refused
        async with self._product.ctx.uow() as tx:
            parts = await tx.drafts.parts(appraisal.id, person.id)
        try:
            arrangements = parse_arrangements(data)
            judgements = parse_judgements(
                parts.get("judgements", {}), appraisal.previous_objectives
            )
            objectives = parse_objectives(parts.get("objectives", {}))
            record = meeting_record_from(judgements, objectives, arrangements)
        except InvalidInput as bad:
            # Show the card the first problem belongs to, filled in as it was saved.
            keys = " ".join(to_inputs(bad.problems)[0])
            step, values = "meeting_arrangements", data
            if any(k in keys for k in ("judgement_", "reasons_", "mitigating_")):
                step, values = "meeting_judgements", parts.get("judgements", {})
            elif "objective_" in keys:
                step, values = "meeting_objectives", parts.get("objectives", {})
            return await self._reshow(
                person,
                appraisal.id,
                "record_meeting",
                bad,
                values,
                now,
                teams_id,
                audit=False,
                step=step,
            )
        version = card_number(data.get("version"))

        async def clear_drafts(tx: UnitOfWork, command: Command) -> Command:
            # In the record's own transaction: the drafts go only if the record is kept, and
            # before the card answering it is built (which would offer to continue them).
            await tx.drafts.clear(appraisal.id, person.id)
            return command

        card, _done = await self._act(
            person,
            appraisal.id,
            version,
            RecordMeeting(record),
            data,
            now,
            teams_id,
            prepare=clear_drafts,
        )
        return card
