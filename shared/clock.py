"""The injectable clock: every rule gets "now" from here, never from datetime.now()."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, date, datetime, timedelta, tzinfo
from functools import lru_cache
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that only moves when told to (tests, simulations)."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self._at = at.astimezone(UTC)

    def now(self) -> datetime:
        return self._at

    def set(self, at: datetime) -> None:
        self._at = at.astimezone(UTC)

    def advance(self, delta: timedelta) -> datetime:
        self._at += delta
        return self._at


def zone_of(name: str | None) -> zoneinfo.ZoneInfo:
    """The IANA zone ``name`` for showing or dating something; UTC when missing or unknown
    (a replica or an event written before its zone was checked never fails a reader)."""
    try:
        return _zone(name or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return _zone("UTC")


def local_date(instant: datetime, timezone: str | tzinfo) -> date:
    """The date of ``instant`` in ``timezone`` (an IANA name or a tzinfo): the one way Orbit
    turns an instant into someone's "today". 23:30 UTC on a Saturday is Sunday in
    Europe/Berlin and Asia/Tokyo, Saturday in America/New_York. ``instant`` must be aware."""
    if instant.tzinfo is None:
        raise ValueError("local_date needs an aware datetime")
    zone = _zone(timezone) if isinstance(timezone, str) else timezone
    return instant.astimezone(zone).date()


@lru_cache(maxsize=1024)
def _zone(name: str) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(name)
