"""A staff member's calendar (RFC 5545, through the ``icalendar`` library): the events of
the dated things the timeline projection keeps (``domain.timeline.Item``), each with a stable
UID (``<kind>-<id>@orbit``) so a calendar app updates it in place.

- a meeting or call: its start and end in the client's timezone (with the VTIMEZONE), its
  location and agenda, ``SEQUENCE`` as the interactions service counts it (+1 on each
  reschedule or cancellation), ``STATUS:CANCELLED`` once cancelled;
- a task's deadline and a promised answer: a moment, in the client's timezone;
- a contract's end and an invoice's due date: all-day events;
- a contact's birthday: an all-day event recurring every year (29 February: the last day of
  February, so the 28th in common years, as the clients service celebrates it).

Pure: the things and the time in, the ``text/calendar`` bytes out.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from icalendar import Calendar, Event

from shared.clock import zone_of

PRODID = "-//Orbit//Staff calendar//EN"
MEDIA_TYPE = "text/calendar"
_BIRTHDAY = re.compile(r"^(?:([0-9]{4})|-)-([0-9]{2})-([0-9]{2})$")
# A birthday without a year starts its recurrence in a leap year (so 29 February exists).
YEARLESS = 2000


@dataclass(frozen=True)
class Birthday:
    month: int
    day: int
    year: int | None

    def first(self) -> date:
        return date(self.year or YEARLESS, self.month, self.day)

    def rule(self) -> dict[str, Any]:
        """Every year on the day; 29 February on the last day of February."""
        day = -1 if (self.month, self.day) == (2, 29) else self.day
        return {"freq": "yearly", "bymonth": self.month, "bymonthday": day}


def parse_birthday(text: str | None) -> Birthday | None:
    """``YYYY-MM-DD`` or ``--MM-DD`` (the clients service's forms); None for anything else."""
    match = _BIRTHDAY.match(text or "")
    if not match:
        return None
    year, month, day = match.groups()
    try:
        date(int(year) if year else YEARLESS, int(month), int(day))
    except ValueError:
        return None
    return Birthday(int(month), int(day), int(year) if year else None)


def _uid(kind: str, entity_id: uuid.UUID) -> str:
    return f"{kind}-{entity_id}@orbit"


def _with_client(title: str, client: str | None) -> str:
    return f"{title} ({client})" if client else title


def _all_day(event: Event, day: date) -> None:
    event.add("dtstart", day)
    event.add("dtend", day + timedelta(days=1))
    event.add("transp", "TRANSPARENT")


def calendar_event(thing: Mapping[str, Any], now: datetime) -> Event | None:
    """The VEVENT of one thing (a ``timeline_items`` row with ``client_name`` and
    ``client_timezone``), None for one the calendar cannot show (a birthday it cannot read)."""
    kind, zone = thing["kind"], zone_of(thing.get("client_timezone"))
    client, title = thing.get("client_name"), thing["title"]
    event = Event()
    event.add("uid", _uid(kind, thing["entity_id"]))
    event.add("dtstamp", now.astimezone(UTC))
    event.add("sequence", int(thing.get("sequence") or 0))
    event.add("categories", [kind])
    if kind == "meeting":
        event.add("summary", _with_client(title, client))
        event.add("dtstart", thing["at"].astimezone(zone))
        event.add("dtend", thing["ends_at"].astimezone(zone))
        if thing.get("location"):
            event.add("location", thing["location"])
        if thing.get("description"):
            event.add("description", thing["description"])
        event.add("status", "CANCELLED" if thing["status"] == "cancelled" else "CONFIRMED")
    elif kind == "task":
        event.add("summary", _with_client(f"Task due: {title}", client))
        event.add("dtstart", thing["at"].astimezone(zone))
        event.add("dtend", thing["at"].astimezone(zone))
    elif kind == "request":
        event.add("summary", _with_client(f"Answer promised: {title}", client))
        event.add("dtstart", thing["promised_by"].astimezone(zone))
        event.add("dtend", thing["promised_by"].astimezone(zone))
    elif kind == "contract":
        event.add("summary", _with_client(f"Contract ends: {title}", client))
        _all_day(event, thing["on_date"])
    elif kind == "invoice":
        event.add("summary", _with_client(f"Invoice {title} due", client))
        _all_day(event, thing["on_date"])
    elif kind == "birthday":
        birthday = parse_birthday(thing.get("birthday"))
        if birthday is None:
            return None
        event.add("summary", _with_client(f"Birthday: {title}", client))
        _all_day(event, birthday.first())
        event.add("rrule", birthday.rule())
    else:
        return None
    return event


def build_calendar(things: Iterable[Mapping[str, Any]], now: datetime, name: str) -> bytes:
    """The whole feed: one VEVENT per thing, the VTIMEZONEs its times use."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    for thing in things:
        event = calendar_event(thing, now)
        if event is not None:
            calendar.add_component(event)
    calendar.add_missing_timezones()
    return bytes(calendar.to_ical())
