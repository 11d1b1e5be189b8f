"""Working days in England (and Scotland) with real bank holidays, closures and the London zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import holidays
import pytest

from appraisal.calendar import WorkingCalendar
from bot.calendars import BankHolidays, HolidayCalendars
from tests.support.factories import CAL, CALENDARS

SCOTLAND = CALENDARS.for_nation("scotland")

#: October half-term 2026: Monday 26 to Friday 30 October.
HALF_TERM = tuple(date(2026, 10, d) for d in range(26, 31))


# --- which days are working days -------------------------------------------------------------


@pytest.mark.parametrize(
    "day",
    [
        date(2026, 9, 5),  # Saturday
        date(2026, 9, 6),  # Sunday
        date(2026, 8, 31),  # Late Summer Bank Holiday (Monday)
        date(2026, 12, 25),  # Christmas Day (Friday)
        date(2026, 12, 26),  # Boxing Day (a Saturday)
        date(2026, 12, 28),  # Boxing Day substitute (Monday)
        date(2027, 1, 1),  # New Year's Day (Friday)
        date(2027, 3, 26),  # Good Friday
        date(2027, 3, 29),  # Easter Monday (England, not Scotland)
    ],
)
def test_weekends_and_english_bank_holidays_are_not_working_days(day):
    assert not CAL.is_working_day(day)


@pytest.mark.parametrize(
    "day",
    [
        date(2026, 9, 7),  # Monday
        date(2026, 10, 14),  # Wednesday
        date(2026, 12, 24),  # Christmas Eve (Thursday) is not a bank holiday
        date(2026, 12, 29),  # Tuesday after the Boxing Day substitute
        date(2026, 12, 31),  # New Year's Eve (Thursday)
        date(2027, 1, 4),  # Monday after New Year
    ],
)
def test_ordinary_weekdays_are_working_days(day):
    assert CAL.is_working_day(day)


def test_christmas_2026_bank_holidays_come_from_the_holidays_package():
    assert date(2026, 12, 25) in CAL.bank_holidays
    assert date(2026, 12, 28) in CAL.bank_holidays  # Boxing Day falls on Saturday 26th
    assert date(2026, 12, 24) not in CAL.bank_holidays
    assert date(2026, 12, 29) not in CAL.bank_holidays


# --- add_working_days ------------------------------------------------------------------------


def test_five_working_days_after_monday_21_december_2026_is_wednesday_30_december():
    # Tue 22 (1), Wed 23 (2), Thu 24 (3); Fri 25 Christmas, Sat 26, Sun 27, Mon 28 Boxing Day
    # substitute are skipped; Tue 29 (4), Wed 30 (5).
    assert CAL.add_working_days(date(2026, 12, 21), 5) == date(2026, 12, 30)


def test_five_working_days_before_wednesday_30_december_2026_is_monday_21_december():
    # Tue 29 (1); Mon 28, Sun 27, Sat 26, Fri 25 skipped; Thu 24 (2), Wed 23 (3), Tue 22 (4),
    # Mon 21 (5).
    assert CAL.add_working_days(date(2026, 12, 30), -5) == date(2026, 12, 21)


def test_adding_across_new_year_skips_new_years_day_and_the_weekend():
    # Thu 31 Dec + 1: Fri 1 Jan (bank holiday), Sat 2, Sun 3 skipped -> Mon 4 Jan 2027.
    assert CAL.add_working_days(date(2026, 12, 31), 1) == date(2027, 1, 4)


def test_adding_within_an_ordinary_week_and_over_a_weekend():
    # Tue 1 Sep + 3 = Fri 4 Sep; + 5 = Wed 2, Thu 3, Fri 4, Mon 7, Tue 8 -> Tue 8 Sep.
    assert CAL.add_working_days(date(2026, 9, 1), 3) == date(2026, 9, 4)
    assert CAL.add_working_days(date(2026, 9, 1), 5) == date(2026, 9, 8)


def test_ten_working_days_before_the_31_october_2026_target():
    # 31 Oct 2026 is a Saturday. Back: Fri 30 (1), Thu 29, Wed 28, Tue 27, Mon 26 (5),
    # Fri 23 (6), Thu 22, Wed 21, Tue 20, Mon 19 (10).
    assert CAL.add_working_days(date(2026, 10, 31), -10) == date(2026, 10, 19)


def test_zero_working_days_is_the_start_day_itself():
    assert CAL.add_working_days(date(2026, 12, 26), 0) == date(2026, 12, 26)
    assert CAL.add_working_days(date(2026, 10, 14), 0) == date(2026, 10, 14)


def test_counting_from_a_holiday_starts_on_the_next_working_day():
    # From Sat 26 Dec: Sun 27, Mon 28 (substitute) skipped -> Tue 29 is the first working day.
    assert CAL.add_working_days(date(2026, 12, 26), 1) == date(2026, 12, 29)
    # Backwards from Mon 28 Dec: Sun 27, Sat 26, Fri 25 skipped -> Thu 24.
    assert CAL.add_working_days(date(2026, 12, 28), -1) == date(2026, 12, 24)


# --- trust closure days ----------------------------------------------------------------------


def test_half_term_closure_days_are_skipped():
    closed = CAL.with_closures(HALF_TERM)
    for day in HALF_TERM:
        assert not closed.is_working_day(day)
    # Fri 23 Oct + 1: without closures Mon 26 Oct; with half term closed, Mon 2 Nov.
    assert CAL.add_working_days(date(2026, 10, 23), 1) == date(2026, 10, 26)
    assert closed.add_working_days(date(2026, 10, 23), 1) == date(2026, 11, 2)
    # Mon 19 Oct + 5: Tue 20, Wed 21, Thu 22, Fri 23 (4), half term skipped, Mon 2 Nov (5).
    assert closed.add_working_days(date(2026, 10, 19), 5) == date(2026, 11, 2)


def test_with_closures_leaves_the_original_calendar_alone_and_accumulates():
    closed = CAL.with_closures(HALF_TERM)
    assert CAL.is_working_day(date(2026, 10, 28))
    both = closed.with_closures([date(2026, 11, 2)])
    assert not both.is_working_day(date(2026, 10, 28))
    assert not both.is_working_day(date(2026, 11, 2))
    # Bank holidays are kept as well.
    assert not both.is_working_day(date(2026, 12, 25))


def test_holiday_calendars_apply_the_trusts_closures_to_every_nation():
    calendars = HolidayCalendars("Europe/London", closures=HALF_TERM)
    england = calendars.for_nation("england")
    scotland = calendars.for_nation("scotland")
    assert not england.is_working_day(date(2026, 10, 27))
    assert not scotland.is_working_day(date(2026, 10, 27))
    assert not england.is_working_day(date(2026, 12, 25))
    assert england.closures == frozenset(HALF_TERM)


# --- working_days_between --------------------------------------------------------------------


def test_working_days_between_across_christmas():
    # After Mon 21 Dec up to Wed 30 Dec: Tue 22, Wed 23, Thu 24, Tue 29, Wed 30 = 5.
    assert CAL.working_days_between(date(2026, 12, 21), date(2026, 12, 30)) == 5
    assert CAL.working_days_between(date(2026, 12, 30), date(2026, 12, 21)) == -5


def test_working_days_between_counts_the_end_but_not_the_start():
    assert CAL.working_days_between(date(2026, 10, 14), date(2026, 10, 14)) == 0
    # Fri 4 Sep -> Mon 7 Sep: only Mon 7 counts.
    assert CAL.working_days_between(date(2026, 9, 4), date(2026, 9, 7)) == 1
    # Fri 25 Dec -> Mon 28 Dec: nothing but holidays and a weekend.
    assert CAL.working_days_between(date(2026, 12, 25), date(2026, 12, 28)) == 0


def test_working_days_between_skips_closures():
    closed = CAL.with_closures(HALF_TERM)
    # Fri 23 Oct -> Fri 6 Nov: ten weekdays; with half term closed, only Mon 2..Fri 6 Nov.
    assert CAL.working_days_between(date(2026, 10, 23), date(2026, 11, 6)) == 10
    assert closed.working_days_between(date(2026, 10, 23), date(2026, 11, 6)) == 5


# --- next_working_day ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 10, 14), date(2026, 10, 14)),  # already a working day
        (date(2026, 9, 5), date(2026, 9, 7)),  # Saturday -> Monday
        (date(2026, 12, 25), date(2026, 12, 29)),  # Fri 25 -> skip Sat, Sun, Mon 28 -> Tue 29
        (date(2027, 1, 1), date(2027, 1, 4)),  # New Year's Day (Fri) -> Mon 4 Jan
    ],
)
def test_next_working_day(day, expected):
    assert CAL.next_working_day(day) == expected


def test_next_working_day_skips_closures():
    # Sat 24 Oct: Sun 25, then the half-term week, then Sat/Sun -> Mon 2 Nov.
    assert CAL.with_closures(HALF_TERM).next_working_day(date(2026, 10, 24)) == date(2026, 11, 2)


# --- local_date ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        # British Summer Time (UTC+1): 23:30 UTC is already 00:30 the next day in London.
        (datetime(2026, 10, 13, 23, 30, tzinfo=UTC), date(2026, 10, 14)),
        (datetime(2026, 10, 13, 22, 59, tzinfo=UTC), date(2026, 10, 13)),
        # BST ends at 01:00 UTC on Sunday 25 October 2026.
        (datetime(2026, 10, 24, 23, 30, tzinfo=UTC), date(2026, 10, 25)),
        (datetime(2026, 10, 25, 23, 30, tzinfo=UTC), date(2026, 10, 25)),
        # Greenwich Mean Time (UTC+0): the UTC date is the London date.
        (datetime(2026, 12, 24, 23, 59, tzinfo=UTC), date(2026, 12, 24)),
        (datetime(2026, 12, 25, 0, 1, tzinfo=UTC), date(2026, 12, 25)),
        # 20:00 in New York (UTC-5) on 24 Dec is 01:00 on 25 Dec in London.
        (datetime(2026, 12, 24, 20, 0, tzinfo=timezone(timedelta(hours=-5))), date(2026, 12, 25)),
        # 00:30 in Paris (UTC+1 in winter) on 1 Jan is still 31 Dec in London.
        (datetime(2027, 1, 1, 0, 30, tzinfo=ZoneInfo("Europe/Paris")), date(2026, 12, 31)),
    ],
)
def test_local_date_is_the_london_date(moment, expected):
    assert CAL.local_date(moment) == expected


def test_local_date_refuses_a_naive_datetime():
    with pytest.raises(ValueError, match="time zone"):
        CAL.local_date(datetime(2026, 10, 14, 10, 0))


def test_a_calendar_in_another_zone_uses_that_zone():
    tokyo = WorkingCalendar(ZoneInfo("Asia/Tokyo"))
    # 16:00 UTC on 14 Oct is 01:00 on 15 Oct in Tokyo (UTC+9).
    assert tokyo.local_date(datetime(2026, 10, 14, 16, 0, tzinfo=UTC)) == date(2026, 10, 15)


# --- Scotland differs from England -----------------------------------------------------------


def test_2_january_is_a_scottish_holiday_but_not_an_english_one():
    # In 2027 the 2nd of January is a Saturday; the `holidays` package lists it for Scotland and
    # gives Monday 4 January as the substitute day.
    assert date(2027, 1, 2) in SCOTLAND.bank_holidays
    assert date(2027, 1, 2) not in CAL.bank_holidays
    assert not SCOTLAND.is_working_day(date(2027, 1, 4))
    assert CAL.is_working_day(date(2027, 1, 4))


def test_st_andrews_day_and_easter_monday_differ_between_scotland_and_england():
    # Monday 30 November 2026 (St Andrew's Day) is a Scottish bank holiday only.
    assert not SCOTLAND.is_working_day(date(2026, 11, 30))
    assert CAL.is_working_day(date(2026, 11, 30))
    # Monday 29 March 2027 (Easter Monday) is an English bank holiday only.
    assert SCOTLAND.is_working_day(date(2027, 3, 29))
    assert not CAL.is_working_day(date(2027, 3, 29))


def test_counting_over_new_year_differs_between_scotland_and_england():
    # From Thu 31 Dec 2026 + 1. England: Fri 1 Jan holiday, weekend -> Mon 4 Jan.
    # Scotland: Fri 1 Jan, Sat 2 Jan holidays, Sun 3, Mon 4 (substitute for the 2nd) -> Tue 5 Jan.
    assert CAL.add_working_days(date(2026, 12, 31), 1) == date(2027, 1, 4)
    assert SCOTLAND.add_working_days(date(2026, 12, 31), 1) == date(2027, 1, 5)


def test_both_nations_share_christmas():
    for day in (date(2026, 12, 25), date(2026, 12, 28)):
        assert not SCOTLAND.is_working_day(day)
        assert not CAL.is_working_day(day)


@pytest.mark.parametrize("subdivision", ["ENG", "WLS", "SCT", "NIR"])
def test_bank_holidays_by_year_are_the_holidays_packages_own(subdivision):
    ours = BankHolidays(subdivision)
    theirs = holidays.country_holidays("GB", subdiv=subdivision)
    day = date(2019, 1, 1)
    while day < date(2031, 1, 1):
        assert (day in ours) == (day in theirs), day
        day += timedelta(days=1)
    assert "2026-12-25" not in ours  # dates only; `holidays` would parse the string


def test_counting_twice_gives_the_same_answers_from_memory():
    calendar = HolidayCalendars("Europe/London").for_nation("england")
    first = [calendar.add_working_days(date(2026, 12, 21), n) for n in range(-12, 13)]
    again = [calendar.add_working_days(date(2026, 12, 21), n) for n in range(-12, 13)]
    assert first == again and first[12 + 5] == date(2026, 12, 30)
    assert calendar.working_days_between(date(2026, 12, 21), date(2026, 12, 30)) == 5
    assert calendar.working_days_between(date(2026, 12, 30), date(2026, 12, 21)) == -5
