"""The request bodies of the interactions API as command models (``shared.inputs.In`` and
``Patch``: unknown fields, control characters and lone surrogates refused with a 422 naming
them; a patch's ``null`` refused for the fields in ``NOT_NULL``).

Named ``<Thing>In`` / ``<Thing>Patch`` as in every service; the class name is the schema's
name in the OpenAPI document (and the TypeScript client generated from it)."""

from __future__ import annotations

import base64
import binascii
import uuid
from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from services.interactions.domain.calls import CallDirection
from services.interactions.domain.feedback import FeedbackKind
from services.interactions.domain.interactions import Direction, InteractionType
from services.interactions.domain.planned import MeetingKind
from services.interactions.domain.sla import CloseCode
from services.interactions.domain.tasks import TaskStatus
from shared.inputs import In, Patch

EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)


def in_utc(value: datetime) -> datetime:
    """An instant with an offset, held in UTC; one outside 1970..9999 in UTC is refused."""
    try:
        moment = value.astimezone(UTC)
    except OverflowError as exc:
        raise ValueError("the instant is outside the years 1970 to 9999") from exc
    if moment < EARLIEST:
        raise ValueError("the instant is before 1970")
    return moment


Instant = Annotated[AwareDatetime, AfterValidator(in_utc)]
Subject = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=20_000)]
RequiredText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20_000)
]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]
Line = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
PhoneText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
RecordingUrl = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=2000, pattern=r"^https?://[^\s]+$"),
]
Location = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]


class InteractionIn(In):
    """``POST /api/v1/interactions``. An inbound interaction with ``requires_response`` (or a
    missed inbound call) opens a request; an outbound one with ``responds_to`` answers the
    request that interaction opened (``promise_by``: a first response promising the full
    answer by then)."""

    client_id: uuid.UUID
    type: InteractionType
    direction: Direction
    occurred_at: Instant
    subject: Subject | None = None
    summary: LongText | None = None
    contact_ids: list[uuid.UUID] = Field(default_factory=list, max_length=50)
    requires_response: bool = False
    missed: bool = False
    responds_to: uuid.UUID | None = None
    promise_by: Instant | None = None


class CallIn(In):
    """``POST /api/v1/integrations/calls``: a call record of a telephony integration. ``from``
    and ``to`` as the PBX gives them (E.164 matches a contact; a national number is read in
    ``ORBIT_INTERACTIONS_CALL_DEFAULT_REGION``); ``answered`` false: missed (inbound) or not
    picked up (outbound)."""

    direction: CallDirection
    from_: PhoneText = Field(alias="from")
    to: PhoneText
    started_at: Instant
    duration_seconds: int = Field(ge=0, le=7 * 24 * 3600)
    answered: bool
    recording_url: RecordingUrl | None = None


class AssignIn(In):
    """Whose an unmatched record (a call, an email) was: a client the caller may see, and
    optionally one of its contacts."""

    client_id: uuid.UUID
    contact_id: uuid.UUID | None = None


class CallAssignIn(AssignIn):
    """``POST /api/v1/integrations/calls/{id}/assign``: whose call an unmatched one was."""


class EmailAssignIn(AssignIn):
    """``POST /api/v1/integrations/emails/{id}/assign``: whose message an unmatched one was
    (no ``contact_id``: the client's contact whose address sent it, if one did)."""


class InteractionRetractIn(In):
    """``POST /api/v1/interactions/{id}/retract``: logged by mistake, and why."""

    reason: Reason


class HoldIn(In):
    """``POST /api/v1/requests/{id}/hold``: waiting on the client, the SLA clock stops."""

    reason: Reason


class RequestCloseIn(In):
    """``POST /api/v1/requests/{id}/close``: not a real request; ``code`` says what it was."""

    reason: Reason
    code: CloseCode = "other"


class ResumeIn(In):
    """``POST /api/v1/requests/{id}/resume`` (the body is optional)."""

    note: Reason | None = None


class MeetingReportIn(In):
    """``POST /api/v1/interactions/{id}/report``: the minutes of a meeting."""

    summary: RequiredText
    decisions: list[Line] = Field(default_factory=list, max_length=100)
    next_steps: list[Line] = Field(default_factory=list, max_length=100)


class MeetingReportAmendIn(MeetingReportIn):
    """``PUT /api/v1/interactions/{id}/report``: the report as it should read, and why it
    changes."""

    reason: Reason


class TaskIn(In):
    client_id: uuid.UUID
    title: Title
    due_at: Instant
    assignee_id: uuid.UUID
    interaction_id: uuid.UUID | None = None


class TaskPatch(Patch):
    """``PATCH /api/v1/tasks/{id}``: an omitted field is kept; moving ``due_at`` later needs a
    ``reason``."""

    NOT_NULL = ("title", "due_at", "assignee_id", "status")

    title: Title | None = None
    due_at: Instant | None = None
    assignee_id: uuid.UUID | None = None
    status: TaskStatus | None = None
    reason: Reason | None = None


class FeedbackWithdrawIn(In):
    """``POST /api/v1/feedback/{id}/withdraw``: entered by mistake (the wrong client, a
    typo), and why."""

    reason: Reason


class FeedbackIn(In):
    """``POST /api/v1/feedback``: NPS 0-10 or CSAT 1-5."""

    client_id: uuid.UUID
    kind: FeedbackKind
    score: int = Field(strict=True)
    comment: LongText | None = None
    contact_id: uuid.UUID | None = None
    received_at: Instant | None = None


class MeetingIn(In):
    """``POST /api/v1/meetings``: a meeting or call planned with a client, in the future;
    ``location`` is a place or a link. The caller organises it and is among the staff."""

    client_id: uuid.UUID
    kind: MeetingKind = "meeting"
    starts_at: Instant
    ends_at: Instant
    subject: Title
    agenda: LongText | None = None
    location: Location | None = None
    contact_ids: list[uuid.UUID] = Field(default_factory=list, max_length=50)
    staff_ids: list[uuid.UUID] = Field(default_factory=list, max_length=50)


class MeetingRescheduleIn(In):
    """``POST /api/v1/meetings/{id}/reschedule``: a new time, in the future, and why."""

    starts_at: Instant
    ends_at: Instant
    reason: Reason


class MeetingCancelIn(In):
    """``POST /api/v1/meetings/{id}/cancel``."""

    reason: Reason


class MeetingHeldIn(In):
    """``POST /api/v1/meetings/{id}/held`` (the body is optional): logs the meeting
    interaction, ``summary`` its summary."""

    summary: LongText | None = None


class PostmarkHeader(BaseModel):
    name: str = Field(alias="Name", max_length=200)
    value: str = Field(default="", alias="Value", max_length=20_000)


class PostmarkAttachment(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: str = Field(default="unnamed", alias="Name", max_length=500)
    content_type: str = Field(default="application/octet-stream", alias="ContentType")
    content_length: int = Field(default=0, alias="ContentLength", ge=0)
    # The attachment's bytes, base64 (kept as a document of the interaction the mail is
    # logged as); none or undecodable: listed, not kept.
    content: str | None = Field(default=None, alias="Content")

    def data(self) -> bytes | None:
        if self.content is None:
            return None
        try:
            return base64.b64decode(self.content, validate=True)
        except binascii.Error:
            return None


class PostmarkInboundIn(BaseModel):
    """``POST /api/v1/integrations/emails/postmark/{token}``: Postmark's inbound webhook JSON
    (https://postmarkapp.com/developer/webhooks/inbound-webhook), the fields email in reads;
    the others are ignored (a provider's format, not Orbit's)."""

    model_config = ConfigDict(extra="ignore")

    sender: str = Field(default="", alias="From", max_length=2000)
    subject: str = Field(default="", alias="Subject", max_length=10_000)
    date: str = Field(default="", alias="Date", max_length=200)
    message_id: str = Field(alias="MessageID", min_length=1, max_length=200)
    text_body: str = Field(default="", alias="TextBody", max_length=1_000_000)
    html_body: str = Field(default="", alias="HtmlBody", max_length=2_000_000)
    headers: list[PostmarkHeader] = Field(default_factory=list, alias="Headers", max_length=500)
    attachments: list[PostmarkAttachment] = Field(
        default_factory=list, alias="Attachments", max_length=100
    )
