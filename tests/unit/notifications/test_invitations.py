"""The iCalendar object of a meeting invitation (domain/invitations.py), read back with the
Python icalendar parser and with ical.js (a second implementation): times in the client's
zone across daylight saving, UTC, the cancel, the email's words."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from icalendar import Calendar

from services.notifications.domain.invitations import (
    Invitation,
    Person,
    invitation_context,
    invitation_ics,
)
from shared.event_views import MeetingData
from tests.support.node import read_ical

STAMP = datetime(2026, 11, 23, 9, tzinfo=UTC)
MEETING = uuid.UUID("7b0c9d4e-0000-4000-8000-000000000001")


def invitation(timezone: str, starts_at: datetime, **more: object) -> Invitation:
    values: dict[str, object] = {
        "meeting_id": MEETING,
        "sequence": 0,
        "change": "scheduled",
        "subject": "Review",
        "agenda": None,
        "location": None,
        "starts_at": starts_at,
        "ends_at": starts_at + timedelta(minutes=45),
        "timezone": timezone,
        "organizer": Person("Ida", "ida@orbit.example"),
        "contacts": [Person(None, "olga@initech.example")],
        "staff": [],
        "stamp": STAMP,
    }
    return Invitation(**(values | more))  # type: ignore[arg-type]


def test_a_summer_meeting_in_a_zone_with_daylight_saving() -> None:
    july = STAMP.replace(month=7, day=14, hour=8) + timedelta(days=365)  # 10:00 CEST
    ics = invitation_ics(invitation("Europe/Berlin", july))
    event = Calendar.from_ical(ics).walk("VEVENT")[0]
    assert event.decoded("DTSTART") == july and str(event.decoded("DTSTART").tzinfo) == (
        "Europe/Berlin"
    )
    read = read_ical(ics)
    assert read["start"] == {
        "utc": july.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "local": july.replace(hour=10).strftime("%Y-%m-%dT%H:%M:%S"),
        "zone": "Europe/Berlin",
    }
    assert read["organizer"] == {
        "address": "mailto:ida@orbit.example",
        "name": "Ida",
        "role": "CHAIR",
        "partstat": None,
        "rsvp": None,
    }
    assert b"RDATE" not in ics  # one onset per observance (ical.js reads one RDATE value)


def test_utc_and_the_cancel() -> None:
    starts = STAMP + timedelta(days=2)
    ics = invitation_ics(invitation("UTC", starts, change="cancelled", sequence=3))
    assert b"VTIMEZONE" not in ics and b"DTSTART:20261125T090000Z" in ics
    read = read_ical(ics)
    assert (read["method"], read["status"], read["sequence"]) == ("CANCEL", "CANCELLED", 3)
    assert read["uid"] == f"{MEETING}@orbit" and read["start"]["zone"] == "UTC"


def test_the_words_of_the_email() -> None:
    starts = datetime(2026, 12, 31, 20, 30, tzinfo=UTC)
    data = {
        "meeting_id": str(MEETING),
        "subject": "Call",
        "kind": "call",
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=3)).isoformat(),
        "previous_starts_at": (starts - timedelta(days=1)).isoformat(),
        "previous_ends_at": (starts - timedelta(days=1, hours=-1)).isoformat(),
    }
    context = invitation_context("rescheduled", MeetingData.of(data), "Europe/Moscow", "Olga")
    assert context["when"] == "2026-12-31 23:30\u20132027-01-01 02:30 (Europe/Moscow)"
    assert context["previous_when"] == "2026-12-30 23:30\u20132026-12-31 00:30 (Europe/Moscow)"
    assert context["kind"] == "call" and context["location"] == ""
