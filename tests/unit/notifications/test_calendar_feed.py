"""The calendar's rules (services/notifications/domain/calendar_feed.py): the events of a
staff member's things, read back with the ``icalendar`` parser and expanded with
``recurring-ical-events`` (an implementation of RFC 5545 recurrences of its own)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import recurring_ical_events
from icalendar import Calendar

from services.notifications.domain.calendar_feed import build_calendar, parse_birthday

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def thing(kind: str, **more: Any) -> dict[str, Any]:
    return {
        "kind": kind,
        "entity_id": uuid.uuid4(),
        "title": "T",
        "status": "planned",
        "client_name": "Initech",
        "client_timezone": "Europe/Berlin",
        "sequence": 0,
        **more,
    }


def test_birthdays_are_read_in_both_forms() -> None:
    assert parse_birthday("1980-05-17") is not None
    leap = parse_birthday("--02-29")
    assert leap is not None and leap.first() == date(2000, 2, 29)
    assert leap.rule()["bymonthday"] == -1
    for bad in ("1981-02-29", "--13-01", "17.05.1980", None, ""):
        assert parse_birthday(bad) is None


def test_the_feed_read_back_by_another_implementation() -> None:
    start = NOW + timedelta(days=3)
    meeting = thing(
        "meeting",
        title="Review",
        at=start,
        ends_at=start + timedelta(hours=1),
        location="Berlin",
        description="Numbers",
        sequence=2,
    )
    cancelled = thing(
        "meeting", status="cancelled", at=start, ends_at=start + timedelta(hours=1), sequence=1
    )
    things = [
        meeting,
        cancelled,
        thing("task", at=start, status="open", client_timezone="Nowhere/Bogus"),
        thing("contract", on_date=date(2026, 12, 31), status="active"),
        thing("birthday", title="Jane", birthday="--02-29", status="active"),
        thing("birthday", title="Unreadable", birthday="soon", status="active"),
    ]
    feed = Calendar.from_ical(build_calendar(things, NOW, "Orbit"))
    events = {str(e["UID"]): e for e in feed.walk("VEVENT")}
    assert len(events) == 5  # the unreadable birthday is left out
    review = events[f"meeting-{meeting['entity_id']}@orbit"]
    assert review.decoded("DTSTART") == start
    assert str(review.decoded("DTSTART").tzinfo) == "Europe/Berlin"
    assert review["DTSTART"].params["TZID"] == "Europe/Berlin"
    assert (review["SEQUENCE"], str(review["STATUS"])) == (2, "CONFIRMED")
    assert str(review["SUMMARY"]) == "Review (Initech)"
    assert str(events[f"meeting-{cancelled['entity_id']}@orbit"]["STATUS"]) == "CANCELLED"
    # Berlin's rules travel with the feed; UTC (an unknown zone falls back to it) needs none
    assert [str(z["TZID"]) for z in feed.walk("VTIMEZONE")] == ["Europe/Berlin"]
    task = next(e for e in events.values() if str(e["SUMMARY"]).startswith("Task due"))
    assert task.decoded("DTSTART") == start and task["DTSTART"].to_ical().endswith(b"Z")
    # the birthday every year: 28 February in 2027, 29 February in 2028
    days = [
        e.decoded("DTSTART")
        for e in recurring_ical_events.of(feed).between(date(2027, 1, 1), date(2029, 1, 1))
        if str(e["SUMMARY"]).startswith("Birthday")
    ]
    assert days == [date(2027, 2, 28), date(2028, 2, 29)]
    contract = [e for e in events.values() if "Contract ends" in str(e["SUMMARY"])]
    assert contract[0].decoded("DTSTART") == date(2026, 12, 31)
