"""Business calendar: add N business minutes to an instant in a client's working time.

Working hours are wall-clock local times per weekday in the calendar's timezone (or 24x7);
public holidays of a country (the ``holidays`` package) are days off. 24x7 counts every
minute, holidays included.
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any

import holidays

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$|^24:00$")
_MAX_SEARCH_DAYS = 366 * 3


class CalendarError(ValueError):
    def __init__(self, field_: str, msg: str) -> None:
        super().__init__(f"{field_}: {msg}")
        self.field = field_
        self.msg = msg


@dataclass(frozen=True)
class BusinessCalendar:
    timezone: str = "UTC"
    working_hours: Mapping[int, tuple[time, time]] | None = None
    holidays_country: str | None = None
    _zone: zoneinfo.ZoneInfo = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_zone", zoneinfo.ZoneInfo(self.timezone))

    @property
    def is_24x7(self) -> bool:
        return self.working_hours is None

    def to_dict(self) -> dict[str, Any]:
        hours: Any = "24x7"
        if self.working_hours is not None:
            hours = {
                WEEKDAYS[d]: [_fmt(s), _fmt(e)] for d, (s, e) in sorted(self.working_hours.items())
            }
        return {"timezone": self.timezone, "working_hours": hours,
                "holidays_country": self.holidays_country}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BusinessCalendar:
        return parse_calendar(data)

    def intervals(self, day: date) -> list[tuple[datetime, datetime]]:
        """The working intervals of a local date, as UTC instants."""
        zone = self._zone
        if self.working_hours is None:
            start = datetime.combine(day, time(0), zone)
            end = datetime.combine(day + timedelta(days=1), time(0), zone)
            return [(start.astimezone(UTC), end.astimezone(UTC))]
        hours = self.working_hours.get(day.weekday())
        if hours is None or self.is_holiday(day):
            return []
        start = _local(day, hours[0], zone)
        end = _local(day, hours[1], zone)
        return [(start, end)] if end > start else []

    def is_holiday(self, day: date) -> bool:
        if self.holidays_country is None:
            return False
        return day in _holidays(self.holidays_country, day.year)


def _fmt(t: time) -> str:
    return "24:00" if t == time.max else t.strftime("%H:%M")


def _local(day: date, at: time, zone: zoneinfo.ZoneInfo) -> datetime:
    if at == time.max:  # 24:00: the start of the next day
        return datetime.combine(day + timedelta(days=1), time(0), zone).astimezone(UTC)
    return datetime.combine(day, at, zone).astimezone(UTC)


@lru_cache(maxsize=512)
def _holidays(country: str, year: int) -> holidays.HolidayBase:
    return holidays.country_holidays(country, years=year)


@lru_cache(maxsize=1)
def _countries() -> frozenset[str]:
    return frozenset(holidays.list_supported_countries())


def _parse_time(value: Any, where: str) -> time:
    if not isinstance(value, str) or not _HHMM.match(value):
        raise CalendarError(where, f"expected a time HH:MM, got {value!r}")
    if value == "24:00":
        return time.max
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def parse_calendar(data: Mapping[str, Any]) -> BusinessCalendar:
    """Validate the JSON form ``{timezone, working_hours: "24x7" | {"mon": ["09:00",
    "18:00"], ...}, holidays_country}``; missing keys take the defaults."""
    tz = data.get("timezone") or "UTC"
    try:
        zoneinfo.ZoneInfo(str(tz))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise CalendarError("timezone", f"unknown IANA timezone {tz!r}") from exc
    country = data.get("holidays_country")
    if country is not None:
        country = str(country).upper()
        if country not in _countries():
            raise CalendarError("holidays_country", f"no public holidays known for {country!r}")
    raw = data.get("working_hours", "24x7")
    hours: dict[int, tuple[time, time]] | None
    if raw is None or raw == "24x7":
        hours = None
    elif isinstance(raw, Mapping):
        hours = {}
        for key, span in raw.items():
            where = f"working_hours.{key}"
            if key not in WEEKDAYS:
                raise CalendarError(where, "unknown weekday (use mon, tue, ..., sun)")
            if not isinstance(span, list | tuple) or len(span) != 2:
                raise CalendarError(where, "expected [start, end]")
            start, end = _parse_time(span[0], where), _parse_time(span[1], where)
            if start == time.max or not start < end:
                raise CalendarError(where, "start must be before end")
            hours[WEEKDAYS.index(key)] = (start, end)
        if not hours:
            raise CalendarError("working_hours", "no working hours on any day")
    else:
        raise CalendarError("working_hours", 'expected "24x7" or hours per weekday')
    return BusinessCalendar(timezone=str(tz), working_hours=hours, holidays_country=country)


def _aware(at: datetime, name: str) -> datetime:
    if at.tzinfo is None:
        raise ValueError(f"{name} must be timezone-aware")
    return at.astimezone(UTC)


def _intervals_from(
    start: datetime, calendar: BusinessCalendar
) -> Iterator[tuple[datetime, datetime]]:
    """Working intervals (UTC) ending after ``start``, clipped to begin at ``start`` or later."""
    day = start.astimezone(calendar._zone).date() - timedelta(days=1)
    for offset in range(_MAX_SEARCH_DAYS):
        for lo, hi in calendar.intervals(day + timedelta(days=offset)):
            if hi > start:
                yield max(lo, start), hi
    raise ValueError("no working time within three years: check the calendar")


def add_business_minutes(start: datetime, minutes: int, calendar: BusinessCalendar) -> datetime:
    """The instant when ``minutes`` business minutes have passed since ``start``.

    Counting begins at ``start`` or at the next working instant; landing exactly at the end of
    a working interval returns that end.
    """
    start = _aware(start, "start")
    if minutes < 0:
        raise ValueError("minutes must not be negative")
    if minutes == 0:
        return start
    remaining = timedelta(minutes=minutes)
    for lo, hi in _intervals_from(start, calendar):
        if hi - lo >= remaining:
            return lo + remaining
        remaining -= hi - lo
    raise AssertionError("unreachable")


def business_minutes_between(start: datetime, end: datetime, calendar: BusinessCalendar) -> int:
    """Whole business minutes in [start, end) (0 when end <= start)."""
    start, end = _aware(start, "start"), _aware(end, "end")
    if end <= start:
        return 0
    total = timedelta(0)
    for lo, hi in _intervals_from(start, calendar):
        if lo >= end:
            break
        total += min(hi, end) - lo
    return int(total.total_seconds() // 60)


def is_business_time(at: datetime, calendar: BusinessCalendar) -> bool:
    at = _aware(at, "at")
    day = at.astimezone(calendar._zone).date()
    return any(lo <= at < hi for d in (day - timedelta(days=1), day)
               for lo, hi in calendar.intervals(d))
