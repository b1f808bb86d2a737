"""Tables of the notifications service, besides the platform tables and the replicas."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import JSONType, UTCDateTime


class Base(DeclarativeBase):
    metadata = MetaData()


class Notification(Base):
    """One entry of a staff member's in-app feed; one per (recipient, event).

    An alert whose rule escalates has ``escalate_at``; the scan moves it up the reporting
    line when it passes unacknowledged: a new entry for the head (``level`` + 1, the
    escalation's event id, the same ``root_event_id``) and ``escalate_at`` cleared. An
    acknowledgement clears ``escalate_at`` on every entry of the alert."""

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("recipient_id", "event_id", name="uq_notifications_recipient_event"),
        Index("ix_notifications_feed", "recipient_id", "created_at", "id"),
        Index(
            "ix_notifications_escalate_at",
            "escalate_at",
            postgresql_where=text("escalate_at IS NOT NULL"),
            sqlite_where=text("escalate_at IS NOT NULL"),
        ),
        Index("ix_notifications_root", "root_event_id"),
        Index("ix_notifications_stream", "recipient_id", "seq", "id"),
        Index(
            "ix_notifications_unread",
            "recipient_id",
            "created_at",
            postgresql_where=text("read_at IS NULL"),
            sqlite_where=text("read_at IS NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    recipient_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    type: Mapped[str] = mapped_column(String(200))
    severity: Mapped[str] = mapped_column(String(10))
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    client_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    event_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    level: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    root_event_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    escalate_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    escalate_after: Mapped[str | None] = mapped_column(String(40))
    # The live stream's order, numbered by the database at insert (never by the code), in the
    # order the recipient's entries commit: PostgreSQL, a sequence taken under the
    # recipient's transaction-long advisory lock; SQLite, the recipient's next number (one
    # writer at a time). Written before: 0. See the migration c5d1e7a3f920.
    seq: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))


class RuleSet(Base):
    """The rules as an admin last saved them (one row); none: the contract's defaults."""

    __tablename__ = "rule_sets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rules: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[uuid.UUID] = mapped_column(Uuid)


class DepartmentRuleSet(Base):
    """A department's own rules as its head or an admin last saved them: they replace the
    global rule of their event types (or add one) for the events of its clients."""

    __tablename__ = "department_rule_sets"

    department: Mapped[str] = mapped_column(String(200), primary_key=True)
    rules: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[uuid.UUID] = mapped_column(Uuid)


class Preference(Base):
    """A staff member's own choices; none: the defaults. ``reports``: the scorecard's
    scheduled reports turned on or off (``{"week": false}``; a report not named is on)."""

    __tablename__ = "preferences"

    staff_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    channels: Mapped[dict[str, list[str]]] = mapped_column(JSONType)
    quiet_hours: Mapped[dict[str, str] | None] = mapped_column(JSONType)
    digest: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    reports: Mapped[dict[str, bool] | None] = mapped_column(JSONType)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Locale(Base):
    """The locale of a staff member, a client or a contact, from the clients events (the
    replicas do not keep it)."""

    __tablename__ = "locales"

    subject_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # staff | client | contact
    locale: Mapped[str | None] = mapped_column(String(35))


class GreetingChoice(Base):
    """Whether a client's contacts get greetings (the client's ``greetings``, from the client
    events): the greetings job reads the clients turned on (``domain/greetings.py``)."""

    __tablename__ = "greeting_choices"

    client_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean)


class Webhook(Base):
    """An admin's subscription: event types to one URL, signed with its secret."""

    __tablename__ = "webhooks"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))
    event_types: Mapped[list[str]] = mapped_column(JSONType)
    secret: Mapped[str] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[uuid.UUID] = mapped_column(Uuid)
    # Since when every attempt failed (reset by a success); 5 days of it disables it.
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    disabled_reason: Mapped[str | None] = mapped_column(String(300))
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DeliveryAttempt(Base):
    """One attempt at a delivery: when, its outcome, the response code and time taken."""

    __tablename__ = "delivery_attempts"
    __table_args__ = (
        Index("ix_delivery_attempts_delivery", "delivery_id", "number"),
        Index("ix_delivery_attempts_at", "at"),  # retention
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    delivery_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    number: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    outcome: Mapped[str] = mapped_column(String(10))  # sent | retry | failed
    response_code: Mapped[int | None] = mapped_column(Integer)
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)


class Delivery(Base):
    """One email or webhook to send: written with the notification in the consumer's
    transaction (``key`` unique: one per event, recipient and channel), sent by a worker.

    status: ``pending`` (``next_attempt_at``: first or next try; ``digest``: waits for the
    recipient's daily digest), ``sent``, ``failed`` (permanently, or retries spent),
    ``skipped`` (nothing to send to: a contact without an email), ``cancelled``.

    A scorecard report is an email delivery too (``template`` ``scorecard_report``, its
    workbook in ``attachment``), written by the report job rather than by an event."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("key", name="uq_deliveries_key"),
        Index(
            "ix_deliveries_due",
            "channel",
            "next_attempt_at",
            postgresql_where=text("status = 'pending'"),
            sqlite_where=text("status = 'pending'"),
        ),
        Index("ix_deliveries_list", "created_at", "id"),
        Index("ix_deliveries_webhook", "webhook_id", "created_at", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    key: Mapped[str] = mapped_column(String(300))
    channel: Mapped[str] = mapped_column(String(10))  # email | webhook
    status: Mapped[str] = mapped_column(String(10))
    event_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    event_type: Mapped[str] = mapped_column(String(200))
    client_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    severity: Mapped[str] = mapped_column(String(10))
    recipient_kind: Mapped[str] = mapped_column(String(10))  # staff | contact | webhook
    recipient_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    address: Mapped[str | None] = mapped_column(String(2000))  # email address or URL
    webhook_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    template: Mapped[str | None] = mapped_column(String(60))
    locale: Mapped[str | None] = mapped_column(String(10))
    subject: Mapped[str | None] = mapped_column(String(300))
    text_body: Mapped[str | None] = mapped_column(Text)
    html_body: Mapped[str | None] = mapped_column(Text)
    payload: Mapped[str | None] = mapped_column(Text)  # the webhook body (the CloudEvent)
    # An email to a client comes from their account manager (domain/senders.py): the display
    # name of its From and its Reply-To (None: Orbit's own sender).
    sender_name: Mapped[str | None] = mapped_column(String(200))
    reply_to: Mapped[str | None] = mapped_column(String(320))
    # A document another service renders, fetched when the email is sent and attached
    # (``invoice_pdf:<invoice id>``: the invoice and payment-reminder emails; shared/documents).
    document: Mapped[str | None] = mapped_column(String(100))
    attachment_name: Mapped[str | None] = mapped_column(String(200))
    # loaded only by the sender (a workbook is large; the delivery log does not show it)
    attachment: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    digest: Mapped[bool] = mapped_column(Boolean, default=False)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    first_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    response_code: Mapped[int | None] = mapped_column(Integer)
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    response_excerpt: Mapped[str | None] = mapped_column(Text)
    # The W3C traceparent of the span that wrote the row (the consumer applying the event,
    # tracing on): the worker's send span continues it.
    traceparent: Mapped[str | None] = mapped_column(String(100))


class StreamTicket(Base):
    """A ticket that opens one live stream for a browser's ``EventSource``
    (``domain/tickets.py``): only its SHA-256 ``digest``, the staff member (and role) it was
    issued to, when it expires and when it was used. Expired rows are deleted when new
    tickets are issued."""

    __tablename__ = "stream_tickets"
    __table_args__ = (Index("ix_stream_tickets_expires_at", "expires_at"),)

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    staff_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    role: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
