"""shared/calendar.py against its module docstring: weekends, DE/US public holidays, the year
end, DST in Berlin and New York (24x7 counts elapsed time, office hours stay wall-clock, hours
in the spring-forward gap or the repeated fall-back hour), edge cases of
``add_business_minutes``, validation, the JSON form, and hypothesis properties.

Every expected instant is worked out by hand, written as local wall time and again in UTC:
CET = UTC+1, CEST = UTC+2 (2026: from Sun 29 Mar 02:00 CET to Sun 25 Oct 03:00 CEST);
EST = UTC-5, EDT = UTC-4 (2026: from Sun 8 Mar 02:00 EST to Sun 1 Nov 02:00 EDT); IST = UTC+5:30.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.calendar import (
    END_OF_DAY,
    BusinessCalendar,
    CalendarError,
    add_business_minutes,
    business_minutes_between,
    is_business_time,
    parse_calendar,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
KOLKATA = ZoneInfo("Asia/Kolkata")
MON_FRI = ("mon", "tue", "wed", "thu", "fri")
ALL_WEEK = (*MON_FRI, "sat", "sun")


def office(
    tz: str = "Europe/Berlin",
    country: str | None = None,
    days: tuple[str, ...] = MON_FRI,
    hours: tuple[str, str] = ("09:00", "18:00"),
) -> BusinessCalendar:
    return parse_calendar(
        {
            "timezone": tz,
            "working_hours": {day: list(hours) for day in days},
            "holidays_country": country,
        }
    )


def always(tz: str = "Europe/Berlin", country: str | None = None) -> BusinessCalendar:
    return parse_calendar({"timezone": tz, "working_hours": "24x7", "holidays_country": country})


def utc(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=UTC)


def wall(zone: ZoneInfo, y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=zone)


def add(start: datetime, minutes: int, calendar: BusinessCalendar) -> datetime:
    """``add_business_minutes``, checking that the result is in UTC."""
    result = add_business_minutes(start, minutes, calendar)
    assert result.tzinfo is UTC
    return result


# ------------------------------------------------------------------- weekends, office hours


def test_friday_evening_plus_an_hour_is_monday_morning() -> None:
    berlin = office()
    # Fri 20 Nov 2026 17:30 CET + 60: 30 min on Friday, 30 from Mon 23 Nov 09:00 CET
    result = add(wall(BERLIN, 2026, 11, 20, 17, 30), 60, berlin)
    assert result == utc(2026, 11, 23, 8, 30)  # Mon 09:30 CET
    assert result == wall(BERLIN, 2026, 11, 23, 9, 30)
    assert (
        business_minutes_between(
            wall(BERLIN, 2026, 11, 20, 17, 30), wall(BERLIN, 2026, 11, 23, 9, 30), berlin
        )
        == 60
    )


def test_weekend_start_and_a_full_week() -> None:
    berlin = office()
    # Sat 21 Nov 2026 12:00: counting starts Mon 23 Nov 09:00 CET
    assert add(wall(BERLIN, 2026, 11, 21, 12), 1, berlin) == utc(2026, 11, 23, 8, 1)
    # Mon 09:00 + 5 x 540 min: Fri 27 Nov 18:00 CET, the end of the week's last interval
    assert add(wall(BERLIN, 2026, 11, 23, 9), 5 * 540, berlin) == utc(2026, 11, 27, 17)
    # ... and one more minute is Mon 30 Nov 09:01 CET
    assert add(wall(BERLIN, 2026, 11, 23, 9), 5 * 540 + 1, berlin) == utc(2026, 11, 30, 8, 1)
    # a whole calendar week holds 45 hours
    assert (
        business_minutes_between(wall(BERLIN, 2026, 11, 21), wall(BERLIN, 2026, 11, 28), berlin)
        == 45 * 60
    )


# ------------------------------------------------------------------- public holidays


def test_german_easter_good_friday_and_easter_monday() -> None:
    de = office(country="DE")
    # Thu 2 Apr 2026 17:00 CEST + 120: 60 on Thursday; Good Friday 3 Apr, the weekend and
    # Easter Monday 6 Apr are off; Tue 7 Apr 10:00 CEST = 08:00 UTC
    assert add(wall(BERLIN, 2026, 4, 2, 17), 120, de) == utc(2026, 4, 7, 8)
    # without a country Good Friday is a working day: Fri 3 Apr 10:00 CEST
    assert add(wall(BERLIN, 2026, 4, 2, 17), 120, office()) == utc(2026, 4, 3, 8)
    assert de.is_holiday(date(2026, 4, 3)) and de.is_holiday(date(2026, 4, 6))
    assert not de.is_holiday(date(2026, 4, 7))
    assert not office().is_holiday(date(2026, 4, 3))
    assert de.interval(date(2026, 4, 3)) is None
    assert de.interval(date(2026, 4, 7)) == (utc(2026, 4, 7, 7), utc(2026, 4, 7, 16))
    assert not is_business_time(wall(BERLIN, 2026, 4, 6, 12), de)


def test_german_christmas_two_full_days_land_on_an_interval_end() -> None:
    de = office(country="DE")
    # Thu 24 Dec 2026 (a working day) 09:00 CET + 2 x 540: Thursday in full, Fri 25 Dec
    # (Christmas Day), Sat 26 (Second Day of Christmas) and Sunday off, Monday 28 in full
    start = wall(BERLIN, 2026, 12, 24, 9)
    assert add(start, 1080, de) == utc(2026, 12, 28, 17)  # Mon 18:00 CET
    assert add(start, 1081, de) == utc(2026, 12, 29, 8, 1)  # Tue 09:01 CET
    assert business_minutes_between(start, utc(2026, 12, 29), de) == 1080


def test_us_thanksgiving() -> None:
    us = office("America/New_York", "US")
    # Wed 25 Nov 2026 17:00 EST + 120: Thanksgiving Thu 26 Nov off; Fri 27 Nov 10:00 EST
    assert add(wall(NEW_YORK, 2026, 11, 25, 17), 120, us) == utc(2026, 11, 27, 15)
    assert us.is_holiday(date(2026, 11, 26))


def test_us_independence_day_observed_on_friday() -> None:
    us = office("America/New_York", "US")
    # 4 Jul 2026 is a Saturday, observed Fri 3 Jul. Thu 2 Jul 17:30 EDT + 60: 30 on Thursday,
    # then Mon 6 Jul 09:00 EDT + 30 = 09:30 EDT = 13:30 UTC
    assert add(wall(NEW_YORK, 2026, 7, 2, 17, 30), 60, us) == utc(2026, 7, 6, 13, 30)
    assert us.is_holiday(date(2026, 7, 3))
    assert not is_business_time(wall(NEW_YORK, 2026, 7, 3, 12), us)


def test_year_end_crosses_new_years_day() -> None:
    # Wed 31 Dec 2025 is a working day in Germany and the US, Thu 1 Jan 2026 is not,
    # Fri 2 Jan 2026 is again
    de = office(country="DE")
    assert add(wall(BERLIN, 2025, 12, 31, 17), 120, de) == utc(2026, 1, 2, 9)  # Fri 10:00 CET
    assert business_minutes_between(wall(BERLIN, 2025, 12, 31, 17), utc(2026, 1, 2, 9), de) == 120
    us = office("America/New_York", "US")
    # Wed 31 Dec 2025 17:30 EST + 60: Fri 2 Jan 2026 09:30 EST = 14:30 UTC
    assert add(wall(NEW_YORK, 2025, 12, 31, 17, 30), 60, us) == utc(2026, 1, 2, 14, 30)


def test_us_new_year_observed_in_the_previous_year() -> None:
    us = office("America/New_York", "US")
    # 1 Jan 2028 is a Saturday, observed Fri 31 Dec 2027. Thu 30 Dec 2027 17:00 EST + 120:
    # 60 on Thursday, then Mon 3 Jan 2028 10:00 EST = 15:00 UTC
    assert us.is_holiday(date(2027, 12, 31))
    assert add(wall(NEW_YORK, 2027, 12, 30, 17), 120, us) == utc(2028, 1, 3, 15)


# ------------------------------------------------------------------- DST


def test_office_hours_stay_wall_clock_over_a_dst_weekend() -> None:
    berlin = office()
    # Fri 27 Mar 2026 17:00 CET (16:00 UTC) + 120 -> Mon 30 Mar 10:00 CEST (08:00 UTC)
    assert add(wall(BERLIN, 2026, 3, 27, 17), 120, berlin) == utc(2026, 3, 30, 8)
    # Fri 23 Oct 2026 17:00 CEST (15:00 UTC) + 120 -> Mon 26 Oct 10:00 CET (09:00 UTC)
    assert add(wall(BERLIN, 2026, 10, 23, 17), 120, berlin) == utc(2026, 10, 26, 9)
    ny = office("America/New_York")
    # Fri 6 Mar 2026 17:00 EST + 120 -> Mon 9 Mar 10:00 EDT = 14:00 UTC
    assert add(wall(NEW_YORK, 2026, 3, 6, 17), 120, ny) == utc(2026, 3, 9, 14)
    # Fri 30 Oct 2026 17:00 EDT + 120 -> Mon 2 Nov 10:00 EST = 15:00 UTC
    assert add(wall(NEW_YORK, 2026, 10, 30, 17), 120, ny) == utc(2026, 11, 2, 15)


@pytest.mark.parametrize(
    ("tz", "day", "start_utc", "end_utc"),
    [
        # 09:00-18:00 on the DST Sundays themselves: 9 hours, from 09:00 to 18:00 local
        ("Europe/Berlin", date(2026, 3, 29), utc(2026, 3, 29, 7), utc(2026, 3, 29, 16)),  # CEST
        ("Europe/Berlin", date(2026, 10, 25), utc(2026, 10, 25, 8), utc(2026, 10, 25, 17)),  # CET
        ("America/New_York", date(2026, 3, 8), utc(2026, 3, 8, 13), utc(2026, 3, 8, 22)),  # EDT
        ("America/New_York", date(2026, 11, 1), utc(2026, 11, 1, 14), utc(2026, 11, 1, 23)),
    ],
)
def test_a_working_day_on_a_dst_day_is_nine_hours(
    tz: str, day: date, start_utc: datetime, end_utc: datetime
) -> None:
    calendar = office(tz, days=ALL_WEEK)
    assert calendar.interval(day) == (start_utc, end_utc)
    assert add(start_utc, 540, calendar) == end_utc
    assert add(start_utc - timedelta(hours=5), 540, calendar) == end_utc  # from 04:00 local
    # the whole local day (from the previous local midnight to the next) holds 540 minutes
    zone = ZoneInfo(tz)
    midnight = datetime.combine(day, time(0), zone)
    next_midnight = datetime.combine(day + timedelta(days=1), time(0), zone)
    assert business_minutes_between(midnight, next_midnight, calendar) == 540


@pytest.mark.parametrize(
    ("start", "end"),
    [
        # 24 real hours from a Saturday noon: the wall clock moves 25 h (spring) or 23 h (autumn)
        (wall(BERLIN, 2026, 3, 28, 12), wall(BERLIN, 2026, 3, 29, 13)),  # 11:00 -> 11:00 UTC
        (wall(BERLIN, 2026, 10, 24, 12), wall(BERLIN, 2026, 10, 25, 11)),  # 10:00 -> 10:00 UTC
        (wall(NEW_YORK, 2026, 3, 7, 12), wall(NEW_YORK, 2026, 3, 8, 13)),  # 17:00 -> 17:00 UTC
        (wall(NEW_YORK, 2026, 10, 31, 12), wall(NEW_YORK, 2026, 11, 1, 11)),  # 16:00 -> 16:00
    ],
)
def test_24x7_adds_elapsed_minutes_across_dst(start: datetime, end: datetime) -> None:
    calendar = always(str(start.tzinfo))
    # (subtracting two datetimes of the same ZoneInfo would give the wall-clock difference)
    assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=24)
    assert add(start, 1440, calendar) == end
    assert business_minutes_between(start, end, calendar) == 1440


@pytest.mark.parametrize(
    ("tz", "day", "minutes"),
    [
        ("Europe/Berlin", date(2026, 3, 29), 23 * 60),
        ("Europe/Berlin", date(2026, 10, 25), 25 * 60),
        ("America/New_York", date(2026, 3, 8), 23 * 60),
        ("America/New_York", date(2026, 11, 1), 25 * 60),
    ],
)
def test_dst_days_are_23_and_25_hours_long(tz: str, day: date, minutes: int) -> None:
    zone = ZoneInfo(tz)
    midnight = datetime.combine(day, time(0), zone)
    next_midnight = datetime.combine(day + timedelta(days=1), time(0), zone)
    # 24x7, and working hours 00:00-24:00 every day, give the same real length
    for calendar in (always(tz), office(tz, days=ALL_WEEK, hours=("00:00", "24:00"))):
        assert business_minutes_between(midnight, next_midnight, calendar) == minutes
        assert add(midnight, minutes, calendar) == next_midnight
    interval = office(tz, days=ALL_WEEK, hours=("00:00", "24:00")).interval(day)
    assert interval is not None and interval[1] - interval[0] == timedelta(minutes=minutes)


@pytest.mark.parametrize(
    ("tz", "hours", "day", "interval"),
    [
        # Berlin, 29 Mar 2026: 02:00 CET jumps to 03:00 CEST at 01:00 UTC
        (
            "Europe/Berlin",
            ("01:00", "04:00"),
            date(2026, 3, 29),
            (utc(2026, 3, 29, 0), utc(2026, 3, 29, 2)),
        ),
        # 02:30 does not exist: it maps to the jump, the day is 03:00-04:00 CEST
        (
            "Europe/Berlin",
            ("02:30", "04:00"),
            date(2026, 3, 29),
            (utc(2026, 3, 29, 1), utc(2026, 3, 29, 2)),
        ),
        # hours wholly inside the gap: no working time that day
        ("Europe/Berlin", ("02:15", "02:45"), date(2026, 3, 29), None),
        # Berlin, 25 Oct 2026: 03:00 CEST goes back to 02:00 CET at 01:00 UTC; 02:00-03:00 twice
        # 01:00 CEST (23:00 UTC) until 04:00 CET (03:00 UTC): 4 real hours
        (
            "Europe/Berlin",
            ("01:00", "04:00"),
            date(2026, 10, 25),
            (utc(2026, 10, 24, 23), utc(2026, 10, 25, 3)),
        ),
        # first 02:30 (CEST, 00:30 UTC) until 04:00 CET: 150 minutes
        (
            "Europe/Berlin",
            ("02:30", "04:00"),
            date(2026, 10, 25),
            (utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 3)),
        ),
        # first 02:15 (CEST) until the clock first reads 02:45 (CEST): 30 minutes
        (
            "Europe/Berlin",
            ("02:15", "02:45"),
            date(2026, 10, 25),
            (utc(2026, 10, 25, 0, 15), utc(2026, 10, 25, 0, 45)),
        ),
        # New York, 8 Mar 2026: 02:00 EST jumps to 03:00 EDT at 07:00 UTC
        (
            "America/New_York",
            ("01:30", "03:00"),
            date(2026, 3, 8),
            (utc(2026, 3, 8, 6, 30), utc(2026, 3, 8, 7)),
        ),
        # New York, 1 Nov 2026: 02:00 EDT goes back to 01:00 EST at 06:00 UTC; 01:00-02:00 twice
        # 01:00 EDT (05:00 UTC) until the clock first reads 02:00 (EST, 07:00 UTC): 2 hours
        (
            "America/New_York",
            ("01:00", "02:00"),
            date(2026, 11, 1),
            (utc(2026, 11, 1, 5), utc(2026, 11, 1, 7)),
        ),
        # 00:30 EDT until the first 01:30 (EDT): 1 hour, the repeated 01:30 is not included
        (
            "America/New_York",
            ("00:30", "01:30"),
            date(2026, 11, 1),
            (utc(2026, 11, 1, 4, 30), utc(2026, 11, 1, 5, 30)),
        ),
    ],
)
def test_hours_in_the_gap_or_the_repeated_hour(
    tz: str,
    hours: tuple[str, str],
    day: date,
    interval: tuple[datetime, datetime] | None,
) -> None:
    calendar = office(tz, days=("sun",), hours=hours)
    assert calendar.interval(day) == interval
    saturday = datetime.combine(day - timedelta(days=1), time(12), ZoneInfo(tz))
    if interval is None:
        # the next working minute is on the following Sunday (no DST change then)
        next_sunday = datetime.combine(
            day + timedelta(days=7), time.fromisoformat(hours[0]), ZoneInfo(tz)
        )
        assert add(saturday, 1, calendar) == next_sunday + timedelta(minutes=1)
        return
    length = (interval[1] - interval[0]) // timedelta(minutes=1)
    assert add(saturday, 1, calendar) == interval[0] + timedelta(minutes=1)
    assert add(saturday, length, calendar) == interval[1]
    assert business_minutes_between(saturday, saturday + timedelta(days=2), calendar) == length
    assert is_business_time(interval[1] - timedelta(microseconds=1), calendar)
    assert not is_business_time(interval[1], calendar)


def test_the_repeated_hour_is_working_time_only_when_the_interval_covers_it() -> None:
    # 01:15 EST on 1 Nov 2026 (the second 01:15) is 06:15 UTC
    second_0115 = utc(2026, 11, 1, 6, 15)
    assert second_0115.astimezone(NEW_YORK).replace(tzinfo=None) == datetime(2026, 11, 1, 1, 15)
    assert is_business_time(
        second_0115, office("America/New_York", days=("sun",), hours=("01:00", "02:00"))
    )
    assert not is_business_time(
        second_0115, office("America/New_York", days=("sun",), hours=("00:30", "01:30"))
    )


# ------------------------------------------------------------------- 24x7


@pytest.mark.parametrize("minutes", [0, 1, 59, 1440, 60 * 24 * 366, 20000])
@pytest.mark.parametrize(
    "start",
    [
        wall(BERLIN, 2026, 12, 25, 12),  # Christmas Day: a holiday, but 24x7 ignores it
        datetime(2026, 3, 29, 1, 59, 30, 123456, tzinfo=BERLIN),  # just before the jump
        datetime(2026, 11, 1, 1, 30, fold=1, tzinfo=NEW_YORK),  # in the repeated hour (EST)
        datetime(2026, 7, 3, 23, 59, 59, tzinfo=timezone(timedelta(hours=-4))),
    ],
)
def test_24x7_is_plain_elapsed_time_and_ignores_holidays(start: datetime, minutes: int) -> None:
    for calendar in (always("Europe/Berlin", "DE"), always("America/New_York", "US")):
        assert calendar.holidays_country is not None  # kept, but without effect
        result = add(start, minutes, calendar)
        # elapsed time: UTC arithmetic (``start + timedelta`` on a ZoneInfo datetime is wall time)
        assert result == start.astimezone(UTC) + timedelta(minutes=minutes)
        assert business_minutes_between(start, result, calendar) == minutes
        assert is_business_time(start, calendar)
    assert always(country="DE").is_holiday(date(2026, 12, 25))


# ------------------------------------------------------------------- edge cases of add


def test_start_outside_working_time_begins_at_the_next_working_instant() -> None:
    berlin = office()
    # Mon 23 Nov 2026 07:00 CET + 30 -> 09:30 CET; 20:00 + 30 -> Tue 09:30 CET
    assert add(wall(BERLIN, 2026, 11, 23, 7), 30, berlin) == utc(2026, 11, 23, 8, 30)
    assert add(wall(BERLIN, 2026, 11, 23, 20), 30, berlin) == utc(2026, 11, 24, 8, 30)
    assert (
        business_minutes_between(wall(BERLIN, 2026, 11, 23, 7), utc(2026, 11, 23, 8, 30), berlin)
        == 30
    )


def test_zero_minutes_returns_start_in_utc() -> None:
    berlin = office()
    sunday_night = wall(BERLIN, 2026, 11, 22, 3)  # outside working time
    result = add(sunday_night, 0, berlin)
    assert result == sunday_night == utc(2026, 11, 22, 2)
    assert result.tzinfo is UTC
    assert add(wall(BERLIN, 2026, 11, 23, 10), 0, berlin) == utc(2026, 11, 23, 9)
    assert add(wall(BERLIN, 2026, 11, 23, 10), 0, always()) == utc(2026, 11, 23, 9)


def test_landing_on_an_interval_end_stays_there() -> None:
    berlin = office()
    end_of_day = add(wall(BERLIN, 2026, 11, 23, 17), 60, berlin)
    assert end_of_day == utc(2026, 11, 23, 17)  # Mon 18:00 CET, not Tue 09:00
    assert not is_business_time(end_of_day, berlin)  # intervals are half-open
    assert is_business_time(end_of_day - timedelta(microseconds=1), berlin)
    assert add(end_of_day, 0, berlin) == end_of_day
    # starting at the end, the next minute is Tue 09:00-09:01 CET
    assert add(end_of_day, 1, berlin) == utc(2026, 11, 24, 8, 1)
    # a 24:00 end: Mon 23:00 + 60 is the local midnight that ends Monday
    late = office(days=("mon",), hours=("20:00", "24:00"))
    assert add(wall(BERLIN, 2026, 11, 23, 23), 60, late) == utc(2026, 11, 23, 23)
    assert add(wall(BERLIN, 2026, 11, 23, 23), 61, late) == utc(2026, 11, 30, 19, 1)


def test_seconds_of_the_start_are_kept() -> None:
    berlin = office()
    start = datetime(2026, 11, 23, 10, 0, 30, 250, tzinfo=BERLIN)
    assert add(start, 1, berlin) == datetime(2026, 11, 23, 9, 1, 30, 250, tzinfo=UTC)
    # 17:59:30 + 1: 30 s on Monday and 30 s on Tuesday
    assert add(datetime(2026, 11, 23, 17, 59, 30, tzinfo=BERLIN), 1, berlin) == datetime(
        2026, 11, 24, 8, 0, 30, tzinfo=UTC
    )
    # whole minutes only, rounded down: 10:00:15-11:30 is 89.75 minutes, counted as 89
    quarter_past = datetime(2026, 11, 23, 10, 0, 15, tzinfo=BERLIN)
    assert business_minutes_between(quarter_past, wall(BERLIN, 2026, 11, 23, 11, 30), berlin) == 89


# ------------------------------------------------------------------- timezones of the inputs


@pytest.mark.parametrize(
    "tzinfo",
    [UTC, BERLIN, NEW_YORK, KOLKATA, ZoneInfo("Asia/Tokyo"), timezone(timedelta(hours=-7))],
)
def test_inputs_in_any_timezone_mean_the_same_instant(tzinfo: Any) -> None:
    berlin = office()
    start = wall(BERLIN, 2026, 11, 20, 17, 30).astimezone(tzinfo)
    assert add(start, 60, berlin) == utc(2026, 11, 23, 8, 30)
    end = utc(2026, 11, 23, 8, 30).astimezone(tzinfo)
    assert business_minutes_between(start, end, berlin) == 60
    assert is_business_time(start, berlin)


def test_a_calendar_with_a_half_hour_offset() -> None:
    kolkata = office("Asia/Kolkata", "US")  # an odd pairing, but any country may be chosen
    # Mon 23 Nov 2026 03:00 UTC = 08:30 IST, before opening; + 60 = 10:00 IST = 04:30 UTC
    assert add(utc(2026, 11, 23, 3), 60, kolkata) == utc(2026, 11, 23, 4, 30)
    # Thanksgiving Thu 26 Nov is off even in Kolkata: Wed 17:30 IST + 60 -> Fri 09:30 IST
    assert add(datetime(2026, 11, 25, 17, 30, tzinfo=KOLKATA), 60, kolkata) == utc(2026, 11, 27, 4)


def test_naive_inputs_and_negative_minutes_are_refused() -> None:
    berlin = office()
    naive = datetime(2026, 11, 23, 10)
    aware = wall(BERLIN, 2026, 11, 23, 10)
    for calendar in (berlin, always()):
        with pytest.raises(ValueError, match="timezone-aware"):
            add_business_minutes(naive, 30, calendar)
        with pytest.raises(ValueError, match="timezone-aware"):
            add_business_minutes(naive, 0, calendar)
        with pytest.raises(ValueError, match="timezone-aware"):
            business_minutes_between(naive, aware, calendar)
        with pytest.raises(ValueError, match="timezone-aware"):
            business_minutes_between(aware, naive, calendar)
        with pytest.raises(ValueError, match="timezone-aware"):
            is_business_time(naive, calendar)
        with pytest.raises(ValueError, match="negative"):
            add_business_minutes(aware, -1, calendar)


def test_minutes_between_is_zero_when_end_is_not_after_start() -> None:
    berlin = office()
    assert business_minutes_between(utc(2026, 11, 24, 10), utc(2026, 11, 23, 10), berlin) == 0
    assert business_minutes_between(utc(2026, 11, 23, 10), utc(2026, 11, 23, 10), berlin) == 0
    assert business_minutes_between(utc(2026, 11, 24, 10), utc(2026, 11, 23, 10), always()) == 0


# ------------------------------------------------------------------- validation, JSON form


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"working_hours": {"mon": ["9:00", "18:00"]}}, "working_hours.mon"),
        ({"working_hours": {"tue": ["09:00", "25:00"]}}, "working_hours.tue"),
        ({"working_hours": {"wed": ["12:60", "13:00"]}}, "working_hours.wed"),
        ({"working_hours": {"thu": ["09:00 ", "18:00"]}}, "working_hours.thu"),
        ({"working_hours": {"fri": [900, 1800]}}, "working_hours.fri"),
        ({"working_hours": {"sat": ["18:00", "09:00"]}}, "working_hours.sat"),
        ({"working_hours": {"sun": ["10:00", "10:00"]}}, "working_hours.sun"),
        ({"working_hours": {"mon": ["24:00", "24:00"]}}, "working_hours.mon"),
        ({"working_hours": {"mon": ["09:00"]}}, "working_hours.mon"),
        ({"working_hours": {"mon": "09:00-18:00"}}, "working_hours.mon"),
        ({"working_hours": {"monday": ["09:00", "18:00"]}}, "working_hours.monday"),
        ({"working_hours": {"Mon": ["09:00", "18:00"]}}, "working_hours.Mon"),
        ({"working_hours": {}}, "working_hours"),
        ({"working_hours": "24/7"}, "working_hours"),
        ({"working_hours": ["09:00", "18:00"]}, "working_hours"),
        ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
        ({"timezone": "Europe"}, "timezone"),
        ({"timezone": ""}, "timezone"),
        ({"timezone": 1}, "timezone"),
        ({"holidays_country": "XX"}, "holidays_country"),
        ({"holidays_country": "DEU"}, "holidays_country"),
        ({"holidays_country": 49}, "holidays_country"),
        ({"holidays_country": "\u0131t"}, "holidays_country"),  # dotless i: upper() is "IT"
        ({"holidays_country": "\u00df"}, "holidays_country"),  # "ß".upper() is "SS"
    ],
)
def test_invalid_json_names_the_field(data: dict[str, Any], field: str) -> None:
    with pytest.raises(CalendarError) as info:
        parse_calendar(data)
    assert info.value.field == field
    assert info.value.msg
    assert str(info.value).startswith(f"{field}: ")
    with pytest.raises(CalendarError):
        BusinessCalendar.from_dict(data)


@pytest.mark.parametrize(
    ("make", "field"),
    [
        (lambda: BusinessCalendar("Nowhere/Special"), "timezone"),
        (lambda: BusinessCalendar("UTC", {7: (time(9), time(18))}), "working_hours.7"),
        (lambda: BusinessCalendar("UTC", {1: (time(18), time(9))}), "working_hours.tue"),
        (lambda: BusinessCalendar("UTC", {2: [time(9), time(18)]}), "working_hours.wed"),  # type: ignore[dict-item]
        (
            lambda: BusinessCalendar("UTC", {3: (time(9, tzinfo=UTC), time(18))}),
            "working_hours.thu",
        ),
        (lambda: BusinessCalendar("UTC", None, "ZZ"), "holidays_country"),
        (lambda: BusinessCalendar("UTC", None, "\u0131t"), "holidays_country"),
    ],
)
def test_invalid_constructor_arguments_name_the_field(make: Any, field: str) -> None:
    with pytest.raises(CalendarError) as info:
        make()
    assert info.value.field == field


def test_calendar_error_is_a_value_error() -> None:
    error = CalendarError("working_hours.mon", "start must be before end")
    assert isinstance(error, ValueError)
    assert (error.field, error.msg) == ("working_hours.mon", "start must be before end")
    assert str(error) == "working_hours.mon: start must be before end"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            {
                "timezone": "America/New_York",
                "working_hours": {"fri": ["08:30", "12:00"], "mon": ["00:00", "24:00"]},
                "holidays_country": "us",
            },
            {
                "timezone": "America/New_York",
                "working_hours": {"mon": ["00:00", "24:00"], "fri": ["08:30", "12:00"]},
                "holidays_country": "US",
            },
        ),
        (
            {"timezone": "Asia/Kolkata", "working_hours": "24x7", "holidays_country": "DE"},
            {"timezone": "Asia/Kolkata", "working_hours": "24x7", "holidays_country": "DE"},
        ),
        ({}, {"timezone": "UTC", "working_hours": "24x7", "holidays_country": None}),
        (
            {"timezone": None, "working_hours": None, "holidays_country": None},
            {"timezone": "UTC", "working_hours": "24x7", "holidays_country": None},
        ),
    ],
)
def test_json_round_trip(data: dict[str, Any], expected: dict[str, Any]) -> None:
    calendar = parse_calendar(data)
    assert calendar.to_dict() == expected
    assert list(calendar.to_dict()["working_hours"]) == list(expected["working_hours"])  # order
    again = BusinessCalendar.from_dict(calendar.to_dict())
    assert again == calendar
    assert hash(again) == hash(calendar)
    assert again.to_dict() == expected


def test_constructor_and_json_agree() -> None:
    built = BusinessCalendar(
        "Europe/Berlin", {0: (time(9), time(18)), 6: (time(20), END_OF_DAY)}, "de"
    )
    assert built.holidays_country == "DE"
    assert not built.is_24x7
    assert built.to_dict() == {
        "timezone": "Europe/Berlin",
        "working_hours": {"mon": ["09:00", "18:00"], "sun": ["20:00", "24:00"]},
        "holidays_country": "DE",
    }
    assert parse_calendar(built.to_dict()) == built
    assert BusinessCalendar() == parse_calendar({}) and BusinessCalendar().is_24x7
    assert len({built, parse_calendar(built.to_dict())}) == 1


# ------------------------------------------------------------------- properties

ZONES = ("UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata")


@st.composite
def calendars(draw: st.DrawFn) -> BusinessCalendar:
    tz = draw(st.sampled_from(ZONES))
    country = draw(st.sampled_from(["DE", "US", None]))
    if draw(st.integers(0, 4)) == 0:
        return BusinessCalendar(tz, None, country)
    hours: dict[int, tuple[time, time]] = {}
    for day in draw(st.sets(st.integers(0, 6), min_size=1)):
        start = draw(st.integers(0, 24 * 60 - 1))  # minutes of the day
        end = draw(st.integers(start + 1, 24 * 60))
        hours[day] = (
            time(start // 60, start % 60),
            END_OF_DAY if end == 24 * 60 else time(end // 60, end % 60),
        )
    return BusinessCalendar(tz, hours, country)


starts = st.datetimes(
    min_value=datetime(2024, 1, 1),
    max_value=datetime(2028, 12, 31),
    timezones=st.sampled_from([UTC, *(ZoneInfo(name) for name in ZONES)]),
)
minutes = st.integers(0, 20000)


def at_an_interval_end(instant: datetime, calendar: BusinessCalendar) -> bool:
    day = instant.astimezone(ZoneInfo(calendar.timezone)).date()
    for offset in (-1, 0):
        interval = calendar.interval(day + timedelta(days=offset))
        if interval is not None and interval[1] == instant:
            return True
    return False


@settings(max_examples=150, deadline=None)
@given(calendars(), starts, minutes, minutes)
def test_properties(calendar: BusinessCalendar, start: datetime, a: int, b: int) -> None:
    after_a = add_business_minutes(start, a, calendar)
    after_ab = add_business_minutes(start, a + b, calendar)
    assert after_a.tzinfo is UTC
    assert start <= after_a <= after_ab  # never before the start; monotone
    assert add_business_minutes(after_a, b, calendar) == after_ab  # additive
    assert business_minutes_between(start, after_a, calendar) == a  # inverse
    assert business_minutes_between(start, after_ab, calendar) == a + b
    assert business_minutes_between(after_a, after_ab, calendar) == b
    if a > 0:
        assert is_business_time(after_a, calendar) or at_an_interval_end(after_a, calendar)
        # the last stretch counted was business time
        assert is_business_time(after_a - timedelta(microseconds=1), calendar)
    if calendar.is_24x7:
        assert after_a == start.astimezone(UTC) + timedelta(minutes=a)


@settings(max_examples=50, deadline=None)
@given(st.sampled_from(ZONES), starts, minutes)
def test_all_day_every_day_is_24x7_without_holidays(tz: str, start: datetime, m: int) -> None:
    all_day = BusinessCalendar(tz, dict.fromkeys(range(7), (time(0), END_OF_DAY)), None)
    assert add_business_minutes(start, m, all_day) == start.astimezone(UTC) + timedelta(minutes=m)
