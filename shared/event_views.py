"""How a service reads the events it consumes: through a small *view* of each, the fields it
needs and nothing else (the tolerant reader).

A view names the fields one consumer reads, typed (ids as ``uuid.UUID``, instants as aware
``datetime``, money as ``Decimal``), and ignores the rest, so a producer may add fields (a
compatible change, ``docs/events/README.md``) without touching any consumer; a field a
consumer needs that is missing or malformed fails the event with pydantic's message naming
the field (retried, then dead-lettered, as any failing handler). Producers keep their full
event models (``services/<svc>/events.py``); a consumer never imports another service's.
Views are pure: a domain module may define and read them.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Self, TypeVar

from pydantic import BaseModel, ConfigDict


class EventView(BaseModel):
    """The base of every view: unknown fields ignored, frozen."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> Self:
        """The view of an event's ``data`` (or of a part of it, e.g. one listed contact)."""
        return cls.model_validate(data)


# ==================================================================================
# Views of events more than one feature of a service reads (search, the scorecard's
# projection and the timeline in notifications, so far): one view per event shape, here. A
# feature that needs more of the same event (or needs a field another tolerates missing)
# subclasses the view, adding or requiring fields, rather than copying it.
# ==================================================================================


class ContactData(EventView):
    """A contact: of a contact event, or one of the ``contacts`` a client event lists."""

    contact_id: uuid.UUID
    name: str
    position: str | None = None
    email: str | None = None
    phone: str | None = None


class ClientData(EventView):
    """A client event (``orbit.clients.client.*``); ``contacts`` None when the event does not
    list them (they stay)."""

    client_id: uuid.UUID
    name: str
    segment: str | None = None
    tags: list[str] = []
    country: str | None = None
    contacts: list[ContactData] | None = None


class InvoiceData(EventView):
    """An invoice event (``orbit.billing.invoice.*``): the invoice's state after it."""

    invoice_id: uuid.UUID
    client_id: uuid.UUID
    number: str | None = None
    client_name: str | None = None
    status: str | None = None
    total: Decimal | None = None
    currency: str | None = None


class InvoiceBalance(InvoiceData):
    """An invoice event as a reader of what it owes reads it (the scorecard's projection and
    the timeline): its status, currency and balance, its dates; ``credit_total`` on
    ``invoice.credited``."""

    status: str
    currency: str
    balance: Decimal
    issue_date: date | None = None
    due_date: date | None = None
    credit_total: Decimal | None = None


class PaidInvoice(EventView):
    """An invoice a payment paid (``allocations``) or a reversal reopened (``reopened``):
    its balance and status after it (an allocation published before they were added has
    neither)."""

    invoice_id: uuid.UUID | None = None
    balance: Decimal | None = None
    status: str | None = None


class PaymentData(EventView):
    """``payment.received`` (``allocations``) or ``payment.reversed`` (``reopened``)."""

    payment_id: uuid.UUID
    amount: Decimal | None = None
    currency: str | None = None
    received_at: datetime | None = None
    allocations: Sequence[PaidInvoice] | None = None
    reopened: Sequence[PaidInvoice] | None = None


class RequestData(EventView):
    """A request event (``request.*``, ``sla.*``): its times; ``breached`` and ``code``
    (``request.closed``) when the event carries them."""

    request_id: uuid.UUID
    opened_at: datetime
    due_at: datetime
    answered_at: datetime | None = None
    breached: bool | None = None
    code: str | None = None


class FeedbackRef(EventView):
    """A feedback event: which feedback (all the projection reads of ``feedback.withdrawn``)."""

    feedback_id: uuid.UUID


class FeedbackData(FeedbackRef):
    """``feedback.received`` (or ``.withdrawn``, which carries the same): the score."""

    kind: str
    score: int
    received_at: datetime


class StageChangeData(EventView):
    """``opportunity.stage_changed``: the stage it moved to."""

    opportunity_id: uuid.UUID
    new_stage: str


class InteractionRef(EventView):
    """An interaction event (``interaction.logged``, ``.retracted``): the interaction, and
    the request it opened, if any."""

    interaction_id: uuid.UUID
    request_id: uuid.UUID | None = None


class InteractionData(EventView):
    """An interaction logged, or a meeting's report (``decisions``, ``next_steps``)."""

    interaction_id: uuid.UUID
    client_id: uuid.UUID
    occurred_at: datetime
    type: str | None = None
    subject: str | None = None
    summary: str | None = None
    decisions: list[str] = []
    next_steps: list[str] = []


class LoggedInteraction(InteractionData):
    """``interaction.logged`` (what the scorecard's projection and the timeline read of it):
    ``missed`` when it did not take place (a call nobody answered, a meeting nobody came to)."""

    missed: bool | None = None


_T = TypeVar("_T")


def needed(value: _T | None, name: str) -> _T:
    """A field a view leaves optional (a reader of the same view does without it) that this
    reader needs: missing, it fails as a missing key does (``KeyError``)."""
    if value is None:
        raise KeyError(name)
    return value


class ContactRef(EventView):
    """A contact event's contact: its id (all that search reads of a deleted one)."""

    contact_id: uuid.UUID


class MeetingContact(EventView):
    """A client participant a meeting event lists (without an id it is not invited)."""

    contact_id: uuid.UUID | None = None
    name: str | None = None
    email: str | None = None


class MeetingData(EventView):
    """A meeting's event (``meeting.scheduled``, ``.rescheduled``, ``.cancelled``, ...): what
    an invitation reads of it (the timeline reads more: ``domain/timeline.py: MeetingState``)."""

    meeting_id: uuid.UUID
    sequence: int = 0
    client_id: uuid.UUID | None = None
    client_name: str | None = None
    account_manager_id: uuid.UUID | None = None
    organizer_id: uuid.UUID | None = None
    staff_ids: list[uuid.UUID] = []
    contacts: list[MeetingContact] = []
    kind: str | None = None
    subject: str | None = None
    agenda: str | None = None
    location: str | None = None
    reason: str | None = None
    starts_at: datetime
    ends_at: datetime
    previous_starts_at: datetime | None = None
    previous_ends_at: datetime | None = None

    @property
    def invited(self) -> list[MeetingContact]:
        return [c for c in self.contacts if c.contact_id is not None]
