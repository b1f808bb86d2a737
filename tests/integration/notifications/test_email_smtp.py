"""Email through a real SMTP server on loopback (aiosmtpd): multipart text + HTML in Russian
and English; the server down, then up: every email arrives, none twice (also after a
restart of the worker); a permanent refusal fails the delivery without retrying."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta

import pytest

from services.notifications.delivery import delivery_workers
from shared.mailrefs import referenced_client
from tests.integration.notifications.helpers import Notif, invoice_data, make_notif, sla_breached
from tests.support.net import free_port
from tests.support.smtp import SmtpServer, parts

pytestmark = pytest.mark.integration


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer(free_port())
    yield server
    server.stop()


@pytest.fixture
async def mailing(pg_url: str, smtp: SmtpServer) -> AsyncIterator[Notif]:
    async for value in make_notif(pg_url, smtp_url=f"smtp://127.0.0.1:{smtp.port}"):
        yield value


async def test_down_then_up_nothing_lost_nothing_twice(mailing: Notif, smtp: SmtpServer) -> None:
    notif = mailing
    ida = await notif.staff("Ida", locale="ru")
    olga = str(uuid.uuid4())
    client = await notif.client(
        "Initech", ida, contacts=[{"id": olga, "name": "Olga", "email": "olga@initech.example"}]
    )
    await notif.deliver("orbit.interactions.sla.breached.v1", sla_breached(client, ida))
    await notif.deliver(
        "orbit.billing.invoice.payment_reminder_due.v1",
        invoice_data(client, ida, days_overdue=7, step=7, escalate=False),
    )
    worker = notif.workers()["email"]

    # The server is down: both attempts fail and wait, nothing is lost.
    assert await worker.run_once() == 2
    pending = await notif.deliveries(channel="email")
    assert [(d.status, d.attempts) for d in pending] == [("pending", 1), ("pending", 1)]
    assert all("connect" in (d.last_error or "") for d in pending)
    assert await worker.run_once() == 0  # not due before the backoff

    smtp.start()
    notif.clock.advance(timedelta(seconds=10))
    assert await worker.run_once() == 2
    assert await worker.run_once() == 0
    # a fresh worker (a restarted process) finds nothing left to send
    delivery_workers(notif.runtime)
    assert await notif.runtime.delivery_workers["email"].run_once() == 0  # type: ignore[attr-defined]
    sent = await notif.deliveries(channel="email")
    assert [(d.status, d.attempts) for d in sent] == [("sent", 2), ("sent", 2)]

    assert len(smtp.inbox.messages) == 2
    by_to = {str(m["To"]): m for m in smtp.inbox.messages}
    staff = by_to[ida.email]
    assert staff["Subject"] == "Нарушен SLA: Initech"
    assert staff.get_content_type() == "multipart/alternative"
    staff_parts = parts(staff)
    assert "Здравствуйте, Ida!" in staff_parts["text/plain"]
    assert "Здравствуйте, Ida!" in staff_parts["text/html"]
    client_mail = by_to["olga@initech.example"]
    assert client_mail["Subject"] == "Overdue: invoice 2026-000042, 1234.50 EUR, due 2026-11-01"
    client_parts = parts(client_mail)
    assert "Dear Olga" in client_parts["text/plain"]
    assert "<strong>2026-000042</strong>" in client_parts["text/html"]
    # the delivery's id, and the client a reply read from Orbit's mailbox is logged on
    assert client_mail["Message-ID"][1:37] in {str(d.id) for d in sent}
    assert referenced_client([client_mail["Message-ID"]]) == client
    assert referenced_client([staff["Message-ID"]]) is None  # to staff: no client named


async def test_a_permanent_refusal_fails_without_retry(mailing: Notif, smtp: SmtpServer) -> None:
    notif = mailing
    smtp.start()
    ida = await notif.staff("Ida")
    smtp.inbox.refuse.add(ida.email)
    client = await notif.client("Initech", ida)
    await notif.deliver("orbit.interactions.sla.breached.v1", sla_breached(client, ida))
    assert await notif.workers()["email"].run_once() == 1
    [row] = await notif.deliveries(channel="email")
    assert (row.status, row.response_code) == ("failed", 550)
    assert smtp.inbox.messages == []
    from tests.integration.notifications.helpers import ADMIN

    listed = await notif.http.get("/api/v1/deliveries", headers=ADMIN, params={"status": "failed"})
    [item] = listed.json()["items"]
    assert [(a["outcome"], a["response_code"]) for a in item["history"]] == [("failed", 550)]


async def test_digest_bundles_info_emails(mailing: Notif, smtp: SmtpServer) -> None:
    notif = mailing
    smtp.start()
    ida = await notif.staff("Ida")
    await notif.http.put(
        "/api/v1/preferences",
        headers=ida.headers,
        json={"digest": {"enabled": True, "at": "18:00"}},
    )
    rules = [
        {
            "event_type": t,
            "recipients": ["account_manager"],
            "channels": ["email"],
            "severity": "info",
        }
        for t in ("orbit.billing.contract.expiring.v1", "orbit.billing.invoice.overdue.v1")
    ]
    from tests.integration.notifications.helpers import ADMIN

    assert (await notif.http.put("/api/v1/rules", headers=ADMIN, json=rules)).status_code == 200
    client = await notif.client("Initech", ida)
    base = {"client_id": str(client), "client_name": "Initech", "account_manager_id": str(ida.id)}
    await notif.deliver("orbit.billing.contract.expiring.v1", base | {"number": "C-7"})
    await notif.deliver("orbit.billing.invoice.overdue.v1", invoice_data(client, ida))
    worker = notif.workers()["email"]
    assert await worker.run_once() == 0  # waits for 18:00
    notif.clock.advance(timedelta(hours=9))  # 18:00 UTC
    assert await worker.run_once() == 2
    [digest] = smtp.inbox.messages
    assert digest["Subject"] == "Your Orbit digest: 2 notifications"
    text = parts(digest)["text/plain"]
    assert "Contract C-7 expiring: Initech" in text and "Invoice 2026-000042 overdue" in text
    assert {d.status for d in await notif.deliveries(channel="email")} == {"sent"}
