"""Opening a year's cycle: one appraisal per school that has a headteacher and a governor."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from appraisal.model import Appraisal, AuditEvent
from appraisal.ports import Person, SchoolTeam
from appraisal.roles import Role
from appraisal.services import Context
from appraisal.stages import Stage


@dataclass(frozen=True)
class CycleStart:
    """What opening a cycle did, school by school."""

    opened: list[str] = field(default_factory=list)
    already_open: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)


def _reviewer(team: SchoolTeam, dceos: list[Person]) -> tuple[Person | None, str]:
    if Role.REVIEWER in team.people:
        return team.people[Role.REVIEWER], ""
    if len(dceos) == 1:
        return dceos[0], ""
    if not dceos:
        return None, "no reviewer is named and the roster has no DCEO"
    return None, "no reviewer is named and the roster has more than one DCEO to choose from"


class CycleService:
    """Starting the annual cycle."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

    async def start(self, year: int, now: datetime) -> CycleStart:
        """Open the `year` appraisal for every complete school; safe to run again."""
        report = CycleStart()
        async with self._ctx.uow() as tx:
            dceos = await tx.people.with_trust_role(Role.DCEO)
            dceo_ids = {p.id for p in dceos}
            for team in await tx.roster.teams():
                label = f"{team.name} ({team.urn})"
                if await tx.appraisals.exists(team.urn, year):
                    report.already_open.append(label)
                    continue
                missing = [
                    r.label for r in (Role.HEADTEACHER, Role.GOVERNOR) if r not in team.people
                ]
                if missing:
                    report.skipped.append((label, f"no {' and no '.join(missing)} on the roster"))
                    continue
                reviewer, why = _reviewer(team, dceos)
                if reviewer is None:
                    report.skipped.append((label, why))
                    continue
                head = team.people[Role.HEADTEACHER]
                adviser = team.people.get(Role.ADVISER)
                appraisal = Appraisal(
                    id=0,
                    school_urn=team.urn,
                    school_name=team.name,
                    year=year,
                    nation=team.nation,
                    headteacher_id=head.id,
                    reviewer_id=reviewer.id,
                    governor_id=team.people[Role.GOVERNOR].id,
                    adviser_id=adviser.id if adviser else None,
                    led_by_rel=reviewer.id not in dceo_ids,
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
            await tx.commit()
        return report
