"""The help card: what the bot does, the person's roles, and the commands."""

from __future__ import annotations

from typing import Any

from cards.common import card, execute, heading, text


def build_help_card(name: str, roles: list[str], *, not_understood: bool = False) -> dict[str, Any]:
    """Greeting, the person's roles, and buttons for the commands."""
    body = []
    if not_understood:
        body.append(text("Sorry, I didn't understand that.", weight="Bolder"))
    body += [
        heading(f"Hello {name}"),
        text(
            "I help run the headteacher performance management cycle: I show you your next "
            "step, remind you before it is due, and keep the record."
        ),
    ]
    if roles:
        body.append(text("You are: " + "; ".join(roles) + "."))
    if any(role.startswith("headteacher") for role in roles):
        body.append(
            text(
                "To add evidence, attach a file to this chat (the paperclip); I will "
                "ask which objective it supports."
            )
        )
    body.append(text("Type status, next or help, or use the buttons.", spacing="Medium"))
    actions = [execute("My next step", "show_next"), execute("All my appraisals", "show_status")]
    return card(body, actions, summary="HTPM bot: type status, next or help")
