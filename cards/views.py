"""What a step card is built from: the appraisal, who is looking, and what to show them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any

from appraisal.model import Appraisal
from appraisal.roles import Role
from appraisal.status import OwedStep
from appraisal.visibility import Part, Visibility


@dataclass(frozen=True)
class Link:
    """A document the trust publishes (the pre-reading pack)."""

    title: str
    url: str


@dataclass(frozen=True)
class StepView:
    """Everything a step card needs; cards are pure functions of this.

    `problems` maps an input id to the message to show beside it when the card is shown again
    after the server refused what was sent; `values` holds what the person had entered, so the
    card comes back filled in. `draft` holds the parts of a multi-card form saved so far.
    """

    appraisal: Appraisal
    viewer_id: int
    viewer_roles: frozenset[Role]
    visibility: Visibility
    names: dict[int, str]
    tz: tzinfo
    now: datetime
    owed: tuple[OwedStep, ...] = ()
    viewer_teams_id: str | None = None
    notice: str = ""
    problems: dict[str, str] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)
    draft: dict[str, Any] = field(default_factory=dict)
    pre_reading: tuple[Link, ...] = ()
    #: The parts of the appraisal this viewer sees now (`appraisal.visibility.SEES`); the
    #: appraisal itself has the others emptied.
    parts: frozenset[Part] = frozenset()

    def name(self, person_id: int | None) -> str:
        """A participant's name ('' when unknown)."""
        return self.names.get(person_id, "") if person_id is not None else ""

    def holders(self, role: Role, fallback: str = "") -> str:
        """The names of everyone holding `role` ('Ann Lee and Tom Ray'), else `fallback`."""
        names = [self.name(p) for p in self.appraisal.holders_of(role) if self.name(p)]
        if len(names) > 1:
            return f"{', '.join(names[:-1])} and {names[-1]}"
        return names[0] if names else fallback

    def governors(self) -> str:
        """The appointed governors' names, or 'the appointed governor' when none is known."""
        return self.holders(Role.GOVERNOR, "the appointed governor")

    def owes(self, role: Role) -> bool:
        """True when the viewer holds `role` on this appraisal."""
        return role in self.viewer_roles
