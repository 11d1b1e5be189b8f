"""Working calendars per nation, with bank holidays from the `holidays` package."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from zoneinfo import ZoneInfo

from appraisal.calendar import WorkingCalendar

_SUBDIVISIONS = {"england": "ENG", "wales": "WLS", "scotland": "SCT", "northern_ireland": "NIR"}


class BankHolidays:
    """A nation's bank holidays, looked up in a plain set per year.

    The calendar asks about every day it counts over, and the nudge job counts for thousands
    of appraisals each morning; `holidays`' own lookup converts and checks its argument on
    every call, several times slower than a set. Each year is taken from `holidays` once.
    """

    def __init__(self, subdivision: str) -> None:
        self._subdivision = subdivision
        self._years: dict[int, frozenset[date]] = {}

    def __contains__(self, day: object) -> bool:
        if not isinstance(day, date):
            return False
        year = self._years.get(day.year)
        if year is None:
            import holidays  # on first use: it is not needed to start, and takes a while

            found = holidays.country_holidays("GB", subdiv=self._subdivision, years=day.year)
            year = self._years[day.year] = frozenset(found)
        return day in year


class HolidayCalendars:
    """One calendar per nation: its bank holidays plus the trust's closure days."""

    def __init__(self, timezone: str = "Europe/London", closures: Iterable[date] = ()) -> None:
        self._tz = ZoneInfo(timezone)
        self._closures = frozenset(closures)
        self._cache: dict[str, WorkingCalendar] = {}

    def for_nation(self, nation: str) -> WorkingCalendar:
        """The working calendar for a nation (england, wales, scotland, northern_ireland)."""
        if nation not in self._cache:
            bank_holidays = BankHolidays(_SUBDIVISIONS[nation])
            self._cache[nation] = WorkingCalendar(self._tz, bank_holidays, self._closures)
        return self._cache[nation]
