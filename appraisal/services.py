"""Use cases: each runs in one unit of work and leaves an audit event for every change."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime

from appraisal.commands import Command
from appraisal.deadlines import next_due
from appraisal.errors import ActionNotAllowed, ConcurrencyConflict, NotFound
from appraisal.model import Actor, Appraisal, AuditEvent, actor_for
from appraisal.policy import CyclePolicy
from appraisal.ports import (
    Calendars,
    Person,
    RosterChanges,
    Schedule,
    StaleVersion,
    UnitOfWork,
    UnitOfWorkFactory,
)
from appraisal.roster import DEFAULT_NATION, RosterEntry
from appraisal.visibility import Visibility, visibility
from appraisal.workflow import apply


@dataclass(frozen=True)
class Context:
    """What every use case is built with: the store, the calendars and the trust's rules."""

    uow: UnitOfWorkFactory
    calendars: Calendars
    policy: CyclePolicy = field(default_factory=CyclePolicy)
    evidence_max_bytes: int = 25 * 1024 * 1024

    def schedule(self, appraisal: Appraisal, now: datetime) -> Schedule:
        """The dates kept on an appraisal's row for the due and nudge queries, after a change.

        A changed appraisal is read by the nudge job's next run (its nudges may have changed),
        which then works out the day it need next be read.
        """
        calendar = self.calendars.for_nation(appraisal.nation)
        owed = next_due(appraisal, calendar, self.policy)
        if owed is None:
            return Schedule(None, None)
        return Schedule(owed.due_on, calendar.local_date(now))


#: Work done at the start of an action's transaction, returning the command to apply.
Prepare = Callable[[UnitOfWork, Command], Awaitable[Command]]


class AppraisalService:
    """Taking actions on one appraisal."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

    async def act(
        self,
        person_id: int,
        appraisal_id: int,
        command: Command,
        now: datetime,
        expected_version: int | None = None,
        *,
        prepare: Prepare | None = None,
        person: Person | None = None,
    ) -> Appraisal:
        """Take an action as a person; refused actions change nothing and are audited.

        `prepare` runs first in the same transaction and may complete the command (evidence
        bytes are stored this way, so that a refused action leaves no stored file behind).
        `person`, when the caller has just read them (the bot, in this turn), is not read again.
        """
        try:
            return await self._act(
                person_id, appraisal_id, command, now, expected_version, prepare, person
            )
        except (ActionNotAllowed, NotFound) as refused:
            await self._audit_refusal(person_id, appraisal_id, command, now, refused)
            raise
        except ConcurrencyConflict:
            # A stale card or a double tap: nothing changed, but the attempt is on record.
            await self.record_refusal(
                person_id, appraisal_id, command.action.value, now, "stale", outcome="conflict"
            )
            raise

    async def _act(
        self,
        person_id: int,
        appraisal_id: int,
        command: Command,
        now: datetime,
        expected_version: int | None,
        prepare: Prepare | None = None,
        person: Person | None = None,
    ) -> Appraisal:
        async with self._ctx.uow() as tx:
            if prepare is not None:
                command = await prepare(tx, command)
            try:
                changed = await self.apply_in(
                    tx, person_id, appraisal_id, command, now, expected_version, person=person
                )
            except StaleVersion:
                changed = None
            else:
                await tx.commit()
        if changed is None:
            raise ConcurrencyConflict(await self.current(appraisal_id))
        return changed

    async def apply_in(
        self,
        tx: UnitOfWork,
        person_id: int,
        appraisal_id: int,
        command: Command,
        now: datetime,
        expected_version: int | None = None,
        *,
        person: Person | None = None,
    ) -> Appraisal:
        """Take an action inside the caller's unit of work (which commits it)."""
        ctx = self._ctx
        appraisal, actor = await self.load_for(tx, person_id, appraisal_id, person)
        if expected_version is not None and expected_version != appraisal.version:
            raise ConcurrencyConflict(appraisal)
        calendar = ctx.calendars.for_nation(appraisal.nation)
        transition = apply(appraisal, command, actor, now, calendar, ctx.policy)
        await tx.appraisals.update(
            transition.appraisal, appraisal.version, ctx.schedule(transition.appraisal, now)
        )
        await tx.audit.append(transition.event)
        return transition.appraisal

    @staticmethod
    async def load_for(
        tx: UnitOfWork, person_id: int, appraisal_id: int, person: Person | None = None
    ) -> tuple[Appraisal, Actor]:
        """The appraisal and the person as an actor on it; NotFound if they may not see it."""
        appraisal = await tx.appraisals.get(appraisal_id)
        if person is None or person.id != person_id:
            person = await tx.people.get(person_id)
        if appraisal is None or person is None:
            raise NotFound("That appraisal could not be found.")
        actor = actor_for(appraisal, person.id, person.trust_roles)
        if visibility(actor.roles) is Visibility.NONE:
            raise NotFound("That appraisal could not be found.")
        return appraisal, actor

    async def current(self, appraisal_id: int) -> Appraisal | None:
        """The appraisal as it stands now (for answering a conflict)."""
        async with self._ctx.uow() as tx:
            return await tx.appraisals.get(appraisal_id)

    async def _audit_refusal(
        self, person_id: int, appraisal_id: int, command: Command, now: datetime, refused: Exception
    ) -> None:
        await self.record_refusal(
            person_id, appraisal_id, command.action.value, now, type(refused).__name__
        )

    async def record_refusal(
        self,
        person_id: int,
        appraisal_id: int | None,
        action: str,
        now: datetime,
        reason: str,
        outcome: str = "refused",
    ) -> None:
        """Audit a refused attempt (a stale or tampered card, a step for another stage)."""
        async with self._ctx.uow() as tx:
            found = await tx.appraisals.get(appraisal_id) if appraisal_id else None
            stage = found.stage if found else None
            detail = (
                reason
                if found or appraisal_id is None
                else f"{reason}: no appraisal {appraisal_id}"
            )
            await tx.audit.append(
                AuditEvent(
                    appraisal_id=found.id if found else None,
                    actor_id=person_id,
                    at=now,
                    action=action[:40],
                    from_stage=stage,
                    to_stage=stage,
                    detail=detail,
                    outcome=outcome,
                )
            )
            await tx.commit()


class RosterService:
    """Importing the roster."""

    def __init__(self, ctx: Context, default_nation: str = DEFAULT_NATION) -> None:
        self._ctx = ctx
        self._nation = default_nation

    async def import_entries(self, entries: list[RosterEntry], now: datetime) -> RosterChanges:
        """Make the stored roster match the file; changes nothing when it already does."""
        async with self._ctx.uow() as tx:
            changes = await tx.roster.replace(entries, self._nation)
            if changes.changed:
                summary = ", ".join(f"{k} {v}" for k, v in vars(changes).items() if v)
                await tx.audit.append(
                    AuditEvent(None, None, now, "roster_import", None, None, summary)
                )
            await tx.commit()
        return changes
