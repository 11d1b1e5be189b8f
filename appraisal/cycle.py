"""Opening a year's cycle: one appraisal per school that has a headteacher."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from appraisal.model import Appraisal, AuditEvent
from appraisal.participants import holders_for
from appraisal.roles import Role
from appraisal.services import Context
from appraisal.stages import Stage


@dataclass(frozen=True)
class CycleStart:
    """What opening a cycle did, school by school (`without_governor`: opened, but waiting)."""

    opened: list[str] = field(default_factory=list)
    already_open: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    without_governor: list[str] = field(default_factory=list)


class CycleService:
    """Starting the annual cycle."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

    async def start(self, year: int, now: datetime) -> CycleStart:
        """Open the `year` appraisal for every school with a headteacher; safe to run again.

        A school with no appointed governor is opened all the same: the date can be arranged
        with the headteacher, and the governor's step waits until the roster names one.
        """
        report = CycleStart()
        async with self._ctx.uow() as tx:
            dceos = await tx.people.with_trust_role(Role.DCEO)
            for team in await tx.roster.teams():
                label = team.label
                if await tx.appraisals.exists(team.urn, year):
                    report.already_open.append(label)
                    continue
                if Role.HEADTEACHER not in team.people:
                    report.skipped.append((label, "no headteacher on the roster"))
                    continue
                holders, why = holders_for(team, dceos)
                if holders is None:
                    report.skipped.append((label, why))
                    continue
                head = team.people[Role.HEADTEACHER]
                appraisal = Appraisal(
                    id=0,
                    school_urn=team.urn,
                    school_name=team.name,
                    year=year,
                    nation=team.nation,
                    headteacher_id=head.id,
                    reviewer_id=holders.reviewer_id,
                    governor_ids=holders.governor_ids,
                    adviser_id=holders.adviser_id,
                    led_by_rel=holders.led_by_rel,
                    stage=Stage.AWAITING_DATE,
                    version=1,
                    opened_at=now,
                    stage_entered_at=now,
                    previous_objectives=await tx.appraisals.objectives_of(
                        head.id, team.urn, year - 1
                    ),
                )
                stored = await tx.appraisals.add(appraisal, self._ctx.schedule(appraisal, now))
                await tx.audit.append(
                    AuditEvent(
                        stored.id,
                        None,
                        now,
                        "open_cycle",
                        None,
                        Stage.AWAITING_DATE,
                        f"{stored.academic_year}",
                    )
                )
                report.opened.append(label)
                if not holders.governor_ids:
                    report.without_governor.append(label)
            await tx.commit()
        return report
