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

from collections.abc import Mapping
from typing import Any, Self

from pydantic import BaseModel, ConfigDict


class EventView(BaseModel):
    """The base of every view: unknown fields ignored, frozen."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> Self:
        """The view of an event's ``data`` (or of a part of it, e.g. one listed contact)."""
        return cls.model_validate(data)
