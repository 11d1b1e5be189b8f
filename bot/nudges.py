"""The `nudges` job: decide which proactive messages are due and queue them in the outbox.

`run(now)` decides the nudges of the local day of `now` and writes them to the outbox in one
transaction; the outbox's unique key makes a second run on the same day (a restart, or another
bot instance at the same time) insert nothing. It reads only the appraisals whose
`nudges_from` day has come: each run sets that day to the appraisal's next nudge day
(`appraisal.nudges.next_nudge_day`), and every change sets it to the day of the change, so a
run reads what changed and what is due, not the whole year's appraisals. When the rules or
the working days change (`fingerprint`), the next run reads every open appraisal again. Rows
decided outside the sending window wait for its next start (`next_attempt_at`). Missed days
are not caught up. `preview(now, days)` computes, writing nothing, what would be decided on
each of the next `days` days if nobody acted meanwhile.
"""

from __future__ import annotations

import gc
import hashlib
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from appraisal.model import Appraisal
from appraisal.nudges import (
    APPOINTED,
    MEETING_DATE,
    Nudge,
    NudgePolicy,
    decide,
    next_window,
    nudges_for,
)
from appraisal.policy import academic_year_of
from appraisal.roles import Role
from appraisal.roster import DEFAULT_NATION, NATIONS
from appraisal.services import Context
from appraisal.stages import Action


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
    if action == APPOINTED:
        return "Welcome to the appraisal"
    return "Meeting date" if action == MEETING_DATE else Action(action).label


@contextmanager
def collector_paused() -> Iterator[None]:
    """Hold off the cyclic garbage collector while a run reads thousands of appraisals.

    Each one read is a small tree of new objects, freed by reference counting when the run
    ends; meanwhile the collector would walk them again and again (a quarter of the run's
    time at 25,000 appraisals). The pause lasts one run, about a second at most.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


#: The job_state entry holding the fingerprint of the rules the stored days were worked out under.
JOB_NAME = "nudges"


class NudgeJob:
    """Decides nudges from the store; see the module docstring."""

    def __init__(self, ctx: Context, rules: NudgePolicy) -> None:
        self._ctx = ctx
        self._rules = rules
        self._fingerprints: dict[int, str] = {}  # by academic year: the job runs every 30 s

    def fingerprint(self, today: date) -> str:
        """The rules and working days that each row's `nudges_from` day was worked out under.

        When they change (a new cadence, a closure day, a new academic year) a stored day may
        be too late, so the next run reads every open appraisal and works each day out again.
        """
        year = academic_year_of(today)
        if year not in self._fingerprints:
            self._fingerprints[year] = self._work_out_fingerprint(year)
        return self._fingerprints[year]

    def _work_out_fingerprint(self, year: int) -> str:
        first, last = date(year - 1, 9, 1), date(year + 1, 8, 31)
        days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
        parts = [repr(self._rules), repr(self._ctx.policy)]
        for nation in NATIONS:
            calendar = self._ctx.calendars.for_nation(nation)
            working = "".join("1" if calendar.is_working_day(d) else "0" for d in days)
            parts.append(f"{nation}:{calendar.tz}:{working}")
        return hashlib.sha256("|".join(parts).encode()).hexdigest()

    async def _to_read(
        self, tx: Any, now: datetime, days_ahead: int = 0
    ) -> tuple[list[Appraisal], list[int], str | None]:
        """The appraisals to decide for, the DCEOs, and the new fingerprint if all are read."""
        today = self._ctx.calendars.for_nation(DEFAULT_NATION).local_date(now)
        fingerprint = self.fingerprint(today)
        stale = await tx.job_state.get(JOB_NAME) != fingerprint
        # One range scan of the `nudges_from` index: only the appraisals changed since the
        # last run, or whose next nudge day has come; every open one when the rules changed.
        last_day = today + timedelta(days=days_ahead)
        appraisals = await tx.appraisals.nudged_by(None if stale else last_day)
        dceos = [p.id for p in await tx.people.with_trust_role(Role.DCEO)]
        return appraisals, dceos, fingerprint if stale else None

    async def run(self, now: datetime) -> int:
        """Queue every nudge of today's date at `now`; returns how many rows were new.

        Each appraisal read is given the day it is next to be read: its next nudge day.
        """
        ctx, rules = self._ctx, self._rules
        with collector_paused():
            async with ctx.uow() as tx:
                appraisals, dceos, fingerprint = await self._to_read(tx, now)
                by_nation: dict[str, list[Nudge]] = defaultdict(list)
                next_days = []
                for appraisal in appraisals:
                    calendar = ctx.calendars.for_nation(appraisal.nation)
                    today = calendar.local_date(now)
                    nudges, later = decide(appraisal, calendar, ctx.policy, rules, today, dceos)
                    by_nation[appraisal.nation] += nudges
                    next_days.append((appraisal.id, appraisal.version, later))
                queued = 0
                for nation, nudges in sorted(by_nation.items()):
                    calendar = ctx.calendars.for_nation(nation)
                    send_after = next_window(now, calendar, rules)
                    queued += await tx.outbox.add_many(nudges, now, send_after)
                await tx.appraisals.set_nudges_from(next_days)
                if fingerprint is not None:
                    await tx.job_state.put(JOB_NAME, fingerprint, now)
                await tx.commit()
        return queued

    async def preview(self, now: datetime, days: int) -> list[PreviewLine]:
        """What would be queued on each of the `days` days from today (today included)."""
        async with self._ctx.uow() as tx:
            appraisals, dceos, _ = await self._to_read(tx, now, max(days - 1, 0))
            found: list[tuple[Nudge, str]] = []
            for offset in range(days):
                for appraisal in appraisals:
                    calendar = self._ctx.calendars.for_nation(appraisal.nation)
                    day = calendar.local_date(now) + timedelta(days=offset)
                    found.extend(
                        (n, appraisal.school_name)
                        for n in nudges_for(
                            appraisal, calendar, self._ctx.policy, self._rules, day, dceos
                        )
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
