"""Tables every service database has: outbox, inbox, dead letters, idempotency keys and
emitted scheduled alerts. Each service's first migration creates them."""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    Uuid,
)

from shared.db import BigIntPK, UTCDateTime

platform_metadata = MetaData()

outbox = Table(
    "outbox",
    platform_metadata,
    Column("seq", BigIntPK, primary_key=True, autoincrement=True),
    Column("event_id", Uuid, nullable=False, unique=True),
    Column("topic", String(200), nullable=False),
    Column("key", String(200), nullable=False),
    Column("event_type", String(200), nullable=False),
    Column("payload", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("sent_at", UTCDateTime, nullable=True),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("last_error", Text, nullable=True),
    # The W3C traceparent of the span that emitted the event (tracing on), else NULL.
    Column("traceparent", String(100), nullable=True),
)
Index("ix_outbox_unsent", outbox.c.sent_at, outbox.c.seq)

inbox = Table(
    "inbox",
    platform_metadata,
    Column("event_id", Uuid, primary_key=True),
    Column("event_type", String(200), nullable=False),
    Column("processed_at", UTCDateTime, nullable=False),
)
Index("ix_inbox_processed_at", inbox.c.processed_at)

dead_letters = Table(
    "dead_letters",
    platform_metadata,
    Column("id", BigIntPK, primary_key=True, autoincrement=True),
    Column("event_id", String(100), nullable=True),
    Column("event_type", String(200), nullable=True),
    Column("topic", String(200), nullable=False),
    Column("partition", Integer, nullable=True),
    Column("offset", BigIntPK, nullable=True),
    Column("payload", Text, nullable=False),
    Column("error", Text, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("failed_at", UTCDateTime, nullable=False),
    # ``orbit dlq``: when the row was replayed or discarded, and how (NULL: still parked).
    Column("resolved_at", UTCDateTime, nullable=True),
    Column("resolution", String(20), nullable=True),
)

idempotency_keys = Table(
    "idempotency_keys",
    platform_metadata,
    Column("caller_id", String(100), nullable=False),
    Column("key", String(200), nullable=False),
    Column("method", String(10), nullable=False),
    Column("path", String(500), nullable=False),
    Column("request_hash", String(64), nullable=False),
    Column("status_code", Integer, nullable=False),
    Column("response_body", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("caller_id", "key"),
)

scheduled_alerts = Table(
    "scheduled_alerts",
    platform_metadata,
    Column("alert_key", String(300), primary_key=True),
    Column("event_id", Uuid, nullable=False),
    Column("emitted_at", UTCDateTime, nullable=False),
)
