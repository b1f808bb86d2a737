"""The long-running senders of the notifications service: one :class:`DeliveryWorker` per
channel (``worker.py``: claim, send, record), sending through the mailer (``mailer.py``) or
the webhook sender (``webhooks.py``).

With tracing on (``shared.tracing``), each email or webhook is sent in an ``email.send`` /
``webhook.send`` span continuing the trace its delivery row keeps (``traceparent``: the
consumer's that wrote it), and the attempt's log line carries that trace's id."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from services.notifications.delivery.mailer import Mailer
from services.notifications.delivery.webhooks import (
    WebhookSender,
    webhook_failed,
    webhook_succeeded,
)
from services.notifications.delivery.worker import Claimed, DeliveryWorker
from services.notifications.settings import NotificationsSettings

__all__ = ["Claimed", "DeliveryWorker", "Mailer", "WebhookSender", "delivery_workers"]


def delivery_workers(runtime: Any) -> dict[str, Callable[[], Awaitable[None]]]:
    """The senders of a running notifications service (email only with ORBIT_SMTP_URL: until
    it is set, emails wait as pending deliveries)."""
    settings: NotificationsSettings = runtime.settings
    common: dict[str, Any] = {
        "batch_size": settings.notifications_delivery_batch_size,
        "poll_seconds": settings.notifications_delivery_poll_seconds,
        "claim_seconds": settings.notifications_delivery_claim_seconds,
    }
    workers: dict[str, DeliveryWorker] = {}
    if settings.smtp_url:
        mailer = Mailer(settings, runtime.clock, runtime.documents)
        workers["email"] = DeliveryWorker(
            "email", runtime.uow, runtime.clock, mailer.send, **common
        )
    sender = WebhookSender(settings, runtime.clock, runtime.uow)
    workers["webhooks"] = DeliveryWorker(
        "webhook",
        runtime.uow,
        runtime.clock,
        sender.send,
        on_failure=webhook_failed,
        on_success=webhook_succeeded,
        **common,
    )
    runtime.delivery_workers = workers
    return {name: worker.run for name, worker in workers.items()}
