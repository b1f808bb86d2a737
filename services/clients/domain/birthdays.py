"""Birthdays of contacts: a full date (``1980-05-17``) or a month and day (``--05-17``).

29 February is celebrated on 28 February in years without one (it stays in February and
comes before the 1 March of the other convention, so nobody is congratulated late).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

# ASCII digits only: \d and int() also take the digits of other scripts (full-width
# U+FF10..U+FF19 too: int() reads a full-width "2000" as 2000).
_FULL = re.compile(r"^([0-9]{4})-([0-9]{2})-([0-9]{2})$")
_MONTH_DAY = re.compile(r"^--([0-9]{2})-([0-9]{2})$")
MIN_YEAR = 1900


class BirthdayError(Exception):
    """Not a birthday: the message says why."""


@dataclass(frozen=True, order=True)
class Birthday:
    month: int
    day: int
    year: int | None = None

    def __str__(self) -> str:
        if self.year is None:
            return f"--{self.month:02d}-{self.day:02d}"
        return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"

    @property
    def month_day(self) -> int:
        """``month * 100 + day`` (e.g. 517): an indexable key for "whose birthday is near"."""
        return self.month * 100 + self.day

    def occurrence_in(self, year: int) -> date:
        """The day it is celebrated in ``year`` (29 Feb -> 28 Feb in common years)."""
        if self.month == 2 and self.day == 29 and not calendar.isleap(year):
            return date(year, 2, 28)
        return date(year, self.month, self.day)

    def next_occurrence(self, today: date) -> date:
        """The first celebration on or after ``today``."""
        this_year = self.occurrence_in(today.year)
        return this_year if this_year >= today else self.occurrence_in(today.year + 1)

    def age_on(self, day: date) -> int | None:
        """The age reached on ``day`` (an occurrence), when the year of birth is known."""
        return None if self.year is None else day.year - self.year


def parse_birthday(text: str, today: date | None = None) -> Birthday:
    """``YYYY-MM-DD`` or ``--MM-DD``; a full date must be a real day, from 1900, not after
    ``today`` (when given). ``--02-29`` is a valid month-day."""
    text = text.strip()
    full = _FULL.match(text)
    if full:
        year, month, day = (int(g) for g in full.groups())
        try:
            born = date(year, month, day)
        except ValueError as exc:
            raise BirthdayError(f"not a real date: {text!r}") from exc
        if year < MIN_YEAR:
            raise BirthdayError(f"a year from {MIN_YEAR} is expected, got {year}")
        if today is not None and born > today:
            raise BirthdayError("a birthday cannot be in the future")
        return Birthday(month, day, year)
    month_day = _MONTH_DAY.match(text)
    if month_day:
        month, day = (int(g) for g in month_day.groups())
        try:
            date(2000, month, day)  # a leap year: --02-29 is a valid month-day
        except ValueError as exc:
            raise BirthdayError(f"not a real month and day: {text!r}") from exc
        return Birthday(month, day)
    raise BirthdayError('expected "YYYY-MM-DD" or "--MM-DD"')


def upcoming(birthday: Birthday, today: date, within_days: int) -> date | None:
    """The next celebration if it falls within ``within_days`` of ``today`` (0 = today)."""
    occurrence = birthday.next_occurrence(today)
    return occurrence if (occurrence - today).days <= within_days else None


def month_days_between(first: date, last: date) -> list[int]:
    """The ``month_day`` keys of the birthdays celebrated from ``first`` to ``last``
    inclusive (with 229 whenever a common year's 28 February is among them)."""
    keys: set[int] = set()
    day = first
    while day <= last and len(keys) < 367:
        keys.add(day.month * 100 + day.day)
        if day.month == 2 and day.day == 28 and not calendar.isleap(day.year):
            keys.add(229)
        day += timedelta(days=1)
    return sorted(keys)
