"""The timeline's views against the producers' own events (domain/timeline.py): every event
the timeline reads, built by its producer's model with every field (and with only the
required ones), gives an entry whose details show each field the event carries exactly as the
event wrote it (the view reads it back to the same JSON: an instant's offset and fraction, a
decimal's digits, an id's text)."""

from __future__ import annotations

import types
import typing
import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from enum import Enum
from typing import Any

import pytest
from pydantic import BaseModel

import services.billing.events
import services.interactions.events  # noqa: F401  (the producers' models, registered)
from services.notifications.domain.timeline import ENTRY_EVENTS, entry_of, item_of
from shared.messaging.envelope import registry

AT = datetime(2031, 3, 10, 12, 0, tzinfo=UTC)
# Fields holding an amount as decimal text (shared.money: Amount = str).
AMOUNTS = frozenset({"amount", "balance", "total", "credit", "credit_total", "applied"})
AMOUNTS |= {"to_credit", "subtotal", "tax", "amount_paid", "credit_removed"}
# Details derived from the event rather than copied (a list of names, not the contacts).
DERIVED = frozenset({"contacts"})


def _value(annotation: Any, name: str, full: bool) -> Any:
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Annotated:
        return _value(args[0], name, full)
    if origin in (typing.Union, types.UnionType):
        if type(None) in args and not full:
            return None
        return _value(next(a for a in args if a is not type(None)), name, full)
    if origin is typing.Literal:
        return args[0]
    if origin in (list, tuple, set, frozenset):
        return [_value(args[0], name, full)]
    if origin is dict:
        return {}
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return _event(annotation, full)
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return next(iter(annotation))
    samples: dict[Any, Any] = {
        uuid.UUID: uuid.UUID("5f0c9d4e-0000-4000-8000-00000000000a"),
        # an offset other than UTC, and a fraction: both shown as written
        datetime: datetime(2031, 3, 12, 9, 30, 0, 250000, tzinfo=timezone(timedelta(hours=3))),
        date: date(2031, 4, 1),
        Decimal: Decimal("1200.50"),
        bool: True,
        int: 3,
        float: 0.5,
        str: "1200.50" if name in AMOUNTS else "--02-29" if name == "birthday" else "text",
    }
    return samples[annotation]


def _event(model: type[BaseModel], full: bool) -> Any:
    return model.model_validate(
        {
            name: _value(field.annotation, name, full)
            for name, field in model.model_fields.items()
            if full or field.is_required()
        }
    )


@pytest.mark.parametrize("full", [True, False], ids=["every field", "required fields"])
@pytest.mark.parametrize("event_type", ENTRY_EVENTS)
def test_details_show_a_producer_s_event_as_it_wrote_it(event_type: str, full: bool) -> None:
    model = registry.get(event_type)
    assert model is not None, event_type
    data = _event(model, full).to_cloudevent().data
    entry = entry_of(event_type, data, AT)
    assert entry is not None
    item_of(event_type, data)  # the item reads the same event (no field it needs missing)
    shown = {k: v for k, v in entry.details.items() if k in data and k not in DERIVED}
    assert shown, event_type
    assert shown == {k: data[k] for k in shown}
