from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from services.notifications.domain.catalog import (
    AttemptOutcome,
    Channel,
    DeliveryChannel,
    DeliveryStatus,
    EventType,
    NotificationType,
    PersonalChannel,
    Recipient,
    RecipientKind,
    Severity,
)
from services.notifications.domain.messages import Language


class NotificationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    type: NotificationType
    severity: Severity
    title: str
    body: str
    client_id: uuid.UUID | None
    event_id: uuid.UUID
    created_at: datetime
    read_at: datetime | None
    acked_at: datetime | None


class RuleOut(BaseModel):
    event_type: EventType
    recipients: list[Recipient]
    channels: list[Channel]
    severity: Severity
    escalate_after: str | None
    department: str | None = Field(
        description="the department whose rule this is (null: a global rule)"
    )


class RuleIn(BaseModel):
    """One rule of a ``PUT /rules`` body (the body is a list of them); validated strictly by
    the use case, each bad item named in the 422."""

    event_type: EventType
    recipients: list[Recipient]
    channels: list[Channel]
    severity: Severity
    escalate_after: str | None = None
    department: str | None = Field(
        default=None,
        description="null, or the department of ``?department=`` (the rules are saved for it)",
    )


class QuietHoursOut(BaseModel):
    start: str
    end: str


class DigestOut(BaseModel):
    enabled: bool
    at: str


class ChannelsOut(BaseModel):
    """The personal channels of each severity."""

    info: list[PersonalChannel]
    warning: list[PersonalChannel]
    critical: list[PersonalChannel]


class PreferencesOut(BaseModel):
    channels: ChannelsOut
    quiet_hours: QuietHoursOut | None
    digest: DigestOut | None


class WebhookOut(BaseModel):
    """A subscription; ``secret`` (``whsec_...``) only in the response that created it."""

    id: uuid.UUID
    url: str
    event_types: list[EventType]
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
    outcome: AttemptOutcome
    response_code: int | None
    duration_ms: int | None
    error: str | None


class DeliveryOut(BaseModel):
    # ``history`` is always answered: required in the response schema despite its default.
    model_config = ConfigDict(
        from_attributes=True, json_schema_serialization_defaults_required=True
    )

    id: uuid.UUID
    channel: DeliveryChannel
    status: DeliveryStatus
    event_id: uuid.UUID
    event_type: NotificationType
    client_id: uuid.UUID | None
    recipient_kind: RecipientKind
    recipient_id: uuid.UUID | None
    address: str | None
    webhook_id: uuid.UUID | None
    template: str | None
    locale: Language | None
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


class CountOut(BaseModel):
    """How many notifications match; ``capped``: more than ``count`` (the count stops at
    10,000)."""

    count: int
    capped: bool


class UpdatedOut(BaseModel):
    """How many notifications a bulk change changed."""

    updated: int
