"""A client's today: the date in its timezone, UTC when the timezone is unknown."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from services.billing.domain.dates import today_in

# An instant late in a UTC day: east of UTC it is the next day already, far west the same.
LATE = datetime(2026, 3, 10, 23, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("timezone", "expected"),
    [
        ("UTC", date(2026, 3, 10)),
        ("Europe/Berlin", date(2026, 3, 11)),
        ("Pacific/Kiritimati", date(2026, 3, 11)),
        ("America/Los_Angeles", date(2026, 3, 10)),
    ],
)
def test_the_date_in_the_clients_timezone(timezone: str, expected: date) -> None:
    assert today_in(timezone, LATE) == expected


@pytest.mark.parametrize("timezone", [None, "", "Not/A_Zone", "../etc/passwd"])
def test_an_unknown_timezone_is_utc(timezone: str | None) -> None:
    assert today_in(timezone, LATE) == date(2026, 3, 10)
    assert today_in(timezone, LATE + timedelta(hours=1)) == date(2026, 3, 11)
