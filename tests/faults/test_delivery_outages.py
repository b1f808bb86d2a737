"""Scenario 5: the SMTP server down (nothing listening on its port) and the webhook receiver
answering 5xx for four days of the injected clock — longer than the email's three days and
the webhooks' 27-hour retry budgets — while alerts keep coming; then the SMTP server starts
on the same port and the receiver answers 200. Every email and every webhook is delivered
exactly once after they come back, none is failed because of the outage, and every webhook
carries a valid Standard Webhooks signature.

The notifications service runs in-process on a fresh PostgreSQL database; the real aiosmtpd
server and the real HTTP receiver are those of the notifications integration tests; the
workers are driven round by round at the clock the test sets (as their loop would)."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import select
from standardwebhooks import Webhook as Verifier

from services.notifications.delivery import DeliveryWorker
from services.notifications.store.models import DeliveryAttempt
from tests.faults.inproc import Row, report
from tests.integration.notifications.helpers import (
    ADMIN,
    Notif,
    invoice_data,
    make_notif,
    sla_breached,
)
from tests.integration.notifications.test_email_smtp import SmtpServer
from tests.integration.notifications.test_webhooks import Receiver
from tests.support.net import free_port

pytestmark = pytest.mark.integration

BREACHED = "orbit.interactions.sla.breached.v1"
OVERDUE = "orbit.billing.invoice.overdue.v1"
OUTAGE = timedelta(days=4)
STEP = timedelta(hours=6)


@pytest.fixture
async def world(pg_url: str) -> AsyncIterator[tuple[Notif, SmtpServer, Receiver]]:
    smtp = SmtpServer(free_port())  # not started: nothing listens on its port yet
    receiver = Receiver()
    await receiver.start()
    try:
        async for notif in make_notif(
            pg_url,
            smtp_url=f"smtp://127.0.0.1:{smtp.port}",
            notifications_webhook_allow_loopback=True,
        ):
            yield notif, smtp, receiver
    finally:
        smtp.stop()
        assert receiver.server is not None
        receiver.server.close()


async def drain(workers: dict[str, DeliveryWorker]) -> None:
    for worker in workers.values():
        while await worker.run_once():
            pass


async def test_smtp_and_receiver_down_for_days_then_each_delivered_once(
    world: tuple[Notif, SmtpServer, Receiver],
) -> None:
    notif, smtp, receiver = world
    response = await notif.http.post(
        "/api/v1/webhooks",
        headers=ADMIN,
        json={"url": receiver.url, "event_types": [BREACHED, OVERDUE]},
    )
    assert response.status_code == 201, response.text
    secret = response.json()["secret"]
    ida = await notif.staff("Ida")
    client = await notif.client("Initech", ida)
    receiver.statuses = [500, 503] * 10_000  # down: every request answered 5xx
    workers = notif.workers()

    writes = 0

    async def alert() -> None:
        nonlocal writes
        await notif.deliver(BREACHED, sla_breached(client, ida))
        await notif.deliver(OVERDUE, invoice_data(client, ida, days_overdue=writes + 1))
        writes += 2

    for _ in range(3):
        await alert()
    outage_end = notif.clock.now() + OUTAGE
    while notif.clock.now() < outage_end:
        await drain(workers)
        if writes < 10:
            await alert()  # alerts keep coming during the outage
        notif.clock.advance(STEP)
    await drain(workers)

    during = await notif.deliveries()
    assert {d.status for d in during} == {"pending"}, "nothing is given up during the outage"
    assert min(d.attempts for d in during) >= 5
    assert smtp.inbox.messages == []

    # They come back: the SMTP server on the same port, the receiver answering 200.
    smtp.start()
    receiver.statuses.clear()
    outage_requests = len(receiver.requests)
    for _ in range(3):  # the outage backoff is capped (email 5 min, webhooks an hour)
        notif.clock.advance(timedelta(minutes=75))
        await drain(workers)

    deliveries = await notif.deliveries()
    emails = {str(d.id) for d in deliveries if d.channel == "email"}
    hooks = {str(d.id) for d in deliveries if d.channel == "webhook"}
    assert len(emails) == len(hooks) == writes
    assert {d.status for d in deliveries} == {"sent"}

    received_emails = [str(m["Message-ID"]).strip("<>")[:36] for m in smtp.inbox.messages]
    accepted_hooks = []
    for _, headers, body in receiver.requests[outage_requests:]:
        Verifier(secret).verify(body, headers)  # raises on a bad signature
        accepted_hooks.append(headers["webhook-id"])
    assert set(received_emails) == emails and set(accepted_hooks) == hooks
    assert len(received_emails) == len(emails), "an email arrived twice"
    assert len(accepted_hooks) == len(hooks), "a webhook was accepted twice"

    async with notif.runtime.reads() as session:
        outcomes = set(await session.scalars(select(DeliveryAttempt.outcome)))
    assert outcomes == {"waiting", "sent"}  # the outage spent no retry budget
    listed = (await notif.http.get("/api/v1/webhooks", headers=ADMIN)).json()["items"]
    assert [w["active"] for w in listed] == [True]

    expected = len(emails) + len(hooks)
    observed = set(received_emails) | set(accepted_hooks)
    report(
        Row(
            "5 SMTP down + receiver 5xx for 4 days (clock), then back",
            writes,
            expected,
            len(observed),
            expected - len(observed & (emails | hooks)),
            len(received_emails) + len(accepted_hooks) - len(observed),
        )
    )
    assert uuid.UUID(next(iter(emails)))  # the Message-IDs are the delivery ids


async def test_a_message_the_receiver_chokes_on_is_not_an_outage(
    world: tuple[Notif, SmtpServer, Receiver],
) -> None:
    """The other side of the rule: once another delivery to the endpoint has succeeded, a 5xx
    is this message's and spends its budget (7 retries), so it cannot wait forever."""
    notif, _, receiver = world
    response = await notif.http.post(
        "/api/v1/webhooks", headers=ADMIN, json={"url": receiver.url, "event_types": [OVERDUE]}
    )
    assert response.status_code == 201, response.text
    ida = await notif.staff("Ida")
    client = await notif.client("Initech", ida)
    worker = notif.workers()["webhooks"]
    receiver.statuses = [500]
    await notif.deliver(OVERDUE, invoice_data(client, ida, days_overdue=1))
    assert await worker.run_once() == 1  # A: the receiver looks down
    await notif.deliver(OVERDUE, invoice_data(client, ida, days_overdue=2))
    assert await worker.run_once() == 1  # B: accepted, so the receiver is up
    receiver.statuses = [500] * 100
    for _ in range(12):
        notif.clock.advance(timedelta(hours=12))
        await drain({"webhooks": worker})
    rows = await notif.deliveries(channel="webhook")
    first, second = sorted(rows, key=lambda d: json.loads(d.payload or "")["data"]["days_overdue"])
    assert (first.status, second.status) == ("failed", "sent")
    async with notif.runtime.reads() as session:
        history = list(
            await session.scalars(
                select(DeliveryAttempt.outcome)
                .where(DeliveryAttempt.delivery_id == first.id)
                .order_by(DeliveryAttempt.number)
            )
        )
    assert history == ["waiting"] + ["retry"] * 7 + ["failed"]
