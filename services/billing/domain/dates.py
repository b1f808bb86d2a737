"""A client's today: the date of an instant in the client's timezone."""

from __future__ import annotations

import zoneinfo
from datetime import date
from typing import Any, cast


def today_in(timezone: str | None, now: Any) -> date:
    """``now`` as a date in the client's timezone (UTC when unknown)."""
    try:
        zone = zoneinfo.ZoneInfo(timezone or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo("UTC")
    return cast(date, now.astimezone(zone).date())
