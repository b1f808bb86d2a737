"""What events turn into, on PostgreSQL through the service's consumer: feed entries and
email deliveries by the rules (defaults and saved ones), the client's contacts in their
language, a contact without an email skipped and recorded, preferences and quiet hours, and
a redelivered event adding nothing."""

from __future__ import annotations

import uuid
from datetime import timedelta

from services.notifications.handlers.dispatch import dispatch
from tests.integration.notifications.helpers import (
    ADMIN,
    NOW,
    Notif,
    invoice_data,
    sla_breached,
)

BREACHED = "orbit.interactions.sla.breached.v1"
REMINDER = "orbit.billing.invoice.payment_reminder_due.v1"


async def test_sla_breach_reaches_the_manager_in_app_and_by_email(any_notif: Notif) -> None:
    notif = any_notif
    head = await notif.staff("Hanna", role="head")
    ida = await notif.staff("Ida", head=head, locale="ru")
    client = await notif.client("Initech", ida)
    await notif.deliver(BREACHED, sla_breached(client, ida, head))

    [entry] = [n for n in await notif.feed(ida) if n["type"] == BREACHED]
    assert entry["severity"] == "critical"
    assert entry["title"] == "Нарушен SLA: Initech"  # her locale
    assert entry["client_id"] == str(client)
    [email] = await notif.deliveries(channel="email", recipient_id=ida.id)
    assert (email.status, email.address, email.locale) == ("pending", ida.email, "ru")
    assert email.subject == "Нарушен SLA: Initech"
    assert email.next_attempt_at == NOW
    assert "Initech" in (email.text_body or "") and "<html" in (email.html_body or "")
    # nothing for the head yet (the rule names the manager; the head comes by escalation)
    assert [n for n in await notif.feed(head) if n["type"] == BREACHED] == []
    [row] = [n for n in await notif.notifications() if n.type == BREACHED]
    assert row.escalate_at == NOW + timedelta(hours=4)


async def test_the_feed_alerts_of_interactions_and_billing(any_notif: Notif) -> None:
    notif = any_notif
    ida = await notif.staff("Ida")
    client = await notif.client("Initech", ida)
    base = {
        "client_id": str(client),
        "client_name": "Initech",
        "account_manager_id": str(ida.id),
        "head_id": None,
    }
    events = {
        "orbit.interactions.sla.at_risk.v1": "warning",
        "orbit.interactions.meeting.report_overdue.v1": "warning",
        "orbit.interactions.client.contact_overdue.v1": "warning",
        "orbit.interactions.task.overdue.v1": "warning",
        "orbit.billing.invoice.overdue.v1": "critical",
        "orbit.billing.contract.expiring.v1": "warning",
        "orbit.billing.budget.threshold_reached.v1": "warning",
        "orbit.billing.invoice.promise_broken.v1": "warning",
        "orbit.interactions.sla.breached.v1": "critical",
    }
    for event_type in events:
        await notif.deliver(event_type, base | {"number": "C-1", "title": "Follow up"})
    # a good score notifies nobody, a low one does
    await notif.deliver(
        "orbit.interactions.feedback.received.v1", base | {"low": False, "score": 9}
    )
    await notif.deliver("orbit.interactions.feedback.received.v1", base | {"low": True, "score": 3})
    feed = {n["type"]: n for n in await notif.feed(ida)}
    for event_type, severity in events.items():
        assert feed[event_type]["severity"] == severity, event_type
    assert feed["orbit.interactions.feedback.received.v1"]["title"].startswith("Low feedback")
    assert len([n for n in await notif.feed(ida) if "feedback" in n["type"]]) == 1


async def test_a_redelivered_event_adds_nothing(any_notif: Notif) -> None:
    notif = any_notif
    ida = await notif.staff("Ida")
    client = await notif.client("Initech", ida)
    event_id = uuid.uuid4()
    first = await notif.deliver(BREACHED, sla_breached(client, ida), event_id=event_id)
    await notif.deliver(BREACHED, sla_breached(client, ida), event_id=event_id)  # inbox
    async with notif.runtime.uow() as uow:  # past the inbox: the rows' own keys
        await dispatch(uow, first)
        await uow.commit()
    assert len([n for n in await notif.notifications() if n.event_id == event_id]) == 1
    assert len(await notif.deliveries(event_id=event_id)) == 1


async def test_payment_reminders_go_to_billing_contacts_in_their_language(any_notif: Notif) -> None:
    notif = any_notif
    ida = await notif.staff("Ida")
    olga, john, nomail, tech = (str(uuid.uuid4()) for _ in range(4))
    client = await notif.client(
        "Initech",
        ida,
        locale="ru",
        contacts=[
            {"id": olga, "name": "Olga", "email": "olga@initech.example"},
            {"id": john, "name": "John", "email": "john@initech.example", "locale": "en-GB"},
            {"id": nomail, "name": "Nobody", "email": None},
            {"id": tech, "name": "Tech", "email": "t@initech.example", "roles": ["technical"]},
        ],
    )
    # billing carries the contacts in the event...
    event = await notif.deliver(
        REMINDER,
        invoice_data(
            client,
            ida,
            status="issued",
            days_overdue=7,
            step=7,
            escalate=False,
            billing_contacts=[
                {"contact_id": olga, "name": "Olga", "email": "olga@initech.example"},
                {"contact_id": john, "name": "John", "email": "john@initech.example"},
                {"contact_id": nomail, "name": "Nobody", "email": None},
            ],
        ),
    )
    rows = {d.recipient_id: d for d in await notif.deliveries(event_id=event.id)}
    assert set(rows) == {uuid.UUID(olga), uuid.UUID(john), uuid.UUID(nomail)}
    ru, en, skipped = rows[uuid.UUID(olga)], rows[uuid.UUID(john)], rows[uuid.UUID(nomail)]
    assert (ru.locale, ru.template, ru.status) == ("ru", "payment_reminder", "pending")
    assert ru.subject == "Просрочена оплата: счёт 2026-000042, 1234.50 EUR, срок 2026-11-01"
    assert en.locale == "en" and en.subject.startswith("Overdue: invoice 2026-000042")
    assert "Dear John" in (en.text_body or "")
    assert (skipped.status, skipped.last_error) == ("skipped", "the contact has no email address")
    # ...and without them, the replica's contacts with the billing role are reminded
    bare = await notif.deliver(REMINDER, invoice_data(client, ida, days_overdue=-3, step=-3))
    recipients = {d.recipient_id for d in await notif.deliveries(event_id=bare.id)}
    assert recipients == {uuid.UUID(olga), uuid.UUID(john), uuid.UUID(nomail)}
    # no feed entry for the staff: the rule names only the contacts
    assert [n for n in await notif.feed(ida) if n["type"] == REMINDER] == []


async def test_meeting_minutes_go_to_the_meetings_participants(any_notif: Notif) -> None:
    notif = any_notif
    ida = await notif.staff("Ida")
    olga, petr = str(uuid.uuid4()), str(uuid.uuid4())
    client = await notif.client(
        "Initech",
        ida,
        contacts=[
            {"id": olga, "name": "Olga", "email": "olga@initech.example", "locale": "ru"},
            {"id": petr, "name": "Petr", "email": "petr@initech.example"},
        ],
    )
    event = await notif.deliver(
        "orbit.interactions.meeting.report_submitted.v1",
        {
            "client_id": str(client),
            "client_name": "Initech",
            "account_manager_id": str(ida.id),
            "head_id": None,
            "interaction_id": str(uuid.uuid4()),
            "subject": "Quarterly review",
            "occurred_at": "2026-11-20T10:00:00+00:00",
            "contact_ids": [olga],
            "contacts": [],
            "summary": "We agreed on the plan.",
            "decisions": ["Renew"],
            "next_steps": ["Send the offer"],
        },
    )
    [row] = await notif.deliveries(event_id=event.id)
    assert (row.recipient_id, row.locale, row.template) == (
        uuid.UUID(olga),
        "ru",
        "meeting_minutes",
    )
    assert row.subject == "Итоги нашей встречи: Quarterly review (2026-11-20)"
    assert "Renew" in (row.text_body or "")


async def test_rules_api(any_notif: Notif) -> None:
    notif = any_notif
    ida = await notif.staff("Ida")
    defaults = (await notif.http.get("/api/v1/rules", headers=ida.headers)).json()
    assert {r["event_type"] for r in defaults} >= {BREACHED, REMINDER}
    bad = [
        {"event_type": BREACHED, "recipients": ["boss"], "channels": ["in_app"], "severity": "x"},
        {"event_type": "orbit.x.v1", "recipients": [], "channels": [], "severity": "info"},
        {
            "event_type": REMINDER,
            "recipients": ["billing_contacts"],
            "channels": ["email"],
            "severity": "info",
            "escalate_after": "four hours",
        },
    ]
    response = await notif.http.put("/api/v1/rules", headers=ADMIN, json=bad)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    locs = {tuple(e["loc"]) for e in response.json()["errors"]}
    assert {
        ("body", 0, "recipients", 0),
        ("body", 0, "severity"),
        ("body", 1, "event_type"),
        ("body", 1, "recipients"),
        ("body", 2, "escalate_after"),
    } <= locs
    for body in ({"rules": []}, "x", None, [1]):
        response = await notif.http.put("/api/v1/rules", headers=ADMIN, json=body)
        assert response.status_code == 422, body
    forbidden = await notif.http.put("/api/v1/rules", headers=ida.headers, json=[])
    assert forbidden.status_code == 403
    only = [
        {
            "event_type": BREACHED,
            "recipients": ["account_manager", "head"],
            "channels": ["in_app"],
            "severity": "warning",
            "escalate_after": None,
        }
    ]
    saved = await notif.http.put("/api/v1/rules", headers=ADMIN, json=only)
    answered = [only[0] | {"department": None}]  # a global rule
    assert saved.status_code == 200 and saved.json() == answered
    assert (await notif.http.get("/api/v1/rules", headers=ida.headers)).json() == answered
    head = await notif.staff("Hanna", role="head")
    client = await notif.client("Initech", ida)
    await notif.deliver(BREACHED, sla_breached(client, ida, head))
    await notif.deliver("orbit.billing.invoice.overdue.v1", invoice_data(client, ida))
    assert [n["severity"] for n in await notif.feed(ida) if n["type"] == BREACHED] == ["warning"]
    assert [n["type"] for n in await notif.feed(head)] == [BREACHED]
    assert not [n for n in await notif.feed(ida) if "invoice" in n["type"]]  # no rule now
    assert await notif.deliveries(channel="email") == []


async def test_preferences(any_notif: Notif) -> None:
    notif = any_notif
    ida = await notif.staff("Ida", timezone="Europe/Berlin")
    got = await notif.http.get("/api/v1/preferences", headers=ida.headers)
    assert got.json() == {
        "channels": {
            "info": ["in_app", "email"],
            "warning": ["in_app", "email"],
            "critical": ["in_app", "email"],
        },
        "quiet_hours": None,
        "digest": None,
    }
    for bad in (
        {"channels": {"critical": []}},
        {"channels": {"info": ["sms"]}},
        {"quiet_hours": {"start": "25:00", "end": "07:00"}},
        {"quiet_hours": {"start": "07:00", "end": "07:00"}},
        {"digest": {"enabled": True, "at": "8am"}},
        {"colour": "blue"},
    ):
        response = await notif.http.put("/api/v1/preferences", headers=ida.headers, json=bad)
        assert response.status_code == 422, bad
    mine = {
        "channels": {"info": ["in_app"], "warning": ["in_app"], "critical": ["in_app", "email"]},
        "quiet_hours": {"start": "09:00", "end": "11:00"},
        "digest": {"enabled": True, "at": "08:00"},
    }
    saved = await notif.http.put("/api/v1/preferences", headers=ida.headers, json=mine)
    assert saved.status_code == 200 and saved.json() == mine
    client = await notif.client("Initech", ida)
    base = {"client_id": str(client), "client_name": "Initech", "account_manager_id": str(ida.id)}
    await notif.deliver("orbit.interactions.client.contact_overdue.v1", base)  # warning
    assert await notif.deliveries(channel="email") == []  # warning: in-app only for her
    await notif.deliver(BREACHED, sla_breached(client, ida))  # critical: quiet hours ignored
    [email] = await notif.deliveries(channel="email")
    assert email.next_attempt_at == NOW  # 10:00 Berlin is quiet, but critical goes now
    mine["channels"]["warning"] = ["in_app", "email"]
    await notif.http.put("/api/v1/preferences", headers=ida.headers, json=mine)
    overdue = await notif.deliver("orbit.interactions.client.contact_overdue.v1", base)
    [held] = await notif.deliveries(event_id=overdue.id)
    assert held.next_attempt_at == NOW + timedelta(hours=1)  # 11:00 Berlin


async def test_deliveries_are_for_admins(any_notif: Notif) -> None:
    notif = any_notif
    ida = await notif.staff("Ida")
    client = await notif.client("Initech", ida)
    await notif.deliver(BREACHED, sla_breached(client, ida))
    assert (await notif.http.get("/api/v1/deliveries", headers=ida.headers)).status_code == 403
    listed = await notif.http.get("/api/v1/deliveries", headers=ADMIN, params={"channel": "email"})
    assert listed.status_code == 200
    [item] = listed.json()["items"]
    assert (item["status"], item["address"], item["attempts"]) == ("pending", ida.email, 0)
    none = await notif.http.get("/api/v1/deliveries", headers=ADMIN, params={"status": "sent"})
    assert none.json()["items"] == []
    bad = await notif.http.get("/api/v1/deliveries", headers=ADMIN, params={"status": "nope"})
    assert bad.status_code == 422
