"""A client's today: the date of an instant in the client's timezone."""

from __future__ import annotations

from datetime import date
from typing import Any

from shared.clock import local_date, zone_of


def today_in(timezone: str | None, now: Any) -> date:
    """``now`` as a date in the client's timezone (UTC when unknown)."""
    return local_date(now, zone_of(timezone))
