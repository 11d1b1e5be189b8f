"""The cards a person can ask for: status, next step, help."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from appraisal.ports import Person
from bot.wiring import Product
from cards.common import confirmation
from cards.help import build_help_card
from cards.next_step import build_next_card
from cards.status import build_status_card


def describe_roles(person: Person, school_names: dict[str, str]) -> list[str]:
    """'reviewer for Brookside Primary School', 'DCEO', … for the help card."""
    roles = [role.label for role in sorted(person.trust_roles)]
    for role, urn in sorted(person.school_roles):
        roles.append(f"{role.label} for {school_names.get(urn, urn)}")
    return roles


class Views:
    """Builds each person's cards from the store, showing only what they may see."""

    def __init__(self, product: Product) -> None:
        self._product = product
        self._tz = product.ctx.calendars.for_nation("england").tz

    async def status_card(self, person: Person, now: datetime) -> dict[str, Any]:
        """Every appraisal the person is part of."""
        lines = await self._product.status.for_person(person.id, now)
        return build_status_card(lines, person.id, now, self._tz)

    async def next_card(self, person: Person, now: datetime, done: str = "") -> dict[str, Any]:
        """The person's next step (after confirming what they just did, if anything)."""
        nxt = await self._product.status.next_for(person.id, now)
        card = build_next_card(nxt, person.id, self._tz)
        if done:
            card["body"].insert(0, confirmation(f"Done: {done}."))
        return card

    async def help_card(self, person: Person, *, not_understood: bool = False) -> dict[str, Any]:
        """Greeting, roles and commands."""
        async with self._product.ctx.uow() as tx:
            teams = await tx.roster.teams()
        names = {team.urn: team.name for team in teams}
        return build_help_card(
            person.name.split()[0], describe_roles(person, names), not_understood=not_understood
        )

    async def by_verb(self, verb: str, person: Person, now: datetime) -> dict[str, Any]:
        """The card a view verb asks for."""
        if verb == "show_status":
            return await self.status_card(person, now)
        if verb == "show_next":
            return await self.next_card(person, now)
        return await self.help_card(person)
