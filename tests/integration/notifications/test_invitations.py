"""Meeting invitations through a real SMTP server on loopback (aiosmtpd), on SQLite and
PostgreSQL, read back by a second, independent iCalendar implementation (ical.js,
tests/ical): each client participant gets the invitation in their language from the account
manager, as a text/calendar part (method=REQUEST) and an .ics attachment; a reschedule
updates the same event (same UID, a higher SEQUENCE), a cancellation cancels it
(METHOD:CANCEL); a participant without an email is a skipped delivery; a redelivered event
sends nothing twice."""

# ruff: noqa: RUF001 (Russian emails: Cyrillic on purpose)
from __future__ import annotations

import uuid
from datetime import timedelta
from email.message import EmailMessage
from typing import Any

import pytest

from tests.integration.notifications.helpers import NOW, Notif, Person, make_notif
from tests.support.node import read_ical
from tests.support.smtp import SmtpServer, parts

pytestmark = pytest.mark.integration

MEETING = "orbit.interactions.meeting."

# The meeting's day: three days after the test's clock (09:00 UTC, 12:00 in Moscow).
DAY = (NOW + timedelta(days=3)).date().isoformat()


def meeting(
    client: uuid.UUID,
    ida: Person,
    bob: Person,
    contacts: list[dict[str, Any]],
    meeting_id: uuid.UUID,
    **more: Any,
) -> dict[str, Any]:
    """A planned meeting's event data (the fields the interactions events carry)."""
    starts = NOW + timedelta(days=3)
    return {
        "client_id": str(client),
        "client_name": "Initech",
        "account_manager_id": str(ida.id),
        "account_manager_department": "sales",
        "head_id": None,
        "meeting_id": str(meeting_id),
        "kind": "meeting",
        "subject": "Quarterly review",
        "agenda": "Results; the plan, next quarter",
        "location": "Tverskaya 1, Moscow",
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=1)).isoformat(),
        "status": "planned",
        "contacts": contacts,
        "staff_ids": [str(ida.id), str(bob.id)],
        "organizer_id": str(ida.id),
        "sequence": 0,
        "interaction_id": None,
        **more,
    }


def invitation_of(message: EmailMessage) -> bytes:
    """The .ics attachment, after checking the calendar part says the same."""
    [attachment] = list(message.iter_attachments())
    assert attachment.get_content_type() == "text/calendar"
    assert attachment.get_filename() in ("invite.ics", "cancel.ics")
    ics = attachment.get_payload(decode=True)
    assert attachment.get_content() == ics.decode()  # its charset: utf-8
    assert parts(message)["text/calendar"] == ics.decode()
    return bytes(ics)


def mails_to(smtp: SmtpServer, address: str) -> list[EmailMessage]:
    return [m for m in smtp.inbox.messages if str(m["To"]) == address]


async def test_invitation_reschedule_cancel(any_db_url: str, smtp: SmtpServer) -> None:
    async for notif in make_notif(any_db_url, smtp_url=f"smtp://127.0.0.1:{smtp.port}"):
        await flow(notif, smtp)


async def flow(notif: Notif, smtp: SmtpServer) -> None:
    ida = await notif.staff("Ida Petrova", title="Key account manager")
    bob = await notif.staff("Bob")
    olga = {"id": str(uuid.uuid4()), "name": "Ольга", "email": "olga@initech.example"}
    john = {"id": str(uuid.uuid4()), "name": "John", "email": "john@initech.example"}
    petr = {"id": str(uuid.uuid4()), "name": "Petr", "email": None}
    client = await notif.client(
        "Initech",
        ida,
        contacts=[olga | {"locale": "ru"}, john, petr],
        timezone="Europe/Moscow",
    )
    refs = [
        {"contact_id": c["id"], "name": c["name"], "email": c["email"]} for c in (olga, john, petr)
    ]
    meeting_id = uuid.uuid4()
    data = meeting(client, ida, bob, refs, meeting_id)
    scheduled = await notif.deliver(MEETING + "scheduled.v1", data)
    await notif.deliver(MEETING + "scheduled.v1", data, event_id=scheduled.id)  # again
    worker = notif.workers()["email"]
    assert await worker.run_once() == 2
    rows = await notif.deliveries(template="meeting_invitation")
    assert sorted(r.status for r in rows) == ["sent", "sent", "skipped"]

    [to_olga] = mails_to(smtp, olga["email"])
    assert to_olga["Subject"] == (
        f"Приглашение: Quarterly review, {DAY} 12:00\u201313:00 (Europe/Moscow)"
    )
    assert to_olga["From"].addresses[0].display_name == "Ida Petrova"
    assert to_olga["Reply-To"] == ida.email
    text = parts(to_olga)["text/plain"]
    assert "Уважаемый(ая) Ольга!" in text and "Tverskaya 1, Moscow" in text
    assert text.endswith("С уважением,\nIda Petrova\nKey account manager\n")
    calendar_part = next(p for p in to_olga.walk() if p.get_content_type() == "text/calendar")
    assert calendar_part.get_param("method") == "REQUEST"
    [to_john] = mails_to(smtp, john["email"])
    assert str(to_john["Subject"]).startswith(f"Invitation: Quarterly review, {DAY} 12:00")
    assert invitation_of(to_john) == invitation_of(to_olga)

    read = read_ical(invitation_of(to_olga))
    assert (read["method"], read["uid"], read["sequence"]) == ("REQUEST", f"{meeting_id}@orbit", 0)
    assert read["status"] == "CONFIRMED"
    assert (read["summary"], read["location"]) == ("Quarterly review", "Tverskaya 1, Moscow")
    assert read["description"] == "Results; the plan, next quarter"
    assert read["start"] == {
        "utc": f"{DAY}T09:00:00.000Z",
        "local": f"{DAY}T12:00:00",
        "zone": "Europe/Moscow",
    }
    assert read["end"]["utc"] == f"{DAY}T10:00:00.000Z"
    assert "Europe/Moscow" in read["zones"]
    assert read["organizer"]["address"] == f"mailto:{ida.email}"
    assert read["organizer"]["name"] == "Ida Petrova"
    attendees = {a["address"]: a for a in read["attendees"]}
    assert set(attendees) == {
        f"mailto:{olga['email']}",
        f"mailto:{john['email']}",
        f"mailto:{bob.email}",
    }
    assert attendees[f"mailto:{olga['email']}"] | {} == {
        "address": f"mailto:{olga['email']}",
        "name": "Ольга",
        "role": "REQ-PARTICIPANT",
        "partstat": "NEEDS-ACTION",
        "rsvp": "TRUE",
    }

    # Moved two hours later: the same event, a higher sequence, the new times.
    later = NOW + timedelta(days=3, hours=2)
    moved = data | {
        "starts_at": later.isoformat(),
        "ends_at": (later + timedelta(hours=1)).isoformat(),
        "previous_starts_at": data["starts_at"],
        "previous_ends_at": data["ends_at"],
        "reason": "The client asked for the afternoon.",
        "sequence": 1,
    }
    await notif.deliver(MEETING + "rescheduled.v1", moved)
    assert await worker.run_once() == 2
    [_, to_olga] = mails_to(smtp, olga["email"])
    assert str(to_olga["Subject"]).startswith(f"Перенесено: Quarterly review, теперь {DAY} 14:00")
    assert f"с {DAY} 12:00\u201313:00 (Europe/Moscow) на" in parts(to_olga)["text/plain"]
    read = read_ical(invitation_of(to_olga))
    assert (read["method"], read["uid"], read["sequence"]) == ("REQUEST", f"{meeting_id}@orbit", 1)
    assert read["start"]["utc"] == f"{DAY}T11:00:00.000Z"

    # Cancelled: the same event, cancelled.
    await notif.deliver(MEETING + "cancelled.v1", moved | {"sequence": 2, "status": "cancelled"})
    assert await worker.run_once() == 2
    [*_, to_john] = mails_to(smtp, john["email"])
    assert str(to_john["Subject"]).startswith("Cancelled: Quarterly review")
    calendar_part = next(p for p in to_john.walk() if p.get_content_type() == "text/calendar")
    assert calendar_part.get_param("method") == "CANCEL"
    read = read_ical(invitation_of(to_john))
    assert (read["method"], read["uid"], read["sequence"]) == ("CANCEL", f"{meeting_id}@orbit", 2)
    assert read["status"] == "CANCELLED"
    assert len(smtp.inbox.messages) == 6  # nothing twice
