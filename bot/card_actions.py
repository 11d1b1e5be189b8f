"""Card buttons: each verb validated into a command, taken as the authenticated person."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from appraisal.errors import ActionNotAllowed, ConcurrencyConflict, InvalidInput, NotFound
from appraisal.ports import Person
from appraisal.stages import Action
from bot.views import Views
from bot.wiring import Product
from cards.common import execute, message_card
from cards.payloads import VIEW_VERBS, parse_action

log = logging.getLogger("htpm.cards")


class CardActions:
    """Runs a card's verb for a person and answers with the card to show in its place."""

    def __init__(self, product: Product, views: Views, clock: Callable[[], datetime]) -> None:
        self._product = product
        self._views = views
        self._clock = clock

    async def handle(self, person: Person, verb: Any, data: Any) -> dict[str, Any]:
        """The card that replaces the one acted on; refusals change nothing and are audited."""
        now = self._clock()
        data = data if isinstance(data, dict) else {}
        if verb in VIEW_VERBS:
            return await self._views.by_verb(str(verb), person, now)
        try:
            action = Action(verb)
        except ValueError:
            log.warning("refused an unknown card verb", extra={"outcome": "refused"})
            await self._product.appraisals.record_refusal(
                person.id, None, "unknown_verb", now, "the card's verb is not one of ours"
            )
            return message_card(
                "That button no longer works",
                ["Nothing was changed. Here is where things stand now."],
                [execute("All my appraisals", "show_status")],
            )
        tz = self._product.ctx.calendars.for_nation("england").tz
        try:
            payload, command = parse_action(action, data, tz)
        except InvalidInput as bad:
            raw_id = data.get("appraisal_id")
            target = raw_id if isinstance(raw_id, int) and raw_id > 0 else None
            await self._product.appraisals.record_refusal(
                person.id, target, action.value, now, "invalid card data"
            )
            return message_card(
                "That did not work", [*bad.problems.values(), "Nothing was changed."]
            )
        return await self._act(person, action, payload.appraisal_id, payload.version, command, now)

    async def _act(self, person, action, appraisal_id, version, command, now) -> dict[str, Any]:
        appraisals = self._product.appraisals
        try:
            await appraisals.act(person.id, appraisal_id, command, now, version)
        except InvalidInput as bad:
            log.info("card data refused", extra={"verb": action.value, "outcome": "invalid"})
            return message_card(
                "Please check",
                [*bad.problems.values(), "Nothing was changed."],
                [execute("My next step", "show_next")],
            )
        except ConcurrencyConflict as conflict:
            log.info("stale card", extra={"verb": action.value, "outcome": "conflict"})
            return message_card(
                "This has moved on",
                [conflict.message, "Nothing was changed."],
                [execute("My next step", "show_next")],
            )
        except (ActionNotAllowed, NotFound) as refused:
            log.warning("card action refused", extra={"verb": action.value, "outcome": "refused"})
            return message_card(
                "That was not done",
                [refused.message, "Nothing was changed."],
                [execute("All my appraisals", "show_status")],
            )
        log.info("card action done", extra={"verb": action.value, "outcome": "done"})
        return await self._views.next_card(person, now, done=action.label)
