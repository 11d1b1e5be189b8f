"""The trust's cycle rules: target and statutory dates, working-day allowances, mid-year window."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

#: Longest free text accepted in any one field (a long paragraph; keeps cards and records sane).
MAX_TEXT = 4000
#: Most objectives one meeting may set.
MAX_OBJECTIVES = 5


@dataclass(frozen=True)
class CyclePolicy:
    """Dates and allowances for a cycle; month-day pairs apply to the cycle's academic year."""

    target_month_day: tuple[int, int] = (10, 31)
    statutory_month_day: tuple[int, int] = (12, 31)
    step_working_days: int = 5
    pre_reading_working_days: int = 5
    date_lead_working_days: int = 10
    mid_year_opens_month_day: tuple[int, int] = (2, 1)
    mid_year_closes_month_day: tuple[int, int] = (3, 31)

    def target_date(self, year: int) -> date:
        """The trust's target for the review meeting (31 October by default)."""
        return date(year, *self.target_month_day)

    def statutory_date(self, year: int) -> date:
        """The statutory last day for the review meeting (31 December)."""
        return date(year, *self.statutory_month_day)

    def mid_year_window(self, year: int) -> tuple[date, date]:
        """First and last day of the mid-year review window (February to March)."""
        return date(year + 1, *self.mid_year_opens_month_day), date(
            year + 1, *self.mid_year_closes_month_day
        )


def academic_year_of(day: date) -> int:
    """The starting year of the academic year a date falls in (September to August)."""
    return day.year if day.month >= 9 else day.year - 1
