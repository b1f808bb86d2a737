from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict


class NotificationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    type: str
    severity: str
    title: str
    body: str
    client_id: uuid.UUID | None
    event_id: uuid.UUID
    created_at: datetime
    read_at: datetime | None
    acked_at: datetime | None


class RuleOut(BaseModel):
    event_type: str
    recipients: list[str]
    channels: list[str]
    severity: str
    escalate_after: str | None


class RuleIn(BaseModel):
    """One rule of a ``PUT /rules`` body (the body is a list of them); validated strictly by
    the use case, each bad item named in the 422."""

    event_type: str
    recipients: list[str]
    channels: list[str]
    severity: str
    escalate_after: str | None = None


class QuietHoursOut(BaseModel):
    start: str
    end: str


class DigestOut(BaseModel):
    enabled: bool
    at: str


class PreferencesOut(BaseModel):
    channels: dict[str, list[str]]
    quiet_hours: QuietHoursOut | None
    digest: DigestOut | None


class WebhookOut(BaseModel):
    """A subscription; ``secret`` (``whsec_...``) only in the response that created it."""

    id: uuid.UUID
    url: str
    event_types: list[str]
    secret: str | None
    active: bool
    created_at: datetime
    failing_since: datetime | None
    disabled_at: datetime | None
    disabled_reason: str | None


class DeliveryAttemptOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    number: int
    at: datetime
    outcome: str
    response_code: int | None
    duration_ms: int | None
    error: str | None


class DeliveryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    channel: str
    status: str
    event_id: uuid.UUID
    event_type: str
    client_id: uuid.UUID | None
    recipient_kind: str
    recipient_id: uuid.UUID | None
    address: str | None
    webhook_id: uuid.UUID | None
    template: str | None
    locale: str | None
    subject: str | None
    digest: bool
    attempts: int
    next_attempt_at: datetime | None
    created_at: datetime
    last_attempt_at: datetime | None
    sent_at: datetime | None
    last_error: str | None
    response_code: int | None
    duration_ms: int | None
    response_excerpt: str | None
    # every attempt so far, first first (the fields above repeat the last one)
    history: list[DeliveryAttemptOut] = []


class StreamTicketOut(BaseModel):
    """A ticket for ``GET /api/v1/notifications/stream?ticket=…``: opens one stream of the
    caller's feed, once, until ``expires_at``."""

    ticket: str
    expires_at: datetime
