"""The `nudges` job: decide which proactive messages are due and queue them in the outbox.

`run(now)` decides the nudges of the local day of `now` for every appraisal not yet complete and
writes them to the outbox in one transaction; the outbox's unique key makes a second run on the
same day (a restart, or another bot instance at the same time) insert nothing. Rows decided
outside the sending window wait for its next start (`next_attempt_at`). Missed days are not
caught up. `preview(now, days)` computes, writing nothing, what would be decided on each of the
next `days` days if nobody acted meanwhile.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from appraisal.model import Appraisal
from appraisal.nudges import MEETING_DATE, Nudge, NudgePolicy, next_window, nudges_for
from appraisal.roles import Role
from appraisal.services import Context
from appraisal.stages import Action, Stage


@dataclass(frozen=True)
class PreviewLine:
    """One message the job would queue: when, to whom, for which school, about what."""

    day: date
    recipient: str
    school: str
    what: str
    kind: str


def action_label(action: str) -> str:
    """What a nudge is about, as people say it."""
    return "Meeting date" if action == MEETING_DATE else Action(action).label


class NudgeJob:
    """Decides nudges from the store; see the module docstring."""

    def __init__(self, ctx: Context, rules: NudgePolicy) -> None:
        self._ctx = ctx
        self._rules = rules

    async def _open_appraisals(self, tx: Any) -> tuple[list[Appraisal], list[int]]:
        # One query for every appraisal still under way: reminders, the pre-reading pack and the
        # meeting-date escalations fall before a row's next due date, so `due_by` would miss them.
        appraisals = [a for a in await tx.appraisals.list() if a.stage is not Stage.COMPLETE]
        dceos = [p.id for p in await tx.people.with_trust_role(Role.DCEO)]
        return appraisals, dceos

    def _decide(
        self, appraisal: Appraisal, now: datetime, dceos: list[int], days_ahead: int = 0
    ) -> list[Nudge]:
        calendar = self._ctx.calendars.for_nation(appraisal.nation)
        day = calendar.local_date(now) + timedelta(days=days_ahead)
        return nudges_for(appraisal, calendar, self._ctx.policy, self._rules, day, dceos)

    async def run(self, now: datetime) -> int:
        """Queue every nudge of today's date at `now`; returns how many rows were new."""
        async with self._ctx.uow() as tx:
            appraisals, dceos = await self._open_appraisals(tx)
            by_nation: dict[str, list[Nudge]] = defaultdict(list)
            for appraisal in appraisals:
                by_nation[appraisal.nation].extend(self._decide(appraisal, now, dceos))
            queued = 0
            for nation, nudges in sorted(by_nation.items()):
                calendar = self._ctx.calendars.for_nation(nation)
                send_after = next_window(now, calendar, self._rules)
                queued += await tx.outbox.add_many(nudges, now, send_after)  # type: ignore[attr-defined]
            await tx.commit()
        return queued

    async def preview(self, now: datetime, days: int) -> list[PreviewLine]:
        """What would be queued on each of the `days` days from today (today included)."""
        async with self._ctx.uow() as tx:
            appraisals, dceos = await self._open_appraisals(tx)
            found: list[tuple[Nudge, str]] = []
            for offset in range(days):
                for appraisal in appraisals:
                    found.extend(
                        (n, appraisal.school_name)
                        for n in self._decide(appraisal, now, dceos, offset)
                    )
            names = await tx.people.names(sorted({n.recipient_id for n, _ in found}))
        lines = [
            PreviewLine(
                n.day,
                f"{names.get(n.recipient_id, '?')} ({n.recipient_role.label})",
                school,
                action_label(n.action),
                n.kind,
            )
            for n, school in found
        ]
        return sorted(lines, key=lambda line: (line.day, line.school, line.recipient, line.kind))
