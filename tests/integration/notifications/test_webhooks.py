"""Webhooks against a real HTTP receiver on loopback: Standard Webhooks signatures verified
with the ``standardwebhooks`` library, the CloudEvent as the body, failing twice then
succeeding on the retry schedule, no redirects followed, manual retry, disabled after five
days of failures (admins told), a redelivered event sent once; the SSRF rules at creation
and again at delivery."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from standardwebhooks import Webhook as Verifier
from standardwebhooks.webhooks import WebhookVerificationError

from services.notifications.delivery import DeliveryWorker, WebhookSender
from services.notifications.settings import NotificationsSettings
from tests.integration.notifications.helpers import (
    ADMIN,
    Notif,
    invoice_data,
    make_notif,
    sla_breached,
)
from tests.support.receiver import Receiver

pytestmark = pytest.mark.integration
OVERDUE = "orbit.billing.invoice.overdue.v1"


@pytest.fixture
async def hooks(pg_url: str) -> AsyncIterator[Notif]:
    async for value in make_notif(pg_url, notifications_webhook_allow_loopback=True):
        yield value


async def subscribe(notif: Notif, url: str, types: list[str]) -> dict[str, Any]:
    response = await notif.http.post(
        "/api/v1/webhooks", headers=ADMIN, json={"url": url, "event_types": types}
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def test_signed_retried_and_delivered_once(hooks: Notif, receiver: Receiver) -> None:
    notif = hooks
    created = await subscribe(notif, receiver.url, [OVERDUE])
    secret = created["secret"]
    assert secret.startswith("whsec_")
    listed = (await notif.http.get("/api/v1/webhooks", headers=ADMIN)).json()["items"]
    assert [(w["id"], w["secret"]) for w in listed] == [(created["id"], None)]  # shown once

    ida = await notif.staff("Ida")
    client = await notif.client("Initech", ida)
    receiver.statuses = [500, 503]
    event_id = uuid.uuid4()
    await notif.deliver(OVERDUE, invoice_data(client, ida, days_overdue=3), event_id=event_id)
    await notif.deliver(OVERDUE, invoice_data(client, ida, days_overdue=3), event_id=event_id)
    await notif.deliver(
        "orbit.interactions.sla.breached.v1", sla_breached(client, ida)
    )  # not subscribed
    worker = notif.workers()["webhooks"]

    assert await worker.run_once() == 1
    [row] = await notif.deliveries(channel="webhook")
    assert (row.status, row.attempts, row.response_code) == ("pending", 1, 500)
    assert row.response_excerpt is not None and len(row.response_excerpt) == 512  # a prefix
    assert timedelta(seconds=4) <= row.next_attempt_at - notif.clock.now() <= timedelta(seconds=6)  # type: ignore[operator]
    notif.clock.advance(timedelta(seconds=6))
    assert await worker.run_once() == 1
    [row] = await notif.deliveries(channel="webhook")
    assert (row.attempts, row.response_code) == (2, 503)
    assert timedelta(minutes=4) <= row.next_attempt_at - notif.clock.now() <= timedelta(minutes=6)  # type: ignore[operator]
    assert await worker.run_once() == 0
    notif.clock.advance(timedelta(minutes=6))
    assert await worker.run_once() == 1
    assert await worker.run_once() == 0
    [row] = await notif.deliveries(channel="webhook")
    assert (row.status, row.attempts, row.response_code) == ("sent", 3, 200)
    assert row.traceparent is None

    assert len(receiver.requests) == 3
    ids = set()
    for line, headers, body in receiver.requests:
        assert line == "POST /hooks/orbit?src=test HTTP/1.1"
        assert headers["host"] == f"localhost:{receiver.port}"
        payload = Verifier(secret).verify(body, headers)  # raises when the signature is wrong
        assert payload["type"] == OVERDUE and payload["id"] == str(event_id)
        assert payload["specversion"] == "1.0" and payload["data"]["number"] == "2026-000042"
        ids.add(headers["webhook-id"])
        assert "traceparent" not in headers  # tracing off: nothing of it is sent
    assert ids == {str(row.id)}  # the same message id on every attempt
    with pytest.raises(WebhookVerificationError):
        Verifier("whsec_" + "A" * 32).verify(receiver.requests[0][2], receiver.requests[0][1])

    deliveries = await notif.http.get(f"/api/v1/webhooks/{created['id']}/deliveries", headers=ADMIN)
    [listed_row] = deliveries.json()["items"]
    assert (listed_row["status"], listed_row["response_code"]) == ("sent", 200)
    assert listed_row["duration_ms"] is not None
    assert [(a["number"], a["outcome"], a["response_code"]) for a in listed_row["history"]] == [
        (1, "waiting", 500),  # the receiver down: an outage, no budget spent
        (2, "waiting", 503),
        (3, "sent", 200),
    ]
    assert listed_row["history"][0]["error"] == "HTTP 500"

    # manual retry sends it once more
    retry = await notif.http.post(
        f"/api/v1/webhooks/{created['id']}/deliveries/{row.id}/retry", headers=ADMIN
    )
    assert retry.status_code == 200 and retry.json()["status"] == "pending"
    assert await worker.run_once() == 1
    assert len(receiver.requests) == 4


async def test_redirects_are_not_followed(hooks: Notif, receiver: Receiver) -> None:
    notif = hooks
    await subscribe(notif, receiver.url, [OVERDUE])
    ida = await notif.staff("Ida")
    client = await notif.client("Initech", ida)
    receiver.statuses = [302]
    await notif.deliver(OVERDUE, invoice_data(client, ida))
    assert await notif.workers()["webhooks"].run_once() == 1
    [row] = await notif.deliveries(channel="webhook")
    assert (row.status, row.response_code) == ("pending", 302)
    assert len(receiver.requests) == 1


async def test_disabled_after_five_days_and_admins_told(hooks: Notif, receiver: Receiver) -> None:
    notif = hooks
    root = await notif.staff("Root", role="admin")
    created = await subscribe(notif, receiver.url, [OVERDUE])
    ida = await notif.staff("Ida")
    client = await notif.client("Initech", ida)
    receiver.statuses = [500] * 1000
    worker = notif.workers()["webhooks"]
    # A new overdue invoice every 13 hours, every attempt failing: after 5 days, disabled.
    for _ in range(12):
        await notif.deliver(OVERDUE, invoice_data(client, ida))
        while await worker.run_once():
            pass
        notif.clock.advance(timedelta(hours=13))
        while await worker.run_once():
            pass
    webhook = (await notif.http.get("/api/v1/webhooks", headers=ADMIN)).json()["items"][0]
    assert webhook["id"] == created["id"]
    assert webhook["active"] is False and webhook["disabled_at"] is not None
    [told] = [n for n in await notif.feed(root) if "webhook" in n["type"]]
    assert told["title"].startswith("Webhook disabled")
    # nothing more goes to it: what waited is cancelled, new events make no deliveries
    statuses = {d.status for d in await notif.deliveries(channel="webhook")}
    assert "pending" not in statuses and "cancelled" in statuses
    before = len(await notif.deliveries(channel="webhook"))
    await notif.deliver(OVERDUE, invoice_data(client, ida))
    assert len(await notif.deliveries(channel="webhook")) == before


async def test_ssrf_at_creation(pg_url: str) -> None:
    async for notif in make_notif(pg_url):
        for url in (
            "http://127.0.0.1/",
            "http://2130706433/",
            "http://[::ffff:127.0.0.1]/",
            "http://0x7f.1/",
            "http://localhost:8080/",
            "http://10.0.0.8/hook",
            "http://169.254.169.254/latest/meta-data/",
            "http://[fe80::1]/",
            "http://224.0.0.1/",
            "ftp://example.com/",
            "http://user:pw@example.com/",
            "http://no-such-host.invalid/",
        ):
            response = await notif.http.post(
                "/api/v1/webhooks", headers=ADMIN, json={"url": url, "event_types": [OVERDUE]}
            )
            assert response.status_code == 422, url
            assert response.json()["errors"][0]["loc"] == ["body", "url"], url
        unknown = await notif.http.post(
            "/api/v1/webhooks",
            headers=ADMIN,
            json={"url": "https://93.184.215.14/", "event_types": ["orbit.nope.v1"]},
        )
        assert unknown.status_code == 422
        ida = await notif.staff("Ida")
        forbidden = await notif.http.post(
            "/api/v1/webhooks",
            headers=ida.headers,
            json={"url": "https://93.184.215.14/", "event_types": [OVERDUE]},
        )
        assert forbidden.status_code == 403
        assert (await notif.http.get("/api/v1/webhooks", headers=ida.headers)).status_code == 403


async def test_ssrf_again_at_delivery(hooks: Notif, receiver: Receiver) -> None:
    """A subscription made while loopback was allowed is refused when it no longer is."""
    notif = hooks
    created = await subscribe(notif, receiver.url, [OVERDUE])
    ida = await notif.staff("Ida")
    client = await notif.client("Initech", ida)
    await notif.deliver(OVERDUE, invoice_data(client, ida))
    strict = NotificationsSettings(env="test", notifications_webhook_allow_loopback=False)
    worker = DeliveryWorker(
        "webhook",
        notif.runtime.uow,
        notif.clock,
        WebhookSender(strict, notif.clock, notif.runtime.uow).send,
        batch_size=10,
        poll_seconds=1,
        claim_seconds=60,
    )
    assert await worker.run_once() == 1
    [row] = await notif.deliveries(channel="webhook")
    assert row.status == "pending" and "loopback" in (row.last_error or "")
    assert receiver.requests == []
    deleted = await notif.http.delete(f"/api/v1/webhooks/{created['id']}", headers=ADMIN)
    assert deleted.status_code == 204
    [row] = await notif.deliveries(channel="webhook")
    assert row.status == "cancelled"
    gone = await notif.http.get(f"/api/v1/webhooks/{created['id']}/deliveries", headers=ADMIN)
    assert gone.status_code == 404
    assert json.loads(row.payload or "{}")["type"] == OVERDUE
