"""The delivery loop of one channel: a sender takes due ``deliveries`` rows in a short
transaction (``claimed_until``: reserved for it; on PostgreSQL ``FOR UPDATE SKIP LOCKED``, so
several processes share the work), sends them outside any transaction (``Send``: the mailer or
the webhook sender), and records each outcome in another short one: sent, retried later (the
backoff of ``domain.schedule``) or failed. Nothing waits in the consumer: a slow mail server
or receiver holds up only its own rows. A process that dies between sending and recording
leaves the claim to expire, and the row is sent again (at least once; the email's Message-ID
and the webhook's ``webhook-id`` stay the same, so a receiver can tell)."""

from __future__ import annotations

import asyncio
import logging
import random
import time as monotonic
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import undefer

from services.notifications.domain.schedule import Failure, retry_delay
from services.notifications.smtp import Outcome
from services.notifications.store.models import Delivery, DeliveryAttempt, Webhook
from shared.clock import Clock
from shared.db import is_database_unreachable
from shared.tracing import continuing
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
    attachment_name: str | None = None  # a scorecard report's workbook
    attachment: bytes | None = None
    sender_name: str | None = None  # an email to a client: their manager's name
    reply_to: str | None = None  # ... and address
    document: str | None = None  # fetched when sent: invoice_pdf:<id>
    client_id: uuid.UUID | None = None  # an email to a client's contact: that client


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
        task = asyncio.current_task()
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
            # A cancellation swallowed down in the round (by a database driver closing its
            # connection) still stops the worker: the process must be able to stop.
            if task is not None and task.cancelling():
                raise asyncio.CancelledError
            if handled < self.batch_size:
                self._wake.clear()
                await self._idle(delay)

    async def _idle(self, delay: float) -> None:
        """Until woken, at most ``delay`` seconds. Not ``asyncio.wait_for``: on Python 3.11 it
        loses a cancellation that comes as the wake-up does, and the process never stops."""
        waiter = asyncio.ensure_future(self._wake.wait())
        try:
            await asyncio.wait({waiter}, timeout=delay)
        finally:
            waiter.cancel()

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
            .options(undefer(Delivery.attachment))
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
                        row.attachment_name,
                        row.attachment,
                        row.sender_name,
                        row.reply_to,
                        row.document,
                        row.client_id if row.recipient_kind == "contact" else None,
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


def outcome_label(outcome: Outcome) -> str:
    """An outcome in a word, for a span: sent, rejected, permanent or unavailable."""
    return "sent" if outcome.ok else outcome.failure
