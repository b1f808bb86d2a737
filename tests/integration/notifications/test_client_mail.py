# ruff: noqa: RUF001 (Russian emails: Cyrillic on purpose)
"""Emails to a client's contacts come from the client's account manager, through a real SMTP
server on loopback (aiosmtpd): the From under the manager's name, Reply-To the manager, a copy
to them with ORBIT_NOTIFICATIONS_CC_MANAGER, signed with their name and job title; without a
manager, ORBIT_SMTP_FROM and the team's signature."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest

from tests.integration.notifications.helpers import Notif, invoice_data, make_notif
from tests.support.net import free_port
from tests.support.smtp import SmtpServer, parts

pytestmark = pytest.mark.integration

SMTP_FROM = "Orbit <orbit@acme.example>"


async def mailing(url: str, smtp: SmtpServer, **settings: object) -> AsyncIterator[Notif]:
    async for notif in make_notif(
        url, smtp_url=f"smtp://127.0.0.1:{smtp.port}", smtp_from=SMTP_FROM, **settings
    ):
        yield notif


async def remind(notif: Notif, manager_id: uuid.UUID | None) -> None:
    """A payment reminder of a client whose billing contact is Olga (Russian)."""
    ida = await notif.staff("Ida")
    olga = {"id": str(uuid.uuid4()), "name": "Olga", "email": "olga@initech.example"}
    client = await notif.client("Initech", ida, contacts=[olga], locale="ru")
    data = invoice_data(client, ida, days_overdue=7, step=7, escalate=False)
    await notif.deliver(
        "orbit.billing.invoice.payment_reminder_due.v1",
        data | {"account_manager_id": str(manager_id) if manager_id else None},
    )
    assert await notif.workers()["email"].run_once() == 1


async def test_from_the_manager_signed_with_their_title(any_db_url: str, smtp: SmtpServer) -> None:
    async for notif in mailing(any_db_url, smtp):
        petrova = await notif.staff("Ida Petrova", title="Старший менеджер по работе с клиентами")
        await remind(notif, petrova.id)
    [received] = smtp.inbox.received
    message = received.message
    assert message["From"] == "Ida Petrova <orbit@acme.example>"
    assert message["Reply-To"] == petrova.email
    assert message["Cc"] is None and received.rcpt_tos == ("olga@initech.example",)
    text = parts(message)["text/plain"]
    assert text.endswith("С уважением,\nIda Petrova\nСтарший менеджер по работе с клиентами\n")


async def test_a_copy_to_the_manager_when_configured(pg_url: str, smtp: SmtpServer) -> None:
    async for notif in mailing(pg_url, smtp, notifications_cc_manager=True):
        petrova = await notif.staff("Ida Petrova")
        await remind(notif, petrova.id)
    [received] = smtp.inbox.received
    assert received.message["Cc"] == petrova.email
    assert set(received.rcpt_tos) == {"olga@initech.example", petrova.email}
    assert parts(received.message)["text/plain"].endswith("С уважением,\nIda Petrova\n")


async def test_without_a_manager_orbit_and_the_team(pg_url: str, smtp: SmtpServer) -> None:
    async for notif in mailing(pg_url, smtp, notifications_cc_manager=True):
        await remind(notif, None)
    [received] = smtp.inbox.received
    assert received.message["From"] == SMTP_FROM
    assert received.message["Reply-To"] is None and received.message["Cc"] is None
    text = parts(received.message)["text/plain"]
    assert text.endswith("С уважением,\nваша команда по работе с клиентами\n")


async def test_the_invoice_pdf_unavailable_the_email_waits(pg_url: str, smtp: SmtpServer) -> None:
    """Billing cannot be reached (nothing listens at ORBIT_BILLING_URL): the reminder is not
    sent without its PDF; it waits and is retried like an email whose server is down."""
    async for notif in mailing(pg_url, smtp, billing_url=f"http://127.0.0.1:{free_port()}"):
        await remind(notif, None)
        [row] = await notif.deliveries(channel="email")
    assert (row.status, row.attempts) == ("pending", 1)
    assert (row.document or "").startswith("invoice_pdf:")
    assert "invoice_pdf cannot be fetched" in (row.last_error or "")
    assert smtp.inbox.received == []
