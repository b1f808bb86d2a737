"""Contacts' birthdays: full dates and month-days, 29 February, the upcoming window."""

from __future__ import annotations

from datetime import date

import pytest

from services.clients.domain.birthdays import (
    Birthday,
    BirthdayError,
    month_days_between,
    parse_birthday,
    upcoming,
)


def test_parse_full_date_and_month_day() -> None:
    assert parse_birthday("1980-05-17") == Birthday(5, 17, 1980)
    assert parse_birthday(" --05-17 ") == Birthday(5, 17)
    assert str(parse_birthday("--02-29")) == "--02-29"
    assert str(parse_birthday("2000-02-29")) == "2000-02-29"
    assert parse_birthday("1980-05-17").month_day == 517


@pytest.mark.parametrize(
    "text",
    [
        "1981-02-29",  # not a leap year
        "1980-13-01",
        "--13-01",
        "--04-31",
        "--00-10",
        "17.05.1980",
        "05-17",
        "1899-12-31",
        "",
        # digits, but not ASCII ones (int() reads them): full-width, Arabic-Indic, Devanagari
        "\uff12\uff10\uff10\uff10-01-01",
        "2000-\uff10\uff11-01",
        "--\u0660\u0665-17",
        "\u0967\u096f\u096e\u0966-05-17",
    ],
)
def test_parse_refuses(text: str) -> None:
    with pytest.raises(BirthdayError):
        parse_birthday(text)


def test_future_birth_date_refused_when_today_known() -> None:
    with pytest.raises(BirthdayError, match="future"):
        parse_birthday("2030-01-01", today=date(2026, 11, 23))
    assert parse_birthday("2026-11-23", today=date(2026, 11, 23)).year == 2026


def test_29_february_is_celebrated_on_28_february_in_common_years() -> None:
    leapling = Birthday(2, 29, 2000)
    assert leapling.occurrence_in(2027) == date(2027, 2, 28)
    assert leapling.occurrence_in(2028) == date(2028, 2, 29)
    assert leapling.next_occurrence(date(2027, 2, 28)) == date(2027, 2, 28)
    assert leapling.next_occurrence(date(2027, 3, 1)) == date(2028, 2, 29)
    assert leapling.age_on(date(2027, 2, 28)) == 27
    assert Birthday(2, 29).age_on(date(2027, 2, 28)) is None


def test_upcoming_window_includes_today_and_the_last_day() -> None:
    bday = Birthday(12, 1, 1990)
    assert upcoming(bday, date(2026, 11, 23), 8) == date(2026, 12, 1)
    assert upcoming(bday, date(2026, 11, 23), 7) is None
    assert upcoming(bday, date(2026, 12, 1), 0) == date(2026, 12, 1)
    # across the year end
    assert upcoming(Birthday(1, 2), date(2026, 12, 30), 3) == date(2027, 1, 2)
    # the day after: next year's, far away
    assert upcoming(bday, date(2026, 12, 2), 14) is None


def test_month_days_between_includes_29_february_in_common_years() -> None:
    assert month_days_between(date(2027, 2, 27), date(2027, 3, 1)) == [227, 228, 229, 301]
    assert month_days_between(date(2028, 2, 27), date(2028, 2, 28)) == [227, 228]
    assert month_days_between(date(2026, 12, 31), date(2027, 1, 1)) == [101, 1231]
    assert len(month_days_between(date(2026, 1, 1), date(2030, 1, 1))) == 366
