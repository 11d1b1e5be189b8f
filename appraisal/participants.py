"""Who takes part in an open appraisal follows the roster as it is now: each change, pure.

`reassign` gives an open appraisal the reviewer, governors and adviser the roster names for its
school now. A person replaced loses access at once (they are no longer named on it, and its
version moves on, so their old cards are stale); the new one gains it and is welcomed. The
headteacher is never changed: the appraisal is theirs.

What the governors' answers then mean (`steps.governors_settled`): while the appraisal waits
for them, answers of governors who left no longer count, and once every governor now named has
answered it moves on as if they had just answered. Preparing for a meeting that no governor now
named has said they can attend, it waits again for those who have not answered (the meeting
date is kept), or needs a new date when all of them have said they cannot. A governor newly
named while the governors' answer or acknowledgement is awaited has five working days from
then, as if the step had just reached them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime

from appraisal.model import Appraisal, AuditEvent
from appraisal.nudges import APPOINTED, WELCOME, Nudge
from appraisal.ports import Person, SchoolTeam
from appraisal.roles import Role
from appraisal.stages import Stage
from appraisal.steps import drop_date_if_nobody_can_attend, governors_settled

#: The action recorded in the audit trail for a change the roster made.
REASSIGN = "reassign"


@dataclass(frozen=True)
class Holders:
    """Who the roster names now for one school's appraisal."""

    reviewer_id: int
    governor_ids: tuple[int, ...]
    adviser_id: int | None
    led_by_rel: bool


@dataclass(frozen=True)
class RoleChange:
    """The people who left a role on the appraisal and those who took it up (ids)."""

    role: Role
    removed: tuple[int, ...]
    added: tuple[int, ...]


@dataclass(frozen=True)
class Reassignment:
    """An appraisal with its participants as the roster names them, and what that changed."""

    appraisal: Appraisal
    changes: tuple[RoleChange, ...]
    events: tuple[AuditEvent, ...]

    @property
    def changed(self) -> bool:
        """True when the appraisal has to be written."""
        return bool(self.events)

    @property
    def removed(self) -> frozenset[int]:
        """Everyone who no longer takes part."""
        return frozenset(p for c in self.changes for p in c.removed)

    def welcomes(self, day: date) -> list[Nudge]:
        """A welcome to each person newly named on the appraisal."""
        return [
            Nudge(self.appraisal.id, person, c.role, APPOINTED, WELCOME, None, day)
            for c in self.changes
            for person in c.added
        ]


def reviewer_for(team: SchoolTeam | None, dceos: list[Person]) -> tuple[Person | None, str]:
    """The school's reviewer: the one the roster names, else the trust's only DCEO."""
    if team is not None and Role.REVIEWER in team.people:
        return team.people[Role.REVIEWER], ""
    if len(dceos) == 1:
        return dceos[0], ""
    if not dceos:
        return None, "no reviewer is named and the roster has no DCEO"
    return None, "no reviewer is named and the roster has more than one DCEO to choose from"


def holders_for(team: SchoolTeam | None, dceos: list[Person]) -> tuple[Holders | None, str]:
    """Who the roster names for a school's appraisal now, or None and why there is no reviewer."""
    reviewer, why = reviewer_for(team, dceos)
    if reviewer is None:
        return None, why
    adviser = team.people.get(Role.ADVISER) if team is not None else None
    governors = tuple(g.id for g in team.governors) if team is not None else ()
    led_by_rel = reviewer.id not in {d.id for d in dceos}
    return Holders(reviewer.id, governors, adviser.id if adviser else None, led_by_rel), ""


def _ordered(current: tuple[int, ...], wanted: tuple[int, ...]) -> tuple[int, ...]:
    # Governors who stay keep their place; new ones follow in the roster's order.
    return (*(g for g in current if g in wanted), *(g for g in wanted if g not in current))


def _detail(change: RoleChange) -> str:
    def ids(people: tuple[int, ...]) -> str:
        return ",".join(str(p) for p in people) or "none"

    return f"{change.role.value}: {ids(change.removed)} -> {ids(change.added)}"


def _settle(appraisal: Appraisal, now: datetime) -> Appraisal:
    """The stage the governors now named leave the appraisal at (see the module docstring)."""
    a = replace(
        appraisal,
        availability=tuple(
            x for x in appraisal.availability if x.governor_id in appraisal.governor_ids
        ),
    )
    ahead = a.meeting_at is not None and a.meeting_at > now
    # Preparing for a meeting nobody now named can attend: ask whoever has not answered,
    # else a new date (as while waiting for the answers).
    unconfirmed = a.stage is Stage.PREPARATION and ahead and not any(a.answers().values())
    if a.stage is not Stage.AWAITING_GOVERNOR and not unconfirmed:
        return a
    to = governors_settled(a)
    a = drop_date_if_nobody_can_attend(a)
    return a if to is a.stage else replace(a, stage=to, stage_entered_at=now)


#: Stages whose clock starts again for a governor newly named (five working days to answer).
_GOVERNORS_ANSWER = (Stage.AWAITING_GOVERNOR, Stage.SHARED)


def reassign(appraisal: Appraisal, holders: Holders, now: datetime) -> Reassignment:
    """The appraisal with the participants `holders` names (unchanged when they already are)."""
    a = appraisal
    governors = _ordered(a.governor_ids, holders.governor_ids)
    changes = []
    if holders.reviewer_id != a.reviewer_id:
        changes.append(RoleChange(Role.REVIEWER, (a.reviewer_id,), (holders.reviewer_id,)))
    if set(governors) != set(a.governor_ids):
        changes.append(
            RoleChange(
                Role.GOVERNOR,
                tuple(g for g in a.governor_ids if g not in governors),
                tuple(g for g in governors if g not in a.governor_ids),
            )
        )
    if holders.adviser_id != a.adviser_id:
        changes.append(
            RoleChange(
                Role.ADVISER,
                (a.adviser_id,) if a.adviser_id is not None else (),
                (holders.adviser_id,) if holders.adviser_id is not None else (),
            )
        )
    named = replace(
        a,
        reviewer_id=holders.reviewer_id,
        governor_ids=governors,
        adviser_id=holders.adviser_id,
        led_by_rel=holders.led_by_rel,
    )
    settled = _settle(named, now)
    governor_added = any(c.role is Role.GOVERNOR and c.added for c in changes)
    if governor_added and settled.stage is a.stage and a.stage in _GOVERNORS_ANSWER:
        settled = replace(settled, stage_entered_at=now)
    events = [AuditEvent(a.id, None, now, REASSIGN, a.stage, a.stage, _detail(c)) for c in changes]
    if settled.stage is not a.stage:
        events.append(
            AuditEvent(a.id, None, now, REASSIGN, a.stage, settled.stage, "governors' answers")
        )
    if named.led_by_rel != a.led_by_rel:
        led = "an REL" if named.led_by_rel else "the DCEO"
        events.append(AuditEvent(a.id, None, now, REASSIGN, a.stage, a.stage, f"led by {led}"))
    if not events:
        return Reassignment(a, (), ())
    return Reassignment(replace(settled, version=a.version + 1), tuple(changes), tuple(events))
