"""The cards a person can ask for: status, next step, help, and each appraisal's step card."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from appraisal.deadlines import obligations
from appraisal.model import Appraisal, roles_on
from appraisal.ports import Person
from appraisal.status import OwedStep
from appraisal.visibility import Visibility, parts_seen, redact, visibility
from bot.wiring import Product
from cards.common import confirmation, message_card
from cards.help import build_help_card
from cards.next_step import build_next_card
from cards.router import build_step_card
from cards.status import build_status_card
from cards.views import Link, StepView


def describe_roles(person: Person, school_names: dict[str, str]) -> list[str]:
    """'reviewer for Brookside Primary School', 'DCEO', … for the help card."""
    roles = [role.label for role in sorted(person.trust_roles)]
    for role, urn in sorted(person.school_roles):
        roles.append(f"{role.label} for {school_names.get(urn, urn)}")
    return roles


NOT_FOUND = message_card("Not found", ["That appraisal could not be found."])


class Views:
    """Builds each person's cards from the store, showing only what they may see."""

    def __init__(self, product: Product) -> None:
        self._product = product
        self._tz = ZoneInfo(product.settings.timezone)
        self._links = tuple(
            Link(link.title, str(link.url)) for link in product.settings.pre_reading_links
        )

    async def status_card(self, person: Person, now: datetime) -> dict[str, Any]:
        """Every appraisal the person is part of."""
        lines = await self._product.status.for_person(person.id, now)
        return build_status_card(lines, person.id, now, self._tz)

    async def next_card(
        self, person: Person, now: datetime, teams_id: str | None = None, done: str = ""
    ) -> dict[str, Any]:
        """The card for the step the person owes first, else what happens next."""
        nxt = await self._product.status.next_for(person.id, now)
        notice = done
        if nxt.first is not None:
            card = await self.step_card(
                person, nxt.first[0].appraisal_id, now, teams_id, notice=notice
            )
            if card is not None:
                return card
        card = build_next_card(nxt, person.id, self._tz)
        if notice:
            card["body"].insert(0, confirmation(notice))
        return card

    async def step_view(
        self,
        person: Person,
        appraisal_id: int,
        now: datetime,
        teams_id: str | None,
        *,
        appraisal: Appraisal | None = None,
        **extra: Any,
    ) -> StepView | None:
        """The view of one appraisal for this person, or None if they may not see it.

        `appraisal`: the appraisal as an action just left it, so it is not read again.
        """
        async with self._product.ctx.uow() as tx:
            if appraisal is None or appraisal.id != appraisal_id:
                appraisal = await tx.appraisals.get(appraisal_id)
            if appraisal is None:
                return None
            roles = roles_on(appraisal, person.id, person.trust_roles, person.school_roles)
            seen = visibility(roles)
            if seen is Visibility.NONE:
                return None
            names = await tx.people.names(sorted(appraisal.participant_ids))
            draft = await tx.drafts.parts(appraisal.id, person.id)
        return StepView(
            # Built from what this person may see now: a card cannot show more (SEES).
            appraisal=redact(appraisal, roles),
            viewer_id=person.id,
            viewer_roles=roles,
            visibility=seen,
            names=names,
            tz=self._tz,
            now=now,
            owed=self._owed(appraisal, names, now),
            parts=parts_seen(roles, appraisal.stage),
            viewer_teams_id=teams_id,
            draft=draft,
            pre_reading=self._links,
            **extra,
        )

    def _owed(
        self, appraisal: Appraisal, names: dict[int, str], now: datetime
    ) -> tuple[OwedStep, ...]:
        calendar = self._product.ctx.calendars.for_nation(appraisal.nation)
        today = calendar.local_date(now)
        return tuple(
            OwedStep.at(o, names.get(o.person_id, ""), today, calendar)
            for o in obligations(appraisal, calendar, self._product.ctx.policy)
        )

    async def step_card(
        self,
        person: Person,
        appraisal_id: int,
        now: datetime,
        teams_id: str | None,
        step: str | None = None,
        **extra: Any,
    ) -> dict[str, Any] | None:
        """The card for one appraisal as this person should see it now (None if not visible)."""
        view = await self.step_view(person, appraisal_id, now, teams_id, **extra)
        return build_step_card(view, step) if view is not None else None

    async def help_card(self, person: Person, *, not_understood: bool = False) -> dict[str, Any]:
        """Greeting, roles and commands."""
        async with self._product.ctx.uow() as tx:
            teams = await tx.roster.teams()
        names = {team.urn: team.name for team in teams}
        return build_help_card(
            person.name.split()[0], describe_roles(person, names), not_understood=not_understood
        )

    async def by_verb(
        self, verb: str, person: Person, now: datetime, teams_id: str | None = None
    ) -> dict[str, Any]:
        """The card a view verb asks for."""
        if verb == "show_status":
            return await self.status_card(person, now)
        if verb == "show_next":
            return await self.next_card(person, now, teams_id)
        return await self.help_card(person)
