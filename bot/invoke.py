"""Cards as the bot sends them: in a message, or as the answer that replaces a card in place."""

from __future__ import annotations

from typing import Any

from botbuilder.core import InvokeResponse, MessageFactory
from botbuilder.schema import Activity, ActivityTypes, AdaptiveCardInvokeResponse, Attachment

CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"


def card_message(card: dict[str, Any]) -> Activity:
    """A message carrying one Adaptive Card."""
    return MessageFactory.attachment(Attachment(content_type=CARD_CONTENT_TYPE, content=card))


def card_invoke_response(card: dict[str, Any]) -> AdaptiveCardInvokeResponse:
    """The invoke answer that replaces the acted-on card with `card`."""
    # A model, not a dict: CloudAdapter serialises invoke bodies with msrest.
    return AdaptiveCardInvokeResponse(status_code=200, type=CARD_CONTENT_TYPE, value=card)


def card_answer_body(answer: AdaptiveCardInvokeResponse) -> dict[str, Any]:
    """The JSON body of a card answer, as msrest would write it (keys from its attribute map)."""
    return {"statusCode": answer.status_code, "type": answer.type, "value": answer.value}


def invoke_card_response(card: dict[str, Any]) -> Activity:
    """The same answer as an invokeResponse activity (for paths outside the handler)."""
    return Activity(
        type=ActivityTypes.invoke_response,
        value=InvokeResponse(status=200, body=card_invoke_response(card)),
    )
