"""local_date: the one way an instant becomes someone's date; zone_of: a stored zone name as
a zone a reader can always use."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from shared.clock import local_date, zone_of

SATURDAY_2330 = datetime(2027, 3, 13, 23, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("zone", "day"),
    [
        ("UTC", date(2027, 3, 13)),
        ("America/New_York", date(2027, 3, 13)),
        ("Pacific/Pago_Pago", date(2027, 3, 13)),  # UTC-11
        ("Europe/Berlin", date(2027, 3, 14)),
        ("Asia/Tokyo", date(2027, 3, 14)),
        ("Pacific/Kiritimati", date(2027, 3, 14)),  # UTC+14
    ],
)
def test_saturday_2330_utc_is_sunday_east_of_utc(zone: str, day: date) -> None:
    assert local_date(SATURDAY_2330, zone) == day
    assert local_date(SATURDAY_2330, ZoneInfo(zone)) == day


def test_the_instant_not_its_offset_decides() -> None:
    tokyo_morning = datetime(2027, 3, 14, 8, 30, tzinfo=timezone(timedelta(hours=9)))
    assert local_date(tokyo_morning, "UTC") == date(2027, 3, 13)
    assert local_date(tokyo_morning, "Asia/Tokyo") == date(2027, 3, 14)


def test_across_the_night_the_clocks_change_in_europe() -> None:
    # Last Sunday of March 2027: Berlin jumps from 02:00 CET to 03:00 CEST at 01:00 UTC.
    before, after = (
        datetime(2027, 3, 27, 22, 59, tzinfo=UTC),
        datetime(2027, 3, 28, 1, 30, tzinfo=UTC),
    )
    assert local_date(before, "Europe/Berlin") == date(2027, 3, 27)
    assert local_date(before + timedelta(minutes=1), "Europe/Berlin") == date(2027, 3, 28)
    assert local_date(after, "Europe/Berlin") == date(2027, 3, 28)
    # Berlin's 31 October 2027 (the autumn night) starts at 22:00 UTC, still summer time.
    assert local_date(datetime(2027, 10, 30, 22, 59, tzinfo=UTC), "Europe/Berlin") == date(
        2027, 10, 31
    )


def test_a_naive_instant_is_refused() -> None:
    with pytest.raises(ValueError):
        local_date(datetime(2027, 3, 13, 23, 30), "UTC")


@pytest.mark.parametrize("name", [None, "", "Mars/Olympus_Mons", "../etc/passwd", "utc+3"])
def test_a_missing_or_unknown_zone_reads_as_utc(name: str | None) -> None:
    assert zone_of(name) == ZoneInfo("UTC")
    assert local_date(SATURDAY_2330, zone_of(name)) == date(2027, 3, 13)


def test_a_known_zone_is_itself() -> None:
    assert zone_of("Asia/Tokyo") == ZoneInfo("Asia/Tokyo")
    assert local_date(SATURDAY_2330, zone_of("Asia/Tokyo")) == date(2027, 3, 14)
