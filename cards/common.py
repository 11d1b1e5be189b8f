"""Shared pieces of every card: escaping, the card envelope, date phrases."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from microsoft_teams.cards import (
    AdaptiveCard,
    CardElement,
    ExecuteAction,
    RefreshDefinition,
    RichTextBlock,
    SubmitAction,
    TextRun,
)

from appraisal.text import short_date

SCHEMA_URL = "http://adaptivecards.io/schemas/adaptive-card.json"
VERSION = "1.5"

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def literal(value: str) -> str:
    """Text shown exactly as typed: no control characters, and no address that becomes a link."""
    # TextRuns are never parsed as Markdown; a zero-width space after "://" also stops a client
    # from turning a typed address into a link.
    return _CONTROL.sub("", value).replace("://", ":\u200b//")


def escape(text: str) -> str:
    """Text for the few places that take Markdown (TextBlock): Markdown characters escaped."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|>~<])", r"\\\1", literal(text))


def run(value: str, **style: Any) -> TextRun:
    """One run of literal text with its style."""
    return TextRun(text=literal(value), **style)


def runs(*parts: TextRun, **block: Any) -> RichTextBlock:
    """A paragraph of several differently styled runs."""
    return RichTextBlock(inlines=list(parts), **block)


def text(
    value: str, *, spacing: str | None = None, separator: bool | None = None, **style: Any
) -> RichTextBlock:
    """A paragraph of literal text (people's and the roster's text is never parsed)."""
    return RichTextBlock(inlines=[run(value, **style)], spacing=spacing, separator=separator)


def heading(value: str) -> RichTextBlock:
    """A card's title line."""
    return text(value, size="Large", weight="Bolder")


def execute(title: str, verb: str, data: dict[str, Any] | None = None, **kw: Any) -> ExecuteAction:
    """An Action.Execute button, falling back to Action.Submit with the verb in its data.

    Clients without Action.Execute send the fallback as a message whose value carries the verb,
    which the bot handles the same way.
    """
    payload = {"verb": verb, **(data or {})}
    submit_kw = {k: v for k, v in kw.items() if k in ("associated_inputs", "style")}
    fallback = SubmitAction(title=title, data=payload, **submit_kw)
    return ExecuteAction(title=title, verb=verb, data=payload, fallback=fallback, **kw)


def due_phrase(due: date, late_days: int) -> str:
    """'by Friday 7 November', with how late it is when overdue."""
    phrase = f"by {short_date(due)}"
    if late_days > 0:
        phrase += f" — {late_days} working day{'s' if late_days != 1 else ''} late"
    return phrase


def card(
    body: list[CardElement],
    actions: list[Any] | None = None,
    *,
    summary: str,
    refresh: RefreshDefinition | None = None,
) -> dict[str, Any]:
    """The card as JSON: schema 1.5, with a plain-text summary for notifications."""
    model = AdaptiveCard(
        version=VERSION,
        body=body,
        actions=actions or None,
        fallback_text=summary,
        refresh=refresh,
    )
    data = model.model_dump(by_alias=True, exclude_none=True, mode="json")
    return {"$schema": SCHEMA_URL, **data}


def message_card(title: str, lines: list[str], actions: list[Any] | None = None) -> dict[str, Any]:
    """A short card with a title and a few lines of text."""
    return card([heading(title), *(text(line) for line in lines)], actions, summary=title)


def confirmation(value: str) -> dict[str, Any]:
    """A green line confirming what was just done, as card JSON."""
    return text(value, color="Good", weight="Bolder").model_dump(
        by_alias=True, exclude_none=True, mode="json"
    )
