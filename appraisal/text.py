"""How dates and times are written for people in the UK."""

from __future__ import annotations

from datetime import date, datetime, tzinfo


def long_date(day: date) -> str:
    """'Friday 7 November 2026'."""
    return f"{day:%A} {day.day} {day:%B %Y}"


def short_date(day: date) -> str:
    """'Friday 7 November' (the year is left out where it is plain from context)."""
    return f"{day:%A} {day.day} {day:%B}"


def compact_date(day: date) -> str:
    """'Fri 7 Nov 2026' (for tables)."""
    return f"{day:%a} {day.day} {day:%b %Y}"


def time_of_day(moment: datetime, tz: tzinfo) -> str:
    """'10:30' in the given zone."""
    return f"{moment.astimezone(tz):%H:%M}"


def when(moment: datetime, tz: tzinfo) -> str:
    """'Friday 7 November 2026 at 10:30' in the given zone."""
    local = moment.astimezone(tz)
    return f"{long_date(local.date())} at {local:%H:%M}"
