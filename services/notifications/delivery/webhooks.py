"""The webhook channel: each claimed delivery posted to its subscription (a ``webhook.send``
span continuing its delivery's trace, whose ``traceparent`` the request carries), and what an
outcome does to the subscription (:func:`webhook_succeeded`, :func:`webhook_failed`: an
endpoint failing for too long is disabled)."""

from __future__ import annotations

import asyncio
import logging
import ssl
import time as monotonic
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import select, update
from standardwebhooks import Webhook as Signer

from services.notifications.delivery.worker import Claimed, outcome_label
from services.notifications.domain.catalog import WEBHOOK_DISABLED
from services.notifications.domain.messages import describe
from services.notifications.domain.schedule import WEBHOOK_DISABLE_AFTER
from services.notifications.domain.ssrf import UnsafeDestination, parse_target
from services.notifications.handlers.dispatch import add_notification, forget_cached
from services.notifications.handlers.webhooks import checked_destination
from services.notifications.settings import NotificationsSettings
from services.notifications.smtp import Outcome
from services.notifications.store import repository as repo
from services.notifications.store.models import Delivery, Webhook
from shared.clock import Clock
from shared.tracing import TRACEPARENT, current_traceparent, finish_send_span, send_span
from shared.uow import UnitOfWorkFactory

log = logging.getLogger("orbit.notifications.workers")


class WebhookSender:
    """Posts each claimed delivery's CloudEvent to its subscription, signed the Standard
    Webhooks way, to an address checked after DNS resolution (and connected to as checked:
    the URL's host is replaced by the address, the name goes in Host and SNI); redirects are
    not followed; connect and read time out; only the start of the response body is kept."""

    def __init__(
        self, settings: NotificationsSettings, clock: Clock, uow_factory: UnitOfWorkFactory
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.uow_factory = uow_factory
        self.timeout = httpx.Timeout(
            settings.notifications_webhook_read_timeout_seconds,
            connect=settings.notifications_webhook_connect_timeout_seconds,
        )
        self.excerpt_bytes = settings.notifications_webhook_response_excerpt_bytes

    async def send(self, claimed: Sequence[Claimed]) -> dict[uuid.UUID, Outcome]:
        ids = {c.webhook_id for c in claimed if c.webhook_id}
        async with self.uow_factory() as uow:
            rows = await uow.session.scalars(select(Webhook).where(Webhook.id.in_(ids)))
            hooks = {w.id: (w.url, w.secret, w.deleted_at is None) for w in rows}
        async with httpx.AsyncClient(
            follow_redirects=False, trust_env=False, timeout=self.timeout
        ) as client:
            results = await asyncio.gather(
                *(self._post(client, item, hooks.get(item.webhook_id)) for item in claimed)  # type: ignore[arg-type]
            )
        return {item.id: outcome for item, outcome in zip(claimed, results, strict=True)}

    async def _post(
        self, client: httpx.AsyncClient, item: Claimed, hook: tuple[str, str, bool] | None
    ) -> Outcome:
        """One webhook in a ``webhook.send`` span continuing its delivery's trace; the request
        carries that span's ``traceparent`` for the receiver to continue."""
        with send_span(
            "webhook.send",
            [item.traceparent],
            {
                "orbit.delivery.id": str(item.id),
                "orbit.delivery.channel": "webhook",
                "orbit.delivery.attempt": item.attempts + 1,
                "orbit.webhook.id": str(item.webhook_id) if item.webhook_id else None,
                "http.request.method": "POST",
            },
        ) as span:
            outcome = await self._attempt(client, item, hook, span)
            finish_send_span(
                span,
                outcome_label(outcome),
                outcome.ok,
                {"http.response.status_code": outcome.code},
            )
            return outcome

    async def _attempt(
        self,
        client: httpx.AsyncClient,
        item: Claimed,
        hook: tuple[str, str, bool] | None,
        span: Any,
    ) -> Outcome:
        if hook is None or not hook[2]:
            return Outcome(ok=False, error="the subscription was deleted", permanent=True)
        url, secret, _ = hook
        started = monotonic.perf_counter()

        def took() -> int:
            return int((monotonic.perf_counter() - started) * 1000)

        try:
            target = parse_target(url)
            addresses = await checked_destination(
                url,
                self.settings.allowed_networks,
                self.settings.notifications_webhook_allow_loopback,
            )
        except UnsafeDestination as exc:
            return Outcome(ok=False, error=str(exc), duration_ms=took())
        address = addresses[0]
        host = f"[{address}]" if address.version == 6 else str(address)
        payload = item.payload or ""
        # The signature's timestamp is the real time of sending: receivers check it against
        # their clocks (Standard Webhooks: within 5 minutes).
        now = datetime.now(UTC)
        signature = Signer(secret).sign(str(item.id), now, payload)
        headers = {
            "Host": target.host_header,
            "Content-Type": "application/cloudevents+json",
            "User-Agent": "Orbit-Webhooks/1.0",
            "webhook-id": str(item.id),
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": signature,
        }
        traceparent = current_traceparent()
        if traceparent:
            headers[TRACEPARENT] = traceparent
        if span is not None:
            span.set_attribute("server.address", target.host)
            span.set_attribute("server.port", target.port)
        extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
        try:
            async with client.stream(
                "POST",
                f"{target.scheme}://{host}:{target.port}{target.path}",
                content=payload.encode(),
                headers=headers,
                extensions=extensions,
            ) as response:
                body = b""
                async for chunk in response.aiter_raw():
                    body += chunk
                    if len(body) >= self.excerpt_bytes:
                        break
                excerpt = body[: self.excerpt_bytes].decode("utf-8", "replace")
                code = response.status_code
                ok = 200 <= code < 300
                return Outcome(
                    ok=ok,
                    error=None if ok else f"HTTP {code}",
                    code=code,
                    excerpt=excerpt,
                    duration_ms=took(),
                    unavailable=code >= 500 or code in (408, 429),
                )
        except (httpx.HTTPError, ssl.SSLError, OSError) as exc:
            return Outcome(ok=False, error=repr(exc), duration_ms=took(), unavailable=True)


async def webhook_succeeded(uow: Any, item: Claimed, now: datetime) -> None:
    if item.webhook_id is not None:
        await uow.session.execute(
            update(Webhook).where(Webhook.id == item.webhook_id).values(failing_since=None)
        )


async def webhook_failed(uow: Any, item: Claimed, outcome: Outcome, now: datetime) -> None:
    """An endpoint failing every attempt for :data:`WEBHOOK_DISABLE_AFTER` is disabled (what
    waits for it is cancelled), and every admin finds it in their feed."""
    if item.webhook_id is None:
        return
    webhook = await uow.session.get(Webhook, item.webhook_id, with_for_update=True)
    if webhook is None or not webhook.active:
        return
    if webhook.failing_since is None:
        webhook.failing_since = now
    if now - webhook.failing_since < WEBHOOK_DISABLE_AFTER:
        return
    webhook.active = False
    forget_cached(uow)
    webhook.disabled_at = now
    webhook.disabled_reason = f"every delivery failed since {webhook.failing_since.isoformat()}"
    await uow.session.execute(
        update(Delivery)
        .where(Delivery.webhook_id == webhook.id, Delivery.status == "pending")
        .values(status="cancelled", claimed_until=None)
    )
    event_id = uuid.uuid5(
        uuid.NAMESPACE_URL, f"orbit:notifications:webhook-disabled:{webhook.id}:{now.isoformat()}"
    )
    for admin_id in await repo.admin_ids(uow.session):
        title, body = describe(WEBHOOK_DISABLED, {"url": webhook.url}, "en")
        await add_notification(
            uow,
            recipient_id=admin_id,
            event_id=event_id,
            event_type=WEBHOOK_DISABLED,
            severity="warning",
            title=title,
            body=body,
            client_id=None,
            root_event_id=event_id,
        )
    log.warning("webhook %s disabled: %s", webhook.id, webhook.disabled_reason)
