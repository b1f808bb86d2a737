"""Business calendar: a client's working time, and arithmetic in business minutes.

A calendar is an IANA timezone, working hours per weekday as wall-clock local times (or 24x7)
and optionally a country whose public holidays (the ``holidays`` package) are days off.
Pure: no I/O besides the ``holidays`` package and zoneinfo.

Semantics
---------
* Business time is a set of half-open intervals ``[start, end)`` of instants. Each local date
  that is a working weekday and not a public holiday of ``holidays_country`` has one interval:
  from the first instant the local clock reads the day's start time to the first instant it
  reads the end time ("24:00" is the next local midnight). Hours stay wall-clock across DST
  changes: a 09:00-18:00 day starts at local 09:00 and ends at local 18:00 whatever the offset.

  - A wall time skipped by a spring-forward gap maps to the instant of the jump (the first
    instant whose clock reads that time or later): hours 02:30-04:00 on a day whose clocks jump
    from 02:00 to 03:00 are the real hour from 03:00 to 04:00.
  - A wall time repeated by a fall-back maps to its first occurrence, and the interval runs until
    the clock first reads the end time (so it includes the repeated stretch).
* 24x7 (``working_hours is None``) counts every minute of every day, public holidays included:
  ``holidays_country`` is kept but has no effect on a 24x7 calendar.
* ``add_business_minutes(start, m)`` consumes ``m`` minutes of business time from ``start`` on
  (from the next working instant when ``start`` is outside working time). A result that lands
  exactly at the end of an interval is that end, not the next interval's start; adding more then
  continues with the next interval. Hence, for every ``s`` and ``a, b >= 0``,
  ``add(add(s, a), b) == add(s, a + b)`` and ``business_minutes_between(s, add(s, m)) == m``.
  ``m == 0`` returns ``start`` itself (in UTC), even outside working time.
* All results are timezone-aware datetimes in UTC; inputs must be timezone-aware.
"""

from __future__ import annotations

import operator
import re
import zoneinfo
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any

import holidays

from shared.clock import local_date

WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
END_OF_DAY = time.max  # how "24:00" is held in ``working_hours``
_HHMM = re.compile(r"(?:[01][0-9]|2[0-3]):[0-5][0-9]|24:00")
# The form of an ISO 3166-1 alpha-2 code: two ASCII letters, either case. Checked before
# upper-casing, which maps other letters onto ASCII ones ("ß" -> "SS", dotless i U+0131 -> "I").
_ALPHA_2 = re.compile(r"[A-Za-z]{2}")
_IDLE_DAYS_LIMIT = 3 * 366  # consecutive days without a working minute before giving up
_ONE_DAY = timedelta(days=1)


class CalendarError(ValueError):
    """An invalid calendar. ``field`` is the dotted path of the offending field
    (e.g. ``"working_hours.mon"``), ``msg`` the human-readable reason."""

    def __init__(self, field: str, msg: str) -> None:
        super().__init__(f"{field}: {msg}")
        self.field = field
        self.msg = msg


@dataclass(frozen=True)
class BusinessCalendar:
    """Timezone, working hours (weekday 0=Mon..6=Sun -> (start, end) local wall-clock times,
    end ``END_OF_DAY`` meaning 24:00; a weekday absent is a day off; ``None`` = 24x7) and the
    country whose public holidays are days off (ignored for 24x7).

    Constructing one validates it (raising ``CalendarError``) and normalises the country code
    to upper case; ``parse_calendar``/``from_dict`` read the JSON form."""

    timezone: str = "UTC"
    working_hours: Mapping[int, tuple[time, time]] | None = None
    holidays_country: str | None = None
    _zone: zoneinfo.ZoneInfo = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_zone", _zone(self.timezone))
        if self.working_hours is not None:
            object.__setattr__(self, "working_hours", _checked_hours(self.working_hours))
        if self.holidays_country is not None:
            object.__setattr__(self, "holidays_country", _checked_country(self.holidays_country))

    def __hash__(self) -> int:
        hours = None if self.working_hours is None else frozenset(self.working_hours.items())
        return hash((self.timezone, hours, self.holidays_country))

    @property
    def is_24x7(self) -> bool:
        return self.working_hours is None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form, as accepted by ``from_dict``."""
        hours: str | dict[str, list[str]] = "24x7"
        if self.working_hours is not None:
            hours = {
                WEEKDAYS[day]: [_format_time(start), _format_time(end)]
                for day, (start, end) in sorted(self.working_hours.items())
            }
        return {
            "timezone": self.timezone,
            "working_hours": hours,
            "holidays_country": self.holidays_country,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BusinessCalendar:
        return parse_calendar(data)

    def is_holiday(self, day: date) -> bool:
        """Whether a local date is a public holiday of ``holidays_country``."""
        if self.holidays_country is None:
            return False
        return day in _holiday_dates(self.holidays_country, day.year)

    def interval(self, day: date) -> tuple[datetime, datetime] | None:
        """The working interval ``[start, end)`` of a local date as UTC instants, or ``None``
        for a day off (for 24x7: the whole local day)."""
        if self.working_hours is None:
            return _wall_to_utc(day, time(0), self._zone), _wall_to_utc(day, END_OF_DAY, self._zone)
        hours = self.working_hours.get(day.weekday())
        if hours is None or self.is_holiday(day):
            return None
        start = _wall_to_utc(day, hours[0], self._zone)
        end = _wall_to_utc(day, hours[1], self._zone)
        return (start, end) if end > start else None


def parse_calendar(data: Mapping[str, Any]) -> BusinessCalendar:
    """Validate the JSON form ``{"timezone": "Europe/Berlin", "working_hours": "24x7" |
    {"mon": ["09:00", "18:00"], ...}, "holidays_country": "DE" | null}``. Missing (or null)
    keys take the defaults: "UTC", "24x7", no holidays. Raises ``CalendarError``."""
    tz = data.get("timezone")
    if tz is None:
        tz = "UTC"
    elif not isinstance(tz, str):
        raise CalendarError("timezone", "expected an IANA timezone name")
    country = data.get("holidays_country")
    if country is not None and not isinstance(country, str):
        raise CalendarError("holidays_country", "expected an ISO 3166-1 alpha-2 country code")
    raw = data.get("working_hours")
    hours: dict[int, tuple[time, time]] | None
    if raw is None or raw == "24x7":
        hours = None
    elif isinstance(raw, Mapping):
        hours = {}
        for key, span in raw.items():
            where = f"working_hours.{key}"
            if key not in WEEKDAYS:
                raise CalendarError(
                    where, "unknown weekday (use mon, tue, wed, thu, fri, sat, sun)"
                )
            if not isinstance(span, list | tuple) or len(span) != 2:
                raise CalendarError(where, 'expected ["HH:MM", "HH:MM"] (start, end)')
            start, end = _parse_time(span[0], where), _parse_time(span[1], where)
            if start == END_OF_DAY:
                raise CalendarError(where, "24:00 can only end a day")
            hours[WEEKDAYS.index(key)] = (start, end)
        if not hours:
            raise CalendarError("working_hours", "no working hours on any day")
    else:
        raise CalendarError("working_hours", 'expected "24x7" or working hours per weekday')
    return BusinessCalendar(timezone=tz, working_hours=hours, holidays_country=country)


# Files of the tz database that are no place's time: the "Factory" placeholder, the host's
# "localtime" link, the "posixrules" template and the "posix/" and "right/" copies.
_NOT_ZONES = frozenset({"Factory", "localtime", "posixrules"})


@lru_cache(maxsize=1)
def timezone_names() -> frozenset[str]:
    """The IANA timezone names Orbit accepts: ``zoneinfo.available_timezones()`` without the
    tz database's non-zones (``Factory``, ``localtime``, ``posixrules``, ``posix/...``,
    ``right/...``). Computed once (it lists the tz database's files)."""
    return frozenset(
        name
        for name in zoneinfo.available_timezones()
        if name not in _NOT_ZONES and not name.startswith(("posix/", "right/"))
    )


def check_timezone(name: Any) -> str:
    """``name`` if it is one of :func:`timezone_names`, else ``CalendarError("timezone", ...)``.
    The one timezone check of Orbit: calendars, clients and staff all use it. Never touches
    the file system with the given text (``"Europe"``, ``"a" * 300`` are simply unknown)."""
    if not isinstance(name, str) or not name:
        raise CalendarError("timezone", "expected an IANA timezone name")
    if name not in timezone_names():
        shown = name if len(name) <= 64 else f"{name[:61]}..."
        raise CalendarError("timezone", f"unknown IANA timezone {shown!r}")
    return name


def add_business_minutes(start: datetime, minutes: int, calendar: BusinessCalendar) -> datetime:
    """The instant (UTC) at which ``minutes`` business minutes have passed since ``start``.

    Counting begins at ``start``, or at the next working instant when ``start`` is outside
    working time; landing exactly at the end of a working interval returns that end.
    ``minutes == 0`` returns ``start``. Raises ``ValueError`` for a naive ``start``, negative
    ``minutes``, or a calendar without a working minute for three years.
    """
    at = _utc(start, "start")
    minutes = operator.index(minutes)
    if minutes < 0:
        raise ValueError("minutes must not be negative")
    remaining = timedelta(minutes=minutes)
    if minutes == 0 or calendar.working_hours is None:
        return at + remaining
    for lo, hi in _intervals_from(at, calendar):
        if hi - lo >= remaining:
            return lo + remaining
        remaining -= hi - lo
    raise AssertionError("unreachable: _intervals_from never ends without an end bound")


def business_minutes_between(start: datetime, end: datetime, calendar: BusinessCalendar) -> int:
    """Whole business minutes in ``[start, end)``; 0 when ``end <= start``."""
    lo_bound, hi_bound = _utc(start, "start"), _utc(end, "end")
    if hi_bound <= lo_bound:
        return 0
    if calendar.working_hours is None:
        return (hi_bound - lo_bound) // timedelta(minutes=1)
    total = timedelta(0)
    for lo, hi in _intervals_from(lo_bound, calendar, until=hi_bound):
        if lo >= hi_bound:
            break
        total += min(hi, hi_bound) - lo
    return total // timedelta(minutes=1)


def is_business_time(at: datetime, calendar: BusinessCalendar) -> bool:
    """Whether ``at`` falls inside a working interval (always true for 24x7)."""
    instant = _utc(at, "at")
    if calendar.working_hours is None:
        return True
    day = local_date(instant, calendar._zone)
    for offset in (-1, 0, 1):
        interval = calendar.interval(day + timedelta(days=offset))
        if interval is not None and interval[0] <= instant < interval[1]:
            return True
    return False


# --- internals -------------------------------------------------------------------------------


def _zone(name: str) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(check_timezone(name))


def _checked_hours(hours: Mapping[int, tuple[time, time]]) -> dict[int, tuple[time, time]]:
    checked: dict[int, tuple[time, time]] = {}
    for day, span in hours.items():
        if not isinstance(day, int) or not 0 <= day <= 6:
            raise CalendarError(f"working_hours.{day}", "unknown weekday (0=Mon..6=Sun)")
        where = f"working_hours.{WEEKDAYS[day]}"
        if (
            not isinstance(span, tuple)
            or len(span) != 2
            or not all(isinstance(t, time) and t.tzinfo is None for t in span)
        ):
            raise CalendarError(where, "expected (start, end) naive local times")
        if not span[0] < span[1]:
            raise CalendarError(where, "start must be before end")
        checked[day] = span
    return checked


def alpha_2(code: str) -> str | None:
    """``code`` upper-cased when it has the form of an ISO 3166-1 alpha-2 code (two ASCII
    letters), else ``None``; whether such a country exists is the caller's question."""
    return code.upper() if _ALPHA_2.fullmatch(code) else None


def _checked_country(code: str) -> str:
    upper = alpha_2(code) if isinstance(code, str) else None
    if upper is None:
        raise CalendarError("holidays_country", "expected an ISO 3166-1 alpha-2 country code")
    if upper not in _countries():
        raise CalendarError("holidays_country", f"no public holidays known for {code!r}")
    return upper


@lru_cache(maxsize=1)
def _countries() -> frozenset[str]:
    """Alpha-2 codes the ``holidays`` package knows (no alpha-3 codes or aliases like "UK")."""
    try:
        supported = holidays.list_supported_countries(include_aliases=False)
    except TypeError:  # older ``holidays`` without the keyword
        supported = holidays.list_supported_countries()
    return frozenset(code for code in supported if len(code) == 2)


@lru_cache(maxsize=1024)
def _holiday_dates(country: str, year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays(country, years=year))


def _parse_time(value: Any, where: str) -> time:
    if not isinstance(value, str) or not _HHMM.fullmatch(value):
        raise CalendarError(where, f"expected a time HH:MM (00:00-23:59 or 24:00), got {value!r}")
    if value == "24:00":
        return END_OF_DAY
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def _format_time(value: time) -> str:
    return "24:00" if value == END_OF_DAY else value.strftime("%H:%M")


def _utc(at: datetime, name: str) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")
    return at.astimezone(UTC)


def _wall_to_utc(day: date, at: time, zone: zoneinfo.ZoneInfo) -> datetime:
    """The first instant (UTC) at which the local clock reads ``at`` on ``day`` or later."""
    if at == END_OF_DAY:
        wall = datetime.combine(day + _ONE_DAY, time(0))
    else:
        wall = datetime.combine(day, at)
    first = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    second = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    if first <= second:  # an ordinary wall time, or a repeated one (fall-back): its first time
        return first
    # A wall time skipped by a forward jump: fold=0 reads it with the offset before the jump
    # (an instant after the jump), fold=1 with the offset after (an instant before). The jump is
    # in (second, first]: bisect for it, to the microsecond.
    before, after = second, first
    while after - before > timedelta(microseconds=1):
        middle = before + (after - before) // 2
        if middle.astimezone(zone).replace(tzinfo=None) >= wall:
            after = middle
        else:
            before = middle
    return after


def _intervals_from(
    start: datetime, calendar: BusinessCalendar, until: datetime | None = None
) -> Iterator[tuple[datetime, datetime]]:
    """Working intervals (UTC) ending after ``start``, the first clipped to begin no earlier
    than ``start``, in order; up to the local day of ``until`` if given, else endless (but
    ``ValueError`` after three years without a working minute)."""
    zone = calendar._zone
    day = local_date(start, zone) - _ONE_DAY
    last = None if until is None else local_date(until, zone) + _ONE_DAY
    idle_days = 0
    while last is None or day <= last:
        try:
            interval = calendar.interval(day)
        except OverflowError:
            raise ValueError("business time runs past the supported date range") from None
        if interval is not None and interval[1] > start:
            idle_days = 0
            yield max(interval[0], start), interval[1]
        else:
            idle_days += 1
            if until is None and idle_days > _IDLE_DAYS_LIMIT:
                raise ValueError("no working time within three years: check the calendar")
        try:
            day += _ONE_DAY
        except OverflowError:
            raise ValueError("business time runs past the supported date range") from None
