"""Working calendars per nation, with bank holidays from the `holidays` package."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from zoneinfo import ZoneInfo

import holidays

from appraisal.calendar import WorkingCalendar

_SUBDIVISIONS = {"england": "ENG", "wales": "WLS", "scotland": "SCT", "northern_ireland": "NIR"}


class HolidayCalendars:
    """One calendar per nation: its bank holidays plus the trust's closure days."""

    def __init__(self, timezone: str = "Europe/London", closures: Iterable[date] = ()) -> None:
        self._tz = ZoneInfo(timezone)
        self._closures = frozenset(closures)
        self._cache: dict[str, WorkingCalendar] = {}

    def for_nation(self, nation: str) -> WorkingCalendar:
        """The working calendar for a nation (england, wales, scotland, northern_ireland)."""
        if nation not in self._cache:
            bank_holidays = holidays.country_holidays("GB", subdiv=_SUBDIVISIONS[nation])
            self._cache[nation] = WorkingCalendar(self._tz, bank_holidays, self._closures)
        return self._cache[nation]
