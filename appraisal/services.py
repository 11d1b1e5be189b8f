"""Use cases: each runs in one unit of work and leaves an audit event for every change."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import datetime

from appraisal.assignment import plan_assignment
from appraisal.commands import Command
from appraisal.deadlines import next_due
from appraisal.errors import ActionNotAllowed, ConcurrencyConflict, DomainError, NotFound
from appraisal.model import Actor, Appraisal, AuditEvent, actor_for
from appraisal.participants import Reassignment, holders_for, reassign
from appraisal.policy import CyclePolicy
from appraisal.ports import (
    Calendars,
    ParticipantMove,
    Person,
    RosterChanges,
    Schedule,
    StaleVersion,
    UnitOfWork,
    UnitOfWorkFactory,
)
from appraisal.roles import Role
from appraisal.roster import (
    DEFAULT_NATION,
    RosterEntry,
    RosterProblem,
    RosterRejected,
    check_entries,
)
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
        actor = actor_for(appraisal, person.id, person.trust_roles, person.school_roles)
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


class RosterBusy(DomainError):
    """Appraisals kept changing while the roster was imported; nothing was changed."""


#: How often an import is tried again when someone acts on an appraisal at the same moment.
_IMPORT_ATTEMPTS = 3


class RosterService:
    """Importing the roster; open appraisals follow it in the same transaction."""

    def __init__(self, ctx: Context, default_nation: str = DEFAULT_NATION) -> None:
        self._ctx = ctx
        self._nation = default_nation

    async def import_entries(
        self, entries: list[RosterEntry], now: datetime, *, dry_run: bool = False
    ) -> RosterChanges:
        """Make the stored roster match the file; changes nothing when it already does.

        Every open appraisal takes the reviewer, governors and adviser the roster now names
        (`appraisal.participants`), each change audited, and each new person is welcomed
        through the outbox. `dry_run` works all of it out and writes nothing. Entries built in
        code are checked as a file's are (RosterRejected), before either store sees them.
        """
        check_entries(entries)
        for _ in range(_IMPORT_ATTEMPTS):
            try:
                return await self._import(entries, now, dry_run)
            except StaleVersion:
                continue  # someone acted on an appraisal meanwhile: read it again
        raise RosterBusy(
            "Appraisals were being changed while the roster was imported, so nothing was "
            "changed. Import it again."
        )

    async def assign(
        self,
        urn: str,
        role: Role,
        emails: list[str],
        now: datetime,
        *,
        name: str | None = None,
        dry_run: bool = False,
    ) -> RosterChanges:
        """Name who holds a role at one school now: an import's change, checks and audit."""
        async with self._ctx.uow() as tx:
            current = await tx.roster.entries()
        entries = plan_assignment(current, urn, role, emails, name)
        return await self.import_entries(entries, now, dry_run=dry_run)

    async def _import(
        self, entries: list[RosterEntry], now: datetime, dry_run: bool
    ) -> RosterChanges:
        async with self._ctx.uow() as tx:
            changes = await tx.roster.replace(entries, self._nation)
            moves, notes = await self._follow(tx, entries, now)
            changes = replace(changes, participants=tuple(moves), notes=tuple(notes))
            if changes.changed:
                summary = [f"{k} {v}" for k, v in changes.counts().items()]
                if moves:
                    summary.append(f"participants changed {len(moves)}")
                await tx.audit.append(
                    AuditEvent(None, None, now, "roster_import", None, None, ", ".join(summary))
                )
            if not dry_run:
                await tx.commit()
        return changes

    async def _follow(
        self, tx: UnitOfWork, entries: list[RosterEntry], now: datetime
    ) -> tuple[list[ParticipantMove], list[str]]:
        """Give every open appraisal the participants the roster now names."""
        teams = {team.urn: team for team in await tx.roster.teams()}
        dceos = await tx.people.with_trust_role(Role.DCEO)
        problems, done, notes = [], [], []
        for appraisal in await tx.appraisals.open_ones():
            team = teams.get(appraisal.school_urn)
            holders, why = holders_for(team, dceos)
            if holders is None:
                line = next((e.line for e in entries if e.school_urn == appraisal.school_urn), 1)
                problems.append(
                    RosterProblem(
                        line,
                        f"school {appraisal.school_urn} has an open appraisal "
                        f"({appraisal.academic_year}) that would be left without a reviewer: {why}",
                    )
                )
                continue
            head = team.people.get(Role.HEADTEACHER) if team else None
            if head is not None and head.id != appraisal.headteacher_id:
                notes.append(
                    f"{appraisal.school_name} ({appraisal.school_urn}): the roster names "
                    f"{head.name} as headteacher; the open {appraisal.academic_year} appraisal "
                    "stays with the headteacher it was opened for"
                )
            result = reassign(appraisal, holders, now)
            if result.changed:
                await self._write(tx, appraisal, result, now)
                done.append((appraisal, result))
        if problems:
            raise RosterRejected(problems)
        ids = {
            p for before, r in done for p in (*before.participant_ids, *r.appraisal.participant_ids)
        }
        names = await tx.people.names(sorted(ids))
        moves = []
        for before, result in done:
            school = f"{before.school_name} ({before.school_urn})"
            for change in result.changes:
                moves.append(
                    ParticipantMove(
                        school,
                        change.role,
                        tuple(names.get(p, "?") for p in before.holders_of(change.role)),
                        tuple(names.get(p, "?") for p in result.appraisal.holders_of(change.role)),
                    )
                )
            if result.appraisal.stage is not before.stage:
                notes.append(f"{school}: now “{result.appraisal.stage.label}”")
        return moves, notes

    async def _write(
        self, tx: UnitOfWork, before: Appraisal, result: Reassignment, now: datetime
    ) -> None:
        ctx, after = self._ctx, result.appraisal
        await tx.appraisals.update(after, before.version, ctx.schedule(after, now))
        if after.governor_ids != before.governor_ids:
            await tx.appraisals.set_governors(after.id, after.governor_ids)
        for event in result.events:
            await tx.audit.append(event)
        for person in result.removed:
            # Half-typed forms of someone who no longer takes part are confidential text.
            await tx.drafts.clear(after.id, person)
        today = ctx.calendars.for_nation(after.nation).local_date(now)
        # Sent by the outbox inside the sending window, like every proactive message.
        await tx.outbox.add_many(result.welcomes(today), now, now)
