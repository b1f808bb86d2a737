"""The business calendar (shared/calendar.py): weekends, public holidays, year ends, DST,
24x7, validation, and properties checked with hypothesis. Expected values are worked out by
hand from the calendars of 2026/2027 (DE and US holidays as the ``holidays`` package has them)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
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

BERLIN, NEW_YORK = ZoneInfo("Europe/Berlin"), ZoneInfo("America/New_York")
OFFICE = {d: ["09:00", "18:00"] for d in ("mon", "tue", "wed", "thu", "fri")}


def cal(
    tz: str = "Europe/Berlin", hours: object = OFFICE, country: str | None = None
) -> BusinessCalendar:
    return parse_calendar({"timezone": tz, "working_hours": hours, "holidays_country": country})


def local(zone: ZoneInfo, *args: int) -> datetime:
    return datetime(*args, tzinfo=zone)  # type: ignore[misc]


def add(start: datetime, minutes: int, calendar: BusinessCalendar) -> datetime:
    result = add_business_minutes(start, minutes, calendar)
    assert result.tzinfo is not None and result.utcoffset() == timedelta(0)
    return result


# ---------------------------------------------------------------- weekends and office hours


def test_within_a_working_day() -> None:
    berlin = cal()
    assert add(local(BERLIN, 2026, 11, 23, 10, 0), 90, berlin) == local(
        BERLIN, 2026, 11, 23, 11, 30
    )


def test_friday_evening_rolls_over_the_weekend() -> None:
    berlin = cal()
    # Fri 17:30 + 60 min: 30 min on Friday, 30 on Monday
    assert add(local(BERLIN, 2026, 11, 27, 17, 30), 60, berlin) == local(
        BERLIN, 2026, 11, 30, 9, 30
    )
    # started on Saturday: counting begins Monday 09:00
    assert add(local(BERLIN, 2026, 11, 28, 12, 0), 1, berlin) == local(BERLIN, 2026, 11, 30, 9, 1)


def test_landing_on_the_end_of_a_day_stays_there() -> None:
    berlin = cal()
    start = local(BERLIN, 2026, 11, 23, 9, 0)
    end_of_day = add(start, 9 * 60, berlin)
    assert end_of_day == local(BERLIN, 2026, 11, 23, 18, 0)
    assert add(end_of_day, 1, berlin) == local(BERLIN, 2026, 11, 24, 9, 1)
    assert add(start, 9 * 60 * 5, berlin) == local(BERLIN, 2026, 11, 27, 18, 0)


def test_zero_minutes_is_the_start_itself_even_off_hours() -> None:
    sunday = local(BERLIN, 2026, 11, 29, 3, 0)
    assert add(sunday, 0, cal()) == sunday


def test_inputs_in_any_timezone_and_naive_refused() -> None:
    berlin = cal()
    as_tokyo = local(BERLIN, 2026, 11, 23, 10, 0).astimezone(ZoneInfo("Asia/Tokyo"))
    assert add(as_tokyo, 30, berlin) == local(BERLIN, 2026, 11, 23, 10, 30)
    with pytest.raises(ValueError):
        add_business_minutes(datetime(2026, 11, 23, 10, 0), 30, berlin)
    with pytest.raises(ValueError):
        add_business_minutes(as_tokyo, -1, berlin)


# ---------------------------------------------------------------- public holidays, year end


def test_german_holidays_are_days_off() -> None:
    de = cal(country="DE")
    # Thu 24 Dec 2026 17:00 + 120 min: 60 on Thursday, Fri 25 Dec is Christmas Day,
    # Sat 26 is a holiday and a weekend, so Mon 28 Dec 10:00
    start = local(BERLIN, 2026, 12, 24, 17, 0)
    assert add(start, 120, de) == local(BERLIN, 2026, 12, 28, 10, 0)
    assert add(start, 120, cal()) == local(BERLIN, 2026, 12, 25, 10, 0)  # no country: worked
    assert de.is_holiday(local(BERLIN, 2026, 12, 25, 0, 0).date())
    assert not is_business_time(local(BERLIN, 2026, 12, 25, 11, 0), de)


def test_us_holidays_thanksgiving_and_observed_independence_day() -> None:
    us = cal("America/New_York", country="US")
    # Wed 25 Nov 2026 17:00 + 120: Thanksgiving Thu 26 off, Fri 27 10:00
    assert add(local(NEW_YORK, 2026, 11, 25, 17, 0), 120, us) == local(
        NEW_YORK, 2026, 11, 27, 10, 0
    )
    # Thu 2 Jul 2026 17:30 + 60: Fri 3 Jul is Independence Day (observed), Mon 6 Jul 09:30
    assert add(local(NEW_YORK, 2026, 7, 2, 17, 30), 60, us) == local(NEW_YORK, 2026, 7, 6, 9, 30)


def test_year_end_and_new_year() -> None:
    de = cal(country="DE")
    # Thu 31 Dec 2026 17:00 + 120: Fri 1 Jan 2027 is New Year's Day, weekend, Mon 4 Jan 10:00
    assert add(local(BERLIN, 2026, 12, 31, 17, 0), 120, de) == local(BERLIN, 2027, 1, 4, 10, 0)
    assert (
        business_minutes_between(
            local(BERLIN, 2026, 12, 31, 17, 0), local(BERLIN, 2027, 1, 4, 10, 0), de
        )
        == 120
    )


# ---------------------------------------------------------------- DST


def test_office_hours_stay_wall_clock_across_dst() -> None:
    berlin = cal()
    # Fri 27 Mar 2026 17:00 CET + 120: clocks go forward on Sunday 29 Mar; Mon 30 Mar 10:00 CEST
    result = add(local(BERLIN, 2026, 3, 27, 17, 0), 120, berlin)
    assert result == local(BERLIN, 2026, 3, 30, 10, 0)
    assert result == datetime(2026, 3, 30, 8, 0, tzinfo=UTC)
    # Fri 23 Oct 17:00 CEST + 120: back on Sunday 25 Oct; Mon 26 Oct 10:00 CET = 09:00 UTC
    assert add(local(BERLIN, 2026, 10, 23, 17, 0), 120, berlin) == datetime(
        2026, 10, 26, 9, 0, tzinfo=UTC
    )
    # New York: 8 Mar and 1 Nov 2026 are Sundays; a full Monday is still 9 hours
    ny = cal("America/New_York")
    monday = local(NEW_YORK, 2026, 3, 9, 9, 0)
    assert add(monday, 9 * 60, ny) == local(NEW_YORK, 2026, 3, 9, 18, 0)


def test_24x7_counts_real_elapsed_minutes_across_dst() -> None:
    always = cal(hours="24x7", country="DE")
    # the night of 29 Mar 2026 in Berlin has 23 hours: 01:00 CET + 120 real minutes = 04:00 CEST
    start = local(BERLIN, 2026, 3, 29, 1, 0)
    assert add(start, 120, always) == local(BERLIN, 2026, 3, 29, 4, 0)
    # 25 Oct: 02:00-03:00 happens twice; 01:00 CEST + 180 real minutes = 03:00 CET
    assert add(local(BERLIN, 2026, 10, 25, 1, 0), 180, always) == local(BERLIN, 2026, 10, 25, 3, 0)
    # holidays do not stop a 24x7 clock
    christmas = local(BERLIN, 2026, 12, 25, 12, 0)
    assert add(christmas, 60, always) == christmas + timedelta(hours=1)
    assert is_business_time(christmas, always)


def test_hours_touching_the_dst_gap_and_the_repeated_hour() -> None:
    night = cal(hours={"sun": ["02:30", "04:00"]})
    # 29 Mar 2026: 02:30 does not exist (02:00 -> 03:00); the day is 03:00-04:00 CEST = 60 min
    sunday = local(BERLIN, 2026, 3, 29, 0, 0)
    assert add(sunday, 60, night) == local(BERLIN, 2026, 3, 29, 4, 0)
    assert add(sunday, 61, night) == local(BERLIN, 2026, 4, 5, 2, 31)
    # 25 Oct 2026: from the first 02:30 (CEST) until 04:00 CET = 150 real minutes
    autumn = local(BERLIN, 2026, 10, 25, 0, 0)
    assert add(autumn, 150, night) == local(BERLIN, 2026, 10, 25, 4, 0)
    assert business_minutes_between(autumn, local(BERLIN, 2026, 10, 25, 5, 0), night) == 150


# ---------------------------------------------------------------- minutes between, membership


def test_business_minutes_between() -> None:
    berlin = cal(country="DE")
    assert (
        business_minutes_between(
            local(BERLIN, 2026, 11, 27, 17, 0), local(BERLIN, 2026, 11, 30, 10, 0), berlin
        )
        == 120
    )
    assert (
        business_minutes_between(
            local(BERLIN, 2026, 11, 30, 10, 0), local(BERLIN, 2026, 11, 27, 17, 0), berlin
        )
        == 0
    )
    assert is_business_time(local(BERLIN, 2026, 11, 23, 9, 0), berlin)
    assert not is_business_time(local(BERLIN, 2026, 11, 23, 18, 0), berlin)  # [start, end)


# ---------------------------------------------------------------- validation and JSON form


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"working_hours": {"mon": ["9:00", "18:00"]}}, "working_hours.mon"),
        ({"working_hours": {"mon": ["25:00", "26:00"]}}, "working_hours.mon"),
        ({"working_hours": {"mon": ["12:60", "13:00"]}}, "working_hours.mon"),
        ({"working_hours": {"mon": ["18:00", "09:00"]}}, "working_hours.mon"),
        ({"working_hours": {"mon": ["09:00", "09:00"]}}, "working_hours.mon"),
        ({"working_hours": {"mon": ["09:00"]}}, "working_hours.mon"),
        ({"working_hours": {"funday": ["09:00", "18:00"]}}, "working_hours.funday"),
        ({"working_hours": {}}, "working_hours"),
        ({"working_hours": "9to5"}, "working_hours"),
        ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
        ({"holidays_country": "QQ"}, "holidays_country"),
    ],
)
def test_invalid_calendars_name_the_field(data: dict[str, object], field: str) -> None:
    with pytest.raises(CalendarError) as info:
        parse_calendar(data)
    assert info.value.field == field
    assert info.value.msg


def test_json_round_trip_and_defaults() -> None:
    data = {
        "timezone": "America/New_York",
        "working_hours": {"mon": ["08:30", "12:00"], "sat": ["10:00", "24:00"]},
        "holidays_country": "us",
    }
    calendar = parse_calendar(data)
    assert calendar.holidays_country == "US"
    assert calendar.working_hours == {0: (time(8, 30), time(12, 0)), 5: (time(10, 0), END_OF_DAY)}
    assert calendar.to_dict() == data | {"holidays_country": "US"}
    assert BusinessCalendar.from_dict(calendar.to_dict()) == calendar
    assert parse_calendar({}) == BusinessCalendar("UTC", None, None)
    assert parse_calendar({}).is_24x7


# ---------------------------------------------------------------- properties

ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe"]


@st.composite
def calendars(draw: st.DrawFn) -> BusinessCalendar:
    tz = draw(st.sampled_from(ZONES))
    country = draw(st.sampled_from(["DE", "US", None]))
    if draw(st.integers(0, 5)) == 0:
        return BusinessCalendar(tz, None, country)
    hours = {}
    for day in draw(st.sets(st.integers(0, 6), min_size=1)):
        start = draw(st.integers(0, 24 * 4 - 1)) * 15
        end = draw(st.integers(start // 15 + 1, 24 * 4)) * 15
        hours[day] = (
            time(start // 60, start % 60),
            END_OF_DAY if end == 24 * 60 else time(end // 60, end % 60),
        )
    return BusinessCalendar(tz, hours, country)


instants = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2028, 1, 1), timezones=st.just(UTC)
).map(lambda d: d.replace(second=0, microsecond=0))
minutes = st.integers(0, 4000)


@settings(max_examples=150, deadline=None)
@given(calendars(), instants, minutes, minutes)
def test_properties(calendar: BusinessCalendar, start: datetime, a: int, b: int) -> None:
    after_a = add_business_minutes(start, a, calendar)
    after_ab = add_business_minutes(start, a + b, calendar)
    assert after_a >= start
    assert after_a <= after_ab  # monotone
    assert add_business_minutes(after_a, b, calendar) == after_ab  # additive
    assert business_minutes_between(start, after_a, calendar) == a  # inverse
    assert business_minutes_between(start, after_ab, calendar) == a + b
    if a > 0:
        # the last minute counted was business time
        assert is_business_time(after_a - timedelta(minutes=1), calendar)
