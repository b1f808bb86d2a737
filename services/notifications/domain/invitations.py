"""Meeting invitations to a client's participants: an iCalendar object (RFC 5545, iTIP RFC
5546) built with the ``icalendar`` library, and what the email around it says. Pure.

One meeting is one calendar event for its whole life: the same ``UID`` (``<meeting
id>@orbit``), its ``SEQUENCE`` from the meeting's events (0 when scheduled, +1 on each
reschedule or cancel), ``METHOD:REQUEST`` while it stands (scheduled, rescheduled: a calendar
app updates the event it holds) and ``METHOD:CANCEL`` with ``STATUS:CANCELLED`` when it is
called off. Times carry the client's time zone (``TZID`` and its ``VTIMEZONE``; UTC as
``...Z``); the organizer is the member of staff who organised it, the attendees the client's
participants (RSVP asked) and the staff taking part."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, vCalAddress

from shared.event_views import MeetingData

MEETING_SCHEDULED = "orbit.interactions.meeting.scheduled.v1"
MEETING_RESCHEDULED = "orbit.interactions.meeting.rescheduled.v1"
MEETING_CANCELLED = "orbit.interactions.meeting.cancelled.v1"

Method = Literal["REQUEST", "CANCEL"]
Change = Literal["scheduled", "rescheduled", "cancelled"]
# The meeting events that send the client's participants an invitation, and what it is.
CHANGES: dict[str, Change] = {
    MEETING_SCHEDULED: "scheduled",
    MEETING_RESCHEDULED: "rescheduled",
    MEETING_CANCELLED: "cancelled",
}
PRODID = "-//Orbit//Meetings//EN"
ZONE_MARGIN = timedelta(days=366)
TEMPLATE = "meeting_invitation"


@dataclass(frozen=True)
class Person:
    name: str | None
    email: str


@dataclass(frozen=True)
class Invitation:
    """One revision of a meeting, as every participant's calendar should hold it."""

    meeting_id: uuid.UUID
    sequence: int
    change: Change
    subject: str
    agenda: str | None
    location: str | None
    starts_at: datetime
    ends_at: datetime
    timezone: str
    organizer: Person | None
    contacts: Sequence[Person]
    staff: Sequence[Person]
    stamp: datetime

    @property
    def method(self) -> Method:
        return "CANCEL" if self.change == "cancelled" else "REQUEST"

    @property
    def filename(self) -> str:
        return "cancel.ics" if self.change == "cancelled" else "invite.ics"


def uid_of(meeting_id: uuid.UUID) -> str:
    return f"{meeting_id}@orbit"


def _address(person: Person, **params: str) -> vCalAddress:
    address = vCalAddress(f"mailto:{person.email}")
    if person.name:
        address.params["CN"] = person.name
    for name, value in params.items():
        address.params[name.upper()] = value
    return address


def invitation_ics(invitation: Invitation) -> bytes:
    """The iCalendar object of ``invitation`` (see the module)."""
    zone = ZoneInfo(invitation.timezone)
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", invitation.method)
    event = Event()
    event.add("uid", uid_of(invitation.meeting_id))
    event.add("sequence", invitation.sequence)
    event.add("dtstamp", invitation.stamp.astimezone(UTC))
    event.add("dtstart", invitation.starts_at.astimezone(zone))
    event.add("dtend", invitation.ends_at.astimezone(zone))
    event.add("summary", invitation.subject)
    if invitation.location:
        event.add("location", invitation.location)
    if invitation.agenda:
        event.add("description", invitation.agenda)
    event.add("status", "CANCELLED" if invitation.change == "cancelled" else "CONFIRMED")
    if invitation.organizer is not None:
        event.add("organizer", _address(invitation.organizer, role="CHAIR"))
    for person in invitation.contacts:
        event.add(
            "attendee",
            _address(
                person,
                cutype="INDIVIDUAL",
                role="REQ-PARTICIPANT",
                partstat="NEEDS-ACTION",
                rsvp="TRUE",
            ),
        )
    for person in invitation.staff:
        event.add("attendee", _address(person, cutype="INDIVIDUAL", role="REQ-PARTICIPANT"))
    calendar.add_component(event)
    # The zone's rules around the meeting (a year either side), not since 1970.
    calendar.add_missing_timezones(
        first_date=(invitation.starts_at - ZONE_MARGIN).date(),
        last_date=(invitation.ends_at + ZONE_MARGIN).date(),
    )
    _one_onset_each(calendar)
    return bytes(calendar.to_ical())


def _one_onset_each(calendar: Calendar) -> None:
    """Each observance of the VTIMEZONEs with one onset (its DTSTART) and no RDATE list:
    RFC 5545 allows ``RDATE:a,b``, but calendar apps built on ical.js (Thunderbird) read
    only its first value and drop the DTSTART, which put meetings an hour off."""
    for zone in calendar.walk("VTIMEZONE"):
        observances = []
        for observance in zone.subcomponents:
            listed = observance.get("RDATE")
            if listed is None:
                observances.append(observance)
                continue
            onsets = [observance.decoded("DTSTART")] + [
                moment.dt
                for rdate in (listed if isinstance(listed, list) else [listed])
                for moment in rdate.dts
            ]
            for onset in onsets:
                single = type(observance)()
                for name, value in observance.items():
                    if name not in ("DTSTART", "RDATE"):
                        single[name] = value
                single.add("dtstart", onset)
                observances.append(single)
        zone.subcomponents = observances


def _when(starts_at: datetime, ends_at: datetime, timezone: str) -> str:
    """``2026-12-10 12:00-13:00 (Europe/Moscow)``, an en dash between the times (both ends
    dated when they differ)."""
    zone = ZoneInfo(timezone)
    start, end = starts_at.astimezone(zone), ends_at.astimezone(zone)
    until = end.strftime("%H:%M") if end.date() == start.date() else end.strftime("%Y-%m-%d %H:%M")
    return f"{start.strftime('%Y-%m-%d %H:%M')}\u2013{until} ({timezone})"


def parse_instant(value: Any) -> datetime:
    """An event's instant (ISO 8601 text or a datetime), aware (UTC when naive)."""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def invitation_context(
    change: Change, meeting: MeetingData, timezone: str, recipient_name: str
) -> dict[str, Any]:
    """What the invitation email says (``templates/<language>/meeting_invitation.j2``)."""
    previous = None
    if meeting.previous_starts_at and meeting.previous_ends_at:
        previous = _when(
            parse_instant(meeting.previous_starts_at),
            parse_instant(meeting.previous_ends_at),
            timezone,
        )
    return {
        "recipient_name": recipient_name,
        "client_name": meeting.client_name or "",
        "change": change,
        "kind": meeting.kind or "meeting",
        "subject": meeting.subject or "",
        "when": _when(parse_instant(meeting.starts_at), parse_instant(meeting.ends_at), timezone),
        "previous_when": previous,
        "location": meeting.location or "",
        "agenda": meeting.agenda or "",
        "reason": meeting.reason or "",
    }
