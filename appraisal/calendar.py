"""Working days: not weekends, the nation's bank holidays or the trust's closure days."""

from __future__ import annotations

from collections.abc import Container, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo


@dataclass(frozen=True)
class WorkingCalendar:
    """A calendar of working days in one nation, in the trust's local time zone."""

    tz: tzinfo
    bank_holidays: Container[date] = field(default_factory=frozenset)
    closures: frozenset[date] = frozenset()

    def is_working_day(self, day: date) -> bool:
        """True on a weekday that is neither a bank holiday nor a trust closure day."""
        return day.weekday() < 5 and day not in self.bank_holidays and day not in self.closures

    def local_date(self, moment: datetime) -> date:
        """The date in the trust's time zone at an aware moment."""
        if moment.tzinfo is None:
            raise ValueError("moments passed to the calendar must carry a time zone")
        return moment.astimezone(self.tz).date()

    def add_working_days(self, start: date, days: int) -> date:
        """The date `days` working days after `start` (before it when negative)."""
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
