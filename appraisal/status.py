"""Where appraisals stand: per person (filtered by what they may see) and what is due at a time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from appraisal.calendar import WorkingCalendar
from appraisal.deadlines import Obligation, blocked_by, meeting_after_target, obligations
from appraisal.model import Appraisal, roles_on
from appraisal.ports import UnitOfWork
from appraisal.roster import DEFAULT_NATION
from appraisal.services import Context
from appraisal.stages import Stage
from appraisal.visibility import Visibility, visibility


@dataclass(frozen=True)
class OwedStep:
    """A step someone owes, with their name, for display."""

    obligation: Obligation
    person_name: str
    overdue: bool
    open: bool
    working_days_late: int = 0

    @classmethod
    def at(
        cls, obligation: Obligation, person_name: str, today: date, calendar: WorkingCalendar
    ) -> OwedStep:
        """The step as it stands on `today`: overdue, open, and how many working days late."""
        late = max(0, calendar.working_days_between(obligation.due_on, today))
        return cls(
            obligation, person_name, obligation.is_overdue(today), obligation.is_open(today), late
        )


@dataclass(frozen=True)
class StatusLine:
    """One appraisal's status; carries no objective, evaluation or evidence text."""

    appraisal_id: int
    version: int
    school_urn: str
    school_name: str
    academic_year: str
    headteacher_name: str
    stage: Stage
    owed: tuple[OwedStep, ...]
    meeting_at: datetime | None
    meeting_after_target: bool
    visibility: Visibility
    #: What stops it moving on when nobody can act ("no appointed governor"), else "".
    blocked: str = ""
    #: True while the roster names no appointed governor for an open appraisal.
    no_governor: bool = False

    @property
    def overdue(self) -> bool:
        """True when any owed step is past its due date."""
        return any(step.overdue for step in self.owed)


@dataclass(frozen=True)
class DueItem:
    """A step that is due (or overdue) at a time."""

    appraisal: Appraisal
    obligation: Obligation
    overdue: bool


@dataclass(frozen=True)
class NextStep:
    """What a person owes next, and otherwise what happens next on their appraisals."""

    mine: tuple[tuple[StatusLine, OwedStep], ...]
    later: tuple[tuple[StatusLine, OwedStep], ...]
    others: tuple[tuple[StatusLine, OwedStep], ...]

    @property
    def first(self) -> tuple[StatusLine, OwedStep] | None:
        """The step this person should take now, if any."""
        return self.mine[0] if self.mine else None


class StatusService:
    """Reading where things stand."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

    async def _lines(
        self,
        tx: UnitOfWork,
        appraisals: list[Appraisal],
        now: datetime,
        seen: dict[int, Visibility],
    ) -> list[StatusLine]:
        ctx = self._ctx
        owed_by_id = {}
        ids: set[int] = set()
        for a in appraisals:
            calendar = ctx.calendars.for_nation(a.nation)
            owed_by_id[a.id] = (calendar.local_date(now), obligations(a, calendar, ctx.policy))
            ids.add(a.headteacher_id)
            ids.update(o.person_id for o in owed_by_id[a.id][1])
        names = await tx.people.names(sorted(ids))
        lines = []
        for a in appraisals:
            today, owed = owed_by_id[a.id]
            calendar = ctx.calendars.for_nation(a.nation)
            lines.append(
                StatusLine(
                    appraisal_id=a.id,
                    version=a.version,
                    school_urn=a.school_urn,
                    school_name=a.school_name,
                    academic_year=a.academic_year,
                    headteacher_name=names.get(a.headteacher_id, "?"),
                    stage=a.stage,
                    owed=tuple(
                        OwedStep.at(o, names.get(o.person_id, "?"), today, calendar) for o in owed
                    ),
                    meeting_at=a.meeting_at,
                    meeting_after_target=meeting_after_target(a, calendar, ctx.policy),
                    visibility=seen[a.id],
                    blocked=blocked_by(a),
                    no_governor=not a.governor_ids and a.stage is not Stage.COMPLETE,
                )
            )
        return lines

    async def overview(self, now: datetime, year: int | None = None) -> list[StatusLine]:
        """Every appraisal's status, for the trust's administrators (status only)."""
        async with self._ctx.uow() as tx:
            appraisals = await tx.appraisals.list(year)
            seen = {a.id: Visibility.STATUS for a in appraisals}
            return await self._lines(tx, appraisals, now, seen)

    async def for_person(self, person_id: int, now: datetime) -> list[StatusLine]:
        """The appraisals this person is part of, each marked with what they may see."""
        async with self._ctx.uow() as tx:
            person = await tx.people.get(person_id)
            if person is None:
                return []
            if person.trust_roles:
                candidates = await tx.appraisals.list()
            else:
                candidates = await tx.appraisals.involving(person_id)
            seen = {
                a.id: visibility(roles_on(a, person.id, person.trust_roles, person.school_roles))
                for a in candidates
            }
            shown = [a for a in candidates if seen[a.id] is not Visibility.NONE]
            return await self._lines(tx, shown, now, seen)

    async def next_for(self, person_id: int, now: datetime) -> NextStep:
        """Steps this person owes (open ones first), and the steps others owe them meanwhile."""
        mine, later, others = [], [], []
        for line in await self.for_person(person_id, now):
            for step in line.owed:
                pair = (line, step)
                if step.obligation.person_id != person_id:
                    others.append(pair)
                elif step.open:
                    mine.append(pair)
                else:
                    later.append(pair)

        def by_due(pair: tuple[StatusLine, OwedStep]):
            return pair[1].obligation.due_on, pair[0].appraisal_id

        return NextStep(
            tuple(sorted(mine, key=by_due)),
            tuple(sorted(later, key=by_due)),
            tuple(sorted(others, key=by_due)),
        )

    async def due_at(self, now: datetime, within_days: int = 0) -> list[DueItem]:
        """Steps due on or before today + `within_days` calendar days (overdue ones included)."""
        ctx = self._ctx
        horizon = ctx.calendars.for_nation(DEFAULT_NATION).local_date(now) + timedelta(within_days)
        async with ctx.uow() as tx:
            candidates = await tx.appraisals.due_by(horizon)
        items = []
        for a in candidates:
            calendar = ctx.calendars.for_nation(a.nation)
            today = calendar.local_date(now)
            items.extend(
                DueItem(a, o, o.is_overdue(today))
                for o in obligations(a, calendar, ctx.policy)
                if o.due_on <= horizon
            )
        return sorted(items, key=lambda i: (i.obligation.due_on, i.appraisal.id))
