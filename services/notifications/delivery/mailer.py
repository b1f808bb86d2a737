"""The email channel: the claimed email deliveries sent through one SMTP connection per
round, each email in an ``email.send`` span continuing its deliveries' trace.

A delivery naming a ``document`` (the invoice PDF of an invoice or payment-reminder email)
has it fetched from the service rendering it first (``shared.documents``): that service
unreachable, the email waits and is retried like one whose SMTP server is down; the invoice
unknown there, it fails for good. Without a renderer (a notifications service served alone
without ``ORBIT_BILLING_URL``) the email goes without it."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from email.message import EmailMessage
from typing import cast

from services.notifications.delivery.worker import Claimed, outcome_label
from services.notifications.domain.attachments import content_type_of, parse_document
from services.notifications.domain.messages import language_of
from services.notifications.domain.senders import from_header
from services.notifications.emails import Attachment, build_message, render
from services.notifications.settings import NotificationsSettings, parse_smtp_url
from services.notifications.smtp import Outcome, connection
from shared.clock import Clock
from shared.documents import DocumentFetch, DocumentKind, DocumentUnavailable
from shared.tracing import finish_send_span, send_span

log = logging.getLogger("orbit.notifications.workers")


def _attachments(item: Claimed) -> list[Attachment]:
    """What the delivery row carries: a scorecard report's workbook, a meeting's invitation."""
    if item.attachment is None:
        return []
    name = item.attachment_name or "attachment.xlsx"
    return [Attachment(name, content_type_of(name), item.attachment)]


class Mailer:
    """Sends the claimed emails through one SMTP connection per round (aiosmtplib); a digest
    row is bundled with the recipient's other due digest rows into one email."""

    def __init__(
        self, settings: NotificationsSettings, clock: Clock, documents: DocumentFetch | None = None
    ) -> None:
        assert settings.smtp_url is not None
        self.target = parse_smtp_url(settings.smtp_url)
        self.sender = settings.smtp_from
        self.cc_manager = settings.notifications_cc_manager
        self.timeout = settings.smtp_timeout_seconds
        self.clock = clock
        self.documents = documents

    async def _documents(
        self, claimed: Sequence[Claimed]
    ) -> tuple[dict[uuid.UUID, Attachment], dict[uuid.UUID, Outcome]]:
        """The documents the claimed emails carry, and the outcome of those that cannot go
        (the renderer unreachable: unavailable, retried; the object unknown: permanent)."""
        found: dict[uuid.UUID, Attachment] = {}
        failed: dict[uuid.UUID, Outcome] = {}
        for item in claimed:
            reference = parse_document(item.document) if item.document else None
            if reference is None or self.documents is None:
                continue
            kind, object_id = reference
            try:
                document = await self.documents(cast(DocumentKind, kind), object_id)
            except DocumentUnavailable as exc:
                log.warning("email delivery %s: %s unavailable: %s", item.id, kind, exc)
                failed[item.id] = Outcome(
                    ok=False, error=f"{kind} cannot be fetched: {exc}", unavailable=True
                )
                continue
            if document is None:
                failed[item.id] = Outcome(
                    ok=False, error=f"{kind} {object_id} is not known", permanent=True
                )
            else:
                found[item.id] = Attachment(
                    document.filename, document.content_type, document.content
                )
        return found, failed

    def _messages(
        self, claimed: Sequence[Claimed], documents: dict[uuid.UUID, Attachment]
    ) -> list[tuple[list[Claimed], EmailMessage]]:
        out: list[tuple[list[Claimed], EmailMessage]] = []
        digests: dict[tuple[uuid.UUID | None, str | None], list[Claimed]] = {}
        for item in claimed:
            if item.digest:
                digests.setdefault((item.recipient_id, item.address), []).append(item)
                continue
            message = build_message(
                sender=from_header(self.sender, item.sender_name),
                to=item.address or "",
                reply_to=item.reply_to,
                cc=item.reply_to if self.cc_manager else None,
                client_id=item.client_id,
                subject=item.subject or "",
                text=item.text_body or "",
                html=item.html_body,
                delivery_id=item.id,
                language=item.locale,
                when=self.clock.now(),
                attachments=[
                    *_attachments(item),
                    *([documents[item.id]] if item.id in documents else []),
                ],
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
        documents, outcomes = await self._documents(claimed)
        sendable = [item for item in claimed if item.id not in outcomes]
        if not sendable:
            return outcomes
        async with connection(self.target, timeout_seconds=self.timeout) as send:
            for items, message in self._messages(sendable, documents):
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
                        span, outcome_label(outcome), outcome.ok, {"orbit.smtp.code": outcome.code}
                    )
                outcomes.update((item.id, outcome) for item in items)
        return outcomes
