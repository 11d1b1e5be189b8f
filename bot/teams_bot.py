"""The bot's turn handling: who is writing, from which tenant, and what they asked for."""

from __future__ import annotations

import logging
import re
import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime
from http import HTTPStatus
from typing import Any

from botbuilder.core import InvokeResponse, TurnContext
from botbuilder.core.teams import TeamsActivityHandler, TeamsInfo
from botbuilder.schema import (
    Activity,
    ActivityTypes,
    AdaptiveCardInvokeResponse,
    AdaptiveCardInvokeValue,
    ChannelAccount,
)
from botbuilder.schema.teams import FileConsentCardResponse

from appraisal.identity import IdentityService
from appraisal.inputs import is_object_id
from appraisal.ports import Person
from bot import logs
from bot.card_actions import CardActions
from bot.evidence import EvidenceChat
from bot.invoke import (
    card_answer_body,
    card_invoke_response,
    card_message,
    invoke_card_response,
)
from bot.outbound import OutboundPolicy
from bot.views import Views
from bot.wiring import Product
from cards.common import message_card

log = logging.getLogger("htpm.bot")

#: The commands a person can type (the Teams manifest lists the same ones).
COMMANDS = ("help", "status", "next")
HELP_WORDS = frozenset({"help", "hi", "hello", "hey", "start", "?", "menu"})
_EMAIL = re.compile(r"[^@\s,;<>]+@[^@\s,;<>]+\.[A-Za-z]{2,}")


def _teams_id(activity: Activity) -> str | None:
    """The sender's Teams user id (for a card's refresh.userIds)."""
    return activity.from_property.id if activity.from_property else None


def member_email(email: str | None, upn: str | None) -> str | None:
    """The address to find a Teams member on the roster by: their email, else a plain UPN."""
    address = (email or "").strip() or (upn or "").strip()
    # A guest's `#EXT#` UPN is a name the trust's tenant made up from the address they were
    # invited at, not their address (and `a_b_c.example` decodes two ways): never an identity.
    if "#ext#" in address.lower() or not _EMAIL.fullmatch(address):
        return None
    return address


def tenant_of(activity: Activity) -> str | None:
    """The tenant an activity comes from (channelData.tenant.id, else conversation.tenantId)."""
    data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    tenant = data.get("tenant") if isinstance(data.get("tenant"), dict) else {}
    found = tenant.get("id") or getattr(activity.conversation, "tenant_id", None)
    return str(found).lower() if found else None


#: The invokes the bot answers (Teams sends others only to apps that declare them).
HANDLED_INVOKES = frozenset({"adaptiveCard/action", "fileConsent/invoke"})
NOT_HANDLED = "HTPM bot can't do that here. Type help to see what it can do."
NOT_READABLE = "HTPM bot couldn't read that action. Nothing was changed; type next to try again."


def _invoke_value_fits(activity: Activity) -> bool:
    """False when a card or file-consent invoke's value is not the object the SDK reads."""
    if activity.name == "adaptiveCard/action":
        value = activity.value
        action = value.get("action") if isinstance(value, dict) else None
        # Any other type makes the SDK answer with an error body it then cannot serialise.
        return isinstance(action, dict) and action.get("type") == "Action.Execute"
    if activity.name == "fileConsent/invoke":
        value = activity.value
        return isinstance(value, dict) and all(
            isinstance(value.get(key), (dict, type(None))) for key in ("context", "uploadInfo")
        )
    return True


def _invoke_answer(name: object, text: str) -> InvokeResponse:
    """A 200 answer to an invoke, in the form its kind expects, that Teams shows as a message."""
    kind = name if isinstance(name, str) else ""
    if kind.startswith("task/"):
        body: dict[str, Any] = {"task": {"type": "message", "value": text}}
    elif kind.startswith("composeExtension/"):
        body = {"composeExtension": {"type": "message", "text": text}}
    else:  # Universal Actions' message answer; other clients ignore the body
        body = {
            "statusCode": 200,
            "type": "application/vnd.microsoft.activity.message",
            "value": text,
        }
    return InvokeResponse(status=int(HTTPStatus.OK), body=body)


class RecentReferences:
    """The conversation references this process stored lately, so as not to write them again.

    Every activity carries its sender's reference; it changes only when Teams moves the chat
    (or the person's roster entry changes), so writing it each time would add a write
    transaction to every message and button. The activity's own id is left out of the
    comparison, and a reference is written again after an hour in any case (another instance
    may have stored a different one). Bounded, oldest forgotten first.
    """

    LIMIT = 10_000
    REWRITE_AFTER_SECONDS = 3600.0

    def __init__(self) -> None:
        self._seen: OrderedDict[str, tuple[Any, float]] = OrderedDict()

    @staticmethod
    def _key(tenant: str, person_id: int | None, reference: dict[str, Any]) -> Any:
        return (tenant, person_id, {k: v for k, v in reference.items() if k != "activityId"})

    def changed(
        self, aad: str, tenant: str, person_id: int | None, reference: dict[str, Any]
    ) -> bool:
        """True unless this same reference was stored by this process within the hour."""
        seen = self._seen.get(aad)
        fresh = seen is not None and time.monotonic() - seen[1] < self.REWRITE_AFTER_SECONDS
        return not (fresh and seen[0] == self._key(tenant, person_id, reference))

    def stored(
        self, aad: str, tenant: str, person_id: int | None, reference: dict[str, Any]
    ) -> None:
        self._seen[aad] = (self._key(tenant, person_id, reference), time.monotonic())
        self._seen.move_to_end(aad)
        while len(self._seen) > self.LIMIT:
            self._seen.popitem(last=False)


class HtpmBot(TeamsActivityHandler):
    """Recognises the person, keeps their conversation reference, answers commands and cards."""

    def __init__(
        self,
        product: Product,
        tenants: frozenset[str],
        clock: Callable[[], datetime],
        *,
        outbound: OutboundPolicy | None = None,
    ) -> None:
        self._product = product
        self._tenants = tenants
        self._clock = clock
        self._identity = IdentityService(product.ctx)
        self._views = Views(product)
        self._cards = CardActions(product, self._views, clock, outbound=outbound)
        self._evidence = EvidenceChat(product, clock, outbound=outbound)
        self._references = RecentReferences()

    async def on_turn(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        sender = activity.from_property or ChannelAccount()
        logs.activity_id.set(logs.safe_id(activity.id))
        logs.person.set(logs.hash_person(sender.aad_object_id))
        tenant = tenant_of(activity)
        if self._tenants and tenant not in self._tenants:
            log.warning(
                "refused an activity from a tenant that is not allowed",
                extra={"outcome": "refused"},
            )
            await self._refuse_tenant(turn_context)
            return
        await super().on_turn(turn_context)

    async def _refuse_tenant(self, turn_context: TurnContext) -> None:
        text = "HTPM bot is not available for your organisation."
        if turn_context.activity.type == ActivityTypes.message:
            await turn_context.send_activity(text)
        elif turn_context.activity.type == ActivityTypes.invoke:
            await turn_context.send_activity(
                invoke_card_response(message_card("Not available", [text]))
            )

    async def _person(self, turn_context: TurnContext) -> Person | None:
        sender = turn_context.activity.from_property or ChannelAccount()

        async def email_from_teams() -> str | None:
            try:
                member = await TeamsInfo.get_member(turn_context, sender.id)
            except Exception as exc:  # the connector may refuse; the person is then unknown
                log.warning("could not look up the member: %s", logs.describe_exception(exc))
                return None
            return member_email(member.email, member.user_principal_name)

        person = await self._identity.identify(
            sender.aad_object_id, email_from_teams, self._clock()
        )
        await self._remember(turn_context, person)
        return person

    async def _remember(self, turn_context: TurnContext, person: Person | None) -> None:
        activity = turn_context.activity
        aad = (activity.from_property or ChannelAccount()).aad_object_id
        # Keyed by the object id: one that is not an Entra GUID is no one's, and is not kept.
        if not is_object_id(aad) or activity.conversation is None:
            return
        reference = TurnContext.get_conversation_reference(activity).serialize()
        tenant, person_id = tenant_of(activity) or "", person.id if person else None
        if not self._references.changed(aad, tenant, person_id, reference):
            return
        async with self._product.ctx.uow() as tx:
            await tx.conversations.save(aad, tenant, person_id, reference, self._clock())
            await tx.commit()
        self._references.stored(aad, tenant, person_id, reference)

    async def _audit_unreadable(self, turn_context: TurnContext) -> None:
        """Audit an invoke whose value could not be read as a refusal, if the sender is known."""
        person = await self._person(turn_context)
        if person is None:
            return
        consent = turn_context.activity.name == "fileConsent/invoke"
        await self._product.appraisals.record_refusal(
            person.id,
            None,
            "send_evidence" if consent else "unknown_verb",
            self._clock(),
            "invalid invoke value",
        )

    async def _not_on_roster(self, turn_context: TurnContext) -> None:
        ask = await self._identity.who_to_ask()
        who = ", ".join(f"{p.name} ({p.email})" for p in ask) or "your trust's administrator"
        await turn_context.send_activity(
            card_message(
                message_card(
                    "You are not on the roster yet",
                    [
                        "HTPM bot supports your trust's headteacher performance management. "
                        "I can't find you on the trust's roster, so there is nothing to show you.",
                        f"If you take part in a headteacher's appraisal, ask {who} to add you.",
                    ],
                )
            )
        )

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        person = await self._person(turn_context)
        if person is None:
            await self._not_on_roster(turn_context)
            return
        activity = turn_context.activity
        if isinstance(activity.value, dict) and activity.value.get("verb"):
            # An Action.Submit fallback from a client without Action.Execute.
            card = await self._cards.handle(
                person,
                activity.value.get("verb"),
                activity.value,
                _teams_id(activity),
                reply=turn_context.send_activity,
            )
            await turn_context.send_activity(card_message(card))
            return
        # Files (and pasted pictures) before typed commands: bot/evidence.py.
        answers = await self._evidence.receive(person, activity.attachments)
        if answers:
            for answer in answers:
                await turn_context.send_activity(card_message(answer))
            return
        words = (TurnContext.remove_recipient_mention(activity) or "").strip().lower().split()
        command = words[0].strip("/!.") if words else "help"
        now = self._clock()
        if command == "status":
            card = await self._views.status_card(person, now)
        elif command == "next":
            card = await self._views.next_card(person, now, _teams_id(activity))
        else:
            card = await self._views.help_card(person, not_understood=command not in HELP_WORDS)
        log.info(
            "answered a command",
            extra={"verb": command if command in COMMANDS else "other"},
        )
        await turn_context.send_activity(card_message(card))

    async def on_installation_update_add(self, turn_context: TurnContext) -> None:
        person = await self._person(turn_context)
        if person is None:
            await self._not_on_roster(turn_context)
            return
        await turn_context.send_activity(card_message(await self._views.help_card(person)))

    async def on_conversation_update_activity(self, turn_context: TurnContext) -> None:
        # Teams also sends installationUpdate on install; here we only keep the reference fresh.
        if turn_context.activity.from_property is not None:
            await self._person(turn_context)

    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse:
        """Card and file-consent invokes; any other gets an answer Teams shows, never a 501."""
        activity = turn_context.activity
        if activity.name not in HANDLED_INVOKES:
            log.info("answered an invoke the bot does not handle", extra={"outcome": "unhandled"})
            return _invoke_answer(activity.name, NOT_HANDLED)
        if not _invoke_value_fits(activity):
            log.info("refused an invoke whose value is malformed", extra={"outcome": "refused"})
            await self._audit_unreadable(turn_context)
            return _invoke_answer(activity.name, NOT_READABLE)
        return await super().on_invoke_activity(turn_context)

    @staticmethod
    def _create_invoke_response(body: object = None) -> InvokeResponse:
        # The SDK serialises every invoke answer with msrest, which walks the whole card in
        # Python (2 ms for a step card, a fifth of a card action). A card answer is plain JSON
        # already: the same body, built directly.
        if isinstance(body, AdaptiveCardInvokeResponse):
            return InvokeResponse(status=int(HTTPStatus.OK), body=card_answer_body(body))
        return TeamsActivityHandler._create_invoke_response(body)

    async def on_adaptive_card_invoke(
        self, turn_context: TurnContext, invoke_value: AdaptiveCardInvokeValue
    ) -> AdaptiveCardInvokeResponse:
        person = await self._person(turn_context)
        if person is None:
            card = message_card(
                "You are not on the roster yet",
                ["There is nothing here for you. Ask your trust's administrator."],
            )
            return card_invoke_response(card)
        action = invoke_value.action if isinstance(invoke_value.action, dict) else {}
        card = await self._cards.handle(
            person,
            action.get("verb"),
            action.get("data"),
            _teams_id(turn_context.activity),
            reply=turn_context.send_activity,
        )
        return card_invoke_response(card)

    async def on_teams_file_consent_accept(
        self, turn_context: TurnContext, file_consent_card_response: FileConsentCardResponse
    ) -> None:
        # The SDK answers the invoke with 200 once this returns.
        person = await self._person(turn_context)
        if person is None:
            await self._not_on_roster(turn_context)
            return
        response = file_consent_card_response
        await self._evidence.consent_accepted(
            person, response.context, response.upload_info, turn_context.send_activity
        )

    async def on_teams_file_consent_decline(
        self, turn_context: TurnContext, file_consent_card_response: FileConsentCardResponse
    ) -> None:
        person = await self._person(turn_context)
        if person is None:
            await self._not_on_roster(turn_context)
            return
        await self._evidence.consent_declined(
            person, file_consent_card_response.context, turn_context.send_activity
        )
