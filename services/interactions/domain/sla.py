"""The first-response SLA of a request: its due date, the at-risk instant, holds, status.

Pure: every instant is passed in (UTC-aware datetimes); the counting in business minutes is
``shared.calendar``'s. A request keeps the calendar and target it opened with (a later change
of the client's SLA leaves open requests alone), so every rule here takes them as arguments.
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, Literal, get_args

from shared.calendar import (
    BusinessCalendar,
    CalendarError,
    add_business_minutes,
    business_minutes_between,
    parse_calendar,
)

# A request's statuses (the API's schemas and query parameters, the events).
RequestStatus = Literal["open", "on_hold", "acknowledged", "answered", "breached", "closed"]
REQUEST_STATUSES: tuple[RequestStatus, ...] = get_args(RequestStatus)
# Why a request was closed as not a real one (it leaves the SLA figures).
CloseCode = Literal["spam", "duplicate", "misdirected", "other", "retracted"]
DEFAULT_FIRST_RESPONSE_MINUTES = 240


class HoldError(ValueError):
    """A hold or resume the request's state does not allow (the API's 409)."""


def calendar_of(sla: Mapping[str, Any] | None) -> BusinessCalendar:
    """The business calendar of a client's SLA (the replica's ``sla.calendar``); a client
    whose replica holds no usable calendar counts 24x7 in UTC rather than never. Parsed once
    per distinct calendar (clients share a handful; parsing one costs more than the rest of
    a request's SLA arithmetic)."""
    data = (sla or {}).get("calendar")
    if not isinstance(data, Mapping):
        return BusinessCalendar()
    try:
        return _parsed(json.dumps(data, sort_keys=True, default=str))
    except CalendarError:
        return BusinessCalendar()


@lru_cache(maxsize=1024)
def _parsed(data: str) -> BusinessCalendar:
    return parse_calendar(json.loads(data))


def calendar_json(calendar: BusinessCalendar) -> dict[str, Any]:
    """The JSON form a request keeps of its calendar (a fresh copy: it is stored)."""
    return copy.deepcopy(_calendar_dict(calendar))


@lru_cache(maxsize=1024)
def _calendar_dict(calendar: BusinessCalendar) -> dict[str, Any]:
    return calendar.to_dict()


def first_response_minutes(sla: Mapping[str, Any] | None) -> int:
    value = (sla or {}).get("first_response_minutes")
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
        return value
    return DEFAULT_FIRST_RESPONSE_MINUTES


def due_at(opened_at: datetime, minutes: int, calendar: BusinessCalendar) -> datetime:
    """``opened_at`` plus ``minutes`` business minutes of ``calendar`` (from the next working
    instant when the request arrives outside working hours)."""
    return add_business_minutes(opened_at, minutes, calendar)


def at_risk_minutes(minutes: int, fraction: float) -> int:
    """Business minutes into the window after which an unanswered request is at risk: the
    fraction of the window, rounded up to a whole minute, at least 1 and at most the window."""
    if not 0 < fraction <= 1:
        raise ValueError("the at-risk fraction must be in (0, 1]")
    return max(1, min(minutes, math.ceil(minutes * fraction - 1e-9)))


def at_risk_at(
    opened_at: datetime, minutes: int, fraction: float, calendar: BusinessCalendar
) -> datetime:
    """The instant ``fraction`` of the business-time window has passed."""
    return add_business_minutes(opened_at, at_risk_minutes(minutes, fraction), calendar)


@dataclass(frozen=True)
class Resumed:
    """The request's times after a hold ends: due and at-risk instants moved by the business
    minutes spent on hold, and the total held so far."""

    due_at: datetime
    at_risk_at: datetime
    held_minutes: int
    on_hold_minutes: int


def resume(
    *,
    due: datetime,
    risk: datetime,
    held_since: datetime,
    resumed_at: datetime,
    on_hold_minutes: int,
    calendar: BusinessCalendar,
) -> Resumed:
    """End a hold begun at ``held_since``: the clock stopped, so the deadlines move by the
    business time the hold lasted (elapsed minus stopped, counted in the calendar). An
    at-risk instant already passed when the hold began stays where it was."""
    if resumed_at < held_since:
        raise HoldError("a hold cannot end before it began")
    held = business_minutes_between(held_since, resumed_at, calendar)
    new_due = add_business_minutes(due, held, calendar)
    new_risk = add_business_minutes(risk, held, calendar) if risk > held_since else risk
    return Resumed(new_due, new_risk, held, on_hold_minutes + held)


def elapsed_fraction(
    opened_at: datetime, due: datetime, now: datetime, calendar: BusinessCalendar
) -> float:
    """How much of the business-time window has passed at ``now`` (0 before it opens; may
    exceed 1 after the due date)."""
    window = business_minutes_between(opened_at, due, calendar)
    if window <= 0:
        return 1.0 if now >= due else 0.0
    return business_minutes_between(opened_at, now, calendar) / window


def check_hold(status: str) -> None:
    """Only an open request (no first response yet, within its window) can be put on hold."""
    if status == "on_hold":
        raise HoldError("the request is on hold already")
    if status != "open":
        raise HoldError(f"a request that is {status} cannot be put on hold")


def check_close(status: str) -> None:
    """Any request but a closed one can be closed as not a real request."""
    if status == "closed":
        raise HoldError("the request is closed already")


def check_resume(status: str) -> None:
    if status != "on_hold":
        raise HoldError(f"the request is {status}, not on hold")


def view_status(status: str, due: datetime, now: datetime) -> str:
    """The status a reader sees: an open request past its due date is ``breached`` even before
    the scan has recorded it."""
    if status == "open" and now >= due:
        return "breached"
    return status


def is_breached(
    breached: bool, status: str, due: datetime, first_response_at: datetime | None, now: datetime
) -> bool:
    """Whether the first response came (or has not come) by ``due``. On hold the clock is
    stopped, so a held request is not breached while held."""
    if breached:
        return True
    if first_response_at is not None:
        return first_response_at > due
    return status == "open" and now >= due
