"""The workers of the notifications service: the email and webhook senders (long-running,
reading ``deliveries`` rows) and the escalation scan (a scheduled job).

A sender takes due rows in a short transaction (``claimed_until``: reserved for it; on
PostgreSQL ``FOR UPDATE SKIP LOCKED``, so several processes share the work), sends them outside
any transaction, and records each outcome in another short one: sent, retried later (the
backoff of ``domain.schedule``) or failed. Nothing waits in the consumer: a slow mail server
or receiver holds up only its own rows. A process that dies between sending and recording
leaves the claim to expire, and the row is sent again (at least once; the email's Message-ID
and the webhook's ``webhook-id`` stay the same, so a receiver can tell).

With tracing on (``shared.tracing``), each email or webhook is sent in an ``email.send`` /
``webhook.send`` span continuing the trace its delivery row keeps (``traceparent``: the
consumer's that wrote it), and the attempt's log line carries that trace's id."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import ssl
import time as monotonic
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import httpx
from sqlalchemy import Select, func, or_, select, update
from standardwebhooks import Webhook as Signer

from services.notifications.domain.escalation import escalation_key, next_head
from services.notifications.domain.messages import describe, language_of
from services.notifications.domain.rules import parse_duration, rule_for
from services.notifications.domain.schedule import (
    WEBHOOK_DISABLE_AFTER,
    Failure,
    retry_delay,
)
from services.notifications.domain.ssrf import UnsafeDestination, parse_target
from services.notifications.emails import build_message, render
from services.notifications.events import AlertEscalatedV1
from services.notifications.handlers.dispatch import (
    add_notification,
    add_staff_email,
    channels_for,
    forget_cached,
)
from services.notifications.handlers.webhooks import checked_destination
from services.notifications.settings import NotificationsSettings, parse_smtp_url
from services.notifications.smtp import Outcome, connection
from services.notifications.store import repository as repo
from services.notifications.store.models import (
    Delivery,
    DeliveryAttempt,
    Notification,
    Webhook,
)
from shared.clock import Clock
from shared.db import is_database_unreachable
from shared.scheduler import ScheduledJob
from shared.tracing import (
    TRACEPARENT,
    continuing,
    current_traceparent,
    finish_send_span,
    send_span,
)
from shared.uow import UnitOfWorkFactory

log = logging.getLogger("orbit.notifications.workers")


@dataclass(frozen=True)
class Claimed:
    """A claimed delivery, detached from its session."""

    id: uuid.UUID
    channel: str
    address: str | None
    subject: str | None
    text_body: str | None
    html_body: str | None
    payload: str | None
    locale: str | None
    webhook_id: uuid.UUID | None
    recipient_id: uuid.UUID | None
    digest: bool
    attempts: int
    first_attempt_at: datetime | None
    traceparent: str | None = None  # of the consumer that wrote the row (tracing on)


Send = Callable[[Sequence[Claimed]], Awaitable[dict[uuid.UUID, Outcome]]]


class DeliveryWorker:
    """Sends the due deliveries of one channel, round after round."""

    def __init__(
        self,
        channel: str,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        send: Send,
        *,
        batch_size: int,
        poll_seconds: float,
        claim_seconds: float,
        on_failure: Callable[[Any, Claimed, Outcome, datetime], Awaitable[None]] | None = None,
        on_success: Callable[[Any, Claimed, datetime], Awaitable[None]] | None = None,
    ) -> None:
        self.channel = channel
        self.uow_factory = uow_factory
        self.clock = clock
        self.send = send
        self.batch_size = batch_size
        self.poll_seconds = poll_seconds
        self.claim_seconds = claim_seconds
        self.on_failure = on_failure
        self.on_success = on_success
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        delay = self.poll_seconds
        while True:
            try:
                handled = await self.run_once()
                delay = self.poll_seconds
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("%s deliveries: round failed", self.channel)
                handled = 0
                delay = min(delay * 2, 30)
            if handled < self.batch_size:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), delay)

    def _due(self, now: datetime) -> Select[Any]:
        return (
            select(Delivery)
            .where(
                Delivery.status == "pending",
                Delivery.channel == self.channel,
                Delivery.next_attempt_at <= now,
                or_(Delivery.claimed_until.is_(None), Delivery.claimed_until < now),
            )
            .order_by(Delivery.next_attempt_at, Delivery.id)
            .limit(self.batch_size)
        )

    async def claim(self) -> list[Claimed]:
        async with self.uow_factory() as uow:
            now = self.clock.now()
            stmt = self._due(now)
            if uow.session.get_bind().dialect.name == "postgresql":
                stmt = stmt.with_for_update(skip_locked=True)
            rows = list(await uow.session.scalars(stmt))
            until = now + timedelta(seconds=self.claim_seconds)
            claimed = []
            for row in rows:
                row.claimed_until = until
                claimed.append(
                    Claimed(
                        row.id,
                        row.channel,
                        row.address,
                        row.subject,
                        row.text_body,
                        row.html_body,
                        row.payload,
                        row.locale,
                        row.webhook_id,
                        row.recipient_id,
                        row.digest,
                        row.attempts,
                        row.first_attempt_at,
                        row.traceparent,
                    )
                )
            await uow.commit()
        return claimed

    async def run_once(self) -> int:
        """One round: claim, send, record. Returns how many deliveries it handled."""
        claimed = await self.claim()
        if not claimed:
            return 0
        outcomes = await self.send(claimed)
        for item in claimed:
            outcome = outcomes.get(item.id) or Outcome(ok=False, error="not attempted")
            with continuing(item.traceparent):  # its log lines carry the event's trace_id
                await self.record(item, outcome)
        return len(claimed)

    async def record(self, item: Claimed, outcome: Outcome) -> None:
        """Record an attempt that was made. The email or webhook has gone (or not) already, so
        a database that cannot be reached now (restarted, the session killed) is waited for
        while the claim lasts: left unrecorded, the delivery would be sent again."""
        deadline = monotonic.monotonic() + self.claim_seconds
        pause = 0.05
        while True:
            try:
                await self._record(item, outcome)
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if not is_database_unreachable(exc) or monotonic.monotonic() + pause > deadline:
                    raise
                log.warning(
                    "%s delivery %s: database unreachable while recording, retrying: %r",
                    self.channel,
                    item.id,
                    exc,
                )
            await asyncio.sleep(pause)
            pause = min(pause * 2, 2.0)

    async def _record(self, item: Claimed, outcome: Outcome) -> None:
        async with self.uow_factory() as uow:
            now = self.clock.now()
            row = await uow.session.get(Delivery, item.id, with_for_update=True)
            if row is None or row.status != "pending":
                return  # cancelled meanwhile
            error = None if outcome.ok else (outcome.error or "failed")[:2000]
            status, label = "sent", "sent"
            if not outcome.ok:
                failure = await self._classify(uow, item, outcome, now)
                rejections, first_rejection = 0, now
                if failure == "rejected":
                    rejections, first_rejection = await self._rejections(uow, item.id, now)
                wait = retry_delay(
                    self.channel,
                    failure,
                    tries=row.attempts + 1,
                    rejections=rejections,
                    first_rejection_at=first_rejection,
                    now=now,
                    jitter=random.uniform(-1, 1),
                )
                if wait is None:
                    status, label = "failed", "failed"
                else:
                    status = "pending"
                    label = "waiting" if failure == "unavailable" else "retry"
                    row.next_attempt_at = now + wait
            row.attempts += 1
            row.first_attempt_at = row.first_attempt_at or now
            row.last_attempt_at = now
            row.claimed_until = None
            row.response_code = outcome.code
            row.duration_ms = outcome.duration_ms
            row.response_excerpt = outcome.excerpt
            row.status = status
            row.last_error = error
            uow.session.add(
                DeliveryAttempt(
                    id=uuid.uuid4(),
                    delivery_id=row.id,
                    number=row.attempts,
                    at=now,
                    outcome=label,
                    response_code=outcome.code,
                    duration_ms=outcome.duration_ms,
                    error=error,
                )
            )
            if outcome.ok:
                row.sent_at = now
                if self.on_success is not None:
                    await self.on_success(uow, item, now)
            elif self.on_failure is not None:
                await self.on_failure(uow, item, outcome, now)
            await uow.commit()
        log.info(
            "%s delivery %s: %s (attempt %d, code %s)",
            self.channel,
            item.id,
            label,
            row.attempts,
            outcome.code,
        )

    async def _classify(self, uow: Any, item: Claimed, outcome: Outcome, now: datetime) -> Failure:
        """The kind of a failure. A receiver answering 5xx (or not at all) is an outage only
        while its endpoint fails everything: when another delivery to it has succeeded since
        this one was first tried, the error is this message's and spends its budget."""
        failure = outcome.failure
        if failure != "unavailable" or item.webhook_id is None or item.first_attempt_at is None:
            return failure
        failing_since = await uow.session.scalar(
            select(Webhook.failing_since).where(Webhook.id == item.webhook_id)
        )
        if failing_since is not None and failing_since <= item.first_attempt_at:
            return "unavailable"
        return "rejected"

    async def _rejections(
        self, uow: Any, delivery_id: uuid.UUID, now: datetime
    ) -> tuple[int, datetime]:
        """How many of the delivery's attempts were refused (this one included), and when the
        first of them was."""
        count, first = (
            await uow.session.execute(
                select(func.count(), func.min(DeliveryAttempt.at)).where(
                    DeliveryAttempt.delivery_id == delivery_id, DeliveryAttempt.outcome == "retry"
                )
            )
        ).one()
        return int(count) + 1, first or now


# ---------------------------------------------------------------- email


class Mailer:
    """Sends the claimed emails through one SMTP connection per round (aiosmtplib); a digest
    row is bundled with the recipient's other due digest rows into one email."""

    def __init__(self, settings: NotificationsSettings, clock: Clock) -> None:
        assert settings.smtp_url is not None
        self.target = parse_smtp_url(settings.smtp_url)
        self.sender = settings.smtp_from
        self.timeout = settings.smtp_timeout_seconds
        self.clock = clock

    def _messages(self, claimed: Sequence[Claimed]) -> list[tuple[list[Claimed], EmailMessage]]:
        out: list[tuple[list[Claimed], EmailMessage]] = []
        digests: dict[tuple[uuid.UUID | None, str | None], list[Claimed]] = {}
        for item in claimed:
            if item.digest:
                digests.setdefault((item.recipient_id, item.address), []).append(item)
                continue
            message = build_message(
                sender=self.sender,
                to=item.address or "",
                subject=item.subject or "",
                text=item.text_body or "",
                html=item.html_body,
                delivery_id=item.id,
                language=item.locale,
                when=self.clock.now(),
            )
            out.append(([item], message))
        for (_, address), items in digests.items():
            language = language_of(items[0].locale)
            email = render(
                "digest",
                language,
                {"recipient_name": "", "items": [{"subject": i.subject} for i in items]},
            )
            message = build_message(
                sender=self.sender,
                to=address or "",
                subject=email.subject,
                text=email.text,
                html=email.html,
                delivery_id=items[0].id,
                language=language,
                when=self.clock.now(),
            )
            out.append((items, message))
        return out

    async def send(self, claimed: Sequence[Claimed]) -> dict[uuid.UUID, Outcome]:
        """Each email in an ``email.send`` span continuing its deliveries' trace."""
        outcomes: dict[uuid.UUID, Outcome] = {}
        async with connection(self.target, timeout_seconds=self.timeout) as send:
            for items, message in self._messages(claimed):
                ids = [str(item.id) for item in items]
                with send_span(
                    "email.send",
                    [item.traceparent for item in items],
                    {
                        "orbit.delivery.id": ids[0],
                        "orbit.delivery.ids": ids if len(ids) > 1 else None,  # a digest
                        "orbit.delivery.channel": "email",
                        "orbit.delivery.attempt": items[0].attempts + 1,
                    },
                ) as span:
                    outcome = await send(message)
                    finish_send_span(
                        span, _label(outcome), outcome.ok, {"orbit.smtp.code": outcome.code}
                    )
                outcomes.update((item.id, outcome) for item in items)
        return outcomes


def _label(outcome: Outcome) -> str:
    """An outcome in a word, for a span: sent, rejected, permanent or unavailable."""
    return "sent" if outcome.ok else outcome.failure


# ---------------------------------------------------------------- webhooks


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
            settings.webhook_read_timeout_seconds,
            connect=settings.webhook_connect_timeout_seconds,
        )
        self.excerpt_bytes = settings.webhook_response_excerpt_bytes

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
                span, _label(outcome), outcome.ok, {"http.response.status_code": outcome.code}
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
                url, self.settings.allowed_networks, self.settings.webhook_allow_loopback
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
        title, body = describe(
            "orbit.notifications.webhook.disabled.v1", {"url": webhook.url}, "en"
        )
        await add_notification(
            uow,
            recipient_id=admin_id,
            event_id=event_id,
            event_type="orbit.notifications.webhook.disabled.v1",
            severity="warning",
            title=title,
            body=body,
            client_id=None,
            root_event_id=event_id,
        )
    log.warning("webhook %s disabled: %s", webhook.id, webhook.disabled_reason)


# ---------------------------------------------------------------- escalation


async def escalate(uow_factory: UnitOfWorkFactory, now: datetime, *, batch_size: int = 200) -> int:
    """Climb every alert past its ``escalate_at`` and unacknowledged one step: the holder's
    head gets a feed entry (level + 1, and an email when the rule says so), the event
    ``alert.escalated.v1`` is emitted under a deterministic key (the alert and the head), and
    the entry that climbed escalates no more; the head's entry climbs after as long again."""
    total = 0
    while True:
        async with uow_factory() as uow:
            session = uow.session
            stmt = (
                select(Notification)
                .where(
                    Notification.escalate_at.is_not(None),
                    Notification.escalate_at <= now,
                    Notification.acked_at.is_(None),
                )
                .order_by(Notification.escalate_at, Notification.id)
                .limit(batch_size)
            )
            if session.get_bind().dialect.name == "postgresql":
                stmt = stmt.with_for_update(skip_locked=True)
            rows = list(await session.scalars(stmt))
            if not rows:
                return total
            rules = await repo.load_rules(session)
            for row in rows:
                row.escalate_at = None
                total += await _climb(uow, row, rules, now)
            await uow.commit()
        if len(rows) < batch_size:
            return total


async def _climb(uow: Any, row: Notification, rules: Sequence[Any], now: datetime) -> int:
    session = uow.session
    root = row.root_event_id or row.event_id
    if row.client_id is None or not row.escalate_after:
        return 0
    reached = set(
        await session.scalars(
            select(Notification.recipient_id).where(Notification.root_event_id == root)
        )
    )
    # Climb past heads who left (inactive) to the next one up.
    current = row.recipient_id
    target = None
    for _ in range(50):
        people = await repo.staff_by_ids(session, [current])
        head = next_head(
            current, {current: people[current].head_id} if current in people else {}, reached
        )
        if head is None:
            return 0
        info = (await repo.staff_by_ids(session, [head])).get(head)
        reached.add(head)
        if info is not None and info.active:
            target = info
            break
        current = head
    if target is None:
        return 0
    level = row.level + 1
    event = AlertEscalatedV1(
        client_id=row.client_id,
        alert_event_id=root,
        alert_type=row.type,
        severity=row.severity,
        title=row.title,
        level=level,
        from_staff_id=row.recipient_id,
        to_staff_id=target.id,
        notification_id=row.id,
        escalate_after=row.escalate_after,
        escalated_at=now,
    )
    emitted = await uow.emit_once(escalation_key(root, target.id), event)
    if emitted is None:
        return 0
    preference = (await repo.preferences_of(session, [target.id])).get(target.id)
    language = language_of((await repo.locales_of(session, [target.id])).get(target.id))
    data = {"level": level, "alert_title": row.title, "alert_body": row.body}
    title, body = describe(AlertEscalatedV1.TYPE, data, language)
    wanted = channels_for(preference, row.severity)  # type: ignore[arg-type]
    rule = rule_for(rules, row.type)
    if "in_app" in wanted:
        await add_notification(
            uow,
            recipient_id=target.id,
            event_id=emitted.id,
            event_type=row.type,
            severity=row.severity,
            title=title,
            body=body,
            client_id=row.client_id,
            root_event_id=root,
            level=level,
            escalate_after=row.escalate_after,
            escalates_at=now + parse_duration(row.escalate_after),
        )
    if rule is not None and "email" in rule.channels and "email" in wanted:
        await add_staff_email(
            uow,
            staff=target,
            preference=preference,
            event_id=emitted.id,
            event_type=row.type,
            severity=row.severity,  # type: ignore[arg-type]
            client_id=row.client_id,
            client_name=None,
            language=language,
            title=title,
            body=body,
            level=level,
        )
    return 1


def scheduled_jobs(settings: NotificationsSettings) -> Mapping[str, ScheduledJob]:
    batch = settings.escalation_batch_size

    async def escalations(uow_factory: UnitOfWorkFactory, now: datetime) -> int:
        return await escalate(uow_factory, now, batch_size=batch)

    return {"escalations": escalations}


def delivery_workers(runtime: Any) -> dict[str, Callable[[], Awaitable[None]]]:
    """The senders of a running notifications service (email only with ORBIT_SMTP_URL: until
    it is set, emails wait as pending deliveries)."""
    settings: NotificationsSettings = runtime.settings
    common: dict[str, Any] = {
        "batch_size": settings.delivery_batch_size,
        "poll_seconds": settings.delivery_poll_seconds,
        "claim_seconds": settings.delivery_claim_seconds,
    }
    workers: dict[str, DeliveryWorker] = {}
    if settings.smtp_url:
        mailer = Mailer(settings, runtime.clock)
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
