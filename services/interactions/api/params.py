"""Query parameters shared by the interactions routers: time bounds ``from``/``to``."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated

from fastapi import Query
from fastapi.exceptions import RequestValidationError
from pydantic import AwareDatetime

FromParam = Annotated[
    AwareDatetime | date | None,
    Query(alias="from", description="from this instant, or this date's start in UTC (inclusive)"),
]
ToParam = Annotated[
    AwareDatetime | date | None,
    Query(
        alias="to",
        description="until this instant (exclusive), or the end of this date in UTC (inclusive)",
    ),
]


def lower_bound(value: datetime | date | None, name: str = "from") -> datetime | None:
    return _instant(value, name, end=False)


def upper_bound(value: datetime | date | None, name: str = "to") -> datetime | None:
    return _instant(value, name, end=True)


def _instant(value: datetime | date | None, name: str, *, end: bool) -> datetime | None:
    if value is None:
        return None
    try:
        if isinstance(value, datetime):
            return value.astimezone(UTC)
        day = value + timedelta(days=1) if end else value
        return datetime.combine(day, time(0), tzinfo=UTC)
    except OverflowError as exc:
        raise RequestValidationError(
            [
                {
                    "type": "value_error",
                    "loc": ("query", name),
                    "input": str(value),
                    "msg": "outside the representable instants",
                }
            ]
        ) from exc


OpenedFrom = Annotated[
    AwareDatetime | date | None,
    Query(description="opened from this instant, or this date's start in UTC (inclusive)"),
]
OpenedTo = Annotated[
    AwareDatetime | date | None,
    Query(
        description="opened until this instant (exclusive), or the end of this date in UTC "
        "(inclusive)"
    ),
]
DueBefore = Annotated[
    AwareDatetime | date | None,
    Query(description="due before this instant, or by the end of this date in UTC"),
]
