"""A client's today: the date of an instant in the client's timezone."""

from __future__ import annotations

import zoneinfo
from datetime import date
from typing import Any

from shared.clock import local_date


def today_in(timezone: str | None, now: Any) -> date:
    """``now`` as a date in the client's timezone (UTC when unknown)."""
    try:
        return local_date(now, timezone or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return local_date(now, "UTC")
