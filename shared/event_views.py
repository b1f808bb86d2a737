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
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any, Self

from pydantic import BaseModel, ConfigDict


class EventView(BaseModel):
    """The base of every view: unknown fields ignored, frozen."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> Self:
        """The view of an event's ``data`` (or of a part of it, e.g. one listed contact)."""
        return cls.model_validate(data)


# ==================================================================================
# Views of events more than one feature of a service reads (search and the scorecard's
# projection in notifications, so far): one view per event shape, here. A feature that
# needs more of the same event (or needs a field another tolerates missing) subclasses the
# view, adding or requiring fields, rather than copying it.
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
