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
from typing import Any, Self, TypeVar

from pydantic import BaseModel, ConfigDict


class EventView(BaseModel):
    """The base of every view: unknown fields ignored, frozen."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> Self:
        """The view of an event's ``data`` (or of a part of it, e.g. one listed contact)."""
        return cls.model_validate(data)


# ---------------------------------------------------------------- views read by several modules
# A view stays beside the one rule that reads it; one that several modules read of the same
# event lives here, once, and a module reading more of that event extends it (a subclass
# adding its fields), never a copy.

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
