"""Working days: not weekends, the nation's bank holidays or the trust's closure days."""

from __future__ import annotations

from collections.abc import Container, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

#: The most answers a calendar keeps before starting afresh (a few years of dates and counts).
MEMO_LIMIT = 100_000


@dataclass(frozen=True)
class WorkingCalendar:
    """A calendar of working days in one nation, in the trust's local time zone."""

    tz: tzinfo
    bank_holidays: Container[date] = field(default_factory=frozenset)
    closures: frozenset[date] = frozenset()
    # Answers already worked out: the nudge job counts the same few hundred dates for every
    # appraisal each morning. Bounded by MEMO_LIMIT; not part of the calendar's identity.
    _memo: dict[tuple[str, date, object], object] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False
    )

    def is_working_day(self, day: date) -> bool:
        """True on a weekday that is neither a bank holiday nor a trust closure day."""
        return day.weekday() < 5 and day not in self.bank_holidays and day not in self.closures

    def local_date(self, moment: datetime) -> date:
        """The date in the trust's time zone at an aware moment."""
        if moment.tzinfo is None:
            raise ValueError("moments passed to the calendar must carry a time zone")
        return moment.astimezone(self.tz).date()

    def _remember(self, key: tuple[str, date, object], answer: Any) -> Any:
        if len(self._memo) >= MEMO_LIMIT:
            self._memo.clear()
        self._memo[key] = answer
        return answer

    def add_working_days(self, start: date, days: int) -> date:
        """The date `days` working days after `start` (before it when negative)."""
        found = self._memo.get(("add", start, days))
        if found is not None:
            return found  # type: ignore[return-value]
        return self._remember(("add", start, days), self._add(start, days))

    def _add(self, start: date, days: int) -> date:
        step = timedelta(days=1 if days >= 0 else -1)
        remaining = abs(days)
        current = start
        while remaining:
            current += step
            if self.is_working_day(current):
                remaining -= 1
        return current

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after `start` up to and including `end` (negative when end is earlier)."""
        found = self._memo.get(("between", start, end))
        if found is not None:
            return found  # type: ignore[return-value]
        return self._remember(("between", start, end), self._between(start, end))

    def _between(self, start: date, end: date) -> int:
        if end < start:
            return -self.working_days_between(end, start)
        return sum(
            1
            for n in range(1, (end - start).days + 1)
            if self.is_working_day(start + timedelta(days=n))
        )

    def next_working_day(self, day: date) -> date:
        """`day` itself if it is a working day, else the first working day after it."""
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def with_closures(self, closures: Iterable[date]) -> WorkingCalendar:
        """The same calendar with extra trust closure days."""
        return WorkingCalendar(self.tz, self.bank_holidays, self.closures | frozenset(closures))
